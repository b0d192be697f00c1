//! Module `metrics` (being written).
