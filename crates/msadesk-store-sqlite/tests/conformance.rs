//! The store conformance suite on the SQLite engine (in-memory databases, one per test).

msadesk_store::conformance_suite!(msadesk_store_sqlite::SqliteStore::open_in_memory().expect("in-memory SQLite store"));
