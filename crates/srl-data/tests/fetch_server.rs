//! `fetch_dataset` against a tiny HTTP/1.1 server on 127.0.0.1 started by each test: good
//! file, good zip member, missing member, corrupted file, 404, truncated body, connection
//! refused. Every failure must name the dataset and URL and leave no file (partial or
//! temporary) in the data directory. Never touches the internet.

use srl_data::checksum::sha256_hex;
use srl_data::fetch::{fetch_dataset, FetchAction, FetchOptions};
use srl_data::{DataError, Manifest};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// What the server answers for one path.
#[derive(Clone)]
struct Route {
    status: u16,
    body: Vec<u8>,
    /// `Content-Length` to declare; `None` = the true length. Larger = truncated body.
    declared_len: Option<usize>,
}

impl Route {
    fn ok(body: impl Into<Vec<u8>>) -> Self {
        Route {
            status: 200,
            body: body.into(),
            declared_len: None,
        }
    }
}

/// A one-connection-at-a-time HTTP/1.1 server that stops by itself after `max_requests`
/// connections, after a deadline, or when [`TestServer::stop`] is called.
struct TestServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: JoinHandle<Vec<String>>,
}

impl TestServer {
    fn start(routes: HashMap<String, Route>, max_requests: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = Arc::clone(&stop);
        let handle = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut requested = Vec::new();
            while requested.len() < max_requests
                && !stop_flag.load(Ordering::SeqCst)
                && Instant::now() < deadline
            {
                match listener.accept() {
                    Ok((stream, _)) => {
                        if let Some(path) = handle_connection(stream, &routes) {
                            requested.push(path);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Err(e) => panic!("accept failed: {e}"),
                }
            }
            requested
        });
        TestServer { addr, stop, handle }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server and returns the paths it was asked for, in order.
    fn stop(self) -> Vec<String> {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.join().unwrap()
    }
}

/// Reads one request, writes the route's response, closes. Returns the requested path.
fn handle_connection(mut stream: TcpStream, routes: &HashMap<String, Route>) -> Option<String> {
    stream.set_nonblocking(false).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&request);
    let path = text.split_whitespace().nth(1)?.to_string();
    let route = routes.get(&path).cloned().unwrap_or(Route {
        status: 404,
        body: b"not found".to_vec(),
        declared_len: None,
    });
    let reason = match route.status {
        200 => "OK",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Whatever",
    };
    let header = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\
         Connection: close\r\n\r\n",
        route.status,
        route.declared_len.unwrap_or(route.body.len())
    );
    // A client may hang up early (e.g. after a 404); that is not a server failure.
    let _ = stream.write_all(header.as_bytes());
    let _ = stream.write_all(&route.body);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    Some(path)
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// One `[[files]]` entry.
struct Spec<'a> {
    path: &'a str,
    sha256: String,
    url: Option<String>,
    member: Option<&'a str>,
}

fn manifest(name: &str, files: &[Spec]) -> Manifest {
    let mut toml = format!(
        "name = \"{name}\"\ntitle = \"Test {name}\"\nlicense = \"CC0\"\ncitation = \"none\"\n\
         [format]\nkind = \"npz\"\n"
    );
    for f in files {
        toml.push_str(&format!(
            "[[files]]\npath = \"{}\"\nsha256 = \"{}\"\n",
            f.path, f.sha256
        ));
        if let Some(u) = &f.url {
            toml.push_str(&format!("url = \"{u}\"\n"));
        }
        if let Some(m) = f.member {
            toml.push_str(&format!("member = \"{m}\"\n"));
        }
    }
    Manifest::from_toml(&toml, Path::new("test.toml")).unwrap()
}

fn options(data_dir: &Path) -> FetchOptions {
    let mut o = FetchOptions::new(data_dir);
    o.timeout = Duration::from_secs(5);
    o
}

/// Every file below `dir` (recursively), relative to `dir`.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if !dir.exists() {
        return out;
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

fn assert_no_files(dir: &Path) {
    let left = files_below(dir);
    assert!(left.is_empty(), "files left behind: {left:?}");
}

fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in members {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

const CSV: &[u8] = b"a,b,target\n1,2,3\n4,5,6\n7,8,9\n";

// ---------------------------------------------------------------------------------------------
// Success paths
// ---------------------------------------------------------------------------------------------

#[test]
fn good_file_is_downloaded_verified_and_then_skipped() {
    let server = TestServer::start(HashMap::from([("/d/toy.csv".into(), Route::ok(CSV))]), 1);
    let data = tempfile::tempdir().unwrap();
    let url = server.url("/d/toy.csv");
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256: sha256_hex(CSV),
            url: Some(url.clone()),
            member: None,
        }],
    );
    let report = fetch_dataset(&m, &options(data.path())).unwrap();
    assert_eq!(report.dataset, "toy");
    assert_eq!(
        report.files[0].action,
        FetchAction::Downloaded {
            url: url.clone(),
            member: None
        }
    );
    assert_eq!(report.files[0].bytes, CSV.len() as u64);
    assert_eq!(std::fs::read(data.path().join("toy/toy.csv")).unwrap(), CSV);
    assert_eq!(files_below(data.path()), vec![PathBuf::from("toy/toy.csv")]);
    assert!(report.files[0].to_string().contains("downloaded from"));

    // Second run: present with the right checksum → no request at all.
    let again = fetch_dataset(&m, &options(data.path())).unwrap();
    assert_eq!(again.files[0].action, FetchAction::AlreadyPresent);
    assert_eq!(server.stop(), vec!["/d/toy.csv".to_string()]);
}

#[test]
fn force_and_corrupt_local_copy_trigger_a_new_download() {
    let server = TestServer::start(HashMap::from([("/toy.csv".into(), Route::ok(CSV))]), 2);
    let data = tempfile::tempdir().unwrap();
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256: sha256_hex(CSV),
            url: Some(server.url("/toy.csv")),
            member: None,
        }],
    );
    // A damaged local copy is replaced.
    std::fs::create_dir_all(data.path().join("toy")).unwrap();
    std::fs::write(data.path().join("toy/toy.csv"), b"damaged").unwrap();
    let r = fetch_dataset(&m, &options(data.path())).unwrap();
    assert!(matches!(r.files[0].action, FetchAction::Downloaded { .. }));
    assert_eq!(std::fs::read(data.path().join("toy/toy.csv")).unwrap(), CSV);

    // A good copy is fetched again only with `force`.
    let mut forced = options(data.path());
    forced.force = true;
    let r = fetch_dataset(&m, &forced).unwrap();
    assert!(matches!(r.files[0].action, FetchAction::Downloaded { .. }));
    assert_eq!(server.stop().len(), 2);
    assert_eq!(files_below(data.path()), vec![PathBuf::from("toy/toy.csv")]);
}

#[test]
fn zip_member_is_extracted() {
    let other = b"unrelated readme".as_slice();
    let archive = zip_bytes(&[("README.txt", other), ("toy.data", CSV)]);
    let server = TestServer::start(HashMap::from([("/toy.zip".into(), Route::ok(archive))]), 1);
    let data = tempfile::tempdir().unwrap();
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256: sha256_hex(CSV),
            url: Some(server.url("/toy.zip")),
            member: Some("toy.data"),
        }],
    );
    let r = fetch_dataset(&m, &options(data.path())).unwrap();
    assert_eq!(
        r.files[0].action,
        FetchAction::Downloaded {
            url: server.url("/toy.zip"),
            member: Some("toy.data".into())
        }
    );
    assert_eq!(std::fs::read(data.path().join("toy/toy.csv")).unwrap(), CSV);
    assert_eq!(server.stop().len(), 1);
}

#[test]
fn zip_member_inside_a_top_folder_is_found() {
    let archive = zip_bytes(&[("toy-1.0/toy.data", CSV)]);
    let server = TestServer::start(HashMap::from([("/toy.zip".into(), Route::ok(archive))]), 1);
    let data = tempfile::tempdir().unwrap();
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256: sha256_hex(CSV),
            url: Some(server.url("/toy.zip")),
            member: Some("toy.data"),
        }],
    );
    fetch_dataset(&m, &options(data.path())).unwrap();
    assert_eq!(std::fs::read(data.path().join("toy/toy.csv")).unwrap(), CSV);
    server.stop();
}

