//! Converters from the files UCI serves to the canonical CSVs pinned by the manifests.
//!
//! Three datasets are not served by UCI in the form the benchmarks read:
//!
//! | converter | original (member of the UCI zip) | canonical file |
//! |---|---|---|
//! | `abalone-data` | `abalone.data` (text, no header) | `abalone/abalone.csv` |
//! | `concrete-xls` | `Concrete_Data.xls` (Excel 97-2003, BIFF8) | `concrete/concrete.csv` |
//! | `real-estate-xlsx` | `Real estate valuation data set.xlsx` (OOXML) | `real-estate/real_estate.csv` |
//!
//! Each converter reproduces the canonical CSV **byte for byte** (its sha256 is in the
//! manifest, and `fetch` checks it after converting). The rules, from each dataset's
//! `SOURCE.md`:
//!
//! * a fixed header line replaces whatever the original has (abalone has none; the workbooks'
//!   long UCI names are ignored);
//! * columns keep the original order; real-estate drops its `No` index column (which must be
//!   exactly 1, 2, …, n);
//! * every numeric cell goes through [`format_number`]: the value's shortest round-trip decimal
//!   (Rust `{}`; whole numbers without `.0`, never an exponent), unless R's scientific form is
//!   strictly shorter (abalone's `5e-04`, written by R into the canonical file);
//! * fields separated by `,`, no quoting, every line ending in LF (the last one included).
//!
//! The converters themselves need the `convert` feature (the workbooks are read with
//! `calamine`); [`Converter`] and [`format_number`] are always available, so manifests parse
//! without it.

use crate::DataError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Header line of `abalone.csv` (target `Rings` last, as in `abalone.data`).
pub const ABALONE_HEADER: &str =
    "Sex,Length,Diameter,Height,WholeWeight,ShuckedWeight,VisceraWeight,ShellWeight,Rings";

/// Header line of `concrete.csv` (the workbook's columns A..I, target last).
pub const CONCRETE_HEADER: &str = "cement_kg_m3,blast_furnace_slag_kg_m3,fly_ash_kg_m3,\
water_kg_m3,superplasticizer_kg_m3,coarse_aggregate_kg_m3,fine_aggregate_kg_m3,age_days,\
compressive_strength_mpa";

/// Header line of `real_estate.csv` (the workbook's columns B..H; `No` dropped; target last).
pub const REAL_ESTATE_HEADER: &str = "x1_transaction_date,x2_house_age,\
x3_distance_to_nearest_mrt_station,x4_number_of_convenience_stores,x5_latitude,x6_longitude,\
y_house_price_of_unit_area";

/// A conversion from an upstream original to a dataset's canonical file, named in manifests
/// by `convert = "<name>"` (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Converter {
    /// `abalone.data` → `abalone.csv`: header added, numbers re-formatted.
    AbaloneData,
    /// `Concrete_Data.xls` (first sheet, 9 numeric columns) → `concrete.csv`.
    ConcreteXls,
    /// `Real estate valuation data set.xlsx` (first sheet, `No` + 7 numeric columns) →
    /// `real_estate.csv`.
    RealEstateXlsx,
}

impl Converter {
    /// Every converter, in the order of the module docs.
    pub const ALL: [Converter; 3] = [
        Converter::AbaloneData,
        Converter::ConcreteXls,
        Converter::RealEstateXlsx,
    ];

