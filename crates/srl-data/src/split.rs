//! Module `split` (being written).
