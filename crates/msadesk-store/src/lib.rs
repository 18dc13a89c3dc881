//! msadesk-store
