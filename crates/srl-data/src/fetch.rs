//! Getting a dataset's files into the data directory, verified.
//!
//! [`fetch_dataset`] walks a [`Manifest`]'s files and, for each one, ends in exactly one of
//! three states, reported as a [`FetchAction`]:
//!
//! * **already present** — the file is in the data directory with the manifest's sha256
//!   (skipped unless [`FetchOptions::force`]);
//! * **copied** — imported from [`FetchOptions::from_dir`] (`DIR/<path>` or `DIR/<file name>`),
//!   for files placed by hand; for a file made by a converter, the upstream original
//!   (`DIR/<member>`, e.g. `DIR/Concrete_Data.xls`) is accepted too and converted;
//! * **downloaded** — fetched from the canonical URL (optionally re-rooted by
//!   [`FetchOptions::base_url_override`]), with the named member unpacked from a zip archive
//!   and, when the manifest names a converter, converted.
//!
//! **Converted files.** abalone, concrete and real-estate are not served by UCI in the form the
//! benchmarks read. Their manifests name a [`Converter`] (`convert = "concrete-xls"`) and the
//! sha256 of the original it reads (`original_sha256`). For such a file, fetch downloads the
//! zip, takes the member, checks the member's sha256, converts it ([`crate::convert`]) and
//! checks the result's sha256 — the same CSV, byte for byte, as the project's reference copy.
//! The outcome's [`FileOutcome::converted`] says so.
//!
//! The bytes are always checked against the manifest's sha256 **before** anything is written,
//! and the write is atomic ([`crate::atomic::write_atomic`]): a failure — checksum mismatch
//! (of the file or of the original), missing archive member, an original the converter cannot
//! read, HTTP error, truncated body, no network — returns a typed [`DataError`] naming the
//! dataset, the URL and what to do, and leaves no partial or temporary file behind.
//!
//! Files that cannot be downloaded (no `url`, or a `derived` file without a converter, such as
//! the label histograms this project made itself) must be placed by hand: the error says where
//! to get them and how to import them with `--from-dir`.

use crate::atomic::write_atomic;
use crate::checksum::sha256_hex;
use crate::convert::Converter;
use crate::datadir::DATA_DIR_ENV;
use crate::manifest::FileEntry;
use crate::{DataError, Manifest};
use std::fmt;
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Default network timeout (connect, wait for response, and each read of the body).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How [`fetch_dataset`] obtains files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// The data directory the files are written into (see [`crate::datadir`]).
    pub data_dir: PathBuf,
    /// Import files from this folder instead of downloading (`--from-dir`); each file is looked
    /// up as `from_dir/<path>` and then `from_dir/<file name>`.
    pub from_dir: Option<PathBuf>,
    /// Network timeout for connecting, for waiting for the response headers and for each read
    /// of the body (so a slow but progressing download is not cut off).
    pub timeout: Duration,
    /// Replaces the scheme and host of every canonical URL, keeping its path: with
    /// `Some("http://127.0.0.1:8080/mirror")`, `https://archive.ics.uci.edu/static/x.zip` is
    /// fetched from `http://127.0.0.1:8080/mirror/static/x.zip`. For mirrors and tests.
    pub base_url_override: Option<String>,
    /// Re-fetch files even when they are present with the right checksum.
    pub force: bool,
}

impl FetchOptions {
    /// Options that download into `data_dir` with [`DEFAULT_TIMEOUT`], no import folder, no
    /// URL override and no forcing.
    ///
    /// ```
    /// let opts = srl_data::fetch::FetchOptions::new("/data/srl");
    /// assert_eq!(opts.timeout, srl_data::fetch::DEFAULT_TIMEOUT);
    /// assert!(opts.from_dir.is_none() && !opts.force);
    /// ```
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        FetchOptions {
            data_dir: data_dir.into(),
            from_dir: None,
            timeout: DEFAULT_TIMEOUT,
            base_url_override: None,
            force: false,
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAction {
    /// Downloaded from `url` (the URL actually contacted) and verified.
    Downloaded {
        /// The URL the bytes came from.
        url: String,
        /// The zip member that was extracted, if any.
        member: Option<String>,
    },
    /// Imported from a file placed by hand and verified.
    Copied {
        /// The source file.
        from: PathBuf,
    },
    /// Already in the data directory with the right checksum; left alone.
    AlreadyPresent,
}

/// The outcome for one file of a dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOutcome {
    /// The manifest path (relative to the data directory).
    pub path: String,
    /// Where the file now is.
    pub target: PathBuf,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// How it got there.
    pub action: FetchAction,
    /// Set when the file was made by a converter from an upstream original (downloaded or
    /// imported); `None` for files taken as they are and for files already present.
    pub converted: Option<Conversion>,
}

/// How a file was made from an upstream original (see [`crate::convert`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    /// The converter that made the file.
    pub converter: Converter,
    /// The original's file name (the zip member, e.g. `Concrete_Data.xls`).
    pub original: String,
    /// Whether the original's sha256 was checked (the manifest pins it in `original_sha256`).
    pub original_verified: bool,
}