#[test]
fn base_url_override_redirects_canonical_https_urls_to_the_local_server() {
    let server = TestServer::start(
        HashMap::from([("/mirror/static/public/9/toy.csv".into(), Route::ok(CSV))]),
        1,
    );
    let data = tempfile::tempdir().unwrap();
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256: sha256_hex(CSV),
            url: Some("https://archive.invalid/static/public/9/toy.csv".into()),
            member: None,
        }],
    );
    let mut opts = options(data.path());
    opts.base_url_override = Some(server.url("/mirror/"));
    let r = fetch_dataset(&m, &opts).unwrap();
    assert_eq!(
        r.files[0].action,
        FetchAction::Downloaded {
            url: server.url("/mirror/static/public/9/toy.csv"),
            member: None
        }
    );
    assert_eq!(
        server.stop(),
        vec!["/mirror/static/public/9/toy.csv".to_string()]
    );
}

// ---------------------------------------------------------------------------------------------
// Failure paths: typed error naming dataset + URL, nothing left on disk
// ---------------------------------------------------------------------------------------------

/// Fetches a one-file dataset `toy` whose file is served at `/x` by a server with `routes`.
fn fetch_one(
    routes: HashMap<String, Route>,
    sha256: String,
    member: Option<&str>,
) -> (DataError, String, tempfile::TempDir, Vec<String>) {
    let server = TestServer::start(routes, 1);
    let data = tempfile::tempdir().unwrap();
    let url = server.url("/x");
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256,
            url: Some(url.clone()),
            member,
        }],
    );
    let err = fetch_dataset(&m, &options(data.path())).unwrap_err();
    let requested = server.stop();
    assert_no_files(data.path());
    let msg = err.to_string();
    assert!(msg.contains("`toy`"), "error must name the dataset: {msg}");
    assert!(msg.contains(&url), "error must name the URL: {msg}");
    (err, url, data, requested)
}

