//! `cargo xtask bench --against-pytorch`: the same workloads timed in Rust (the release example
//! `crates/srl-train/examples/bench_workloads.rs`) and in PyTorch on the CPU
//! (`benches/pytorch/srl_bench.py`, an independent implementation from docs/method.md).
//!
//! Steps: check that the Python (`$SRL_BENCH_PYTHON`, else `python3`) imports torch — without
//! it, say how to install it and stop cleanly (exit 0); build the example; export the training
//! data and presets for the Python side; wait (bounded) for a quiet CPU; then `--rounds` rounds
//! of Rust at 1 thread, PyTorch at 2 threads, Rust at 2 threads, PyTorch at 1 thread, one
//! process at a time; the median
//! of the processes' medians per workload goes into the table between the markers of
//! docs/benchmarks.md (the rest of the file is kept) and, with every sample, into
//! docs/benchmarks-pytorch.json.

use super::BenchArgs;
use crate::common::{git_commit, human_duration, repo_root, utc_now};
use crate::error::{Result, XtaskError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Environment variable naming the Python interpreter (default `python3`).
pub const PYTHON_ENV: &str = "SRL_BENCH_PYTHON";
/// Start marker of the generated section of docs/benchmarks.md.
pub const BEGIN_MARKER: &str =
    "<!-- pytorch-comparison:begin (cargo xtask bench --against-pytorch) -->";
/// End marker of the generated section.
pub const END_MARKER: &str = "<!-- pytorch-comparison:end -->";

/// The workloads in table order: (name, description).
pub const WORKLOADS: [(&str, &str); 8] = [
    (
        "airfoil/vanilla",
        "Airfoil epoch, vanilla (971 rows, batch 64, 5-20-30-10)",
    ),
    ("airfoil/srl", "Airfoil epoch, SRL (K = 38, N = 1,000)"),
    (
        "iol-linear/vanilla",
        "IOL-linear iteration, vanilla (10,000 × 101, 100-100)",
    ),
    (
        "iol-linear/srl",
        "IOL-linear iteration, SRL (K = 100, N = 1,000)",
    ),
    (
        "iol-sde/vanilla",
        "IOL-nonlinear iteration, vanilla (5,400 × 241, 100-100)",
    ),
    (
        "iol-sde/srl",
        "IOL-nonlinear iteration, SRL (K = 100, N = 1,000)",
    ),
    (
        "objective/K100-N2000",
        "SRL objective fwd+bwd, M 256, d 128, K 100, N 2,000",
    ),
    (
        "objective/K1000-N10000",
        "SRL objective fwd+bwd, M 256, d 128, K 1,000, N 10,000",
    ),
];

/// One workload's result in one process (the JSON both halves print).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Median milliseconds per sample.
    pub ms: f64,
    /// `ms/epoch`, `ms/iteration` or `ms/call`.
    pub unit: String,
    /// Every timed sample.
    pub samples_ms: Vec<f64>,
}

/// What one process printed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessReport {
    /// `rust` or `pytorch`.
    pub implementation: String,
    /// Threads it ran with.
    pub threads: usize,
    /// torch's version (PyTorch only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub torch: Option<String>,
    /// Workload name → timing.
    pub workloads: BTreeMap<String, Timing>,
}

/// The three columns of the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// PyTorch with `torch.set_num_threads(2)`.
    Pytorch2,
    /// PyTorch with `torch.set_num_threads(1)`.
    Pytorch1,
    /// The Rust trainer on one thread.
    Rust,
    /// The Rust trainer on two threads (matrix products and the enveloping kernel split above
    /// their size thresholds).
    Rust2,
}

/// Median milliseconds of one workload on each side (median over processes of the processes'
/// medians), `None` where a side has no number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Workload name (`airfoil/srl`, …).
    pub workload: String,
    /// Unit of the numbers.
    pub unit: String,
    /// PyTorch, 2 threads.
    pub pytorch_2: Option<f64>,
    /// PyTorch, 1 thread.
    pub pytorch_1: Option<f64>,
    /// Rust, 1 thread.
    pub rust: Option<f64>,
    /// Rust, 2 threads (absent in results from before it was measured).
    #[serde(default)]
    pub rust_2: Option<f64>,
}

