//! Atomic file writes: a reader of `path` sees either the old file (or no file) or the
//! complete new file, never a partial one.
//!
//! The recipe is the classic one:
//!
//! 1. create the parent folders of `path` if they are missing;
//! 2. write the bytes to a temporary file **in the same folder**, named
//!    `.{file name}.tmp-{process id}-{counter}` (hidden, unique per process and call, and on the
//!    same file system as the target so the rename cannot turn into a copy);
//! 3. flush and `fsync` the temporary file;
//! 4. rename it over `path` (atomic on POSIX; on Windows `std::fs::rename` replaces the target);
//! 5. on Unix, `fsync` the folder so the rename itself survives a crash (best effort).
//!
//! If any step fails the temporary file is removed and the error is returned; `path` is left
//! untouched. Used for downloaded datasets (`srl_data::fetch`, feature `fetch`) and, by the
//! trainer, for checkpoints and result files.

use crate::DataError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temporary files of concurrent writes within one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Marker that every temporary file name contains (`.{name}.tmp-{pid}-{n}`); lets callers and
/// tests recognise leftovers.
pub const TEMP_MARKER: &str = ".tmp-";

/// Writes `bytes` to `path` atomically (temporary file in the same folder, `fsync`, rename).
///
/// Parent folders are created as needed. On error no temporary file is left behind and an
/// existing file at `path` is unchanged.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("results/run-1.json");
/// srl_data::atomic::write_atomic(&path, b"{\"mae\": 7.1}").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"{\"mae\": 7.1}");
/// ```
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Atomically writes whatever `write` produces to `path`: `write` receives the open temporary
/// file (any `std::io::Write` helper — `BufWriter`, `serde_json::to_writer`, an `.npz`
/// writer, … — can wrap it); when it returns `Ok`, the file is flushed, synced and renamed
/// onto `path`.
///
/// If `write` returns an error (or syncing/renaming fails) the temporary file is deleted and
/// the error is returned as [`DataError::Io`] naming `path`; `path` itself is untouched.
///
/// ```
/// use std::io::Write;
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("log.txt");
/// srl_data::atomic::write_atomic_with(&path, |f| {
///     for epoch in 0..3 {
///         writeln!(f, "epoch {epoch}")?;
///     }
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "epoch 0\nepoch 1\nepoch 2\n");
///
/// // A failing writer leaves nothing behind.
/// let bad = dir.path().join("bad.txt");
/// let err = srl_data::atomic::write_atomic_with(&bad, |f| {
///     f.write_all(b"half")?;
///     Err(std::io::Error::other("generator failed"))
/// });
/// assert!(err.is_err());
/// assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1); // only log.txt
/// ```
pub fn write_atomic_with<F>(path: &Path, write: F) -> Result<(), DataError>
where
    F: FnOnce(&mut File) -> io::Result<()>,
{
    let file_name = path.file_name().ok_or_else(|| {
        DataError::invalid(
            "output path",
            format!("{} does not name a file", path.display()),
        )
    })?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| DataError::io(&parent, e))?;

    let counter = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(file_name);
    temp_name.push(format!("{TEMP_MARKER}{}-{counter}", std::process::id()));
    let temp_path = parent.join(temp_name);

    let result = write_then_rename(&temp_path, path, write);
    if result.is_err() {
        // Best effort: the temp may not exist (e.g. creation failed) or be gone already.
        let _ = fs::remove_file(&temp_path);
    }
    result.map_err(|e| DataError::io(path, e))?;
    sync_dir(&parent);
    Ok(())
}

/// Creates `temp` exclusively, fills it with `write`, syncs it and renames it to `target`.
fn write_then_rename<F>(temp: &Path, target: &Path, write: F) -> io::Result<()>
where
    F: FnOnce(&mut File) -> io::Result<()>,
{
    let mut file = OpenOptions::new().write(true).create_new(true).open(temp)?;
    write(&mut file)?;
    file.flush()?;
    file.sync_all()?;
    drop(file);
    fs::rename(temp, target)
}

/// Syncs a folder so a completed rename is durable (Unix only; best effort elsewhere).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Whether `name` looks like a temporary file left by [`write_atomic`] (`.{file}.tmp-…`).
///
/// ```
/// use srl_data::atomic::is_temp_file_name;
/// assert!(is_temp_file_name(".data.csv.tmp-4242-0"));
/// assert!(!is_temp_file_name("data.csv"));
/// ```
pub fn is_temp_file_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARKER)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn creates_parents_and_writes_exact_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c.bin");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(100_000).collect();
        write_atomic(&path, &bytes).unwrap();
        assert_eq!(fs::read(&path).unwrap(), bytes);
        assert_eq!(entries(&dir.path().join("a/b")), vec!["c.bin"]);
    }

    #[test]
    fn replaces_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        write_atomic(&path, b"old contents that are longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(entries(dir.path()), vec!["x.txt"]);
    }

    #[test]
    fn failing_writer_keeps_old_file_and_removes_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        write_atomic(&path, b"old").unwrap();
        let err = write_atomic_with(&path, |f| {
            f.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        })
        .unwrap_err();
        assert!(matches!(err, DataError::Io { ref path, .. } if path.ends_with("x.txt")));
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(entries(dir.path()), vec!["x.txt"]);
    }

    #[test]
    fn rename_failure_removes_temp() {
        // Renaming a file onto an existing non-empty folder fails on every platform.
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("occupied");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("inside"), b"x").unwrap();
        let err = write_atomic(&target, b"data").unwrap_err();
        assert!(matches!(err, DataError::Io { .. }));
        assert_eq!(entries(dir.path()), vec!["occupied"]);
    }

    #[test]
    fn path_without_file_name_is_invalid() {
        let err = write_atomic(Path::new("/"), b"x").unwrap_err();
        assert!(matches!(err, DataError::Invalid { .. }));
    }

    #[test]
    fn temp_names_are_unique_and_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut seen = Vec::new();
        for _ in 0..3 {
            write_atomic_with(&path, |_| {
                for e in fs::read_dir(dir.path()).unwrap() {
                    let name = e.unwrap().file_name().to_string_lossy().into_owned();
                    if is_temp_file_name(&name) {
                        assert!(name.starts_with(".f.tmp-"));
                        seen.push(name);
                    }
                }
                Ok(())
            })
            .unwrap();
        }
        assert_eq!(seen.len(), 3);
        seen.dedup();
        assert_eq!(seen.len(), 3, "temp names must differ between calls");
        assert_eq!(entries(dir.path()), vec!["f"]);
    }

    #[test]
    fn concurrent_writers_never_expose_partial_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shared.bin");
        let payloads: Vec<Vec<u8>> = (0..4u8).map(|k| vec![k; 50_000]).collect();
        std::thread::scope(|s| {
            for p in &payloads {
                let path = &path;
                s.spawn(move || {
                    for _ in 0..5 {
                        write_atomic(path, p).unwrap();
                    }
                });
            }
        });
        let got = fs::read(&path).unwrap();
        assert!(payloads.contains(&got), "file must be one complete payload");
        assert_eq!(entries(dir.path()), vec!["shared.bin"]);
    }
}
