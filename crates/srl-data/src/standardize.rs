//! Module `standardize` (being written).
