//! Trace answers as JSON, CSV and tables.
