//! Dataset manifests: [`Manifest::from_toml`] (serde + `validate`) on arbitrary text. A
//! manifest that parses must serialise, parse again and compare equal; its delimited format
//! gives a layout or an error, its shot rule a rule or an error, its files an original name
//! or `None` (what `fetch` and the readers do with it).

#![no_main]

use libfuzzer_sys::fuzz_target;
use srl_data::manifest::Format;
use srl_data::metrics::ShotRule;
use srl_data::tabular::TextLayout;
use srl_data::Manifest;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let origin = Path::new("manifests/fuzz.toml");
    let Ok(m) = Manifest::from_toml(text, origin) else {
        return;
    };
    let again = toml::to_string(&m).expect("a parsed manifest serialises");
    let back = Manifest::from_toml(&again, origin)
        .unwrap_or_else(|e| panic!("a written manifest does not parse: {e}\n{again}"));
    assert_eq!(back, m, "the manifest changed in a round trip:\n{again}");
    if let Format::Delimited { .. } = m.format {
        let _ = TextLayout::from_format(&m.format);
    }
    if let Some(p) = &m.protocol {
        let _ = ShotRule::from_name(&p.shot_rule);
    }
    for f in &m.files {
        let _ = f.original_name();
        let _ = m.file_path(Path::new("/data"), f);
    }
});
