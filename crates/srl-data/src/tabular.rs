//! Tabular text files (CSV, TSV, whitespace-separated) into numeric arrays.
//!
//! Reading goes in two steps, so errors can name the file and the 1-based line:
//! 1. [`RawTable::read`] splits the text into rows of string fields: `\n` or `\r\n` line
//!    endings, an optional header line, a one-character delimiter or runs of whitespace,
//!    optional `"`-quoting (`""` inside a quoted field is a literal quote; a quoted field may
//!    not span lines). Blank lines and rows of empty fields only (`,,,`) are skipped. Every row must have as many fields as there
//!    are column names.
//! 2. [`RawTable::encode`] / [`RawTable::encode_with`] turn the fields into numbers: the
//!    target column becomes `targets`, nominal columns are one-hot encoded (categories sorted,
//!    recorded in [`TabularData::categories`]), all other columns are parsed as `f64`. A
//!    non-numeric or non-finite (NaN, ±inf) value is an error at its line.
//!
//! [`read_tabular`] does both with a manifest's [`Format`] and [`Columns`];
//! [`read_csv_with_target`] reads a user's headed CSV/TSV (`srl train --csv`).

use crate::manifest::{Columns, Format};
use crate::DataError;
use linfa::Dataset;
use ndarray::{Array1, Array2, Ix1};
use std::path::{Path, PathBuf};

/// A numeric table: inputs, target, and the names needed to interpret them.
#[derive(Debug, Clone, PartialEq)]
pub struct TabularData {
    /// Inputs, one row a sample; nominal columns expanded in place into one-hot columns.
    pub records: Array2<f64>,
    /// The target of each row.
    pub targets: Array1<f64>,
    /// Name of each column of `records`; a one-hot column is named `column=category`.
    pub feature_names: Vec<String>,
    /// Name of the target column.
    pub target_name: String,
    /// For each nominal column (file order), its categories in one-hot order (sorted).
    pub categories: Vec<(String, Vec<String>)>,
}

impl TabularData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The table as a linfa [`Dataset`] (records, targets, feature names), so linfa's
    /// preprocessing and models apply directly.
    ///
    /// Feature names are attached only when their count matches the number of columns
    /// (always true for tables made by this module).
    ///
    /// ```
    /// use srl_data::tabular::TabularData;
    /// let t = TabularData {
    ///     records: ndarray::array![[1.0, 2.0], [3.0, 4.0]],
    ///     targets: ndarray::array![0.5, 1.5],
    ///     feature_names: vec!["a".into(), "b".into()],
    ///     target_name: "y".into(),
    ///     categories: vec![],
    /// };
    /// let ds = t.to_linfa();
    /// assert_eq!(ds.feature_names(), vec!["a".to_string(), "b".to_string()]);
    /// assert_eq!(ds.targets().len(), 2);
    /// ```
    pub fn to_linfa(&self) -> Dataset<f64, f64, Ix1> {
        let ds = Dataset::new(self.records.clone(), self.targets.clone());
        if self.feature_names.len() == self.records.ncols() {
            ds.with_feature_names(self.feature_names.clone())
        } else {
            ds
        }
    }
}

/// Column delimiter of a text table; in configuration files a one-character string or
/// `"whitespace"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Delimiter {
    /// A single character (`,`, `\t`, `;`, …).
    Char(char),
    /// Runs of spaces and tabs; leading/trailing whitespace ignored.
    Whitespace,
}

impl TryFrom<String> for Delimiter {
    type Error = DataError;
    fn try_from(s: String) -> Result<Self, DataError> {
        Delimiter::parse(&s)
    }
}

impl From<Delimiter> for String {
    fn from(d: Delimiter) -> String {
        match d {
            Delimiter::Char(c) => c.to_string(),
            Delimiter::Whitespace => "whitespace".into(),
        }
    }
}

impl std::fmt::Display for Delimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Delimiter::Char('\t') => f.write_str("tab"),
            Delimiter::Char(c) => write!(f, "`{c}`"),
            Delimiter::Whitespace => f.write_str("whitespace"),
        }
    }
}

impl Delimiter {
    /// Parses a manifest's delimiter string: `"whitespace"`, or exactly one character.
    pub fn parse(s: &str) -> Result<Self, DataError> {
        match s {
            "whitespace" => return Ok(Delimiter::Whitespace),
            "tab" | "\\t" => return Ok(Delimiter::Char('\t')),
            _ => {}
        }
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c != '"' && c != '\n' && c != '\r' => Ok(Delimiter::Char(c)),
            _ => Err(DataError::invalid(
                "delimiter",
                format!("`{s}`: need one character (not a quote or newline) or `whitespace`"),
            )),
        }
    }
}