/// CPU use of the whole machine over a sampling window, in cores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuLoad {
    /// Busy at normal priority (user + system + irq + steal, without `nice`).
    pub busy_cores: f64,
    /// Busy at a raised nice value (background jobs that yield to us).
    pub niced_cores: f64,
    /// The 1-minute load average at the end of the window.
    pub loadavg_1min: f64,
}

/// Everything `--against-pytorch` writes to the JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Comparison {
    /// `YYYY-MM-DD HH:MM:SS UTC` at the start.
    pub date_utc: String,
    /// `git rev-parse HEAD`.
    pub commit: String,
    /// CPU model (lscpu) and cores.
    pub machine: String,
    /// torch version.
    pub torch: String,
    /// Rounds of R, P2, R, P1.
    pub rounds: usize,
    /// The niceness the timed processes ran at (`None`: inherited).
    #[serde(default)]
    pub nice: Option<i32>,
    /// Load before the measurement (after waiting).
    pub load_before: Option<CpuLoad>,
    /// Seconds waited for a quiet CPU.
    pub waited_seconds: f64,
    /// Machine load over the whole measurement, ours included.
    pub load_during: Option<CpuLoad>,
    /// Seconds of the measurement.
    pub seconds: f64,
    /// The table.
    pub rows: Vec<Row>,
    /// Every process's report, in run order, with its side.
    pub processes: Vec<(Side, ProcessReport)>,
}

/// The Python interpreter: `$SRL_BENCH_PYTHON`, else `python3`.
pub fn python() -> OsString {
    std::env::var_os(PYTHON_ENV)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| OsString::from("python3"))
}

/// `Ok(version)` if `python` imports torch, else the reason.
pub fn torch_version(python: &OsStr) -> Result<String> {
    let output = Command::new(python)
        .args(["-c", "import torch; print(torch.__version__)"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| XtaskError::spawn(python, e))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
    } else {
        let err = String::from_utf8_lossy(&output.stderr);
        Err(XtaskError::CommandFailed {
            what: "`import torch`".into(),
            detail: err
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string(),
        })
    }
}

/// The message printed when torch is missing.
pub fn install_hint(python: &OsStr, reason: &str) -> String {
    format!(
        "PyTorch is not available to {py} ({reason}).\n\
         The comparison needs it only on the machine that runs it (CI does not): install the \
         CPU build from PyPI with\n\n    pip install torch\n\n\
         (for this interpreter: `{py} -m pip install torch`), or point {PYTHON_ENV} at a Python that has torch, then run \
         `cargo xtask bench --against-pytorch` again. Nothing was measured.",
        py = python.to_string_lossy()
    )
}

