//! What a run reports: per-evaluation log lines, final metrics and the geometry of the learned
//! representation space.

use crate::model::TrainedModel;
use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use srl_data::metrics::{GroupMetrics, ShotMetrics};
use srl_geometry::argmax::PackedPoints;
use srl_geometry::{few_shot_share, normalize_rows, uniformity, TraceStats};

/// One line of `log.jsonl`: training losses averaged since the previous line, validation MAE
/// and the geometry of the surrogate memory at this point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochLog {
    /// Epoch (full-batch mode: iteration), 0-based.
    pub epoch: usize,
    /// Optimisation steps so far.
    pub step: usize,
    /// Learning rate of the last step.
    pub lr: f64,
    /// Mean total training loss (regression + weighted SRL terms).
    pub train_loss: f64,
    /// Mean regression loss (on the standardised target if enabled).
    pub reg: f64,
    /// Mean enveloping loss (unweighted; 0 when SRL is off).
    pub envelope: f64,
    /// Mean homogeneity loss (unweighted).
    pub homogeneity: f64,
    /// Mean centroid contrastive loss (unweighted).
    pub contrastive: f64,
    /// Means of the other methods' unweighted terms since the last line (`ranksim`, `conr`,
    /// `oe_diversity`, `oe_tightness`, Balanced MSE's `sigma`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub terms: std::collections::BTreeMap<String, f64>,
    /// Validation MAE in target units.
    pub val_mae: f64,
    /// Tube coverage (Eq. 3–4) of the current memory table (`None` if undefined).
    pub coverage: Option<f64>,
    /// Soft coverage 1 − L_env of the current memory table: mean over uniform points of the
    /// best cosine to a row. Informative where the hard coverage is ~0 (large d).
    #[serde(default)]
    pub soft_coverage: Option<f64>,
    /// Coefficient of variation of the memory trace's speed ‖Δc‖/Δy (`None` for a collapsed
    /// or empty trace).
    pub speed_cv: Option<f64>,
    /// Arc length Σ‖Δc_k‖ of the memory trace (0 for a collapsed trace).
    #[serde(default)]
    pub arc_length: Option<f64>,
    /// Wall-clock seconds since the start of the run.
    pub seconds: f64,
    /// Total epochs of the run.
    pub total_epochs: usize,
}

/// Geometry of a learned representation space (paper §3 and Table 7). A field is `None`
/// (JSON `null`) where the quantity is undefined, e.g. the speed CV of a collapsed trace.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeometryReport {
    /// Share of uniform sphere points within the ε-tube of the trace of training-bin centroids.
    pub coverage: Option<f64>,
    /// The ε used for `coverage`.
    pub coverage_eps: f64,
    /// Soft coverage (1 − L_env): mean over points of the best cosine to a centroid.
    pub soft_coverage: Option<f64>,
    /// Share of the sphere whose nearest centroid is a few-shot bin (Table 7).
    pub few_shot_share: Option<f64>,
    /// Coefficient of variation of the trace speed (0 = perfectly homogeneous; `None` for a
    /// collapsed trace, whose arc length is 0).
    pub speed_cv: Option<f64>,
    /// Arc length Σ‖Δc_k‖ of the trace of training-bin centroids.
    #[serde(default)]
    pub arc_length: Option<f64>,
    /// Wang–Isola uniformity of the test representations (lower = more uniform).
    pub uniformity: Option<f64>,
}

impl GeometryReport {
    /// The report of a model without a learned representation (gradient-boosted trees):
    /// every quantity undefined.
    pub fn none() -> Self {
        Self {
            coverage: None,
            coverage_eps: 0.0,
            soft_coverage: None,
            few_shot_share: None,
            speed_cv: None,
            arc_length: None,
            uniformity: None,
        }
    }
}

/// Geometry of one centroid table (see [`table_geometry`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableGeometry {
    /// Tube coverage at ε.
    pub coverage: Option<f64>,
    /// 1 − L_env over the non-zero rows.
    pub soft_coverage: Option<f64>,
    /// Speed CV of the trace.
    pub speed_cv: Option<f64>,
    /// Arc length of the trace.
    pub arc_length: Option<f64>,
}

