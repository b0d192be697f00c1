//! Property tests of the resamplers on seeded random data sets.

mod common;

use common::{data, Data};
use proptest::prelude::*;
use srl_resample::{
    resample, Amount, Method, NeighbourSearch, Origin, ResampleParams, Resampled, SafeDistance,
    NOISE_TRUNCATION,
};

fn run(d: &Data, params: ResampleParams) -> Resampled {
    resample(
        d.x.view(),
        &d.y,
        &d.phi,
        &d.layout,
        &params.check().unwrap(),
    )
    .unwrap()
}

/// Continuous columns of the layout.
fn cont(d: &Data) -> Vec<usize> {
    d.layout.continuous_columns()
}

fn check_common(d: &Data, out: &Resampled) {
    assert_eq!(out.x.nrows(), out.y.len());
    assert_eq!(out.x.nrows(), out.origin.len());
    for (i, o) in out.origin.iter().enumerate() {
        let row = out.x.row(i);
        // Every nominal group of every output row is a one-hot code.
        for g in d.layout.nominal() {
            let ones = g.clone().filter(|&j| row[j] == 1.0).count();
            let zeros = g.clone().filter(|&j| row[j] == 0.0).count();
            assert_eq!((ones, zeros), (1, g.len() - 1), "row {i}: {:?}", row);
        }
        match *o {
            Origin::Original { row: r } | Origin::Replica { row: r } => {
                assert_eq!(row, d.x.row(r), "kept/replicated row {r} changed");
                assert_eq!(out.y[i].to_bits(), d.y[r].to_bits());
            }
            Origin::Interpolated {
                seed,
                neighbour,
                gap,
            } => {
                assert!((0.0..1.0).contains(&gap));
                assert!(d.phi[seed] >= 0.5 && d.phi[neighbour] >= 0.5);
                let (xs, xn) = (d.x.row(seed), d.x.row(neighbour));
                for j in cont(d) {
                    let want = xs[j] + gap * (xn[j] - xs[j]);
                    assert!((row[j] - want).abs() <= 1e-12 * (1.0 + want.abs()));
                    let (lo, hi) = (xs[j].min(xn[j]), xs[j].max(xn[j]));
                    assert!(row[j] >= lo - 1e-12 && row[j] <= hi + 1e-12);
                }
                for g in d.layout.nominal() {
                    let got: Vec<f64> = g.clone().map(|j| row[j]).collect();
                    let s: Vec<f64> = g.clone().map(|j| xs[j]).collect();
                    let n: Vec<f64> = g.clone().map(|j| xn[j]).collect();
                    assert!(got == s || got == n);
                }
                let (lo, hi) = (d.y[seed].min(d.y[neighbour]), d.y[seed].max(d.y[neighbour]));
                assert!(out.y[i] >= lo && out.y[i] <= hi);
            }
            Origin::Noise { seed, .. } => {
                let xs = d.x.row(seed);
                // σ of a column over any subset is at most its range over all rows.
                for j in cont(d) {
                    let col = d.x.column(j);
                    let range = col.fold(f64::NEG_INFINITY, |a, &b| a.max(b))
                        - col.fold(f64::INFINITY, |a, &b| a.min(b));
                    assert!((row[j] - xs[j]).abs() <= NOISE_TRUNCATION * 0.02 * range + 1e-12);
                }
                for g in d.layout.nominal() {
                    for j in g.clone() {
                        assert_eq!(row[j], xs[j]);
                    }
                }
                let yr = d.y.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
                    - d.y.iter().cloned().fold(f64::INFINITY, f64::min);
                assert!((out.y[i] - d.y[seed]).abs() <= NOISE_TRUNCATION * 0.02 * yr + 1e-12);
            }
        }
    }
}

/// Balance for SMOTER/SMOGN: every rare region ends with max(size, b) rows, every normal one
/// with min(size, b), b = round(N / regions).
fn check_balance(d: &Data, out: &Resampled) {
    let b = (d.y.len() as f64 / out.regions.len() as f64).round() as usize;
    for r in &out.regions {
        let want = if r.rare {
            r.before.max(b)
        } else {
            r.before.min(b)
        };
        assert_eq!(r.after, want, "{r:?}");
        if !r.rare {
            assert_eq!(r.synthetic, 0);
        }
    }
}

