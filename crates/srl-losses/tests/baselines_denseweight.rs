//! DenseWeight against the authors' package `denseweight` 0.1.2 (fixtures from
//! `tests/fixtures/denseweight/generate.py`, on the targets of the shared UCI tables), and its
//! properties: positive, mean 1, α = 0 all ones, monotone in the density, equivariant under
//! permutations of the rows.

use proptest::prelude::*;
use srl_losses::baselines::denseweight::{
    dense_weights, DenseWeight, DenseWeightParams, DEFAULT_EPS,
};
use srl_losses::LossError;
use std::collections::HashMap;
use std::path::PathBuf;

/// The package's weights agree with ours to this (the requirement).
const TOL: f64 = 1e-6;
const ALPHAS: [f64; 3] = [0.5, 1.0, 2.0];

fn data_dir() -> PathBuf {
    std::env::var("SRL_DATA_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/datasets").into())
}

/// The target column of a shared table, parsed as its SOURCE.md describes (and as the
/// generating script reads it).
fn table_targets(name: &str) -> Option<Vec<f64>> {
    let dir = data_dir().join("tables").join(name);
    let (file, pick): (&str, fn(&str) -> Option<&str>) = match name {
        "wine-quality-red" => ("winequality-red.csv", |l| l.split(';').next_back()),
        "yacht-hydrodynamics" => ("yacht_hydrodynamics.data", |l| {
            l.split_whitespace().next_back()
        }),
        "forest-fires" => ("forestfires.csv", |l| l.split(',').next_back()),
        "auto-mpg" => ("auto-mpg.data", |l| l.split_whitespace().next()),
        "energy-efficiency" => ("ENB2012_data.csv", |l| l.split(',').nth(8)),
        "student-mat" => ("student-mat.csv", |l| l.split(';').next_back()),
        _ => unreachable!("{name}"),
    };
    let path = dir.join(file);
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping {name}: {} not found", path.display());
        return None;
    };
    let has_header = !matches!(name, "yacht-hydrodynamics" | "auto-mpg");
    Some(
        text.lines()
            .skip(usize::from(has_header))
            .filter_map(|l| pick(l.trim()))
            .filter(|f| !f.is_empty())
            .map(|f| {
                f.parse::<f64>()
                    .unwrap_or_else(|e| panic!("{name}: {f:?}: {e}"))
            })
            .collect(),
    )
}

struct Fixture {
    rows: usize,
    meta: HashMap<String, f64>,
    /// Distinct target → the package's weight for each α of [`ALPHAS`].
    weights: Vec<(f64, [f64; 3])>,
}

