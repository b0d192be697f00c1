//! Module `tabular` (being written).
