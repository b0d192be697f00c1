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

// ---------------------------------------------------------------------------------------------
// Converted datasets: the built-in manifests against zips laid out like UCI's
// ---------------------------------------------------------------------------------------------

/// A zip laid out like UCI's: its URL path and its members.
struct UciZip {
    dataset: &'static str,
    url_path: &'static str,
    /// `(member name, file below <dataset>/original/, or `None` for a stand-in readme)`;
    /// the first member is the one the manifest names.
    members: &'static [(&'static str, Option<&'static str>)],
}

/// The UCI zips of the three converted datasets, as UCI serves them.
const UCI_ZIPS: [UciZip; 3] = [
    UciZip {
        dataset: "abalone",
        url_path: "/static/public/1/abalone.zip",
        members: &[
            ("abalone.data", Some("abalone.data")),
            ("abalone.names", None),
        ],
    },
    UciZip {
        dataset: "concrete",
        url_path: "/static/public/165/concrete+compressive+strength.zip",
        members: &[
            ("Concrete_Data.xls", Some("Concrete_Data.xls")),
            ("Concrete_Readme.txt", None),
        ],
    },
    UciZip {
        dataset: "real-estate",
        url_path: "/static/public/477/real+estate+valuation+data+set.zip",
        members: &[(
            "Real estate valuation data set.xlsx",
            Some("Real estate valuation data set.xlsx"),
        )],
    },
];

/// The shared data folder with the UCI originals, or `None` (and a message).
fn shared_originals() -> Option<PathBuf> {
    srl_data::datadir::data_for_test("fetch_server", "abalone/original/abalone.data")
}

/// Routes serving every UCI zip of [`UCI_ZIPS`], built from the originals in `shared`;
/// `damage` may alter an original (dataset, member name, bytes) before it is zipped.
fn uci_routes(shared: &Path, damage: impl Fn(&str, &str, &mut Vec<u8>)) -> HashMap<String, Route> {
    UCI_ZIPS
        .iter()
        .map(|zip| {
            let UciZip {
                dataset,
                url_path,
                members,
            } = zip;
            let files: Vec<(&str, Vec<u8>)> = members
                .iter()
                .map(|(name, original)| {
                    let mut bytes = match original {
                        Some(file) => {
                            std::fs::read(shared.join(dataset).join("original").join(file)).unwrap()
                        }
                        None => format!("stand-in for UCI's {name}\n").into_bytes(),
                    };
                    damage(dataset, name, &mut bytes);
                    (*name, bytes)
                })
                .collect();
            let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (*n, b.as_slice())).collect();
            (url_path.to_string(), Route::ok(zip_bytes(&refs)))
        })
        .collect()
}

/// The built-in manifests, pointed at `server` with the base-URL override.
fn mirror_options(data_dir: &Path, server: &TestServer) -> FetchOptions {
    let mut o = options(data_dir);
    o.base_url_override = Some(server.url("/"));
    o
}

#[test]
fn builtin_abalone_concrete_and_real_estate_are_downloaded_converted_and_verified() {
    let Some(shared) = shared_originals() else {
        return;
    };
    let server = TestServer::start(uci_routes(&shared, |_, _, _| {}), 3);
    let data = tempfile::tempdir().unwrap();
    let opts = mirror_options(data.path(), &server);
    for UciZip {
        dataset,
        url_path,
        members,
    } in UCI_ZIPS
    {
        let manifest = srl_data::registry::builtin(dataset).unwrap();
        let entry = &manifest.files[0];
        let report = fetch_dataset(&manifest, &opts).unwrap();
        let outcome = &report.files[0];
        assert_eq!(
            outcome.action,
            FetchAction::Downloaded {
                url: server.url(url_path),
                member: Some(members[0].0.to_string()),
            },
            "{dataset}"
        );
        let conversion = outcome.converted.as_ref().expect("converted");
        assert_eq!(Some(conversion.converter), entry.convert);
        assert_eq!(conversion.original, members[0].0);
        assert!(conversion.original_verified, "{dataset}");
        let line = outcome.to_string();
        assert!(
            line.contains("converted from") && line.contains("original sha256 ok"),
            "{line}"
        );
        println!("{line}");

        let written = std::fs::read(data.path().join(&entry.path)).unwrap();
        let reference = std::fs::read(shared.join(&entry.path)).unwrap();
        assert!(written == reference, "{dataset}: not the reference bytes");
        assert_eq!(sha256_hex(&written), entry.sha256);
        assert_eq!(outcome.bytes, reference.len() as u64);
    }
    let mut expected: Vec<PathBuf> = UCI_ZIPS
        .iter()
        .map(|z| PathBuf::from(&srl_data::registry::builtin(z.dataset).unwrap().files[0].path))
        .collect();
    expected.sort();
    assert_eq!(
        files_below(data.path()),
        expected,
        "nothing else is written"
    );

    // A second run finds all three in place without a request.
    for UciZip { dataset, .. } in UCI_ZIPS {
        let manifest = srl_data::registry::builtin(dataset).unwrap();
        let again = fetch_dataset(&manifest, &opts).unwrap();
        assert_eq!(again.files[0].action, FetchAction::AlreadyPresent);
        assert_eq!(again.files[0].converted, None);
    }
    assert_eq!(server.stop().len(), 3);
}

