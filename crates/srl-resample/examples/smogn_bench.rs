//! Times our SMOGN and SMOTER on seeded synthetic tables, for the side-by-side comparison with
//! the Python `smogn` package (`benches/python/smogn_side_by_side.py` drives both).
//!
//! ```text
//! cargo run --release -p srl-resample --example smogn_bench -- gen DIR
//!     writes DIR/wide28k.csv (28,000 × 59 continuous features, skewed target) and
//!     DIR/mixed17k.csv (17,000 rows: 8 numeric features, one 3-category column, skewed
//!     target, modelled on the shared UCI tables such as abalone)
//! cargo run --release -p srl-resample --example smogn_bench -- time CSV PHI ROWS METHOD \
//!     [REPEATS] [SEARCH] [OUT]
//!     times METHOD (smogn | smoter) on the first ROWS rows of CSV, with the relevance values
//!     of PHI (one per line, for exactly those rows; the driver computes them with the
//!     `smogn` package's own φ so both sides resample the same rare rows), or, with PHI
//!     `auto`, φ from `srl_data::relevance` (automatic control points on both tails, coef
//!     1.5, the package's defaults); SEARCH is auto
//!     (default), kdtree, balltree or brute; prints one JSON line; OUT, if given, receives the
//!     resampled targets and origins as CSV
//! cargo run --release -p srl-resample --example smogn_bench -- run DIR
//!     times SMOGN and SMOTER on both full tables of DIR with φ = `auto`
//! ```
//!
//! A categorical CSV column (non-numeric cells) becomes a one-hot group, as the table
//! pipeline would encode it.

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use srl_data::relevance::RelevanceParams;
use srl_resample::{resample, FeatureLayout, Method, NeighbourSearch, Origin, ResampleParams};
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let res = match args.first().map(String::as_str) {
        Some("gen") if args.len() == 2 => generate(&args[1]),
        Some("time") if args.len() >= 5 => time(&args[1..]),
        Some("run") if args.len() == 2 => ["wide28k.csv:28000", "mixed17k.csv:17000"]
            .iter()
            .flat_map(|t| ["smogn", "smoter"].map(|m| (t, m)))
            .try_for_each(|(t, m)| {
                let (file, rows) = t.split_once(':').expect("name:rows");
                let a = [
                    format!("{}/{file}", args[1]),
                    "auto".into(),
                    rows.into(),
                    m.into(),
                ];
                time(&a)
            }),
        _ => Err(
            "usage: smogn_bench gen DIR | run DIR | time CSV PHI ROWS METHOD [REPEATS] \
             [SEARCH] [OUT]"
                .to_string(),
        ),
    };
    if let Err(e) = res {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
}

fn normal(r: &mut ChaCha8Rng) -> f64 {
    r.sample(StandardNormal)
}

/// Both tables, seeded. Wide: 59 features driven by 6 latent factors plus noise; target
/// exp(linear in the factors) — right-skewed, a long rare upper tail. Mixed: 8 numeric
/// measurements of one latent size, a 3-level category shifting the target, target a
/// count-like skewed variable (abalone's rings are the model).
fn generate(dir: &str) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
    let mut r = ChaCha8Rng::seed_from_u64(20_260_101);
    let (n, d, f) = (28_000, 59, 6);
    let load: Vec<f64> = (0..d * f).map(|_| normal(&mut r)).collect();
    let beta: Vec<f64> = (0..f).map(|_| 0.4 * normal(&mut r)).collect();
    let mut s = String::new();
    let names: Vec<String> = (0..d).map(|j| format!("f{j}")).collect();
    writeln!(s, "{},y", names.join(",")).unwrap();
    for _ in 0..n {
        let z: Vec<f64> = (0..f).map(|_| normal(&mut r)).collect();
        for j in 0..d {
            let v: f64 = (0..f).map(|q| load[j * f + q] * z[q]).sum::<f64>() + normal(&mut r);
            write!(s, "{v:.6},").unwrap();
        }
        let lin: f64 = (0..f).map(|q| beta[q] * z[q]).sum::<f64>() + 0.3 * normal(&mut r);
        writeln!(s, "{:.6}", (lin).exp()).unwrap();
    }
    write_file(&format!("{dir}/wide28k.csv"), &s)?;

    let n = 17_000;
    let mut s = String::new();
    let names: Vec<String> = (0..8).map(|j| format!("n{j}")).collect();
    writeln!(s, "{},cat,y", names.join(",")).unwrap();
    for _ in 0..n {
        let size = normal(&mut r);
        for j in 0..8 {
            let v = (1.0 + 0.1 * j as f64) * size + 0.5 * normal(&mut r) + j as f64;
            write!(s, "{v:.6},").unwrap();
        }
        let c = r.gen_range(0..3usize);
        let shift = [0.0, 0.3, -0.4][c];
        let y = (2.0 + 0.35 * size + shift + 0.25 * normal(&mut r))
            .exp()
            .round()
            + 1.0;
        writeln!(s, "{},{y}", ["F", "I", "M"][c]).unwrap();
    }
    write_file(&format!("{dir}/mixed17k.csv"), &s)
}

