//! Figures of a reproduce run, as PNG and SVG (plotters, with an embedded DejaVu Sans font, so
//! no system font library is needed).
//!
//! - [`FeatureSpace`] (paper Fig. 1): the learned test representations z = h/‖h‖ of vanilla
//!   and SRL on one benchmark (seed 0), projected to 2-D with PCA and with t-SNE, coloured by
//!   the target (viridis), few-shot samples drawn as outlined triangles.
//! - [`PerBinMae`] (paper Fig. 5): test MAE per target bin of vanilla and SRL (mean over
//!   seeds) over the training histogram, bars coloured by shot group.
//! - [`TrainingCurves`]: validation MAE, the loss terms and the geometry metrics per epoch,
//!   vanilla vs SRL (seed 0).
//!
//! Inputs are the run folders `runs/<benchmark>/<method>/seed<k>/` written by `srl train`:
//! `test_features.npy`, `test_predictions.csv` (`y,pred,bin,shot`), `train_bin_counts.csv`
//! (`bin,centre,count,shot`) and `log.jsonl`.

use crate::tables::{display_benchmark, display_method, sorted_subdirs};
use linfa::traits::{Fit, Predict, Transformer};
use linfa::DatasetBase;
use ndarray::Array2;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The embedded font (DejaVu Sans, license in `assets/DejaVuSans.LICENSE`).
const FONT_BYTES: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// The family name every text style of this module uses.
const FONT: &str = "sans-serif";

/// Colour of each method's series.
fn method_colour(method: &str) -> RGBColor {
    match method {
        "vanilla" => RGBColor(31, 119, 180),
        "srl" => RGBColor(255, 127, 14),
        _ => RGBColor(44, 160, 44),
    }
}

/// Colour of the training-count bars of a shot group.
fn shot_colour(shot: Shot) -> RGBColor {
    match shot {
        Shot::Many => RGBColor(190, 190, 190),
        Shot::Medium => RGBColor(150, 180, 210),
        Shot::Few => RGBColor(240, 150, 150),
    }
}

/// Registers the embedded font under `sans-serif` (once per process).
pub fn ensure_font() -> Result<(), String> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the embedded DejaVu Sans font could not be parsed".to_string())
        })
        .clone()
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

fn draw_err<E: std::fmt::Display>(e: E) -> String {
    format!("drawing failed: {e}")
}

/// A figure that can draw itself on any plotters backend.
pub trait Figure {
    /// Pixel size.
    fn size(&self) -> (u32, u32);
    /// Draws on a white root area.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Saves `figure` as `<dir>/<stem>.png` and `<dir>/<stem>.svg`; returns both paths.
pub fn save<F: Figure>(figure: &F, dir: &Path, stem: &str) -> Result<Vec<PathBuf>, String> {
    ensure_font()?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let png = dir.join(format!("{stem}.png"));
    let svg = dir.join(format!("{stem}.svg"));
    {
        let root = BitMapBackend::new(&png, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        figure.draw(&root)?;
        root.present()
            .map_err(|e| format!("cannot write {}: {e}", png.display()))?;
    }
    {
        let root = SVGBackend::new(&svg, figure.size()).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        figure.draw(&root)?;
        root.present()
            .map_err(|e| format!("cannot write {}: {e}", svg.display()))?;
    }
    Ok(vec![png, svg])
}

// ---------------------------------------------------------------------------------------------
// Reading run folders

/// Shot group of a bin or sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shot {
    /// Many-shot.
    Many,
    /// Medium-shot.
    Medium,
    /// Few-shot.
    Few,
}

impl Shot {
    /// Parses `Many`/`many`, `Medium`/`med`, `Few`/`few`.
    pub fn parse(s: &str) -> Result<Shot, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "many" => Ok(Shot::Many),
            "medium" | "med" => Ok(Shot::Medium),
            "few" => Ok(Shot::Few),
            other => Err(format!("unknown shot group `{other}`")),
        }
    }
}

