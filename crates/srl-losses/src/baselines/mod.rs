//! DIR baselines (being written).