#[test]
fn corrupted_uci_originals_are_checksum_mismatches_and_leave_nothing() {
    let Some(shared) = shared_originals() else {
        return;
    };
    // One changed byte in each original: a digit of abalone.data (still parses), a byte inside
    // the xls and the xlsx.
    let damage = |_: &str, name: &str, bytes: &mut Vec<u8>| {
        if name.ends_with(".data") {
            let i = bytes.iter().position(|&b| b == b'5').unwrap();
            bytes[i] = b'6';
        } else if name.ends_with(".xls") || name.ends_with(".xlsx") {
            let i = bytes.len() / 2;
            bytes[i] ^= 0x20;
        }
    };
    let server = TestServer::start(uci_routes(&shared, damage), 3);
    let data = tempfile::tempdir().unwrap();
    let opts = mirror_options(data.path(), &server);
    for UciZip {
        dataset,
        url_path,
        members,
    } in UCI_ZIPS
    {
        let manifest = srl_data::registry::builtin(dataset).unwrap();
        let entry = &manifest.files[0];
        let err = fetch_dataset(&manifest, &opts).unwrap_err();
        match &err {
            DataError::ChecksumMismatch {
                dataset: d,
                file,
                expected,
                ..
            } => {
                assert_eq!(d, dataset);
                assert_eq!(Some(expected), entry.original_sha256.as_ref(), "{err}");
                assert!(file.contains(members[0].0), "{file}");
                assert!(file.contains(&server.url(url_path)), "{file}");
            }
            other => panic!("{dataset}: expected ChecksumMismatch, got {other:?}"),
        }
    }
    assert_eq!(server.stop().len(), 3);
    assert_no_files(data.path());
}

/// A manifest like the built-in abalone one but without `original_sha256`, served from `/x`.
fn unpinned_abalone(url: &str) -> Manifest {
    let builtin = srl_data::registry::builtin("abalone").unwrap();
    let toml = format!(
        "name = \"toy\"\ntitle = \"Toy\"\nlicense = \"CC0\"\ncitation = \"none\"\n\
         [format]\nkind = \"npz\"\n[[files]]\npath = \"toy/abalone.csv\"\nsha256 = \"{}\"\n\
         url = \"{url}\"\nmember = \"abalone.data\"\nconvert = \"abalone-data\"\n",
        builtin.files[0].sha256
    );
    Manifest::from_toml(&toml, Path::new("toy.toml")).unwrap()
}

#[test]
fn without_a_pinned_original_the_converted_csv_is_still_verified() {
    let Some(shared) = shared_originals() else {
        return;
    };
    let original = std::fs::read(shared.join("abalone/original/abalone.data")).unwrap();
    // A value changed: converts fine, but the CSV is not the pinned one.
    let mut changed = original.clone();
    let i = changed.iter().position(|&b| b == b'5').unwrap();
    changed[i] = b'6';
    // Not abalone.data at all: the converter refuses it.
    let garbage = b"<html>UCI is being upgraded</html>\n".to_vec();
    let routes = HashMap::from([
        (
            "/good.zip".to_string(),
            Route::ok(zip_bytes(&[("abalone.data", &original)])),
        ),
        (
            "/changed.zip".to_string(),
            Route::ok(zip_bytes(&[("abalone.data", &changed)])),
        ),
        (
            "/garbage.zip".to_string(),
            Route::ok(zip_bytes(&[("abalone.data", &garbage)])),
        ),
    ]);
    let server = TestServer::start(routes, 3);
    let data = tempfile::tempdir().unwrap();

    let err = fetch_dataset(
        &unpinned_abalone(&server.url("/changed.zip")),
        &options(data.path()),
    )
    .unwrap_err();
    match &err {
        DataError::ChecksumMismatch { file, .. } => {
            assert!(file.contains("converted with abalone-data"), "{file}");
        }
        other => panic!("expected ChecksumMismatch, got {other:?}"),
    }
    assert_no_files(data.path());

    let err = fetch_dataset(
        &unpinned_abalone(&server.url("/garbage.zip")),
        &options(data.path()),
    )
    .unwrap_err();
    match &err {
        DataError::Convert {
            dataset,
            converter,
            source,
            hint,
            ..
        } => {
            assert_eq!(dataset, "toy");
            assert_eq!(*converter, srl_data::convert::Converter::AbaloneData);
            assert!(matches!(
                **source,
                srl_data::convert::ConvertError::Line { line: 1, .. }
            ));
            assert!(hint.contains("--from-dir"), "{hint}");
        }
        other => panic!("expected Convert, got {other:?}"),
    }
    assert!(
        err.to_string().contains(&server.url("/garbage.zip")),
        "{err}"
    );
    assert_no_files(data.path());

    let report = fetch_dataset(
        &unpinned_abalone(&server.url("/good.zip")),
        &options(data.path()),
    )
    .unwrap();
    let conversion = report.files[0].converted.as_ref().unwrap();
    assert!(!conversion.original_verified);
    assert!(!report.files[0].to_string().contains("original sha256 ok"));
    assert_eq!(
        std::fs::read(data.path().join("toy/abalone.csv")).unwrap(),
        std::fs::read(shared.join("abalone/abalone.csv")).unwrap()
    );
    server.stop();
}
