//! `cargo xtask prose`: the numbers the results prose quotes, generated from the committed run
//! folders, so the prose quotes a generated snippet instead of a number copied by hand.
//!
//! Input: the run folders of the committed full-profile results — `docs/results/full/runs`
//! (UCI-DIR), `docs/results/full-iol-linear/runs` and `docs/results/full-iol-sde/runs` — read
//! with [`srl_train::run_folder::read_report`]. Output: [`NUMBERS`] (`docs/results/numbers.md`):
//! the tables the prose reproduces, one table per benchmark whose cells are the quotable
//! numbers (the key of a cell is `<benchmark>.<method>.<column>`, e.g.
//! `iol-sde.lds+srl.all.change`), and a key/value list of the numbers that are not per method.
//!
//! Every change is **paired**: a method is compared with vanilla (or another method) on the
//! seeds both ran — same seed, same initialisation and batch order — as the change of its mean
//! over those seeds against the other's mean over the same seeds, with the count of seeds it
//! wins. A 3-seed baseline is never compared with a 5-seed vanilla mean.
//!
//! The prose marks a quoted number with its key in an HTML comment right after it
//! (`−11.0 %<!--n:iol-sde.lds+srl.all.change-->`, invisible when rendered), and reproduces the
//! tables of [`Generated::tables`] verbatim. [`check_prose`] compares both with the generated
//! values; `cargo xtask prose` writes the page and then runs the check, `--check` only checks,
//! and the test `numbers_md_and_the_prose_match_the_committed_runs` fails when the page is
//! stale or the prose disagrees with it.

use crate::common::repo_root;
use crate::error::{Result, XtaskError};
use crate::tables::{collect_reports, display_method, method_order, Kind, Metric};
use srl_data::BenchmarkId;
use srl_train::MethodName;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The generated page, relative to the repository root.
pub const NUMBERS: &str = "docs/results/numbers.md";

/// The files whose `<!--n:KEY-->` markers are checked, relative to the repository root.
pub const CHECKED_FILES: &[&str] = &[
    "README.md",
    "docs/results/README.md",
    "docs/results/ablation/README.md",
    "docs/results/tuning/README.md",
];

/// Where the committed runs are: the result folder under `docs/results/` and its benchmarks.
pub const SOURCES: &[(&str, &[BenchmarkId])] = &[
    (
        "full",
        &[
            BenchmarkId::Airfoil,
            BenchmarkId::Abalone,
            BenchmarkId::Concrete,
            BenchmarkId::RealEstate,
        ],
    ),
    ("full-iol-linear", &[BenchmarkId::IolLinear]),
    ("full-iol-sde", &[BenchmarkId::IolSde]),
];

/// The opening of a marker; the key follows up to [`MARK_CLOSE`].
const MARK_OPEN: &str = "<!--n:";
/// The end of a marker.
const MARK_CLOSE: &str = "-->";

/// Flags of `cargo xtask prose`.
#[derive(Debug, Clone, clap::Args)]
pub struct ProseArgs {
    /// Only check: fail if docs/results/numbers.md is stale or the prose disagrees with it.
    #[arg(long)]
    pub check: bool,
}

