//! EPCIS 2.0 JSON/JSON-LD: supply events in and out.
