//! Small hand-checked cases, the refusals, and the kNN against brute force.

mod common;

use ndarray::{array, Array2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use srl_resample::knn::k_nearest;
use srl_resample::{
    resample, Amount, FeatureLayout, Method, NeighbourSearch, Origin, Regions, ResampleError,
    ResampleParams, SafeDistance,
};

fn params(m: Method) -> srl_resample::ValidParams {
    ResampleParams::new(m).seed(42).check().unwrap()
}

/// 1-D, two rare points at 10 and 12 with y = x: the 2 synthetic rows lie in [10, 12] and,
/// the target being linear in x, the distance-weighted target equals the feature exactly.
#[test]
fn one_dimension_two_rare_points() {
    let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [10.0], [12.0]];
    let y: Vec<f64> = x.column(0).to_vec();
    let phi = [0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 1.0, 1.0];
    let layout = FeatureLayout::continuous(1);
    let out = resample(
        x.view(),
        &y,
        &phi,
        &layout,
        &params(Method::Smoter { k: 1 }),
    )
    .unwrap();
    // Two regions, b = round(8 / 2) = 4: 4 normal rows kept, 2 rare + 2 synthetic.
    assert_eq!(out.regions.len(), 2);
    assert_eq!((out.regions[0].before, out.regions[0].after), (6, 4));
    assert_eq!((out.regions[1].before, out.regions[1].after), (2, 4));
    assert_eq!(out.regions[1].synthetic, 2);
    assert_eq!(out.y.len(), 8);
    for (i, o) in out.origin.iter().enumerate() {
        if let Origin::Interpolated {
            seed,
            neighbour,
            gap,
        } = *o
        {
            assert_eq!(
                seed + neighbour,
                6 + 7,
                "the two rare rows are each other's neighbour"
            );
            let want = x[[seed, 0]] + gap * (x[[neighbour, 0]] - x[[seed, 0]]);
            assert_eq!(out.x[[i, 0]], want);
            assert!((out.y[i] - out.x[[i, 0]]).abs() < 1e-12);
            assert!((10.0..=12.0).contains(&out.y[i]));
        }
    }
    // Each rare row seeds exactly one synthetic row (2 extra rows over 2 rows).
    let seeds: Vec<usize> = out
        .origin
        .iter()
        .filter(|o| o.is_synthetic())
        .map(|o| o.source())
        .collect();
    assert_eq!(seeds, vec![6, 7]);
}

