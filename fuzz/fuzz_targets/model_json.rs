//! The checkpoint: [`TrainedModel::load`] (JSON → format check → `Mlp::from_state` → method
//! state and saved preprocessing checks) on arbitrary bytes, written to a file because `load`
//! takes a path. A model that loads must predict (or refuse with an error) on prepared rows
//! and, when it carries a table preprocessing, on a raw row of its own columns; and it must
//! save and load again to the same JSON.
//!
//! Known finding (docs/fuzzing.md, reproducers in fuzz/regressions/model_json/): `load`
//! aborts the process on a checkpoint whose network widths imply a huge parameter count,
//! because `Mlp::from_state` allocates for it before checking the layers (and the width
//! product overflows). Until that is fixed in srl-train, inputs whose widths imply more than
//! [`MAX_PARAMETERS`] parameters are skipped so the fuzzer gets past it; delete
//! `implied_parameters` and its call once `load` refuses them.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use srl_data::table::ColumnKind;
use srl_data::tabular::{RawRow, RawTable};
use srl_train::TrainedModel;
use std::sync::OnceLock;

/// Parameter count above which an input is skipped (the known finding above).
const MAX_PARAMETERS: u64 = 50_000_000;

static SCRATCH: OnceLock<(common::Scratch, common::Scratch)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (scratch, again) = SCRATCH.get_or_init(|| {
        (
            common::Scratch::new("model.json"),
            common::Scratch::new("model-again.json"),
        )
    });
    if implied_parameters(data).is_none_or(|n| n > MAX_PARAMETERS) {
        return;
    }
    let Ok(model) = TrainedModel::load(scratch.write(data)) else {
        return;
    };

    let json = model.to_json().expect("a loaded model serialises");
    let back = TrainedModel::load(again.write(json.as_bytes()))
        .unwrap_or_else(|e| panic!("a saved model does not load: {e}"));
    assert_eq!(
        back.to_json().expect("serialises"),
        json,
        "round trip changed the model"
    );

    let d = model.mlp().config().input_dim;
    let x = ndarray::Array2::<f64>::zeros((2, d));
    if let Ok(p) = model.try_predict(x.view()) {
        assert_eq!(p.len(), 2);
    }
    let wrong = ndarray::Array2::<f64>::zeros((1, d + 1));
    assert!(
        model.try_predict(wrong.view()).is_err(),
        "a wrong width must be refused"
    );

    if let Some(input) = model.input() {
        let p = &input.preprocessor;
        let mut names: Vec<String> = p.columns.iter().map(|c| c.name.clone()).collect();
        names.push(p.target.clone());
        let fields: Vec<String> = p
            .columns
            .iter()
            .map(|c| match &c.kind {
                ColumnKind::Numeric { mean, .. } => mean.to_string(),
                ColumnKind::Categorical { categories, .. } => categories[0].clone(),
            })
            .chain(std::iter::once("0".to_string()))
            .collect();
        let table = RawTable {
            path: "rows.csv".into(),
            names,
            rows: vec![RawRow { line: 2, fields }],
            skipped_empty_rows: 0,
        };
        if let Ok((pred, flagged)) = model.predict_table(&table, None) {
            assert_eq!((pred.len(), flagged.len()), (1, 1));
        }
    }
});

/// The parameter count the `mlp.config` of a checkpoint implies (widths `input_dim`, `hidden`,
/// `feature_dim`, head 1); `Some(0)` when the input is no JSON object with such a config (then
/// `load` refuses it anyway), `None` on overflow.
fn implied_parameters(data: &[u8]) -> Option<u64> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else {
        return Some(0);
    };
    let cfg = &v["mlp"]["config"];
    let mut widths: Vec<u64> = Vec::new();
    widths.push(cfg["input_dim"].as_u64().unwrap_or(0));
    if let Some(h) = cfg["hidden"].as_array() {
        widths.extend(h.iter().map(|w| w.as_u64().unwrap_or(0)));
    }
    widths.extend(cfg["feature_dim"].as_u64());
    widths.push(1);
    widths.windows(2).try_fold(0u64, |acc, w| {
        acc.checked_add(w[0].checked_mul(w[1])?.checked_add(w[1])?)
    })
}
