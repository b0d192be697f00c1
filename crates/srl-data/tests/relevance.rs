//! The relevance function φ and the SERA metrics of `srl_data::relevance`: hand-computed
//! cases, invariants (proptest), typed errors for the degenerate cases, and reference values
//! from the Python packages `smogn` 0.1.2 and `imbalance-metrics` 0.0.6 on shared tables
//! (`tests/fixtures/relevance/reference.json`, made by `make.py` there; see its README).

use proptest::prelude::*;
use srl_data::relevance::{
    BoxPlot, ControlPoint, Extremes, Relevance, RelevanceMethod, RelevanceParams, RelevanceProblem,
};
use srl_data::DataError;
use std::path::PathBuf;

/// φ of the Hermite cubic on one segment, written in Bernstein (Bézier) form — a formula
/// independent of the one in the crate: control values φ0, φ0 + h·m0/3, φ1 − h·m1/3, φ1.
fn bezier(y0: f64, p0: f64, m0: f64, y1: f64, p1: f64, m1: f64, y: f64) -> f64 {
    let h = y1 - y0;
    let s = (y - y0) / h;
    let (b0, b1, b2, b3) = (p0, p0 + h * m0 / 3.0, p1 - h * m1 / 3.0, p1);
    let r = 1.0 - s;
    r * r * r * b0 + 3.0 * r * r * s * b1 + 3.0 * r * s * s * b2 + s * s * s * b3
}

fn manual(points: &[(f64, f64, f64)]) -> Result<Relevance, DataError> {
    RelevanceParams::manual(
        points
            .iter()
            .map(|&(y, p, m)| ControlPoint::new(y, p, m))
            .collect(),
    )
    .fit(&[])
}

fn problem(e: DataError) -> RelevanceProblem {
    match e {
        DataError::Relevance { problem, .. } => problem,
        other => panic!("expected DataError::Relevance, got {other:?}"),
    }
}

#[test]
fn zero_slopes_give_smoothstep_and_reproduce_control_points() {
    // (0, 0), (10, 1), (20, 0.25): each segment is φ_k + Δφ(3s² − 2s³).
    let r = manual(&[(0.0, 0.0, 0.0), (10.0, 1.0, 0.0), (20.0, 0.25, 0.0)]).unwrap();
    assert_eq!(r.phi(0.0), 0.0);
    assert_eq!(r.phi(10.0), 1.0);
    assert_eq!(r.phi(20.0), 0.25);
    // s = 0.25: 3/16 − 2/64 = 0.15625
    assert!((r.phi(2.5) - 0.15625).abs() < 1e-15);
    // second segment, s = 0.5: 1 − 0.75·0.5
    assert!((r.phi(15.0) - 0.625).abs() < 1e-15);
    // clamped outside the control points (no extrapolation)
    assert_eq!(r.phi(-1e9), 0.0);
    assert_eq!(r.phi(1e9), 0.25);
    assert!(r.phi(f64::NAN).is_nan());
    assert_eq!(r.slopes(), &[0.0, 0.0, 0.0]);
}

#[test]
fn given_slopes_inside_the_monotone_region_are_kept() {
    // δ = 1, α = 0, β = 0.5: inside the region, slopes unchanged.
    let r = manual(&[(0.0, 0.0, 0.0), (1.0, 1.0, 0.5)]).unwrap();
    assert_eq!(r.slopes(), &[0.0, 0.5]);
    // h01(½) + h11(½)·0.5 = 0.5 − 0.125·0.5 = 0.4375
    assert!((r.phi(0.5) - 0.4375).abs() < 1e-15);
    for y in [0.1, 0.3, 0.77, 0.95] {
        let want = bezier(0.0, 0.0, 0.0, 1.0, 1.0, 0.5, y);
        assert!((r.phi(y) - want).abs() < 1e-15, "y {y}");
    }
    // α = β = 3 is on the boundary (α(a + b) = a²): kept.
    let r = manual(&[(0.0, 0.0, 3.0), (1.0, 1.0, 3.0)]).unwrap();
    assert_eq!(r.slopes(), &[3.0, 3.0]);
}

