//! The `.npz` reader of the nonlinear IOL benchmark (`iol-sde`).
//!
//! `srl_data::iol::read_sde_file` is private and only reached through `sde_benchmark`, which
//! checks the file's sha256 against the two pinned files first, so arbitrary bytes never reach
//! it through the public API. This target repeats that function step by step on the fuzz
//! bytes (same `ndarray-npy` 0.9 `NpzReader` with `compressed_npz`, same calls, same checks):
//! open the zip archive, `by_name` the three arrays as `ArrayD<f64>` (train and test names),
//! refuse non-finite values, check the shapes `(n, 240)`, `(n,)`/`(n, 1)` and locations in
//! [0, 1], then group the input functions ([`group_identical_rows`]) and weigh the locations
//! as `sde_benchmark` does.

#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::{ArrayD, Ix2};
use srl_data::iol::{group_identical_rows, location_weight, SDE_INPUT_WIDTH};
use std::io::Cursor;

fuzz_target!(|data: &[u8]| {
    for names in [
        ["X_train0", "X_train1", "y_train"],
        ["X_test0", "X_test1", "y_test"],
    ] {
        if let Some((inputs, locations, targets)) = read_sde(data, names) {
            assert_eq!(inputs.nrows(), locations.len());
            assert_eq!(inputs.nrows(), targets.len());
            assert_eq!(inputs.ncols(), SDE_INPUT_WIDTH);
            let groups = group_identical_rows(&inputs);
            assert_eq!(groups.len(), inputs.nrows());
            // Ids are numbered in order of first appearance.
            let mut next = 0;
            for &g in &groups {
                assert!(g <= next);
                if g == next {
                    next += 1;
                }
            }
            for &x in &locations {
                assert!(location_weight(x).is_finite());
            }
        }
    }
});

type Sde = (ndarray::Array2<f64>, Vec<f64>, Vec<f64>);

/// `read_sde_file` of crates/srl-data/src/iol.rs on bytes (`None` where it errors).
fn read_sde(data: &[u8], names: [&str; 3]) -> Option<Sde> {
    let mut npz = ndarray_npy::NpzReader::new(Cursor::new(data)).ok()?;
    // The member list is what `by_name` searches.
    let _ = npz.names();
    let mut read = |name: &str| -> Option<ArrayD<f64>> {
        let a: ArrayD<f64> = npz.by_name(name).ok()?;
        if a.iter().any(|v| !v.is_finite()) {
            return None;
        }
        Some(a)
    };
    let x0 = read(names[0])?;
    if x0.ndim() != 2 || x0.shape()[1] != SDE_INPUT_WIDTH || x0.shape()[0] == 0 {
        return None;
    }
    let n = x0.shape()[0];
    let column = |a: ArrayD<f64>| -> Option<Vec<f64>> {
        let ok =
            matches!(a.shape(), [len] if *len == n) || matches!(a.shape(), [len, 1] if *len == n);
        ok.then(|| a.iter().copied().collect())
    };
    let locations = column(read(names[1])?)?;
    let targets = column(read(names[2])?)?;
    if locations.iter().any(|x| !(0.0..=1.0).contains(x)) {
        return None;
    }
    let inputs = x0.into_dimensionality::<Ix2>().ok()?;
    Some((inputs, locations, targets))
}
