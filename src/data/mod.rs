//! Loading and validating a shop's tables (the data contract).
//!
//! A data directory holds up to five tables, each `NAME.csv` or `NAME.parquet`; only `orders` is
//! required. Files are parsed with polars, column names are remapped through `[columns.TABLE]`, and
//! every value is checked. Problems that make the data untrustworthy stop the run with an error naming
//! the file, row and column; row-level problems that a real export routinely has (order lines of
//! unknown customers, ratings out of range) are dropped with a warning while they stay below
//! `validation.max_bad_row_share`.
//!
//! Rows are numbered as a spreadsheet shows them: in a CSV file the header is row 1 and the first
//! data row is row 2; in a Parquet file the first record is row 1.

mod parse;

use std::collections::{HashMap, HashSet};
use std::io::Cursor;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::config::Config;
pub use parse::parse_timestamp;

/// Canonical columns per table: (name, required).
const CUSTOMERS: &[(&str, bool)] = &[
    ("customer_id", true),
    ("signup_date", false),
    ("country", false),
    ("city", false),
    ("gender", false),
    ("channel", false),
    ("age", false),
];
const ORDERS: &[(&str, bool)] = &[
    ("order_id", true),
    ("customer_id", true),
    ("order_date", true),
    ("product_id", true),
    ("unit_price", true),
    ("category", false),
    ("quantity", false),
    ("discount", false),
    ("returned", false),
];
const PRODUCTS: &[(&str, bool)] = &[
    ("product_id", true),
    ("name", false),
    ("category", false),
    ("brand", false),
    ("price", false),
];
const EVENTS: &[(&str, bool)] = &[
    ("customer_id", true),
    ("event_time", true),
    ("event_type", true),
    ("product_id", false),
    ("category", false),
    ("query", false),
];
const REVIEWS: &[(&str, bool)] = &[
    ("customer_id", true),
    ("text", true),
    ("product_id", false),
    ("review_date", false),
    ("rating", false),
];

fn spec(table: &str) -> Option<&'static [(&'static str, bool)]> {
    Some(match table {
        "customers" => CUSTOMERS,
        "orders" => ORDERS,
        "products" => PRODUCTS,
        "events" => EVENTS,
        "reviews" => REVIEWS,
        _ => return None,
    })
}

/// The canonical column names of a table, for config validation and help texts.
pub fn canonical_columns(table: &str) -> Option<Vec<&'static str>> {
    spec(table).map(|s| s.iter().map(|(n, _)| *n).collect())
}

/// Everything that can be wrong with the input data. Each variant says which file, and where there
/// is one, which row and column, and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("data directory {0} does not exist or is not a directory: pass --data DIR with your shop's tables")]
    NoDirectory(PathBuf),
    #[error("{dir}: no orders table (expected orders.csv or orders.parquet); orders is the one required table")]
    MissingOrders { dir: PathBuf },
    #[error("{first} and {second} both exist for table '{table}': keep one of them")]
    Ambiguous {
        table: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("cannot read {file}: {source}")]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{file} is empty: export the table again with a header row and data rows")]
    Empty { file: PathBuf },
    #[error("{file} has a header but no data rows: export the table again with its data")]
    HeaderOnly { file: PathBuf },
    #[error("{file}: column '{theirs}', named in seglens.toml as [columns.{table}] {canonical} = \"{theirs}\", is not in the file (found: {found}); fix the mapping")]
    MappedColumnMissing {
        file: PathBuf,
        table: String,
        canonical: String,
        theirs: String,
        found: String,
    },
    #[error("{file}, row {row}, column '{column}': bytes that are not valid UTF-8; re-save the file as UTF-8 (for example `iconv -f latin1 -t utf-8`)")]
    NotUtf8 {
        file: PathBuf,
        row: usize,
        column: String,
    },
    #[error("{file}: missing required column '{column}' (found: {found}); if your file names it differently, map it in seglens.toml: [columns.{table}] {column} = \"your_column\"{}", separator_hint(found))]
    MissingColumn {
        file: PathBuf,
        table: String,
        column: String,
        found: String,
    },
    #[error(transparent)]
    BadValue(Box<CellError>),
    #[error("{file}, rows {first_row} and {row}, column 'customer_id': duplicate customer id \"{id}\"; each customer must appear once in the customers table")]
    DuplicateCustomer {
        file: PathBuf,
        first_row: usize,
        row: usize,
        id: String,
    },
    #[error("{file} is not a readable Parquet file ({message}); it may be truncated or corrupt: export it again")]
    CorruptParquet { file: PathBuf, message: String },
    #[error("{file} cannot be parsed as CSV ({message}); check quoting and that every row has the header's number of fields")]
    Csv { file: PathBuf, message: String },
    #[error("{file}: {count} of {total} rows ({share:.2}%) {what}, more than the {max:.2}% allowed (validation.max_bad_row_share); fix the data or raise the threshold")]
    TooManyBadRows {
        file: PathBuf,
        what: String,
        count: usize,
        total: usize,
        share: f64,
        max: f64,
    },
    #[error("{file}, row {row}: {found} fields where the header has {expected}; check quoting (a comma inside a value must be in double quotes) and that no field is missing or extra")]
    RaggedRow {
        file: PathBuf,
        row: usize,
        found: usize,
        expected: usize,
    },
    #[error("{file}, row {row}: a quoted value opened here is never closed; add the closing double quote")]
    UnclosedQuote { file: PathBuf, row: usize },
    #[error("{file}: column '{column}' appears more than once in the header; rename or remove one of them")]
    DuplicateColumn { file: PathBuf, column: String },
    #[error("no order lines are dated before the as-of date {as_of}: choose a later --as-of")]
    NothingBefore { as_of: String },
    #[error("{file}: internal data error: {message}")]
    Polars { file: PathBuf, message: String },
}

