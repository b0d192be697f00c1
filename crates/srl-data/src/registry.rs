//! Module `registry` (being written).