#[test]
fn corrupted_download_is_a_checksum_mismatch() {
    let mut bad = CSV.to_vec();
    bad[5] ^= 1;
    let (err, _, _, requested) = fetch_one(
        HashMap::from([("/x".into(), Route::ok(bad.clone()))]),
        sha256_hex(CSV),
        None,
    );
    assert_eq!(requested, vec!["/x".to_string()]);
    match err {
        DataError::ChecksumMismatch {
            dataset,
            expected,
            actual,
            ..
        } => {
            assert_eq!(dataset, "toy");
            assert_eq!(expected, sha256_hex(CSV));
            assert_eq!(actual, sha256_hex(&bad));
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
}

#[test]
fn http_404_is_a_download_error() {
    let (err, url, _, requested) = fetch_one(HashMap::new(), sha256_hex(CSV), None);
    assert_eq!(requested, vec!["/x".to_string()]);
    match err {
        DataError::Download {
            dataset,
            url: u,
            reason,
            hint,
        } => {
            assert_eq!(dataset, "toy");
            assert_eq!(u, url);
            assert!(reason.contains("404"), "{reason}");
            assert!(hint.contains("--from-dir"), "{hint}");
        }
        other => panic!("expected Download, got {other:?}"),
    }
}

#[test]
fn http_500_is_a_download_error() {
    let route = Route {
        status: 500,
        body: b"oops".to_vec(),
        declared_len: None,
    };
    let (err, _, _, _) = fetch_one(
        HashMap::from([("/x".into(), route)]),
        sha256_hex(b"oops"), // even a matching body must not be accepted with a 5xx
        None,
    );
    assert!(
        matches!(err, DataError::Download { ref reason, .. } if reason.contains("500")),
        "{err:?}"
    );
}

#[test]
fn truncated_body_is_a_download_error() {
    let route = Route {
        status: 200,
        body: CSV[..10].to_vec(),
        declared_len: Some(CSV.len()),
    };
    // Even if the manifest pinned the truncated bytes, the short body must be refused.
    let (err, _, _, _) = fetch_one(
        HashMap::from([("/x".into(), route)]),
        sha256_hex(&CSV[..10]),
        None,
    );
    match err {
        DataError::Download { reason, .. } => {
            assert!(reason.contains("truncated"), "{reason}");
            assert!(reason.contains(&CSV.len().to_string()), "{reason}");
        }
        other => panic!("expected Download, got {other:?}"),
    }
}

#[test]
fn missing_zip_member_is_reported() {
    let archive = zip_bytes(&[("README.txt", b"hello".as_slice())]);
    let (err, url, _, _) = fetch_one(
        HashMap::from([("/x".into(), Route::ok(archive))]),
        sha256_hex(CSV),
        Some("toy.data"),
    );
    match err {
        DataError::MissingMember {
            dataset,
            member,
            url: u,
            hint,
        } => {
            assert_eq!(dataset, "toy");
            assert_eq!(member, "toy.data");
            assert_eq!(u, url);
            assert!(hint.contains("--from-dir"), "{hint}");
        }
        other => panic!("expected MissingMember, got {other:?}"),
    }
}

#[test]
fn corrupted_zip_member_is_a_checksum_mismatch() {
    let archive = zip_bytes(&[("toy.data", b"a,b,target\n0,0,0\n".as_slice())]);
    let (err, _, _, _) = fetch_one(
        HashMap::from([("/x".into(), Route::ok(archive))]),
        sha256_hex(CSV),
        Some("toy.data"),
    );
    assert!(
        matches!(err, DataError::ChecksumMismatch { ref file, .. } if file.contains("toy.data")),
        "{err:?}"
    );
}

#[test]
fn non_zip_body_for_a_member_is_a_download_error() {
    let (err, _, _, _) = fetch_one(
        HashMap::from([("/x".into(), Route::ok(b"<html>moved</html>".to_vec()))]),
        sha256_hex(CSV),
        Some("toy.data"),
    );
    assert!(
        matches!(err, DataError::Download { ref reason, .. } if reason.contains("zip")),
        "{err:?}"
    );
}

#[test]
fn connection_refused_is_a_download_error() {
    // Bind and drop a listener: its port is then (almost certainly) closed.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/toy.csv");
    let m = manifest(
        "toy",
        &[Spec {
            path: "toy/toy.csv",
            sha256: sha256_hex(CSV),
            url: Some(url.clone()),
            member: None,
        }],
    );
    let err = fetch_dataset(&m, &options(data.path())).unwrap_err();
    match &err {
        DataError::Download {
            dataset,
            url: u,
            reason,
            hint,
        } => {
            assert_eq!(dataset, "toy");
            assert_eq!(u, &url);
            assert!(reason.contains("refused"), "{reason}");
            assert!(hint.contains("network"), "{hint}");
        }
        other => panic!("expected Download, got {other:?}"),
    }
    assert_no_files(data.path());
}

#[test]
fn failure_on_second_file_keeps_the_first_and_leaves_no_partial_second() {
    let server = TestServer::start(HashMap::from([("/a.csv".into(), Route::ok(CSV))]), 2);
    let data = tempfile::tempdir().unwrap();
    let m = manifest(
        "pair",
        &[
            Spec {
                path: "pair/a.csv",
                sha256: sha256_hex(CSV),
                url: Some(server.url("/a.csv")),
                member: None,
            },
            Spec {
                path: "pair/b.csv",
                sha256: sha256_hex(b"b"),
                url: Some(server.url("/b.csv")),
                member: None,
            },
        ],
    );
    let err = fetch_dataset(&m, &options(data.path())).unwrap_err();
    assert!(matches!(err, DataError::Download { .. }), "{err:?}");
    assert_eq!(
        server.stop(),
        vec!["/a.csv".to_string(), "/b.csv".to_string()]
    );
    assert_eq!(files_below(data.path()), vec![PathBuf::from("pair/a.csv")]);
}