/// `cargo xtask bench --against-pytorch`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let py = python();
    let torch = match torch_version(&py) {
        Ok(v) => v,
        Err(reason) => {
            println!("{}", install_hint(&py, &reason.to_string()));
            return Ok(());
        }
    };
    let root = repo_root();
    let rounds = args.rounds.max(1);
    let exe = build_example(&root)?;
    let data_dir = data_dir(args.data_dir.as_deref());
    let work = root.join("target").join("bench-pytorch");
    let export = work.join("data");
    eprintln!(
        "exporting the training data for PyTorch to {}…",
        export.display()
    );
    let mut cmd = Command::new(&exe);
    cmd.arg("--data-dir")
        .arg(&data_dir)
        .arg("--export")
        .arg(&export);
    crate::common::run_quietly(&mut cmd, "bench_workloads --export")?;

    let (load_before, waited) = wait_for_quiet_cpu(Duration::from_secs(args.max_wait));
    if let Some(l) = load_before {
        eprintln!(
            "CPU before the run: {:.2} cores busy, {:.2} niced, load average {:.2} (waited {})",
            l.busy_cores,
            l.niced_cores,
            l.loadavg_1min,
            human_duration(waited)
        );
    }
    let date_utc = utc_now();
    let start = Instant::now();
    let stat_start = read_proc_stat();
    let script = root.join("benches").join("pytorch").join("srl_bench.py");
    let mut processes = Vec::new();
    for round in 0..rounds {
        for side in [Side::Rust, Side::Pytorch2, Side::Rust2, Side::Pytorch1] {
            eprintln!("round {}/{rounds}: {side:?}…", round + 1);
            let mut cmd = match side {
                Side::Rust | Side::Rust2 => {
                    let threads = if side == Side::Rust2 { "2" } else { "1" };
                    let mut c = niced(args.nice, exe.as_os_str());
                    c.arg("--data-dir")
                        .arg(&data_dir)
                        .env("RAYON_NUM_THREADS", threads)
                        .env("MATMUL_NUM_THREADS", threads);
                    c
                }
                Side::Pytorch2 | Side::Pytorch1 => {
                    let threads = if side == Side::Pytorch2 { "2" } else { "1" };
                    let mut c = niced(args.nice, &py);
                    c.arg(&script)
                        .arg("--data")
                        .arg(&export)
                        .args(["--threads", threads]);
                    c
                }
            };
            processes.push((side, run_report(&mut cmd)?));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let load_during = match (stat_start, read_proc_stat()) {
        (Some(a), Some(b)) => Some(cpu_load(&a, &b)),
        _ => None,
    };
    let comparison = Comparison {
        date_utc,
        commit: git_commit(&root),
        machine: machine(),
        torch,
        rounds,
        nice: args.nice,
        load_before,
        waited_seconds: waited,
        load_during,
        seconds,
        rows: rows(&processes),
        processes,
    };
    let doc = args
        .out
        .clone()
        .unwrap_or_else(|| root.join("docs").join("benchmarks.md"));
    let section = section_markdown(&comparison);
    println!("{section}");
    let text = std::fs::read_to_string(&doc).unwrap_or_default();
    crate::common::write_file(&doc, &replace_section(&text, &section))?;
    let json_path = json_path(&doc);
    let json = serde_json::to_string_pretty(&comparison)?;
    crate::common::write_file(&json_path, &(json + "\n"))?;
    eprintln!(
        "wrote {} and {} ({} of measurement)",
        doc.display(),
        json_path.display(),
        human_duration(seconds)
    );
    Ok(())
}

/// `program`, under `nice -n N` when `nice` is given.
fn niced(nice: Option<i32>, program: &OsStr) -> Command {
    match nice {
        Some(n) => {
            let mut c = Command::new("nice");
            c.arg("-n").arg(n.to_string()).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// `docs/benchmarks.md` → `docs/benchmarks-pytorch.json`.
pub fn json_path(doc: &Path) -> PathBuf {
    let stem = doc
        .file_stem()
        .map_or_else(|| "benchmarks".into(), |s| s.to_string_lossy().into_owned());
    doc.with_file_name(format!("{stem}-pytorch.json"))
}

/// The data folder: `--data-dir`, `$SRL_DATA_DIR`, `datasets/cache/` if it holds Airfoil, else
/// the project's shared copy.
fn data_dir(flag: Option<&Path>) -> PathBuf {
    let dir = srl_data::datadir::resolve_data_dir(flag);
    if flag.is_some() || std::env::var_os(srl_data::datadir::DATA_DIR_ENV).is_some() {
        return dir;
    }
    if dir.join("airfoil").is_dir() {
        return dir;
    }
    srl_data::datadir::shared_data_dir().unwrap_or(dir)
}

/// Builds the release timing example and returns its path.
fn build_example(root: &Path) -> Result<PathBuf> {
    crate::common::build_release(root, "srl-train", "--example", "bench_workloads")
}

/// Runs one timing process and parses the JSON it prints on its last stdout line.
fn run_report(cmd: &mut Command) -> Result<ProcessReport> {
    let what = cmd.get_program().to_string_lossy().into_owned();
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| XtaskError::spawn(&what, e))?;
    if !output.status.success() {
        return Err(XtaskError::CommandFailed {
            what,
            detail: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rfind(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| XtaskError::InvalidData(format!("{what} printed no JSON")))?;
    serde_json::from_str(line)
        .map_err(|e| XtaskError::InvalidData(format!("{what}: unreadable JSON: {e}")))
}

/// Median of a list (`None` when empty).
pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    })
}

/// The table rows: per workload and side, the median of the processes' medians.
pub fn rows(processes: &[(Side, ProcessReport)]) -> Vec<Row> {
    let of = |side: Side, name: &str| {
        median(
            processes
                .iter()
                .filter(|(s, _)| *s == side)
                .filter_map(|(_, r)| r.workloads.get(name).map(|t| t.ms))
                .collect(),
        )
    };
    WORKLOADS
        .iter()
        .map(|&(name, _)| Row {
            workload: name.to_string(),
            unit: processes
                .iter()
                .find_map(|(_, r)| r.workloads.get(name).map(|t| t.unit.clone()))
                .unwrap_or_default(),
            pytorch_2: of(Side::Pytorch2, name),
            pytorch_1: of(Side::Pytorch1, name),
            rust: of(Side::Rust, name),
            rust_2: of(Side::Rust2, name),
        })
        .collect()
}

/// Milliseconds with 3 significant digits (`0.482`, `4.82`, `48.2`, `482`).
pub fn format_ms(ms: Option<f64>) -> String {
    match ms {
        None => "—".into(),
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) if v >= 10.0 => format!("{v:.1}"),
        Some(v) if v >= 1.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.3}"),
    }
}

/// A ratio a/b as `3.4×` (`—` when either is missing).
pub fn format_ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let r = a / b;
            if r >= 10.0 {
                format!("{r:.0}×")
            } else {
                format!("{r:.1}×")
            }
        }
        _ => "—".into(),
    }
}

