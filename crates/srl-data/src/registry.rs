//! The built-in dataset manifests: `manifests/<name>.toml` of this crate
//! (`crates/srl-data/manifests/` in the repository), compiled into the library with
//! `include_str!` so a binary knows every dataset without the source tree, and so the crate
//! packages on its own.

use crate::{DataError, Manifest};
use std::path::Path;

/// `(name, manifest text)` of every built-in dataset, in the order of [`builtin_names`].
const MANIFESTS: &[(&str, &str)] = &[
    ("airfoil", include_str!("../manifests/airfoil.toml")),
    ("abalone", include_str!("../manifests/abalone.toml")),
    ("concrete", include_str!("../manifests/concrete.toml")),
    ("real-estate", include_str!("../manifests/real-estate.toml")),
    ("iol-sde", include_str!("../manifests/iol-sde.toml")),
    ("agedb-dir", include_str!("../manifests/agedb-dir.toml")),
    ("stsb-dir", include_str!("../manifests/stsb-dir.toml")),
];

/// Where the manifests live in the repository (named in errors).
pub const MANIFEST_DIR: &str = "crates/srl-data/manifests";

const NAMES: &[&str] = &[
    "airfoil",
    "abalone",
    "concrete",
    "real-estate",
    "iol-sde",
    "agedb-dir",
    "stsb-dir",
];

/// Names of the built-in datasets: `airfoil`, `abalone`, `concrete`, `real-estate`,
/// `iol-sde`, `agedb-dir`, `stsb-dir`.
///
/// ```
/// assert!(srl_data::registry::builtin_names().contains(&"airfoil"));
/// ```
pub fn builtin_names() -> &'static [&'static str] {
    NAMES
}

/// The parsed and validated built-in manifest of dataset `name`.
///
/// An unknown name is a [`DataError::UnknownDataset`] listing the known ones.
///
/// ```
/// let m = srl_data::registry::builtin("abalone").unwrap();
/// assert_eq!(m.columns.unwrap().nominal, vec!["Sex".to_string()]);
/// assert!(srl_data::registry::builtin("mnist").is_err());
/// ```
pub fn builtin(name: &str) -> Result<Manifest, DataError> {
    let (_, text) =
        MANIFESTS
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| DataError::UnknownDataset {
                name: name.to_string(),
                known: NAMES.join(", "),
            })?;
    let origin = Path::new(MANIFEST_DIR).join(format!("{name}.toml"));
    let m = Manifest::from_toml(text, &origin)?;
    if m.name != name {
        return Err(DataError::Manifest {
            path: origin,
            reason: format!("manifest names itself `{}`, expected `{name}`", m.name),
        });
    }
    Ok(m)
}

/// Every built-in manifest, parsed, in the order of [`builtin_names`].
pub fn builtin_all() -> Result<Vec<Manifest>, DataError> {
    NAMES.iter().map(|n| builtin(n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_table_agree() {
        let table: Vec<&str> = MANIFESTS.iter().map(|(n, _)| *n).collect();
        assert_eq!(table, NAMES);
    }

    #[test]
    fn every_manifest_parses() {
        let all = builtin_all().unwrap();
        assert_eq!(all.len(), 7);
    }

    #[test]
    fn unknown_lists_known_names() {
        match builtin("nope") {
            Err(DataError::UnknownDataset { name, known }) => {
                assert_eq!(name, "nope");
                assert!(known.contains("stsb-dir") && known.contains("airfoil"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