impl fmt::Display for FileOutcome {
    /// One line: `airfoil/airfoil_self_noise.dat: downloaded from URL (59984 bytes, sha256 ok)`,
    /// or for a converted file `concrete/concrete.csv: downloaded from URL (member
    /// Concrete_Data.xls), converted from Concrete_Data.xls with concrete-xls (original sha256
    /// ok) (50034 bytes, sha256 ok)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.action {
            FetchAction::Downloaded { url, member } => {
                write!(f, "downloaded from {url}")?;
                if let Some(m) = member {
                    write!(f, " (member {m})")?;
                }
            }
            FetchAction::Copied { from } => write!(f, "copied from {}", from.display())?,
            FetchAction::AlreadyPresent => write!(f, "already present")?,
        }
        if let Some(c) = &self.converted {
            write!(f, ", converted from {} with {}", c.original, c.converter)?;
            if c.original_verified {
                write!(f, " (original sha256 ok)")?;
            }
        }
        write!(f, " ({} bytes, sha256 ok)", self.bytes)
    }
}

/// Per-file outcomes of [`fetch_dataset`], in manifest order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// The dataset's name.
    pub dataset: String,
    /// One entry per manifest file.
    pub files: Vec<FileOutcome>,
}

impl FetchReport {
    /// Number of files whose outcome matches `pred` (e.g. `|a| matches!(a, FetchAction::Copied { .. })`).
    pub fn count(&self, pred: impl Fn(&FetchAction) -> bool) -> usize {
        self.files.iter().filter(|f| pred(&f.action)).count()
    }
}

/// Datasets that are generated when used (nothing to fetch).
pub const GENERATED: &[&str] = &["iol-linear"];

/// The one front end of `srl fetch NAME|all`: fetches the built-in dataset `name`, or with
/// `all` every built-in one, calling `on_report` after each. With `all` every dataset is
/// attempted and the failures are reported together at the end (one error naming each); a
/// generated dataset (`iol-linear`) has nothing to fetch and returns an empty list.
pub fn fetch_named(
    name: &str,
    opts: &FetchOptions,
    mut on_report: impl FnMut(&FetchReport),
) -> Result<Vec<FetchReport>, DataError> {
    if GENERATED.contains(&name) {
        return Ok(Vec::new());
    }
    if name != "all" {
        let report = fetch_dataset(&crate::registry::builtin(name)?, opts)?;
        on_report(&report);
        return Ok(vec![report]);
    }
    let names = crate::registry::builtin_names();
    let mut reports = Vec::new();
    let mut failed = Vec::new();
    for &n in names {
        match crate::registry::builtin(n).and_then(|m| fetch_dataset(&m, opts)) {
            Ok(report) => {
                on_report(&report);
                reports.push(report);
            }
            Err(e) => failed.push(format!("{n}: {e}")),
        }
    }
    if failed.is_empty() {
        Ok(reports)
    } else {
        Err(DataError::invalid(
            "fetch all",
            format!(
                "{} of {} datasets failed:\n{}",
                failed.len(),
                names.len(),
                failed.join("\n")
            ),
        ))
    }
}

