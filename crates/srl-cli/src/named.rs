//! Command-line values read through the library's name tables ([`Named`]): the parser, the
//! possible values and their help all come from the one table, so the command line mirrors
//! no library enum with its own.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use srl_data::names::Named;
use std::marker::PhantomData;

/// Parses a flag's value into `T` by its name table.
#[derive(Debug)]
pub struct NamedParser<T>(PhantomData<fn() -> T>);

impl<T> Clone for NamedParser<T> {
    fn clone(&self) -> Self {
        NamedParser(PhantomData)
    }
}

/// The parser of `T`'s names (`#[arg(value_parser = named::<T>())]`).
pub fn named<T: Named + Send + Sync>() -> NamedParser<T> {
    NamedParser(PhantomData)
}

impl<T: Named + Send + Sync> TypedValueParser for NamedParser<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let text = value.to_string_lossy();
        T::from_name(&text).map_err(|e| {
            let flag = arg
                .map(|a| format!(" for --{}", a.get_id()))
                .unwrap_or_default();
            clap::Error::raw(ErrorKind::InvalidValue, format!("{e}{flag}\n")).with_cmd(cmd)
        })
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(T::NAMES.iter().map(|(_, name, help)| {
            PossibleValue::new(*name).help(*help)
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use srl_data::table::InputScale;

    #[derive(Parser, Debug)]
    struct Flags {
        #[arg(long, value_parser = named::<InputScale>())]
        scale: Option<InputScale>,
    }

    #[test]
    fn values_parse_by_the_library_table_and_errors_list_the_names() {
        let f = Flags::try_parse_from(["x", "--scale", "robust"]).unwrap();
        assert_eq!(f.scale, Some(InputScale::Robust));
        let e = Flags::try_parse_from(["x", "--scale", "log"])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("unknown input scaling `log`") && e.contains("standard, robust, quantile"),
            "{e}"
        );
    }
}
