//! The bad-input corpus as one table-driven test: every malformed file, flag or configuration
//! gives the documented exit code (1 failure, 2 usage), exactly one `error: …` line naming the
//! problem, and leaves no run folder or output file behind.

use std::path::{Path, PathBuf};
use std::process::Command;

/// One case: files to create in a fresh folder (`{d}` in arguments is that folder), the
/// arguments, the exit code and a text the error line must contain.
struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    code: i32,
    contains: &'static str,
}

fn case(
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: &[&'static str],
    code: i32,
    contains: &'static str,
) -> Case {
    Case {
        name,
        files,
        args: args.to_vec(),
        code,
        contains,
    }
}

/// A valid 40-row table `a,b,y` (y skewed), with `extra` appended to the header and each row.
fn table(header_extra: &str, row_extra: impl Fn(usize) -> String) -> Vec<u8> {
    let mut t = format!("a,b,y{header_extra}\n");
    for i in 0..40 {
        let a = (i as f64 * 0.37).sin();
        let b = (i % 7) as f64;
        let y = a * a * 5.0 + b;
        t += &format!("{a:.4},{b},{y:.4}{}\n", row_extra(i));
    }
    t.into_bytes()
}

/// 40 rows whose target is always 7.
fn constant_target() -> Vec<u8> {
    let mut t = String::from("a,b,y\n");
    for i in 0..40 {
        t += &format!("{},{},7\n", i, i % 5);
    }
    t.into_bytes()
}

fn good() -> Vec<u8> {
    table("", |_| String::new())
}

/// `good()` with line `line` (1-based, header = 1) replaced.
fn with_line(line: usize, text: &str) -> Vec<u8> {
    let g = String::from_utf8(good()).unwrap();
    let mut lines: Vec<String> = g.lines().map(str::to_string).collect();
    lines[line - 1] = text.to_string();
    (lines.join("\n") + "\n").into_bytes()
}

const TRAIN: &[&str] = &[
    "train",
    "--csv",
    "{d}/t.csv",
    "--target",
    "y",
    "--out",
    "{d}/out",
];

fn train(extra: &[&'static str]) -> Vec<&'static str> {
    let mut a = TRAIN.to_vec();
    a.extend_from_slice(extra);
    a
}

fn cases() -> Vec<Case> {
    let t = |bytes: Vec<u8>| vec![("t.csv", bytes)];
    let mut c = vec![
        // --- the file itself
        case("empty file", t(vec![]), TRAIN, 1, "no data rows"),
        case(
            "header only",
            t(b"a,b,y\n".to_vec()),
            TRAIN,
            1,
            "no data rows",
        ),
        case("missing file", vec![], TRAIN, 1, "t.csv"),
        case(
            "invalid utf-8",
            t(vec![b'a', b',', 0xff, 0xfe, b'\n']),
            TRAIN,
            1,
            "UTF-8",
        ),
        case(
            "short row",
            t(with_line(3, "0.1,2")),
            TRAIN,
            1,
            ":3: expected 3 fields, found 2",
        ),
        case(
            "long row",
            t(with_line(5, "0.1,2,3,4")),
            TRAIN,
            1,
            ":5: expected 3 fields, found 4",
        ),
        case(
            "unterminated quote",
            t(with_line(4, "\"0.1,2,3")),
            TRAIN,
            1,
            "unterminated",
        ),
        case(
            "text after a quote",
            t(with_line(4, "\"0.1\"x,2,3")),
            TRAIN,
            1,
            "after a closing quote",
        ),
        case(
            "duplicate column names",
            t(table(",a", |_| ",1".into())),
            TRAIN,
            1,
            "appears twice",
        ),
        case(
            "empty column name",
            t(table(",", |_| ",1".into())),
            TRAIN,
            1,
            "empty name",
        ),
        case(
            "target column absent",
            t(good()),
            &[
                "train",
                "--csv",
                "{d}/t.csv",
                "--target",
                "price",
                "--out",
                "{d}/out",
            ],
            1,
            "`price` not found",
        ),
        // --- the target
        case(
            "NaN target",
            t(with_line(6, "0.1,2,NaN")),
            TRAIN,
            1,
            ":6: target `y` is missing",
        ),
        case(
            "empty target",
            t(with_line(6, "0.1,2,")),
            TRAIN,
            1,
            ":6: target `y` is missing",
        ),
        case(
            "infinite target",
            t(with_line(6, "0.1,2,inf")),
            TRAIN,
            1,
            "non-finite",
        ),
        case(
            "text target",
            t(with_line(6, "0.1,2,high")),
            TRAIN,
            1,
            "`high` is not a number",
        ),
        case(
            // By default such a value is a suspected missing-value code (read as missing, a
            // warning); kept as a number it overflows the standardisation.
            "input values that overflow",
            t(with_line(5, "1e308,2,3").into_iter().collect::<Vec<u8>>()),
            &train(&["--keep-outliers"]),
            1,
            "too large to standardise",
        ),
        case(
            "constant target",
            t(constant_target()),
            TRAIN,
            1,
            "every row has the value 7",
        ),
        case(
            "too few rows",
            t(b"a,y\n1,2\n2,3\n3,4\n4,5\n5,6\n".to_vec()),
            &[
                "train",
                "--csv",
                "{d}/t.csv",
                "--target",
                "y",
                "--out",
                "{d}/out",
            ],
            1,
            "at least 20",
        ),
        // --- input cells and columns
        case(
            "missing input without --impute",
            t(with_line(7, "?,2,3")),
            TRAIN,
            1,
            ":7: column `a`: missing value",
        ),
        case(
            "stray text in a numeric column",
            t(with_line(7, "oops,2,3")),
            TRAIN,
            1,
            "numeric except",
        ),
        case(
            "infinite input",
            t(with_line(7, "inf,2,3")),
            TRAIN,
            1,
            "non-finite",
        ),
        case(
            "date column",
            t(table(",day", |i| format!(",2020-01-{:02}", 1 + i % 28))),
            TRAIN,
            1,
            "dates or times",
        ),
        case(
            "free-text column",
            t({
                let mut s = String::from("a,name,y\n");
                for i in 0..120 {
                    s += &format!("{i},item number {i},{}\n", i % 9)
                }
                s.into_bytes()
            }),
            TRAIN,
            1,
            "free text",
        ),
        case(
            "all-missing column",
            t(table(",z", |_| ",?".into())),
            TRAIN,
            1,
            "every cell is missing",
        ),
        // --- column flags
        case(
            "features include the target",
            t(good()),
            &train(&["--features", "a,y"]),
            1,
            "lists the target",
        ),
        case(
            "unknown feature",
            t(good()),
            &train(&["--features", "a,zzz"]),
            1,
            "`zzz` not found",
        ),
        case(
            "unknown excluded column",
            t(good()),
            &train(&["--exclude", "zzz"]),
            1,
            "`zzz` not found",
        ),
        case(
            "everything excluded",
            t(good()),
            &train(&["--exclude", "a,b"]),
            1,
            "no input column left",
        ),
        case(
            "categorical target",
            t(good()),
            &train(&["--categorical", "y"]),
            1,
            "data.categorical",
        ),
        case(
            "unknown categorical column",
            t(good()),
            &train(&["--categorical", "zzz"]),
            1,
            "`zzz` not found",
        ),
        case(
            "features and exclude",
            t(good()),
            &train(&["--features", "a", "--exclude", "b"]),
            2,
            "cannot be used with",
        ),
        case(
            "csv without target",
            t(good()),
            &["train", "--csv", "{d}/t.csv", "--out", "{d}/out"],
            2,
            "--target",
        ),
        case(
            "target without csv",
            vec![],
            &["train", "--target", "y", "--out", "{d}/out"],
            2,
            "--csv",
        ),
        case(
            "two-character delimiter",
            t(good()),
            &train(&["--delimiter", "ab"]),
            2,
            "delimiter",
        ),
        case(
            "wrong delimiter",
            t(good()),
            &train(&["--delimiter", ";"]),
            1,
            "`y` not found",
        ),
        case(
            "no-header on a headed file",
            t(good()),
            &train(&["--no-header"]),
            1,
            "`y` not found",
        ),
        case(
            "header and no-header",
            t(good()),
            &train(&["--header", "--no-header"]),
            2,
            "cannot be used with",
        ),
        // --- resources
        case(
            "memory estimate above the limit",
            t(good()),
            &train(&["--method", "srl", "--memory-limit", "0.0001"]),
            1,
            "above the limit of",
        ),
        case(
            "memory estimate above the limit in compare",
            t(good()),
            &[
                "compare",
                "--csv",
                "{d}/t.csv",
                "--target",
                "y",
                "--memory-limit",
                "0.0001",
                "--out",
                "{d}/out",
            ],
            1,
            "--memory-limit",
        ),
        case(
            "negative memory limit",
            t(good()),
            &train(&["--memory-limit", "-1"]),
            2,
            "positive number of GiB",
        ),
        case(
            "resume of a folder without a run",
            vec![],
            &["train", "--resume", "{d}"],
            2,
            "nothing to resume",
        ),
        case(
            "resume with a corrupt state",
            vec![("resume.json", b"{\"format\": 1,".to_vec())],
            &["train", "--resume", "{d}"],
            1,
            "resume.json",
        ),
        case(
            "resume with another run's flags",
            vec![],
            &["train", "--resume", "{d}", "--seed", "3"],
            2,
            "cannot be used with",
        ),
        // --- bins and split
        case(
            "absurd bin count",
            t(good()),
            &train(&["--bins", "100000"]),
            1,
            "bins for",
        ),
        case(
            "one bin",
            t(good()),
            &train(&["--bins", "1"]),
            1,
            "data.bins.count",
        ),
        case(
            "zero bin width",
            t(good()),
            &train(&["--bin-width", "0"]),
            1,
            "data.bins.width",
        ),
        case(
            "negative bin width",
            t(good()),
            &train(&["--bin-width=-1"]),
            1,
            "data.bins.width",
        ),
        case(
            "bins and bin width",
            t(good()),
            &train(&["--bins", "5", "--bin-width", "1"]),
            2,
            "cannot be used with",
        ),
        case(
            "shares too large",
            t(good()),
            &train(&["--val-size", "0.6", "--test-size", "0.5"]),
            1,
            "data.split",
        ),
        case(
            "zero validation share",
            t(good()),
            &train(&["--val-size", "0"]),
            1,
            "data.split.val",
        ),
        case(
            "cap without balanced",
            t(good()),
            &train(&["--val-test-cap", "3"]),
            2,
            "--split balanced",
        ),
        case(
            "balanced with shares",
            t(good()),
            &train(&["--split", "balanced", "--val-size", "0.2"]),
            2,
            "--val-test-cap",
        ),
        case(
            "unknown split column",
            t(good()),
            &train(&["--split-column", "part"]),
            1,
            "`part` not found",
        ),
        case(
            "bad split value",
            t(table(",part", |i| {
                if i == 3 {
                    ",holdout".into()
                } else {
                    [",train", ",val", ",test"][i % 3].into()
                }
            })),
            &train(&["--split-column", "part"]),
            1,
            "`holdout` is not train, val or test",
        ),
        case(
            "split without test rows",
            t(table(",part", |i| [",train", ",val"][i % 2].into())),
            &train(&["--split-column", "part"]),
            1,
            "test part empty",
        ),
        // --- method, profile, config
        case(
            "unknown method",
            t(good()),
            &train(&["--method", "magic"]),
            2,
            "magic",
        ),
        case(
            "two re-weightings",
            t(good()),
            &train(&["--method", "lds+inv"]),
            2,
            "re-weighting",
        ),
        case(
            "balanced MSE with re-weighting",
            t(good()),
            &train(&["--method", "bni+lds"]),
            2,
            "Balanced MSE",
        ),
        case(
            "unknown profile",
            t(good()),
            &train(&["--profile", "huge"]),
            2,
            "huge",
        ),
        case(
            "zero epochs",
            t(good()),
            &train(&["--epochs", "0"]),
            1,
            "optim.epochs",
        ),
        case(
            "missing config",
            vec![],
            &["train", "--config", "{d}/c.toml", "--out", "{d}/out"],
            1,
            "c.toml",
        ),
        case(
            "config that is not TOML",
            vec![("c.toml", b"[data\nx = ".to_vec())],
            &["train", "--config", "{d}/c.toml", "--out", "{d}/out"],
            1,
            "invalid configuration",
        ),
        case(
            "config with an unknown key",
            vec![("c.toml", b"seed = 0\nbogus = 1\n".to_vec())],
            &["train", "--config", "{d}/c.toml", "--out", "{d}/out"],
            1,
            "invalid configuration",
        ),
        case(
            "config and method",
            vec![("c.toml", b"seed = 0\n".to_vec())],
            &[
                "train",
                "--config",
                "{d}/c.toml",
                "--method",
                "srl",
                "--out",
                "{d}/out",
            ],
            2,
            "--config",
        ),
        case(
            "nothing to train on",
            vec![],
            &["train", "--out", "{d}/out"],
            2,
            "--benchmark",
        ),
        case(
            "unknown benchmark",
            vec![],
            &["train", "--benchmark", "mnist", "--out", "{d}/out"],
            2,
            "mnist",
        ),
        case(
            "benchmark data missing",
            vec![],
            &[
                "train",
                "--benchmark",
                "airfoil",
                "--data-dir",
                "{d}/nodata",
                "--out",
                "{d}/out",
            ],
            1,
            "airfoil",
        ),
        // --- output folder
        case(
            "output is a file",
            vec![("t.csv", good()), ("out", b"x".to_vec())],
            TRAIN,
            1,
            "out",
        ),
        // --- eval and predict
        case(
            "eval of a missing checkpoint",
            vec![],
            &["eval", "--checkpoint", "{d}/model.json"],
            1,
            "model.json",
        ),
        case(
            "eval of a corrupt checkpoint",
            vec![("model.json", b"{\"format\": 3".to_vec())],
            &["eval", "--checkpoint", "{d}/model.json"],
            1,
            "invalid checkpoint",
        ),
        case(
            "eval of another format",
            vec![("model.json", b"{}".to_vec())],
            &["eval", "--checkpoint", "{d}/model.json"],
            1,
            "invalid checkpoint",
        ),
        case(
            "predict with a missing model",
            vec![("t.csv", good())],
            &[
                "predict",
                "--model",
                "{d}/model.json",
                "--csv",
                "{d}/t.csv",
                "--out",
                "{d}/p.csv",
            ],
            1,
            "model.json",
        ),
        case(
            "compare with zero seeds",
            vec![("t.csv", good())],
            &[
                "compare",
                "--csv",
                "{d}/t.csv",
                "--target",
                "y",
                "--seeds",
                "0",
                "--out",
                "{d}/out",
            ],
            2,
            "--seeds",
        ),
        case(
            "compare on a missing file",
            vec![],
            &[
                "compare",
                "--csv",
                "{d}/t.csv",
                "--target",
                "y",
                "--out",
                "{d}/out",
            ],
            1,
            "t.csv",
        ),
        case(
            "fetch of an unknown dataset",
            vec![],
            &["fetch", "mnist", "--data-dir", "{d}/data"],
            1,
            "mnist",
        ),
    ];
    // A CRLF file and a `;` file with quoted names are fine (the corpus must not over-reject).
    c.push(case(
        "CRLF and semicolons are accepted",
        t(String::from_utf8(good())
            .unwrap()
            .replace(',', ";")
            .replace('\n', "\r\n")
            .into_bytes()),
        &train(&["--epochs", "1"]),
        0,
        "",
    ));
    c
}

fn run(args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_srl"))
        .args(args)
        .env_remove("SRL_DATA_DIR")
        .output()
        .expect("the srl binary runs")
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_bad_input_is_one_error_line_with_the_documented_exit_code_and_leaves_nothing() {
    let cases = cases();
    assert!(cases.len() >= 60, "the corpus has {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap().to_string();
        for (name, bytes) in &c.files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let before: Vec<PathBuf> = files_below(dir.path());
        let args: Vec<String> = c.args.iter().map(|a| a.replace("{d}", &d)).collect();
        let out = run(&args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code();
        let mut problems = Vec::new();
        if code != Some(c.code) {
            problems.push(format!("exit {code:?}, expected {}", c.code));
        }
        if c.code != 0 {
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error")).collect();
            if errors.len() != 1 {
                problems.push(format!("{} error lines", errors.len()));
            }
            if !stderr.contains(c.contains) {
                problems.push(format!("message lacks `{}`", c.contains));
            }
            if stderr.contains("panicked") {
                problems.push("panicked".into());
            }
            let after = files_below(dir.path());
            if after != before {
                problems.push(format!("files left behind: {:?}", after));
            }
            if c.name != "output is a file" && dir.path().join("out").exists() {
                problems.push("the output folder was left behind".into());
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}: {} — stderr: {}",
                c.name,
                problems.join("; "),
                stderr.trim()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