#[test]
fn fritsch_carlson_scales_slopes_outside_the_region() {
    // α = β = 4: a = b = 9, α(a + b) = 72 < 81 → both scaled by 3/√32, to 3/√2.
    let r = manual(&[(0.0, 0.0, 4.0), (1.0, 1.0, 4.0)]).unwrap();
    let m = 3.0 / 2f64.sqrt();
    assert!((r.slopes()[0] - m).abs() < 1e-15 && (r.slopes()[1] - m).abs() < 1e-15);
    for y in [0.05, 0.25, 0.5, 0.75, 0.99] {
        let want = bezier(0.0, 0.0, m, 1.0, 1.0, m, y);
        assert!((r.phi(y) - want).abs() < 1e-14, "y {y}");
    }
    // The unadjusted cubic (Bézier values 0, 4/3, −1/3, 1) overshoots 1; the adjusted one is
    // monotone.
    assert!(bezier(0.0, 0.0, 4.0, 1.0, 1.0, 4.0, 0.3) > bezier(0.0, 0.0, 4.0, 1.0, 1.0, 4.0, 0.6));
    let ys: Vec<f64> = (0..=200).map(|i| i as f64 / 200.0).collect();
    let phis = r.phi_all(&ys);
    assert!(phis.windows(2).all(|w| w[1] >= w[0]));
    // A flat segment forces zero slopes at both its ends.
    let r = manual(&[(0.0, 0.5, 0.0), (1.0, 0.5, 0.0), (2.0, 1.0, 0.7)]).unwrap();
    assert_eq!(r.slopes(), &[0.0, 0.0, 0.7]);
}

#[test]
fn automatic_rule_on_a_small_sample() {
    // n = 10: hinges at positions 3 and 8 (Tukey), 11 and 16; IQR 5; fences 3.5 and 23.5.
    let y = [0.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 23.0];
    let b = BoxPlot::of(&y, 1.5).unwrap();
    assert_eq!((b.hinge_lo, b.median, b.hinge_hi), (11.0, 13.5, 16.0));
    assert_eq!(
        (b.whisker_lo, b.whisker_hi, b.n_low, b.n_high),
        (10.0, 23.0, 1, 0)
    );
    let r = RelevanceParams::default().fit(&y).unwrap();
    let pts = r.control_points();
    assert_eq!(
        pts,
        &[
            ControlPoint::new(10.0, 1.0, 0.0),
            ControlPoint::new(13.5, 0.0, 0.0),
            ControlPoint::new(23.0, 0.0, 0.0),
        ]
    );
    assert_eq!(r.phi(0.0), 1.0);
    assert_eq!(r.phi(23.0), 0.0);
    // Only high extremes requested: there are none → typed error that suggests `low`/`both`.
    let e = RelevanceParams::auto(Extremes::High).fit(&y).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("--extremes low") && msg.contains("manual"),
        "{msg}"
    );
    assert!(matches!(
        problem(e),
        RelevanceProblem::NoExtremes {
            extremes: Extremes::High,
            n_low: 1,
            n_high: 0
        }
    ));
    // Low only: same points as both.
    let low = RelevanceParams::auto(Extremes::Low).fit(&y).unwrap();
    assert_eq!(low.control_points(), pts);
    // A larger coef moves the fences out: no extremes left.
    let p = RelevanceParams {
        method: RelevanceMethod::Auto {
            extremes: Extremes::Both,
            coef: 3.0,
        },
    };
    assert!(matches!(
        problem(p.fit(&y).unwrap_err()),
        RelevanceProblem::NoExtremes { .. }
    ));
}

#[test]
fn median_at_the_minimum_is_not_repeated() {
    // More than half zeros (as forest-fires `area`): min = median = 0.
    let y = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 50.0];
    let r = RelevanceParams::default().fit(&y).unwrap();
    let b = r.box_plot().unwrap();
    assert_eq!((b.median, b.min, b.n_high), (0.0, 0.0, 1));
    assert_eq!(
        r.control_points(),
        &[
            ControlPoint::new(0.0, 0.0, 0.0),
            ControlPoint::new(3.0, 1.0, 0.0)
        ]
    );
}