/// Rows of a small numeric CSV with a header: the named columns, parsed by `parse`.
fn read_csv_rows<T>(
    path: &Path,
    columns: &[&str],
    parse: impl Fn(&[&str]) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?
        .split(',')
        .map(str::trim)
        .collect();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| format!("{} has no column `{c}`", path.display()))
        })
        .collect::<Result<_, _>>()?;
    lines
        .enumerate()
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            let picked: Vec<&str> = idx
                .iter()
                .map(|&j| fields.get(j).copied().unwrap_or(""))
                .collect();
            parse(&picked).map_err(|e| format!("{} line {}: {e}", path.display(), i + 2))
        })
        .collect()
}

fn num(s: &str) -> Result<f64, String> {
    s.parse::<f64>()
        .map_err(|_| format!("`{s}` is not a number"))
}

/// One test sample's prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// True target.
    pub y: f64,
    /// Prediction.
    pub pred: f64,
    /// Target bin.
    pub bin: usize,
    /// Shot group of the bin.
    pub shot: Shot,
}

/// Reads `test_predictions.csv`.
pub fn read_predictions(path: &Path) -> Result<Vec<Prediction>, String> {
    read_csv_rows(path, &["y", "pred", "bin", "shot"], |f| {
        Ok(Prediction {
            y: num(f[0])?,
            pred: num(f[1])?,
            bin: f[2]
                .parse()
                .map_err(|_| format!("`{}` is not a bin index", f[2]))?,
            shot: Shot::parse(f[3])?,
        })
    })
}

/// One training bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BinCount {
    /// Bin index.
    pub bin: usize,
    /// Bin centre (target units).
    pub centre: f64,
    /// Training samples in the bin.
    pub count: usize,
    /// Shot group; `None` for a bin without training samples (`none` in the file).
    pub shot: Option<Shot>,
}

/// Reads `train_bin_counts.csv`.
pub fn read_bin_counts(path: &Path) -> Result<Vec<BinCount>, String> {
    read_csv_rows(path, &["bin", "centre", "count", "shot"], |f| {
        Ok(BinCount {
            bin: f[0]
                .parse()
                .map_err(|_| format!("`{}` is not a bin index", f[0]))?,
            centre: num(f[1])?,
            count: f[2]
                .parse()
                .map_err(|_| format!("`{}` is not a count", f[2]))?,
            shot: match f[3].trim() {
                "none" | "" => None,
                other => Some(Shot::parse(other)?),
            },
        })
    })
}

/// Reads `log.jsonl` into `(field → values per line)` for the requested fields; a missing or
/// `null` value becomes NaN.
pub fn read_log(path: &Path, fields: &[&str]) -> Result<Vec<Vec<f64>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = vec![Vec::new(); fields.len()];
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("{} line {}: {e}", path.display(), i + 1))?;
        for (col, f) in out.iter_mut().zip(fields) {
            col.push(v.get(*f).and_then(|x| x.as_f64()).unwrap_or(f64::NAN));
        }
    }
    Ok(out)
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
    /// 2-D coordinates.
    pub points: Vec<(f64, f64)>,
    /// Target of each point (colour).
    pub targets: Vec<f64>,
    /// Whether each point is in a few-shot bin (outlined triangle).
    pub few: Vec<bool>,
}

/// The learned feature space of vanilla vs SRL, PCA and t-SNE (paper Fig. 1).
#[derive(Debug, Clone)]
pub struct FeatureSpace {
    /// Figure title.
    pub title: String,
    /// Panels in reading order (rows: projections; columns: methods).
    pub panels: Vec<ScatterPanel>,
    /// Grid `(rows, columns)`.
    pub grid: (usize, usize),
    /// Target range of the colour scale.
    pub target_range: (f64, f64),
}

/// Row-normalises `h` onto the unit sphere (z = h/‖h‖, the representation SRL shapes).
pub fn to_sphere(h: &Array2<f64>) -> Array2<f64> {
    srl_geometry::normalize::normalize_rows(h.view()).0
}