fn write_file(path: &str, text: &str) -> Result<(), String> {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{path}: {e}"))
}

/// The first `rows` rows of a CSV whose last column is `y`; non-numeric columns one-hot
/// encoded (categories sorted), giving the matrix and its layout.
fn read(path: &str, rows: usize) -> Result<(Array2<f64>, Vec<f64>, FeatureLayout), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or("empty file")?.split(',').collect();
    let cells: Vec<Vec<&str>> = lines.take(rows).map(|l| l.split(',').collect()).collect();
    if cells.len() < rows {
        return Err(format!("{path} has only {} rows", cells.len()));
    }
    let nin = header.len() - 1;
    // Per input column: None = numeric, Some(categories) = nominal.
    let kinds: Vec<Option<Vec<String>>> = (0..nin)
        .map(|j| {
            if cells.iter().all(|c| c[j].parse::<f64>().is_ok()) {
                None
            } else {
                let mut cats: Vec<String> = cells.iter().map(|c| c[j].to_string()).collect();
                cats.sort();
                cats.dedup();
                Some(cats)
            }
        })
        .collect();
    let width: usize = kinds.iter().map(|k| k.as_ref().map_or(1, Vec::len)).sum();
    let mut x = Array2::zeros((rows, width));
    let mut groups = Vec::new();
    let mut at = 0;
    for (j, k) in kinds.iter().enumerate() {
        match k {
            None => {
                for (i, c) in cells.iter().enumerate() {
                    x[[i, at]] = c[j].parse::<f64>().unwrap();
                }
                at += 1;
            }
            Some(cats) => {
                for (i, c) in cells.iter().enumerate() {
                    let q = cats.iter().position(|v| v == c[j]).unwrap();
                    x[[i, at + q]] = 1.0;
                }
                groups.push(at..at + cats.len());
                at += cats.len();
            }
        }
    }
    let y = cells
        .iter()
        .map(|c| c[nin].parse::<f64>().map_err(|e| format!("y: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let layout = FeatureLayout::with_nominal(width, groups).map_err(|e| e.to_string())?;
    Ok((x, y, layout))
}

fn time(args: &[String]) -> Result<(), String> {
    let rows: usize = args[2].parse().map_err(|e| format!("ROWS: {e}"))?;
    let method = match args[3].as_str() {
        "smogn" => Method::smogn(),
        "smoter" => Method::smoter(),
        m => return Err(format!("unknown method {m}")),
    };
    let repeats: usize = args
        .get(4)
        .map_or(Ok(3), |s| s.parse())
        .map_err(|e| format!("{e}"))?;
    let search = match args.get(5).map(String::as_str) {
        None | Some("auto") => NeighbourSearch::Auto,
        Some("kdtree") => NeighbourSearch::KdTree,
        Some("balltree") => NeighbourSearch::BallTree,
        Some("brute") => NeighbourSearch::BruteForce,
        Some(s) => return Err(format!("unknown search {s}")),
    };
    let (x, y, layout) = read(&args[0], rows)?;
    let phi: Vec<f64> = if args[1] == "auto" {
        RelevanceParams::default()
            .fit(&y)
            .map_err(|e| e.to_string())?
            .phi_all(&y)
    } else {
        std::fs::read_to_string(&args[1])
            .map_err(|e| format!("{}: {e}", args[1]))?
            .lines()
            .map(|l| l.trim().parse::<f64>().map_err(|e| format!("PHI: {e}")))
            .collect::<Result<_, _>>()?
    };
    let params = ResampleParams::new(method.clone())
        .search(search)
        .seed(1)
        .check()
        .map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        let o = resample(x.view(), &y, &phi, &layout, &params).map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64());
        out = Some(o);
    }
    let out = out.expect("at least one run");
    times.sort_by(f64::total_cmp);
    let regions: Vec<String> = out
        .regions
        .iter()
        .map(|r| {
            format!(
                r#"{{"rare":{},"y_min":{},"y_max":{},"before":{},"after":{},"synthetic":{}}}"#,
                r.rare, r.y_min, r.y_max, r.before, r.after, r.synthetic
            )
        })
        .collect();
    let noise = out
        .origin
        .iter()
        .filter(|o| matches!(o, Origin::Noise { .. }))
        .count();
    println!(
        r#"{{"file":"{}","rows":{rows},"cols":{},"method":"{}","search":"{search:?}","threads":{},"median_seconds":{},"min_seconds":{},"out_rows":{},"noise_rows":{noise},"regions":[{}]}}"#,
        args[0],
        x.ncols(),
        method.name(),
        rayon::current_num_threads(),
        times[times.len() / 2],
        times[0],
        out.y.len(),
        regions.join(",")
    );
    if let Some(path) = args.get(6) {
        let mut s = String::from("y,kind,source\n");
        for (v, o) in out.y.iter().zip(&out.origin) {
            let kind = match o {
                Origin::Original { .. } => "original",
                Origin::Replica { .. } => "replica",
                Origin::Interpolated { .. } => "interpolated",
                Origin::Noise { .. } => "noise",
            };
            writeln!(s, "{v},{kind},{}", o.source()).unwrap();
        }
        write_file(path, &s)?;
    }
    Ok(())
}
