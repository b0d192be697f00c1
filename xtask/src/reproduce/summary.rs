//! What a reproduction reports: the provenance of the runs ([`RunMeta`]), the per-benchmark
//! tables aggregated from the run folders ([`crate::tables`]), the figures
//! ([`crate::figures`]) and `summary.md/.json` with an overview of every benchmark.

use crate::common::{human_duration, write_file};
use crate::error::Result;
use crate::{figures, tables};
use srl_data::BenchmarkId;
use srl_train::MethodName;
use std::path::Path;
use std::time::Instant;

/// Provenance of a reproduce run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RunMeta {
    /// `quick` or `full`.
    pub profile: String,
    /// The command line as typed (`cargo xtask reproduce …`).
    pub command: String,
    /// `git rev-parse HEAD`, with ` (with uncommitted changes)` for uncommitted changes outside
    /// `docs/results`, or `unknown` (merged shards: their distinct commits, `; `-separated).
    pub commit: String,
    /// Start date, UTC.
    pub date_utc: String,
    /// Available cores.
    pub cores: usize,
    /// Runs in parallel.
    pub jobs: usize,
    /// Seeds per method and benchmark.
    pub seeds: usize,
    /// Benchmarks run.
    pub benchmarks: Vec<BenchmarkId>,
    /// Methods in the tables (older summaries: absent).
    #[serde(default)]
    pub methods: Vec<MethodName>,
    /// Total wall time (build, data, training, tables, figures).
    pub wall_seconds: f64,
    /// Wall time of the training runs.
    pub train_seconds: f64,
    /// Data directory used.
    pub data_dir: String,
    /// Runs that failed (their seeds are missing from the tables).
    #[serde(default)]
    pub failed_runs: Vec<String>,
    /// When the tables were rebuilt from existing runs (`--aggregate-only`), and how.
    #[serde(default)]
    pub regenerated: Option<String>,
    /// Runs kept from earlier invocations (`--resume`), each with its provenance.
    #[serde(default)]
    pub kept_runs: Vec<String>,
    /// For results merged from `--shard` runs: one line per shard (runs, commit, start, wall
    /// time, folder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<String>,
    /// Benchmarks of the plan that were not run because their data was missing and could not
    /// be fetched, each with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_benchmarks: Vec<String>,
}

/// Aggregates the runs of `meta.benchmarks` under `out/runs` into the per-benchmark tables, the
/// figures and `summary.md/.json`, and prints where they are. `started` (a fresh run) sets the
/// total wall time; regenerated outputs keep the original one. `meta.methods` becomes the
/// methods found in the tables.
pub fn write_outputs(
    out: &Path,
    mut meta: RunMeta,
    no_figures: bool,
    started: Option<Instant>,
) -> Result<()> {
    let runs_dir = out.join("runs");
    let mut tables_written = Vec::new();
    let mut bench_tables = Vec::new();
    for &b in &meta.benchmarks {
        let reports = tables::collect_reports(&runs_dir, b)?;
        let table = tables::aggregate(b, &reports)?;
        let (md, json) = table.write(out)?;
        tables_written.push(md);
        tables_written.push(json);
        bench_tables.push(table);
    }
    let mut methods: Vec<MethodName> = bench_tables
        .iter()
        .flat_map(|t| t.rows.iter().map(|r| r.method.clone()))
        .collect();
    methods.sort_by_key(tables::method_order);
    methods.dedup();
    meta.methods = methods;
    let figures_written = if no_figures {
        Vec::new()
    } else {
        eprintln!("drawing figures…");
        figures::make_all(&runs_dir, &out.join("figures"), &bench_tables)?
    };
    if let Some(start) = started {
        meta.wall_seconds = start.elapsed().as_secs_f64();
    }
    let figure_names: Vec<String> = figures_written
        .iter()
        .filter_map(|p| p.strip_prefix(out).ok())
        .map(|p| p.display().to_string())
        .collect();
    let summary_md = out.join("summary.md");
    write_file(
        &summary_md,
        &summary_markdown(&meta, &bench_tables, &figure_names),
    )?;
    let summary_json = out.join("summary.json");
    let json = serde_json::json!({
        "meta": meta,
        "tables": bench_tables,
        "figures": figure_names,
    });
    write_file(
        &summary_json,
        &(serde_json::to_string_pretty(&json)? + "\n"),
    )?;

    match &meta.regenerated {
        Some(_) => println!("reproduce ({}): outputs regenerated", meta.profile),
        None => println!(
            "reproduce ({}) finished in {}",
            meta.profile,
            human_duration(meta.wall_seconds)
        ),
    }
    println!("summary: {}", summary_md.display());
    for t in tables_written
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
    {
        println!("table:   {}", t.display());
    }
    if !figures_written.is_empty() {
        println!(
            "figures: {} ({} files)",
            out.join("figures").display(),
            figures_written.len()
        );
    }
    println!("configs: {}", out.join("configs").display());
    Ok(())
}