/// How to split a text table into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLayout {
    /// The field delimiter.
    pub delimiter: Delimiter,
    /// Whether the first non-blank line names the columns.
    pub header: bool,
    /// Whether fields may be enclosed in `"` (a quoted field may hold the delimiter, also
    /// spaces in a whitespace-delimited file).
    pub quoting: bool,
}

impl TextLayout {
    /// The layout of a manifest's [`Format::Delimited`]; other formats are not tabular text.
    pub fn from_format(format: &Format) -> Result<Self, DataError> {
        match format {
            Format::Delimited {
                delimiter,
                header,
                quoting,
                ..
            } => Ok(TextLayout {
                delimiter: Delimiter::parse(delimiter)?,
                header: *header,
                quoting: *quoting,
            }),
            other => Err(DataError::invalid(
                "format",
                format!("{other:?} is not a delimited text format"),
            )),
        }
    }
}

/// One data row: its 1-based line number and its fields (trimmed of surrounding spaces).
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// 1-based line number in the file.
    pub line: usize,
    /// The fields, one per column.
    pub fields: Vec<String>,
}

/// A text table split into string fields, before any numeric conversion.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    /// The file it came from (for error messages).
    pub path: PathBuf,
    /// Column names (from the header, or given).
    pub names: Vec<String>,
    /// Data rows.
    pub rows: Vec<RawRow>,
    /// Rows whose fields were all empty (`,,,,` as spreadsheet exports append), skipped like
    /// blank lines.
    pub skipped_empty_rows: usize,
}