/// A hint when the header looks like one column of another separator (';' or tab exports).
fn separator_hint(found: &str) -> &'static str {
    if !found.contains(", ") && (found.contains(';') || found.contains('\t')) {
        "; the header looks separated by ';' or tabs: seglens reads comma-separated files, so re-export with commas"
    } else {
        ""
    }
}

/// A cell that breaks the contract (boxed inside [`DataError`] to keep results small).
#[derive(Debug, thiserror::Error)]
#[error("{file}, row {row}, column '{column}': {problem} (value \"{value}\"); {hint}")]
pub struct CellError {
    pub file: PathBuf,
    pub row: usize,
    pub column: String,
    pub value: String,
    pub problem: String,
    pub hint: String,
}

/// The loaded, validated shop. Every frame uses canonical column names; timestamps are Int64 seconds
/// since the Unix epoch (UTC, naive local times taken as UTC).
#[derive(Debug, Clone)]
pub struct Shop {
    /// One row per customer: customer_id (String), signup_ts (Int64, nullable) and attribute columns.
    pub customers: DataFrame,
    /// Order lines: order_id, customer_id, ts, product_id, category, unit_price, quantity, discount,
    /// returned, plus extra columns.
    pub orders: DataFrame,
    pub products: Option<DataFrame>,
    /// customer_id, ts, event_type (lower case), product_id, category, query (nullable).
    pub events: Option<DataFrame>,
    /// customer_id, text, product_id, ts (nullable), rating (Float64, nullable).
    pub reviews: Option<DataFrame>,
    /// Whether customers came from a customers table (otherwise derived from the other tables).
    pub has_customer_table: bool,
    pub files: Vec<InputFile>,
    pub warnings: Vec<String>,
}

impl Shop {
    /// The customer ids in table order: the row order of every per-customer result.
    pub fn customer_ids(&self) -> PolarsResult<Vec<String>> {
        Ok(self
            .customers
            .column("customer_id")?
            .as_materialized_series()
            .str()?
            .into_iter()
            .map(|s| s.unwrap_or_default().to_string())
            .collect())
    }

    /// The shop as it was before `ts` (seconds): customers who signed up, and order lines, events
    /// and dated reviews from `ts` on are left out, so features "as of" a past date never see the
    /// future. Returns the shop and how many rows were left out.
    pub fn before(&self, ts: i64) -> PolarsResult<(Shop, usize)> {
        let cut = |df: &DataFrame| -> PolarsResult<DataFrame> {
            df.clone()
                .lazy()
                .filter(col("ts").lt(lit(ts)).or(col("ts").is_null()))
                .collect()
        };
        let orders = cut(&self.orders)?;
        let events = self.events.as_ref().map(cut).transpose()?;
        let reviews = self.reviews.as_ref().map(cut).transpose()?;
        // Customers who signed up on or after the date did not exist yet.
        let customers = self
            .customers
            .clone()
            .lazy()
            .filter(col("signup_ts").lt(lit(ts)).or(col("signup_ts").is_null()))
            .collect()?;
        let before = self.customers.height()
            + self.orders.height()
            + self.events.as_ref().map_or(0, DataFrame::height)
            + self.reviews.as_ref().map_or(0, DataFrame::height);
        let after = customers.height()
            + orders.height()
            + events.as_ref().map_or(0, DataFrame::height)
            + reviews.as_ref().map_or(0, DataFrame::height);
        Ok((
            Shop {
                customers,
                orders,
                events,
                reviews,
                ..self.clone()
            },
            before - after,
        ))
    }
}

/// An input file and its content hash, for `run.json`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InputFile {
    pub table: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub rows: usize,
}

/// Where a raw table came from, for error messages.
struct Source {
    table: &'static str,
    file: PathBuf,
    /// Added to a 0-based data row index to get the row number users see.
    row_offset: usize,
}

impl Source {
    fn row(&self, idx: usize) -> usize {
        idx + self.row_offset
    }

    fn polars(&self, e: PolarsError) -> DataError {
        DataError::Polars {
            file: self.file.clone(),
            message: e.to_string(),
        }
    }
}