    /// The manifest name: `abalone-data`, `concrete-xls` or `real-estate-xlsx`.
    ///
    /// ```
    /// use srl_data::convert::Converter;
    /// assert_eq!(Converter::ConcreteXls.name(), "concrete-xls");
    /// assert_eq!("concrete-xls".parse::<Converter>().unwrap(), Converter::ConcreteXls);
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Converter::AbaloneData => "abalone-data",
            Converter::ConcreteXls => "concrete-xls",
            Converter::RealEstateXlsx => "real-estate-xlsx",
        }
    }

    /// The header line the converter writes (without the LF).
    pub fn header(self) -> &'static str {
        match self {
            Converter::AbaloneData => ABALONE_HEADER,
            Converter::ConcreteXls => CONCRETE_HEADER,
            Converter::RealEstateXlsx => REAL_ESTATE_HEADER,
        }
    }

    /// What the converter reads, for messages.
    pub fn input_kind(self) -> &'static str {
        match self {
            Converter::AbaloneData => "UCI abalone.data text file",
            Converter::ConcreteXls => "Excel 97-2003 workbook (.xls)",
            Converter::RealEstateXlsx => "Excel workbook (.xlsx)",
        }
    }

    /// Converts the bytes of the original into the canonical CSV's bytes.
    ///
    /// The result still has to be checked against the manifest's sha256 (`fetch` does).
    ///
    /// ```
    /// use srl_data::convert::Converter;
    /// let csv = Converter::AbaloneData
    ///     .convert(b"I,0.075,0.055,0.01,0.002,0.001,0.0005,0.0015,1\n")
    ///     .unwrap();
    /// assert!(csv.ends_with(b"\nI,0.075,0.055,0.01,0.002,0.001,5e-04,0.0015,1\n"));
    /// ```
    #[cfg(feature = "convert")]
    pub fn convert(self, original: &[u8]) -> Result<Vec<u8>, ConvertError> {
        match self {
            Converter::AbaloneData => abalone_data_to_csv(original),
            Converter::ConcreteXls => concrete_xls_to_csv(original),
            Converter::RealEstateXlsx => real_estate_xlsx_to_csv(original),
        }
    }
}

impl fmt::Display for Converter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Converter {
    type Err = DataError;

    /// Parses a manifest name; an unknown one is [`DataError::Invalid`] listing the known ones.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Converter::ALL
            .into_iter()
            .find(|c| c.name() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Converter::ALL.iter().map(|c| c.name()).collect();
                DataError::invalid(
                    format!("converter `{s}`"),
                    format!("unknown (known: {})", known.join(", ")),
                )
            })
    }
}

/// Why an original could not be converted. Wrapped in [`DataError::Convert`] by `fetch`,
/// which adds the dataset, the converter and where the original came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The bytes are not a workbook of the expected kind, or a sheet cannot be read.
    #[error("not a readable workbook: {0}")]
    Workbook(String),
    /// The sheet is not laid out as expected (empty, wrong size or position).
    #[error("unexpected sheet layout: {0}")]
    Layout(String),
    /// A worksheet cell does not hold what the conversion needs.
    #[error("cell {cell}: {reason}")]
    Cell {
        /// A1-style cell reference (`B17`).
        cell: String,
        /// What is wrong.
        reason: String,
    },
    /// A line of a text original is malformed.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line number in the original.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

/// Writes a number the way the canonical CSVs do.
///
/// `F` is the shortest decimal that parses back to the same `f64`, never in exponent notation,
/// whole numbers without `.0` (Rust's `{}`). `S` is R's scientific form: Rust's `{:e}` with an
/// explicitly signed exponent of at least two digits (`5e-04`, `1.5e+10`). The result is `S`
/// when it is **strictly** shorter than `F`, else `F`. (R wrote `abalone.csv`, hence its
/// `5e-04`; no value of concrete or real-estate has a shorter scientific form.)
///
/// Non-finite values are written as Rust displays them (`NaN`, `inf`); the converters reject
/// them before formatting.
///
/// ```
/// use srl_data::convert::format_number;
/// assert_eq!(format_number(0.0005), "5e-04");
/// assert_eq!(format_number(0.0015), "0.0015");
/// assert_eq!(format_number(540.0), "540");
/// assert_eq!(format_number(61.887365759999994), "61.887365759999994");
/// assert_eq!(format_number(1e-10), "1e-10");
/// assert_eq!(format_number(1.5e20), "1.5e+20");
/// assert_eq!(format_number(0.0), "0");
/// ```
pub fn format_number(v: f64) -> String {
    let fixed = format!("{v}");
    if !v.is_finite() {
        return fixed;
    }
    let sci = r_scientific(v);
    if sci.len() < fixed.len() {
        sci
    } else {
        fixed
    }
}