/// SMOGN on the same data: the safe distance of a seed is half the median of its distances to
/// the region {10, 12}, i.e. half the median of {0, D} = D/4 with D the distance between the
/// two, so the neighbour is never safe: both synthetic rows are noise around their seed,
/// within 4 · 0.02 · σ (σ of the region is 1).
#[test]
fn smogn_single_neighbour_is_noise() {
    let x = array![[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [10.0], [12.0]];
    let y: Vec<f64> = x.column(0).to_vec();
    let phi = [0.0, 0.0, 0.0, 0.1, 0.2, 0.3, 1.0, 1.0];
    let layout = FeatureLayout::continuous(1);
    let out = resample(
        x.view(),
        &y,
        &phi,
        &layout,
        &params(Method::Smogn {
            k: 1,
            pert: 0.02,
            safe: SafeDistance::Region,
        }),
    )
    .unwrap();
    let mut noise = 0;
    for (i, o) in out.origin.iter().enumerate() {
        if let Origin::Noise { seed, neighbour } = *o {
            noise += 1;
            assert_eq!(neighbour, Some(13 - seed));
            assert!((out.x[[i, 0]] - x[[seed, 0]]).abs() <= 0.08 + 1e-12);
            assert!((out.y[i] - y[seed]).abs() <= 0.08 + 1e-12);
        }
    }
    assert_eq!(noise, 2);
}

/// A nominal group: synthetic rows copy one parent's category, never a mix.
#[test]
fn nominal_group_copied_whole() {
    // Columns: x, then a 3-category one-hot. The rare rows alternate categories.
    let mut x = Array2::zeros((12, 4));
    let mut y = vec![0.0; 12];
    let mut phi = vec![0.0; 12];
    for i in 0..12 {
        x[[i, 0]] = i as f64;
        x[[i, 1 + i % 3]] = 1.0;
        y[i] = i as f64;
        phi[i] = if i >= 8 { 1.0 } else { 0.0 };
    }
    let layout = FeatureLayout::with_nominal(4, std::iter::once(1..4)).unwrap();
    let p = ResampleParams::new(Method::Smoter { k: 3 })
        .amount(Amount::Factors {
            normal: 1.0,
            rare: 10.0,
        })
        .seed(1)
        .check()
        .unwrap();
    let out = resample(x.view(), &y, &phi, &layout, &p).unwrap();
    assert_eq!(out.y.len(), 8 + 40);
    let (mut from_seed, mut from_neighbour) = (0, 0);
    for (i, o) in out.origin.iter().enumerate() {
        if let Origin::Interpolated {
            seed, neighbour, ..
        } = *o
        {
            let code = out.x.row(i).slice(ndarray::s![1..4]).to_vec();
            let s = x.row(seed).slice(ndarray::s![1..4]).to_vec();
            let n = x.row(neighbour).slice(ndarray::s![1..4]).to_vec();
            assert!(code == s || code == n);
            assert_eq!(code.iter().sum::<f64>(), 1.0);
            from_seed += usize::from(code == s && s != n);
            from_neighbour += usize::from(code == n && s != n);
        }
    }
    // A fair coin: both parents' categories occur.
    assert!(
        from_seed > 3 && from_neighbour > 3,
        "{from_seed} {from_neighbour}"
    );
}

/// Bumps: a two-tailed φ gives three regions and the low tail never interpolates with the
/// high one; rare-vs-normal gives two regions.
#[test]
fn bumps_keep_tails_apart() {
    let d = common::data(400, 3, 0, 9, true);
    let p = ResampleParams::new(Method::smoter())
        .seed(2)
        .check()
        .unwrap();
    let out = resample(d.x.view(), &d.y, &d.phi, &d.layout, &p).unwrap();
    assert_eq!(out.regions.len(), 3);
    assert!(out.regions[0].rare && !out.regions[1].rare && out.regions[2].rare);
    let mid = out.regions[1].y_min;
    for o in &out.origin {
        if let Origin::Interpolated {
            seed, neighbour, ..
        } = *o
        {
            assert_eq!(d.y[seed] < mid, d.y[neighbour] < mid);
        }
    }
    let p = ResampleParams::new(Method::smoter())
        .regions(Regions::RareVsNormal)
        .check()
        .unwrap();
    let out = resample(d.x.view(), &d.y, &d.phi, &d.layout, &p).unwrap();
    assert_eq!(out.regions.len(), 2);
    assert_eq!(out.regions[1].after, 200);
}

/// Per-region factors, as UBL's C.perc list.
#[test]
fn per_region_factors() {
    let d = common::data(300, 2, 0, 4, true);
    let p = |f: Vec<f64>| {
        ResampleParams::new(Method::smoter())
            .amount(Amount::PerRegion(f))
            .check()
            .unwrap()
    };
    let out = resample(d.x.view(), &d.y, &d.phi, &d.layout, &p(vec![2.0, 0.5, 1.5])).unwrap();
    for (r, f) in out.regions.iter().zip([2.0, 0.5, 1.5]) {
        assert_eq!(r.after, (f * r.before as f64).round() as usize);
    }
    for bad in [vec![2.0, 0.5], vec![0.5, 0.5, 1.5], vec![2.0, 1.5, 1.5]] {
        assert!(matches!(
            resample(d.x.view(), &d.y, &d.phi, &d.layout, &p(bad)),
            Err(ResampleError::InvalidParam { .. })
        ));
    }
}

#[test]
fn refusals() {
    let x = array![[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]];
    let y = [0.0, 1.0, 2.0, 3.0];
    let phi = [0.0, 0.0, 1.0, 1.0];
    let lay = FeatureLayout::continuous(2);
    let p = params(Method::smoter());
    // k = 5 with 2 rare rows (of 6: the rare region must grow).
    let x6 = Array2::from_shape_fn((6, 2), |(i, j)| (i * (j + 1)) as f64);
    assert_eq!(
        resample(
            x6.view(),
            &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0],
            &[0.0, 0.0, 0.0, 0.0, 1.0, 1.0],
            &lay,
            &p
        ),
        Err(ResampleError::TooFewRare { k: 5, rare: 2 })
    );
    // No rare row: the message tells the user what to do.
    let e = resample(x.view(), &y, &[0.1; 4], &lay, &p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "no rows with relevance ≥ 0.5; lower --threshold or give control points"
    );
    // NaN in the features, the targets, the relevance.
    let mut xn = x.clone();
    xn[[2, 1]] = f64::NAN;
    assert!(matches!(
        resample(xn.view(), &y, &phi, &lay, &p),
        Err(ResampleError::NotFinite {
            what: "features",
            row: 2,
            col: Some(1),
            ..
        })
    ));
    assert!(matches!(
        resample(x.view(), &[0.0, f64::NAN, 1.0, 2.0], &phi, &lay, &p),
        Err(ResampleError::NotFinite {
            what: "targets",
            row: 1,
            ..
        })
    ));
    assert!(matches!(
        resample(x.view(), &y, &[0.0, 0.0, 1.5, 1.0], &lay, &p),
        Err(ResampleError::RelevanceOutOfRange { row: 2, .. })
    ));
    // Lengths.
    assert!(matches!(
        resample(x.view(), &y[..3], &phi, &lay, &p),
        Err(ResampleError::LengthMismatch {
            what: "targets",
            expected: 4,
            got: 3
        })
    ));
    // Layouts: width, overlapping groups, a fractional one-hot.
    assert!(matches!(
        resample(x.view(), &y, &phi, &FeatureLayout::continuous(3), &p),
        Err(ResampleError::Layout { .. })
    ));
    assert!(FeatureLayout::with_nominal(4, [0..2, 1..3]).is_err());
    assert!(FeatureLayout::with_nominal(4, std::iter::once(2..5)).is_err());
    let mut xf = Array2::zeros((4, 2));
    xf[[1, 0]] = 0.5;
    let nom = FeatureLayout::with_nominal(2, std::iter::once(0..2)).unwrap();
    assert!(matches!(
        resample(xf.view(), &y, &phi, &nom, &params(Method::RandomOver)),
        Err(ResampleError::NotOneHot {
            row: 1,
            start: 0,
            end: 2
        })
    ));
    // Parameters.
    for bad in [
        ResampleParams::new(Method::smoter()).threshold(0.0),
        ResampleParams::new(Method::smoter()).threshold(f64::NAN),
        ResampleParams::new(Method::Smoter { k: 0 }),
        ResampleParams::new(Method::Smogn {
            k: 5,
            pert: 0.0,
            safe: SafeDistance::Neighbours,
        }),
        ResampleParams::new(Method::Wercs {
            over: 1.5,
            under: 0.5,
        }),
        ResampleParams::new(Method::smoter()).amount(Amount::Factors {
            normal: 0.0,
            rare: 2.0,
        }),
        ResampleParams::new(Method::smoter()).amount(Amount::Factors {
            normal: 0.5,
            rare: 0.5,
        }),
    ] {
        assert!(
            matches!(bad.check(), Err(ResampleError::InvalidParam { .. })),
            "{bad:?}"
        );
    }
    // Empty input.
    let e = Array2::<f64>::zeros((0, 2));
    assert!(matches!(
        resample(e.view(), &[], &[], &lay, &p),
        Err(ResampleError::Empty { .. })
    ));
}

