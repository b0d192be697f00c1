//! Figures of a reproduce run, as PNG and SVG (plotters, with an embedded DejaVu Sans font, so
//! no system font library is needed).
//!
//! - [`FeatureSpace`] (paper Fig. 1): the learned test representations z = h/‖h‖ of vanilla
//!   and SRL on a benchmark (seed 0), projected to 2-D with PCA and with t-SNE, coloured by
//!   the target (viridis), few-shot samples drawn as outlined triangles; one figure per
//!   benchmark with features, on at most [`MAX_FEATURE_POINTS`] test samples.
//! - [`PerBinMae`] (paper Fig. 5): test MAE per target bin of vanilla and SRL (mean over
//!   seeds) over the training histogram, bars coloured by the bin's shot group
//!   ([`srl_data::Benchmark::bin_shot_groups`], the `shot` column of `train_bin_counts.csv`).
//! - [`TrainingCurves`]: validation MAE, the loss terms and the geometry metrics per epoch,
//!   vanilla vs SRL (seed 0); where the ε-tube coverage is ≈ 0 (high dimension) its panel
//!   says so and points to the soft coverage.
//! - [`FewMaeByMethod`]: test few-shot MAE of every method of the table, one dot per seed and
//!   a bar at the mean.
//!
//! Every figure has its title in a band of its own above the panels (never cut at the top
//! edge) and a description on both axes of every panel.
//!
//! The per-method figures (feature space, per-bin MAE, training curves) draw vanilla and SRL
//! only ([`headline_methods`]), however many methods ran. Inputs are the run folders
//! `runs/<benchmark>/<method>/seed<k>/` written by `srl train`, read through
//! [`srl_train::run_folder`] (`test_features.npy`, `test_predictions.csv`,
//! `train_bin_counts.csv`, `log.jsonl`), and the aggregated [`BenchmarkTable`].

use crate::error::{Result, XtaskError};
use crate::tables::{
    display_benchmark, display_method, sorted_subdirs, srl_method, BenchmarkTable,
};
use linfa::traits::{Fit, Predict, Transformer};
use linfa::DatasetBase;
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use srl_data::{BenchmarkId, Shot};
use srl_train::run_folder::{self, BinCount, TestPrediction};
use srl_train::{EpochLog, MethodName};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The embedded font (DejaVu Sans, license in `assets/DejaVuSans.LICENSE`).
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family name every text style of this module uses.
const FONT: &str = "sans-serif";

/// Colour of a method's series in the vanilla-vs-SRL figures (vanilla blue, SRL orange).
fn method_colour(method: &MethodName) -> RGBColor {
    if method.is_vanilla() {
        RGBColor(31, 119, 180)
    } else if *method == srl_method() {
        RGBColor(255, 127, 14)
    } else {
        RGBColor(44, 160, 44)
    }
}

/// Matplotlib's tab10 palette, for figures with many methods.
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour of the training-count bars of a shot group.
fn shot_colour(shot: Shot) -> RGBColor {
    match shot {
        Shot::Many => RGBColor(190, 190, 190),
        Shot::Medium => RGBColor(150, 180, 210),
        Shot::Few => RGBColor(240, 150, 150),
    }
}

/// Registers the embedded font under `sans-serif` (once per process).
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let registered = REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if *registered {
        Ok(())
    } else {
        Err(XtaskError::Draw(
            "the embedded DejaVu Sans font could not be parsed".into(),
        ))
    }
}