fn fixture(name: &str) -> Fixture {
    let path = format!(
        "{}/tests/fixtures/denseweight/{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut meta = HashMap::new();
    let mut weights = Vec::new();
    for line in text.lines() {
        if let Some(c) = line.strip_prefix("# ") {
            if let Some((k, v)) = c.split_once('=') {
                meta.insert(k.to_string(), v.parse::<f64>().unwrap());
            }
        } else if !line.starts_with("target") {
            let f: Vec<f64> = line.split(',').map(|v| v.parse().unwrap()).collect();
            weights.push((f[0], [f[1], f[2], f[3]]));
        }
    }
    Fixture {
        rows: meta["rows"] as usize,
        meta,
        weights,
    }
}

#[test]
fn weights_match_the_denseweight_package_on_the_shared_tables() {
    let mut checked = 0;
    for name in [
        "wine-quality-red",
        "yacht-hydrodynamics",
        "forest-fires",
        "auto-mpg",
        "energy-efficiency",
        "student-mat",
    ] {
        let Some(y) = table_targets(name) else {
            continue;
        };
        let fx = fixture(name);
        assert_eq!(y.len(), fx.rows, "{name}: rows read");
        let mut max_diff: f64 = 0.0;
        for (a, &alpha) in ALPHAS.iter().enumerate() {
            let p = DenseWeightParams::with_alpha(alpha).check().unwrap();
            let fit = DenseWeight::fit(&y, &p).unwrap();
            let bw = fx.meta["bandwidth"];
            assert!(
                (fit.bandwidth() - bw).abs() <= 1e-12 * bw,
                "{name}: bandwidth"
            );
            assert!(
                (fit.support() - fx.meta["support"]).abs() <= 1e-9 * fx.meta["support"],
                "{name}: support {} vs {}",
                fit.support(),
                fx.meta["support"]
            );
            let grid = fit.grid();
            assert_eq!(grid[0], fx.meta["grid_first"], "{name}: grid start");
            assert_eq!(
                grid[grid.len() - 1],
                fx.meta["grid_last"],
                "{name}: grid end"
            );
            let want: HashMap<u64, f64> = fx
                .weights
                .iter()
                .map(|(t, w)| (t.to_bits(), w[a]))
                .collect();
            assert_eq!(want.len(), fx.weights.len());
            for (i, (&t, &w)) in y.iter().zip(fit.weights()).enumerate() {
                let reference = want[&t.to_bits()];
                let diff = (w - reference).abs();
                max_diff = max_diff.max(diff);
                assert!(
                    diff <= TOL,
                    "{name} α {alpha} row {i} (y = {t}): ours {w}, package {reference}"
                );
                assert_eq!(fit.weight(t), w, "{name}: weight() of a training target");
            }
        }
        println!(
            "{name}: {} rows, max |ours − package| = {max_diff:e}",
            y.len()
        );
        checked += 1;
    }
    if checked == 0 {
        println!(
            "skipping: no shared table found under {}",
            data_dir().display()
        );
    }
}

#[test]
fn alpha_zero_gives_all_ones_and_bad_inputs_are_typed_errors() {
    let y = [1.0, 2.0, 2.5, 3.0, 10.0];
    let w = dense_weights(&y, &DenseWeightParams::with_alpha(0.0).check().unwrap()).unwrap();
    assert_eq!(w, vec![1.0; 5]);

    for bad in [f64::NAN, -0.5, f64::INFINITY] {
        let e = DenseWeightParams::with_alpha(bad).check().unwrap_err();
        assert!(
            matches!(e, LossError::InvalidParameter { name: "alpha", .. }),
            "{e}"
        );
    }
    let invalid = |p: DenseWeightParams| match p.check() {
        Err(LossError::InvalidParameter { name, .. }) => name,
        other => panic!("{other:?}"),
    };
    let d = DenseWeightParams::default();
    assert_eq!(invalid(DenseWeightParams { eps: 0.0, ..d }), "eps");
    assert_eq!(
        invalid(DenseWeightParams {
            grid_points: 1,
            ..d
        }),
        "grid_points"
    );
    assert_eq!(
        invalid(DenseWeightParams {
            bandwidth: Some(-1.0),
            ..d
        }),
        "bandwidth"
    );

    let ok = DenseWeightParams::default().check().unwrap();
    assert!(matches!(
        dense_weights(&[], &ok),
        Err(LossError::Degenerate { .. })
    ));
    assert!(matches!(
        dense_weights(&[3.0], &ok),
        Err(LossError::Degenerate { .. })
    ));
    let e = dense_weights(&[2.0, 2.0, 2.0], &ok).unwrap_err();
    assert!(matches!(e, LossError::Degenerate { .. }));
    assert!(e.to_string().contains("all 3 targets are 2"), "{e}");
    assert!(matches!(
        dense_weights(&[1.0, f64::NAN], &ok),
        Err(LossError::NonFinite { index: 1, .. })
    ));
}

#[test]
fn huge_bandwidths_fall_back_to_an_untruncated_kernel() {
    // Targets in large units: h > 3989, where the package's support search has no root.
    let y: Vec<f64> = (0..40).map(|i| (i * i) as f64 * 1e4).collect();
    let fit = DenseWeight::fit(&y, &DenseWeightParams::default().check().unwrap()).unwrap();
    assert!(fit.bandwidth() > 3989.5);
    assert_eq!(fit.support(), 8.0 * fit.bandwidth());
    let w = fit.weights();
    assert!(w.iter().all(|&v| v > 0.0 && v.is_finite()));
    // The crowded low end weighs least, the sparse top most.
    assert!(w[0] < w[39]);
}

#[test]
fn a_given_bandwidth_replaces_the_rule() {
    let y = [0.0, 0.5, 1.0, 1.2, 4.0, 9.0];
    let p = DenseWeightParams {
        bandwidth: Some(0.75),
        ..DenseWeightParams::default()
    };
    let fit = DenseWeight::fit(&y, &p.check().unwrap()).unwrap();
    assert_eq!(fit.bandwidth(), 0.75);
}

fn targets() -> impl Strategy<Value = Vec<f64>> {
    prop_oneof![
        prop::collection::vec(-50.0f64..50.0, 2..120),
        // Repeated values, as with integer or rounded targets.
        prop::collection::vec((0u8..12).prop_map(|v| f64::from(v) * 0.5), 2..200),
        // A crowd and a sparse tail.
        prop::collection::vec(prop_oneof![4 => 0.0f64..1.0, 1 => 1.0f64..30.0], 2..150),
    ]
    .prop_filter("not constant", |y| y.iter().any(|&v| v != y[0]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn weights_are_positive_average_one_and_monotone_in_density(
        y in targets(),
        alpha in 0.0f64..3.0,
    ) {
        let p = DenseWeightParams::with_alpha(alpha).check().unwrap();
        let fit = DenseWeight::fit(&y, &p).unwrap();
        let w = fit.weights();
        prop_assert_eq!(w.len(), y.len());
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        prop_assert!((mean - 1.0).abs() < 1e-12, "mean {}", mean);
        for &v in w {
            prop_assert!(v.is_finite() && v > 0.0);
        }
        let min_w = w.iter().copied().fold(f64::INFINITY, f64::min);
        // The floor ε over a mean of at most 1.
        prop_assert!(min_w >= DEFAULT_EPS * (1.0 - 1e-12));
        // Rarer targets (lower density) never weigh less than denser ones.
        let dens: Vec<f64> = y.iter().map(|&t| fit.density(t)).collect();
        for &d in &dens {
            // Min-max scaled as scikit-learn does (x·scale + offset): [0, 1] to rounding.
            prop_assert!((-1e-12..=1.0 + 1e-12).contains(&d), "p' {}", d);
        }
        for i in 0..y.len() {
            for j in 0..y.len() {
                if dens[i] < dens[j] {
                    prop_assert!(w[i] >= w[j], "p {} < {} but w {} < {}", dens[i], dens[j], w[i], w[j]);
                }
            }
        }
    }

    #[test]
    fn alpha_zero_is_all_ones(y in targets()) {
        let w = dense_weights(&y, &DenseWeightParams::with_alpha(0.0).check().unwrap()).unwrap();
        prop_assert!(w.iter().all(|&v| v == 1.0));
    }

    #[test]
    fn permuting_the_rows_permutes_the_weights(
        y in targets(),
        seed in any::<u64>(),
        alpha in 0.0f64..3.0,
    ) {
        use rand::{seq::SliceRandom, SeedableRng};
        let mut order: Vec<usize> = (0..y.len()).collect();
        order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
        let shuffled: Vec<f64> = order.iter().map(|&i| y[i]).collect();
        let p = DenseWeightParams::with_alpha(alpha).check().unwrap();
        let w = dense_weights(&y, &p).unwrap();
        let ws = dense_weights(&shuffled, &p).unwrap();
        for (k, &i) in order.iter().enumerate() {
            prop_assert!((ws[k] - w[i]).abs() <= 1e-9 * w[i].max(1.0), "{} vs {}", ws[k], w[i]);
        }
    }
}
