//! Resampling as a training-set transform (`smogn+srl`, `ros+lds`, …): the training part is
//! resampled, validation and test are untouched, the original rows are kept, and resampled
//! methods train, reproducibly, on tables and on Airfoil.

use srl_data::table::TableSpec;
use srl_data::{Benchmark, BenchmarkId};
use srl_train::resample::{feature_layout, resample_training_part, ResampleSpec};
use srl_train::{prepare_data, run, Component, MethodName, Profile, RunConfig, TrainError};
use std::path::Path;

/// A 400-row table with two numeric inputs, a categorical one and a right-skewed target (rare
/// high values).
fn table(dir: &Path) -> TableSpec {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut t = String::from("a,colour,b,y\n");
    for _ in 0..400 {
        let (a, b) = (uniform(), uniform());
        let colour = ["red", "green", "blue"][(uniform() * 3.0) as usize % 3];
        let y = (4.0 * a).exp() + b + if colour == "red" { 1.0 } else { 0.0 };
        t += &format!("{a:.4},{colour},{b:.4},{y:.4}\n");
    }
    let path = dir.join("t.csv");
    std::fs::write(&path, t).unwrap();
    TableSpec::new(path, "y")
}

fn same_part(a: &srl_data::Part, b: &srl_data::Part) {
    assert_eq!(a.x, b.x);
    assert_eq!(a.y, b.y);
    assert_eq!(a.bins, b.bins);
    assert_eq!(a.shots, b.shots);
    assert_eq!(a.out_of_range, b.out_of_range);
}

#[test]
fn only_the_training_part_is_resampled_and_the_originals_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let bench = srl_data::table::prepare(&table(tmp.path())).unwrap();
    let n = bench.train.len();
    let layout = feature_layout(&bench).unwrap();
    assert_eq!(layout.nominal().len(), 1, "the colour's one-hot group");
    for c in [
        Component::Smoter,
        Component::Smogn,
        Component::Wercs,
        Component::Ros,
        Component::Rus,
    ] {
        let spec = ResampleSpec::preset(c);
        let out: Benchmark = resample_training_part(&bench, &spec, 7).unwrap();
        let m = out.train.len();
        // Every per-row vector has one entry per new training row.
        assert_eq!(out.train.x.nrows(), m);
        assert_eq!(out.train.bins.len(), m);
        assert_eq!(out.train.shots.len(), m);
        assert_eq!(out.train.out_of_range.len(), m);
        assert_eq!(out.train.bins, out.binning.bins(&out.train.y.to_vec()));
        // Validation, test and the bins are the input's.
        same_part(&out.val, &bench.val);
        same_part(&out.test, &bench.test);
        assert_eq!(out.binning, bench.binning);
        // The expected count: the resampler's own output on the training rows.
        let direct = srl_train::resample::resample_rows(
            bench.train.x.view(),
            &bench.train.y.to_vec(),
            &layout,
            &spec,
            7,
        )
        .unwrap();
        assert_eq!(m, direct.y.len(), "{c:?}");
        match c {
            // Over-sampling keeps every row, in order, and adds rows.
            Component::Ros => {
                assert!(m > n);
                assert_eq!(out.train.x.slice(ndarray::s![..n, ..]), bench.train.x);
                assert_eq!(out.train.y.slice(ndarray::s![..n]), bench.train.y);
            }
            Component::Rus => assert!(m < n),
            _ => {}
        }
        // Every kept row is an original row, unchanged.
        for (i, o) in direct.origin.iter().enumerate() {
            if let srl_resample::Origin::Original { row } = *o {
                assert_eq!(out.train.x.row(i), bench.train.x.row(row));
                assert_eq!(out.train.y[i], bench.train.y[row]);
                assert_eq!(out.train.shots[i], bench.train.shots[row]);
            }
        }
        // Same seed, same rows; another seed, other rows (for the random ones).
        let again = resample_training_part(&bench, &spec, 7).unwrap();
        same_part(&again.train, &out.train);
    }
}

#[test]
fn a_target_without_rare_values_is_a_typed_error_naming_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let mut t = String::from("a,y\n");
    for i in 0..200 {
        t += &format!("{},{}\n", i % 17, i);
    }
    let path = tmp.path().join("u.csv");
    std::fs::write(&path, t).unwrap();
    let bench = srl_data::table::prepare(&TableSpec::new(path, "y")).unwrap();
    let e = resample_training_part(&bench, &ResampleSpec::preset(Component::Smogn), 0).unwrap_err();
    assert!(matches!(
        e,
        TrainError::Component {
            component: "smogn",
            ..
        }
    ));
    assert!(
        e.to_string()
            .contains("no target is rare by the box-plot rule"),
        "{e}"
    );
}

fn airfoil_config(method: &str, epochs: usize) -> RunConfig {
    let method: MethodName = method.parse().unwrap();
    let mut cfg = RunConfig::preset(BenchmarkId::Airfoil, &method, Profile::Quick).unwrap();
    cfg.optim.epochs = epochs;
    cfg.optim.eval_every = 1;
    cfg
}

#[test]
fn resampled_methods_train_on_airfoil_reproducibly() {
    let Some(dir) = srl_data::datadir::data_for_test("resample", "airfoil") else {
        return;
    };
    let bench = prepare_data(&airfoil_config("vanilla", 1).data, &dir).unwrap();
    for method in ["smogn+srl", "smogn+lds"] {
        let cfg = airfoil_config(method, 2).check().unwrap();
        assert_eq!(cfg.method_params().name().to_string(), method);
        let a = run(&cfg, &bench, None, &mut |_| {}).unwrap();
        let b = run(&cfg, &bench, None, &mut |_| {}).unwrap();
        assert!(a.report.test.all.mae.unwrap().is_finite(), "{method}");
        assert_eq!(a.test_predictions, b.test_predictions, "{method}");
        assert_eq!(
            a.model.to_json().unwrap(),
            b.model.to_json().unwrap(),
            "{method}: same seed, same model"
        );
        // The report's test part is the benchmark's (not resampled).
        assert_eq!(a.test_predictions.len(), bench.test.len());
    }
    // The resampler changes what the network sees.
    let plain = run(
        &airfoil_config("srl", 2).check().unwrap(),
        &bench,
        None,
        &mut |_| {},
    )
    .unwrap();
    let smogn = run(
        &airfoil_config("smogn+srl", 2).check().unwrap(),
        &bench,
        None,
        &mut |_| {},
    )
    .unwrap();
    assert_ne!(plain.test_predictions, smogn.test_predictions);
}

#[test]
fn resample_configs_round_trip_and_plain_ones_do_not_mention_it() {
    let tmp = tempfile::tempdir().unwrap();
    let t = table(tmp.path());
    let plain =
        RunConfig::table_preset(t.clone(), &"lds+srl".parse().unwrap(), Profile::Quick).unwrap();
    assert!(!plain.to_toml_string().unwrap().contains("resample"));
    let cfg =
        RunConfig::table_preset(t, &"smoter+lds+srl".parse().unwrap(), Profile::Quick).unwrap();
    let text = cfg.to_toml_string().unwrap();
    assert!(text.contains("[method.resample]"), "{text}");
    let back = RunConfig::from_toml_str(&text).unwrap();
    assert_eq!(back, cfg);
    assert_eq!(
        back.check().unwrap().method_params().name().to_string(),
        "smoter+lds+srl"
    );
    // A bad field is named.
    let mut bad = cfg.clone();
    bad.method.resample.as_mut().unwrap().k = 0;
    assert!(bad
        .check()
        .unwrap_err()
        .to_string()
        .contains("method.resample.k"));
}
