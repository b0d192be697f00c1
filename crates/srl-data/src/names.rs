//! One name table per concept. A closed set of values (benchmarks, shot groups, input
//! scalings, profiles, …) implements [`Named`]: its table lists every value once with its
//! text form and a one-line description, and parsing, printing, error messages and the
//! command line's list of possible values all read that table.
//!
//! ```
//! use srl_data::{names::Named, Shot};
//! assert_eq!(Shot::Few.name(), "few");
//! assert_eq!(Shot::from_name("medium").unwrap(), Shot::Medium);
//! let e = Shot::from_name("rare").unwrap_err().to_string();
//! assert_eq!(e, "unknown shot group `rare` (known: many, medium, few)");
//! ```

use std::fmt;

/// A closed set of values, each with one name.
pub trait Named: Copy + PartialEq + Sized + 'static {
    /// What a value is, for messages ("shot group", "profile").
    const WHAT: &'static str;
    /// Every value, its name and a one-line description, in display order.
    const NAMES: &'static [(Self, &'static str, &'static str)];

    /// The text form.
    fn name(self) -> &'static str {
        entry(self).1
    }

    /// The one-line description.
    fn help(self) -> &'static str {
        entry(self).2
    }

    /// The value named `s`, or an error listing the names.
    fn from_name(s: &str) -> Result<Self, UnknownName> {
        Self::NAMES
            .iter()
            .find(|(_, n, _)| *n == s)
            .map(|(v, _, _)| *v)
            .ok_or_else(|| UnknownName {
                what: Self::WHAT,
                name: s.to_string(),
                known: Self::names().collect::<Vec<_>>().join(", "),
            })
    }

    /// Every name, in table order.
    fn names() -> impl Iterator<Item = &'static str> {
        Self::NAMES.iter().map(|(_, n, _)| *n)
    }
}

fn entry<T: Named>(v: T) -> &'static (T, &'static str, &'static str) {
    T::NAMES
        .iter()
        .find(|(x, _, _)| *x == v)
        // Every implementation lists every value; `names_are_complete` tests it per type.
        .unwrap_or(&T::NAMES[0])
}

/// A name that is not in a [`Named`] table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName {
    /// What was asked for ("shot group").
    pub what: &'static str,
    /// The name given.
    pub name: String,
    /// The names that exist, comma-separated.
    pub known: String,
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} `{}` (known: {})",
            self.what, self.name, self.known
        )
    }
}

impl std::error::Error for UnknownName {}

/// Checks a name table: names unique, no value listed twice, and `all` (every value of the
/// type, e.g. from an exhaustive `match`) listed.
pub fn check_table<T: Named + fmt::Debug>(all: &[T]) -> Result<(), String> {
    for (i, (v, n, _)) in T::NAMES.iter().enumerate() {
        for (w, m, _) in &T::NAMES[..i] {
            if v == w || n == m {
                return Err(format!("{}: `{n}` / {v:?} listed twice", T::WHAT));
            }
        }
    }
    match all
        .iter()
        .find(|v| !T::NAMES.iter().any(|(w, _, _)| w == *v))
    {
        Some(v) => Err(format!("{}: {v:?} has no name", T::WHAT)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::ShotRuleName;
    use crate::table::{Impute, InputScale, UnknownCategory};
    use crate::{BenchmarkId, Shot};

    /// Every value of every table has exactly one name, and the name parses back to it.
    #[test]
    fn names_are_complete_and_round_trip() {
        fn round_trip<T: Named + fmt::Debug>(all: &[T]) {
            check_table(all).unwrap();
            for &v in all {
                assert_eq!(T::from_name(v.name()).unwrap(), v);
                assert!(!v.help().is_empty());
            }
            let e = T::from_name("no-such-name").unwrap_err().to_string();
            assert!(e.contains(T::WHAT) && e.contains(all[0].name()), "{e}");
        }
        round_trip(&BenchmarkId::ALL);
        round_trip(&Shot::ALL);
        round_trip(&[
            ShotRuleName::Terciles,
            ShotRuleName::Threshold,
            ShotRuleName::StsbFixed,
            ShotRuleName::Location,
        ]);
        round_trip(&[Impute::None, Impute::Median, Impute::Mode]);
        round_trip(&[
            crate::relevance::Extremes::High,
            crate::relevance::Extremes::Low,
            crate::relevance::Extremes::Both,
        ]);
        round_trip(&[UnknownCategory::Error, UnknownCategory::Ignore]);
        round_trip(&[
            crate::protocol::ProtocolKind::Standard,
            crate::protocol::ProtocolKind::BlindSpot,
            crate::protocol::ProtocolKind::Extrapolation,
        ]);
        round_trip(&[crate::protocol::Side::High, crate::protocol::Side::Low]);
        round_trip(&[
            InputScale::Standard,
            InputScale::Robust,
            InputScale::Quantile,
        ]);
    }

    /// Where a type also has a serde form, it is the table's name (Shot excepted: its files
    /// keep the variant names).
    #[test]
    fn serde_names_are_the_table_names() {
        fn same<T: Named + serde::Serialize>(all: &[T]) {
            for v in all {
                assert_eq!(
                    serde_json::to_string(v).unwrap(),
                    format!("\"{}\"", v.name())
                );
            }
        }
        same(&BenchmarkId::ALL);
        same(&[
            ShotRuleName::Terciles,
            ShotRuleName::Threshold,
            ShotRuleName::StsbFixed,
            ShotRuleName::Location,
        ]);
        same(&[Impute::None, Impute::Median, Impute::Mode]);
        same(&[UnknownCategory::Error, UnknownCategory::Ignore]);
        same(&[
            InputScale::Standard,
            InputScale::Robust,
            InputScale::Quantile,
        ]);
    }

    #[test]
    fn a_table_listing_a_value_twice_is_refused() {
        #[derive(Debug, Clone, Copy, PartialEq)]
        enum Two {
            A,
            B,
        }
        impl Named for Two {
            const WHAT: &'static str = "two";
            const NAMES: &'static [(Self, &'static str, &'static str)] =
                &[(Two::A, "a", "first"), (Two::A, "b", "second")];
        }
        assert!(check_table(&[Two::A, Two::B]).is_err());
    }
}
