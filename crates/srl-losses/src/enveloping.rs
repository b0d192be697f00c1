//! Module `enveloping` (being written).