/// The final report of a run (`metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// The benchmark, or the table's name.
    pub benchmark: srl_data::DataName,
    /// The method (`vanilla`, `srl`, `lds+fds`, `srl+ranksim`, … in metrics.json).
    pub method: crate::MethodName,
    /// Training seed.
    pub seed: u64,
    /// Epoch of the model kept (best validation MAE).
    pub best_epoch: usize,
    /// Epochs run.
    pub epochs_run: usize,
    /// Validation metrics of the kept model.
    pub val: ShotMetrics,
    /// Test metrics of the kept model.
    pub test: ShotMetrics,
    /// Geometry of the kept model's representation space.
    pub geometry: GeometryReport,
    /// Wall-clock seconds of the whole run.
    pub seconds_total: f64,
    /// Seconds of optimisation per epoch (evaluation excluded).
    pub seconds_per_epoch: f64,
    /// SERA, the φ-weighted errors and the SER_t curve on the validation and test parts, with
    /// the benchmark's relevance function ([`Benchmark::relevance`](srl_data::Benchmark));
    /// absent when the training targets have no rare values by the box-plot rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevance: Option<RelevanceReport>,
    /// Under a blind-spot or extrapolation protocol: the test metrics on the held-out labels
    /// and on the rest of the test part ([`ProtocolReport`]); absent for the standard
    /// protocol.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<ProtocolReport>,
}

/// The test part of a blind-spot or extrapolation run, in two groups: the rows whose target
/// lies in the removed range (labels never trained on) and the others (labels seen in
/// training). `test` of the [`RunReport`] is over both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProtocolReport {
    /// The protocol (`blind-spot:q0.45..q0.55`, `extrapolation:high:0.1`).
    pub protocol: srl_data::Protocol,
    /// Its removed intervals in target units (closed; JSON `null` for an open end).
    pub removed: Vec<(Option<f64>, Option<f64>)>,
    /// Training rows of the ordinary split in the removed range (taken out).
    pub removed_train: usize,
    /// Validation rows of the ordinary split in the removed range (taken out).
    pub removed_val: usize,
    /// Whether the taken-out rows joined the test part (UCI, tables) or were dropped (IOL).
    pub moved_to_test: bool,
    /// Test metrics on the rows in the removed range.
    pub test_removed: GroupMetrics,
    /// Test metrics on the other test rows.
    pub test_kept: GroupMetrics,
}

impl ProtocolReport {
    /// The report of test predictions `test_pred` (target units, one per test row) on a
    /// benchmark prepared under a protocol; `None` for the standard protocol.
    pub fn of(bench: &srl_data::Benchmark, test_pred: &[f64]) -> Option<Self> {
        let info = bench.protocol.as_ref()?;
        let group = |inside: bool| {
            let pairs: Vec<(f64, f64)> = test_pred
                .iter()
                .zip(&bench.test.y)
                .zip(&info.test_in_removed)
                .filter(|(_, &f)| f == inside)
                .map(|((&p, &y), _)| (p, y))
                .collect();
            GroupMetrics::of(&pairs)
        };
        let finite = |v: f64| v.is_finite().then_some(v);
        Some(Self {
            protocol: info.protocol.clone(),
            removed: info
                .removed
                .intervals
                .iter()
                .map(|&(lo, hi)| (finite(lo), finite(hi)))
                .collect(),
            removed_train: info.removed_train,
            removed_val: info.removed_val,
            moved_to_test: info.moved_to_test,
            test_removed: group(true),
            test_kept: group(false),
        })
    }
}

/// The relevance-based metrics of a run (Ribeiro and Moniz 2020; formulas in
/// [`srl_data::relevance`]): SERA = ∫₀¹ SER_t dt with SER_t = Σ_{φ(y_i) ≥ t} (ŷ_i − y_i)², and
/// the φ-weighted MAE and MSE, per part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelevanceReport {
    /// On the validation part (what `--select sera` compares).
    pub val: srl_data::relevance::RelevanceMetrics,
    /// On the test part (reported, never used to choose).
    pub test: srl_data::relevance::RelevanceMetrics,
}