/// PCA of `z` to 2-D.
pub fn pca_2d(z: &Array2<f64>) -> Result<Array2<f64>, String> {
    let dataset = DatasetBase::from(z.clone());
    let pca = linfa_reduction::Pca::params(2)
        .fit(&dataset)
        .map_err(|e| format!("PCA failed: {e}"))?;
    Ok(pca.predict(z))
}

/// t-SNE of `z` to 2-D (Barnes–Hut, perplexity min(30, (n − 1)/3 − 1), fixed seed 42).
pub fn tsne_2d(z: &Array2<f64>) -> Result<Array2<f64>, String> {
    let n = z.nrows();
    if n < 8 {
        return Err(format!("t-SNE needs at least 8 samples, got {n}"));
    }
    let perplexity = 30.0f64.min((n - 1) as f64 / 3.0 - 1.0).max(2.0);
    linfa_tsne::TSneParams::embedding_size(2)
        .perplexity(perplexity)
        .approx_threshold(0.5)
        .max_iter(1000)
        .transform(z.as_standard_layout().into_owned())
        .map_err(|e| format!("t-SNE failed: {e}"))
}

impl FeatureSpace {
    /// Builds the figure from `runs/<benchmark>/{vanilla,srl}/seed0`.
    pub fn from_runs(runs_dir: &Path, benchmark: &str) -> Result<FeatureSpace, String> {
        let methods = ["vanilla", "srl"];
        let mut per_method = Vec::new();
        for m in methods {
            let dir = runs_dir.join(benchmark).join(m).join("seed0");
            let h: Array2<f64> =
                ndarray_npy::read_npy(dir.join("test_features.npy")).map_err(|e| {
                    format!(
                        "cannot read {}: {e}",
                        dir.join("test_features.npy").display()
                    )
                })?;
            let preds = read_predictions(&dir.join("test_predictions.csv"))?;
            if preds.len() != h.nrows() {
                return Err(format!(
                    "{}: {} feature rows but {} predictions",
                    dir.display(),
                    h.nrows(),
                    preds.len()
                ));
            }
            let z = to_sphere(&h);
            per_method.push((m, z, preds));
        }
        let mut panels = Vec::new();
        for (proj_name, project) in [
            (
                "PCA",
                pca_2d as fn(&Array2<f64>) -> Result<Array2<f64>, String>,
            ),
            ("t-SNE", tsne_2d),
        ] {
            for (m, z, preds) in &per_method {
                let p = project(z)?;
                panels.push(ScatterPanel {
                    title: format!("{} — {proj_name}", display_method(m)),
                    points: p.outer_iter().map(|r| (r[0], r[1])).collect(),
                    targets: preds.iter().map(|q| q.y).collect(),
                    few: preds.iter().map(|q| q.shot == Shot::Few).collect(),
                });
            }
        }
        let target_range = padded_range(panels.iter().flat_map(|p| p.targets.clone()), 0.0);
        Ok(FeatureSpace {
            title: format!(
                "{}: test representations z = h/‖h‖ (seed 0), coloured by target",
                display_benchmark(benchmark)
            ),
            panels,
            grid: (2, methods.len()),
            target_range,
        })
    }
}