/// R's scientific notation of `v`: shortest round-trip mantissa, exponent with sign and at
/// least two digits.
fn r_scientific(v: f64) -> String {
    let s = format!("{v:e}");
    match s.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

/// `abalone.data` → `abalone.csv`: one output line per input line, `Sex` (`M`, `F` or `I`)
/// copied, the 8 numeric fields re-written with [`format_number`], [`ABALONE_HEADER`] first.
///
/// The input must be text with LF (or CRLF) line endings, 9 comma-separated fields a line;
/// a final line ending is optional. Empty lines, other field counts, another `Sex`, and
/// numeric fields that do not parse or are not finite are [`ConvertError::Line`] errors.
///
/// ```
/// let csv = srl_data::convert::abalone_data_to_csv(b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n")
///     .unwrap();
/// assert_eq!(
///     String::from_utf8(csv).unwrap(),
///     format!("{}\nM,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15\n", srl_data::convert::ABALONE_HEADER)
/// );
/// ```
#[cfg(feature = "convert")]
pub fn abalone_data_to_csv(original: &[u8]) -> Result<Vec<u8>, ConvertError> {
    const FIELDS: usize = 9;
    let text = std::str::from_utf8(original).map_err(|e| {
        let valid = original.get(..e.valid_up_to()).unwrap_or_default();
        ConvertError::Line {
            line: valid.iter().filter(|&&b| b == b'\n').count() + 1,
            reason: format!("not text (invalid UTF-8 at byte {})", e.valid_up_to()),
        }
    })?;
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body.is_empty() {
        return Err(ConvertError::Line {
            line: 1,
            reason: "no data lines".into(),
        });
    }
    let mut out = String::with_capacity(original.len() + ABALONE_HEADER.len() + 16);
    out.push_str(ABALONE_HEADER);
    out.push('\n');
    for (i, line) in body.split('\n').enumerate() {
        let line_no = i + 1;
        let bad = |reason: String| ConvertError::Line {
            line: line_no,
            reason,
        };
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            return Err(bad("empty line".into()));
        }
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != FIELDS {
            return Err(bad(format!(
                "{} fields, expected {FIELDS} (Sex and 8 numbers)",
                fields.len()
            )));
        }
        let sex = fields[0].trim();
        if !matches!(sex, "M" | "F" | "I") {
            return Err(bad(format!("Sex `{sex}` is not M, F or I")));
        }
        out.push_str(sex);
        for (col, field) in fields.iter().enumerate().skip(1) {
            let v = parse_finite(field.trim()).map_err(|why| {
                bad(format!(
                    "field {} (`{}`): {why}",
                    col + 1,
                    ABALONE_HEADER.split(',').nth(col).unwrap_or("?")
                ))
            })?;
            out.push(',');
            out.push_str(&format_number(v));
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// Parses a finite `f64`, or says why not.
#[cfg(feature = "convert")]
fn parse_finite(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("`{s}` is not a finite number")),
        Err(_) => Err(format!("`{s}` is not a number")),
    }
}

/// `Concrete_Data.xls` → `concrete.csv`: the first worksheet (`Sheet1`, A1:I1031), its text
/// header row replaced by [`CONCRETE_HEADER`], every other row written in sheet order with
/// [`format_number`].
///
/// calamine decodes the RK-compressed cells as xlrd does (the "divide by 100" flag divides
/// by `100.0` in `f64`), which the canonical file needs bit for bit.
#[cfg(feature = "convert")]
pub fn concrete_xls_to_csv(original: &[u8]) -> Result<Vec<u8>, ConvertError> {
    no_panic(|| {
        let workbook: calamine::Xls<_> = open_workbook(original)?;
        sheet_to_csv(workbook, CONCRETE_HEADER, 9, false)
    })
}

/// `Real estate valuation data set.xlsx` → `real_estate.csv`: the first worksheet
/// (`工作表1`, A1:H415), its text header row replaced by [`REAL_ESTATE_HEADER`], column A
/// (`No`, which must be exactly 1, 2, …, n) dropped, every other cell written in sheet order
/// with [`format_number`].
///
/// The `<v>` text of a cell is parsed to `f64` and re-written, never copied: Excel stored 835
/// of the values with 17 significant digits (`84.878820000000005` for `84.87882`).
#[cfg(feature = "convert")]
pub fn real_estate_xlsx_to_csv(original: &[u8]) -> Result<Vec<u8>, ConvertError> {
    no_panic(|| {
        let workbook: calamine::Xlsx<_> = open_workbook(original)?;
        sheet_to_csv(workbook, REAL_ESTATE_HEADER, 8, true)
    })
}

/// Runs a workbook conversion, turning a panic inside the reader into
/// [`ConvertError::Workbook`]: calamine indexes and subtracts without checks on some damaged
/// files (seen with truncated and bit-flipped copies of both workbooks), and a download must
/// never crash the program. (`fetch` checks the original's sha256 first, so a pinned original
/// is never damaged by the time it gets here.)
#[cfg(feature = "convert")]
fn no_panic(
    convert: impl FnOnce() -> Result<Vec<u8>, ConvertError>,
) -> Result<Vec<u8>, ConvertError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(convert)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown failure".into());
        Err(ConvertError::Workbook(format!(
            "the workbook is damaged (the reader failed: {what})"
        )))
    })
}

