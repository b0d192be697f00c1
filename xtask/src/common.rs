//! What every xtask command shares: where the repository is, files written atomically and
//! folders listed, copied and cleared, the name of a run in the sweep layout, release builds of the workspace's binaries, quiet child
//! processes, and the provenance a result records (commit, UTC date, durations).

use crate::error::{Result, XtaskError};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

// ---------------------------------------------------------------------------------------------
// Files and folders

/// The repository root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// Writes `text` to `path` atomically (a reader never sees half a file).
pub fn write_file(path: &Path, text: &str) -> Result<()> {
    Ok(srl_data::atomic::write_atomic(path, text.as_bytes())?)
}

/// Reads the file `path` as text.
pub fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| XtaskError::io("read", path, e))
}

/// Creates the folder `dir` and its parents.
pub fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| XtaskError::io("create", dir, e))
}

/// The entries of `dir` (none if it does not exist).
pub fn list_dir(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(std::fs::read_dir(dir)
        .map_err(|e| XtaskError::io("list", dir, e))?
        .flatten()
        .collect())
}

/// Removes the folder `d` and everything in it, if it exists.
pub fn remove_dir(d: &Path) -> Result<()> {
    if d.exists() {
        std::fs::remove_dir_all(d).map_err(|e| XtaskError::io("clear", d, e))?;
    }
    Ok(())
}

/// Removes the file `f`, if it exists.
pub fn remove_file(f: &Path) -> Result<()> {
    if f.exists() {
        std::fs::remove_file(f).map_err(|e| XtaskError::io("remove", f, e))?;
    }
    Ok(())
}

/// Copies the folder `from` to `to` recursively (nothing if `from` does not exist).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    create_dir(to)?;
    for entry in list_dir(from)? {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            copy_file(&entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Copies the file `from` to `to` (nothing if `from` does not exist).
pub fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if !from.is_file() {
        return Ok(());
    }
    if let Some(parent) = to.parent() {
        create_dir(parent)?;
    }
    std::fs::copy(from, to)
        .map(|_| ())
        .map_err(|source| XtaskError::Copy {
            from: from.to_path_buf(),
            to: to.to_path_buf(),
            source,
        })
}

/// `airfoil/srl/seed0`: the name of a run, its run folder relative to the runs folder
/// ([`srl_train::run_folder::sweep_run_dir`]), `/`-separated on every system.
pub fn run_name(benchmark: &str, variant: &str, seed: u64) -> String {
    srl_train::run_folder::sweep_run_dir(Path::new(""), benchmark, variant, seed)
        .iter()
        .map(|part| part.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// `srl-seed0`: the file name stem of a run's configuration and log beside the run folders
/// (the seed as its folder is named, [`srl_train::run_folder::seed_dir`]).
pub fn seed_file_stem(variant: &str, seed: u64) -> String {
    format!("{variant}-{}", srl_train::run_folder::seed_dir(seed))
}

// ---------------------------------------------------------------------------------------------
// Builds and child processes

/// Builds the release `srl` binary and returns its path.
pub fn build_srl(root: &Path) -> Result<PathBuf> {
    build_release(root, "srl-cli", "--bin", "srl")
}

/// Builds target `name` (`kind`: `--bin` or `--example`) of `package` in release mode and
/// returns its path (read from cargo's JSON messages, so `CARGO_TARGET_DIR` and friends are
/// honoured).
pub fn build_release(root: &Path, package: &str, kind: &str, name: &str) -> Result<PathBuf> {
    build_release_with(root, package, kind, name, &[])
}

/// [`build_release`] with extra cargo arguments (e.g. `--features blas --target-dir DIR`).
pub fn build_release_with(
    root: &Path,
    package: &str,
    kind: &str,
    name: &str,
    extra: &[&str],
) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let what = format!(
        "cargo build --release -p {package} {kind} {name} {}",
        extra.join(" ")
    );
    eprintln!("building {name} ({what})…");
    let output = Command::new(&cargo)
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            package,
            kind,
            name,
            "--message-format=json-render-diagnostics",
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| XtaskError::spawn(&cargo, e))?;
    if !output.status.success() {
        return Err(XtaskError::CommandFailed {
            what: format!("`{what}`"),
            detail: "see the compiler output above".into(),
        });
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    find_executable(&stdout, name).ok_or_else(|| {
        XtaskError::InvalidData(format!(
            "cargo built {package} but reported no `{name}` executable"
        ))
    })
}

/// The path of binary `bin` in cargo's `--message-format=json` output.
pub fn find_executable(cargo_json: &str, bin: &str) -> Option<PathBuf> {
    cargo_json
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["reason"] == "compiler-artifact" && v["target"]["name"] == bin)
        .filter_map(|v| v["executable"].as_str().map(PathBuf::from))
        .next_back()
}

/// Runs `command` with no stdin and its output captured; a failure to start or a non-zero exit
/// is an error `"<what> failed: <stderr>"`.
pub fn run_quietly(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| XtaskError::spawn(command.get_program(), e))?;
    if !output.status.success() {
        return Err(XtaskError::CommandFailed {
            what: what.to_string(),
            detail: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Provenance: commit, dates, durations

/// `cargo xtask …` with this process's arguments.
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("cargo xtask {}", args.join(" "))
}

/// The commit of `root`, or `unknown` outside a git checkout.
pub fn git_commit(root: &Path) -> String {
    let run = |args: &[&str]| {
        Command::new("git")
            .current_dir(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match run(&["rev-parse", "HEAD"]) {
        Some(head) if !head.is_empty() => {
            // Results being written (docs/results) are not a change of the code that ran.
            let dirty = run(&[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":(exclude)docs/results",
            ])
            .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{head} (with uncommitted changes)")
            } else {
                head
            }
        }
        _ => "unknown".to_string(),
    }
}

/// The current time as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC` (proleptic Gregorian,
/// H. Hinnant's days-to-civil algorithm).
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `2 min 05 s`, `48.3 s`, `1 h 02 min`.
pub fn human_duration(secs: f64) -> String {
    let s = secs.max(0.0);
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3600.0 {
        format!("{} min {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    } else {
        format!(
            "{} h {:02} min",
            (s / 3600.0) as u64,
            ((s % 3600.0) / 60.0) as u64
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executable_is_found_in_cargo_json() {
        let json = r#"{"reason":"compiler-artifact","target":{"name":"srl_data"},"executable":null}
{"reason":"compiler-artifact","target":{"name":"srl"},"executable":"/t/release/srl"}
{"reason":"build-finished","success":true}"#;
        assert_eq!(
            find_executable(json, "srl"),
            Some(PathBuf::from("/t/release/srl"))
        );
        assert_eq!(find_executable(json, "other"), None);
    }

    #[test]
    fn utc_dates_and_durations() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(human_duration(48.34), "48.3 s");
        assert_eq!(human_duration(125.0), "2 min 05 s");
        assert_eq!(human_duration(3720.0), "1 h 02 min");
    }
}