/// The timing table and the SRL/vanilla table.
pub fn tables_markdown(rows: &[Row]) -> String {
    let mut t = String::from(
        "| workload | unit | PyTorch 2 thr | PyTorch 1 thr | Rust 2 thr | Rust 1 thr | Rust speed-up, 2 thr vs 2 thr | 1 thr vs 1 thr |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let label = WORKLOADS
            .iter()
            .find(|(n, _)| *n == r.workload)
            .map_or(r.workload.as_str(), |(_, d)| d);
        t.push_str(&format!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.unit.trim_start_matches("ms/"),
            format_ms(r.pytorch_2),
            format_ms(r.pytorch_1),
            format_ms(r.rust_2),
            format_ms(r.rust),
            format_ratio(r.pytorch_2, r.rust_2),
            format_ratio(r.pytorch_1, r.rust),
        ));
    }
    t.push_str(
        "\nSRL / vanilla per epoch (per iteration on IOL), each side against itself:\n\n\
         | benchmark | PyTorch 2 thr | PyTorch 1 thr | Rust 2 thr | Rust 1 thr |\n|---|---:|---:|---:|---:|\n",
    );
    for (bench, label) in [
        ("airfoil", "Airfoil"),
        ("iol-linear", "IOL-linear"),
        ("iol-sde", "IOL-nonlinear"),
    ] {
        let get = |suffix: &str| {
            rows.iter()
                .find(|r| r.workload == format!("{bench}/{suffix}"))
        };
        let (v, s) = (get("vanilla"), get("srl"));
        let ratio = |f: fn(&Row) -> Option<f64>| format_ratio(s.and_then(f), v.and_then(f));
        t.push_str(&format!(
            "| {label} | {} | {} | {} | {} |\n",
            ratio(|r| r.pytorch_2),
            ratio(|r| r.pytorch_1),
            ratio(|r| r.rust_2),
            ratio(|r| r.rust)
        ));
    }
    t
}

/// The generated section (between the markers).
pub fn section_markdown(c: &Comparison) -> String {
    let load = |l: &Option<CpuLoad>| match l {
        Some(l) => format!(
            "{:.2} cores busy at normal priority, {:.2} cores of niced background jobs, \
             1-min load average {:.2}",
            l.busy_cores, l.niced_cores, l.loadavg_1min
        ),
        None => "not measured (no /proc/stat)".into(),
    };
    format!(
        "Measured {date} on {machine}, torch {torch}, commit `{commit}`; {rounds} rounds of \
         Rust 1 thread → PyTorch 2 threads → Rust 2 threads → PyTorch 1 thread, one process at a time, each \
         process the median of its samples, the table the median over processes ({secs} of \
         measurement){priority}.\n\n\
         - Load before the run (after waiting {waited} for a quiet CPU): {before}.\n\
         - Load during the run, the benchmark included: {during}.\n\n\
         {tables}",
        date = c.date_utc,
        machine = c.machine,
        torch = c.torch,
        commit = c.commit,
        rounds = c.rounds,
        secs = human_duration(c.seconds),
        priority = c.nice.map_or(String::new(), |n| format!(
            "; the timed processes ran at nice {n}"
        )),
        waited = human_duration(c.waited_seconds),
        before = load(&c.load_before),
        during = load(&c.load_during),
        tables = tables_markdown(&c.rows),
    )
}

