//! Rust GBDT candidates on the prepared splits (see prep.py): hessboost 0.4.6,
//! perpetual 3.0.0-rc.2 and forust-ml 0.8.0.
//!
//! usage: gbdt-eval DATA_DIR PRED_DIR THREADS [ENGINE_PREFIX]
//! One JSON line per fit on stdout; test predictions ('{:e}' of the f64, exact round trip)
//! in PRED_DIR/<engine>/<table>/<seed>.txt. For every fit the same model is also refitted
//! with explicit unit sample weights, and `w1_same` says whether its predictions are
//! bit-identical to the unweighted fit's.
//!
//! Build it outside the repository: `cargo new --bin gbdt-eval`, copy this file to its
//! src/main.rs, add the dependencies hessboost = "=0.4.6", perpetual = "=3.0.0-rc.2",
//! forust-ml = "=0.8.0", and `cargo build --release`.
use std::fs;
use std::num::NonZeroUsize;
use std::path::Path;
use std::time::Instant;

struct Part {
    x: Vec<f64>, // row-major
    y: Vec<f64>,
    rows: usize,
    cols: usize,
}

impl Part {
    fn load(path: &Path) -> Part {
        let text = fs::read_to_string(path).unwrap();
        let mut lines = text.lines();
        let cols = lines.next().unwrap().split(',').count() - 1;
        let (mut x, mut y, mut rows) = (Vec::new(), Vec::new(), 0);
        for line in lines.filter(|l| !l.is_empty()) {
            let v: Vec<f64> = line.split(',').map(|s| s.parse().unwrap()).collect();
            x.extend_from_slice(&v[..cols]);
            y.push(v[cols]);
            rows += 1;
        }
        Part { x, y, rows, cols }
    }
    fn col_major(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.x.len());
        for j in 0..self.cols {
            out.extend((0..self.rows).map(|i| self.x[i * self.cols + j]));
        }
        out
    }
    fn concat(&self, other: &Part) -> Part {
        let mut x = self.x.clone();
        x.extend_from_slice(&other.x);
        let mut y = self.y.clone();
        y.extend_from_slice(&other.y);
        Part { x, y, rows: self.rows + other.rows, cols: self.cols }
    }
}

struct Fit {
    pred: Vec<f64>,
    rounds: usize,
}

fn f32v(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&a| a as f32).collect()
}

// ---------------------------------------------------------------- hessboost
fn hessboost_fit(
    cfg: &str,
    tr: &Part,
    va: &Part,
    te: &Part,
    seed: u64,
    threads: usize,
    unit_w: bool,
) -> Fit {
    use hessboost::config::GrowPolicy;
    use hessboost::prelude::*;
    let mut dtr = DMatrix::from_dense(&f32v(&tr.x), tr.rows, tr.cols).unwrap()
        .with_labels(&f32v(&tr.y)).unwrap();
    if unit_w {
        dtr = dtr.with_weights(&vec![1.0f32; tr.rows]).unwrap();
    }
    let dva = DMatrix::from_dense(&f32v(&va.x), va.rows, va.cols).unwrap()
        .with_labels(&f32v(&va.y)).unwrap();
    let dte = DMatrix::from_dense(&f32v(&te.x), te.rows, te.cols).unwrap();
    let mut b = TrainingParams::builder()
        .objective(Objective::SquaredError(RegLoss::default()))
        .seed(seed)
        .nthread(threads);
    // "lgbm": LightGBM's defaults spelled in hessboost (leaf-wise, 31 leaves, lr 0.1,
    // min hessian 20 = min_data_in_leaf 20 for squared error, no L2).
    if cfg.starts_with("lgbm") {
        b = b.grow_policy(GrowPolicy::LossGuide).unlimited_depth().max_leaves(31).eta(0.1)
            .min_child_weight(20.0).lambda(0.0);
    }
    // "-sub": rows and columns subsampled (0.8 per tree), so that the seed matters.
    if cfg.ends_with("-sub") {
        b = b.subsample(0.8).colsample_bytree(0.8);
    }
    let params = b.build().unwrap();
    let es = cfg.contains("-es");
    let model = if es {
        Trainer::new(&params, &dtr, 5000)
            .eval(&dva, "valid")
            .early_stopping_rounds(NonZeroUsize::new(50).unwrap())
            .train()
            .unwrap()
            .model
    } else {
        train(&params, &dtr, 100).unwrap()
    };
    let p = model.predict(&dte, Iterations::Best).unwrap();
    let pred: Vec<f64> = (0..te.rows).map(|i| *p.get(i, 0).unwrap() as f64).collect();
    let rounds = model.best_iteration().map(|b| b + 1).unwrap_or(model.num_trees());
    Fit { pred, rounds }
}

