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
        let json = TrainedModel::new(cfg, "airfoil".into(), mlp, 0.0, 1.0).to_json().unwrap();
        std::fs::write(&path, &json.as_bytes()[..cut % json.len()]).unwrap();
        prop_assert!(TrainedModel::load(&path).is_err());
    }
}
