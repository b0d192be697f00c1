//! LDS / re-weighting: kernel windows against scipy values and weights against the AgeDB-DIR
//! test vectors listed in docs/baselines.md (section 1, LDS).

use approx::assert_relative_eq;
use proptest::prelude::*;
use srl_losses::baselines::lds::{
    effective_counts, integer_label_bins, lds_weights, LdsKernel, Reweight,
};
use srl_losses::LossError;

fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < tol, "got {got:?}, want {want:?}");
    }
}

#[test]
fn gaussian_window_reproduces_scipy_reflected_filter() {
    let w = LdsKernel::Gaussian {
        size: 5,
        sigma: 2.0,
    }
    .window()
    .unwrap();
    assert_close(&w, &[0.858285, 0.945828, 1.0, 0.945828, 0.858285], 1e-6);
    let w = LdsKernel::Gaussian {
        size: 9,
        sigma: 1.0,
    }
    .window()
    .unwrap();
    assert_close(
        &w,
        &[
            0.000335, 0.011109, 0.135335, 0.606531, 1.0, 0.606531, 0.135335, 0.011109, 0.000335,
        ],
        1e-6,
    );
    let s = LdsKernel::Gaussian {
        size: 5,
        sigma: 2.0,
    }
    .window_sum_normalised()
    .unwrap();
    assert_close(
        &s,
        &[0.186251, 0.205248, 0.217003, 0.205248, 0.186251],
        1e-6,
    );
    assert_eq!(
        LdsKernel::Gaussian {
            size: 1,
            sigma: 3.0
        }
        .window()
        .unwrap(),
        vec![1.0]
    );
}

#[test]
fn triang_and_laplace_windows() {
    let t = LdsKernel::Triang { size: 5 }.window().unwrap();
    assert_close(
        &t,
        &[1.0 / 3.0, 2.0 / 3.0, 1.0, 2.0 / 3.0, 1.0 / 3.0],
        1e-15,
    );
    let l = LdsKernel::Laplace {
        size: 5,
        sigma: 2.0,
    }
    .window()
    .unwrap();
    let e1 = (-1.0_f64).exp();
    let e05 = (-0.5_f64).exp();
    assert_close(&l, &[e1, e05, 1.0, e05, e1], 1e-15);
}

#[test]
fn invalid_kernels_and_inputs_are_errors() {
    for k in [
        LdsKernel::Gaussian {
            size: 4,
            sigma: 1.0,
        },
        LdsKernel::Triang { size: 0 },
        LdsKernel::Laplace {
            size: 3,
            sigma: 0.0,
        },
        LdsKernel::Gaussian {
            size: 3,
            sigma: f64::INFINITY,
        },
    ] {
        assert!(
            matches!(k.window(), Err(LossError::InvalidParameter { .. })),
            "{k:?}"
        );
    }
    assert!(matches!(
        lds_weights(&[0, 3], 3, Reweight::Inverse, None),
        Err(LossError::BinOutOfRange {
            index: 1,
            bin: 3,
            num_bins: 3
        })
    ));
    assert!(matches!(
        lds_weights(&[], 3, Reweight::Inverse, None),
        Err(LossError::Empty { .. })
    ));
    assert!(matches!(
        lds_weights(&[0], 3, Reweight::None, Some(&LdsKernel::dir_default())),
        Err(LossError::InvalidParameter {
            name: "reweight",
            ..
        })
    ));
    assert!(integer_label_bins(&[1.0, f64::NAN], 10).is_err());
    assert!(integer_label_bins(&[-1.0], 10).is_err());
    assert!(effective_counts(&[1.0, -2.0], Reweight::Inverse, None).is_err());
}

#[test]
fn single_bin_and_no_reweight() {
    assert_eq!(
        lds_weights(&[2, 2, 2], 5, Reweight::SqrtInverse, None).unwrap(),
        vec![1.0; 3]
    );
    let w = lds_weights(
        &[0, 0],
        1,
        Reweight::Inverse,
        Some(&LdsKernel::dir_default()),
    )
    .unwrap();
    assert_eq!(w, vec![1.0, 1.0]);
    assert_eq!(
        lds_weights(&[0, 1, 1], 2, Reweight::None, None).unwrap(),
        vec![1.0; 3]
    );
}