impl RawTable {
    /// Reads and splits the file at `path`.
    ///
    /// `names` overrides the header (and is required when the file has none). Errors: I/O,
    /// invalid UTF-8, unterminated quote, a row whose field count differs from the number of
    /// columns ([`DataError::Parse`] with the line), no data rows ([`DataError::EmptyFile`]).
    pub fn read(
        path: &Path,
        layout: &TextLayout,
        names: Option<&[String]>,
    ) -> Result<Self, DataError> {
        let bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            DataError::Parse {
                path: path.to_path_buf(),
                line: upto.iter().filter(|&&b| b == b'\n').count() + 1,
                reason: "invalid UTF-8".into(),
            }
        })?;
        Self::parse_str(&text, path, layout, names)
    }

    /// Splits `text` as if read from `path` (see [`RawTable::read`]).
    ///
    /// ```
    /// use srl_data::tabular::{Delimiter, RawTable, TextLayout};
    /// let layout = TextLayout { delimiter: Delimiter::Char(','), header: true, quoting: true };
    /// let t = RawTable::parse_str("a,b\r\n1,\"x, y\"\r\n", "t.csv".as_ref(), &layout, None)
    ///     .unwrap();
    /// assert_eq!(t.names, vec!["a", "b"]);
    /// assert_eq!(t.rows[0].fields, vec!["1", "x, y"]);
    /// assert_eq!(t.rows[0].line, 2);
    /// ```
    pub fn parse_str(
        text: &str,
        path: &Path,
        layout: &TextLayout,
        names: Option<&[String]>,
    ) -> Result<Self, DataError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        let mut skipped_empty_rows = 0;
        for (i, raw_line) in text.split('\n').enumerate() {
            let line_no = i + 1;
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            if line.trim().is_empty() {
                continue;
            }
            let fields = split_fields(line, layout).map_err(|reason| DataError::Parse {
                path: path.to_path_buf(),
                line: line_no,
                reason,
            })?;
            if layout.header && header.is_none() {
                header = Some(fields);
            } else if fields.len() > 1 && fields.iter().all(|f| f.is_empty()) {
                skipped_empty_rows += 1;
            } else {
                rows.push(RawRow {
                    line: line_no,
                    fields,
                });
            }
        }
        let names: Vec<String> = match (names, header) {
            (Some(n), _) => n.to_vec(),
            (None, Some(h)) => h,
            (None, None) => {
                if !layout.header && !rows.is_empty() {
                    return Err(DataError::invalid(
                        "columns",
                        format!(
                            "{} has no header line; the column names must be given",
                            path.display()
                        ),
                    ));
                }
                Vec::new()
            }
        };
        if rows.is_empty() {
            return Err(DataError::EmptyFile {
                path: path.to_path_buf(),
            });
        }
        check_unique_names(&names, path)?;
        for row in &rows {
            if row.fields.len() != names.len() {
                return Err(DataError::Parse {
                    path: path.to_path_buf(),
                    line: row.line,
                    reason: format!(
                        "expected {} fields, found {}",
                        names.len(),
                        row.fields.len()
                    ),
                });
            }
        }
        Ok(RawTable {
            path: path.to_path_buf(),
            names,
            rows,
            skipped_empty_rows,
        })
    }

    /// Converts to numbers, fitting the category list of every nominal column on this table
    /// (sorted unique values).
    pub fn encode(&self, target: &str, nominal: &[String]) -> Result<TabularData, DataError> {
        let mut categories = Vec::with_capacity(nominal.len());
        for col in nominal {
            let j = self.column_index(col)?;
            let mut cats: Vec<String> = self.rows.iter().map(|r| r.fields[j].clone()).collect();
            cats.sort();
            cats.dedup();
            categories.push((col.clone(), cats));
        }
        self.encode_with(target, &categories)
    }

    /// Converts to numbers with given category lists (e.g. fitted on training data): a
    /// nominal value not in its list is a [`DataError::UnknownCategory`] at its line.
    ///
    /// Column order of `records`: file order without the target, each nominal column
    /// replaced by its one-hot columns in the order of its category list.
    pub fn encode_with(
        &self,
        target: &str,
        categories: &[(String, Vec<String>)],
    ) -> Result<TabularData, DataError> {
        let target_j = self.column_index(target)?;
        // Role of each file column: target, numeric, or nominal with an encoder.
        let mut encoders: Vec<Option<OneHotEncoder>> = vec![None; self.names.len()];
        for (col, cats) in categories {
            let j = self.column_index(col)?;
            if j == target_j {
                return Err(DataError::invalid(
                    "columns",
                    format!("target `{target}` cannot be nominal"),
                ));
            }
            encoders[j] = Some(OneHotEncoder::new(col.clone(), cats.clone())?);
        }
        let mut feature_names = Vec::new();
        for (j, name) in self.names.iter().enumerate() {
            if j == target_j {
                continue;
            }
            match &encoders[j] {
                Some(enc) => feature_names.extend(enc.feature_names()),
                None => feature_names.push(name.clone()),
            }
        }
        let n = self.rows.len();
        let d = feature_names.len();
        let mut records = Array2::<f64>::zeros((n, d));
        let mut targets = Array1::<f64>::zeros(n);
        for (i, row) in self.rows.iter().enumerate() {
            let mut k = 0;
            for (j, field) in row.fields.iter().enumerate() {
                if j == target_j {
                    targets[i] = self.number(field, row.line, &self.names[j], true)?;
                    continue;
                }
                match &encoders[j] {
                    Some(enc) => {
                        let hot =
                            enc.encode(field)
                                .map_err(|known| DataError::UnknownCategory {
                                    path: self.path.clone(),
                                    line: row.line,
                                    column: enc.column.clone(),
                                    value: field.clone(),
                                    known,
                                })?;
                        records[[i, k + hot]] = 1.0;
                        k += enc.categories.len();
                    }
                    None => {
                        records[[i, k]] = self.number(field, row.line, &self.names[j], false)?;
                        k += 1;
                    }
                }
            }
        }
        Ok(TabularData {
            records,
            targets,
            feature_names,
            target_name: target.to_string(),
            categories: categories.to_vec(),
        })
    }

    fn column_index(&self, name: &str) -> Result<usize, DataError> {
        self.names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| DataError::MissingColumn {
                path: self.path.clone(),
                column: name.to_string(),
                available: self.names.join(", "),
            })
    }

    fn number(
        &self,
        field: &str,
        line: usize,
        column: &str,
        is_target: bool,
    ) -> Result<f64, DataError> {
        let role = if is_target { "target" } else { "column" };
        let v: f64 = field.parse().map_err(|_| DataError::Parse {
            path: self.path.clone(),
            line,
            reason: format!("{role} `{column}`: `{field}` is not a number"),
        })?;
        if !v.is_finite() {
            return Err(DataError::Parse {
                path: self.path.clone(),
                line,
                reason: format!("{role} `{column}`: non-finite value `{field}`"),
            });
        }
        Ok(v)
    }
}