/// Loads and validates every table present in `dir`.
pub fn load(dir: &Path, cfg: &Config) -> Result<Shop, DataError> {
    if !dir.is_dir() {
        return Err(DataError::NoDirectory(dir.to_path_buf()));
    }
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    let max_bad = cfg.validation.max_bad_row_share;

    let mut raw = HashMap::new();
    for table in crate::config::TABLES {
        if let Some(path) = find_table(dir, table)? {
            let (df, src, info) = read_raw(table, &path, cfg)?;
            files.push(info);
            raw.insert(table, (df, src));
        }
    }
    let Some((orders_raw, orders_src)) = raw.remove("orders") else {
        return Err(DataError::MissingOrders {
            dir: dir.to_path_buf(),
        });
    };

    let products = match raw.remove("products") {
        Some((df, src)) => Some(products_table(df, &src, &mut warnings)?),
        None => None,
    };
    let customers_in = match raw.remove("customers") {
        Some((df, src)) => Some(customers_table(df, &src)?),
        None => None,
    };
    let mut orders = orders_table(
        orders_raw,
        &orders_src,
        products.as_ref(),
        max_bad,
        &mut warnings,
    )?;
    let mut events = match raw.remove("events") {
        Some((df, src)) => Some((events_table(df, &src)?, src)),
        None => None,
    };
    let mut reviews = match raw.remove("reviews") {
        Some((df, src)) => Some((reviews_table(df, &src, max_bad, &mut warnings)?, src)),
        None => None,
    };

    let has_customer_table = customers_in.is_some();
    let customers = match customers_in {
        Some(c) => {
            let known: HashSet<String> = str_values(&c, "customer_id")
                .map_err(|e| orders_src.polars(e))?
                .into_iter()
                .flatten()
                .map(str::to_string)
                .collect();
            orders = drop_unknown(orders, &orders_src, &known, max_bad, &mut warnings)?;
            if let Some((df, src)) = events.take() {
                events = Some((drop_unknown(df, &src, &known, max_bad, &mut warnings)?, src));
            }
            if let Some((df, src)) = reviews.take() {
                reviews = Some((drop_unknown(df, &src, &known, max_bad, &mut warnings)?, src));
            }
            c
        }
        None => derive_customers(
            &orders,
            events.as_ref().map(|(d, _)| d),
            reviews.as_ref().map(|(d, _)| d),
        )
        .map_err(|e| orders_src.polars(e))?,
    };

    Ok(Shop {
        customers,
        orders,
        products,
        events: events.map(|(d, _)| d),
        reviews: reviews.map(|(d, _)| d),
        has_customer_table,
        files,
        warnings,
    })
}

/// Finds `TABLE.csv` or `TABLE.parquet` in `dir` (file names compared case-insensitively, as
/// exports from Windows tools often say `Orders.CSV`).
fn find_table(dir: &Path, table: &str) -> Result<Option<PathBuf>, DataError> {
    let io = |source| DataError::Io {
        file: dir.to_path_buf(),
        source,
    };
    let mut found: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if (name == format!("{table}.csv") || name == format!("{table}.parquet")) && path.is_file()
        {
            found.push(path);
        }
    }
    found.sort();
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(DataError::Ambiguous {
            table: table.into(),
            first: found[0].clone(),
            second: found[1].clone(),
        }),
    }
}

/// Reads a file into a frame (CSV: every column as String) and renames mapped columns.
fn read_raw(
    table: &'static str,
    path: &Path,
    cfg: &Config,
) -> Result<(DataFrame, Source, InputFile), DataError> {
    let io = |source| DataError::Io {
        file: path.to_path_buf(),
        source,
    };
    let bytes = std::fs::read(path).map_err(io)?;
    let sha256 = crate::util::sha256_hex(&bytes);
    let size = bytes.len() as u64;
    let is_parquet = path.extension().is_some_and(|e| e == "parquet");
    let src = Source {
        table,
        file: path.to_path_buf(),
        row_offset: if is_parquet { 1 } else { 2 },
    };
    let mut df = if is_parquet {
        read_parquet(bytes, &src)?
    } else {
        read_csv(bytes, &src)?
    };
    if df.height() == 0 {
        return Err(DataError::HeaderOnly {
            file: path.to_path_buf(),
        });
    }
    rename_columns(&mut df, &src, cfg)?;
    let info = InputFile {
        table: table.into(),
        path: path.to_path_buf(),
        bytes: size,
        sha256,
        rows: df.height(),
    };
    Ok((df, src, info))
}

fn read_parquet(bytes: Vec<u8>, src: &Source) -> Result<DataFrame, DataError> {
    if bytes.is_empty() {
        return Err(DataError::Empty {
            file: src.file.clone(),
        });
    }
    ParquetReader::new(Cursor::new(bytes))
        .finish()
        .map_err(|e| DataError::CorruptParquet {
            file: src.file.clone(),
            message: e.to_string(),
        })
}

fn read_csv(mut bytes: Vec<u8>, src: &Source) -> Result<DataFrame, DataError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(DataError::Empty {
            file: src.file.clone(),
        });
    }
    if let Err(e) = std::str::from_utf8(&bytes) {
        let (row, column) = locate_offset(&bytes, e.valid_up_to());
        return Err(DataError::NotUtf8 {
            file: src.file.clone(),
            row,
            column,
        });
    }
    let records = check_structure(&bytes, src)?;
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(false)
        .map_parse_options(|o| o.with_missing_is_null(true))
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| DataError::Csv {
            file: src.file.clone(),
            message: e.to_string().chars().take(300).collect(),
        })?;
    // Blank lines or rows of bare commas at the end of a file (editors and spreadsheets add them).
    Ok(if df.height() > records {
        df.slice(0, records)
    } else {
        df
    })
}