#[test]
fn degenerate_inputs_are_typed_errors() {
    let auto = RelevanceParams::default();
    let p = |y: &[f64]| problem(auto.fit(y).unwrap_err());
    assert!(matches!(
        p(&[1.0, 2.0, f64::NAN, 4.0, 5.0]),
        RelevanceProblem::NonFinite { index: 2, .. }
    ));
    assert!(matches!(
        p(&[1.0, f64::INFINITY, 3.0, 4.0, 5.0]),
        RelevanceProblem::NonFinite { index: 1, .. }
    ));
    assert!(matches!(
        p(&[1.0, 2.0, 3.0, 4.0]),
        RelevanceProblem::TooFewRows { rows: 4 }
    ));
    assert!(matches!(p(&[]), RelevanceProblem::TooFewRows { rows: 0 }));
    assert!(matches!(
        p(&[7.0; 20]),
        RelevanceProblem::ConstantTarget { value } if value == 7.0
    ));
    // Symmetric data, no value beyond the fences.
    let e = auto.fit(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap_err();
    assert!(e.to_string().contains("relevance 0"), "{e}");
    // IQR 0: the whiskers sit on the median.
    assert!(matches!(
        p(&[0.0, 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 9.0]),
        RelevanceProblem::CollapsedBoxPlot { .. }
    ));
    for coef in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let params = RelevanceParams {
            method: RelevanceMethod::Auto {
                extremes: Extremes::Both,
                coef,
            },
        };
        assert!(matches!(
            problem(params.check().unwrap_err()),
            RelevanceProblem::Coef { .. }
        ));
    }
    // Manual control points.
    let bad = |pts: &[(f64, f64, f64)]| {
        let e = manual(pts).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(problem(e), RelevanceProblem::ControlPoints { .. }));
        msg
    };
    assert!(bad(&[(0.0, 1.0, 0.0)]).contains("at least 2"));
    assert!(bad(&[(1.0, 0.0, 0.0), (0.0, 1.0, 0.0)]).contains("strictly increasing"));
    assert!(bad(&[(1.0, 0.0, 0.0), (1.0, 1.0, 0.0)]).contains("strictly increasing"));
    assert!(bad(&[(0.0, 0.0, 0.0), (1.0, 1.5, 0.0)]).contains("outside [0, 1]"));
    assert!(bad(&[(0.0, -0.1, 0.0), (1.0, 1.0, 0.0)]).contains("outside [0, 1]"));
    assert!(bad(&[(0.0, 0.0, 0.0), (1.0, f64::NAN, 0.0)]).contains("not finite"));
    assert!(bad(&[(0.0, 0.0, 0.0), (1.0, 0.0, 0.0)]).contains("φ = 0"));
    // Slope against the segment, and a non-zero slope at a peak.
    assert!(bad(&[(0.0, 0.0, 0.0), (1.0, 1.0, -0.5)]).contains("monotone"));
    assert!(bad(&[(0.0, 0.0, 0.0), (1.0, 1.0, 0.2), (2.0, 0.0, 0.0)]).contains("peak"));
}

#[test]
fn serde_round_trip_and_validation_on_read() {
    let y = [0.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 23.0];
    let r = RelevanceParams::default().fit(&y).unwrap();
    let json = serde_json::to_string(&r).unwrap();
    let back: Relevance = serde_json::from_str(&json).unwrap();
    assert_eq!(back, r);
    assert_eq!(back.phi(11.0), r.phi(11.0));
    let m = manual(&[(0.0, 0.0, 4.0), (1.0, 1.0, 4.0)]).unwrap();
    let back: Relevance = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(back.slopes(), m.slopes());
    // A file edited into nonsense is refused on read.
    let tampered = json.replace("\"y\":23.0", "\"y\":1.0");
    assert_ne!(tampered, json);
    let e = serde_json::from_str::<Relevance>(&tampered).unwrap_err();
    assert!(e.to_string().contains("strictly increasing"), "{e}");
}