/// Viridis colour at `t` ∈ [0, 1] (matplotlib's anchors, linear interpolation).
pub fn viridis(t: f64) -> RGBColor {
    const ANCHORS: [(u8, u8, u8); 8] = [
        (68, 1, 84),
        (70, 50, 127),
        (54, 92, 141),
        (39, 127, 143),
        (31, 162, 136),
        (74, 194, 110),
        (160, 219, 57),
        (254, 232, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let pos = t * (ANCHORS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(ANCHORS.len() - 2);
    let f = pos - i as f64;
    let mix = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (ANCHORS[i], ANCHORS[i + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn draw_err<E: std::fmt::Display>(e: E) -> XtaskError {
    XtaskError::Draw(e.to_string())
}

/// Draws `text` as the figure title, centred in a band at the top of `root`, and returns the
/// area below the band. A second line (after `\n`) is drawn smaller, as a subtitle. The band
/// is 1.3 line heights per line plus padding, so the title is never cut at the top edge
/// (plotters' `titled` leaves at most 5 px there, and DejaVu's ascenders overshoot it); a
/// line wider than the figure gets a smaller font (down to 60 % of its size) instead of being
/// cut at the sides.
fn draw_title<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    text: &str,
    size: u32,
) -> Result<DrawingArea<DB, Shift>> {
    let (w, _) = root.dim_in_pixel();
    let room = w.saturating_sub(40);
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let nominal = if i == 0 { size } else { size * 3 / 4 };
        let mut font = nominal;
        while font > nominal * 3 / 5 {
            let (tw, _) = root
                .estimate_text_size(line, &(FONT, font).into_text_style(root))
                .map_err(draw_err)?;
            if tw <= room {
                break;
            }
            font -= 1;
        }
        lines.push((line, font));
    }
    let line_height = |font: u32| (font as f64 * 1.3).ceil() as u32;
    let height: u32 = lines.iter().map(|(_, f)| line_height(*f)).sum::<u32>() + 16;
    let (band, rest) = root.split_vertically(height);
    let (bw, _) = band.dim_in_pixel();
    let mut y = 10;
    for (line, font) in lines {
        let h = line_height(font);
        let style = (FONT, font)
            .into_text_style(&band)
            .pos(Pos::new(HPos::Center, VPos::Center));
        band.draw_text(line, &style, (bw as i32 / 2, (y + h / 2) as i32))
            .map_err(draw_err)?;
        y += h;
    }
    Ok(rest)
}

/// Formats an axis value that is a whole number by nature (epochs, sample counts).
fn whole(v: &f64) -> String {
    format!("{v:.0}")
}

/// Formats an axis value as plotters does by default, but writes a tick at (a rounding error
/// away from) zero as `0.0`, never `-0.0`.
fn tick(v: &f64) -> String {
    let s = plotters::data::float::FloatPrettyPrinter {
        allow_scientific: false,
        min_decimal: 1,
        max_decimal: 5,
    }
    .print(*v);
    match s.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => s,
    }
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws on a white root area.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>;
}

/// Saves `figure` as `<dir>/<stem>.png` and `<dir>/<stem>.svg`; returns both paths.
pub fn save<F: Figure>(figure: &F, dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    ensure_font()?;
    crate::common::create_dir(dir)?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    {
        let root = BitMapBackend::new(&png, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        figure.draw(&root)?;
        root.present()
            .map_err(|e| XtaskError::Draw(format!("cannot write {}: {e}", png.display())))?;
    }
    {
        let root = SVGBackend::new(&svg, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        figure.draw(&root)?;
        root.present()
            .map_err(|e| XtaskError::Draw(format!("cannot write {}: {e}", svg.display())))?;
    }
    Ok(vec![png, svg])
}

// ---------------------------------------------------------------------------------------------
// Reading run folders (through srl_train::run_folder)

/// The methods whose runs the per-method figures (per-bin MAE, training curves, feature space)
/// draw: vanilla and SRL, those of them that ran on `benchmark` (seed folders under
/// `runs/<benchmark>/<method>/`).
pub fn headline_methods(runs_dir: &Path, benchmark: BenchmarkId) -> Vec<MethodName> {
    [MethodName::vanilla(), srl_method()]
        .into_iter()
        .filter(|m| {
            runs_dir
                .join(benchmark.as_str())
                .join(m.to_string())
                .is_dir()
        })
        .collect()
}

/// Reads `test_predictions.csv` of a run folder.
pub fn read_predictions(dir: &Path) -> Result<Vec<TestPrediction>> {
    Ok(run_folder::read_test_predictions(dir)?)
}

/// Reads `train_bin_counts.csv` of a run folder.
pub fn read_bin_counts(dir: &Path) -> Result<Vec<BinCount>> {
    Ok(run_folder::read_bin_counts(dir)?)
}

// ---------------------------------------------------------------------------------------------
// Axis helpers

/// `[min, max]` of the finite values, widened by `pad` of the span (a flat range gets ±0.5).
fn padded_range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    if span <= 1e-12 * (1.0 + lo.abs()) {
        return (lo - 0.5, hi + 0.5);
    }
    (lo - pad * span, hi + pad * span)
}

// ---------------------------------------------------------------------------------------------
// Figure 1: feature space

/// One scatter panel of the feature-space figure.
#[derive(Debug, Clone)]
pub struct ScatterPanel {
    /// Caption (`SRL — t-SNE`).
    pub title: String,
    /// Description of the x-axis (`PC 1`, `t-SNE 1`).
    pub x_desc: String,
    /// Description of the y-axis (`PC 2`, `t-SNE 2`).
    pub y_desc: String,
    /// 2-D coordinates.
    pub points: Vec<(f64, f64)>,
    /// Target of each point (colour).
    pub targets: Vec<f64>,
    /// Whether each point is a few-shot sample (outlined triangle).
    pub few: Vec<bool>,
}

/// The learned feature space of vanilla vs SRL, PCA and t-SNE (paper Fig. 1).
#[derive(Debug, Clone)]
pub struct FeatureSpace {
    /// Figure title; a second line (after `\n`) says how the test samples were thinned.
    pub title: String,
    /// Panels in reading order (rows: projections; columns: methods).
    pub panels: Vec<ScatterPanel>,
    /// Grid `(rows, columns)`.
    pub grid: (usize, usize),
    /// Target range of the colour scale.
    pub target_range: (f64, f64),
}

/// At most this many test samples of a run enter the feature-space figure: t-SNE takes
/// minutes beyond a few thousand points, and an IOL test set has 10 000–100 000 samples, while
/// 1000 points already show the structure (and keep the scatter readable).
pub const MAX_FEATURE_POINTS: usize = 1000;

/// `m` indices of `targets` evenly spaced in target order (the smallest and the largest target
/// included), in ascending index order; every index if there are at most `m`. Deterministic,
/// and the subsample keeps the distribution of the target, so rare (few-shot) regions keep
/// their share.
pub fn subsample_by_target(targets: &[f64], m: usize) -> Vec<usize> {
    let n = targets.len();
    if n <= m {
        return (0..n).collect();
    }
    if m == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| targets[a].total_cmp(&targets[b]).then(a.cmp(&b)));
    let mut picked: Vec<usize> = if m == 1 {
        vec![order[0]]
    } else {
        // Rounded i·(n − 1)/(m − 1): distinct positions, since n > m.
        (0..m)
            .map(|i| order[(i * (n - 1) + (m - 1) / 2) / (m - 1)])
            .collect()
    };
    picked.sort_unstable();
    picked
}

/// Row-normalises `h` onto the unit sphere (z = h/‖h‖, the representation SRL shapes).
pub fn to_sphere(h: &Array2<f64>) -> Array2<f64> {
    srl_geometry::normalize::normalize_rows(h.view()).0
}

/// PCA of `z` to 2-D.
pub fn pca_2d(z: &Array2<f64>) -> Result<Array2<f64>> {
    let dataset = DatasetBase::from(z.clone());
    let pca =
        linfa_reduction::Pca::params(2)
            .fit(&dataset)
            .map_err(|e| XtaskError::Projection {
                method: "PCA",
                reason: e.to_string(),
            })?;
    Ok(pca.predict(z))
}

/// t-SNE of `z` to 2-D (Barnes–Hut, perplexity min(30, (n − 1)/3 − 1), fixed seed 42).
pub fn tsne_2d(z: &Array2<f64>) -> Result<Array2<f64>> {
    let n = z.nrows();
    if n < 8 {
        return Err(XtaskError::Projection {
            method: "t-SNE",
            reason: format!("it needs at least 8 samples, got {n}"),
        });
    }
    let perplexity = 30.0f64.min((n - 1) as f64 / 3.0 - 1.0).max(2.0);
    linfa_tsne::TSneParams::embedding_size(2)
        .perplexity(perplexity)
        .approx_threshold(0.5)
        .max_iter(1000)
        .transform(z.as_standard_layout().into_owned())
        .map_err(|e| XtaskError::Projection {
            method: "t-SNE",
            reason: e.to_string(),
        })
}

/// The feature-space figure can be drawn for `benchmark`: vanilla and SRL both have a seed-0
/// run with `test_features.npy` (IOL features are git-ignored, so a copied result folder may
/// lack them).
pub fn has_feature_runs(runs_dir: &Path, benchmark: BenchmarkId) -> bool {
    [MethodName::vanilla(), srl_method()].iter().all(|m| {
        run_folder::sweep_run_dir(runs_dir, benchmark.as_str(), &m.to_string(), 0)
            .join(run_folder::TEST_FEATURES)
            .is_file()
    })
}

type Projection = fn(&Array2<f64>) -> Result<Array2<f64>>;

impl FeatureSpace {
    /// Builds the figure from `runs/<benchmark>/{vanilla,srl}/seed0`, on at most
    /// [`MAX_FEATURE_POINTS`] test samples.
    pub fn from_runs(runs_dir: &Path, benchmark: BenchmarkId) -> Result<FeatureSpace> {
        Self::from_runs_limited(runs_dir, benchmark, MAX_FEATURE_POINTS)
    }

    /// [`FeatureSpace::from_runs`] on at most `max_points` test samples of each run, chosen by
    /// [`subsample_by_target`] (the same samples for both methods, which share the test set).
    pub fn from_runs_limited(
        runs_dir: &Path,
        benchmark: BenchmarkId,
        max_points: usize,
    ) -> Result<FeatureSpace> {
        let runs: Vec<(String, PathBuf)> = [MethodName::vanilla(), srl_method()]
            .iter()
            .map(|m| {
                (
                    display_method(m),
                    run_folder::sweep_run_dir(runs_dir, benchmark.as_str(), &m.to_string(), 0),
                )
            })
            .collect();
        Self::from_dirs(benchmark, &runs, max_points)
    }

    /// The feature space of any labelled run folders of one benchmark (one column each; e.g.
    /// ablation variants), on at most `max_points` test samples (the same for every run).
    pub fn from_dirs(
        benchmark: BenchmarkId,
        runs: &[(String, PathBuf)],
        max_points: usize,
    ) -> Result<FeatureSpace> {
        let mut per_method = Vec::new();
        let mut thinned = None;
        for (m, dir) in runs {
            let features = dir.join(run_folder::TEST_FEATURES);
            let h: Array2<f64> =
                ndarray_npy::read_npy(&features).map_err(|e| XtaskError::parse(&features, e))?;
            let preds = read_predictions(dir)?;
            if preds.len() != h.nrows() {
                return Err(XtaskError::InvalidData(format!(
                    "{}: {} feature rows but {} predictions",
                    dir.display(),
                    h.nrows(),
                    preds.len()
                )));
            }
            let targets: Vec<f64> = preds.iter().map(|q| q.y).collect();
            let keep = subsample_by_target(&targets, max_points);
            if keep.len() < preds.len() {
                thinned = Some((keep.len(), preds.len()));
            }
            let z = to_sphere(&h.select(ndarray::Axis(0), &keep));
            let preds: Vec<TestPrediction> = keep.iter().map(|&i| preds[i]).collect();
            per_method.push((m, z, preds));
        }
        let mut panels = Vec::new();
        for (proj_name, axis, project) in [
            ("PCA", "PC", pca_2d as Projection),
            ("t-SNE", "t-SNE", tsne_2d),
        ] {
            for (m, z, preds) in &per_method {
                let p = project(z)?;
                panels.push(ScatterPanel {
                    title: format!("{m} — {proj_name}"),
                    x_desc: format!("{axis} 1"),
                    y_desc: format!("{axis} 2"),
                    points: p.outer_iter().map(|r| (r[0], r[1])).collect(),
                    targets: preds.iter().map(|q| q.y).collect(),
                    few: preds.iter().map(|q| q.shot == Shot::Few).collect(),
                });
            }
        }
        let target_range = padded_range(panels.iter().flat_map(|p| p.targets.clone()), 0.0);
        let mut title = format!(
            "{}: test representations z = h/‖h‖ (seed 0), coloured by target",
            display_benchmark(benchmark)
        );
        if let Some((shown, total)) = thinned {
            title.push_str(&format!(
                "\n{shown} of {total} test samples, evenly spaced in target order"
            ));
        }
        Ok(FeatureSpace {
            title,
            panels,
            grid: (2, runs.len()),
            target_range,
        })
    }
}

impl Figure for FeatureSpace {
    fn size(&self) -> (u32, u32) {
        (1300, 1200)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let (w, _) = self.size();
        let titled = draw_title(root, &self.title, 26)?;
        let (main, bar) = titled.split_horizontally(w - 150);
        let (lo, hi) = self.target_range;
        let span = (hi - lo).max(1e-12);
        for (area, panel) in main.split_evenly(self.grid).iter().zip(&self.panels) {
            let (x0, x1) = padded_range(panel.points.iter().map(|p| p.0), 0.05);
            let (y0, y1) = padded_range(panel.points.iter().map(|p| p.1), 0.05);
            // Room on top for the legend, so it does not hide points.
            let y1 = y1 + 0.2 * (y1 - y0);
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (FONT, 21))
                .margin(12)
                .x_label_area_size(48)
                .y_label_area_size(72)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(5)
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .x_desc(panel.x_desc.as_str())
                .y_desc(panel.y_desc.as_str())
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(235, 235, 235))
                .label_style((FONT, 14))
                .axis_desc_style((FONT, 16))
                .draw()
                .map_err(draw_err)?;
            let colour = |t: f64| viridis((t - lo) / span);
            let items = || panel.points.iter().zip(&panel.targets).zip(&panel.few);
            chart
                .draw_series(
                    items()
                        .filter(|(_, few)| !**few)
                        .map(|((p, t), _)| Circle::new(*p, 4, colour(*t).filled())),
                )
                .map_err(draw_err)?
                .label("many/medium-shot sample")
                .legend(|(x, y)| Circle::new((x, y), 4, viridis(0.5).filled()));
            chart
                .draw_series(
                    items()
                        .filter(|(_, few)| **few)
                        .map(|((p, t), _)| TriangleMarker::new(*p, 7, colour(*t).filled())),
                )
                .map_err(draw_err)?;
            chart
                .draw_series(
                    items()
                        .filter(|(_, few)| **few)
                        .map(|((p, _), _)| EmptyElement::at(*p) + triangle_outline(8)),
                )
                .map_err(draw_err)?
                .label("few-shot sample (outlined)")
                .legend(|(x, y)| {
                    EmptyElement::at((x, y))
                        + TriangleMarker::new((0, 0), 6, viridis(0.1).filled())
                        + triangle_outline(7)
                });
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(160, 160, 160))
                .label_font((FONT, 13))
                .draw()
                .map_err(draw_err)?;
        }
        draw_colour_bar(&bar, lo, hi, "target")
    }
}