/// One pass over a CSV text that checks what polars would report without a row number: every row
/// has the header's number of fields, quotes are closed, header names are unique. Returns the
/// number of data rows up to the last non-empty one.
fn check_structure(bytes: &[u8], src: &Source) -> Result<usize, DataError> {
    let mut row = 1usize;
    let mut fields = 1usize;
    let mut content = false;
    let mut field_start = true;
    let mut in_quotes = false;
    let mut quote_row = 0usize;
    let mut expected = 0usize;
    let mut last_content_row = 1usize;
    let mut header_end = bytes.len();
    let mut i = 0;
    let mut end_row =
        |row: usize, fields: usize, content: bool, at: usize| -> Result<(), DataError> {
            if row == 1 {
                expected = fields;
                header_end = at;
            } else if content {
                if fields != expected {
                    return Err(DataError::RaggedRow {
                        file: src.file.clone(),
                        row,
                        found: fields,
                        expected,
                    });
                }
                last_content_row = row;
            }
            Ok(())
        };
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
            i += 1;
            continue;
        }
        match b {
            b'"' if field_start => {
                in_quotes = true;
                quote_row = row;
                content = true;
                field_start = false;
            }
            b',' => {
                fields += 1;
                field_start = true;
            }
            b'\n' => {
                end_row(row, fields, content, i)?;
                row += 1;
                fields = 1;
                content = false;
                field_start = true;
            }
            b'\r' => {}
            _ => {
                content = true;
                field_start = false;
            }
        }
        i += 1;
    }
    if in_quotes {
        return Err(DataError::UnclosedQuote {
            file: src.file.clone(),
            row: quote_row,
        });
    }
    if content || row == 1 {
        end_row(row, fields, content, bytes.len())?;
    }
    let mut seen = HashSet::new();
    for name in String::from_utf8_lossy(&bytes[..header_end.min(bytes.len())])
        .trim_end_matches('\r')
        .split(',')
    {
        let name = name.trim().trim_matches('"').trim();
        if !name.is_empty() && !seen.insert(name.to_string()) {
            return Err(DataError::DuplicateColumn {
                file: src.file.clone(),
                column: name.to_string(),
            });
        }
    }
    Ok(last_content_row.saturating_sub(1))
}

/// Row (header = 1) and column name of a byte offset in a CSV text, honouring quotes.
fn locate_offset(bytes: &[u8], offset: usize) -> (usize, String) {
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header: Vec<String> = String::from_utf8_lossy(&bytes[..header_end])
        .trim_end_matches('\r')
        .split(',')
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    let (mut row, mut field, mut quoted) = (1usize, 0usize, false);
    for &b in &bytes[..offset.min(bytes.len())] {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => field += 1,
            b'\n' if !quoted => {
                row += 1;
                field = 0;
            }
            _ => {}
        }
    }
    let column = header
        .get(field)
        .cloned()
        .unwrap_or_else(|| format!("#{}", field + 1));
    (row, column)
}

/// Largest quantity accepted on an order line.
const MAX_QUANTITY: f64 = 1e9;
/// Largest price x quantity accepted on an order line (beyond it, units are surely wrong).
const MAX_LINE_VALUE: f64 = 1e12;
/// 1970-01-01 and 2100-01-01 in epoch seconds: dates outside are typos such as 9999-12-31.
const TS_MIN: i64 = 0;
const TS_MAX: i64 = 4_102_444_800;

fn plausible_ts(t: i64) -> bool {
    (TS_MIN..TS_MAX).contains(&t)
}

/// Column names seglens adds to loaded tables; a user column with one of these names is kept as
/// `NAME_original` so it cannot collide.
const INTERNAL_COLUMNS: &[&str] = &["ts", "signup_ts", "segment", "gross", "net"];

/// Applies `[columns.TABLE]` in one step: trims header whitespace, renames the user's columns to
/// canonical names, and moves aside columns whose names are taken (a canonical name that is mapped
/// from another column, or an internal name) as `NAME_original`.
fn rename_columns(df: &mut DataFrame, src: &Source, cfg: &Config) -> Result<(), DataError> {
    let original: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.trim().to_string())
        .collect();
    let empty = std::collections::BTreeMap::new();
    let map = cfg.columns.get(src.table).unwrap_or(&empty);
    for (canonical, theirs) in map {
        if !original.iter().any(|c| c == theirs) {
            return Err(DataError::MappedColumnMissing {
                file: src.file.clone(),
                table: src.table.into(),
                canonical: canonical.clone(),
                theirs: theirs.clone(),
                found: original.join(", "),
            });
        }
    }
    let known = canonical_columns(src.table).unwrap_or_default();
    let renamed: Vec<String> = original
        .iter()
        .map(|name| {
            if let Some((canonical, _)) = map.iter().find(|(_, theirs)| *theirs == name) {
                canonical.clone()
            } else if map.contains_key(name)
                || (INTERNAL_COLUMNS.contains(&name.as_str()) && !known.contains(&name.as_str()))
            {
                format!("{name}_original")
            } else {
                name.clone()
            }
        })
        .collect();
    let mut seen = HashSet::new();
    for name in &renamed {
        if !seen.insert(name.as_str()) {
            return Err(DataError::DuplicateColumn {
                file: src.file.clone(),
                column: name.clone(),
            });
        }
    }
    df.set_column_names(renamed.iter().map(String::as_str))
        .map_err(|e| src.polars(e))?;
    for (name, required) in spec(src.table).unwrap_or(&[]) {
        if *required && !renamed.iter().any(|c| c == name) {
            return Err(DataError::MissingColumn {
                file: src.file.clone(),
                table: src.table.into(),
                column: (*name).into(),
                found: original.join(", "),
            });
        }
    }
    Ok(())
}

/// A column's values as optional strings (casting typed Parquet columns to text).
fn str_values<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<Vec<Option<&'a str>>> {
    let s = df.column(name)?.as_materialized_series();
    Ok(s.str()?.into_iter().collect())
}

fn as_string_series(df: &DataFrame, name: &str) -> PolarsResult<Series> {
    let s = df.column(name)?.as_materialized_series();
    if s.dtype() == &DataType::String {
        Ok(s.clone())
    } else {
        s.cast(&DataType::String)
    }
}

/// Value checks shared by the table builders.
struct Checker<'a> {
    df: &'a DataFrame,
    src: &'a Source,
}

impl<'a> Checker<'a> {
    fn has(&self, name: &str) -> bool {
        self.df
            .get_column_names()
            .iter()
            .any(|c| c.as_str() == name)
    }