// ---------------------------------------------------------------- perpetual
fn perpetual_fit(cfg: &str, tr: &Part, va: &Part, te: &Part, seed: u64, threads: usize, unit_w: bool) -> Fit {
    use perpetual::objective::Objective;
    use perpetual::{Matrix, PerpetualBooster};
    // "b05" = the default budget 0.5, "b1" = budget 1.0; "-trval" fits on train+val
    // (perpetual takes no validation set: its stopping rule is internal).
    let budget = if cfg.starts_with("b1") { 1.0 } else { 0.5 };
    let fit_on = if cfg.ends_with("-trval") { tr.concat(va) } else { tr.concat(&Part { x: vec![], y: vec![], rows: 0, cols: tr.cols }) };
    let xc = fit_on.col_major();
    let m = Matrix::new(&xc, fit_on.rows, fit_on.cols);
    let mut booster = PerpetualBooster::default()
        .set_objective(Objective::SquaredLoss)
        .set_budget(budget)
        .set_seed(seed)
        .set_num_threads(Some(threads));
    let w = vec![1.0f64; fit_on.rows];
    booster.fit(&m, &fit_on.y, if unit_w { Some(&w) } else { None }, None).unwrap();
    let xt = te.col_major();
    let mt = Matrix::new(&xt, te.rows, te.cols);
    let pred = booster.predict(&mt, true);
    Fit { pred, rounds: booster.get_prediction_trees().len() }
}

// ---------------------------------------------------------------- forust
fn forust_fit(_cfg: &str, tr: &Part, va: &Part, te: &Part, seed: u64, threads: usize, _unit_w: bool) -> Fit {
    use forust_ml::objective::ObjectiveType;
    use forust_ml::{GradientBooster, Matrix};
    // forust's defaults (10 rounds, lr 0.3, depth 5) are a placeholder, so only the
    // early-stopped variant: defaults but up to 5000 rounds, stop after 50 without
    // improvement of the validation RMSE. forust always takes weights (unit here).
    let mut gb = GradientBooster::default()
        .set_objective_type(ObjectiveType::SquaredLoss)
        .set_iterations(5000)
        .set_early_stopping_rounds(Some(50))
        .set_seed(seed)
        .set_num_threads(Some(threads));
    let xc = tr.col_major();
    let m = Matrix::new(&xc, tr.rows, tr.cols);
    let vc = va.col_major();
    let vw = vec![1.0f64; va.rows];
    let vm = Matrix::new(&vc, va.rows, va.cols);
    let w = vec![1.0f64; tr.rows];
    gb.fit(&m, &tr.y, &w, Some(vec![(vm, &va.y[..], &vw[..])])).unwrap();
    let xt = te.col_major();
    let mt = Matrix::new(&xt, te.rows, te.cols);
    let pred = gb.predict(&mt, true);
    Fit { pred, rounds: gb.best_iteration.map(|b| b + 1).unwrap_or(gb.trees.len()) }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let data = Path::new(&args[1]);
    let preds = Path::new(&args[2]);
    let threads: usize = args[3].parse().unwrap();
    let only = args.get(4).cloned().unwrap_or_default();
    let mut tables: Vec<String> = fs::read_dir(data).unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    tables.sort();
    type Runner = fn(&str, &Part, &Part, &Part, u64, usize, bool) -> Fit;
    let engines: Vec<(&str, &str, Runner)> = vec![
        ("hessboost-default", "default", hessboost_fit),
        ("hessboost-es", "default-es", hessboost_fit),
        ("hessboost-lgbmparams", "lgbm", hessboost_fit),
        ("hessboost-lgbmparams-es", "lgbm-es", hessboost_fit),
        ("hessboost-lgbmparams-es-sub", "lgbm-es-sub", hessboost_fit),
        ("perpetual-b0.5", "b05", perpetual_fit),
        ("perpetual-b1", "b1", perpetual_fit),
        ("perpetual-b1-trval", "b1-trval", perpetual_fit),
        ("forust-es", "es", forust_fit),
    ];
    for table in &tables {
        let tr = Part::load(&data.join(table).join("train.csv"));
        let va = Part::load(&data.join(table).join("val.csv"));
        let te = Part::load(&data.join(table).join("test.csv"));
        for (name, cfg, run) in &engines {
            if !name.starts_with(only.as_str()) {
                continue;
            }
            for seed in 0..3u64 {
                let t0 = Instant::now();
                let fit = run(cfg, &tr, &va, &te, seed, threads, false);
                let fit_s = t0.elapsed().as_secs_f64();
                let w1 = run(cfg, &tr, &va, &te, seed, threads, true);
                let w1_same = w1.pred.iter().zip(&fit.pred).all(|(a, b)| a.to_bits() == b.to_bits());
                let mae = fit.pred.iter().zip(&te.y).map(|(p, y)| (p - y).abs()).sum::<f64>()
                    / te.rows as f64;
                let dir = preds.join(name).join(table);
                fs::create_dir_all(&dir).unwrap();
                let body: String = fit.pred.iter().map(|v| format!("{v:e}\n")).collect();
                fs::write(dir.join(format!("{seed}.txt")), body).unwrap();
                println!(
                    "{{\"engine\": \"{name}\", \"table\": \"{table}\", \"seed\": {seed}, \"mae\": {mae}, \
                     \"fit_s\": {fit_s}, \"rounds\": {}, \"threads\": {threads}, \"w1_same\": {w1_same}}}",
                    fit.rounds
                );
            }
        }
    }
}
