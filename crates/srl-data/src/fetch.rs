//! Module `fetch` (being written).