/// One-hot encoder of one nominal column with a fixed category list.
///
/// ```
/// use srl_data::tabular::OneHotEncoder;
/// let enc = OneHotEncoder::new("Sex".into(), vec!["F".into(), "I".into(), "M".into()]).unwrap();
/// assert_eq!(enc.encode("M"), Ok(2));
/// assert!(enc.encode("X").is_err());
/// assert_eq!(enc.feature_names(), vec!["Sex=F", "Sex=I", "Sex=M"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OneHotEncoder {
    /// The column name.
    pub column: String,
    /// Categories in one-hot order.
    pub categories: Vec<String>,
}

impl OneHotEncoder {
    /// An encoder with the given categories (must be non-empty and distinct).
    pub fn new(column: String, categories: Vec<String>) -> Result<Self, DataError> {
        if categories.is_empty() {
            return Err(DataError::invalid(
                "categories",
                format!("nominal column `{column}` has no categories"),
            ));
        }
        let mut sorted = categories.clone();
        sorted.sort();
        if sorted.windows(2).any(|w| w[0] == w[1]) {
            return Err(DataError::invalid(
                "categories",
                format!("nominal column `{column}` lists a category twice"),
            ));
        }
        Ok(Self { column, categories })
    }

    /// Index of the hot column for `value`; `Err(known categories joined)` when unknown.
    pub fn encode(&self, value: &str) -> Result<usize, String> {
        self.categories
            .iter()
            .position(|c| c == value)
            .ok_or_else(|| self.categories.join(", "))
    }

    /// Names of the one-hot columns, `column=category`.
    pub fn feature_names(&self) -> Vec<String> {
        self.categories
            .iter()
            .map(|c| format!("{}={}", self.column, c))
            .collect()
    }
}

/// Reads a tabular file described by a manifest's `format` and `columns`; nominal
/// categories are fitted on this file.
pub fn read_tabular(
    path: &Path,
    format: &Format,
    columns: &Columns,
) -> Result<TabularData, DataError> {
    let layout = TextLayout::from_format(format)?;
    RawTable::read(path, &layout, columns.names.as_deref())?
        .encode(&columns.target, &columns.nominal)
}

/// Reads a tabular file with category lists fitted elsewhere (e.g. on the training file):
/// an unseen nominal value is a [`DataError::UnknownCategory`].
pub fn read_tabular_with_categories(
    path: &Path,
    format: &Format,
    columns: &Columns,
    categories: &[(String, Vec<String>)],
) -> Result<TabularData, DataError> {
    let layout = TextLayout::from_format(format)?;
    RawTable::read(path, &layout, columns.names.as_deref())?
        .encode_with(&columns.target, categories)
}

/// Reads a user's CSV/TSV with a header line and the target column named `target`; all other
/// columns must be numeric. The delimiter is a tab if the header line contains one, else a
/// comma; `"`-quoted fields are allowed.
pub fn read_csv_with_target(path: &Path, target: &str) -> Result<TabularData, DataError> {
    read_csv_with_nominal(path, target, &[])
}

/// As [`read_csv_with_target`], with the given columns one-hot encoded.
pub fn read_csv_with_nominal(
    path: &Path,
    target: &str,
    nominal: &[String],
) -> Result<TabularData, DataError> {
    let layout = TextLayout {
        delimiter: sniff_delimiter(path)?,
        header: true,
        quoting: true,
    };
    RawTable::read(path, &layout, None)?.encode(target, nominal)
}