/// A black triangle outline of circumradius `size` pixels around the origin (to compose with
/// `EmptyElement::at`); plotters' `TriangleMarker` is always filled.
fn triangle_outline(size: i32) -> PathElement<(i32, i32)> {
    let vertex = |deg: f64| {
        let rad = deg.to_radians();
        (
            (rad.cos() * f64::from(size)).round() as i32,
            (rad.sin() * f64::from(size)).round() as i32,
        )
    };
    let pts = vec![vertex(-90.0), vertex(-210.0), vertex(-330.0), vertex(-90.0)];
    PathElement::new(pts, BLACK.stroke_width(2))
}

/// A vertical viridis colour bar for `[lo, hi]` with a labelled axis.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    lo: f64,
    hi: f64,
    label: &str,
) -> Result<()> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(60)
        .margin_left(20)
        .margin_right(20)
        .right_y_label_area_size(90)
        .build_cartesian_2d(0.0..1.0, lo..hi)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(8)
        .y_label_formatter(&tick)
        .y_desc(label)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()
        .map_err(draw_err)?;
    let steps = 100;
    let step = (hi - lo) / steps as f64;
    chart
        .draw_series((0..steps).map(|i| {
            let a = lo + i as f64 * step;
            Rectangle::new(
                [(0.0, a), (1.0, a + step)],
                viridis((i as f64 + 0.5) / steps as f64).filled(),
            )
        }))
        .map_err(draw_err)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Figure 5: per-bin MAE over the training histogram

/// One method's line in a plot.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `vanilla`, `srl`, …
    pub method: MethodName,
    /// Number of seeds averaged into the points.
    pub seeds: usize,
    /// `(x, y)` points, finite only.
    pub points: Vec<(f64, f64)>,
}

/// Test MAE per bin of each method over the training histogram (paper Fig. 5). The bars are
/// the training counts per bin, coloured by the bin's shot group ([`PerBinMae::bins_of`]), so a
/// reader sees where the few-shot region lies and how the error behaves there.
#[derive(Debug, Clone)]
pub struct PerBinMae {
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// Training bins, with their shot group as written by the trainer.
    pub bins: Vec<BinCount>,
    /// Per method: `(bin centre, MAE)` averaged over seeds.
    pub series: Vec<Series>,
}

/// Mean absolute error per bin of `preds`: `bin → (sum, count)` folded to MAE.
pub fn per_bin_mae(preds: &[TestPrediction], num_bins: usize) -> Vec<Option<f64>> {
    let mut sum = vec![0.0; num_bins];
    let mut count = vec![0usize; num_bins];
    for p in preds.iter().filter(|p| p.bin < num_bins) {
        sum[p.bin] += (p.y - p.pred).abs();
        count[p.bin] += 1;
    }
    sum.iter()
        .zip(&count)
        .map(|(s, &c)| (c > 0).then(|| s / c as f64))
        .collect()
}

impl PerBinMae {
    /// Builds the figure from every seed of vanilla and SRL ([`headline_methods`]) on
    /// `benchmark`.
    pub fn from_runs(runs_dir: &Path, benchmark: BenchmarkId) -> Result<PerBinMae> {
        let bench_dir = runs_dir.join(benchmark.as_str());
        let mut bins: Option<Vec<BinCount>> = None;
        let mut series = Vec::new();
        for method in headline_methods(runs_dir, benchmark) {
            let mut per_seed: Vec<Vec<Option<f64>>> = Vec::new();
            for seed_dir in sorted_subdirs(&bench_dir.join(method.to_string()))? {
                if !seed_dir.join(run_folder::TEST_PREDICTIONS).is_file() {
                    continue;
                }
                if bins.is_none() {
                    bins = Some(read_bin_counts(&seed_dir)?);
                }
                let k = bins.as_ref().map_or(0, Vec::len);
                per_seed.push(per_bin_mae(&read_predictions(&seed_dir)?, k));
            }
            if per_seed.is_empty() {
                continue;
            }
            let bins_ref = bins
                .as_ref()
                .ok_or_else(|| XtaskError::InvalidData("no bins".into()))?;
            let points: Vec<(f64, f64)> = bins_ref
                .iter()
                .enumerate()
                .filter_map(|(b, bc)| {
                    let vals: Vec<f64> = per_seed.iter().filter_map(|s| s[b]).collect();
                    (!vals.is_empty())
                        .then(|| (bc.centre, vals.iter().sum::<f64>() / vals.len() as f64))
                })
                .collect();
            series.push(Series {
                method,
                seeds: per_seed.len(),
                points,
            });
        }
        let bins = bins.ok_or_else(|| {
            XtaskError::InvalidData(format!(
                "no vanilla or srl run with {} under {}",
                run_folder::TEST_PREDICTIONS,
                bench_dir.display()
            ))
        })?;
        Ok(PerBinMae {
            benchmark,
            bins,
            series,
        })
    }

