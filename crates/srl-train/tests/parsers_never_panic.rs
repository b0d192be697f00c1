//! The run configuration (TOML) and the checkpoint (JSON) on arbitrary or mangled input return a
//! typed error — never a panic (the in-CI stand-in for fuzzing).

use proptest::prelude::*;
use srl_data::BenchmarkId;
use srl_train::{Profile, RunConfig, TrainedModel};

fn preset_toml() -> String {
    RunConfig::preset(
        BenchmarkId::Airfoil,
        &"srl+lds".parse().unwrap(),
        Profile::Quick,
    )
    .unwrap()
    .to_toml_string()
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn config_toml_never_panics(text in "[a-z_=\"\\[\\]{}., 0-9.\\-\\n]{0,300}") {
        let _ = RunConfig::from_toml_str(&text);
    }

    /// A valid configuration with one byte replaced or a span cut out.
    #[test]
    fn mangled_configs_never_panic(pos in 0usize..4000, len in 0usize..40, byte in any::<u8>()) {
        let mut bytes = preset_toml().into_bytes();
        let p = pos % bytes.len();
        if len == 0 {
            bytes[p] = byte;
        } else {
            let end = (p + len).min(bytes.len());
            bytes.drain(p..end);
        }
        if let Ok(text) = String::from_utf8(bytes) {
            let _ = RunConfig::from_toml_str(&text);
        }
    }

    #[test]
    fn checkpoints_never_panic(text in "[a-z_:\"\\[\\]{}., 0-9.\\-]{0,300}", cut in 0usize..10_000) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.json");
        std::fs::write(&path, &text).unwrap();
        let _ = TrainedModel::load(&path);
        // A real checkpoint cut short.
        let cfg = RunConfig::preset(BenchmarkId::Airfoil, &"vanilla".parse().unwrap(), Profile::Quick).unwrap();
        let mlp = srl_train::Mlp::<f32>::new(&srl_train::MlpConfig::new(5, vec![4, 3]), 0).unwrap();
        let json = TrainedModel::new(cfg, srl_data::BenchmarkId::Airfoil.into(), mlp, 0.0, 1.0).to_json().unwrap();
        std::fs::write(&path, &json.as_bytes()[..cut % json.len()]).unwrap();
        prop_assert!(TrainedModel::load(&path).is_err());
    }
}

/// What fuzzing found (`fuzz/regressions/model_json/`, docs/fuzzing.md): checkpoints whose
/// layer widths make the parameter count overflow or exceed any machine are refused with an
/// error instead of overflowing or trying to allocate it.
#[test]
fn fuzzing_regressions_are_errors() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/model_json");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipping: {} not found", dir.display());
        return;
    };
    let mut n = 0;
    for e in entries.flatten() {
        let r = std::panic::catch_unwind(|| srl_train::TrainedModel::load(&e.path()));
        match r {
            Ok(result) => assert!(result.is_err(), "{} loaded", e.path().display()),
            Err(_) => panic!("{} panicked", e.path().display()),
        }
        n += 1;
    }
    assert!(n >= 2, "expected the regression files in {}", dir.display());
    // A configuration with absurd widths: an error from validation, an estimate, no overflow.
    let mut cfg = srl_train::RunConfig::preset(
        srl_data::BenchmarkId::Airfoil,
        &srl_train::MethodName::vanilla(),
        srl_train::Profile::Quick,
    )
    .unwrap();
    cfg.model.hidden = vec![usize::MAX / 2, usize::MAX / 2];
    let mlp = srl_train::MlpConfig::new(5, cfg.model.hidden.clone());
    assert!(mlp.validate().is_err());
}
