//! CSV importers for product master data and supply events.