/// The KD-tree and ball tree give the brute force's neighbours exactly, ties included (points
/// on a small integer grid, so that many distances tie, and duplicate points).
#[test]
fn knn_matches_brute_force() {
    for (seed, n, d, grid) in [
        (1, 300, 3, 3),
        (2, 500, 5, 2),
        (3, 200, 2, 100),
        (4, 50, 8, 2),
    ] {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let pts = Array2::from_shape_fn((n, d), |_| r.gen_range(0..grid) as f64);
        for k in [1, 5, 12] {
            let brute = k_nearest(pts.view(), k, NeighbourSearch::BruteForce).unwrap();
            // Brute force by hand: sort every other row by (squared distance, index).
            for (i, nb) in brute.iter().enumerate() {
                let mut all: Vec<(f64, usize)> = (0..n)
                    .filter(|&j| j != i)
                    .map(|j| {
                        let s: f64 = (0..d).map(|c| (pts[[i, c]] - pts[[j, c]]).powi(2)).sum();
                        (s, j)
                    })
                    .collect();
                all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let want: Vec<usize> = all[..k].iter().map(|p| p.1).collect();
                let got: Vec<usize> = nb.iter().map(|p| p.0).collect();
                assert_eq!(got, want);
            }
            for s in [NeighbourSearch::KdTree, NeighbourSearch::BallTree] {
                let t = k_nearest(pts.view(), k, s).unwrap();
                assert_eq!(t, brute, "seed {seed} k {k} {s:?}");
            }
        }
    }
    // Fewer rows than k + 1: every other row.
    let pts = array![[0.0], [1.0], [3.0]];
    let nb = k_nearest(pts.view(), 5, NeighbourSearch::KdTree).unwrap();
    assert_eq!(nb[0], vec![(1, 1.0), (2, 3.0)]);
}

/// With φ from `srl_data::relevance` (automatic control points, both tails) on a skewed
/// target: the rare regions are the upper tail (and the lower one if the box plot flags it),
/// SMOGN balances them, and every synthetic target stays near its region.
#[test]
fn with_relevance_from_srl_data() {
    use srl_data::relevance::RelevanceParams;
    let d = common::data(2000, 4, 3, 5, false);
    let phi = RelevanceParams::default().fit(&d.y).unwrap().phi_all(&d.y);
    let p = ResampleParams::new(Method::smogn())
        .seed(3)
        .check()
        .unwrap();
    let out = resample(d.x.view(), &d.y, &phi, &d.layout, &p).unwrap();
    let rare: Vec<_> = out.regions.iter().filter(|r| r.rare).collect();
    assert!(!rare.is_empty());
    let b = (2000.0 / out.regions.len() as f64).round() as usize;
    for r in &rare {
        assert_eq!(r.after, r.before.max(b));
    }
    let top = out.regions.last().unwrap();
    assert!(top.rare, "the skewed upper tail is rare");
    for (i, o) in out.origin.iter().enumerate() {
        if o.is_synthetic() && d.y[o.source()] >= top.y_min {
            // Interpolated targets lie inside the region, noise ones within 4·0.02·σ of it.
            let span = top.y_max - top.y_min;
            assert!(out.y[i] >= top.y_min - 0.08 * span && out.y[i] <= top.y_max + 0.08 * span);
        }
    }
}