/// Opens a workbook of type `W` from memory.
#[cfg(feature = "convert")]
fn open_workbook<'a, W>(original: &'a [u8]) -> Result<W, ConvertError>
where
    W: calamine::Reader<std::io::Cursor<&'a [u8]>>,
    W::Error: fmt::Display,
{
    W::new(std::io::Cursor::new(original)).map_err(|e| ConvertError::Workbook(e.to_string()))
}

/// Writes the first worksheet of `workbook` as CSV: `header`, then one line per row after the
/// first. The sheet must start at A1 and be exactly `width` columns wide; row 1 must be text
/// (the upstream header, ignored); every other cell must be a finite number. With
/// `drop_index`, column A must count 1, 2, … and is left out.
#[cfg(feature = "convert")]
fn sheet_to_csv<W, RS>(
    mut workbook: W,
    header: &str,
    width: usize,
    drop_index: bool,
) -> Result<Vec<u8>, ConvertError>
where
    W: calamine::Reader<RS>,
    RS: std::io::Read + std::io::Seek,
    W::Error: fmt::Display,
{
    use calamine::Data;

    let sheet = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ConvertError::Layout("the workbook has no worksheet".into()))?;
    let range = workbook
        .worksheet_range(&sheet)
        .map_err(|e| ConvertError::Workbook(format!("sheet `{sheet}`: {e}")))?;
    match range.start() {
        Some((0, 0)) => {}
        Some((row, col)) => {
            return Err(ConvertError::Layout(format!(
                "sheet `{sheet}` starts at {}, expected A1",
                cell_name(row as usize, col as usize)
            )))
        }
        None => return Err(ConvertError::Layout(format!("sheet `{sheet}` is empty"))),
    }
    let (height, found_width) = range.get_size();
    if found_width != width {
        return Err(ConvertError::Layout(format!(
            "sheet `{sheet}` has {found_width} columns, expected {width}"
        )));
    }
    if height < 2 {
        return Err(ConvertError::Layout(format!(
            "sheet `{sheet}` has no data rows below its header"
        )));
    }

    let mut out = String::with_capacity(height * width * 10 + header.len());
    out.push_str(header);
    out.push('\n');
    for (row, cells) in range.rows().enumerate() {
        if row == 0 {
            // The upstream header: text, replaced by ours.
            for (col, cell) in cells.iter().enumerate() {
                if !matches!(cell, Data::String(s) if !s.trim().is_empty()) {
                    return Err(ConvertError::Cell {
                        cell: cell_name(row, col),
                        reason: format!("expected the header's column name, found {cell:?}"),
                    });
                }
            }
            continue;
        }
        let mut first = true;
        for (col, cell) in cells.iter().enumerate() {
            let bad = |reason: String| ConvertError::Cell {
                cell: cell_name(row, col),
                reason,
            };
            let v = match cell {
                Data::Float(v) => *v,
                Data::Int(i) => *i as f64,
                other => return Err(bad(format!("expected a number, found {other:?}"))),
            };
            if !v.is_finite() {
                return Err(bad(format!("{v} is not a finite number")));
            }
            if drop_index && col == 0 {
                if v != row as f64 {
                    return Err(bad(format!(
                        "the index column should hold {row} here, found {v}"
                    )));
                }
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str(&format_number(v));
        }
        out.push('\n');
    }
    Ok(out.into_bytes())
}

