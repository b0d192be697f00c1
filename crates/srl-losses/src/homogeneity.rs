//! Module `homogeneity` (being written).