#[test]
fn zero_padded_smoothing_of_clipped_counts_by_hand() {
    // Inverse clips [1, 10, 0] → [5, 10, 5]; triang(3) = [0.5, 1, 0.5] with zero padding.
    let n = effective_counts(
        &[1.0, 10.0, 0.0],
        Reweight::Inverse,
        Some(&LdsKernel::Triang { size: 3 }),
    )
    .unwrap();
    assert_close(&n, &[10.0, 15.0, 10.0], 1e-12);
}

fn data_dir() -> std::path::PathBuf {
    std::env::var("SRL_DATA_DIR")
        .map(Into::into)
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/datasets").into())
}

fn agedb_train_ages() -> Option<Vec<f64>> {
    let path = data_dir().join("agedb-dir/agedb.csv");
    let Ok(text) = std::fs::read_to_string(&path) else {
        println!("skipping: {} not found", path.display());
        return None;
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next()?.split(',').collect();
    let age_col = header.iter().position(|h| *h == "age")?;
    let split_col = header.iter().position(|h| *h == "split")?;
    Some(
        lines
            .filter_map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                (f.get(split_col) == Some(&"train")).then(|| f[age_col].parse::<f64>().unwrap())
            })
            .collect(),
    )
}

fn weight_of_age(ages: &[f64], weights: &[f64], age: f64) -> f64 {
    let i = ages.iter().position(|&a| a == age).expect("age present");
    weights[i]
}

#[test]
fn agedb_weights_match_reference_vectors() {
    let Some(ages) = agedb_train_ages() else {
        return;
    };
    assert_eq!(ages.len(), 12_208);
    let bins = integer_label_bins(&ages, 121).unwrap();
    let check = |w: &[f64], pairs: &[(f64, f64)]| {
        assert_relative_eq!(
            w.iter().sum::<f64>(),
            ages.len() as f64,
            max_relative = 1e-12
        );
        for &(age, want) in pairs {
            let got = weight_of_age(&ages, w, age);
            assert!(
                (got - want).abs() < 6e-4,
                "age {age}: got {got}, want {want}"
            );
        }
    };
    let sqrt = lds_weights(&bins, 121, Reweight::SqrtInverse, None).unwrap();
    check(
        &sqrt,
        &[
            (1.0, 13.0765),
            (30.0, 0.7254),
            (60.0, 0.9614),
            (90.0, 4.9425),
        ],
    );
    let inv = lds_weights(&bins, 121, Reweight::Inverse, None).unwrap();
    check(&inv, &[(1.0, 26.597), (30.0, 0.4092)]);
    let lds = lds_weights(
        &bins,
        121,
        Reweight::SqrtInverse,
        Some(&LdsKernel::dir_default()),
    )
    .unwrap();
    check(
        &lds,
        &[
            (1.0, 22.0098),
            (3.0, 11.0526),
            (30.0, 0.7661),
            (60.0, 0.9978),
            (90.0, 5.0497),
            (101.0, 18.7088),
        ],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Weights have mean 1, are positive, and rarer bins never get a smaller weight
    /// (without LDS, where the weight is a decreasing function of the bin count).
    #[test]
    fn weights_have_mean_one_and_favour_rare_bins(
        bins in proptest::collection::vec(0_usize..12, 1..80),
        inverse in any::<bool>(),
        smooth in any::<bool>(),
    ) {
        let rw = if inverse { Reweight::Inverse } else { Reweight::SqrtInverse };
        let k = LdsKernel::dir_default();
        let w = lds_weights(&bins, 12, rw, smooth.then_some(&k)).unwrap();
        let mean = w.iter().sum::<f64>() / w.len() as f64;
        prop_assert!((mean - 1.0).abs() < 1e-12);
        prop_assert!(w.iter().all(|&x| x > 0.0 && x.is_finite()));
        if !smooth {
            let count = |b: usize| bins.iter().filter(|&&x| x == b).count();
            for i in 0..bins.len() {
                for j in 0..bins.len() {
                    if count(bins[i]) < count(bins[j]) {
                        prop_assert!(w[i] >= w[j] - 1e-12);
                    }
                }
            }
        }
    }
}