/// Fetches every file of `manifest` into `opts.data_dir` (see the [module docs](self)).
///
/// Files are processed in manifest order; the first failure is returned. Files completed
/// before the failure stay (they are complete and verified); the failing file leaves nothing.
///
/// ```
/// use srl_data::fetch::{fetch_dataset, FetchAction, FetchOptions};
/// use srl_data::{checksum::sha256_hex, Manifest};
///
/// // A file placed by hand in `inbox/`, imported with `--from-dir inbox`.
/// let tmp = tempfile::tempdir().unwrap();
/// let inbox = tmp.path().join("inbox");
/// std::fs::create_dir(&inbox).unwrap();
/// std::fs::write(inbox.join("toy.csv"), "x,y\n1,2\n").unwrap();
/// let toml = format!(
///     "name = \"toy\"\ntitle = \"Toy\"\nlicense = \"CC0\"\ncitation = \"-\"\n\
///      [format]\nkind = \"npz\"\n\
///      [[files]]\npath = \"toy/toy.csv\"\nsha256 = \"{}\"\n",
///     sha256_hex(b"x,y\n1,2\n")
/// );
/// let manifest = Manifest::from_toml(&toml, "toy.toml".as_ref()).unwrap();
///
/// let mut opts = FetchOptions::new(tmp.path().join("data"));
/// opts.from_dir = Some(inbox.clone());
/// let report = fetch_dataset(&manifest, &opts).unwrap();
/// assert_eq!(report.files[0].action, FetchAction::Copied { from: inbox.join("toy.csv") });
/// assert!(tmp.path().join("data/toy/toy.csv").is_file());
///
/// // A second run finds it in place.
/// let again = fetch_dataset(&manifest, &opts).unwrap();
/// assert_eq!(again.files[0].action, FetchAction::AlreadyPresent);
/// ```
pub fn fetch_dataset(manifest: &Manifest, opts: &FetchOptions) -> Result<FetchReport, DataError> {
    if opts.timeout.is_zero() {
        return Err(DataError::invalid("fetch timeout", "must be positive"));
    }
    let mut files = Vec::with_capacity(manifest.files.len());
    for entry in &manifest.files {
        files.push(fetch_file(manifest, entry, opts)?);
    }
    Ok(FetchReport {
        dataset: manifest.name.clone(),
        files,
    })
}

/// Brings one file into place: skip, import or download; verify; write atomically.
fn fetch_file(
    manifest: &Manifest,
    entry: &FileEntry,
    opts: &FetchOptions,
) -> Result<FileOutcome, DataError> {
    check_relative_path(manifest, entry)?;
    let target = manifest.file_path(&opts.data_dir, entry);

    if !opts.force && target.is_file() {
        let actual = crate::checksum::sha256_file(&target)?;
        if actual.eq_ignore_ascii_case(&entry.sha256) {
            let bytes = std::fs::metadata(&target)
                .map_err(|e| DataError::io(&target, e))?
                .len();
            return Ok(FileOutcome {
                path: entry.path.clone(),
                target,
                bytes,
                action: FetchAction::AlreadyPresent,
                converted: None,
            });
        }
    }

    let made = match &opts.from_dir {
        Some(from_dir) => import(manifest, entry, from_dir)?,
        None => download(manifest, entry, opts, &target)?,
    };
    // `made.bytes` has been checked against the manifest's sha256.
    write_atomic(&target, &made.bytes)?;
    Ok(FileOutcome {
        path: entry.path.clone(),
        target,
        bytes: made.bytes.len() as u64,
        action: made.action,
        converted: made.converted,
    })
}

/// The verified bytes of one file and how they were obtained.
struct Made {
    bytes: Vec<u8>,
    action: FetchAction,
    converted: Option<Conversion>,
}

/// Imports from `--from-dir`: the file itself, else (for a converted file) the original,
/// converted.
fn import(manifest: &Manifest, entry: &FileEntry, from_dir: &Path) -> Result<Made, DataError> {
    let file_name = Path::new(&entry.path)
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    if let Some(source) = find_in_from_dir(from_dir, &entry.path, &file_name) {
        let bytes = std::fs::read(&source).map_err(|e| DataError::io(&source, e))?;
        check_sha(manifest, &entry.sha256, &bytes, || {
            source.display().to_string()
        })?;
        return Ok(Made {
            bytes,
            action: FetchAction::Copied { from: source },
            converted: None,
        });
    }
    let original = entry.convert.zip(entry.original_name());
    if let Some((converter, name)) = original {
        if let Some(source) = find_in_from_dir(from_dir, &entry.path, name) {
            let bytes = std::fs::read(&source).map_err(|e| DataError::io(&source, e))?;
            let origin = source.display().to_string();
            let (bytes, conversion) =
                convert_original(manifest, entry, converter, &bytes, &origin, || {
                    place_by_hand_hint(manifest, entry)
                })?;
            return Ok(Made {
                bytes,
                action: FetchAction::Copied { from: source },
                converted: Some(conversion),
            });
        }
    }
    let original_too = original
        .map(|(_, name)| format!(", nor the original {name}"))
        .unwrap_or_default();
    Err(DataError::MissingFile {
        dataset: manifest.name.clone(),
        path: from_dir.join(&entry.path),
        hint: format!(
            "--from-dir {} holds neither {} nor {file_name}{original_too}. {}",
            from_dir.display(),
            entry.path,
            source_description(entry)
        ),
    })
}