    /// The bins drawn in the colour of `shot`: those whose `shot` column in
    /// `train_bin_counts.csv` names it. The trainer writes there
    /// [`srl_data::Benchmark::bin_shot_groups`], the plurality group of the bin's training
    /// samples. On UCI-DIR every sample of a bin has that group, so the coloured bins are
    /// exactly those the few/medium/many MAE is taken over; on IOL, where groups come from the
    /// location x and a target bin mixes them, the colour is the bin's plurality, never the
    /// group of one particular (say, the last) training or test sample. Empty bins (`none`)
    /// are not drawn.
    pub fn bins_of(&self, shot: Shot) -> impl Iterator<Item = &BinCount> {
        self.bins.iter().filter(move |b| b.shot == Some(shot))
    }

    /// Bin width: the smallest gap between consecutive centres (1 for a single bin).
    fn bin_width(&self) -> f64 {
        let gap = self
            .bins
            .windows(2)
            .map(|w| (w[1].centre - w[0].centre).abs())
            .filter(|d| *d > 0.0)
            .fold(f64::INFINITY, f64::min);
        if gap.is_finite() {
            gap
        } else {
            1.0
        }
    }
}

/// Vertical room above the data, so the legend does not cover bars or lines.
const HEADROOM: f64 = 1.4;

impl Figure for PerBinMae {
    fn size(&self) -> (u32, u32) {
        (1200, 620)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let width = self.bin_width();
        let (x0, x1) = padded_range(
            self.bins
                .iter()
                .flat_map(|b| [b.centre - width / 2.0, b.centre + width / 2.0]),
            0.01,
        );
        let mae_max = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .fold(0.0f64, f64::max);
        let count_max = self.bins.iter().map(|b| b.count).max().unwrap_or(1).max(1) as f64;
        let n_seeds = self.series.iter().map(|s| s.seeds).max().unwrap_or(0);
        let caption = format!(
            "{}: test MAE per target bin (mean over {n_seeds} seed{}) over the training histogram",
            display_benchmark(self.benchmark),
            if n_seeds == 1 { "" } else { "s" }
        );
        let area = draw_title(root, &caption, 22)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(15)
            .margin_top(5)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .right_y_label_area_size(80)
            .build_cartesian_2d(x0..x1, 0.0..(mae_max * HEADROOM).max(1e-12))
            .map_err(draw_err)?
            .set_secondary_coord(x0..x1, 0.0..count_max * HEADROOM);
        chart
            .configure_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .x_desc("target (bin centre)")
            .y_desc("test MAE in the bin")
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(235, 235, 235))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(draw_err)?;
        chart
            .configure_secondary_axes()
            .y_desc("training samples per bin")
            .y_label_formatter(&whole)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(draw_err)?;
        for (shot, name) in [
            (Shot::Many, "many-shot bins (train count)"),
            (Shot::Medium, "medium-shot bins"),
            (Shot::Few, "few-shot bins"),
        ] {
            let colour = shot_colour(shot);
            chart
                .draw_secondary_series(self.bins_of(shot).map(|b| {
                    Rectangle::new(
                        [
                            (b.centre - 0.45 * width, 0.0),
                            (b.centre + 0.45 * width, b.count as f64),
                        ],
                        colour.filled(),
                    )
                }))
                .map_err(draw_err)?
                .label(name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x - 6, y - 6), (x + 6, y + 6)], colour.filled())
                });
        }
        for Series { method, points, .. } in &self.series {
            let colour = method_colour(method);
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(draw_err)?
                .label(format!("{} test MAE", display_method(method)))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x - 10, y), (x + 10, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(points.iter().map(|p| Circle::new(*p, 3, colour.filled())))
                .map_err(draw_err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(160, 160, 160))
            .label_font((FONT, 14))
            .draw()
            .map_err(draw_err)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Training curves

/// A per-epoch quantity of a log line (`None` where undefined).
pub type CurveField = fn(&EpochLog) -> Option<f64>;

/// One panel of the training-curve figure: what it plots and how it is labelled.
#[derive(Debug, Clone, Copy)]
pub struct CurvePanel {
    /// The plotted quantity.
    pub field: CurveField,
    /// Panel caption.
    pub title: &'static str,
    /// Description of the y-axis.
    pub y_desc: &'static str,
    /// A loss term: a method that does not use it logs 0, so an all-zero series is left out
    /// rather than drawn flat. Geometry metrics are measurements, kept even when 0.
    pub loss_term: bool,
    /// Lines written in the panel when every value is below [`NEAR_ZERO`], where the metric
    /// says nothing by itself.
    pub near_zero_note: &'static [&'static str],
}

/// Below this everywhere, a panel with a [`CurvePanel::near_zero_note`] shows the note.
pub const NEAR_ZERO: f64 = 0.01;

/// The panels of the training-curve figure, in reading order (3 × 3).
pub const CURVE_PANELS: [CurvePanel; 9] = [
    CurvePanel {
        field: |l| Some(l.val_mae),
        title: "validation MAE",
        y_desc: "MAE",
        loss_term: false,
        near_zero_note: &[],
    },
    CurvePanel {
        field: |l| Some(l.train_loss),
        title: "total training loss",
        y_desc: "loss",
        loss_term: true,
        near_zero_note: &[],
    },
    CurvePanel {
        field: |l| Some(l.reg),
        title: "regression loss",
        y_desc: "L_reg",
        loss_term: true,
        near_zero_note: &[],
    },
    CurvePanel {
        field: |l| Some(l.envelope),
        title: "enveloping loss",
        y_desc: "L_env",
        loss_term: true,
        near_zero_note: &[],
    },
    CurvePanel {
        field: |l| Some(l.homogeneity),
        title: "homogeneity loss",
        y_desc: "L_hom",
        loss_term: true,
        near_zero_note: &[],
    },
    CurvePanel {
        field: |l| Some(l.contrastive),
        title: "contrastive loss",
        y_desc: "L_con",
        loss_term: true,
        near_zero_note: &[],
    },
    // The share of the sphere within ε of the trace: in high dimension (IOL, d = 100) a
    // trace covers almost none of it, so the panel says so and points to the soft coverage.
    CurvePanel {
        field: |l| l.coverage,
        title: "ε-tube coverage of the sphere (ε = 0.5)",
        y_desc: "covered share",
        loss_term: false,
        near_zero_note: &[
            "ε-tube coverage ≈ 0 in high dimension",
            "(all values < 0.01); see soft coverage",
        ],
    },
    CurvePanel {
        field: |l| l.soft_coverage,
        title: "soft coverage 1 − L_env",
        y_desc: "mean best cosine",
        loss_term: false,
        near_zero_note: &[],
    },
    CurvePanel {
        field: |l| l.speed_cv,
        title: "trace speed CV",
        y_desc: "CV of speed",
        loss_term: false,
        near_zero_note: &[],
    },
];

/// Training curves of vanilla vs SRL (seed 0).
#[derive(Debug, Clone)]
pub struct TrainingCurves {
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// Per panel (in [`CURVE_PANELS`] order): one `(epoch, value)` series per method.
    pub panels: Vec<Vec<Series>>,
}

