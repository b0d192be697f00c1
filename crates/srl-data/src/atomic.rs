//! Module `atomic` (being written).