/// Runs `cargo xtask prose`.
pub fn run(args: &ProseArgs) -> Result<()> {
    let root = repo_root();
    let generated = Generated::from_runs(&root)?;
    let page = generated.to_markdown();
    let path = root.join(NUMBERS);
    let mut problems = Vec::new();
    if args.check {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != page {
            problems.push(format!(
                "{NUMBERS} is stale: run `cargo xtask prose` to regenerate it"
            ));
        }
    } else {
        std::fs::write(&path, &page).map_err(|e| XtaskError::io("write", &path, e))?;
        println!("wrote {}", path.display());
    }
    problems.extend(check_prose(&root, &generated)?.problems);
    if problems.is_empty() {
        println!("the prose agrees with {NUMBERS}");
        Ok(())
    } else {
        Err(XtaskError::ProseMismatch(format!(
            "the prose disagrees with the committed runs:\n{}",
            problems.join("\n")
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// The runs

/// What the page needs of one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Run {
    /// Test MAE, All.
    pub all: f64,
    /// Test MAE, Few.
    pub few: f64,
    /// Validation MAE, All.
    pub val_all: f64,
    /// Validation MAE, Few.
    pub val_few: f64,
    /// Seconds of optimisation per epoch.
    pub seconds_per_epoch: f64,
    /// Epoch kept by validation.
    pub best_epoch: usize,
    /// Soft coverage (1 − L_env) of the kept model's training-bin centroids.
    pub soft_coverage: Option<f64>,
    /// Arc length of their trace.
    pub arc_length: Option<f64>,
    /// Speed CV of their trace.
    pub speed_cv: Option<f64>,
}

/// The runs of one method: seed → run.
pub type Seeds = BTreeMap<u64, Run>;

/// The runs of one benchmark, methods in table order (vanilla first).
#[derive(Debug, Clone)]
pub struct Bench {
    /// The benchmark.
    pub id: BenchmarkId,
    /// Its methods and their runs.
    pub methods: Vec<(MethodName, Seeds)>,
}

/// A group of the shot metrics the prose quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// All test rows.
    All,
    /// The few-shot rows.
    Few,
}

impl Group {
    /// Both groups, in column order.
    pub const BOTH: [Group; 2] = [Group::All, Group::Few];

    /// `all` or `few` (the key's column prefix).
    pub fn as_str(self) -> &'static str {
        match self {
            Group::All => "all",
            Group::Few => "few",
        }
    }

    /// `All` or `Few`.
    pub fn label(self) -> &'static str {
        match self {
            Group::All => "All",
            Group::Few => "Few",
        }
    }

    /// Test MAE of `run` in this group.
    pub fn test(self, run: &Run) -> f64 {
        match self {
            Group::All => run.all,
            Group::Few => run.few,
        }
    }

    /// Validation MAE of `run` in this group.
    pub fn val(self, run: &Run) -> f64 {
        match self {
            Group::All => run.val_all,
            Group::Few => run.val_few,
        }
    }
}

/// A method against a reference on the seeds both ran.
#[derive(Debug, Clone, PartialEq)]
pub struct Paired {
    /// The seeds both ran.
    pub seeds: Vec<u64>,
    /// The method's mean over them.
    pub mine: f64,
    /// The reference's mean over them.
    pub reference: f64,
    /// Seeds in which the method's value is below the reference's.
    pub wins: usize,
}

impl Paired {
    /// Compares `mine` with `reference` on `value`, over the seeds both ran that `keep`
    /// accepts; `None` without such a seed.
    pub fn of(
        mine: &Seeds,
        reference: &Seeds,
        value: impl Fn(&Run) -> f64,
        keep: impl Fn(u64) -> bool,
    ) -> Option<Paired> {
        let seeds: Vec<u64> = mine
            .keys()
            .copied()
            .filter(|s| reference.contains_key(s) && keep(*s))
            .collect();
        if seeds.is_empty() {
            return None;
        }
        let a: Vec<f64> = seeds.iter().map(|s| value(&mine[s])).collect();
        let b: Vec<f64> = seeds.iter().map(|s| value(&reference[s])).collect();
        Some(Paired {
            wins: a.iter().zip(&b).filter(|(x, y)| x < y).count(),
            mine: mean(&a),
            reference: mean(&b),
            seeds,
        })
    }

    /// The change of the mean in percent.
    pub fn change(&self) -> f64 {
        100.0 * (self.mine / self.reference - 1.0)
    }

    /// `2/3`.
    pub fn wins_cell(&self) -> String {
        format!("{}/{}", self.wins, self.seeds.len())
    }
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Sample standard deviation (n − 1); 0 for one value.
fn std(v: &[f64]) -> f64 {
    if v.len() < 2 {
        return 0.0;
    }
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// Reads the committed runs of every benchmark of [`SOURCES`]; an error if a source folder is
/// missing or holds no run of one of its benchmarks.
pub fn read_runs(root: &Path) -> Result<Vec<Bench>> {
    let mut out = Vec::new();
    for (folder, benchmarks) in SOURCES {
        let runs_dir = root.join("docs/results").join(folder).join("runs");
        if !runs_dir.is_dir() {
            return Err(XtaskError::InvalidData(format!(
                "no run folders in {}",
                runs_dir.display()
            )));
        }
        for &id in *benchmarks {
            let mut by_method: BTreeMap<_, (MethodName, Seeds)> = BTreeMap::new();
            for report in collect_reports(&runs_dir, id)? {
                let method = report.method.clone();
                let seed = report.seed;
                let mae = |g: &srl_data::metrics::GroupMetrics| {
                    Metric::Mae.of(g).ok_or_else(|| {
                        XtaskError::InvalidData(format!(
                            "{}: a test or validation MAE is undefined",
                            crate::common::run_name(id.as_str(), &method.to_string(), seed)
                        ))
                    })
                };
                let run = Run {
                    all: mae(&report.test.all)?,
                    few: mae(&report.test.few)?,
                    val_all: mae(&report.val.all)?,
                    val_few: mae(&report.val.few)?,
                    seconds_per_epoch: report.seconds_per_epoch,
                    best_epoch: report.best_epoch,
                    soft_coverage: report.geometry.soft_coverage,
                    arc_length: report.geometry.arc_length,
                    speed_cv: report.geometry.speed_cv,
                };
                by_method
                    .entry(method_order(&method))
                    .or_insert_with(|| (method.clone(), Seeds::new()))
                    .1
                    .insert(report.seed, run);
            }
            let methods: Vec<(MethodName, Seeds)> = by_method.into_values().collect();
            if methods.first().is_none_or(|(m, _)| !m.is_vanilla()) {
                return Err(XtaskError::InvalidData(format!(
                    "{}: no vanilla runs of {id}",
                    runs_dir.display()
                )));
            }
            out.push(Bench { id, methods });
        }
    }
    Ok(out)
}

impl Bench {
    fn kind(&self) -> Kind {
        Kind::of(self.id)
    }

    /// The runs of `method`, if it ran.
    pub fn seeds(&self, method: &MethodName) -> Option<&Seeds> {
        self.methods
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, s)| s)
    }

    fn vanilla(&self) -> &Seeds {
        &self.methods[0].1
    }

    /// The seeds every method ran (the ranks are taken over these).
    pub fn common_seeds(&self) -> BTreeSet<u64> {
        let mut it = self
            .methods
            .iter()
            .map(|(_, s)| s.keys().copied().collect());
        let first: BTreeSet<u64> = it.next().unwrap_or_default();
        it.fold(first, |acc, s: BTreeSet<u64>| &acc & &s)
    }

    /// Mean of `value` over the common seeds, per method.
    fn common_means(&self, value: impl Fn(&Run) -> f64) -> Vec<(&MethodName, f64)> {
        let common = self.common_seeds();
        self.methods
            .iter()
            .map(|(m, s)| {
                let v: Vec<f64> = common.iter().map(|k| value(&s[k])).collect();
                (m, mean(&v))
            })
            .collect()
    }

    /// The rank of `method` (1 = lowest; ties share the better rank) by the mean of `value`
    /// over the common seeds, and the number of methods.
    pub fn rank(&self, method: &MethodName, value: impl Fn(&Run) -> f64) -> (usize, usize) {
        let means = self.common_means(value);
        let mine = means
            .iter()
            .find(|(m, _)| *m == method)
            .map_or(f64::NAN, |x| x.1);
        let better = means.iter().filter(|(_, v)| *v < mine).count();
        (better + 1, means.len())
    }

    /// The method ranked first on test MAE of `g` (ties: the earlier row).
    pub fn best(&self, g: Group) -> &MethodName {
        let means = self.common_means(|r| g.test(r));
        means
            .iter()
            .fold(None, |best: Option<&(&MethodName, f64)>, x| match best {
                Some(b) if b.1 <= x.1 => Some(b),
                _ => Some(x),
            })
            .map(|x| x.0)
            .expect("a benchmark has runs")
    }

    /// MAE in display units (IOL ×1e-3) with the benchmark's decimals.
    pub fn mae(&self, v: f64) -> String {
        let kind = self.kind();
        format!("{:.d$}", v / kind.mae_scale(), d = kind.decimals())
    }

    /// The mean test MAE of `method` over its own seeds, displayed.
    fn own_mean(&self, method: &MethodName, g: Group) -> String {
        let s = self.seeds(method).expect("method ran");
        let v: Vec<f64> = s.values().map(|r| g.test(r)).collect();
        self.mae(mean(&v))
    }

    /// `method` against vanilla on `g`'s test MAE, paired.
    fn vs_vanilla(&self, method: &MethodName, g: Group) -> Paired {
        let s = self.seeds(method).expect("method ran");
        Paired::of(s, self.vanilla(), |r| g.test(r), |_| true).expect("vanilla shares a seed")
    }
}

// ---------------------------------------------------------------------------------------------
// Formatting

/// `+1.2 %` / `−1.2 %` (the prose's minus sign).
pub fn percent(p: f64) -> String {
    minus(format!("{p:+.1} %"))
}

fn minus(s: String) -> String {
    s.replace('-', "−")
}

/// `0–9` for a contiguous run of seeds, else `0, 2, 5`.
pub fn seed_list(seeds: &[u64]) -> String {
    match (seeds.first(), seeds.last()) {
        (Some(a), Some(b)) if seeds.len() > 2 && (b - a) as usize + 1 == seeds.len() => {
            format!("{a}–{b}")
        }
        _ => seeds
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A method as the prose names it: [`display_method`] with SRL first (`SRL+LDS`, `SRL+BNI`).
pub fn method_label(m: &MethodName) -> String {
    let name = display_method(m);
    let mut parts: Vec<&str> = name.split('+').collect();
    if let Some(i) = parts.iter().position(|p| *p == "SRL") {
        let srl = parts.remove(i);
        parts.insert(0, srl);
    }
    parts.join("+")
}

fn ratio(x: f64) -> String {
    format!("{x:.2}×")
}

// ---------------------------------------------------------------------------------------------
// The generated page

/// A table the prose reproduces verbatim: its header line must be in `file`, followed by the
/// separator line and exactly these rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ProseTable {
    /// The file (relative to the repository root).
    pub file: &'static str,
    /// What it is (a heading on the page).
    pub title: &'static str,
    /// Header cells.
    pub header: Vec<String>,
    /// Alignment line (`|---|---:|`).
    pub align: String,
    /// Body rows, cells.
    pub rows: Vec<Vec<String>>,
}

/// Renders cells as a Markdown table line.
pub fn table_line(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

impl ProseTable {
    fn lines(&self) -> Vec<String> {
        let mut v = vec![table_line(&self.header), self.align.clone()];
        v.extend(self.rows.iter().map(|r| table_line(r)));
        v
    }
}

/// One column of a per-benchmark table: its name (the key's last part) and one cell per
/// method.
type Column = (String, Vec<String>);

/// Everything `docs/results/numbers.md` holds.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The tables the prose reproduces.
    pub tables: Vec<ProseTable>,
    /// Per benchmark: its id, a note, the method ids and the columns.
    pub benches: Vec<(BenchmarkId, String, Vec<String>, Vec<Column>)>,
    /// The numbers that are not per method: key, value, what it is.
    pub others: Vec<(String, String, String)>,
}

fn s<T: ToString>(x: T) -> String {
    x.to_string()
}

impl Generated {
    /// Reads the committed runs under `root` and computes every number.
    pub fn from_runs(root: &Path) -> Result<Generated> {
        Ok(Generated::from_benches(&read_runs(root)?))
    }

    /// Computes every number from the runs of `benches`.
    pub fn from_benches(benches: &[Bench]) -> Generated {
        let srl: MethodName = "srl".parse().expect("srl parses");
        let mut others = Vec::new();
        let mut push = |k: String, v: String, what: String| others.push((k, v, what));

        // Per benchmark.
        let mut per_bench = Vec::new();
        for b in benches {
            let id = b.id.as_str();
            let iol = b.kind() == Kind::Iol;
            let common: Vec<u64> = b.common_seeds().into_iter().collect();
            let n_max = b.methods.iter().map(|(_, s)| s.len()).max().unwrap_or(0);
            let note = format!(
                "{} method(s), up to {n_max} seeds; ranks over seeds {} (the seeds every method \
                 ran){}.",
                b.methods.len(),
                seed_list(&common),
                if iol { "; MAE ×1e-3" } else { "" }
            );
            let names: Vec<String> = b.methods.iter().map(|(m, _)| m.to_string()).collect();
            let mut cols: Vec<Column> = Vec::new();
            let mut col = |name: &str, f: &dyn Fn(&MethodName, &Seeds) -> String| {
                cols.push((
                    name.to_string(),
                    b.methods.iter().map(|(m, sd)| f(m, sd)).collect(),
                ));
            };
            col("n", &|_, sd| s(sd.len()));
            col("seeds", &|_, sd| {
                seed_list(&sd.keys().copied().collect::<Vec<_>>())
            });
            for g in Group::BOTH {
                col(g.as_str(), &|m, _| b.own_mean(m, g));
            }
            col("all.std", &|_, sd| {
                let v: Vec<f64> = sd.values().map(|r| r.all).collect();
                b.mae(std(&v))
            });
            col("all.range", &|_, sd| {
                let v: Vec<f64> = sd.values().map(|r| r.all).collect();
                let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                format!("{}–{}", b.mae(lo), b.mae(hi))
            });
            col("paired", &|m, _| {
                seed_list(&b.vs_vanilla(m, Group::All).seeds)
            });
            for g in Group::BOTH {
                let gs = g.as_str();
                col(&format!("{gs}.vanilla"), &|m, _| {
                    b.mae(b.vs_vanilla(m, g).reference)
                });
                col(&format!("{gs}.change"), &|m, _| {
                    if m.is_vanilla() {
                        "—".into()
                    } else {
                        percent(b.vs_vanilla(m, g).change())
                    }
                });
                col(&format!("{gs}.wins"), &|m, _| {
                    if m.is_vanilla() {
                        "—".into()
                    } else {
                        b.vs_vanilla(m, g).wins_cell()
                    }
                });
            }
            for g in Group::BOTH {
                col(&format!("{}.rank", g.as_str()), &|m, _| {
                    let (r, n) = b.rank(m, |x| g.test(x));
                    format!("{r}/{n}")
                });
            }
            col("cost", &|_, sd| {
                let p =
                    Paired::of(sd, b.vanilla(), |r| r.seconds_per_epoch, |_| true).expect("paired");
                ratio(p.mine / p.reference)
            });
            let geo = |f: fn(&Run) -> Option<f64>, d: usize| {
                move |_: &MethodName, sd: &Seeds| {
                    let v: Vec<f64> = sd.values().filter_map(f).collect();
                    if v.is_empty() {
                        "—".to_string()
                    } else {
                        format!("{:.d$}", mean(&v))
                    }
                }
            };
            col("soft-coverage", &geo(|r| r.soft_coverage, 3));
            col("arc-length", &geo(|r| r.arc_length, 1));
            col("speed-cv", &geo(|r| r.speed_cv, 2));
            if iol {
                col("best-epochs", &|_, sd| {
                    sd.values()
                        .map(|r| r.best_epoch.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                });
            }
            per_bench.push((b.id, note, names, cols));

            // The best method of each group, and the paper's change.
            for g in Group::BOTH {
                let gs = g.as_str();
                let best = b.best(g);
                push(
                    format!("{id}.best.{gs}"),
                    format!("{} {}", method_label(best), b.own_mean(best, g)),
                    format!(
                        "the method ranked first by {} test MAE, its mean",
                        g.label()
                    ),
                );
                if !best.is_vanilla() {
                    let p = b.vs_vanilla(best, g);
                    push(
                        format!("{id}.best.{gs}.change"),
                        percent(p.change()),
                        "its paired change vs vanilla".into(),
                    );
                }
            }
            let paper = |m: &str| {
                crate::tables::paper_rows(b.id)
                    .into_iter()
                    .find(|r| r.method == m)
            };
            if let (Some(v), Some(p)) = (paper("Vanilla"), paper("SRL")) {
                push(
                    format!("{id}.paper.vanilla.all"),
                    format!("{:.2}", v.mae[0] / b.kind().mae_scale()),
                    "the paper's vanilla All MAE (as printed, two decimals)".into(),
                );
                for (g, i) in [(Group::All, 0), (Group::Few, 3)] {
                    push(
                        format!("{id}.paper.{}.change", g.as_str()),
                        percent(100.0 * (p.mae[i] / v.mae[i] - 1.0)),
                        format!("the paper's SRL change vs vanilla, {}", g.label()),
                    );
                }
            }

            // SRL combinations against their partner and against SRL alone, paired.
            for (m, sd) in &b.methods {
                if !m.contains(srl_train::Component::Srl) || *m == srl {
                    continue;
                }
                let partner: Option<MethodName> = m
                    .to_string()
                    .split('+')
                    .filter(|c| *c != "srl")
                    .collect::<Vec<_>>()
                    .join("+")
                    .parse()
                    .ok();
                for other in [partner, Some(srl.clone())].into_iter().flatten() {
                    let Some(os) = b.seeds(&other) else { continue };
                    for g in Group::BOTH {
                        let gs = g.as_str();
                        if let Some(p) = Paired::of(sd, os, |r| g.test(r), |_| true) {
                            let base = format!("{id}.{m}.{gs}.vs-{other}");
                            let (ml, ol) = (method_label(m), method_label(&other));
                            push(
                                format!("{base}.change"),
                                percent(p.change()),
                                format!(
                                    "{ml} vs {ol}, {} MAE, seeds {}",
                                    g.label(),
                                    seed_list(&p.seeds)
                                ),
                            );
                            push(
                                format!("{base}.wins"),
                                p.wins_cell(),
                                format!("seeds in which {ml} beats {ol}"),
                            );
                        }
                    }
                }
            }
        }

        // SRL against vanilla on the ablation's seeds (UCI-DIR 0–4, IOL 0–2) and on the others
        // (UCI-DIR 5–9).
        for b in benches {
            let id = b.id.as_str();
            let Some(sd) = b.seeds(&srl) else { continue };
            let subsets: &[(&str, std::ops::Range<u64>)] = match b.kind() {
                Kind::Uci => &[("0-4", 0..5), ("5-9", 5..10)],
                Kind::Iol => &[("0-2", 0..3)],
            };
            for (label, keep) in subsets {
                for g in Group::BOTH {
                    let gs = g.as_str();
                    let k = keep.clone();
                    let Some(p) = Paired::of(sd, b.vanilla(), |r| g.test(r), |s| k.contains(&s))
                    else {
                        continue;
                    };
                    let base = format!("{id}.srl.{gs}@{label}");
                    push(
                        base.clone(),
                        b.mae(p.mine),
                        format!(
                            "SRL's mean {} MAE over seeds {}",
                            g.label(),
                            seed_list(&p.seeds)
                        ),
                    );
                    push(
                        format!("{id}.vanilla.{gs}@{label}"),
                        b.mae(p.reference),
                        "vanilla's, same seeds".into(),
                    );
                    push(
                        format!("{base}.change"),
                        percent(p.change()),
                        "SRL's paired change".into(),
                    );
                    push(format!("{base}.wins"), p.wins_cell(), "SRL's wins".into());
                }
            }
        }

        // UCI-DIR: cost ranges and mean ranks over the four sets.
        let uci: Vec<&Bench> = benches.iter().filter(|b| b.kind() == Kind::Uci).collect();
        if let Some(first) = uci.first() {
            for (m, _) in &first.methods {
                let in_all: Vec<&Bench> = uci
                    .iter()
                    .copied()
                    .filter(|b| b.seeds(m).is_some())
                    .collect();
                if in_all.len() != uci.len() {
                    continue;
                }
                let costs: Vec<f64> = in_all
                    .iter()
                    .map(|b| {
                        let p = Paired::of(
                            b.seeds(m).expect("ran"),
                            b.vanilla(),
                            |r| r.seconds_per_epoch,
                            |_| true,
                        )
                        .expect("paired");
                        p.mine / p.reference
                    })
                    .collect();
                let lo = costs.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = costs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let (lo, hi) = (format!("{lo:.1}"), format!("{hi:.1}"));
                push(
                    format!("uci.{m}.cost"),
                    if lo == hi {
                        format!("{lo}×")
                    } else {
                        format!("{lo}–{hi}×")
                    },
                    "s/epoch relative to vanilla's, lowest–highest of the four UCI-DIR sets \
                     (the runs shared two cores)"
                        .into(),
                );
                for (split, what, f) in [
                    ("test", "test", Group::test as fn(Group, &Run) -> f64),
                    ("val", "validation", Group::val as fn(Group, &Run) -> f64),
                ] {
                    let ranks: Vec<f64> = in_all
                        .iter()
                        .flat_map(|b| Group::BOTH.map(|g| b.rank(m, |r| f(g, r)).0 as f64))
                        .collect();
                    push(
                        format!("uci.{m}.mean-rank.{split}"),
                        format!("{:.1}", mean(&ranks)),
                        format!(
                            "mean of its ranks among the {} methods by {what} MAE, All and Few \
                             on the four UCI-DIR sets",
                            first.methods.len()
                        ),
                    );
                }
            }
        }

        Generated {
            tables: prose_tables(benches),
            benches: per_bench,
            others,
        }
    }

    /// Every quotable number: key → value.
    pub fn values(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for (id, _, names, cols) in &self.benches {
            for (name, cells) in cols {
                for (method, cell) in names.iter().zip(cells) {
                    out.insert(format!("{}.{method}.{name}", id.as_str()), cell.clone());
                }
            }
        }
        for (k, v, _) in &self.others {
            out.insert(k.clone(), v.clone());
        }
        out
    }

    /// The page `docs/results/numbers.md`.
    pub fn to_markdown(&self) -> String {
        let mut md = String::from(
            "# Numbers quoted in the prose\n\n\
             Generated by `cargo xtask prose` from the committed run folders \
             (`docs/results/full/runs`, `docs/results/full-iol-linear/runs`, \
             `docs/results/full-iol-sde/runs`); do not edit by hand. `cargo test -p xtask` fails \
             when this page is stale, when a table below differs from the one the prose shows, or \
             when a number the prose marks with its key (`<!--n:KEY-->` right after it) differs \
             from the value of KEY here.\n\n\
             Test MAE of the model kept by validation, mean over seeds (IOL ×1e-3). **Changes \
             are paired**: a method is compared with vanilla (or another method) on the seeds \
             both ran — same seed, same initialisation and batch order — as the change of its \
             mean over those seeds against the other's mean over the same seeds; *wins* = the \
             seeds in which its MAE is lower. Ranks are among the benchmark's methods by mean MAE \
             over the seeds every method ran (1 = lowest, ties share the better rank).\n\n\
             ## Tables the prose reproduces\n",
        );
        for t in &self.tables {
            md += &format!("\n### `{}`: {}\n\n", t.file, t.title);
            for l in t.lines() {
                md += &l;
                md.push('\n');
            }
        }
        md += "\n## Per benchmark and method\n\nThe key of a cell is \
               `<benchmark>.<method>.<column>` (e.g. `iol-sde.lds+srl.all.change`). Columns: \
               `n`, `seeds` — the method's seeds; `all`, `few` — its mean test MAE over them; \
               `all.std`, `all.range` — sample std and lowest–highest per-seed All MAE; \
               `paired` — the seeds it shares with vanilla; `all.vanilla`, `few.vanilla` — \
               vanilla's mean over those seeds; `*.change`, `*.wins` — the paired comparison; \
               `*.rank` — rank by test MAE; `cost` — mean s/epoch relative to vanilla's on the \
               paired seeds (two runs shared two cores); `soft-coverage`, `arc-length`, \
               `speed-cv` — the kept models' geometry, mean; `best-epochs` — the epochs kept by \
               validation, per seed.\n";
        for (id, note, names, cols) in &self.benches {
            md += &format!("\n### `{}`\n\n{note}\n\n", id.as_str());
            let mut header = vec![s("method")];
            header.extend(cols.iter().map(|(n, _)| format!("`{n}`")));
            md += &table_line(&header);
            md.push('\n');
            md += &format!("|---|{}\n", "---:|".repeat(cols.len()));
            for (i, name) in names.iter().enumerate() {
                let mut row = vec![format!("`{name}`")];
                row.extend(cols.iter().map(|(_, c)| c[i].clone()));
                md += &table_line(&row);
                md.push('\n');
            }
        }
        md += "\n## Other numbers\n\n| key | value | what |\n|---|---:|---|\n";
        for (k, v, what) in &self.others {
            md += &format!("| `{k}` | {v} | {what} |\n");
        }
        md
    }
}

/// The tables the prose shows: README.md's results table and docs/results/README.md's UCI-DIR
/// and IOL tables.
fn prose_tables(benches: &[Bench]) -> Vec<ProseTable> {
    let srl: MethodName = "srl".parse().expect("srl parses");
    let label = |b: &Bench| match b.id {
        BenchmarkId::Airfoil => "Airfoil",
        BenchmarkId::Abalone => "Abalone",
        BenchmarkId::Concrete => "Concrete",
        BenchmarkId::RealEstate => "Real estate",
        BenchmarkId::IolLinear => "IOL linear",
        BenchmarkId::IolSde => "IOL nonlinear",
    };
    let with_srl: Vec<&Bench> = benches.iter().filter(|b| b.seeds(&srl).is_some()).collect();
    // "ConR 1.279", with the seed count when it differs from SRL's.
    let best_cell = |b: &Bench, g: Group| {
        let best = b.best(g);
        let n = b.seeds(best).map_or(0, |s| s.len());
        let n_srl = b.seeds(&srl).map_or(0, |s| s.len());
        let mut c = format!("{} {}", method_label(best), b.own_mean(best, g));
        if n != n_srl {
            c += &format!(" ({n} seeds)");
        }
        c
    };

    let mut readme = ProseTable {
        file: "README.md",
        title: "results table",
        header: [
            "benchmark",
            "vanilla All",
            "SRL All",
            "change",
            "SRL rank",
            "best All",
            "vanilla Few",
            "SRL Few",
            "change",
            "best Few",
        ]
        .map(s)
        .to_vec(),
        align: "|---|---:|---:|---:|---:|---|---:|---:|---:|---|".into(),
        rows: Vec::new(),
    };
    for b in &with_srl {
        let n = b.seeds(&srl).map_or(0, |s| s.len());
        let name = match b.kind() {
            Kind::Uci => label(b).to_string(),
            Kind::Iol => format!("{} ({n} seeds)", label(b)),
        };
        let all = b.vs_vanilla(&srl, Group::All);
        let few = b.vs_vanilla(&srl, Group::Few);
        let (r, m) = b.rank(&srl, |x| x.all);
        readme.rows.push(vec![
            name,
            b.mae(all.reference),
            b.mae(all.mine),
            percent(all.change()),
            format!("{r}/{m}"),
            best_cell(b, Group::All),
            b.mae(few.reference),
            b.mae(few.mine),
            percent(few.change()),
            best_cell(b, Group::Few),
        ]);
    }

    let mut uci = ProseTable {
        file: "docs/results/README.md",
        title: "UCI-DIR table",
        header: [
            "benchmark",
            "vanilla All / Few",
            "SRL All (Δ, wins)",
            "SRL Few (Δ, wins)",
            "SRL rank All / Few",
            "best All",
            "best Few",
        ]
        .map(s)
        .to_vec(),
        align: "|---|---|---|---|---|---|---|".into(),
        rows: Vec::new(),
    };
    let mut iol_srl = ProseTable {
        file: "docs/results/README.md",
        title: "IOL, vanilla vs SRL",
        header: [
            "benchmark",
            "seeds",
            "vanilla All",
            "SRL All",
            "change",
            "paper",
            "vanilla Few",
            "SRL Few",
            "change",
            "paper",
        ]
        .map(s)
        .to_vec(),
        align: "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|".into(),
        rows: Vec::new(),
    };
    let mut iol_all = ProseTable {
        file: "docs/results/README.md",
        title: "IOL, every method against vanilla on the same seeds",
        header: [
            "benchmark",
            "method",
            "seeds",
            "All",
            "vanilla All, same seeds",
            "Δ All (wins)",
            "Few",
            "vanilla Few, same seeds",
            "Δ Few (wins)",
            "rank All / Few",
        ]
        .map(s)
        .to_vec(),
        align: "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|".into(),
        rows: Vec::new(),
    };
    for b in &with_srl {
        let all = b.vs_vanilla(&srl, Group::All);
        let few = b.vs_vanilla(&srl, Group::Few);
        match b.kind() {
            Kind::Uci => {
                let best = |g: Group| {
                    let m = b.best(g);
                    format!(
                        "{} ({})",
                        best_cell(b, g),
                        percent(b.vs_vanilla(m, g).change())
                    )
                };
                uci.rows.push(vec![
                    label(b).into(),
                    format!("{} / {}", b.mae(all.reference), b.mae(few.reference)),
                    format!(
                        "{} ({}, {})",
                        b.mae(all.mine),
                        percent(all.change()),
                        all.wins_cell()
                    ),
                    format!(
                        "{} ({}, {})",
                        b.mae(few.mine),
                        percent(few.change()),
                        few.wins_cell()
                    ),
                    format!(
                        "{} / {}",
                        b.rank(&srl, |x| x.all).0,
                        b.rank(&srl, |x| x.few).0
                    ),
                    best(Group::All),
                    best(Group::Few),
                ]);
            }
            Kind::Iol => {
                let paper = |m: &str| {
                    crate::tables::paper_rows(b.id)
                        .into_iter()
                        .find(|r| r.method == m)
                };
                let paper_change = |i: usize| match (paper("Vanilla"), paper("SRL")) {
                    (Some(v), Some(p)) => percent(100.0 * (p.mae[i] / v.mae[i] - 1.0)),
                    _ => "—".into(),
                };
                iol_srl.rows.push(vec![
                    label(b).into(),
                    s(all.seeds.len()),
                    b.mae(all.reference),
                    b.mae(all.mine),
                    percent(all.change()),
                    paper_change(0),
                    b.mae(few.reference),
                    b.mae(few.mine),
                    percent(few.change()),
                    paper_change(3),
                ]);
                for (m, sd) in &b.methods {
                    let (a, f) = (b.vs_vanilla(m, Group::All), b.vs_vanilla(m, Group::Few));
                    let vs = |p: &Paired| {
                        if m.is_vanilla() {
                            "—".to_string()
                        } else {
                            format!("{} ({})", percent(p.change()), p.wins_cell())
                        }
                    };
                    iol_all.rows.push(vec![
                        label(b).into(),
                        method_label(m),
                        seed_list(&sd.keys().copied().collect::<Vec<_>>()),
                        b.own_mean(m, Group::All),
                        b.mae(a.reference),
                        vs(&a),
                        b.own_mean(m, Group::Few),
                        b.mae(f.reference),
                        vs(&f),
                        format!("{} / {}", b.rank(m, |x| x.all).0, b.rank(m, |x| x.few).0),
                    ]);
                }
            }
        }
    }
    vec![readme, uci, iol_srl, iol_all]
}

// ---------------------------------------------------------------------------------------------
// Checking the prose

/// What [`check_prose`] found.
#[derive(Debug, Clone, Default)]
pub struct ProseCheck {
    /// Every disagreement, one line each (`file:line: …`).
    pub problems: Vec<String>,
    /// Markers checked per file.
    pub markers: BTreeMap<&'static str, usize>,
    /// Table rows checked.
    pub rows: usize,
}

/// The markers of `text`: (line number, byte offset of the marker, key).
pub fn markers(text: &str) -> Vec<(usize, usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(MARK_OPEN) {
        let at = from + i;
        let key_start = at + MARK_OPEN.len();
        let Some(len) = text[key_start..].find(MARK_CLOSE) else {
            break;
        };
        let line = text[..at].matches('\n').count() + 1;
        out.push((line, at, text[key_start..key_start + len].trim()));
        from = key_start + len + MARK_CLOSE.len();
    }
    out
}

/// Checks every marker of `text` against `values`; appends a line per problem.
pub fn check_markers(
    file: &str,
    text: &str,
    values: &BTreeMap<String, String>,
    problems: &mut Vec<String>,
) -> usize {
    let found = markers(text);
    for (line, at, key) in &found {
        let before = &text[..*at];
        match values.get(*key) {
            None => problems.push(format!(
                "{file}:{line}: unknown key `{key}` (the keys are listed in {NUMBERS})"
            )),
            Some(v) if !before.ends_with(v.as_str()) => {
                let shown: String = before
                    .chars()
                    .rev()
                    .take(v.chars().count().max(12))
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                problems.push(format!(
                    "{file}:{line}: `{key}` is `{v}`, the text before the marker ends with \
                     `{shown}`"
                ))
            }
            Some(_) => {}
        }
    }
    found.len()
}

/// Splits a Markdown table line into trimmed cells.
fn cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// Checks that `text` holds `table`: its header line, then the alignment line and exactly its
/// rows, cell by cell. Returns the rows checked.
pub fn check_table(text: &str, table: &ProseTable, problems: &mut Vec<String>) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let header = table_line(&table.header);
    let Some(at) = lines.iter().position(|l| l.trim() == header) else {
        problems.push(format!(
            "{}: the {} is missing (header `{header}`)",
            table.file, table.title
        ));
        return 0;
    };
    let body: Vec<&str> = lines[at + 1..]
        .iter()
        .copied()
        .take_while(|l| l.trim_start().starts_with('|'))
        .collect();
    if body.first().map(|l| l.trim()) != Some(table.align.as_str()) {
        problems.push(format!(
            "{}:{}: the {}'s alignment line should be `{}`",
            table.file,
            at + 2,
            table.title,
            table.align
        ));
    }
    let rows = body.get(1..).unwrap_or_default();
    if rows.len() != table.rows.len() {
        problems.push(format!(
            "{}:{}: the {} has {} rows, the runs give {}",
            table.file,
            at + 1,
            table.title,
            rows.len(),
            table.rows.len()
        ));
    }
    for (i, (line, want)) in rows.iter().zip(&table.rows).enumerate() {
        let got = cells(line);
        if &got != want {
            let diffs: Vec<String> = table
                .header
                .iter()
                .enumerate()
                .filter(|(j, _)| got.get(*j) != want.get(*j))
                .map(|(j, h)| {
                    format!(
                        "{h}: `{}` should be `{}`",
                        got.get(j).map_or("", String::as_str),
                        want.get(j).map_or("", String::as_str)
                    )
                })
                .collect();
            problems.push(format!(
                "{}:{}: {} row `{}`: {}",
                table.file,
                at + 3 + i,
                table.title,
                want[0],
                diffs.join("; ")
            ));
        }
    }
    rows.len().min(table.rows.len())
}

/// Checks the prose under `root` against `generated`: the markers of [`CHECKED_FILES`] and the
/// tables of [`Generated::tables`].
pub fn check_prose(root: &Path, generated: &Generated) -> Result<ProseCheck> {
    let values = generated.values();
    let mut check = ProseCheck::default();
    for file in CHECKED_FILES {
        let path = root.join(file);
        let text = crate::common::read_file(&path)?;
        let n = check_markers(file, &text, &values, &mut check.problems);
        check.markers.insert(file, n);
        for t in generated.tables.iter().filter(|t| t.file == *file) {
            check.rows += check_table(&text, t, &mut check.problems);
        }
    }
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(all: f64, few: f64) -> Run {
        Run {
            all,
            few,
            val_all: all,
            val_few: few,
            seconds_per_epoch: 1.0,
            best_epoch: 1,
            soft_coverage: None,
            arc_length: None,
            speed_cv: None,
        }
    }

    fn seeds(values: &[(u64, f64)]) -> Seeds {
        values.iter().map(|&(s, v)| (s, run(v, v))).collect()
    }

    #[test]
    fn changes_are_paired_on_the_seeds_both_ran() {
        // Vanilla has five seeds, the method three: the change is against vanilla's mean over
        // the method's three seeds, not over all five.
        let vanilla = seeds(&[(0, 1.0), (1, 2.0), (2, 3.0), (3, 10.0), (4, 10.0)]);
        let method = seeds(&[(0, 0.5), (1, 2.5), (2, 2.0)]);
        let p = Paired::of(&method, &vanilla, |r| r.all, |_| true).unwrap();
        assert_eq!(p.seeds, vec![0, 1, 2]);
        assert!((p.reference - 2.0).abs() < 1e-12);
        assert!((p.mine - 5.0 / 3.0).abs() < 1e-12);
        assert_eq!(p.wins_cell(), "2/3");
        assert_eq!(percent(p.change()), "−16.7 %");
        let later = Paired::of(&method, &vanilla, |r| r.all, |s| s >= 1).unwrap();
        assert_eq!(later.seeds, vec![1, 2]);
        assert!(Paired::of(&method, &vanilla, |r| r.all, |s| s > 2).is_none());
    }

    #[test]
    fn formats_are_the_prose_s() {
        assert_eq!(percent(4.44), "+4.4 %");
        assert_eq!(percent(-0.04), "−0.0 %");
        assert_eq!(seed_list(&[0, 1, 2, 3, 4]), "0–4");
        assert_eq!(seed_list(&[0, 1]), "0, 1");
        assert_eq!(seed_list(&[0, 2, 5]), "0, 2, 5");
    }

    #[test]
    fn markers_compare_the_text_right_before_them() {
        let values: BTreeMap<String, String> = [
            ("a.change".to_string(), "−11.0 %".to_string()),
            ("a.wins".to_string(), "2/3".to_string()),
        ]
        .into();
        let good = "SRL+LDS is −11.0 %<!--n:a.change--> better (2/3<!--n:a.wins--> seeds).";
        let mut problems = Vec::new();
        assert_eq!(check_markers("f.md", good, &values, &mut problems), 2);
        assert!(problems.is_empty(), "{problems:?}");
        let stale = "line one\nSRL+LDS is −14.7 %<!--n:a.change-->, <!--n:nope-->";
        assert_eq!(check_markers("f.md", stale, &values, &mut problems), 2);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("f.md:2: `a.change` is `−11.0 %`"));
        assert!(problems[1].contains("unknown key `nope`"));
    }

    #[test]
    fn tables_are_compared_cell_by_cell() {
        let t = ProseTable {
            file: "f.md",
            title: "t",
            header: vec![s("benchmark"), s("SRL")],
            align: "|---|---:|".into(),
            rows: vec![vec![s("A"), s("1.0")], vec![s("B"), s("2.0")]],
        };
        let mut problems = Vec::new();
        let good = "intro\n\n| benchmark | SRL |\n|---|---:|\n| A | 1.0 |\n|  B  | 2.0 |\n\nmore";
        assert_eq!(check_table(good, &t, &mut problems), 2);
        assert!(problems.is_empty(), "{problems:?}");
        let bad = "| benchmark | SRL |\n|---|---:|\n| A | 1.1 |\n";
        check_table(bad, &t, &mut problems);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("has 1 rows")));
        assert!(problems
            .iter()
            .any(|p| p.contains("f.md:3") && p.contains("SRL: `1.1` should be `1.0`")));
        problems.clear();
        check_table("no table here", &t, &mut problems);
        assert!(problems[0].contains("missing"));
    }

    #[test]
    fn ranks_and_the_best_use_the_seeds_every_method_ran() {
        let b = Bench {
            id: BenchmarkId::IolSde,
            methods: vec![
                (
                    "vanilla".parse().unwrap(),
                    seeds(&[(0, 3.0), (1, 3.0), (2, 1.0)]),
                ),
                (
                    "srl".parse().unwrap(),
                    seeds(&[(0, 2.0), (1, 2.0), (2, 2.0)]),
                ),
                ("lds+srl".parse().unwrap(), seeds(&[(0, 1.5), (1, 1.5)])),
            ],
        };
        // Over seeds 0–1: vanilla 3.0, SRL 2.0, SRL+LDS 1.5.
        assert_eq!(b.common_seeds().into_iter().collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(b.rank(&"srl".parse().unwrap(), |r| r.all), (2, 3));
        assert_eq!(b.best(Group::All).to_string(), "lds+srl");
        assert_eq!(b.mae(0.00144), "1.44");
    }

    /// The committed `docs/results/numbers.md` is what the runs give, and every number the
    /// prose marks, and every table it reproduces, agrees with it. Without the run folders
    /// (a partial checkout) the test says it skipped; under CI (`CI` set) that is a failure.
    #[test]
    fn numbers_md_and_the_prose_match_the_committed_runs() {
        let root = repo_root();
        let missing: Vec<String> = SOURCES
            .iter()
            .map(|(f, _)| root.join("docs/results").join(f).join("runs"))
            .filter(|p| !p.is_dir())
            .map(|p| p.display().to_string())
            .collect();
        if !missing.is_empty() {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have the committed run folders: {}",
                missing.join(", ")
            );
            eprintln!(
                "skipped: numbers_md_and_the_prose_match_the_committed_runs: no run folders {}",
                missing.join(", ")
            );
            return;
        }
        let generated = Generated::from_runs(&root).unwrap();
        let committed = std::fs::read_to_string(root.join(NUMBERS)).unwrap_or_default();
        assert!(
            committed == generated.to_markdown(),
            "{NUMBERS} is stale: run `cargo xtask prose`"
        );
        let check = check_prose(&root, &generated).unwrap();
        assert!(
            check.problems.is_empty(),
            "the prose disagrees with the committed runs (`cargo xtask prose --check`):\n{}",
            check.problems.join("\n")
        );
        // Not vacuous: the results prose marks its numbers and every table was found.
        for file in ["README.md", "docs/results/README.md"] {
            assert!(check.markers[file] > 0, "{file} marks no number");
        }
        let rows: usize = generated.tables.iter().map(|t| t.rows.len()).sum();
        assert_eq!(check.rows, rows);
    }
}
