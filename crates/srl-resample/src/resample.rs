//! The entry point [`resample`] and its output.

use crate::knn::k_nearest;
use crate::knn::sq_dist;
use crate::params::{Amount, Method, SafeDistance, ValidParams, SAFE_SAMPLE};
use crate::regions::{split, Region};
use crate::{FeatureLayout, ResampleError};
use ndarray::{Array2, ArrayView2};
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

/// Where one output row came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Origin {
    /// An input row kept unchanged.
    Original {
        /// Its row in the input.
        row: usize,
    },
    /// An exact copy of an input row (random over-sampling, WERCS, or SMOTER in a region of a
    /// single row, where there is no neighbour to interpolate with).
    Replica {
        /// The copied row.
        row: usize,
    },
    /// A SMOTER interpolation: features `x_seed + gap · (x_neighbour − x_seed)` on the
    /// continuous columns, each nominal group copied from the seed or the neighbour.
    Interpolated {
        /// The seed row.
        seed: usize,
        /// The neighbour row.
        neighbour: usize,
        /// The interpolation fraction, in [0, 1).
        gap: f64,
    },
    /// A SMOGN noise row: the seed plus Gaussian noise on the continuous columns and the
    /// target, the seed's nominal groups.
    Noise {
        /// The seed row.
        seed: usize,
        /// The neighbour drawn (too far for interpolation); `None` in a region of one row.
        neighbour: Option<usize>,
    },
}

impl Origin {
    /// The input row this output row was copied from or seeded by.
    pub fn source(&self) -> usize {
        match *self {
            Origin::Original { row } | Origin::Replica { row } => row,
            Origin::Interpolated { seed, .. } | Origin::Noise { seed, .. } => seed,
        }
    }
    /// Whether the row is new (synthetic, not a copy of an input row).
    pub fn is_synthetic(&self) -> bool {
        matches!(self, Origin::Interpolated { .. } | Origin::Noise { .. })
    }
}

/// Row counts of one region before and after resampling.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionReport {
    /// Whether the region is rare.
    pub rare: bool,
    /// Smallest input target in the region.
    pub y_min: f64,
    /// Largest input target in the region.
    pub y_max: f64,
    /// Input rows in the region.
    pub before: usize,
    /// Output rows whose source row is in the region.
    pub after: usize,
    /// Of those, synthetic rows.
    pub synthetic: usize,
}

/// The resampled data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Resampled {
    /// Features, one row per output row: the kept input rows in input order, then the new
    /// rows (replicas and synthetic rows) grouped by region and by source row.
    pub x: Array2<f64>,
    /// Targets, one per output row.
    pub y: Vec<f64>,
    /// Where each output row came from.
    pub origin: Vec<Origin>,
    /// The regions (in ascending target order for bumps) with their counts.
    pub regions: Vec<RegionReport>,
}

// RNG streams. Every random choice draws from ChaCha8 seeded with the user's seed, on a stream
// fixed by what the choice is about: synthetic rows of input row i use stream i; region-level
// choices (which rows to keep, which rows get one more synthetic row) use a stream with the
// top bit set, the region's index and the purpose. No stream is shared between parallel tasks,
// so the output does not depend on the number of threads or on the order they run in.
const REGION_STREAM: u64 = 1 << 63;
const PURPOSE_UNDER: u64 = 0;
const PURPOSE_OVER: u64 = 1;
const PURPOSE_WERCS_UNDER: u64 = 2;
const PURPOSE_WERCS_OVER: u64 = 3;

