//! How PostgreSQL's errors become [`StoreError`]s, and how stored values are read back.
//!
//! A lock or serialisation failure is [`StoreError::Busy`] (another msadesk process is writing; the
//! user can retry). Every other database error is [`StoreError::Backend`] with what msadesk was
//! doing, the server's message and its SQLSTATE, so an administrator can look the code up. A stored
//! value msadesk cannot read back as a domain value is [`StoreError::Corrupt`].

use msadesk_store::StoreError;
use postgres::Row;
use postgres::error::SqlState;
use postgres::types::FromSql;

/// Adds what msadesk was doing to a PostgreSQL error.
pub(crate) trait During<T> {
    fn during(self, what: &str) -> Result<T, StoreError>;
}

impl<T> During<T> for Result<T, postgres::Error> {
    fn during(self, what: &str) -> Result<T, StoreError> {
        self.map_err(|e| to_store_error(what, &e))
    }
}

pub(crate) fn to_store_error(what: &str, e: &postgres::Error) -> StoreError {
    if let Some(code) = e.code()
        && (*code == SqlState::T_R_SERIALIZATION_FAILURE
            || *code == SqlState::T_R_DEADLOCK_DETECTED
            || *code == SqlState::LOCK_NOT_AVAILABLE)
    {
        return StoreError::Busy;
    }
    StoreError::Backend(format!("{what}: {}", describe(e)))
}

/// The server's message with its SQLSTATE, detail and hint; for errors that did not come from the
/// server (connection refused, connection lost), the client's message and its cause.
pub(crate) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            s.push_str(&format!("; {detail}"));
        }
        if let Some(hint) = db.hint() {
            s.push_str(&format!("; hint: {hint}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        s.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    s
}

/// Reads column `idx` of a row. The schema is ours, so a type mismatch means the database was changed
/// outside msadesk: that is reported, not a panic.
pub(crate) fn col<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T, StoreError> {
    row.try_get(idx).map_err(|e| StoreError::Corrupt(format!("column {idx}: {e}")))
}

/// Parses a stored text back into a domain value; a failure means the row was edited outside msadesk.
pub(crate) fn parse_stored<T, E: std::fmt::Display>(
    what: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<T, StoreError> {
    parse(value).map_err(|e| StoreError::Corrupt(format!("{what} '{value}': {e}")))
}

/// Like [`parse_stored`] for a nullable column.
pub(crate) fn parse_stored_opt<T, E: std::fmt::Display>(
    what: &str,
    value: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    value.map(|v| parse_stored(what, v, parse)).transpose()
}

/// A stored count or quantity as `u64`; bigint columns are checked to be positive, so a negative
/// value is a change made outside msadesk.
pub(crate) fn to_u64(what: &str, value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{what} is negative ({value})")))
}