    fn bad(&self, idx: usize, column: &str, value: &str, problem: &str, hint: &str) -> DataError {
        DataError::BadValue(Box::new(CellError {
            file: self.src.file.clone(),
            row: self.src.row(idx),
            column: column.into(),
            value: value.chars().take(80).collect(),
            problem: problem.into(),
            hint: hint.into(),
        }))
    }

    fn strings(&self, name: &str) -> Result<Series, DataError> {
        as_string_series(self.df, name).map_err(|e| self.src.polars(e))
    }

    /// Required identifiers: non-empty, trimmed. The column is reused as it is when nothing needs
    /// trimming (the usual case), so millions of ids are not copied.
    fn ids(&self, name: &str) -> Result<StringChunked, DataError> {
        let s = self.strings(name)?;
        let ca = s.str().map_err(|e| self.src.polars(e))?;
        let mut needs_trim = false;
        for (i, v) in ca.into_iter().enumerate() {
            let t = v.map(str::trim).unwrap_or("");
            if t.is_empty() {
                return Err(self.bad(
                    i,
                    name,
                    "",
                    "empty identifier",
                    "every row needs a value here",
                ));
            }
            needs_trim |= v.is_some_and(|v| v.len() != t.len());
        }
        let mut out = if needs_trim {
            StringChunked::from_iter_values(
                "".into(),
                ca.into_iter().map(|v| v.unwrap_or("").trim()),
            )
        } else {
            ca.clone()
        };
        out.rename(name.into());
        Ok(out)
    }

    /// Optional text, trimmed; empty becomes null.
    fn opt_text(&self, name: &str) -> Result<Option<StringChunked>, DataError> {
        if !self.has(name) {
            return Ok(None);
        }
        let s = self.strings(name)?;
        let ca = s.str().map_err(|e| self.src.polars(e))?;
        let clean = ca
            .into_iter()
            .all(|v| v.is_none_or(|v| !v.is_empty() && v.trim().len() == v.len()));
        let mut out = if clean {
            ca.clone()
        } else {
            StringChunked::from_iter_options(
                "".into(),
                ca.into_iter()
                    .map(|v| v.map(str::trim).filter(|t| !t.is_empty())),
            )
        };
        out.rename(name.into());
        Ok(Some(out))
    }

    /// Numbers; `min` is an inclusive lower bound. Empty cells are null unless `required`.
    fn numbers(
        &self,
        name: &str,
        required: bool,
        min: Option<f64>,
    ) -> Result<Option<Vec<Option<f64>>>, DataError> {
        if !self.has(name) {
            return Ok(None);
        }
        let col = self
            .df
            .column(name)
            .map_err(|e| self.src.polars(e))?
            .as_materialized_series();
        let values: Vec<Option<f64>> =
            if col.dtype().is_primitive_numeric() || matches!(col.dtype(), DataType::Decimal(..)) {
                let f = col
                    .cast(&DataType::Float64)
                    .map_err(|e| self.src.polars(e))?;
                let ca = f.f64().map_err(|e| self.src.polars(e))?;
                let mut out = Vec::with_capacity(ca.len());
                for (i, v) in ca.into_iter().enumerate() {
                    if let Some(x) = v {
                        if !x.is_finite() {
                            return Err(self.bad(
                                i,
                                name,
                                &x.to_string(),
                                "not a finite number",
                                "replace it with a number",
                            ));
                        }
                    }
                    out.push(v);
                }
                out
            } else {
                // polars parses the well-formed cells in bulk; the rest are checked one by one so the
                // first bad cell can be named.
                let s = self.strings(name)?;
                let ca = s.str().map_err(|e| self.src.polars(e))?;
                let fast = s.cast(&DataType::Float64).map_err(|e| self.src.polars(e))?;
                let fast = fast.f64().map_err(|e| self.src.polars(e))?;
                let mut out = Vec::with_capacity(ca.len());
                for (i, (v, f)) in ca.into_iter().zip(fast).enumerate() {
                    if let Some(x) = f.filter(|x| x.is_finite()) {
                        out.push(Some(x));
                        continue;
                    }
                    let t = v.map(str::trim).unwrap_or("");
                    if t.is_empty() {
                        out.push(None);
                        continue;
                    }
                    match parse::parse_number(t) {
                        Some(x) => out.push(Some(x)),
                        None => {
                            return Err(self.bad(
                                i,
                                name,
                                t,
                                "not a number",
                                "use digits with '.' as the decimal point, no currency symbols",
                            ))
                        }
                    }
                }
                out
            };
        for (i, v) in values.iter().enumerate() {
            match v {
                None if required => {
                    return Err(self.bad(
                        i,
                        name,
                        "",
                        "missing value",
                        "every row needs a number here",
                    ))
                }
                Some(x) if min.is_some_and(|m| *x < m) => {
                    return Err(self.bad(
                        i,
                        name,
                        &x.to_string(),
                        &format!("must be at least {}", min.unwrap_or_default()),
                        "negative values are not allowed here; fix or remove the row",
                    ))
                }
                _ => {}
            }
        }
        Ok(Some(values))
    }

