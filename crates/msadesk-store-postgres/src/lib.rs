//! msadesk-store-postgres