fn bits(out: &Resampled) -> (Vec<u64>, Vec<u64>) {
    (
        out.x.iter().map(|v| v.to_bits()).collect(),
        out.y.iter().map(|v| v.to_bits()).collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn smoter_rows_on_segments(n in 20usize..120, dim in 1usize..5, cats in 0usize..4,
                               seed in any::<u64>(), two in any::<bool>(), k in 1usize..6) {
        let d = data(n, dim, cats, seed, two);
        let n_rare = d.phi.iter().filter(|&&p| p >= 0.5).count();
        let k = k.min(n_rare - 1);
        let out = run(&d, ResampleParams::new(Method::Smoter { k }).seed(seed ^ 1));
        check_common(&d, &out);
        check_balance(&d, &out);
        let no_noise = out.origin.iter().all(|o| !matches!(o, Origin::Noise { .. }));
        prop_assert!(no_noise);
    }

    #[test]
    fn smogn_rows_bounded(n in 40usize..120, dim in 1usize..5, cats in 0usize..4,
                          seed in any::<u64>(), two in any::<bool>()) {
        let d = data(n, dim, cats, seed, two);
        for safe in [SafeDistance::Region, SafeDistance::Neighbours] {
            let m = Method::Smogn { k: 5, pert: 0.02, safe };
            let out = run(&d, ResampleParams::new(m).seed(seed));
            check_common(&d, &out);
            check_balance(&d, &out);
        }
    }

    #[test]
    fn seeds_reproduce_and_differ(n in 30usize..100, seed in any::<u64>()) {
        let d = data(n, 3, 3, seed, false);
        // Random over-sampling by a whole factor has nothing random to choose: 2.5.
        let factors = Amount::Factors { normal: 1.0, rare: 2.5 };
        for m in [Method::smoter(), Method::smogn(), Method::RandomUnder, Method::RandomOver,
                  Method::wercs()] {
            let params = |s: u64| {
                let p = ResampleParams::new(m.clone()).seed(s);
                if m == Method::RandomOver { p.amount(factors.clone()) } else { p }
            };
            let a = run(&d, params(seed));
            let b = run(&d, params(seed));
            prop_assert_eq!(bits(&a), bits(&b));
            prop_assert_eq!(&a.origin, &b.origin);
            // Different seeds differ (three seeds, so that a chance repeat of a small random
            // choice does not fail the test).
            let c = run(&d, params(seed.wrapping_add(1)));
            let e = run(&d, params(seed.wrapping_add(2)));
            prop_assert!(a.origin != c.origin || a.origin != e.origin, "{}", m.name());
        }
    }

    #[test]
    fn searches_agree(n in 20usize..100, seed in any::<u64>()) {
        let d = data(n, 2, 2, seed, true);
        let base = run(&d, ResampleParams::new(Method::smogn()).seed(3));
        for s in [NeighbourSearch::KdTree, NeighbourSearch::BallTree, NeighbourSearch::BruteForce] {
            let o = run(&d, ResampleParams::new(Method::smogn()).seed(3).search(s));
            prop_assert_eq!(bits(&base), bits(&o));
        }
    }

    #[test]
    fn random_counts(n in 10usize..200, seed in any::<u64>(), normal in 0.05f64..1.0,
                     rare in 1.0f64..4.0) {
        let d = data(n, 2, 0, seed, true);
        let n_rare = d.phi.iter().filter(|&&p| p >= 0.5).count();
        let n_normal = n - n_rare;
        let under = run(&d, ResampleParams::new(Method::RandomUnder).seed(seed));
        check_common(&d, &under);
        // Normal regions shrink by the same factor towards the rare total.
        let f = n_rare as f64 / n_normal as f64;
        for r in &under.regions {
            let want = if r.rare { r.before } else {
                ((f * r.before as f64).round() as usize).min(r.before)
            };
            prop_assert_eq!(r.after, want);
        }
        let over = run(&d, ResampleParams::new(Method::RandomOver).seed(seed));
        check_common(&d, &over);
        let f = n_normal as f64 / n_rare as f64;
        for r in &over.regions {
            let want = if !r.rare { r.before } else {
                ((f * r.before as f64).round() as usize).max(r.before)
            };
            prop_assert_eq!(r.after, want);
        }
        let amount = Amount::Factors { normal, rare };
        for m in [Method::smoter(), Method::smogn()] {
            if n_rare <= 5 { continue; }
            let o = run(&d, ResampleParams::new(m).amount(amount.clone()).seed(seed));
            check_common(&d, &o);
            for r in &o.regions {
                let f = if r.rare { rare } else { normal };
                prop_assert_eq!(r.after, (f * r.before as f64).round() as usize);
            }
        }
    }

    #[test]
    fn wercs_counts(n in 10usize..200, seed in any::<u64>(), over in 0.0f64..1.0,
                    under in 0.0f64..1.0) {
        let d = data(n, 2, 2, seed, false);
        let out = run(&d, ResampleParams::new(Method::Wercs { over, under }).seed(seed));
        check_common(&d, &out);
        let removable = d.phi.iter().filter(|&&p| p < 1.0).count();
        let removed = ((under * n as f64).round() as usize).min(removable);
        let replicas = (over * n as f64).round() as usize;
        prop_assert_eq!(out.y.len(), n - removed + replicas);
        // Rows with φ = 1 are never removed; rows with φ = 0 never replicated.
        for (i, &p) in d.phi.iter().enumerate() {
            if p == 1.0 {
                let kept = out.origin.contains(&Origin::Original { row: i });
                prop_assert!(kept);
            }
            if p == 0.0 {
                let copied = out.origin.contains(&Origin::Replica { row: i });
                prop_assert!(!copied);
            }
        }
    }
}

/// 1, 2 and 4 threads give the same bits (per-row RNG streams, no shared RNG).
#[test]
fn thread_count_independent() {
    let d = data(3000, 6, 4, 11, true);
    for m in [
        Method::smoter(),
        Method::smogn(),
        Method::RandomOver,
        Method::wercs(),
    ] {
        for s in [NeighbourSearch::KdTree, NeighbourSearch::BruteForce] {
            let outs: Vec<Resampled> = [1, 2, 4]
                .iter()
                .map(|&t| {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(t)
                        .build()
                        .unwrap();
                    pool.install(|| run(&d, ResampleParams::new(m.clone()).seed(5).search(s)))
                })
                .collect();
            assert!(outs[0].origin.iter().any(|o| o.source() < d.y.len()));
            for o in &outs[1..] {
                assert_eq!(bits(&outs[0]), bits(o), "{} {s:?}", m.name());
                assert_eq!(outs[0].origin, o.origin);
            }
        }
    }
}