    /// Timestamps (dates or datetimes) as epoch seconds.
    fn timestamps(
        &self,
        name: &str,
        required: bool,
    ) -> Result<Option<Vec<Option<i64>>>, DataError> {
        if !self.has(name) {
            return Ok(None);
        }
        if let Some(native) = self.native_timestamps(name)? {
            if required {
                if let Some(i) = native.iter().position(Option::is_none) {
                    return Err(self.bad(
                        i,
                        name,
                        "",
                        "missing date",
                        "every row needs a date here",
                    ));
                }
            }
            return Ok(Some(native));
        }
        let s = self.strings(name)?;
        let ca = s.str().map_err(|e| self.src.polars(e))?;
        let mut out = Vec::with_capacity(ca.len());
        for (i, v) in ca.into_iter().enumerate() {
            let t = v.map(str::trim).unwrap_or("");
            if t.is_empty() {
                if required {
                    return Err(self.bad(
                        i,
                        name,
                        "",
                        "missing date",
                        "every row needs a date here",
                    ));
                }
                out.push(None);
                continue;
            }
            match parse::parse_timestamp(t) {
                Some(ts) => out.push(Some(ts)),
                None => {
                    return Err(self.bad(
                        i,
                        name,
                        t,
                        "not a date",
                        "use an ISO date such as 2024-03-31 or 2024-03-31 14:05:00",
                    ))
                }
            }
        }
        Ok(Some(out))
    }

    /// Parquet Date and Datetime columns (any unit, with or without a time zone) read as epoch
    /// seconds directly; None for other types.
    fn native_timestamps(&self, name: &str) -> Result<Option<Vec<Option<i64>>>, DataError> {
        let col = self
            .df
            .column(name)
            .map_err(|e| self.src.polars(e))?
            .as_materialized_series();
        let per_second = match col.dtype() {
            DataType::Date => {
                let days = col
                    .to_physical_repr()
                    .cast(&DataType::Int64)
                    .map_err(|e| self.src.polars(e))?;
                let days = days.i64().map_err(|e| self.src.polars(e))?;
                return Ok(Some(
                    days.into_iter().map(|d| d.map(|d| d * 86_400)).collect(),
                ));
            }
            DataType::Datetime(TimeUnit::Nanoseconds, _) => 1_000_000_000,
            DataType::Datetime(TimeUnit::Microseconds, _) => 1_000_000,
            DataType::Datetime(TimeUnit::Milliseconds, _) => 1_000,
            _ => return Ok(None),
        };
        let raw = col
            .to_physical_repr()
            .cast(&DataType::Int64)
            .map_err(|e| self.src.polars(e))?;
        let raw = raw.i64().map_err(|e| self.src.polars(e))?;
        Ok(Some(
            raw.into_iter()
                .map(|t| t.map(|t| t.div_euclid(per_second)))
                .collect(),
        ))
    }

    fn bools(&self, name: &str) -> Result<Option<Vec<bool>>, DataError> {
        if !self.has(name) {
            return Ok(None);
        }
        let col = self
            .df
            .column(name)
            .map_err(|e| self.src.polars(e))?
            .as_materialized_series();
        if let Ok(b) = col.bool() {
            return Ok(Some(b.into_iter().map(|v| v.unwrap_or(false)).collect()));
        }
        let s = self.strings(name)?;
        let ca = s.str().map_err(|e| self.src.polars(e))?;
        let mut out = Vec::with_capacity(ca.len());
        for (i, v) in ca.into_iter().enumerate() {
            let t = v.map(str::trim).unwrap_or("");
            match parse::parse_bool(t) {
                Some(b) => out.push(b),
                None => {
                    return Err(self.bad(
                        i,
                        name,
                        t,
                        "not a true/false value",
                        "use true/false, yes/no or 1/0",
                    ))
                }
            }
        }
        Ok(Some(out))
    }

    /// Columns not in the contract, kept as attributes.
    fn extras(&self) -> Vec<Column> {
        let known: Vec<&str> = spec(self.src.table)
            .unwrap_or(&[])
            .iter()
            .map(|(n, _)| *n)
            .collect();
        self.df
            .get_columns()
            .iter()
            .filter(|c| !known.contains(&c.name().as_str()))
            .cloned()
            .collect()
    }
}

fn frame(src: &Source, columns: Vec<Column>) -> Result<DataFrame, DataError> {
    DataFrame::new(columns).map_err(|e| src.polars(e))
}

fn col_of(ca: StringChunked) -> Column {
    ca.into_series().into_column()
}

/// An optional text column, or an all-null one of `n` rows.
fn opt_str_col(name: &str, v: Option<StringChunked>, n: usize) -> Column {
    match v {
        Some(ca) => col_of(ca),
        None => Column::full_null(name.into(), n, &DataType::String),
    }
}

/// Lower-cases text without copying values that already are.
fn lowercase(ca: &StringChunked) -> StringChunked {
    if ca
        .into_iter()
        .flatten()
        .all(|v| !v.chars().any(char::is_uppercase))
    {
        return ca.clone();
    }
    let mut out = StringChunked::from_iter_options(
        "".into(),
        ca.into_iter().map(|v| v.map(str::to_lowercase)),
    );
    out.rename(ca.name().clone());
    out
}

fn products_table(
    df: DataFrame,
    src: &Source,
    warnings: &mut Vec<String>,
) -> Result<DataFrame, DataError> {
    let c = Checker { df: &df, src };
    let n = df.height();
    let ids = c.ids("product_id")?;
    let mut cols = vec![
        col_of(ids.clone()),
        opt_str_col("name", c.opt_text("name")?, n),
        opt_str_col("category", c.opt_text("category")?, n),
        opt_str_col("brand", c.opt_text("brand")?, n),
        Column::new(
            "price".into(),
            c.numbers("price", false, Some(0.0))?
                .unwrap_or_else(|| vec![None; n]),
        ),
    ];
    cols.extend(c.extras());
    let out = frame(src, cols)?;
    let mut seen = HashSet::with_capacity(n);
    let keep: Vec<bool> = ids
        .into_iter()
        .map(|id| seen.insert(id.unwrap_or_default()))
        .collect();
    let dups = keep.iter().filter(|k| !**k).count();
    if dups == 0 {
        return Ok(out);
    }
    warnings.push(format!(
        "{}: {dups} duplicate product ids; kept the first row of each",
        src.file.display()
    ));
    out.filter(&BooleanChunked::from_slice("keep".into(), &keep))
        .map_err(|e| src.polars(e))
}