// ---------------------------------------------------------------------------------------------
// Invariants.

/// Checks φ ∈ [0, 1], φ(y_k) = φ_k and monotonicity on every segment.
fn check_invariants(r: &Relevance) -> Result<(), TestCaseError> {
    let pts = r.control_points();
    for c in pts {
        prop_assert_eq!(r.phi(c.y), c.phi);
    }
    for w in pts.windows(2) {
        let ys: Vec<f64> = (0..=64)
            .map(|i| w[0].y + (w[1].y - w[0].y) * i as f64 / 64.0)
            .collect();
        let phis = r.phi_all(&ys);
        let up = w[1].phi >= w[0].phi;
        for p in phis.windows(2) {
            prop_assert!((0.0..=1.0).contains(&p[0]));
            let step = p[1] - p[0];
            prop_assert!(
                if up { step >= -1e-12 } else { step <= 1e-12 },
                "not monotone on [{}, {}]: {:?}",
                w[0].y,
                w[1].y,
                p
            );
        }
        let lo = w[0].phi.min(w[1].phi) - 1e-12;
        let hi = w[0].phi.max(w[1].phi) + 1e-12;
        prop_assert!(phis.iter().all(|&p| (lo..=hi).contains(&p)));
    }
    Ok(())
}

/// Valid manual control points: increasing y, φ ∈ [0, 1], slopes of the right sign (0 at
/// peaks, valleys and next to flat segments).
fn manual_points() -> impl Strategy<Value = Vec<ControlPoint>> {
    prop::collection::vec(
        (0.01f64..10.0, 0.0f64..=1.0, 0.0f64..8.0, any::<bool>()),
        2..7,
    )
    .prop_map(|raw| {
        let mut y = -5.0;
        let mut pts: Vec<ControlPoint> = raw
            .iter()
            .map(|&(gap, phi, _, snap)| {
                y += gap;
                // Snap some φ to 0 or 1 to get flat segments and plateaus.
                let phi = if snap { phi.round() } else { phi };
                ControlPoint::new(y, phi, 0.0)
            })
            .collect();
        for i in 0..pts.len() {
            let before = (i > 0).then(|| pts[i].phi - pts[i - 1].phi);
            let after = pts.get(i + 1).map(|q| q.phi - pts[i].phi);
            let signs: Vec<f64> = [before, after].into_iter().flatten().collect();
            let same = signs
                .iter()
                .all(|&d| d != 0.0 && d.signum() == signs[0].signum());
            if same {
                pts[i].slope = signs[0].signum() * raw[i].2;
            }
        }
        pts
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn manual_phi_invariants(pts in manual_points()) {
        prop_assume!(pts.iter().any(|p| p.phi > 0.0));
        let r = RelevanceParams::manual(pts).fit(&[]).unwrap();
        check_invariants(&r)?;
    }

    #[test]
    fn auto_phi_invariants(
        body in prop::collection::vec(-3.0f64..3.0, 5..60),
        tail in prop::collection::vec(5.0f64..40.0, 0..4),
        low_tail in prop::collection::vec(-40.0f64..-5.0, 0..4),
        which in 0usize..3,
    ) {
        let y: Vec<f64> = body.iter().chain(&tail).chain(&low_tail).copied().collect();
        let extremes = [Extremes::High, Extremes::Low, Extremes::Both][which];
        match RelevanceParams::auto(extremes).fit(&y) {
            Ok(r) => {
                check_invariants(&r)?;
                for &v in &y {
                    prop_assert!((0.0..=1.0).contains(&r.phi(v)));
                }
                prop_assert!(r.control_points().iter().any(|c| c.phi == 1.0));
                prop_assert_eq!(r.phi(r.box_plot().unwrap().median), 0.0);
            }
            Err(e) => {
                let ok = matches!(
                    problem(e),
                    RelevanceProblem::NoExtremes { .. } | RelevanceProblem::CollapsedBoxPlot { .. }
                );
                prop_assert!(ok);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reference values from the Python packages (fixtures/relevance/reference.json).

fn reference() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/relevance/reference.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn f64s(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn triples(v: &serde_json::Value) -> Vec<ControlPoint> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let t = f64s(t);
            ControlPoint::new(t[0], t[1], t[2])
        })
        .collect()
}

/// The shared data folder with the tables, or `None` (a skip line; a failure under CI).
fn tables() -> Option<PathBuf> {
    srl_data::datadir::data_for_test("relevance", "tables")
}

/// The target column of a shared table, read the way its SOURCE.md describes.
fn target(dir: &std::path::Path, file: &str, column: &serde_json::Value) -> Vec<f64> {
    let text = std::fs::read_to_string(dir.join(file)).unwrap();
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let split = |l: &str| -> Vec<String> {
        if file.ends_with(".data") {
            l.split_whitespace().map(str::to_string).collect()
        } else {
            let sep = if file.contains("winequality") {
                ';'
            } else {
                ','
            };
            l.split(sep)
                .map(|f| f.trim_matches('"').to_string())
                .collect()
        }
    };
    let index = match column {
        serde_json::Value::Number(n) => n.as_u64().unwrap() as usize,
        serde_json::Value::String(name) => {
            let header = split(lines.next().unwrap());
            header.iter().position(|h| h == name).unwrap()
        }
        _ => panic!("column {column}"),
    };
    lines.map(|l| split(l)[index].parse().unwrap()).collect()
}

/// Tolerance for φ against smogn: both evaluate the same cubic, in different algebraic forms
/// (smogn: nested power form a + s(b + s(c + s·d)); here: Hermite basis), so the values
/// differ by rounding only (observed ≤ 4e-16).
const PHI_TOL: f64 = 1e-12;

#[test]
fn phi_matches_smogn_on_shared_tables() {
    let Some(dir) = tables() else { return };
    let reference = reference();
    for case in reference["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let y = target(&dir, case["file"].as_str().unwrap(), &case["column"]);
        assert_eq!(y.len() as u64, case["rows"].as_u64().unwrap(), "{name}");
        let r = RelevanceParams::default().fit(&y).unwrap();
        assert_eq!(
            r.control_points(),
            triples(&case["control_points"]).as_slice(),
            "{name}"
        );
        for row in case["phi_rows"].as_array().unwrap() {
            let row = f64s(row);
            let i = row[0] as usize;
            assert_eq!(y[i], row[1], "{name} row {i}");
            let d = (r.phi(y[i]) - row[2]).abs();
            assert!(
                d <= PHI_TOL,
                "{name} row {i}: {} vs {}",
                r.phi(y[i]),
                row[2]
            );
        }
        for g in case["phi_grid"].as_array().unwrap() {
            let g = f64s(g);
            assert!((r.phi(g[0]) - g[1]).abs() <= PHI_TOL, "{name} at {}", g[0]);
        }
    }
}

#[test]
fn manual_points_reproduce_smogn_grids_without_the_data() {
    // The same comparison on the grids alone (runs without the shared tables).
    let reference = reference();
    for case in reference["cases"].as_array().unwrap() {
        let r = RelevanceParams::manual(triples(&case["control_points"]))
            .fit(&[])
            .unwrap();
        for g in case["phi_grid"].as_array().unwrap() {
            let g = f64s(g);
            assert!((r.phi(g[0]) - g[1]).abs() <= PHI_TOL);
        }
    }
}

#[test]
fn smogn_box_plot_differs_from_r_hinges_when_n_is_2_mod_4() {
    // smogn takes numpy's midpoint quartiles (11.5, 15.5 here) for the hinges; UBL/IRon use
    // R's boxplot.stats (Tukey's hinges 11, 16). We follow R: 23 is no extreme.
    let reference = reference();
    let h = &reference["hinges"];
    let y = f64s(&h["y"]);
    let r = RelevanceParams::default().fit(&y).unwrap();
    assert_eq!(
        r.control_points(),
        triples(&h["r_control_points"]).as_slice()
    );
    assert_ne!(
        r.control_points(),
        triples(&h["smogn_control_points"]).as_slice()
    );
    let smogn = f64s(&h["smogn_phi"]);
    assert_eq!(smogn[9], 1.0);
    assert_eq!(r.phi(23.0), 0.0);
    // Given smogn's control points, our interpolation reproduces smogn's φ.
    let theirs = RelevanceParams::manual(triples(&h["smogn_control_points"]))
        .fit(&[])
        .unwrap();
    for (&v, &p) in y.iter().zip(&smogn) {
        assert!((theirs.phi(v) - p).abs() <= PHI_TOL, "{v}");
    }
}

#[test]
fn below_the_first_control_point_phi_is_clamped_not_one() {
    // smogn's pchip_val returns 1 for every y below the first control point; the definition
    // (and this crate) clamps to φ(y_0), here 0 at the yacht minimum 0.01.
    let reference = reference();
    let b = &reference["below_range"];
    let case = &reference["cases"][0];
    assert_eq!(case["name"], "yacht");
    let r = RelevanceParams::manual(triples(&case["control_points"]))
        .fit(&[])
        .unwrap();
    for (&y, &theirs) in f64s(&b["y"]).iter().zip(&f64s(&b["smogn_phi"])) {
        assert_eq!(theirs, 1.0);
        assert_eq!(r.phi(y), 0.0, "{y}");
    }
}

// ---------------------------------------------------------------------------------------------
// SER_t, SERA, φ-weighted errors.

use srl_data::relevance::{ser_t, sera, sera_with_step, RelevanceMetrics, SERA_STEP};

/// SERA by brute force: SER_t recomputed from scratch at every grid point t_j = j·step.
fn naive_sera(pred: &[f64], target: &[f64], phi: &[f64], step: f64) -> f64 {
    let n = (1.0 / step + 1e-10).floor() as usize;
    let ser = |t: f64| -> f64 {
        (0..pred.len())
            .filter(|&i| phi[i] >= t)
            .map(|i| (pred[i] - target[i]).powi(2))
            .sum()
    };
    (1..=n)
        .map(|j| {
            let (a, b) = (((j - 1) as f64 * step).min(1.0), (j as f64 * step).min(1.0));
            step * (ser(a) + ser(b)) / 2.0
        })
        .sum()
}

#[test]
fn sera_by_hand() {
    // errors² 1, 4, 9 at φ 0, 0.5, 1: SER_t = 14 (t = 0), 13 (0 < t ≤ 0.5), 9 (t > 0.5).
    let (pred, target, phi) = ([1.0, 2.0, 5.0], [0.0, 0.0, 2.0], [0.0, 0.5, 1.0]);
    // Exact integral 0.5·13 + 0.5·9 = 11; trapezoids at the two jumps add 0.0005 + 0.002.
    let s = sera(&pred, &target, &phi).unwrap();
    assert!((s - 11.0025).abs() < 1e-9, "{s}");
    assert!((s - naive_sera(&pred, &target, &phi, SERA_STEP)).abs() < 1e-9);
    // step 0.25: t = 0, .25, .5, .75, 1 → SER 14, 13, 13, 9, 9.
    let s = sera_with_step(&pred, &target, &phi, 0.25).unwrap();
    assert!((s - 0.25 * (13.5 + 13.0 + 11.0 + 9.0)).abs() < 1e-12, "{s}");
    // step 0.3: grid 0, .3, .6, .9 (stops below 1, as R's seq does).
    let s = sera_with_step(&pred, &target, &phi, 0.3).unwrap();
    assert!((s - 0.3 * (13.5 + 11.0 + 9.0)).abs() < 1e-12, "{s}");
    assert!(sera_with_step(&pred, &target, &phi, 0.0).is_err());
    assert!(sera_with_step(&pred, &target, &phi, 1.5).is_err());
    assert_eq!(ser_t(&pred, &target, &phi, 0.5).unwrap(), 13.0);
    assert_eq!(ser_t(&pred, &target, &phi, 1.1).unwrap(), 0.0);
}

#[test]
fn relevance_metrics_by_hand_and_bad_input() {
    let rel = manual(&[(0.0, 0.0, 0.0), (10.0, 1.0, 0.0)]).unwrap();
    // φ(0) = 0, φ(2.5) = 0.15625, φ(10) = 1, φ(20) = 1; errors 4, 1, 2, 0.
    let target = [0.0, 2.5, 10.0, 20.0];
    let pred = [4.0, 1.5, 8.0, 20.0];
    let m = RelevanceMetrics::of(&pred, &target, &rel).unwrap();
    let w = 0.15625 + 1.0 + 1.0;
    assert_eq!((m.count, m.n_relevant), (4, 3));
    assert!((m.phi_mae.unwrap() - (0.15625 * 1.0 + 2.0) / w).abs() < 1e-12);
    assert!((m.phi_mse.unwrap() - (0.15625 * 1.0 + 4.0) / w).abs() < 1e-12);
    let phi = rel.phi_all(&target);
    assert!((m.sera - sera(&pred, &target, &phi).unwrap()).abs() < 1e-12);
    assert_eq!(m.ser_curve.len(), 11);
    assert_eq!(m.ser_curve[0], (0.0, 21.0));
    assert_eq!(m.ser_curve[1], (0.1, 5.0));
    assert_eq!(m.ser_curve[2], (0.2, 4.0));
    assert_eq!(m.ser_curve[10], (1.0, 4.0));
    assert_eq!(
        m,
        RelevanceMetrics::of_phi(&pred, &target, &phi).unwrap(),
        "of and of_phi agree"
    );
    // Serialises to JSON without NaN; a part without relevant targets has null φ-errors.
    let none = RelevanceMetrics::of(&[1.0], &[0.0], &rel).unwrap();
    assert_eq!((none.phi_mae, none.n_relevant), (None, 0));
    let json = serde_json::to_string(&none).unwrap();
    assert!(
        json.contains("\"phi_mae\":null") && !json.contains("NaN"),
        "{json}"
    );
    let empty = RelevanceMetrics::of(&[], &[], &rel).unwrap();
    assert_eq!((empty.count, empty.sera), (0, 0.0));
    // Typed errors.
    assert!(RelevanceMetrics::of(&[1.0], &[1.0, 2.0], &rel).is_err());
    let e = RelevanceMetrics::of(&[f64::NAN], &[1.0], &rel).unwrap_err();
    assert!(e.to_string().contains("predictions"), "{e}");
    let e = RelevanceMetrics::of(&[1.0], &[f64::INFINITY], &rel).unwrap_err();
    assert!(e.to_string().contains("targets"), "{e}");
    assert!(RelevanceMetrics::of_phi(&[1.0], &[1.0], &[1.5]).is_err());
    assert!(RelevanceMetrics::of_phi(&[1.0], &[1.0], &[f64::NAN]).is_err());
    assert!(RelevanceMetrics::of_phi(&[1.0], &[1.0], &[]).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn ser_and_sera_invariants(
        data in prop::collection::vec((-20.0f64..20.0, -5.0f64..5.0, 0.0f64..=1.0, 0usize..4), 0..40),
    ) {
        // A quarter of the samples have φ = 0, a quarter φ = 1.
        let target: Vec<f64> = data.iter().map(|d| d.0).collect();
        let pred: Vec<f64> = data.iter().map(|d| d.0 + d.1).collect();
        let phi: Vec<f64> = data
            .iter()
            .map(|d| match d.3 { 0 => 0.0, 1 => 1.0, _ => d.2 })
            .collect();
        // SER_t is non-increasing in t.
        let curve: Vec<f64> = (0..=100)
            .map(|k| ser_t(&pred, &target, &phi, k as f64 / 100.0).unwrap())
            .collect();
        prop_assert!(curve.windows(2).all(|w| w[1] <= w[0]));
        let m = RelevanceMetrics::of_phi(&pred, &target, &phi).unwrap();
        prop_assert!(m.ser_curve.windows(2).all(|w| w[1].1 <= w[0].1));
        // SERA ≥ 0 and equals the brute-force trapezoid sum.
        let s = sera(&pred, &target, &phi).unwrap();
        prop_assert!(s >= 0.0);
        prop_assert!((s - m.sera).abs() <= 1e-12 * (1.0 + s));
        let naive = naive_sera(&pred, &target, &phi, SERA_STEP);
        prop_assert!((s - naive).abs() <= 1e-9 * (1.0 + naive), "{} vs {}", s, naive);
        // Exact predictions wherever φ > 0: SERA reduces to the first trapezoid's share of
        // the φ = 0 errors, step/2 · Σ e²; exact everywhere: 0.
        let fixed: Vec<f64> = pred
            .iter()
            .zip(&target)
            .zip(&phi)
            .map(|((&p, &t), &f)| if f > 0.0 { t } else { p })
            .collect();
        let zero_sq: f64 = fixed.iter().zip(&target).map(|(p, t)| (p - t) * (p - t)).sum();
        let s0 = sera(&fixed, &target, &phi).unwrap();
        prop_assert!((s0 - SERA_STEP / 2.0 * zero_sq).abs() <= 1e-12 * (1.0 + zero_sq));
        prop_assert_eq!(sera(&target, &target, &phi).unwrap(), 0.0);
        // A wrong prediction on a target with φ > 0 makes SERA positive.
        if let Some(i) = phi.iter().position(|&f| f > 0.0) {
            let mut one = target.clone();
            one[i] += 1.0;
            prop_assert!(sera(&one, &target, &phi).unwrap() > 0.0);
        }
        // φ-weighted errors: MAE² ≤ MSE (Jensen), both None iff Σφ = 0.
        match (m.phi_mae, m.phi_mse) {
            (Some(a), Some(b)) => prop_assert!(a * a <= b * (1.0 + 1e-12) + 1e-300),
            (None, None) => prop_assert!(phi.iter().all(|&f| f == 0.0)),
            _ => prop_assert!(false, "phi_mae and phi_mse disagree"),
        }
    }
}

/// SERA against imbalance-metrics 0.0.6: same grid and rule; the sums are accumulated in a
/// different order (imbalance-metrics: per threshold, then per trapezoid), so agreement is to
/// rounding, checked at a relative 1e-9 (SERA here is ~622; observed difference 1e-12, i.e.
/// 2e-15 relative).
#[test]
fn sera_matches_imbalance_metrics_on_yacht() {
    let Some(dir) = tables() else { return };
    let reference = reference();
    let case = &reference["cases"][0];
    assert_eq!(case["name"], "yacht");
    let s = &reference["sera"];
    let y = target(&dir, case["file"].as_str().unwrap(), &case["column"]);
    let pred = f64s(&s["pred"]);
    let rel = RelevanceParams::default().fit(&y).unwrap();
    let m = RelevanceMetrics::of(&pred, &y, &rel).unwrap();
    let close = |ours: f64, theirs: &serde_json::Value, what: &str| {
        let theirs = theirs.as_f64().unwrap();
        assert!(
            (ours - theirs).abs() <= 1e-9 * theirs.abs().max(1.0),
            "{what}: ours {ours}, imbalance-metrics {theirs}"
        );
    };
    close(m.sera, &s["sera_step_0.001"], "SERA step 0.001");
    let phi = rel.phi_all(&y);
    close(
        sera_with_step(&pred, &y, &phi, 0.01).unwrap(),
        &s["sera_step_0.01"],
        "SERA step 0.01",
    );
    close(m.phi_mae.unwrap(), &s["phi_mae"], "φ-MAE");
    close(m.phi_mse.unwrap(), &s["phi_mse"], "φ-MSE");
    for pair in s["ser_t"].as_array().unwrap() {
        let t = pair[0].as_f64().unwrap();
        close(
            ser_t(&pred, &y, &phi, t).unwrap(),
            &pair[1],
            &format!("SER_{t}"),
        );
    }
}
