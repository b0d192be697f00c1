//! Module `stsb` (being written).