/// Downloads from the canonical URL (or its mirror), unpacks the member, converts.
fn download(
    manifest: &Manifest,
    entry: &FileEntry,
    opts: &FetchOptions,
    target: &Path,
) -> Result<Made, DataError> {
    let Some(canonical) = &entry.url else {
        return Err(DataError::MissingFile {
            dataset: manifest.name.clone(),
            path: target.to_path_buf(),
            hint: format!(
                "{}. {}",
                source_description(entry),
                place_by_hand_hint(manifest, entry)
            ),
        });
    };
    if let (None, Some(derived)) = (entry.convert, &entry.derived) {
        return Err(DataError::Download {
            dataset: manifest.name.clone(),
            url: canonical.clone(),
            reason: format!(
                "file {} is not served as-is but derived from that download, so it \
                 cannot be fetched automatically (how it was made: {})",
                entry.path,
                derived.trim_end_matches('.')
            ),
            hint: place_by_hand_hint(manifest, entry),
        });
    }

    let url = resolve_url(canonical, opts.base_url_override.as_deref())?;
    let download_error = |reason: String, lead: &str| DataError::Download {
        dataset: manifest.name.clone(),
        url: url.clone(),
        reason,
        hint: download_hint(manifest, entry, canonical, &url, lead),
    };
    let body = http_get(&url, opts.timeout).map_err(|failure| match failure {
        HttpFailure::Network(reason) => download_error(reason, NETWORK_LEAD),
        HttpFailure::Status(reason) => download_error(reason, STATUS_LEAD),
    })?;
    let bytes = match &entry.member {
        None => body,
        Some(member) => extract_member(&body, member).map_err(|e| match e {
            MemberError::Missing => DataError::MissingMember {
                dataset: manifest.name.clone(),
                member: member.clone(),
                url: url.clone(),
                hint: download_hint(manifest, entry, canonical, &url, CONTENT_LEAD),
            },
            MemberError::Unreadable(reason) => download_error(reason, CONTENT_LEAD),
        })?,
    };
    let action = FetchAction::Downloaded {
        url: url.clone(),
        member: entry.member.clone(),
    };
    let origin = match &entry.member {
        Some(m) => format!("member {m} of {url}"),
        None => format!("downloaded from {url}"),
    };
    match entry.convert {
        None => {
            check_sha(manifest, &entry.sha256, &bytes, || {
                format!("{} ({origin})", entry.path)
            })?;
            Ok(Made {
                bytes,
                action,
                converted: None,
            })
        }
        Some(converter) => {
            let (bytes, conversion) =
                convert_original(manifest, entry, converter, &bytes, &origin, || {
                    download_hint(manifest, entry, canonical, &url, CONVERT_LEAD)
                })?;
            Ok(Made {
                bytes,
                action,
                converted: Some(conversion),
            })
        }
    }
}

/// Checks `original` against `original_sha256` (when pinned), converts it, and checks the
/// result against `sha256`. `origin` says where the original came from; `hint` what to do if
/// it cannot be converted.
fn convert_original(
    manifest: &Manifest,
    entry: &FileEntry,
    converter: Converter,
    original: &[u8],
    origin: &str,
    hint: impl FnOnce() -> String,
) -> Result<(Vec<u8>, Conversion), DataError> {
    let name = entry.original_name().unwrap_or("original").to_string();
    let original_verified = match &entry.original_sha256 {
        Some(expected) => {
            check_sha(manifest, expected, original, || {
                format!("{name} (the original of {}; {origin})", entry.path)
            })?;
            true
        }
        None => false,
    };
    let bytes = converter
        .convert(original)
        .map_err(|source| DataError::Convert {
            dataset: manifest.name.clone(),
            path: entry.path.clone(),
            original: format!("{name} ({origin})"),
            converter,
            source: Box::new(source),
            hint: hint(),
        })?;
    check_sha(manifest, &entry.sha256, &bytes, || {
        format!(
            "{} (converted with {converter} from {name}; {origin})",
            entry.path
        )
    })?;
    Ok((
        bytes,
        Conversion {
            converter,
            original: name,
            original_verified,
        },
    ))
}