/// `text` with the part between [`BEGIN_MARKER`] and [`END_MARKER`] replaced by `section`; a
/// text without both markers (in that order) gets a new section at its end.
pub fn replace_section(text: &str, section: &str) -> String {
    let body = format!("{BEGIN_MARKER}\n{}\n{END_MARKER}", section.trim_end());
    if let Some(b) = text.find(BEGIN_MARKER) {
        if let Some(e) = text[b..].find(END_MARKER) {
            let end = b + e + END_MARKER.len();
            return format!("{}{body}{}", &text[..b], &text[end..]);
        }
    }
    let mut out = text.trim_end().to_string();
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str("## Rust vs PyTorch (CPU)\n\n");
    out.push_str(&body);
    out.push('\n');
    out
}

/// CPU model (lscpu's "Model name", else /proc/cpuinfo) and the number of cores.
fn machine() -> String {
    let from_lscpu = Command::new("lscpu")
        .env("LC_ALL", "C")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("Model name:").map(|v| v.trim().to_string()))
        });
    let model = from_lscpu
        .or_else(|| {
            std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
                t.lines().find_map(|l| {
                    l.strip_prefix("model name")
                        .and_then(|v| v.split_once(':'))
                        .map(|(_, v)| v.trim().to_string())
                })
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{model}, {cores} cores")
}

/// Cumulative jiffies of /proc/stat's `cpu` line: (busy, niced, total).
fn read_proc_stat() -> Option<(u64, u64, u64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    parse_proc_stat(&text)
}

/// Parses the aggregate `cpu` line: user nice system idle iowait irq softirq steal.
pub fn parse_proc_stat(text: &str) -> Option<(u64, u64, u64)> {
    let line = text.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 8 {
        return None;
    }
    let busy = v[0] + v[2] + v[5] + v[6] + v[7];
    Some((busy, v[1], v.iter().sum()))
}

/// Load between two /proc/stat samples, in cores.
fn cpu_load(a: &(u64, u64, u64), b: &(u64, u64, u64)) -> CpuLoad {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let total = b.2.saturating_sub(a.2).max(1) as f64;
    CpuLoad {
        busy_cores: cores * b.0.saturating_sub(a.0) as f64 / total,
        niced_cores: cores * b.1.saturating_sub(a.1) as f64 / total,
        loadavg_1min: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|t| t.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(f64::NAN),
    }
}

/// Samples the CPU in 3-second windows until less than a quarter of a core is busy at normal
/// priority (niced background jobs yield to the benchmark and do not count), at most
/// `max_wait`; returns the last sample and the seconds waited.
fn wait_for_quiet_cpu(max_wait: Duration) -> (Option<CpuLoad>, f64) {
    const QUIET_CORES: f64 = 0.25;
    let start = Instant::now();
    loop {
        let Some(a) = read_proc_stat() else {
            return (None, 0.0);
        };
        std::thread::sleep(Duration::from_secs(3));
        let Some(b) = read_proc_stat() else {
            return (None, 0.0);
        };
        let load = cpu_load(&a, &b);
        let waited = start.elapsed();
        if load.busy_cores < QUIET_CORES || waited >= max_wait {
            return (Some(load), waited.as_secs_f64());
        }
        eprintln!(
            "waiting for a quiet CPU: {:.2} cores busy (niced jobs: {:.2})…",
            load.busy_cores, load.niced_cores
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(side: Side, ms: &[(&str, f64)]) -> (Side, ProcessReport) {
        let workloads = ms
            .iter()
            .map(|&(n, v)| {
                (
                    n.to_string(),
                    Timing {
                        ms: v,
                        unit: "ms/epoch".into(),
                        samples_ms: vec![v],
                    },
                )
            })
            .collect();
        (
            side,
            ProcessReport {
                implementation: if matches!(side, Side::Rust | Side::Rust2) {
                    "rust"
                } else {
                    "pytorch"
                }
                .into(),
                threads: 1,
                torch: None,
                workloads,
            },
        )
    }

    #[test]
    fn table_is_medians_of_processes_with_speed_ups_and_ratios() {
        let processes = vec![
            report(
                Side::Rust,
                &[("airfoil/vanilla", 0.5), ("airfoil/srl", 1.5)],
            ),
            report(
                Side::Pytorch2,
                &[("airfoil/vanilla", 20.0), ("airfoil/srl", 40.0)],
            ),
            report(
                Side::Rust,
                &[("airfoil/vanilla", 0.7), ("airfoil/srl", 1.7)],
            ),
            report(
                Side::Rust2,
                &[("airfoil/vanilla", 0.4), ("airfoil/srl", 1.0)],
            ),
            report(
                Side::Pytorch1,
                &[("airfoil/vanilla", 15.0), ("airfoil/srl", 45.0)],
            ),
        ];
        let rows = rows(&processes);
        assert_eq!(rows.len(), WORKLOADS.len());
        let a = &rows[0];
        assert_eq!(a.workload, "airfoil/vanilla");
        assert_eq!(
            (a.pytorch_2, a.pytorch_1, a.rust),
            (Some(20.0), Some(15.0), Some(0.6))
        );
        assert_eq!(a.rust_2, Some(0.4));
        assert_eq!(rows[2].rust, None);
        let md = tables_markdown(&rows);
        assert!(md.contains(
            "| Airfoil epoch, vanilla (971 rows, batch 64, 5-20-30-10) | epoch | 20.0 | 15.0 | 0.400 | 0.600 | 50× | 25× |"
        ), "{md}");
        // SRL / vanilla: PyTorch 2 thr 40/20, 1 thr 45/15, Rust 2 thr 1.0/0.4, 1 thr 1.6/0.6.
        assert!(
            md.contains("| Airfoil | 2.0× | 3.0× | 2.5× | 2.7× |"),
            "{md}"
        );
        assert!(md.contains("| IOL-linear | — | — | — | — |"), "{md}");
        assert!(md.contains("| — | — | — | — | — | — |"), "{md}");
    }

    #[test]
    fn section_names_machine_load_and_priority() {
        let load = CpuLoad {
            busy_cores: 1.01,
            niced_cores: 0.5,
            loadavg_1min: 3.25,
        };
        let c = Comparison {
            date_utc: "2026-12-03 01:40:21 UTC".into(),
            commit: "abc".into(),
            machine: "AMD EPYC, 2 cores".into(),
            torch: "2.5.0".into(),
            rounds: 3,
            nice: Some(-10),
            load_before: Some(load),
            waited_seconds: 12.0,
            load_during: None,
            seconds: 228.0,
            rows: rows(&[report(Side::Rust, &[("airfoil/srl", 1.4)])]),
            processes: Vec::new(),
        };
        let md = section_markdown(&c);
        for needle in [
            "AMD EPYC, 2 cores, torch 2.5.0",
            "3 min 48 s of measurement); the timed processes ran at nice -10.",
            "1.01 cores busy at normal priority, 0.50 cores of niced background jobs, 1-min load average 3.25",
            "waiting 12.0 s",
            "the benchmark included: not measured",
            "| Airfoil epoch, SRL (K = 38, N = 1,000) | epoch | — | — | — | 1.40 | — | — |",
        ] {
            assert!(md.contains(needle), "{needle:?} not in {md}");
        }
        let c = Comparison { nice: None, ..c };
        assert!(!section_markdown(&c).contains("nice -"));
    }

    #[test]
    fn number_formats() {
        assert_eq!(format_ms(Some(0.48213)), "0.482");
        assert_eq!(format_ms(Some(4.8213)), "4.82");
        assert_eq!(format_ms(Some(48.213)), "48.2");
        assert_eq!(format_ms(Some(482.13)), "482");
        assert_eq!(format_ms(None), "—");
        assert_eq!(format_ratio(Some(3.0), Some(2.0)), "1.5×");
        assert_eq!(format_ratio(Some(1.0), Some(4.0)), "0.2×");
        assert_eq!(format_ratio(Some(30.0), Some(2.0)), "15×");
        assert_eq!(format_ratio(Some(1.0), Some(0.0)), "—");
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    #[test]
    fn only_the_marked_section_is_replaced() {
        let doc = format!(
            "# Speed\n\nintro\n\n## Rust vs PyTorch\n\nprose kept\n\n{BEGIN_MARKER}\nold table\n{END_MARKER}\n\n## After\n\ntail kept\n"
        );
        let out = replace_section(&doc, "new table\n");
        assert_eq!(
            out,
            format!(
                "# Speed\n\nintro\n\n## Rust vs PyTorch\n\nprose kept\n\n{BEGIN_MARKER}\nnew table\n{END_MARKER}\n\n## After\n\ntail kept\n"
            )
        );
        // Idempotent, and a second replacement keeps everything else.
        assert_eq!(replace_section(&out, "new table"), out);
        // Without markers (or with only one) the section is appended.
        let appended = replace_section("# Speed\n\nintro\n", "t");
        assert_eq!(
            appended,
            format!(
                "# Speed\n\nintro\n\n## Rust vs PyTorch (CPU)\n\n{BEGIN_MARKER}\nt\n{END_MARKER}\n"
            )
        );
        let lone_end = format!("x\n{END_MARKER}\n");
        assert!(replace_section(&lone_end, "t").starts_with(&lone_end.trim_end().to_string()));
        assert_eq!(
            replace_section("", "t"),
            format!("## Rust vs PyTorch (CPU)\n\n{BEGIN_MARKER}\nt\n{END_MARKER}\n")
        );
    }

    #[test]
    fn proc_stat_and_json_path() {
        let stat = "cpu  100 50 20 1000 5 1 2 3 0 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n";
        assert_eq!(parse_proc_stat(stat), Some((126, 50, 1181)));
        assert_eq!(parse_proc_stat("intr 1 2\n"), None);
        let load = cpu_load(&(0, 0, 0), &(50, 25, 100));
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!((load.busy_cores - 0.5 * cores).abs() < 1e-12);
        assert!((load.niced_cores - 0.25 * cores).abs() < 1e-12);
        assert_eq!(
            json_path(Path::new("docs/benchmarks.md")),
            PathBuf::from("docs/benchmarks-pytorch.json")
        );
    }

    #[test]
    fn process_reports_round_trip() {
        let line = r#"{"implementation": "pytorch", "torch": "2.5.0", "threads": 2, "warmup": 3, "repeats": 2, "workloads": {"airfoil/srl": {"ms": 2.5, "unit": "ms/epoch", "samples_ms": [2.0, 3.0]}}}"#;
        let r: ProcessReport = serde_json::from_str(line).unwrap();
        assert_eq!(r.threads, 2);
        assert_eq!(r.torch.as_deref(), Some("2.5.0"));
        assert_eq!(r.workloads["airfoil/srl"].samples_ms, vec![2.0, 3.0]);
    }

    /// Without torch the command explains how to install it and succeeds, before building
    /// anything: here the "Python" is a script that fails like a Python without torch.
    #[test]
    fn missing_torch_is_a_clean_exit() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("python-without-torch");
        std::fs::write(
            &fake,
            "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'torch'\" >&2\nexit 1\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let reason = torch_version(fake.as_os_str()).unwrap_err().to_string();
        assert!(reason.contains("No module named 'torch'"), "{reason}");
        let hint = install_hint(fake.as_os_str(), &reason);
        assert!(
            hint.contains("pip install torch\n") && hint.contains(PYTHON_ENV),
            "{hint}"
        );
        // A missing interpreter is reported the same way.
        assert!(torch_version(dir.path().join("no-such-python").as_os_str()).is_err());

        // Through the command itself, with the environment variable (only this test sets it).
        std::env::set_var(PYTHON_ENV, &fake);
        let args = BenchArgs {
            against_pytorch: true,
            out: Some(dir.path().join("benchmarks.md")),
            ..BenchArgs::default()
        };
        let result = super::super::run(&args);
        std::env::remove_var(PYTHON_ENV);
        assert!(result.is_ok(), "{result:?}");
        assert!(!dir.path().join("benchmarks.md").exists());
    }
}
