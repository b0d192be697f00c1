//! Regression losses (being written).