/// Rejects manifest paths that would escape the data directory (absolute, `..`, empty).
fn check_relative_path(manifest: &Manifest, entry: &FileEntry) -> Result<(), DataError> {
    let p = Path::new(&entry.path);
    let ok = p.file_name().is_some() && p.components().all(|c| matches!(c, Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(DataError::invalid(
            format!("file path `{}` in manifest `{}`", entry.path, manifest.name),
            "must be a relative path inside the data directory (no `..`, no leading `/`)",
        ))
    }
}

/// Finds `from_dir/<folder of path>/<name>` or, failing that, `from_dir/<name>`: with the
/// file name of `path` as `name`, the file laid out as in the data directory or flat.
fn find_in_from_dir(from_dir: &Path, path: &str, name: &str) -> Option<PathBuf> {
    if name.is_empty() {
        return None;
    }
    let folder = Path::new(path).parent().unwrap_or(Path::new(""));
    [from_dir.join(folder).join(name), from_dir.join(name)]
        .into_iter()
        .find(|p| p.is_file())
}

/// Checks `bytes` against the sha256 `expected`; `describe` names the bytes' origin.
fn check_sha(
    manifest: &Manifest,
    expected: &str,
    bytes: &[u8],
    describe: impl FnOnce() -> String,
) -> Result<(), DataError> {
    let actual = sha256_hex(bytes);
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(DataError::ChecksumMismatch {
            dataset: manifest.name.clone(),
            file: describe(),
            expected: expected.to_ascii_lowercase(),
            actual,
        })
    }
}

/// Where the file originally comes from, for hints.
fn source_description(entry: &FileEntry) -> String {
    let mut s = match &entry.url {
        Some(url) => format!("Its canonical source is {url}"),
        None => "It has no download URL".to_string(),
    };
    if let Some(m) = &entry.member {
        s.push_str(&format!(" (archive member {m})"));
    }
    if let Some(c) = &entry.convert {
        s.push_str(&format!("; converted with `{c}` from that original"));
    } else if let Some(d) = &entry.derived {
        s.push_str(&format!("; derived: {}", d.trim_end_matches('.')));
    }
    s
}

/// "Place it by hand" instructions.
fn place_by_hand_hint(manifest: &Manifest, entry: &FileEntry) -> String {
    format!(
        "Place {} by hand: put it in a folder DIR (as DIR/{} or DIR/{}) and run \
         `srl fetch {} --from-dir DIR`, or set {DATA_DIR_ENV} to a data folder that \
         already holds {}",
        entry.path,
        entry.path,
        Path::new(&entry.path)
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        manifest.name,
        entry.path
    )
}

/// First sentence of the hint when the network or connection failed.
const NETWORK_LEAD: &str =
    "Check the network connection (and any HTTP_PROXY/HTTPS_PROXY setting) and try again";
/// First sentence of the hint when the server answered with an error status.
const STATUS_LEAD: &str = "The server refused the file; the URL may have moved or be down";
/// First sentence of the hint when the download is not the expected archive.
const CONTENT_LEAD: &str = "The download is not the expected archive; its layout may have \
     changed upstream";
/// First sentence of the hint when the original cannot be converted.
const CONVERT_LEAD: &str = "The original is not laid out as the converter expects; it may \
     have changed upstream";

/// Hint for a failed download: `lead`, then how to download by hand and import.
fn download_hint(
    manifest: &Manifest,
    entry: &FileEntry,
    canonical: &str,
    url: &str,
    lead: &str,
) -> String {
    let mirror = if canonical == url {
        String::new()
    } else {
        format!(" from its canonical URL {canonical}")
    };
    let member = entry
        .member
        .as_deref()
        .map(|m| format!(", extract `{m}` from the archive"))
        .unwrap_or_default();
    let holding = match entry.convert.zip(entry.original_name()) {
        Some((c, name)) => format!(
            "{name}, which is converted with `{c}` on import, or {} or its file name",
            entry.path
        ),
        None => format!("{} or its file name", entry.path),
    };
    format!(
        "{lead}. Or download it by hand{mirror} on a machine with internet{member}, and \
         import it with `srl fetch {} --from-dir DIR` (DIR holding {holding}); or set \
         {DATA_DIR_ENV} to a data folder that already has it",
        manifest.name
    )
}

