//! The run configuration: [`RunConfig::from_toml_str`] (serde + the no-effect-key check +
//! `validate`, including the `[data]` table of a user's CSV) on arbitrary text. A configuration
//! that parses must serialise, parse again and compare equal (what `srl train` relies on when
//! it writes `config.toml` into the run folder and `--resume` reads it back).

#![no_main]

use libfuzzer_sys::fuzz_target;
use srl_train::RunConfig;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cfg) = RunConfig::from_toml_str(text) else {
        return;
    };
    let again = cfg
        .to_toml_string()
        .expect("a parsed configuration serialises");
    let back = RunConfig::from_toml_str(&again)
        .unwrap_or_else(|e| panic!("a written configuration does not parse: {e}\n{again}"));
    assert_eq!(
        back, cfg,
        "the configuration changed in a round trip:\n{again}"
    );
    let _ = cfg.method_name().to_string();
});