impl Figure for FeatureSpace {
    fn size(&self) -> (u32, u32) {
        (1300, 1150)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let (w, _) = self.size();
        let titled = root.titled(&self.title, (FONT, 26)).map_err(draw_err)?;
        let (main, bar) = titled.split_horizontally(w - 120);
        let (lo, hi) = self.target_range;
        let span = (hi - lo).max(1e-12);
        for (area, panel) in main.split_evenly(self.grid).iter().zip(&self.panels) {
            let (x0, x1) = padded_range(panel.points.iter().map(|p| p.0), 0.05);
            let (y0, y1) = padded_range(panel.points.iter().map(|p| p.1), 0.05);
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (FONT, 21))
                .margin(12)
                .x_label_area_size(32)
                .y_label_area_size(52)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(5)
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(235, 235, 235))
                .label_style((FONT, 14))
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
) -> Result<(), String> {
    let mut chart = ChartBuilder::on(area)
        .margin_top(60)
        .margin_bottom(60)
        .margin_right(10)
        .right_y_label_area_size(70)
        .build_cartesian_2d(0.0..1.0, lo..hi)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(8)
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
    pub method: String,
    /// Number of seeds averaged into the points.
    pub seeds: usize,
    /// `(x, y)` points, finite only.
    pub points: Vec<(f64, f64)>,
}

/// Test MAE per bin of each method over the training histogram (paper Fig. 5).
#[derive(Debug, Clone)]
pub struct PerBinMae {
    /// Benchmark name.
    pub benchmark: String,
    /// Training bins.
    pub bins: Vec<BinCount>,
    /// Per method: `(bin centre, MAE)` averaged over seeds.
    pub series: Vec<Series>,
}

