//! The resume state: [`ResumeState::load`] (JSON → format check) on arbitrary bytes, written
//! to a file because `load` takes a path, then the checks `Trainer::resume` makes that need no
//! data: the saved configuration through [`RunConfig::from_toml_str`] and the monitor memory's
//! `check_state`. (`Trainer::resume` itself builds the trainer on a benchmark and is too heavy
//! to run per input.) A state that loads must save and load again to an equal state — what an
//! interrupted run that is interrupted again relies on.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use srl_train::{ResumeState, RunConfig};
use std::sync::OnceLock;

static SCRATCH: OnceLock<common::Scratch> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let scratch = SCRATCH.get_or_init(|| common::Scratch::new("resume.json"));
    let Ok(state) = ResumeState::load(scratch.write(data)) else {
        return;
    };
    let _ = RunConfig::from_toml_str(&state.config);
    if let Some(m) = &state.monitor {
        let _ = m.check_state();
    }
    let text = serde_json::to_string(&state).expect("a loaded state serialises");
    let back: ResumeState = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("a saved resume state does not load: {e}\n{text}"));
    assert_eq!(back, state, "the state changed in a round trip");
});