impl RelevanceReport {
    /// The metrics of validation and test predictions (target units) with the benchmark's
    /// relevance function; `None` when it has none.
    pub fn of(
        bench: &srl_data::Benchmark,
        val_pred: &[f64],
        test_pred: &[f64],
    ) -> Result<Option<Self>, crate::TrainError> {
        let Some(phi) = &bench.relevance else {
            return Ok(None);
        };
        let part = |pred: &[f64], y: &ndarray::Array1<f64>| {
            srl_data::relevance::RelevanceMetrics::of(pred, &y.to_vec(), phi)
        };
        Ok(Some(Self {
            val: part(val_pred, &bench.val.y)?,
            test: part(test_pred, &bench.test.y)?,
        }))
    }
}

/// Normalised per-bin centroids of the rows of `h` (zero rows for bins with no sample):
/// c_k = normalise(mean_{i: b_i = k} h_i/‖h_i‖).
pub fn bin_centroids(h: ArrayView2<f64>, bins: &[usize], num_bins: usize) -> Array2<f64> {
    let (z, _) = normalize_rows(h);
    let mut sums = Array2::<f64>::zeros((num_bins, h.ncols()));
    for (row, &b) in z.axis_iter(Axis(0)).zip(bins) {
        if b < num_bins {
            let mut s = sums.row_mut(b);
            s += &row;
        }
    }
    normalize_rows(sums.view()).0
}

/// Geometry of a representation space from training features (centroids) and test features
/// (uniformity), with sphere `points` for the Monte-Carlo estimates.
pub fn geometry_report(
    train_h: ArrayView2<f64>,
    train_bins: &[usize],
    bin_centres: &[f64],
    few_bins: &[usize],
    test_h: ArrayView2<f64>,
    points: ArrayView2<f64>,
    eps: f64,
) -> GeometryReport {
    let k = bin_centres.len();
    let centroids = bin_centroids(train_h, train_bins, k);
    let table = table_geometry(
        centroids.view(),
        bin_centres,
        &PackedPoints::new(points),
        eps,
    );
    let few = few_shot_share(centroids.view(), points, few_bins).ok();
    // At most ~2000 rows, spread evenly over the test set (IOL's test rows are grouped by
    // function, so the first rows would all come from a few functions); only those are
    // normalised (a copy of all 100,000 IOL test rows was the run's peak memory).
    let stride = test_h.nrows().div_ceil(2000).max(1);
    let (test_z, _) = normalize_rows(test_h.slice(ndarray::s![..;stride, ..]));
    let unif = uniformity(test_z.view(), 2.0).ok();
    GeometryReport {
        coverage: table.coverage,
        coverage_eps: eps,
        soft_coverage: table.soft_coverage,
        few_shot_share: few.filter(|v| v.is_finite()),
        speed_cv: table.speed_cv,
        arc_length: table.arc_length,
        uniformity: unif.filter(|v| v.is_finite()),
    }
}