/// Tab if the first non-blank line contains a tab, else comma.
fn sniff_delimiter(path: &Path) -> Result<Delimiter, DataError> {
    let text = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    let first = text
        .split(|&b| b == b'\n')
        .find(|l| l.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or(&[]);
    Ok(if first.contains(&b'\t') {
        Delimiter::Char('\t')
    } else {
        Delimiter::Char(',')
    })
}

/// Number of non-blank lines [`sniff_layout`] looks at.
pub const SNIFF_LINES: usize = 50;

/// Guesses the delimiter and whether the first line is a header from the first
/// [`SNIFF_LINES`] non-blank lines of `text` (quoting is always on).
///
/// Delimiter: among `,` `;` tab `|` and runs of whitespace, those whose most common field count
/// over the sampled lines is ≥ 2 and covers at least 80 % of them (so one ragged or malformed
/// line does not hide the delimiter: the reader then reports that line); of these the one with
/// the most fields (ties: the order above). `None` when no candidate qualifies (one column, or
/// no line). Header: the first line is a header when none of its fields is a number while some
/// field of the second line is.
///
/// ```
/// use srl_data::tabular::{sniff_layout, Delimiter};
/// let l = sniff_layout("a;b;c\n1;2;x\n3;4;y\n").unwrap();
/// assert_eq!((l.delimiter, l.header), (Delimiter::Char(';'), true));
/// let l = sniff_layout("18.0   8 \t\"chevy malibu\"\n15.0 8\t\"buick\"\n").unwrap();
/// assert_eq!((l.delimiter, l.header), (Delimiter::Whitespace, false));
/// ```
pub fn sniff_layout(text: &str) -> Option<TextLayout> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
        .take(SNIFF_LINES)
        .collect();
    let candidates = [
        Delimiter::Char(','),
        Delimiter::Char(';'),
        Delimiter::Char('\t'),
        Delimiter::Char('|'),
        Delimiter::Whitespace,
    ];
    let mut best: Option<(Delimiter, usize)> = None;
    for d in candidates {
        let layout = TextLayout {
            delimiter: d,
            header: false,
            quoting: true,
        };
        let mut freq: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
        for l in &lines {
            if let Ok(f) = split_fields(l, &layout) {
                *freq.entry(f.len()).or_default() += 1;
            }
        }
        // The most common count (ties: the larger).
        let Some((&n, &hits)) = freq.iter().max_by_key(|&(n, hits)| (*hits, *n)) else {
            continue;
        };
        if n >= 2 && 5 * hits >= 4 * lines.len() && best.is_none_or(|(_, m)| n > m) {
            best = Some((d, n));
        }
    }
    let (delimiter, _) = best?;
    let mut layout = TextLayout {
        delimiter,
        header: false,
        quoting: true,
    };
    let field_rows: Vec<Vec<String>> = lines
        .iter()
        .take(2)
        .filter_map(|l| split_fields(l, &layout).ok())
        .collect();
    let is_number = |f: &String| f.trim().parse::<f64>().is_ok();
    layout.header = match field_rows.as_slice() {
        [first, second, ..] => !first.iter().any(is_number) && second.iter().any(is_number),
        [first] => !first.iter().any(is_number),
        [] => false,
    };
    Some(layout)
}

fn check_unique_names(names: &[String], path: &Path) -> Result<(), DataError> {
    for (j, n) in names.iter().enumerate() {
        if names[..j].contains(n) {
            return Err(DataError::invalid(
                "columns",
                format!("{}: column name `{n}` appears twice", path.display()),
            ));
        }
    }
    Ok(())
}

/// Splits one line (without its line ending) into trimmed fields under `layout`; the error
/// says what is malformed.
pub fn split_line(line: &str, layout: &TextLayout) -> Result<Vec<String>, String> {
    split_fields(line, layout)
}

/// Splits one line into trimmed fields.
fn split_fields(line: &str, layout: &TextLayout) -> Result<Vec<String>, String> {
    match layout.delimiter {
        Delimiter::Whitespace if !layout.quoting => {
            Ok(line.split_whitespace().map(str::to_string).collect())
        }
        Delimiter::Whitespace => split_whitespace_quoted(line),
        Delimiter::Char(d) if !layout.quoting => {
            Ok(line.split(d).map(|f| f.trim().to_string()).collect())
        }
        Delimiter::Char(d) => split_quoted(line, d),
    }
}

/// Split on runs of spaces and tabs, where `"…"` encloses a field that may contain them
/// (`""` inside is a quote), as in UCI's `auto-mpg.data`.
fn split_whitespace_quoted(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while matches!(chars.peek(), Some(c) if c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            return Ok(fields);
        };
        let mut field = String::new();
        if first == '"' {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            }
            match chars.peek() {
                None => {}
                Some(c) if c.is_whitespace() => {}
                Some(c) => return Err(format!("unexpected `{c}` after a closing quote")),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
    }
}