/// A1-style name of the 0-based cell (`row`, `col`): `(0, 0)` → `A1`, `(16, 27)` → `AB17`.
#[cfg(feature = "convert")]
fn cell_name(row: usize, col: usize) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(b'A' + rem as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_scientific_pads_and_signs_the_exponent() {
        assert_eq!(r_scientific(0.0005), "5e-04");
        assert_eq!(r_scientific(0.0015), "1.5e-03");
        assert_eq!(r_scientific(1234.0), "1.234e+03");
        assert_eq!(r_scientific(-2.5e-100), "-2.5e-100");
        assert_eq!(format_number(-0.0005), "-5e-04");
        assert_eq!(format_number(-0.0), "-0");
        assert_eq!(format_number(f64::NAN), "NaN");
    }

    #[test]
    fn names_round_trip_through_serde_and_from_str() {
        for c in Converter::ALL {
            assert_eq!(c.name().parse::<Converter>().unwrap(), c);
            assert_eq!(c.to_string(), c.name());
            let toml = toml::to_string(&std::collections::BTreeMap::from([("c", c)])).unwrap();
            assert_eq!(toml.trim(), format!("c = \"{}\"", c.name()));
        }
        assert!(matches!(
            "xls".parse::<Converter>(),
            Err(DataError::Invalid { .. })
        ));
    }

    #[cfg(feature = "convert")]
    #[test]
    fn cell_names() {
        assert_eq!(cell_name(0, 0), "A1");
        assert_eq!(cell_name(16, 27), "AB17");
        assert_eq!(cell_name(2, 25), "Z3");
        assert_eq!(cell_name(0, 26), "AA1");
    }

    #[cfg(feature = "convert")]
    #[test]
    fn abalone_errors_name_the_line() {
        let ok = "M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,15";
        let cases = [
            (format!("{ok}\n{ok}\nM,1,2\n"), 3, "fields"),
            (format!("{ok}\nX,0.4,0.3,0.1,0.5,0.2,0.1,0.1,9\n"), 2, "Sex"),
            (
                format!("{ok}\nF,0.4,abc,0.1,0.5,0.2,0.1,0.1,9\n"),
                2,
                "Diameter",
            ),
            (
                format!("F,0.4,0.3,0.1,0.5,0.2,0.1,0.1,inf\n{ok}\n"),
                1,
                "finite",
            ),
            (format!("{ok}\n\n{ok}\n"), 2, "empty"),
            (String::new(), 1, "no data"),
        ];
        for (text, line, needle) in cases {
            match abalone_data_to_csv(text.as_bytes()) {
                Err(e @ ConvertError::Line { line: l, .. }) => {
                    assert_eq!(l, line, "{e}");
                    assert!(e.to_string().contains(needle), "{e}");
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
        let mut bytes = format!("{ok}\n{ok}\n").into_bytes();
        bytes[ok.len() + 3] = 0xff;
        assert!(matches!(
            abalone_data_to_csv(&bytes),
            Err(ConvertError::Line { line: 2, .. })
        ));
    }

    #[cfg(feature = "convert")]
    #[test]
    fn abalone_accepts_crlf_and_a_missing_final_newline() {
        let a = abalone_data_to_csv(b"I,0.075,0.055,0.01,0.002,0.001,0.0005,0.0015,1\r\n").unwrap();
        let b = abalone_data_to_csv(b"I,0.075,0.055,0.01,0.002,0.001,0.0005,0.0015,1").unwrap();
        assert_eq!(a, b);
        assert!(!a.contains(&b'\r'));
    }

    #[cfg(feature = "convert")]
    #[test]
    fn non_workbooks_are_workbook_errors() {
        for c in [Converter::ConcreteXls, Converter::RealEstateXlsx] {
            match c.convert(b"<html>moved</html>") {
                Err(ConvertError::Workbook(_)) => {}
                other => panic!("{c}: {other:?}"),
            }
        }
    }
}