/// Mean absolute error per bin of `preds`: `bin → (sum, count)` folded to MAE.
pub fn per_bin_mae(preds: &[Prediction], num_bins: usize) -> Vec<Option<f64>> {
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
    /// Builds the figure from every seed of every method of `benchmark`.
    pub fn from_runs(runs_dir: &Path, benchmark: &str) -> Result<PerBinMae, String> {
        let bench_dir = runs_dir.join(benchmark);
        let mut bins: Option<Vec<BinCount>> = None;
        let mut series = Vec::new();
        let mut methods: Vec<PathBuf> = sorted_subdirs(&bench_dir)?;
        methods.sort_by_key(|p| p.file_name().map(|n| n != "vanilla"));
        for method_dir in methods {
            let method = method_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut per_seed: Vec<Vec<Option<f64>>> = Vec::new();
            for seed_dir in sorted_subdirs(&method_dir)? {
                let preds_path = seed_dir.join("test_predictions.csv");
                if !preds_path.is_file() {
                    continue;
                }
                if bins.is_none() {
                    bins = Some(read_bin_counts(&seed_dir.join("train_bin_counts.csv"))?);
                }
                let k = bins.as_ref().map_or(0, Vec::len);
                per_seed.push(per_bin_mae(&read_predictions(&preds_path)?, k));
            }
            if per_seed.is_empty() {
                continue;
            }
            let bins_ref = bins.as_ref().ok_or("no bins")?;
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
            format!(
                "no run with test_predictions.csv under {}",
                bench_dir.display()
            )
        })?;
        Ok(PerBinMae {
            benchmark: benchmark.to_string(),
            bins,
            series,
        })
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

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
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
            display_benchmark(&self.benchmark),
            if n_seeds == 1 { "" } else { "s" }
        );
        let mut chart = ChartBuilder::on(root)
            .caption(caption, (FONT, 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .right_y_label_area_size(80)
            .build_cartesian_2d(x0..x1, 0.0..(mae_max * HEADROOM).max(1e-12))
            .map_err(draw_err)?
            .set_secondary_coord(x0..x1, 0.0..count_max * HEADROOM);
        chart
            .configure_mesh()
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
                .draw_secondary_series(self.bins.iter().filter(|b| b.shot == Some(shot)).map(|b| {
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

/// The per-epoch quantities plotted, with panel titles.
pub const CURVE_FIELDS: [(&str, &str); 9] = [
    ("val_mae", "validation MAE"),
    ("train_loss", "total training loss"),
    ("reg", "regression loss"),
    ("envelope", "enveloping loss"),
    ("homogeneity", "homogeneity loss"),
    ("contrastive", "contrastive loss"),
    ("coverage", "coverage of the sphere (ε = 0.5)"),
    ("soft_coverage", "soft coverage 1 − L_env"),
    ("speed_cv", "trace speed CV"),
];

/// Training curves of vanilla vs SRL (seed 0).
#[derive(Debug, Clone)]
pub struct TrainingCurves {
    /// Benchmark name.
    pub benchmark: String,
    /// Per panel (in [`CURVE_FIELDS`] order): one `(epoch, value)` series per method.
    pub panels: Vec<Vec<Series>>,
}

impl TrainingCurves {
    /// Reads `log.jsonl` of seed 0 of every method of `benchmark`.
    pub fn from_runs(runs_dir: &Path, benchmark: &str) -> Result<TrainingCurves, String> {
        let fields: Vec<&str> = CURVE_FIELDS.iter().map(|(f, _)| *f).collect();
        let mut panels: Vec<Vec<Series>> = vec![Vec::new(); fields.len()];
        let mut methods = sorted_subdirs(&runs_dir.join(benchmark))?;
        methods.sort_by_key(|p| p.file_name().map(|n| n != "vanilla"));
        for method_dir in methods {
            let log = method_dir.join("seed0").join("log.jsonl");
            if !log.is_file() {
                continue;
            }
            let method = method_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut cols = read_log(&log, &fields)?;
            let epochs = read_log(&log, &["epoch"])?.remove(0);
            for (panel, col) in panels.iter_mut().zip(cols.iter_mut()) {
                let pts: Vec<(f64, f64)> = epochs
                    .iter()
                    .zip(col.iter())
                    .filter(|(e, v)| e.is_finite() && v.is_finite())
                    .map(|(e, v)| (*e, *v))
                    .collect();
                // A term a method does not use (all zero) is left out rather than drawn flat.
                if pts.iter().any(|p| p.1 != 0.0) {
                    panel.push(Series {
                        method: method.clone(),
                        seeds: 1,
                        points: pts,
                    });
                }
            }
        }
        if panels.iter().all(Vec::is_empty) {
            return Err(format!(
                "no seed0/log.jsonl with data under {}",
                runs_dir.join(benchmark).display()
            ));
        }
        Ok(TrainingCurves {
            benchmark: benchmark.to_string(),
            panels,
        })
    }
}

impl Figure for TrainingCurves {
    fn size(&self) -> (u32, u32) {
        (1500, 1050)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
        let titled = root
            .titled(
                &format!(
                    "{}: training curves, seed 0 (blue: vanilla, orange: SRL)",
                    display_benchmark(&self.benchmark)
                ),
                (FONT, 24),
            )
            .map_err(draw_err)?;
        for (area, ((_, title), series)) in titled
            .split_evenly((3, 3))
            .iter()
            .zip(CURVE_FIELDS.iter().zip(&self.panels))
        {
            let (x0, x1) = padded_range(
                series.iter().flat_map(|s| s.points.iter().map(|q| q.0)),
                0.02,
            );
            let (y0, y1) = padded_range(
                series.iter().flat_map(|s| s.points.iter().map(|q| q.1)),
                0.06,
            );
            // Room on top for the legend.
            let y1 = y1 + 0.3 * (y1 - y0);
            let mut chart = ChartBuilder::on(area)
                .caption(*title, (FONT, 18))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_labels(5)
                .y_labels(5)
                .x_desc("epoch")
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(235, 235, 235))
                .label_style((FONT, 12))
                .axis_desc_style((FONT, 13))
                .draw()
                .map_err(draw_err)?;
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
// Entry point

/// Draws every figure available for `benchmarks` under `runs_dir` into `fig_dir`: the feature
/// space for `airfoil` (if both methods ran), and per-bin MAE and training curves for every
/// benchmark. Returns the written files; a figure that cannot be drawn is an error naming it.
pub fn make_all(
    runs_dir: &Path,
    fig_dir: &Path,
    benchmarks: &[String],
) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for b in benchmarks {
        let has = |m: &str| runs_dir.join(b).join(m).join("seed0").is_dir();
        if b == "airfoil" && has("vanilla") && has("srl") {
            let fig = FeatureSpace::from_runs(runs_dir, b)
                .map_err(|e| format!("feature-space figure of {b}: {e}"))?;
            written.extend(save(&fig, fig_dir, &format!("{b}-feature-space"))?);
        }
        let per_bin =
            PerBinMae::from_runs(runs_dir, b).map_err(|e| format!("per-bin figure of {b}: {e}"))?;
        written.extend(save(&per_bin, fig_dir, &format!("{b}-per-bin-mae"))?);
        let curves = TrainingCurves::from_runs(runs_dir, b)
            .map_err(|e| format!("training-curve figure of {b}: {e}"))?;
        written.extend(save(&curves, fig_dir, &format!("{b}-training-curves"))?);
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
            0..=1 => "Few",
            2..=3 => "Medium",
            _ => "Many",
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
        let srl = method == "srl";
        for e in 1..=12usize {
            let t = e as f64;
            log.push_str(
                &serde_json::json!({
                    "epoch": e, "step": e * 10, "lr": 1e-3, "train_loss": 2.0 / t,
                    "reg": 1.5 / t,
                    "envelope": if srl { 0.9 - 0.02 * t } else { 0.0 },
                    "homogeneity": if srl { 0.1 / t } else { 0.0 },
                    "contrastive": if srl { 2.3 - 0.05 * t } else { 0.0 },
                    "val_mae": if e % 3 == 0 { serde_json::json!(3.0 / t + 1.0) } else { serde_json::Value::Null },
                    "coverage": 0.2 + 0.02 * t, "speed_cv": 0.5 - 0.01 * t,
                    "seconds": 0.01, "total_epochs": 12
                })
                .to_string(),
            );
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
        let p = |y: f64, pred: f64, bin: usize| Prediction {
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
        let p = dir.path().join("train_bin_counts.csv");
        std::fs::write(&p, "bin,centre,count,shot\n0,0.5,3,few\n1,1.5,0,none\n").unwrap();
        let bins = read_bin_counts(&p).unwrap();
        assert_eq!(bins[0].shot, Some(Shot::Few));
        assert_eq!(bins[1].shot, None);
        std::fs::write(&p, "bin,centre,count,shot\n0,0.5,3,lots\n").unwrap();
        assert!(read_bin_counts(&p).unwrap_err().contains("lots"));
    }

    #[test]
    fn csv_readers_name_file_and_line_on_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("test_predictions.csv");
        std::fs::write(&p, "y,pred,bin,shot\n1,2,0,Few\n1,x,0,Many\n").unwrap();
        let e = read_predictions(&p).unwrap_err();
        assert!(e.contains("line 3") && e.contains("`x`"), "{e}");
        std::fs::write(&p, "y,bin,shot\n1,0,Few\n").unwrap();
        assert!(read_predictions(&p)
            .unwrap_err()
            .contains("no column `pred`"));
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
        for m in ["vanilla", "srl"] {
            for s in 0..2 {
                write_synthetic_run(
                    &runs.join("airfoil").join(m).join(format!("seed{s}")),
                    m,
                    s,
                    150,
                );
            }
        }
        let figs = dir.path().join("figures");
        let written = make_all(&runs, &figs, &["airfoil".to_string()]).unwrap();
        assert_eq!(written.len(), 6);
        for f in &written {
            let len = std::fs::metadata(f).unwrap().len();
            assert!(len > 5_000, "{} is only {len} bytes", f.display());
        }
        let svg = std::fs::read_to_string(figs.join("airfoil-per-bin-mae.svg")).unwrap();
        assert!(svg.contains("few-shot bins"));
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
    fn missing_runs_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let e = PerBinMae::from_runs(dir.path(), "airfoil").unwrap_err();
        assert!(e.contains("no run"), "{e}");
        let e = FeatureSpace::from_runs(dir.path(), "airfoil").unwrap_err();
        assert!(e.contains("test_features.npy"), "{e}");
    }
}