/// RFC-4180-style split of one line: `"…"` encloses a field, `""` inside is a quote.
fn split_quoted(line: &str, delim: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        // Skip leading spaces (not the delimiter itself, which may be a tab).
        while matches!(chars.peek(), Some(&c) if c == ' ' && c != delim) {
            chars.next();
        }
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                    None => return Err("unterminated quoted field".into()),
                }
            }
            // Only spaces may follow the closing quote before the delimiter.
            while matches!(chars.peek(), Some(&c) if c == ' ' && c != delim) {
                chars.next();
            }
            match chars.next() {
                None => {
                    fields.push(field);
                    return Ok(fields);
                }
                Some(c) if c == delim => fields.push(field),
                Some(c) => return Err(format!("unexpected `{c}` after a closing quote")),
            }
        } else {
            loop {
                match chars.next() {
                    None => {
                        fields.push(field.trim().to_string());
                        return Ok(fields);
                    }
                    Some(c) if c == delim => break,
                    Some(c) => field.push(c),
                }
            }
            fields.push(field.trim().to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(d: Delimiter, header: bool, quoting: bool) -> TextLayout {
        TextLayout {
            delimiter: d,
            header,
            quoting,
        }
    }

    #[test]
    fn quoted_split_handles_escapes_and_delimiters() {
        let f = split_quoted(r#"1,"a ""b"", c", x ,"""#, ',').unwrap();
        assert_eq!(f, vec!["1", r#"a "b", c"#, "x", ""]);
        assert!(split_quoted(r#"1,"abc"#, ',').is_err());
        assert!(split_quoted(r#""a"b,1"#, ',').is_err());
        assert_eq!(split_quoted("a\t\tb", '\t').unwrap(), vec!["a", "", "b"]);
    }

    #[test]
    fn whitespace_and_crlf() {
        let names: Vec<String> = vec!["x".into(), "y".into()];
        let t = RawTable::parse_str(
            "  1.5   2\r\n\r\n3\t4 \r\n",
            Path::new("w.txt"),
            &layout(Delimiter::Whitespace, false, false),
            Some(&names),
        )
        .unwrap();
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[1].line, 3);
        let d = t.encode("y", &[]).unwrap();
        assert_eq!(d.records, ndarray::array![[1.5], [3.0]]);
        assert_eq!(d.targets, ndarray::array![2.0, 4.0]);
    }

    #[test]
    fn one_hot_in_place_sorted() {
        let t = RawTable::parse_str(
            "a,c,y\n1,M,5\n2,F,6\n3,I,7\n",
            Path::new("t.csv"),
            &layout(Delimiter::Char(','), true, false),
            None,
        )
        .unwrap();
        let d = t.encode("y", &["c".to_string()]).unwrap();
        assert_eq!(d.feature_names, vec!["a", "c=F", "c=I", "c=M"]);
        assert_eq!(
            d.records,
            ndarray::array![[1., 0., 0., 1.], [2., 1., 0., 0.], [3., 0., 1., 0.]]
        );
        assert_eq!(
            d.categories,
            vec![("c".to_string(), vec!["F".into(), "I".into(), "M".into()])]
        );
    }

    #[test]
    fn no_header_without_names_is_an_error() {
        let r = RawTable::parse_str(
            "1,2\n",
            Path::new("t.csv"),
            &layout(Delimiter::Char(','), false, false),
            None,
        );
        assert!(matches!(r, Err(DataError::Invalid { .. })));
    }

    fn quote(field: &str) -> String {
        format!("\"{}\"", field.replace('"', "\"\""))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn numbers_round_trip_bit_exact(
            rows in proptest::collection::vec(
                proptest::collection::vec(-1e12f64..1e12, 3), 1..20)
        ) {
            let mut text = String::from("a,b,y\n");
            for r in &rows {
                text.push_str(&format!("{},{},{}\r\n", r[0], r[1], r[2]));
            }
            let t = RawTable::parse_str(&text, Path::new("p.csv"),
                &layout(Delimiter::Char(','), true, false), None).unwrap();
            let d = t.encode("y", &[]).unwrap();
            for (i, r) in rows.iter().enumerate() {
                proptest::prop_assert_eq!(d.records[[i, 0]].to_bits(), r[0].to_bits());
                proptest::prop_assert_eq!(d.records[[i, 1]].to_bits(), r[1].to_bits());
                proptest::prop_assert_eq!(d.targets[i].to_bits(), r[2].to_bits());
            }
        }

        #[test]
        fn quoted_fields_round_trip(fields in proptest::collection::vec("[a-z ,\"\t]{0,8}", 1..6)) {
            let line: Vec<String> = fields.iter().map(|f| quote(f)).collect();
            let split = split_quoted(&line.join(","), ',').unwrap();
            proptest::prop_assert_eq!(split, fields);
        }
    }

    #[test]
    fn bad_delimiter_strings() {
        assert!(Delimiter::parse(",,").is_err());
        assert!(Delimiter::parse("").is_err());
        assert_eq!(Delimiter::parse("\t").unwrap(), Delimiter::Char('\t'));
    }
}