fn rng(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

fn region_rng(seed: u64, region: usize, purpose: u64) -> ChaCha8Rng {
    rng(seed, REGION_STREAM | ((region as u64) << 4) | purpose)
}

/// Noise draws are standard normal truncated to |z| ≤ 4 (by rejection), so a noise row lies
/// within 4 · pert · σ of its seed in every column.
pub const NOISE_TRUNCATION: f64 = 4.0;

fn truncated_normal(r: &mut ChaCha8Rng) -> f64 {
    loop {
        let z: f64 = r.sample(StandardNormal);
        if z.abs() <= NOISE_TRUNCATION {
            return z;
        }
    }
}

/// Resamples a training set.
///
/// - `x`: the numeric feature matrix (rows = samples), already imputed and encoded — a NaN is
///   refused, not imputed;
/// - `y`: the targets; `relevance`: φ(yᵢ) ∈ [0, 1] per row (rare means φ ≥ threshold);
/// - `layout`: which columns are continuous and which form one-hot groups;
/// - `params`: the checked method and settings.
///
/// The output depends only on the inputs and `params.seed`, not on the number of rayon
/// threads.
pub fn resample(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    relevance: &[f64],
    layout: &FeatureLayout,
    params: &ValidParams,
) -> Result<Resampled, ResampleError> {
    let n = x.nrows();
    if n == 0 || x.ncols() == 0 {
        return Err(ResampleError::Empty {
            rows: n,
            cols: x.ncols(),
        });
    }
    for (what, v) in [("targets", y), ("relevance", relevance)] {
        if v.len() != n {
            return Err(ResampleError::LengthMismatch {
                what,
                expected: n,
                got: v.len(),
            });
        }
        if let Some(row) = v.iter().position(|v| !v.is_finite()) {
            return Err(ResampleError::NotFinite {
                what,
                row,
                col: None,
                value: v[row],
            });
        }
    }
    if let Some(row) = relevance.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(ResampleError::RelevanceOutOfRange {
            row,
            value: relevance[row],
        });
    }
    if let Some(((row, col), value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(ResampleError::NotFinite {
            what: "features",
            row,
            col: Some(col),
            value: *value,
        });
    }
    layout.check_matrix(&x)?;

    let p = params.params();
    let rare: Vec<bool> = relevance.iter().map(|&f| f >= p.threshold).collect();
    let regions = split(y, &rare, p.regions);
    let (kept, new) = match p.method {
        Method::Wercs { over, under } => wercs(relevance, over, under, p.seed)?,
        _ => {
            let n_rare = rare.iter().filter(|&&r| r).count();
            if n_rare == 0 {
                return Err(ResampleError::NoRare {
                    threshold: p.threshold,
                });
            }
            if let Amount::PerRegion(f) = &p.amount {
                if f.len() != regions.len() {
                    return Err(ResampleError::param(
                        "region factors",
                        format!("{} given, the data has {} regions", f.len(), regions.len()),
                    ));
                }
                for (i, (r, &v)) in regions.iter().zip(f).enumerate() {
                    if (r.rare && v < 1.0) || (!r.rare && v > 1.0) {
                        return Err(ResampleError::param(
                            "region factors",
                            format!(
                                "region {i} is {} and has factor {v}: rare regions take \
                                 factors ≥ 1, normal regions ≤ 1",
                                if r.rare { "rare" } else { "normal" }
                            ),
                        ));
                    }
                }
            }
            let targets = plan(&regions, &p.method, &p.amount, n);
            if let Method::Smoter { k } | Method::Smogn { k, .. } = p.method {
                let grows = regions
                    .iter()
                    .zip(&targets)
                    .any(|(r, &t)| r.rare && t > r.rows.len());
                if grows && k >= n_rare {
                    return Err(ResampleError::TooFewRare { k, rare: n_rare });
                }
            }
            by_region(x, y, layout, params, &regions, &targets)?
        }
    };
    Ok(assemble(x, y, &regions, kept, new))
}

/// Number of rows each region ends with.
fn plan(regions: &[Region], method: &Method, amount: &Amount, n: usize) -> Vec<usize> {
    let total = |rare: bool| -> usize {
        regions
            .iter()
            .filter(|r| r.rare == rare)
            .map(|r| r.rows.len())
            .sum()
    };
    let (n_rare, n_normal) = (total(true), total(false));
    let under = !matches!(method, Method::RandomOver);
    let over = !matches!(method, Method::RandomUnder);
    let scaled = |size: usize, f: f64| (f * size as f64).round() as usize;
    regions
        .iter()
        .enumerate()
        .map(|(ri, r)| {
            let size = r.rows.len();
            let want = match (amount, method) {
                (Amount::PerRegion(f), _) => scaled(size, f[ri]),
                (Amount::Factors { normal, rare }, _) => {
                    scaled(size, if r.rare { *rare } else { *normal })
                }
                (Amount::Balance, Method::RandomUnder) if !r.rare && n_normal > 0 => {
                    scaled(size, n_rare as f64 / n_normal as f64)
                }
                (Amount::Balance, Method::RandomOver) if r.rare => {
                    scaled(size, n_normal as f64 / n_rare as f64)
                }
                (Amount::Balance, Method::RandomUnder | Method::RandomOver) => size,
                (Amount::Balance, _) => (n as f64 / regions.len() as f64).round() as usize,
            };
            if r.rare && over {
                want.max(size)
            } else if !r.rare && under {
                want.min(size)
            } else {
                size
            }
        })
        .collect()
}

type NewRow = (Origin, Vec<f64>, f64);

/// Which rows of a region get extra rows: each row ⌊extra / size⌋ of them, and extra mod size
/// distinct rows drawn at random one more (the `smogn` package's and UBL's scheme).
fn extra_counts(size: usize, extra: usize, r: &mut ChaCha8Rng) -> Vec<usize> {
    let mut c = vec![extra / size; size];
    for i in sample(r, size, extra % size) {
        c[i] += 1;
    }
    c
}

fn by_region(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    layout: &FeatureLayout,
    params: &ValidParams,
    regions: &[Region],
    targets: &[usize],
) -> Result<(Vec<usize>, Vec<NewRow>), ResampleError> {
    let seed = params.seed;
    let mut kept = Vec::with_capacity(x.nrows());
    let mut new = Vec::new();
    let space = DistanceSpace::fit(x, layout);
    for (ri, (region, &target)) in regions.iter().zip(targets).enumerate() {
        let size = region.rows.len();
        if target < size {
            let mut r = region_rng(seed, ri, PURPOSE_UNDER);
            kept.extend(
                sample(&mut r, size, target)
                    .into_iter()
                    .map(|i| region.rows[i]),
            );
            continue;
        }
        kept.extend_from_slice(&region.rows);
        if target == size {
            continue;
        }
        let counts = extra_counts(size, target - size, &mut region_rng(seed, ri, PURPOSE_OVER));
        match params.method {
            Method::Smoter { k } => {
                new.extend(synthesise(x, y, &space, region, &counts, k, None, params)?)
            }
            Method::Smogn { k, pert, safe } => new.extend(synthesise(
                x,
                y,
                &space,
                region,
                &counts,
                k,
                Some((pert, safe)),
                params,
            )?),
            _ => {
                for (&row, &c) in region.rows.iter().zip(&counts) {
                    for _ in 0..c {
                        new.push((Origin::Replica { row }, x.row(row).to_vec(), y[row]));
                    }
                }
            }
        }
    }
    kept.sort_unstable();
    Ok((kept, new))
}

/// The space neighbours are searched in: continuous columns standardised over all input rows,
/// (x − μ)/σ (σ = 1 for a constant column); one-hot columns scaled by 1/√2, so that two
/// different categories of a group add exactly 1 to the squared distance (HEOM's overlap
/// distance for nominal attributes) and equal ones add 0.
struct DistanceSpace {
    mean: Vec<f64>,
    scale: Vec<f64>,
    continuous: Vec<usize>,
    groups: Vec<std::ops::Range<usize>>,
}

impl DistanceSpace {
    fn fit(x: ArrayView2<'_, f64>, layout: &FeatureLayout) -> Self {
        let d = x.ncols();
        let n = x.nrows() as f64;
        let mut mean = vec![0.0; d];
        let mut scale = vec![std::f64::consts::FRAC_1_SQRT_2; d];
        let continuous = layout.continuous_columns();
        for &j in &continuous {
            let col = x.column(j);
            let m = col.sum() / n;
            let var = col.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n;
            let s = var.sqrt();
            mean[j] = m;
            scale[j] = if s > 0.0 { 1.0 / s } else { 1.0 };
        }
        DistanceSpace {
            mean,
            scale,
            continuous,
            groups: layout.nominal().to_vec(),
        }
    }

    fn embed(&self, x: ArrayView2<'_, f64>, rows: &[usize]) -> Array2<f64> {
        let d = x.ncols();
        Array2::from_shape_fn((rows.len(), d), |(i, j)| {
            (x[[rows[i], j]] - self.mean[j]) * self.scale[j]
        })
    }
}

/// Population standard deviation of some values (0 for fewer than two).
fn std_of(v: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = v.clone().count() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let m = v.clone().sum::<f64>() / n;
    (v.map(|a| (a - m) * (a - m)).sum::<f64>() / n).sqrt()
}

fn median(sorted: &[f64]) -> f64 {
    let m = sorted.len();
    if m % 2 == 1 {
        sorted[m / 2]
    } else {
        0.5 * (sorted[m / 2 - 1] + sorted[m / 2])
    }
}

/// SMOTER (`smogn = None`) or SMOGN (`smogn = Some((pert, safe distance rule))`) rows for one
/// rare region.
#[allow(clippy::too_many_arguments)]
fn synthesise(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    space: &DistanceSpace,
    region: &Region,
    counts: &[usize],
    k: usize,
    smogn: Option<(f64, SafeDistance)>,
    params: &ValidParams,
) -> Result<Vec<NewRow>, ResampleError> {
    let pert = smogn.map(|s| s.0);
    let rows = &region.rows;
    let z = space.embed(x, rows);
    let neighbours = k_nearest(z.view(), k, params.search)?;
    // Noise scales: the region's standard deviations (the whole input's when the region has a
    // single row, whose own deviation is 0).
    let (sd, sd_y) = if pert.is_some() {
        let pool: Vec<usize> = if rows.len() > 1 {
            rows.clone()
        } else {
            (0..x.nrows()).collect()
        };
        let sd: Vec<f64> = (0..x.ncols())
            .map(|j| std_of(pool.iter().map(|&i| x[[i, j]])))
            .collect();
        (sd, std_of(pool.iter().map(|&i| y[i])))
    } else {
        (Vec::new(), 0.0)
    };
    let out: Vec<Vec<NewRow>> = (0..rows.len())
        .into_par_iter()
        .filter(|&li| counts[li] > 0)
        .map(|li| {
            let s = rows[li];
            let mut r = rng(params.seed, s as u64);
            let nn = &neighbours[li];
            let safe = match smogn {
                _ if nn.is_empty() => 0.0,
                None => 0.0,
                Some((_, SafeDistance::Neighbours)) => {
                    let d: Vec<f64> = nn.iter().map(|e| e.1).collect();
                    median(&d) / 2.0
                }
                Some((_, SafeDistance::Region)) => {
                    let zs = z.row(li).to_slice().expect("standard layout");
                    let dist = |lj: usize| {
                        sq_dist(zs, z.row(lj).to_slice().expect("standard layout")).sqrt()
                    };
                    let mut d: Vec<f64> = if rows.len() <= SAFE_SAMPLE {
                        (0..rows.len()).map(dist).collect()
                    } else {
                        sample(&mut r, rows.len(), SAFE_SAMPLE)
                            .into_iter()
                            .map(dist)
                            .collect()
                    };
                    d.sort_by(f64::total_cmp);
                    median(&d) / 2.0
                }
            };
            let mut v = Vec::with_capacity(counts[li]);
            for _ in 0..counts[li] {
                let pick = if nn.is_empty() {
                    None
                } else {
                    Some(nn[r.gen_range(0..nn.len())])
                };
                match (pick, pert) {
                    (Some((ln, dist)), p) if p.is_none() || dist < safe => {
                        v.push(interpolate(x, y, space, s, rows[ln], &mut r));
                    }
                    (pick, Some(p)) => {
                        let t = if pick.is_some() { p.min(safe) } else { p };
                        let mut row = x.row(s).to_vec();
                        for &j in &space.continuous {
                            row[j] += truncated_normal(&mut r) * sd[j] * t;
                        }
                        let ys = y[s] + truncated_normal(&mut r) * sd_y * t;
                        let origin = Origin::Noise {
                            seed: s,
                            neighbour: pick.map(|(ln, _)| rows[ln]),
                        };
                        v.push((origin, row, ys));
                    }
                    // SMOTER in a region of one row: nothing to interpolate with.
                    (_, None) => {
                        v.push((Origin::Replica { row: s }, x.row(s).to_vec(), y[s]));
                    }
                }
            }
            v
        })
        .collect();
    Ok(out.into_iter().flatten().collect())
}

/// One SMOTER row: continuous columns on the segment from the seed to the neighbour, each
/// nominal group copied from the seed or the neighbour (a fair coin), the target the
/// distance-weighted mean of the two targets (Torgo et al. 2013):
/// y = (d_n · y_s + d_s · y_n)/(d_s + d_n), with d_s, d_n the distances of the new row to the
/// seed and to the neighbour in the search space (the two targets' mean when both are 0).
fn interpolate(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    space: &DistanceSpace,
    s: usize,
    nb: usize,
    r: &mut ChaCha8Rng,
) -> NewRow {
    let gap: f64 = r.gen();
    let (xs, xn) = (x.row(s), x.row(nb));
    let mut row = xs.to_vec();
    let mut dc2 = 0.0;
    for &j in &space.continuous {
        let diff = xn[j] - xs[j];
        row[j] = xs[j] + gap * diff;
        let dz = diff * space.scale[j];
        dc2 += dz * dz;
    }
    let (mut ms, mut mn) = (0.0, 0.0);
    for g in &space.groups {
        let from_neighbour: bool = r.gen();
        let differ = g.clone().any(|j| xs[j] != xn[j]);
        if from_neighbour {
            for j in g.clone() {
                row[j] = xn[j];
            }
            if differ {
                ms += 1.0;
            }
        } else if differ {
            mn += 1.0;
        }
    }
    let ds = (gap * gap * dc2 + ms).sqrt();
    let dn = ((1.0 - gap) * (1.0 - gap) * dc2 + mn).sqrt();
    let yv = if ds + dn > 0.0 {
        (dn * y[s] + ds * y[nb]) / (ds + dn)
    } else {
        0.5 * (y[s] + y[nb])
    };
    // Keep the target inside [min, max] of the two despite rounding.
    let (lo, hi) = (y[s].min(y[nb]), y[s].max(y[nb]));
    let origin = Origin::Interpolated {
        seed: s,
        neighbour: nb,
        gap,
    };
    (origin, row, yv.clamp(lo, hi))
}

/// WERCS: `round(under · N)` rows removed, drawn without replacement with probability ∝ 1 − φ
/// (Efraimidis–Spirakis keys ln(u)/w, the largest keys win; rows with φ = 1 are never
/// removed, so fewer are removed when fewer rows have φ < 1), and `round(over · N)` replicas
/// drawn with replacement with probability ∝ φ.
fn wercs(
    phi: &[f64],
    over: f64,
    under: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<NewRow>), ResampleError> {
    let n = phi.len();
    let n_under = (under * n as f64).round() as usize;
    let n_over = (over * n as f64).round() as usize;
    let mut r = rng(seed, REGION_STREAM | PURPOSE_WERCS_UNDER);
    let mut keys: Vec<(f64, usize)> = (0..n)
        .filter_map(|i| {
            let u: f64 = 1.0 - r.gen::<f64>(); // (0, 1]
            let w = 1.0 - phi[i];
            (w > 0.0).then(|| (u.ln() / w, i))
        })
        .collect();
    keys.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut removed = vec![false; n];
    for &(_, i) in keys.iter().take(n_under) {
        removed[i] = true;
    }
    let kept: Vec<usize> = (0..n).filter(|&i| !removed[i]).collect();
    let mut replicas = Vec::with_capacity(n_over);
    if n_over > 0 {
        let mut cum = Vec::with_capacity(n);
        let mut acc = 0.0;
        for &f in phi {
            acc += f;
            cum.push(acc);
        }
        if acc <= 0.0 {
            return Err(ResampleError::param(
                "relevance",
                "every row has φ = 0: WERCS has nothing to over-sample",
            ));
        }
        let mut r = rng(seed, REGION_STREAM | PURPOSE_WERCS_OVER);
        for _ in 0..n_over {
            let u = r.gen::<f64>() * acc;
            let i = cum.partition_point(|&c| c <= u).min(n - 1);
            replicas.push(i);
        }
        replicas.sort_unstable();
    }
    // Rows are filled in by `assemble` (features and targets read there).
    let new = replicas
        .into_iter()
        .map(|row| (Origin::Replica { row }, Vec::new(), f64::NAN))
        .collect();
    Ok((kept, new))
}

fn assemble(
    x: ArrayView2<'_, f64>,
    y: &[f64],
    regions: &[Region],
    kept: Vec<usize>,
    new: Vec<NewRow>,
) -> Resampled {
    let d = x.ncols();
    let m = kept.len() + new.len();
    let mut flat = Vec::with_capacity(m * d);
    let mut yo = Vec::with_capacity(m);
    let mut origin = Vec::with_capacity(m);
    for &i in &kept {
        flat.extend(x.row(i).iter());
        yo.push(y[i]);
        origin.push(Origin::Original { row: i });
    }
    for (o, row, yv) in new {
        if row.is_empty() {
            let i = o.source();
            flat.extend(x.row(i).iter());
            yo.push(y[i]);
        } else {
            flat.extend_from_slice(&row);
            yo.push(yv);
        }
        origin.push(o);
    }
    let x = Array2::from_shape_vec((m, d), flat).expect("m rows of d values");
    let mut region_of = vec![0usize; y.len()];
    for (ri, r) in regions.iter().enumerate() {
        for &i in &r.rows {
            region_of[i] = ri;
        }
    }
    let mut reports: Vec<RegionReport> = regions
        .iter()
        .map(|r| RegionReport {
            rare: r.rare,
            y_min: r.y_min,
            y_max: r.y_max,
            before: r.rows.len(),
            after: 0,
            synthetic: 0,
        })
        .collect();
    for o in &origin {
        let rep = &mut reports[region_of[o.source()]];
        rep.after += 1;
        rep.synthetic += usize::from(o.is_synthetic());
    }
    Resampled {
        x,
        y: yo,
        origin,
        regions: reports,
    }
}
