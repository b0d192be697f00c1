//! What a run reports: per-evaluation log lines, final metrics and the geometry of the learned
//! representation space.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use serde::{Deserialize, Serialize};
use srl_data::metrics::ShotMetrics;
use srl_geometry::{coverage, few_shot_share, normalize_rows, uniformity, TraceStats};

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
    /// Validation MAE in target units.
    pub val_mae: f64,
    /// Tube coverage (Eq. 3–4) of the current memory table.
    pub coverage: f64,
    /// Coefficient of variation of the memory trace's speed ‖Δc‖/Δy.
    pub speed_cv: f64,
    /// Wall-clock seconds since the start of the run.
    pub seconds: f64,
    /// Total epochs of the run.
    pub total_epochs: usize,
}

/// Geometry of a learned representation space (paper §3 and Table 7).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeometryReport {
    /// Share of uniform sphere points within the ε-tube of the trace of training-bin centroids.
    pub coverage: f64,
    /// The ε used for `coverage`.
    pub coverage_eps: f64,
    /// Soft coverage (1 − L_env): mean over points of the best cosine to a centroid.
    pub soft_coverage: f64,
    /// Share of the sphere whose nearest centroid is a few-shot bin (Table 7).
    pub few_shot_share: f64,
    /// Coefficient of variation of the trace speed (0 = perfectly homogeneous).
    pub speed_cv: f64,
    /// Wang–Isola uniformity of the test representations (lower = more uniform).
    pub uniformity: f64,
}

/// The final report of a run (`metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    /// Benchmark or CSV name.
    pub benchmark: String,
    /// `vanilla` or `srl`.
    pub method: String,
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
    let (cov, soft, speed_cv) = table_geometry(centroids.view(), bin_centres, points, eps);
    let few = few_shot_share(centroids.view(), points, few_bins).unwrap_or(f64::NAN);
    let (test_z, _) = normalize_rows(test_h);
    // At most ~2000 rows, spread evenly over the test set (IOL's test rows are grouped by
    // function, so the first rows would all come from a few functions).
    let stride = test_z.nrows().div_ceil(2000).max(1);
    let unif = uniformity(test_z.slice(ndarray::s![..;stride, ..]), 2.0).unwrap_or(f64::NAN);
    GeometryReport {
        coverage: cov,
        coverage_eps: eps,
        soft_coverage: soft,
        few_shot_share: few,
        speed_cv,
        uniformity: unif,
    }
}

/// Coverage at ε, soft coverage and speed CV of a (K×d) centroid table; NaN where undefined.
pub fn table_geometry(
    centroids: ArrayView2<f64>,
    bin_centres: &[f64],
    points: ArrayView2<f64>,
    eps: f64,
) -> (f64, f64, f64) {
    let cov = coverage(centroids, points, eps).unwrap_or(f64::NAN);
    let nonzero: Vec<usize> = (0..centroids.nrows())
        .filter(|&k| centroids.row(k).iter().any(|v| *v != 0.0))
        .collect();
    let soft = if nonzero.is_empty() {
        0.0
    } else {
        let dots = points.dot(&centroids.t());
        dots.axis_iter(Axis(0))
            .map(|r| {
                nonzero
                    .iter()
                    .map(|&k| r[k])
                    .fold(f64::NEG_INFINITY, f64::max)
            })
            .sum::<f64>()
            / points.nrows() as f64
    };
    let centres = Array1::from(bin_centres.to_vec());
    let cv = TraceStats::new(centroids, centres.view())
        .map(|t| t.speed_cv)
        .unwrap_or(f64::NAN);
    (cov, soft, cv)
}
