//! msadesk-core