/// The URL to contact for `canonical`: unchanged, or with its scheme and host replaced by
/// `base_override` (whose own path, if any, is kept as a prefix).
///
/// ```
/// use srl_data::fetch::resolve_url;
/// let u = "https://archive.ics.uci.edu/static/public/1/abalone.zip";
/// assert_eq!(resolve_url(u, None).unwrap(), u);
/// assert_eq!(
///     resolve_url(u, Some("http://127.0.0.1:8000/")).unwrap(),
///     "http://127.0.0.1:8000/static/public/1/abalone.zip"
/// );
/// assert!(resolve_url("not a url", None).is_err());
/// ```
pub fn resolve_url(canonical: &str, base_override: Option<&str>) -> Result<String, DataError> {
    let (scheme, rest) = canonical.split_once("://").ok_or_else(|| {
        DataError::invalid(
            "download URL",
            format!("`{canonical}` has no scheme (expected http:// or https://)"),
        )
    })?;
    if !matches!(scheme, "http" | "https") || rest.is_empty() {
        return Err(DataError::invalid(
            "download URL",
            format!("`{canonical}`: only http:// and https:// URLs are supported"),
        ));
    }
    let Some(base) = base_override else {
        return Ok(canonical.to_string());
    };
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    let base = base.trim_end_matches('/');
    resolve_url(&format!("{base}{path}"), None)
}

/// Host part of an absolute http(s) URL (without user info and port).
fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or(v6);
    }
    host_port.split(':').next().unwrap_or(host_port)
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Why a GET failed, with a human-readable reason.
enum HttpFailure {
    /// Connection, DNS, TLS, timeout or truncated-body trouble.
    Network(String),
    /// The server answered with a non-2xx status.
    Status(String),
}

/// GETs `url` and returns the full body.
///
/// Fails on non-2xx statuses, connection/DNS/TLS errors, timeouts, and bodies shorter than
/// their declared `Content-Length`.
fn http_get(url: &str, timeout: Duration) -> Result<Vec<u8>, HttpFailure> {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .timeout_per_read(Some(timeout));
    if is_loopback_host(url_host(url)) {
        // A proxy from the environment can never reach our own loopback interface.
        config = config.proxy(None);
    }
    let agent = ureq::Agent::new_with_config(config.build());

    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| HttpFailure::Network(describe_ureq_error(e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(HttpFailure::Status(format!(
            "HTTP status {}{}",
            status.as_u16(),
            status
                .canonical_reason()
                .map(|r| format!(" {r}"))
                .unwrap_or_default()
        )));
    }
    let declared: Option<u64> = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());

    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(1 << 28) as usize);
    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(HttpFailure::Network(match declared {
                    Some(len) => format!(
                        "truncated body: received {} of {len} bytes ({e})",
                        body.len()
                    ),
                    None => format!("reading the body failed after {} bytes: {e}", body.len()),
                }))
            }
        }
    }
    if let Some(len) = declared {
        if body.len() as u64 != len {
            return Err(HttpFailure::Network(format!(
                "truncated body: received {} of {len} bytes (Content-Length)",
                body.len()
            )));
        }
    }
    Ok(body)
}

/// Turns a transport-level ureq error into a short reason.
fn describe_ureq_error(e: ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("connection refused ({io})")
        }
        ureq::Error::Io(io) => format!("network error: {io}"),
        ureq::Error::HostNotFound => "host not found (no network, or DNS unavailable)".into(),
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::ConnectionFailed => "connection failed (no network?)".into(),
        ureq::Error::Tls(t) => format!("TLS error: {t}"),
        other => format!("request failed: {other}"),
    }
}

/// Why a zip member could not be extracted.
enum MemberError {
    /// The archive has no such member.
    Missing,
    /// The archive or member is unreadable (not a zip, bad CRC, unsupported method…).
    Unreadable(String),
}