/// The top-level `summary.md`: provenance, an overview per benchmark (vanilla and SRL All/Few
/// with SRL's change next to the paper's, the best method on All MAE, SRL's rank among the
/// methods on All and on Few), every benchmark's tables, and the figures.
pub fn summary_markdown(
    meta: &RunMeta,
    tables: &[tables::BenchmarkTable],
    figures: &[String],
) -> String {
    let mut md = format!("# SRL reproduction — {} profile\n\n", meta.profile);
    md.push_str(&format!("- Command: `{}`\n", meta.command));
    md.push_str(&format!("- Commit: `{}`\n", meta.commit));
    md.push_str(&format!("- Date: {}\n", meta.date_utc));
    md.push_str(&format!(
        "- Machine: {} cores ({} runs in parallel), {} {}\n",
        meta.cores,
        meta.jobs,
        std::env::consts::OS,
        std::env::consts::ARCH
    ));
    md.push_str(&format!(
        "- Wall time: {} in total, {} of it training\n",
        human_duration(meta.wall_seconds),
        human_duration(meta.train_seconds)
    ));
    let method_list: Vec<String> = meta.methods.iter().map(|m| m.to_string()).collect();
    md.push_str(&format!(
        "- Runs: {} benchmark(s) × {} method(s) ({}) × {} seed(s); exact configurations in \
         `configs/`, run folders in `runs/`, logs in `logs/`\n",
        meta.benchmarks.len(),
        meta.methods.len(),
        method_list.join(", "),
        meta.seeds
    ));
    if !meta.shards.is_empty() {
        md.push_str(&format!(
            "- Trained in {} shards (`--shard I/N`, docs/sweeps.md) and merged with \
             `--aggregate-only --from-shards`; the wall time is the longest shard's: {}\n",
            meta.shards.len(),
            meta.shards.join("; ")
        ));
    }
    if let Some(when) = &meta.regenerated {
        md.push_str(&format!(
            "- Tables and figures regenerated from these runs (no training): {when}\n"
        ));
    }
    if !meta.kept_runs.is_empty() {
        md.push_str(&format!(
            "- Runs kept from earlier invocations (`--resume`, same configuration; the wall \
             times above exclude them): {}\n",
            meta.kept_runs.join("; ")
        ));
    }
    if !meta.failed_runs.is_empty() {
        md.push_str(&format!(
            "- **Failed runs** (missing from the tables; see their logs): {}\n",
            meta.failed_runs.join(", ")
        ));
    }
    if !meta.skipped_benchmarks.is_empty() {
        md.push_str(&format!(
            "- **Benchmarks skipped** (data missing and not fetchable): {}\n",
            meta.skipped_benchmarks.join("; ")
        ));
    }
    if meta.profile == "quick" {
        md.push_str(
            "\nThe quick profile is a smoke test (few epochs and seeds): it checks the whole \
             pipeline in minutes, and its numbers are not paper-sized. `cargo xtask reproduce \
             --full` runs the paper's sizes.\n",
        );
    }

    md.push_str(
        "\n## Overview\n\nTest MAE (IOL: ×1e-3), mean over seeds; change = SRL vs vanilla; best = \
         the method with the lowest mean All MAE; rank = SRL's place among the methods by mean \
         MAE (1 = lowest).\n\n\
         | Benchmark | Vanilla All | SRL All | change All | paper change All | Vanilla Few | \
         SRL Few | change Few | paper change Few | best All | SRL rank All | SRL rank Few |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
    );
    let (vanilla, srl) = (MethodName::vanilla(), tables::srl_method());
    for t in tables {
        let scale = t.kind.mae_scale();
        let show = |x: Option<f64>| x.map_or("—".to_string(), |x| format!("{:.3}", x / scale));
        let change = |new: Option<f64>, old: Option<f64>| {
            tables::percent_cell(new.zip(old).and_then(|(n, o)| tables::change_percent(n, o)))
        };
        let paper = |m: &str, g: usize| t.paper.iter().find(|p| p.method == m).map(|p| p.mae[g]);
        let best = t.best(tables::ALL).map_or("—".to_string(), |(m, v)| {
            format!("{} {}", tables::display_method(m), show(Some(v)))
        });
        let rank = |g: usize| {
            t.rank(&srl, g)
                .map_or("—".to_string(), |(r, n)| format!("{r}/{n}"))
        };
        let (all, few) = (tables::ALL, tables::FEW);
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {best} | {} | {} |\n",
            tables::display_benchmark(t.benchmark),
            show(t.mean_mae(&vanilla, all)),
            show(t.mean_mae(&srl, all)),
            change(t.mean_mae(&srl, all), t.mean_mae(&vanilla, all)),
            change(paper("SRL", all), paper("Vanilla", all)),
            show(t.mean_mae(&vanilla, few)),
            show(t.mean_mae(&srl, few)),
            change(t.mean_mae(&srl, few), t.mean_mae(&vanilla, few)),
            change(paper("SRL", few), paper("Vanilla", few)),
            rank(all),
            rank(few),
        ));
    }

    for t in tables {
        md.push('\n');
        md.push_str(&t.to_markdown());
    }

    if !figures.is_empty() {
        md.push_str("\n## Figures\n\n");
        for f in figures.iter().filter(|f| f.ends_with(".png")) {
            let svg = f.trim_end_matches(".png").to_string() + ".svg";
            md.push_str(&format!("- [{f}]({f}) ([SVG]({svg}))\n"));
        }
        if let Some(fs) = figures.iter().find(|f| f.ends_with("feature-space.png")) {
            md.push_str(&format!("\n![feature space]({fs})\n"));
        }
    }
    md
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::common::format_utc;
    use crate::tables::tests::method;
    use crate::tables::DEFAULT_METHODS;

    /// The provenance of a quick run of `benchmarks` (test helper).
    pub(crate) fn meta(benchmarks: Vec<BenchmarkId>) -> RunMeta {
        RunMeta {
            profile: "quick".into(),
            command: "cargo xtask reproduce --quick --only airfoil".into(),
            commit: "abc".into(),
            date_utc: format_utc(0),
            cores: 2,
            jobs: 2,
            seeds: 2,
            benchmarks,
            methods: vec![],
            wall_seconds: 100.0,
            train_seconds: 80.0,
            data_dir: "/d".into(),
            failed_runs: vec![],
            regenerated: None,
            kept_runs: vec![],
            shards: vec![],
            skipped_benchmarks: vec![],
        }
    }

    #[test]
    fn many_methods_in_the_summary() {
        let b = BenchmarkId::IolLinear;
        let table = tables::aggregate(b, &crate::tables::tests::many_method_reports(b)).unwrap();
        let md = summary_markdown(&meta(vec![b]), &[table], &[]);
        // IOL values ×1e-3: vanilla All mean 10.1 → 10100.000; best is bni+srl (4.6).
        assert!(md.contains("| BNI+SRL 4600.000 | 4/12 | 4/12 |"), "{md}");
        assert!(
            md.contains("| IOL linear (antiderivative) | 10100.000 | 6100.000 | -39.6 % |"),
            "{md}"
        );
        for m in DEFAULT_METHODS {
            let shown = tables::display_method(&method(m));
            assert!(md.contains(&format!("| {shown} | 3 |")), "{shown}: {md}");
        }
    }
}