/// Coverage at ε, soft coverage, speed CV and arc length of a (K×d) centroid table; `None`
/// where undefined (no non-zero row, a collapsed trace, non-finite values).
///
/// Each point's best score max_k ⟨p_j, ĉ_k⟩ over the normalised non-zero rows
/// ([`srl_geometry::nearest_scores`], as [`srl_geometry::coverage()`] computes it; the tables
/// the trainer logs are unit already) is computed once for both statistics: coverage = share
/// of points with a best score > ε (Eq. 3–4), soft coverage = mean best score (1 − L_env of
/// Eq. 1–4). `points` are packed once by the caller ([`PackedPoints::new`]) and reused every
/// epoch.
pub fn table_geometry(
    centroids: ArrayView2<f64>,
    bin_centres: &[f64],
    points: &PackedPoints<f64>,
    eps: f64,
) -> TableGeometry {
    // One pass for both statistics; `None` for an unusable table (empty, non-finite, wrong d).
    let (coverage, soft_coverage) = match srl_geometry::nearest_scores(centroids, points) {
        Err(_) => (None, None),
        Ok(nearest) => {
            let n = nearest.len() as f64;
            let covered = nearest
                .iter()
                .filter(|b| b.is_some_and(|(_, s)| s > eps))
                .count();
            // Every point has a score unless all rows are zero (then no soft coverage).
            let total: Option<f64> = nearest.iter().map(|b| b.map(|(_, s)| s)).sum();
            (Some(covered as f64 / n), total.map(|t| t / n))
        }
    };
    let centres = Array1::from(bin_centres.to_vec());
    let trace = TraceStats::new(centroids, centres.view()).ok();
    let finite = |v: Option<f64>| v.filter(|x| x.is_finite());
    TableGeometry {
        coverage: finite(coverage),
        soft_coverage: finite(soft_coverage),
        speed_cv: finite(trace.as_ref().and_then(|t| t.speed_cv)),
        arc_length: finite(trace.as_ref().map(|t| t.arc_length)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn undefined_geometry_round_trips_through_json_as_null() {
        let g = GeometryReport {
            coverage: Some(0.25),
            coverage_eps: 0.5,
            soft_coverage: None,
            few_shot_share: None,
            speed_cv: None,
            arc_length: Some(0.0),
            uniformity: None,
        };
        let text = serde_json::to_string(&g).unwrap();
        assert!(text.contains("\"speed_cv\":null"), "{text}");
        let back: GeometryReport = serde_json::from_str(&text).unwrap();
        assert_eq!(back, g);
    }

    #[test]
    fn log_lines_of_older_runs_still_parse() {
        // Written before soft coverage and arc length were logged.
        let old = r#"{"epoch":0,"step":1,"lr":0.001,"train_loss":1.0,"reg":1.0,"envelope":0.0,
            "homogeneity":0.0,"contrastive":0.0,"val_mae":2.0,"coverage":0.1,"speed_cv":null,
            "seconds":0.5,"total_epochs":3}"#;
        let line: EpochLog = serde_json::from_str(old).unwrap();
        assert_eq!((line.coverage, line.speed_cv), (Some(0.1), None));
        assert_eq!((line.soft_coverage, line.arc_length), (None, None));
    }

    #[test]
    fn a_collapsed_table_has_zero_arc_length_and_no_speed_cv() {
        let collapsed = array![[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]];
        let points = array![[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]];
        let points = PackedPoints::new(points.view());
        let g = table_geometry(collapsed.view(), &[0.0, 1.0, 2.0], &points, 0.5);
        assert_eq!(g.speed_cv, None);
        assert_eq!(g.arc_length, Some(0.0));
        assert_eq!(g.soft_coverage, Some(0.0)); // best cosines 1, 0, −1, 0
        assert_eq!(g.coverage, Some(0.25));
        let empty = Array2::<f64>::zeros((3, 2));
        let g = table_geometry(empty.view(), &[0.0, 1.0, 2.0], &points, 0.5);
        assert_eq!((g.soft_coverage, g.speed_cv), (None, None));
    }

    /// One pass of the fused kernel gives what the two separate statistics give: coverage as
    /// `srl_geometry::coverage`, soft coverage as the mean of the full product's row maxima.
    #[test]
    fn one_pass_equals_coverage_and_the_full_product() {
        let points = srl_geometry::uniform_sphere_points::<f64>(3001, 6, 3).unwrap();
        let mut table = srl_geometry::uniform_sphere_points::<f64>(9, 6, 4).unwrap();
        table.row_mut(4).fill(0.0); // a never-seen bin
        let centres: Vec<f64> = (0..9).map(f64::from).collect();
        let g = table_geometry(
            table.view(),
            &centres,
            &PackedPoints::new(points.view()),
            0.3,
        );
        let expected = srl_geometry::coverage(table.view(), points.view(), 0.3).unwrap();
        assert_eq!(g.coverage, Some(expected));
        let scores = points.dot(&table.t());
        let soft = scores
            .rows()
            .into_iter()
            .map(|r| r.iter().fold(f64::NEG_INFINITY, |a, &v| a.max(v)))
            .sum::<f64>()
            / 3001.0;
        approx::assert_abs_diff_eq!(g.soft_coverage.unwrap(), soft, epsilon = 1e-12);
    }
}

/// A trained model and its report.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The model kept (best validation MAE).
    pub model: TrainedModel,
    /// Metrics, geometry and timing.
    pub report: RunReport,
    /// The log lines, as written to `log.jsonl`.
    pub log: Vec<EpochLog>,
    /// Test predictions (target units) and representations of the kept model.
    pub test_predictions: Array1<f64>,
    /// See `test_predictions`.
    pub test_features: Array2<f64>,
}
