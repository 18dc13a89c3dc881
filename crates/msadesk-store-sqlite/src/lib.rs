//! msadesk-store-sqlite
