//! Module `contrastive` (being written).