impl TrainingCurves {
    /// Reads `log.jsonl` of seed 0 of vanilla and SRL ([`headline_methods`]) on `benchmark`.
    pub fn from_runs(runs_dir: &Path, benchmark: BenchmarkId) -> Result<TrainingCurves> {
        let mut panels: Vec<Vec<Series>> = vec![Vec::new(); CURVE_PANELS.len()];
        let bench_dir = runs_dir.join(benchmark.as_str());
        for method in headline_methods(runs_dir, benchmark) {
            let dir =
                run_folder::sweep_run_dir(runs_dir, benchmark.as_str(), &method.to_string(), 0);
            if !dir.join(run_folder::LOG).is_file() {
                continue;
            }
            let log = run_folder::read_log(&dir)?;
            for (series, spec) in panels.iter_mut().zip(&CURVE_PANELS) {
                let pts: Vec<(f64, f64)> = log
                    .iter()
                    .filter_map(|l| Some((l.epoch as f64, (spec.field)(l)?)))
                    .filter(|(_, v)| v.is_finite())
                    .collect();
                let unused = spec.loss_term && pts.iter().all(|p| p.1 == 0.0);
                if !pts.is_empty() && !unused {
                    series.push(Series {
                        method: method.clone(),
                        seeds: 1,
                        points: pts,
                    });
                }
            }
        }
        if panels.iter().all(Vec::is_empty) {
            return Err(XtaskError::InvalidData(format!(
                "no vanilla or srl seed0/{} with data under {}",
                run_folder::LOG,
                bench_dir.display()
            )));
        }
        Ok(TrainingCurves { benchmark, panels })
    }

    /// Whether panel `i` shows its [`CurvePanel::near_zero_note`]: it has one, has values, and
    /// every value is below [`NEAR_ZERO`].
    pub fn near_zero(&self, i: usize) -> bool {
        let (Some(spec), Some(series)) = (CURVE_PANELS.get(i), self.panels.get(i)) else {
            return false;
        };
        let mut values = series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
        !spec.near_zero_note.is_empty()
            && series.iter().any(|s| !s.points.is_empty())
            && values.all(|v| v.abs() < NEAR_ZERO)
    }
}

impl Figure for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        (1500, 1100)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let title = format!(
            "{}: training curves, seed 0 (blue: vanilla, orange: SRL)",
            display_benchmark(self.benchmark)
        );
        let body = draw_title(root, &title, 24)?;
        for (i, (area, (spec, series))) in body
            .split_evenly((3, 3))
            .iter()
            .zip(CURVE_PANELS.iter().zip(&self.panels))
            .enumerate()
        {
            let near_zero = self.near_zero(i);
            let (x0, x1) = padded_range(
                series.iter().flat_map(|s| s.points.iter().map(|q| q.0)),
                0.02,
            );
            let (y0, y1) = if near_zero {
                // Zero at the bottom, with room for the note above the flat line.
                (-0.1 * NEAR_ZERO, NEAR_ZERO)
            } else {
                padded_range(
                    series.iter().flat_map(|s| s.points.iter().map(|q| q.1)),
                    0.06,
                )
            };
            // Room on top for the legend.
            let y1 = y1 + 0.3 * (y1 - y0);
            let mut chart = ChartBuilder::on(area)
                .caption(spec.title, (FONT, 18))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(72)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(5)
                .x_label_formatter(&whole)
                .y_label_formatter(&tick)
                .x_desc("epoch")
                .y_desc(spec.y_desc)
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(235, 235, 235))
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 13))
                .draw()
                .map_err(draw_err)?;
            let note: &[&str] = if near_zero {
                spec.near_zero_note
            } else if series.is_empty() {
                &["not logged by the methods shown"]
            } else {
                &[]
            };
            let line_gap = 0.09 * (y1 - y0);
            for (k, line) in note.iter().enumerate() {
                let style = (FONT, 14)
                    .into_text_style(chart.plotting_area())
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let y = y0 + 0.55 * (y1 - y0) - k as f64 * line_gap;
                chart
                    .draw_series(std::iter::once(Text::new(
                        line.to_string(),
                        ((x0 + x1) / 2.0, y),
                        style,
                    )))
                    .map_err(draw_err)?;
            }
            if series.is_empty() {
                continue;
            }
            for Series {
                method,
                points: pts,
                ..
            } in series
            {
                let colour = method_colour(method);
                chart
                    .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))
                    .map_err(draw_err)?
                    .label(display_method(method))
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x - 10, y), (x + 10, y)], colour.stroke_width(2))
                    });
                if pts.len() <= 40 {
                    chart
                        .draw_series(pts.iter().map(|p| Circle::new(*p, 2, colour.filled())))
                        .map_err(draw_err)?;
                }
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(160, 160, 160))
                .label_font((FONT, 12))
                .draw()
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Few-shot MAE of every method

/// Test few-shot MAE of every method of a benchmark's table, with the spread over seeds: a bar
/// at the mean and one dot per seed, methods on the x-axis in table order.
#[derive(Debug, Clone)]
pub struct FewMaeByMethod {
    /// The benchmark.
    pub benchmark: BenchmarkId,
    /// Display scale of MAE (IOL: 1e-3) and the y-axis label.
    pub scale: f64,
    /// Per method (table order): the Few MAE of each seed, unscaled.
    pub methods: Vec<(MethodName, Vec<(u64, f64)>)>,
}

impl FewMaeByMethod {
    /// The figure of `table`; `None` if no method has a few-shot MAE.
    pub fn from_table(table: &BenchmarkTable) -> Option<FewMaeByMethod> {
        let methods: Vec<(MethodName, Vec<(u64, f64)>)> = table
            .rows
            .iter()
            .map(|r| {
                let seeds: Vec<(u64, f64)> =
                    r.mae_few_by_seed.iter().map(|(s, v)| (*s, *v)).collect();
                (r.method.clone(), seeds)
            })
            .filter(|(_, seeds)| !seeds.is_empty())
            .collect();
        (!methods.is_empty()).then(|| FewMaeByMethod {
            benchmark: table.benchmark,
            scale: table.kind.mae_scale(),
            methods,
        })
    }

    /// The mean of each method's seeds (scaled).
    fn means(&self) -> Vec<f64> {
        self.methods
            .iter()
            .map(|(_, v)| v.iter().map(|p| p.1).sum::<f64>() / v.len().max(1) as f64 / self.scale)
            .collect()
    }
}

impl Figure for FewMaeByMethod {
    fn size(&self) -> (u32, u32) {
        (1300, 650)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()> {
        let n = self.methods.len();
        let names: Vec<String> = self
            .methods
            .iter()
            .map(|(m, _)| display_method(m))
            .collect();
        let means = self.means();
        let y_max = self
            .methods
            .iter()
            .flat_map(|(_, v)| v.iter().map(|p| p.1 / self.scale))
            .chain(means.iter().copied())
            .filter(|v| v.is_finite())
            .fold(0.0f64, f64::max);
        let n_seeds = self.methods.iter().map(|(_, v)| v.len()).max().unwrap_or(0);
        let caption = format!(
            "{}: test few-shot MAE by method ({n_seeds} seed{}; bar = mean, dots = seeds)",
            display_benchmark(self.benchmark),
            if n_seeds == 1 { "" } else { "s" }
        );
        let y_label = if self.scale == 1.0 {
            "test MAE, few-shot group".to_string()
        } else {
            format!("test MAE, few-shot group (×{:.0e})", self.scale)
        };
        let label_of = |x: &f64| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < n {
                names[i as usize].clone()
            } else {
                String::new()
            }
        };
        let area = draw_title(root, &caption, 22)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(20)
            .margin_top(5)
            .x_label_area_size(50)
            .y_label_area_size(80)
            .build_cartesian_2d(-0.6..(n as f64 - 0.4), 0.0..(y_max * 1.12).max(1e-12))
            .map_err(draw_err)?;
        chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&label_of)
            .y_labels(8)
            .x_desc("method")
            .y_desc(y_label)
            .disable_x_mesh()
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(235, 235, 235))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()
            .map_err(draw_err)?;
        for (i, ((_, seeds), mean)) in self.methods.iter().zip(&means).enumerate() {
            let colour = TAB10[i % TAB10.len()];
            let x = i as f64;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x - 0.32, 0.0), (x + 0.32, *mean)],
                    colour.mix(0.35).filled(),
                )))
                .map_err(draw_err)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x - 0.32, *mean), (x + 0.32, *mean)],
                    colour.stroke_width(3),
                )))
                .map_err(draw_err)?;
            // Seeds spread sideways in seed order, so equal values stay visible.
            let k = seeds.len();
            chart
                .draw_series(seeds.iter().enumerate().map(|(j, (_, v))| {
                    let dx = if k > 1 {
                        -0.2 + 0.4 * j as f64 / (k - 1) as f64
                    } else {
                        0.0
                    };
                    Circle::new((x + dx, v / self.scale), 5, colour.filled())
                }))
                .map_err(draw_err)?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Entry point

