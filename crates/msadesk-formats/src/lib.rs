//! msadesk-formats
