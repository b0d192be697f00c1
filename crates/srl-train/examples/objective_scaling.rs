//! How the SRL objective's cost grows (issue 28, item 5): the forward + backward of
//! `SrlObjective::evaluate_into` (f32, authors'-code parameters, every bin in the memory) timed
//! while one of K (bins), N (enveloping points), d (representation width) and M (batch rows)
//! grows and the others stay at the base shape K 100, N 2,000, d 128, M 256. Prints a markdown
//! table: the median time per call at each size, the fitted exponent of time ~ size^p
//! (least squares on log–log, over all sizes and over the largest three, where fixed costs
//! matter least), the memory estimate of the objective
//! ([`srl_train::memory::srl_memory_estimate`] plus the batch's M × (K + 2d) buffers), and the
//! largest size along that axis that runs in 1 s (extrapolated from the largest measured size
//! with the top-three exponent; not given beyond 100× the measured range) and that fits 4 GiB.
//!
//! ```text
//! cargo run --release -p srl-train --example objective_scaling [-- --threads N]
//! ```
//!
//! One thread unless `--threads N` is given (the products' and rayon's thread counts). Times
//! are of this machine and this moment; the exponents are ratios within one run.

use ndarray::Array2;
use srl_losses::{SrlConfig, SrlObjective};
use srl_surrogate::{Surrogate, SurrogateConfig};
use srl_train::memory::srl_memory_estimate;
use std::time::Instant;

/// The base shape (K, N, d, M).
const BASE: Shape = Shape {
    k: 100,
    n: 2000,
    d: 128,
    m: 256,
};

/// 4 GiB, the default memory limit of a run.
const LIMIT: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;

#[derive(Debug, Clone, Copy)]
struct Shape {
    k: usize,
    n: usize,
    d: usize,
    m: usize,
}

impl Shape {
    /// Bytes: the objective's buffers and the batch's features, scores and gradients.
    fn memory(&self) -> f64 {
        srl_memory_estimate(self.k, self.n, self.d)
            + 4.0 * self.m as f64 * (self.k + 2 * self.d) as f64
    }
}

/// The median seconds of one forward + backward at `s` (at least 3 calls and 0.3 s).
fn time(s: Shape) -> Result<f64, Box<dyn std::error::Error>> {
    let gaussian = |rows: usize, cols: usize, seed: u64| {
        srl_testkit::random::gaussian_matrix(rows, cols, seed)
    };
    let mut surrogate = Surrogate::<f32>::new(SurrogateConfig::new(s.k, s.d))?;
    let mem = srl_geometry::normalize_rows(gaussian(s.k, s.d, 1).view()).0;
    let all_bins: Vec<usize> = (0..s.k).collect();
    surrogate.accumulate(mem.view(), &all_bins)?;
    surrogate.end_epoch()?;
    let centres: Vec<f64> = (0..s.k).map(|i| i as f64).collect();
    let mut config = SrlConfig::authors_code(s.k, s.d, centres);
    config.params.num_points = s.n;
    let mut srl = SrlObjective::<f32>::new(config)?;
    let h: Array2<f32> = gaussian(s.m, s.d, 2);
    let bins: Vec<usize> = (0..s.m).map(|i| (i * 37) % s.k).collect();
    let mut grad = Array2::zeros((s.m, s.d));
    srl.evaluate_into(h.view(), &bins, &surrogate, grad.view_mut())?;
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 3 || started.elapsed().as_secs_f64() < 0.3 {
        let t = Instant::now();
        srl.evaluate_into(h.view(), &bins, &surrogate, grad.view_mut())?;
        samples.push(t.elapsed().as_secs_f64());
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples[samples.len() / 2])
}

/// Slope and intercept of the least-squares line through (ln x, ln y).
fn fit(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    let (lx, ly): (Vec<f64>, Vec<f64>) = points.iter().map(|(x, y)| (x.ln(), y.ln())).unzip();
    let (mx, my) = (lx.iter().sum::<f64>() / n, ly.iter().sum::<f64>() / n);
    let sxy: f64 = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = lx.iter().map(|x| (x - mx).powi(2)).sum();
    let p = sxy / sxx;
    (p, my - p * mx)
}

/// The largest value of the axis whose memory estimate stays within [`LIMIT`] (doubling, then
/// bisecting).
fn largest_in_memory(set: &dyn Fn(usize) -> Shape) -> usize {
    let (mut lo, mut hi) = (1usize, 2usize);
    while set(hi).memory() <= LIMIT && hi < 1 << 40 {
        lo = hi;
        hi *= 2;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if set(mid).memory() <= LIMIT {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .map_or(Ok(1), |t| t.parse::<usize>())?;
    // Edition 2021: set before the first product or pool starts.
    std::env::set_var("MATMUL_NUM_THREADS", threads.to_string());
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());

    type Axis = (&'static str, Vec<usize>, fn(usize) -> Shape);
    let axes: Vec<Axis> = vec![
        ("K (bins)", vec![10, 30, 100, 300, 1000], |v| Shape {
            k: v,
            ..BASE
        }),
        (
            "N (points)",
            vec![1000, 3000, 10_000, 30_000, 100_000],
            |v| Shape { n: v, ..BASE },
        ),
        ("d (width)", vec![16, 64, 256, 1024], |v| Shape {
            d: v,
            ..BASE
        }),
        ("M (batch)", vec![64, 256, 1024, 4096], |v| Shape {
            m: v,
            ..BASE
        }),
    ];
    println!(
        "Base shape K {}, N {}, d {}, M {}; {threads} thread(s); median ms per forward + backward.\n",
        BASE.k, BASE.n, BASE.d, BASE.m
    );
    println!("| axis | sizes | ms | p (all) | p (top 3) | memory at the largest size | largest in 1 s | largest in 4 GiB |");
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for (name, sizes, set) in &axes {
        let mut points = Vec::new();
        for &v in sizes {
            points.push((v as f64, time(set(v))?));
        }
        let (p, _) = fit(&points);
        let top = &points[points.len().saturating_sub(3)..];
        let (p_top, _) = fit(top);
        // From the largest measured size: t · (v / v_last)^p_top = 1 s.
        let (v_last, t_last) = top[top.len() - 1];
        let in_one_second = v_last * (1.0 / t_last).powf(1.0 / p_top);
        let one_second = if in_one_second > 100.0 * v_last {
            "> 100× the measured range".to_string()
        } else {
            format!("≈ {}", round_to_2(in_one_second))
        };
        let in_memory = largest_in_memory(set);
        let last = *sizes.last().unwrap_or(&1);
        println!(
            "| {name} | {} | {} | {p:.2} | {p_top:.2} | {:.0} MiB | {one_second} | {} |",
            sizes
                .iter()
                .map(|v| v.to_string())
                .collect::<Vec<_>>()
                .join(" / "),
            points
                .iter()
                .map(|(_, t)| format!("{:.2}", t * 1e3))
                .collect::<Vec<_>>()
                .join(" / "),
            set(last).memory() / (1024.0 * 1024.0),
            in_memory,
        );
    }
    Ok(())
}

/// `v` rounded to two significant digits (an extrapolated size).
fn round_to_2(v: f64) -> String {
    if !v.is_finite() || v <= 0.0 {
        return "—".into();
    }
    let e = v.log10().floor() as i32 - 1;
    let r = (v / 10f64.powi(e)).round() * 10f64.powi(e);
    format!("{r:.0}")
}