/// Draws every figure available for the benchmarks of `tables` under `runs_dir` into
/// `fig_dir`: the feature space of every benchmark where vanilla and SRL have a seed-0
/// `test_features.npy` ([`has_feature_runs`]), per-bin MAE and training curves of vanilla and
/// SRL (if either ran), and the few-shot MAE of every method. Returns the written files; a
/// figure that cannot be drawn is an error naming it.
pub fn make_all(
    runs_dir: &Path,
    fig_dir: &Path,
    tables: &[BenchmarkTable],
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for t in tables {
        let b = t.benchmark;
        let headline = headline_methods(runs_dir, b);
        if has_feature_runs(runs_dir, b) {
            let fig = FeatureSpace::from_runs(runs_dir, b)
                .map_err(|e| e.context(format!("feature-space figure of {b}")))?;
            written.extend(save(&fig, fig_dir, &format!("{b}-feature-space"))?);
        }
        if !headline.is_empty() {
            let per_bin = PerBinMae::from_runs(runs_dir, b)
                .map_err(|e| e.context(format!("per-bin figure of {b}")))?;
            written.extend(save(&per_bin, fig_dir, &format!("{b}-per-bin-mae"))?);
            let curves = TrainingCurves::from_runs(runs_dir, b)
                .map_err(|e| e.context(format!("training-curve figure of {b}")))?;
            written.extend(save(&curves, fig_dir, &format!("{b}-training-curves"))?);
        }
        if let Some(fig) = FewMaeByMethod::from_table(t) {
            written.extend(save(&fig, fig_dir, &format!("{b}-few-mae-by-method"))?);
        }
    }
    Ok(written)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a synthetic run folder following the trainer's file contract: `n` test samples
    /// whose representation is a noisy circle parametrised by the target.
    pub(crate) fn write_synthetic_run(dir: &Path, method: &str, seed: u64, n: usize) {
        std::fs::create_dir_all(dir).unwrap();
        let k = 10usize;
        let d = 6usize;
        let mut h = Array2::<f64>::zeros((n, d));
        let mut preds = String::from("y,pred,bin,shot\n");
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut rnd = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let shot = |b: usize| match b {
            0..=1 => "few",
            2..=3 => "medium",
            _ => "many",
        };
        let noise = if method == "srl" { 0.1 } else { 0.6 };
        for i in 0..n {
            let y = 10.0 * (i as f64 + 0.5) / n as f64;
            let b = ((y / 10.0 * k as f64) as usize).min(k - 1);
            let angle = y / 10.0 * 3.0;
            h[[i, 0]] = angle.cos() + noise * rnd();
            h[[i, 1]] = angle.sin() + noise * rnd();
            for j in 2..d {
                h[[i, j]] = 0.2 * rnd();
            }
            let pred = y + noise * 4.0 * rnd();
            preds.push_str(&format!("{y},{pred},{b},{}\n", shot(b)));
        }
        ndarray_npy::write_npy(dir.join("test_features.npy"), &h).unwrap();
        std::fs::write(dir.join("test_predictions.csv"), preds).unwrap();
        let mut counts = String::from("bin,centre,count,shot\n");
        for b in 0..k {
            let count = [3, 8, 25, 40, 90, 160, 220, 180, 120, 60][b];
            counts.push_str(&format!("{b},{},{count},{}\n", b as f64 + 0.5, shot(b)));
        }
        // A trailing bin without training samples, as the trainer writes it.
        {
            counts.push_str(&format!("{k},{},0,none\n", k as f64 + 0.5));
        }
        std::fs::write(dir.join("train_bin_counts.csv"), counts).unwrap();
        let mut log = String::new();
        let srl = method.contains("srl");
        for e in 1..=12usize {
            let t = e as f64;
            let line = EpochLog {
                epoch: e,
                step: e * 10,
                lr: 1e-3,
                train_loss: 2.0 / t,
                reg: 1.5 / t,
                envelope: if srl { 0.9 - 0.02 * t } else { 0.0 },
                homogeneity: if srl { 0.1 / t } else { 0.0 },
                contrastive: if srl { 2.3 - 0.05 * t } else { 0.0 },
                terms: Default::default(),
                val_mae: 3.0 / t + 1.0,
                coverage: Some(0.2 + 0.02 * t),
                soft_coverage: None,
                speed_cv: Some(0.5 - 0.01 * t),
                arc_length: None,
                seconds: 0.01,
                total_epochs: 12,
            };
            log.push_str(&serde_json::to_string(&line).unwrap());
            log.push('\n');
        }
        std::fs::write(dir.join("log.jsonl"), log).unwrap();
    }

    #[test]
    fn viridis_endpoints_and_clamping() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(254, 232, 37));
        assert_eq!(viridis(-3.0), viridis(0.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }

    #[test]
    fn per_bin_mae_averages_within_bins() {
        let p = |y: f64, pred: f64, bin: usize| TestPrediction {
            y,
            pred,
            bin,
            shot: Shot::Many,
        };
        let m = per_bin_mae(&[p(1.0, 2.0, 0), p(1.0, 4.0, 0), p(5.0, 5.5, 2)], 3);
        assert_eq!(m, vec![Some(2.0), None, Some(0.5)]);
    }

    #[test]
    fn empty_bins_have_no_shot_group() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(run_folder::TRAIN_BIN_COUNTS);
        std::fs::write(&p, "bin,centre,count,shot\n0,0.5,3,few\n1,1.5,0,none\n").unwrap();
        let bins = read_bin_counts(dir.path()).unwrap();
        assert_eq!(bins[0].shot, Some(Shot::Few));
        assert_eq!(bins[1].shot, None);
        std::fs::write(&p, "bin,centre,count,shot\n0,0.5,3,lots\n").unwrap();
        let e = read_bin_counts(dir.path()).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("shot group"), "{e}");
    }

    #[test]
    fn csv_readers_name_file_and_line_on_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(run_folder::TEST_PREDICTIONS);
        std::fs::write(&p, "y,pred,bin,shot\n1,2,0,few\n1,x,0,many\n").unwrap();
        let e = read_predictions(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("test_predictions.csv line 3") && e.contains("pred"),
            "{e}"
        );
        std::fs::write(&p, "y,bin,shot\n1,0,few\n").unwrap();
        let e = read_predictions(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("test_predictions.csv") && e.contains("pred"),
            "{e}"
        );
    }

    #[test]
    fn projections_have_two_columns_and_separate_structure() {
        let dir = tempfile::tempdir().unwrap();
        write_synthetic_run(dir.path(), "srl", 0, 120);
        let h: Array2<f64> = ndarray_npy::read_npy(dir.path().join("test_features.npy")).unwrap();
        let z = to_sphere(&h);
        for row in z.outer_iter() {
            let norm: f64 = row.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!((norm - 1.0).abs() < 1e-9);
        }
        let p = pca_2d(&z).unwrap();
        assert_eq!(p.dim(), (120, 2));
        // The representation is a circle arc ordered by target: the first PCA axis must
        // correlate strongly with the target.
        let ys: Vec<f64> = (0..120).map(|i| i as f64).collect();
        let xs: Vec<f64> = p.column(0).to_vec();
        assert!(pearson(&xs, &ys).abs() > 0.8, "{}", pearson(&xs, &ys));
        let t = tsne_2d(&z).unwrap();
        assert_eq!(t.dim(), (120, 2));
        assert!(t.iter().all(|v| v.is_finite()));
        assert!(tsne_2d(&z.slice(ndarray::s![..5, ..]).to_owned()).is_err());
    }

    fn pearson(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    #[test]
    fn all_figures_are_written_as_png_and_svg() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let a = BenchmarkId::Airfoil;
        let mut reports = Vec::new();
        for (i, m) in ["vanilla", "srl", "ranksim", "srl+ranksim"]
            .iter()
            .enumerate()
        {
            for s in 0..3u64 {
                let d = run_folder::sweep_run_dir(&runs, "airfoil", m, s);
                write_synthetic_run(&d, m, s, 150);
                let few = 6.0 - 0.5 * i as f64 + 0.3 * s as f64;
                let r = crate::tables::tests::report(a, m, s, [4.0, 3.0, 4.0, few]);
                crate::tables::tests::write_report(&d, &r);
                reports.push(r);
            }
        }
        let table = crate::tables::aggregate(a, &reports).unwrap();
        // The per-method figures show vanilla and SRL only.
        let per_bin = PerBinMae::from_runs(&runs, a).unwrap();
        let shown: Vec<String> = per_bin
            .series
            .iter()
            .map(|s| s.method.to_string())
            .collect();
        assert_eq!(shown, ["vanilla", "srl"]);
        let curves = TrainingCurves::from_runs(&runs, a).unwrap();
        assert!(curves.panels.iter().all(|p| p.len() <= 2));
        let few = FewMaeByMethod::from_table(&table).unwrap();
        assert_eq!(few.methods.len(), 4);
        assert_eq!(few.methods[0].1.len(), 3);

        let figs = dir.path().join("figures");
        let written = make_all(&runs, &figs, &[table]).unwrap();
        assert_eq!(written.len(), 8);
        for f in &written {
            let len = std::fs::metadata(f).unwrap().len();
            assert!(len > 5_000, "{} is only {len} bytes", f.display());
        }
        let svg = std::fs::read_to_string(figs.join("airfoil-per-bin-mae.svg")).unwrap();
        assert!(svg.contains("few-shot bins"));
        let svg = std::fs::read_to_string(figs.join("airfoil-few-mae-by-method.svg")).unwrap();
        for label in [
            "Vanilla",
            "SRL+RankSim",
            "RankSim",
            "test MAE, few-shot group",
            "method",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        if let Ok(keep) = std::env::var("SRL_KEEP_FIGURES") {
            // For looking at the figures by eye during development.
            let keep = PathBuf::from(keep);
            std::fs::create_dir_all(&keep).unwrap();
            for f in &written {
                std::fs::copy(f, keep.join(f.file_name().unwrap())).unwrap();
            }
        }
    }

    #[test]
    fn without_vanilla_and_srl_only_the_method_figure_is_drawn() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let b = BenchmarkId::IolLinear;
        let mut reports = Vec::new();
        for m in ["ranksim", "conr"] {
            let d = run_folder::sweep_run_dir(&runs, b.as_str(), m, 0);
            write_synthetic_run(&d, m, 0, 50);
            let r = crate::tables::tests::report(b, m, 0, [0.01, 0.01, 0.01, 0.02]);
            crate::tables::tests::write_report(&d, &r);
            reports.push(r);
        }
        let table = crate::tables::aggregate(b, &reports).unwrap();
        let written = make_all(&runs, &dir.path().join("figures"), &[table]).unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "iol-linear-few-mae-by-method.png",
                "iol-linear-few-mae-by-method.svg"
            ]
        );
    }

    #[test]
    fn the_method_figure_takes_every_default_method() {
        let b = BenchmarkId::IolSde;
        let reports = crate::tables::tests::many_method_reports(b);
        let table = crate::tables::aggregate(b, &reports).unwrap();
        let fig = FewMaeByMethod::from_table(&table).unwrap();
        assert_eq!(fig.methods.len(), crate::tables::DEFAULT_METHODS.len());
        let dir = tempfile::tempdir().unwrap();
        let written = save(&fig, dir.path(), "iol-sde-few-mae-by-method").unwrap();
        let svg = std::fs::read_to_string(&written[1]).unwrap();
        assert!(svg.contains("(×1e-3)"), "scaled axis label");
        for m in crate::tables::default_methods() {
            assert!(svg.contains(&display_method(&m)), "{m}");
        }
        if let Ok(keep) = std::env::var("SRL_KEEP_FIGURES") {
            std::fs::copy(&written[0], PathBuf::from(keep).join("iol-sde-few-mae.png")).unwrap();
        }
    }

    #[test]
    fn missing_runs_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let e = PerBinMae::from_runs(dir.path(), BenchmarkId::Airfoil)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no vanilla or srl run"), "{e}");
        let e = FeatureSpace::from_runs(dir.path(), BenchmarkId::Airfoil)
            .unwrap_err()
            .to_string();
        assert!(e.contains("test_features.npy"), "{e}");
    }

    /// An IOL-like target bin: its training samples are mostly many-shot by location, but the
    /// last one (and the last test row of the bin) is few-shot. The bar takes the group the
    /// metrics' rule gives the bin ([`srl_data::Benchmark::bin_shot_groups`], written to the
    /// `shot` column of `train_bin_counts.csv`): many-shot, not the last sample's group.
    #[test]
    fn a_bin_is_coloured_by_its_training_plurality_not_its_last_sample() {
        use ndarray::{Array1, Array2};
        use srl_data::{Benchmark, Binning, Part};
        let part = |bins: Vec<usize>, shots: Vec<Shot>| Part {
            x: Array2::zeros((bins.len(), 1)),
            y: Array1::from_iter(bins.iter().map(|&b| b as f64 + 0.5)),
            out_of_range: vec![false; bins.len()],
            bins,
            shots,
        };
        let (many, few) = (Shot::Many, Shot::Few);
        // Bin 0: many, many, many, few (last); bin 1: few, few; bin 2: many.
        let train = part(
            vec![0, 0, 1, 0, 1, 2, 0],
            vec![many, many, few, many, few, many, few],
        );
        let bench = Benchmark {
            name: srl_data::DataName::Table("iol-like".into()),
            val: train.clone(),
            test: train.clone(),
            train,
            binning: Binning::equal_width(0.0, 3.0, 3).unwrap(),
            feature_names: vec!["x".into()],
            target_name: "y".into(),
            table: None,
            relevance: None,
            relevance_error: None,
            protocol: None,
        };
        let groups = bench.bin_shot_groups();
        assert_eq!(groups, [Some(many), Some(few), Some(many)]);

        // The run folder as the trainer writes it (run_folder::write_run).
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let b = BenchmarkId::IolLinear;
        let seed = run_folder::sweep_run_dir(&runs, b.as_str(), "vanilla", 0);
        std::fs::create_dir_all(&seed).unwrap();
        let name = |s: Option<Shot>| match s {
            Some(Shot::Many) => "many",
            Some(Shot::Medium) => "medium",
            Some(Shot::Few) => "few",
            None => "none",
        };
        let mut counts = String::from("bin,centre,count,shot\n");
        let centres = bench.binning.centres();
        for (k, n) in bench.train_bin_counts().iter().enumerate() {
            counts.push_str(&format!("{k},{},{n},{}\n", centres[k], name(groups[k])));
        }
        std::fs::write(seed.join(run_folder::TRAIN_BIN_COUNTS), counts).unwrap();
        // Test rows in bin order, each with its own (location) group; bin 0 ends on a few.
        let mut preds = String::from("y,pred,bin,shot\n");
        for (bin, shot) in [(0, "many"), (0, "few"), (1, "few"), (2, "many"), (0, "few")] {
            preds.push_str(&format!(
                "{},{},{bin},{shot}\n",
                bin as f64 + 0.5,
                bin as f64
            ));
        }
        std::fs::write(seed.join(run_folder::TEST_PREDICTIONS), preds).unwrap();

        let fig = PerBinMae::from_runs(&runs, b).unwrap();
        let drawn = |shot| fig.bins_of(shot).map(|c| c.bin).collect::<Vec<_>>();
        assert_eq!(drawn(Shot::Many), [0, 2]);
        assert_eq!(drawn(Shot::Few), [1]);
        assert!(drawn(Shot::Medium).is_empty());
    }

    #[test]
    fn subsampling_is_deterministic_and_spans_the_targets() {
        let targets: Vec<f64> = (0..5000).map(|i| ((i * 7919) % 5000) as f64).collect();
        let keep = subsample_by_target(&targets, 1000);
        assert_eq!(keep.len(), 1000);
        assert_eq!(keep, subsample_by_target(&targets, 1000));
        assert!(keep.windows(2).all(|w| w[0] < w[1]), "sorted and distinct");
        let picked: Vec<f64> = keep.iter().map(|&i| targets[i]).collect();
        let (lo, hi) = padded_range(picked.iter().copied(), 0.0);
        assert_eq!((lo, hi), (0.0, 4999.0));
        // Evenly spaced in target order: every fifth target of 0..5000.
        let below_500 = picked.iter().filter(|t| **t < 500.0).count();
        assert!((99..=101).contains(&below_500), "{below_500}");
        assert_eq!(
            subsample_by_target(&targets[..10], 1000),
            (0..10).collect::<Vec<_>>()
        );
        assert!(subsample_by_target(&targets, 0).is_empty());
    }

    #[test]
    fn the_feature_space_is_drawn_for_every_benchmark_with_features() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let mut tables = Vec::new();
        for b in [BenchmarkId::Concrete, BenchmarkId::IolLinear] {
            let mut reports = Vec::new();
            for m in ["vanilla", "srl"] {
                let d = run_folder::sweep_run_dir(&runs, b.as_str(), m, 0);
                write_synthetic_run(&d, m, 0, 120);
                let r = crate::tables::tests::report(b, m, 0, [4.0, 3.0, 4.0, 5.0]);
                crate::tables::tests::write_report(&d, &r);
                reports.push(r);
            }
            tables.push(crate::tables::aggregate(b, &reports).unwrap());
        }
        // IOL features are git-ignored: without them the figure is left out, not an error.
        let iol = run_folder::sweep_run_dir(&runs, "iol-linear", "srl", 0);
        let iol_features = iol.join(run_folder::TEST_FEATURES);
        let kept = dir.path().join("kept.npy");
        std::fs::rename(&iol_features, &kept).unwrap();
        assert!(!has_feature_runs(&runs, BenchmarkId::IolLinear));
        let figs = dir.path().join("figures");
        let written = make_all(&runs, &figs, &tables).unwrap();
        let name = |p: &PathBuf| p.file_name().unwrap().to_string_lossy().into_owned();
        let spaces: Vec<String> = written
            .iter()
            .map(name)
            .filter(|n| n.contains("feature-space"))
            .collect();
        assert_eq!(
            spaces,
            ["concrete-feature-space.png", "concrete-feature-space.svg"]
        );

        std::fs::rename(&kept, &iol_features).unwrap();
        let written = make_all(&runs, &figs, &tables).unwrap();
        assert!(written
            .iter()
            .any(|p| name(p) == "iol-linear-feature-space.svg"));
        let svg = std::fs::read_to_string(figs.join("iol-linear-feature-space.svg")).unwrap();
        for label in [
            "PC 1",
            "PC 2",
            "t-SNE 1",
            "t-SNE 2",
            "Vanilla — PCA",
            "SRL — t-SNE",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(
            !svg.contains("test samples, evenly spaced"),
            "all 120 drawn"
        );

        // Larger test sets are thinned, the same samples for both methods, and say so.
        let fig = FeatureSpace::from_runs_limited(&runs, BenchmarkId::IolLinear, 60).unwrap();
        assert!(fig.panels.iter().all(|p| p.points.len() == 60));
        assert_eq!(fig.panels[0].targets, fig.panels[3].targets);
        assert!(
            fig.title
                .contains("\n60 of 120 test samples, evenly spaced"),
            "{}",
            fig.title
        );
    }

    #[test]
    fn a_near_zero_coverage_panel_points_to_the_soft_coverage() {
        let dir = tempfile::tempdir().unwrap();
        let runs = dir.path().join("runs");
        let b = BenchmarkId::IolLinear;
        for m in ["vanilla", "srl"] {
            let d = run_folder::sweep_run_dir(&runs, b.as_str(), m, 0);
            write_synthetic_run(&d, m, 0, 40);
            // In d = 100 the ε-tube coverage is exactly 0 at every epoch; the soft one is not.
            let mut log = String::new();
            for mut line in run_folder::read_log(&d).unwrap() {
                line.coverage = Some(0.0);
                line.soft_coverage = Some(0.05);
                log.push_str(&serde_json::to_string(&line).unwrap());
                log.push('\n');
            }
            std::fs::write(d.join(run_folder::LOG), log).unwrap();
        }
        let coverage = CURVE_PANELS
            .iter()
            .position(|p| p.title.starts_with("ε-tube coverage"))
            .unwrap();
        let curves = TrainingCurves::from_runs(&runs, b).unwrap();
        // A zero measurement is drawn (only unused loss terms are left out) …
        assert_eq!(curves.panels[coverage].len(), 2);
        assert!(curves.near_zero(coverage));
        // … and vanilla's unused SRL terms are not.
        assert!(curves.panels[3].iter().all(|s| s.method == srl_method()));
        let written = save(&curves, dir.path(), "curves").unwrap();
        let svg = std::fs::read_to_string(&written[1]).unwrap();
        assert!(
            svg.contains("ε-tube coverage ≈ 0 in high dimension"),
            "note"
        );
        assert!(svg.contains("see soft coverage"), "note");
        for spec in &CURVE_PANELS {
            assert!(svg.contains(spec.y_desc), "y-axis of {}", spec.title);
        }
        assert!(
            svg.matches("\nepoch\n").count() >= 9,
            "x-axis of every panel"
        );

        // With a real coverage (the synthetic log's 0.2–0.45) there is no note.
        let dir = tempfile::tempdir().unwrap();
        let d = run_folder::sweep_run_dir(&dir.path().join("runs"), "airfoil", "srl", 0);
        write_synthetic_run(&d, "srl", 0, 40);
        let curves =
            TrainingCurves::from_runs(&dir.path().join("runs"), BenchmarkId::Airfoil).unwrap();
        assert!(!curves.near_zero(coverage));
        let written = save(&curves, dir.path(), "curves").unwrap();
        let svg = std::fs::read_to_string(&written[1]).unwrap();
        assert!(!svg.contains("in high dimension"));
    }

    /// The title gets a band of its own: the area below starts under the text, and a title
    /// wider than the figure is set smaller rather than cut.
    #[test]
    fn titles_have_a_band_of_their_own_and_fit_the_width() {
        ensure_font().unwrap();
        let font_size = |title: &str| -> f64 {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, (400, 300)).into_drawing_area();
                let rest = draw_title(&root, title, 24).unwrap();
                assert!(rest.get_base_pixel().1 >= 24, "{:?}", rest.get_base_pixel());
                root.present().unwrap();
            }
            svg.split("font-size=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .and_then(|s| s.parse().ok())
                .unwrap()
        };
        let long = "IOL nonlinear (stochastic elliptic): a title far wider than the figure";
        assert!(font_size(long) < font_size("Airfoil"));
        assert!(!tick(&-1e-17).starts_with('-'), "{}", tick(&-1e-17));
        assert_eq!(tick(&-0.5), "-0.5");
        assert_eq!(whole(&20000.0), "20000");
    }
}