/// Extracts `member` from the zip archive in `archive`. An exact name match wins; otherwise a
/// unique entry whose path ends in `/<member>` (archives often add a top folder) is used.
fn extract_member(archive: &[u8], member: &str) -> Result<Vec<u8>, MemberError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(archive)).map_err(|e| {
        MemberError::Unreadable(format!("the download is not a valid zip archive ({e})"))
    })?;
    let name = if zip.index_for_name(member).is_some() {
        member.to_string()
    } else {
        let suffix = format!("/{}", member.trim_start_matches('/'));
        let mut candidates = zip.file_names().filter(|n| n.ends_with(&suffix));
        match (candidates.next(), candidates.next()) {
            (Some(only), None) => only.to_string(),
            _ => return Err(MemberError::Missing),
        }
    };
    let unreadable =
        |e: &dyn fmt::Display| MemberError::Unreadable(format!("cannot extract `{name}`: {e}"));
    let mut file = zip.by_name(&name).map_err(|e| match e {
        zip::result::ZipError::FileNotFound => MemberError::Missing,
        other => unreadable(&other),
    })?;
    let mut out = Vec::with_capacity(file.size().min(1 << 28) as usize);
    file.read_to_end(&mut out).map_err(|e| unreadable(&e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_keeps_path_query_and_prefix() {
        let u = "https://example.org/a/b.zip?x=1";
        assert_eq!(
            resolve_url(u, Some("http://127.0.0.1:9/m/")).unwrap(),
            "http://127.0.0.1:9/m/a/b.zip?x=1"
        );
        assert_eq!(
            resolve_url("http://example.org", Some("http://h:1")).unwrap(),
            "http://h:1/"
        );
        assert!(resolve_url("ftp://example.org/x", None).is_err());
        assert!(resolve_url(u, Some("nonsense")).is_err());
    }

    #[test]
    fn fetch_named_skips_generated_sets_and_tries_every_set_of_all() {
        let tmp = std::env::temp_dir().join(format!("srl-fetch-named-{}", std::process::id()));
        let inbox = tmp.join("inbox");
        std::fs::create_dir_all(&inbox).unwrap();
        let mut opts = FetchOptions::new(tmp.join("data"));
        opts.from_dir = Some(inbox);
        assert!(fetch_named("iol-linear", &opts, |_| {}).unwrap().is_empty());
        assert!(matches!(
            fetch_named("mnist", &opts, |_| {}),
            Err(DataError::UnknownDataset { .. })
        ));
        // An empty import folder: every dataset fails, and `all` names each one.
        let e = fetch_named("all", &opts, |_| {}).unwrap_err().to_string();
        let names = crate::registry::builtin_names();
        assert!(
            e.contains(&format!(
                "{} of {} datasets failed",
                names.len(),
                names.len()
            )),
            "{e}"
        );
        for n in names {
            assert!(e.contains(&format!("{n}: ")), "{n} missing from: {e}");
        }
        std::fs::remove_dir_all(&tmp).ok();
    }

    #[test]
    fn zero_timeout_is_rejected() {
        let m = Manifest::from_toml(
            &format!(
                "name = \"t\"\ntitle = \"t\"\nlicense = \"-\"\ncitation = \"-\"\n\
                 [format]\nkind = \"npz\"\n[[files]]\npath = \"t/a\"\nsha256 = \"{}\"\n",
                "0".repeat(64)
            ),
            Path::new("t.toml"),
        )
        .unwrap();
        let mut opts = FetchOptions::new("/nonexistent");
        opts.timeout = Duration::ZERO;
        assert!(matches!(
            fetch_dataset(&m, &opts),
            Err(DataError::Invalid { .. })
        ));
    }

    #[test]
    fn host_extraction() {
        assert_eq!(url_host("http://127.0.0.1:80/x"), "127.0.0.1");
        assert_eq!(url_host("https://user:pw@example.org/x"), "example.org");
        assert_eq!(url_host("http://[::1]:8080/x"), "::1");
        assert_eq!(url_host("http://localhost?q"), "localhost");
        assert!(is_loopback_host("127.0.0.1") && is_loopback_host("::1"));
        assert!(is_loopback_host("LOCALHOST"));
        assert!(!is_loopback_host("example.org") && !is_loopback_host("10.0.0.1"));
    }
}