fn customers_table(df: DataFrame, src: &Source) -> Result<DataFrame, DataError> {
    let c = Checker { df: &df, src };
    let n = df.height();
    let ids = c.ids("customer_id")?;
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(n);
    for (i, id) in ids.into_iter().enumerate() {
        let id = id.unwrap_or_default();
        if let Some(prev) = first.insert(id, i) {
            return Err(DataError::DuplicateCustomer {
                file: src.file.clone(),
                first_row: src.row(prev),
                row: src.row(i),
                id: id.to_string(),
            });
        }
    }
    let mut cols = vec![
        col_of(ids.clone()),
        Column::new(
            "signup_ts".into(),
            c.timestamps("signup_date", false)?
                .unwrap_or_else(|| vec![None; n]),
        ),
    ];
    for name in ["country", "city", "gender", "channel"] {
        if let Some(v) = c.opt_text(name)? {
            cols.push(col_of(v));
        }
    }
    if let Some(v) = c.numbers("age", false, Some(0.0))? {
        cols.push(Column::new("age".into(), v));
    }
    cols.extend(c.extras());
    frame(src, cols)
}

fn orders_table(
    df: DataFrame,
    src: &Source,
    products: Option<&DataFrame>,
    max_bad: f64,
    warnings: &mut Vec<String>,
) -> Result<DataFrame, DataError> {
    let c = Checker { df: &df, src };
    let n = df.height();
    let order_id = c.ids("order_id")?;
    let customer_id = c.ids("customer_id")?;
    let product_id = c.ids("product_id")?;
    let ts: Vec<i64> = c
        .timestamps("order_date", true)?
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.unwrap_or_default())
        .collect();
    let unit_price: Vec<f64> = c
        .numbers("unit_price", true, Some(0.0))?
        .unwrap_or_default()
        .into_iter()
        .map(|v| v.unwrap_or_default())
        .collect();
    let quantity: Vec<i64> = match c.numbers("quantity", false, None)? {
        None => vec![1; n],
        Some(q) => {
            let mut out = Vec::with_capacity(n);
            for (i, v) in q.into_iter().enumerate() {
                match v {
                    None => out.push(1),
                    Some(x) if (1.0..=MAX_QUANTITY).contains(&x) && x.fract() == 0.0 => {
                        out.push(x as i64)
                    }
                    Some(x) => {
                        return Err(c.bad(
                            i,
                            "quantity",
                            &x.to_string(),
                            "quantity must be a whole number from 1 to 1e9",
                            "fix the row, or remove it if it is a cancellation",
                        ))
                    }
                }
            }
            out
        }
    };
    let discount: Vec<f64> = c
        .numbers("discount", false, Some(0.0))?
        .map(|v| v.into_iter().map(|d| d.unwrap_or(0.0)).collect())
        .unwrap_or_else(|| vec![0.0; n]);
    let returned = c.bools("returned")?.unwrap_or_else(|| vec![false; n]);
    for i in 0..n {
        let gross = unit_price[i] * quantity[i] as f64;
        if !(gross.is_finite() && gross <= MAX_LINE_VALUE) {
            return Err(c.bad(
                i,
                "unit_price",
                &unit_price[i].to_string(),
                "price x quantity is implausibly large",
                "check the units of unit_price and quantity",
            ));
        }
    }
    // Lines whose discount exceeds their value, or dated outside 1970-2099, are row-level problems.
    let discount_ok: Vec<bool> = (0..n)
        .map(|i| discount[i] <= unit_price[i] * quantity[i] as f64 * (1.0 + 1e-9) + 0.005)
        .collect();
    let date_ok: Vec<bool> = ts.iter().map(|t| plausible_ts(*t)).collect();

    // Category: the order line's own, else the product's, else "unknown".
    let own = c.opt_text("category")?;
    let catalogue: HashMap<&str, &str> = match products {
        Some(p) => {
            let ids = str_values(p, "product_id").map_err(|e| src.polars(e))?;
            let cats = str_values(p, "category").map_err(|e| src.polars(e))?;
            ids.into_iter()
                .zip(cats)
                .filter_map(|(i, c)| Some((i?, c?)))
                .collect()
        }
        None => HashMap::new(),
    };
    let category: StringChunked = match (&own, catalogue.is_empty()) {
        // Every line has its own category: no per-row work beyond lower-casing.
        (Some(o), _) if o.null_count() == 0 => lowercase(o),
        _ => {
            let own_iter: Box<dyn Iterator<Item = Option<&str>>> = match &own {
                Some(o) => Box::new(o.into_iter()),
                None => Box::new(std::iter::repeat(None)),
            };
            lowercase(&StringChunked::from_iter_values(
                "category".into(),
                own_iter.zip(&product_id).map(|(o, p)| {
                    o.or_else(|| catalogue.get(p.unwrap_or_default()).copied())
                        .unwrap_or("unknown")
                }),
            ))
        }
    };
    let mut category = category;
    category.rename("category".into());

    let mut cols = vec![
        col_of(order_id),
        col_of(customer_id),
        Column::new("ts".into(), ts.clone()),
        col_of(product_id),
        col_of(category),
        Column::new("unit_price".into(), unit_price),
        Column::new("quantity".into(), quantity),
        Column::new("discount".into(), discount),
        Column::new("returned".into(), returned),
    ];
    cols.extend(c.extras());
    let out = frame(src, cols)?;
    let out = filter_bad(
        out,
        src,
        &discount_ok,
        "have a discount larger than the line's value (unit_price x quantity)",
        max_bad,
        warnings,
    )?;
    let date_ok: Vec<bool> = (0..n)
        .filter(|&i| discount_ok[i])
        .map(|i| date_ok[i])
        .collect();
    filter_bad(
        out,
        src,
        &date_ok,
        "have an order_date before 1970 or after 2099",
        max_bad,
        warnings,
    )
}

