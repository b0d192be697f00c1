//! Module `agedb` (being written).
