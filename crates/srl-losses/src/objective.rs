//! Module `objective` (being written).