fn events_table(df: DataFrame, src: &Source) -> Result<DataFrame, DataError> {
    let c = Checker { df: &df, src };
    let n = df.height();
    let customer_id = c.ids("customer_id")?;
    let ts: Vec<i64> = c
        .timestamps("event_time", true)?
        .unwrap_or_default()
        .into_iter()
        .map(|t| t.unwrap_or_default())
        .collect();
    let event_type = lowercase(&c.ids("event_type")?);
    let mut cols = vec![
        col_of(customer_id),
        Column::new("ts".into(), ts),
        col_of(event_type),
        opt_str_col("product_id", c.opt_text("product_id")?, n),
        opt_str_col(
            "category",
            c.opt_text("category")?.map(|v| lowercase(&v)),
            n,
        ),
        opt_str_col("query", c.opt_text("query")?, n),
    ];
    cols.extend(c.extras());
    frame(src, cols)
}

fn reviews_table(
    df: DataFrame,
    src: &Source,
    max_bad: f64,
    warnings: &mut Vec<String>,
) -> Result<DataFrame, DataError> {
    let c = Checker { df: &df, src };
    let n = df.height();
    let customer_id = c.ids("customer_id")?;
    let text = opt_str_col("text", c.opt_text("text")?, n);
    let rating = c.numbers("rating", false, None)?;
    let ts = c
        .timestamps("review_date", false)?
        .unwrap_or_else(|| vec![None; n]);
    let mut cols = vec![
        col_of(customer_id),
        text,
        opt_str_col("product_id", c.opt_text("product_id")?, n),
        Column::new("ts".into(), ts),
        Column::new(
            "rating".into(),
            rating.clone().unwrap_or_else(|| vec![None; n]),
        ),
    ];
    cols.extend(c.extras());
    let out = frame(src, cols)?;
    let Some(rating) = rating else {
        return Ok(out);
    };
    let keep: Vec<bool> = rating
        .iter()
        .map(|r| r.is_none_or(|x| (1.0..=5.0).contains(&x)))
        .collect();
    filter_bad(
        out,
        src,
        &keep,
        "have a rating outside 1-5",
        max_bad,
        warnings,
    )
}

/// Drops rows flagged false in `keep`, with a warning, or fails when too many are bad.
fn filter_bad(
    df: DataFrame,
    src: &Source,
    keep: &[bool],
    what: &str,
    max_bad: f64,
    warnings: &mut Vec<String>,
) -> Result<DataFrame, DataError> {
    let bad = keep.iter().filter(|k| !**k).count();
    if bad == 0 {
        return Ok(df);
    }
    let total = keep.len();
    let share = bad as f64 / total.max(1) as f64;
    if share > max_bad {
        return Err(DataError::TooManyBadRows {
            file: src.file.clone(),
            what: what.into(),
            count: bad,
            total,
            share: share * 100.0,
            max: max_bad * 100.0,
        });
    }
    let first = keep.iter().position(|k| !*k).unwrap_or(0);
    warnings.push(format!(
        "{}: dropped {bad} of {total} rows that {what} (first at row {})",
        src.file.display(),
        src.row(first)
    ));
    df.filter(&BooleanChunked::from_slice("keep".into(), keep))
        .map_err(|e| src.polars(e))
}

fn drop_unknown(
    df: DataFrame,
    src: &Source,
    known: &HashSet<String>,
    max_bad: f64,
    warnings: &mut Vec<String>,
) -> Result<DataFrame, DataError> {
    let keep: Vec<bool> = str_values(&df, "customer_id")
        .map_err(|e| src.polars(e))?
        .into_iter()
        .map(|id| id.is_some_and(|id| known.contains(id)))
        .collect();
    filter_bad(
        df,
        src,
        &keep,
        "name a customer_id missing from the customers table",
        max_bad,
        warnings,
    )
}

/// Without a customers table, every id seen in orders, events or reviews is a customer.
fn derive_customers(
    orders: &DataFrame,
    events: Option<&DataFrame>,
    reviews: Option<&DataFrame>,
) -> PolarsResult<DataFrame> {
    let mut ids: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for df in std::iter::once(orders).chain(events).chain(reviews) {
        for id in str_values(df, "customer_id")?.into_iter().flatten() {
            if seen.insert(id) {
                ids.push(id.to_string());
            }
        }
    }
    ids.sort_unstable();
    let n = ids.len();
    DataFrame::new(vec![
        Column::new("customer_id".into(), ids),
        Column::new("signup_ts".into(), vec![None::<i64>; n]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_offset_counts_rows_and_fields_outside_quotes() {
        let text = b"a,b,c\n1,\"x,\ny\",3\n4,5,\xff";
        let off = text.iter().position(|&b| b == 0xff).unwrap();
        let (row, col) = locate_offset(text, off);
        assert_eq!(row, 3);
        assert_eq!(col, "c");
    }
}
