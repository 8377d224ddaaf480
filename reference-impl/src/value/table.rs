//! Tables and series ([canonical.dataframe], [canonical.column],
//! [canonical.series]): column types from the closed list of
//! `spec/src/dataframe.md`, cells kept by type, and their canonical form.

use serde_json::{Map, Value as JsonValue};

use super::{TypedJson, canonical_members, from_hex, hex_u64, to_hex};
use crate::error::{Code, Error, Result};
use crate::limits::MAX_SAFE_INTEGER;

/// A time unit of a timestamp or a duration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeUnit {
    /// Seconds.
    Second,
    /// Milliseconds.
    Millisecond,
    /// Microseconds.
    Microsecond,
    /// Nanoseconds.
    Nanosecond,
}

impl TimeUnit {
    /// `"s"`, `"ms"`, `"us"` or `"ns"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Second => "s",
            TimeUnit::Millisecond => "ms",
            TimeUnit::Microsecond => "us",
            TimeUnit::Nanosecond => "ns",
        }
    }

    fn parse(s: &str) -> Option<TimeUnit> {
        Some(match s {
            "s" => TimeUnit::Second,
            "ms" => TimeUnit::Millisecond,
            "us" => TimeUnit::Microsecond,
            "ns" => TimeUnit::Nanosecond,
            _ => return None,
        })
    }
}

/// An integer type: its width in bits (8, 16, 32, 64) and signedness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IntType {
    /// 8, 16, 32 or 64.
    pub bits: u8,
    /// Whether the type is signed.
    pub signed: bool,
}

impl IntType {
    /// `"int8"` … `"uint64"`.
    pub fn name(self) -> String {
        format!("{}int{}", if self.signed { "" } else { "u" }, self.bits)
    }

    fn parse(s: &str) -> Option<IntType> {
        let (signed, rest) = match s.strip_prefix('u') {
            Some(r) => (false, r),
            None => (true, s),
        };
        let bits = match rest {
            "int8" => 8,
            "int16" => 16,
            "int32" => 32,
            "int64" => 64,
            _ => return None,
        };
        Some(IntType { bits, signed })
    }

    /// The least and greatest value of the type.
    pub fn range(self) -> (i128, i128) {
        let b = u32::from(self.bits);
        if self.signed { (-(1i128 << (b - 1)), (1i128 << (b - 1)) - 1) } else { (0, (1i128 << b) - 1) }
    }
}

/// A column's type: one row of the column-type table of
/// `spec/src/dataframe.md` ([dataframe.column-types]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// `bool`
    Bool,
    /// `int8` … `uint64`
    Int(IntType),
    /// `float16`, `float32`, `float64`: the width in bits.
    Float(u8),
    /// `string` (Utf8 or LargeUtf8)
    String,
    /// `binary` (Binary or LargeBinary)
    Binary,
    /// `date32`: days since the epoch.
    Date32,
    /// A timestamp with its unit and timezone as written (never empty: an
    /// empty timezone is none).
    Timestamp(TimeUnit, Option<String>),
    /// A duration with its unit.
    Duration(TimeUnit),
    /// `null`: every value is null.
    Null,
    /// Dictionary-encoded: the index type, whether ordered, and the values'
    /// type (never a dictionary, never null).
    Dictionary {
        /// The codes' integer type.
        index: IntType,
        /// The encoding's `isOrdered`.
        ordered: bool,
        /// The type of the dictionary's entries.
        values: Box<ColumnType>,
    },
}

impl ColumnType {
    /// The `type` object of the canonical value.
    pub fn to_canonical(&self) -> JsonValue {
        let mut m = Map::new();
        let id = match self {
            ColumnType::Bool => "bool".to_string(),
            ColumnType::Int(t) => t.name(),
            ColumnType::Float(b) => format!("float{b}"),
            ColumnType::String => "string".into(),
            ColumnType::Binary => "binary".into(),
            ColumnType::Date32 => "date32".into(),
            ColumnType::Timestamp(u, tz) => {
                m.insert("unit".into(), u.as_str().into());
                m.insert("tz".into(), tz.as_deref().map_or(JsonValue::Null, JsonValue::from));
                "timestamp".into()
            }
            ColumnType::Duration(u) => {
                m.insert("unit".into(), u.as_str().into());
                "duration".into()
            }
            ColumnType::Null => "null".into(),
            ColumnType::Dictionary { index, ordered, values } => {
                m.insert("index".into(), index.name().into());
                m.insert("ordered".into(), (*ordered).into());
                m.insert("values".into(), values.to_canonical());
                "dictionary".into()
            }
        };
        m.insert("id".into(), id.into());
        JsonValue::Object(m)
    }

    /// Reads a `type` object; a type outside the list is `E_COLUMN_TYPE`.
    pub fn from_canonical(v: &JsonValue) -> Result<ColumnType> {
        let clause = "canonical.column";
        let field = |why: String| Error::new(Code::FieldType, clause, why);
        let unknown = |why: String| Error::new(Code::ColumnType, "dataframe.column-types", why);
        let m = v.as_object().ok_or_else(|| field(format!("a column type is an object, not {v}")))?;
        let id = m.get("id").and_then(JsonValue::as_str).ok_or_else(|| field(format!("type {v} has no string id")))?;
        let only = |names: &[&str]| match m.keys().find(|k| !names.contains(&k.as_str())) {
            Some(k) => Err(field(format!("member {k:?} is not allowed in a {id} type"))),
            None => Ok(()),
        };
        let unit = || {
            let u = m.get("unit").and_then(JsonValue::as_str).ok_or_else(|| field(format!("a {id} type has a string unit")))?;
            TimeUnit::parse(u).ok_or_else(|| unknown(format!("unit {u:?} is not s, ms, us or ns")))
        };
        let t = match id {
            "bool" => ColumnType::Bool,
            "float16" => ColumnType::Float(16),
            "float32" => ColumnType::Float(32),
            "float64" => ColumnType::Float(64),
            "string" => ColumnType::String,
            "binary" => ColumnType::Binary,
            "date32" => ColumnType::Date32,
            "null" => ColumnType::Null,
            "timestamp" => {
                only(&["id", "unit", "tz"])?;
                let tz = match m.get("tz") {
                    Some(JsonValue::Null) => None,
                    Some(JsonValue::String(s)) if s.is_empty() => {
                        return Err(unknown("a timestamp type's tz is never \"\": an empty timezone is none (null)".into()));
                    }
                    Some(JsonValue::String(s)) => Some(s.clone()),
                    _ => return Err(field("a timestamp type's tz is a string or null".into())),
                };
                return Ok(ColumnType::Timestamp(unit()?, tz));
            }
            "duration" => {
                only(&["id", "unit"])?;
                return Ok(ColumnType::Duration(unit()?));
            }
            "dictionary" => {
                only(&["id", "index", "ordered", "values"])?;
                let index = m.get("index").and_then(JsonValue::as_str).ok_or_else(|| field("a dictionary type's index is a string".into()))?;
                let index = IntType::parse(index).ok_or_else(|| unknown(format!("dictionary index {index:?} is not int8 … uint64")))?;
                let ordered = m.get("ordered").and_then(JsonValue::as_bool).ok_or_else(|| field("a dictionary type's ordered is a boolean".into()))?;
                let values = ColumnType::from_canonical(m.get("values").ok_or_else(|| field("a dictionary type has values".into()))?)?;
                if matches!(values, ColumnType::Dictionary { .. } | ColumnType::Null) {
                    return Err(unknown("a dictionary's values are neither a dictionary nor null".into()));
                }
                return Ok(ColumnType::Dictionary { index, ordered, values: Box::new(values) });
            }
            other => match IntType::parse(other) {
                Some(t) => ColumnType::Int(t),
                None => return Err(unknown(format!("type id {other:?} is not in the column-type table"))),
            },
        };
        only(&["id"])?;
        Ok(t)
    }

    /// The type of the cells a column of this type holds: a dictionary's
    /// codes are integers of its index type.
    pub fn cell_type(&self) -> ColumnType {
        match self {
            ColumnType::Dictionary { index, .. } => ColumnType::Int(*index),
            t => t.clone(),
        }
    }
}

/// A column's values, kept by type; `None` is a null.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cells {
    /// A `null` column of this many rows.
    Null(u64),
    /// `bool`
    Bool(Vec<Option<bool>>),
    /// Signed integers, `date32`, timestamps, durations, and dictionary codes
    /// of a signed index type.
    Int(Vec<Option<i64>>),
    /// Unsigned integers, and dictionary codes of an unsigned index type.
    UInt(Vec<Option<u64>>),
    /// Floats, by their bits (the low 16 or 32 for float16 and float32).
    Float(Vec<Option<u64>>),
    /// `string`
    Str(Vec<Option<String>>),
    /// `binary`
    Bin(Vec<Option<Vec<u8>>>),
}

impl Cells {
    /// The number of values.
    pub fn len(&self) -> u64 {
        match self {
            Cells::Null(n) => *n,
            Cells::Bool(v) => v.len() as u64,
            Cells::Int(v) => v.len() as u64,
            Cells::UInt(v) | Cells::Float(v) => v.len() as u64,
            Cells::Str(v) => v.len() as u64,
            Cells::Bin(v) => v.len() as u64,
        }
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of null values.
    pub fn null_count(&self) -> u64 {
        fn n<T>(v: &[Option<T>]) -> u64 {
            v.iter().filter(|c| c.is_none()).count() as u64
        }
        match self {
            Cells::Null(k) => *k,
            Cells::Bool(v) => n(v),
            Cells::Int(v) => n(v),
            Cells::UInt(v) | Cells::Float(v) => n(v),
            Cells::Str(v) => n(v),
            Cells::Bin(v) => n(v),
        }
    }

    /// Empty cells for values of `t` (a dictionary's: its codes').
    pub(crate) fn empty(t: &ColumnType) -> Cells {
        match t.cell_type() {
            ColumnType::Null => Cells::Null(0),
            ColumnType::Bool => Cells::Bool(Vec::new()),
            ColumnType::Int(IntType { signed: false, .. }) => Cells::UInt(Vec::new()),
            ColumnType::Int(_) | ColumnType::Date32 | ColumnType::Timestamp(..) | ColumnType::Duration(_) => Cells::Int(Vec::new()),
            ColumnType::Float(_) => Cells::Float(Vec::new()),
            ColumnType::String => Cells::Str(Vec::new()),
            ColumnType::Binary | ColumnType::Dictionary { .. } => Cells::Bin(Vec::new()),
        }
    }

    /// Appends `other` (cells of the same type).
    pub(crate) fn extend(&mut self, other: Cells) {
        /// `b` after `a`; `b` itself when `a` is empty (the one batch of a
        /// series, the first of a table), so that its cells are not copied
        /// while both are held.
        fn join<T>(a: &mut Vec<T>, b: Vec<T>) {
            if a.is_empty() {
                *a = b;
            } else {
                a.extend(b);
            }
        }
        match (self, other) {
            (Cells::Null(a), Cells::Null(b)) => *a += b,
            (Cells::Bool(a), Cells::Bool(b)) => join(a, b),
            (Cells::Int(a), Cells::Int(b)) => join(a, b),
            (Cells::UInt(a), Cells::UInt(b)) | (Cells::Float(a), Cells::Float(b)) => join(a, b),
            (Cells::Str(a), Cells::Str(b)) => join(a, b),
            (Cells::Bin(a), Cells::Bin(b)) => join(a, b),
            _ => {}
        }
    }

    /// The canonical leaves; `t` is the cells' type (for a float's width).
    pub(crate) fn to_canonical(&self, t: &ColumnType) -> JsonValue {
        let digits = match t {
            ColumnType::Float(b) => usize::from(*b) / 4,
            _ => 16,
        };
        fn map<T>(v: &[Option<T>], f: impl Fn(&T) -> JsonValue) -> JsonValue {
            v.iter().map(|c| c.as_ref().map_or(JsonValue::Null, &f)).collect()
        }
        match self {
            Cells::Null(n) => JsonValue::Array(vec![JsonValue::Null; usize::try_from(*n).unwrap_or(0)]),
            Cells::Bool(v) => map(v, |b| (*b).into()),
            Cells::Int(v) => map(v, |i| i.to_string().into()),
            Cells::UInt(v) => map(v, |i| i.to_string().into()),
            Cells::Float(v) => map(v, |b| hex_u64(*b, digits).into()),
            Cells::Str(v) => map(v, |s| s.as_str().into()),
            Cells::Bin(v) => map(v, |b| to_hex(b).into()),
        }
    }

    /// Reads canonical leaves of cell type `t`; a leaf not of the type's form
    /// is `E_VALUE_DOMAIN` under `clause`.
    pub(crate) fn from_canonical(v: &JsonValue, t: &ColumnType, clause: &'static str) -> Result<Cells> {
        let items = v
            .as_array()
            .ok_or_else(|| Error::new(Code::FieldType, "canonical.column", "values must be an array"))?;
        let bad = |i: usize, why: &str| Error::new(Code::ValueDomain, clause, format!("value {i} ({}) is not {why}", items[i]));
        fn each<T>(items: &[JsonValue], f: impl Fn(usize, &JsonValue) -> Result<T>) -> Result<Vec<Option<T>>> {
            items.iter().enumerate().map(|(i, x)| if x.is_null() { Ok(None) } else { f(i, x).map(Some) }).collect()
        }
        let int = |i: usize, x: &JsonValue, lo: i128, hi: i128| -> Result<i128> {
            let s = x.as_str().ok_or_else(|| bad(i, "an integer in a decimal string"))?;
            parse_decimal(s).filter(|n| (lo..=hi).contains(n)).ok_or_else(|| bad(i, "an integer of the column's type, in canonical decimal"))
        };
        Ok(match t.cell_type() {
            ColumnType::Null => {
                if let Some(i) = items.iter().position(|x| !x.is_null()) {
                    return Err(bad(i, "null, the only value of a null column"));
                }
                Cells::Null(items.len() as u64)
            }
            ColumnType::Bool => Cells::Bool(each(items, |i, x| x.as_bool().ok_or_else(|| bad(i, "true or false")))?),
            ColumnType::Int(it) if !it.signed => {
                let (lo, hi) = it.range();
                Cells::UInt(each(items, |i, x| int(i, x, lo, hi).map(|n| n as u64))?)
            }
            ColumnType::Int(it) => {
                let (lo, hi) = it.range();
                Cells::Int(each(items, |i, x| int(i, x, lo, hi).map(|n| n as i64))?)
            }
            ColumnType::Date32 => Cells::Int(each(items, |i, x| int(i, x, i32::MIN.into(), i32::MAX.into()).map(|n| n as i64))?),
            ColumnType::Timestamp(..) | ColumnType::Duration(_) => {
                Cells::Int(each(items, |i, x| int(i, x, i64::MIN.into(), i64::MAX.into()).map(|n| n as i64))?)
            }
            ColumnType::Float(b) => {
                let digits = usize::from(b) / 4;
                Cells::Float(each(items, |i, x| {
                    x.as_str()
                        .filter(|s| s.len() == digits && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')))
                        .and_then(|s| u64::from_str_radix(s, 16).ok())
                        .ok_or_else(|| bad(i, &format!("{digits} lowercase hex digits")))
                })?)
            }
            ColumnType::String => Cells::Str(each(items, |i, x| x.as_str().map(str::to_string).ok_or_else(|| bad(i, "a string")))?),
            ColumnType::Binary | ColumnType::Dictionary { .. } => {
                Cells::Bin(each(items, |i, x| x.as_str().and_then(from_hex).ok_or_else(|| bad(i, "lowercase hex digit pairs")))?)
            }
        })
    }

    /// The codes of a dictionary column, widened; `None` for a null.
    pub(crate) fn codes(&self) -> Vec<Option<i128>> {
        match self {
            Cells::Int(v) => v.iter().map(|c| c.map(i128::from)).collect(),
            Cells::UInt(v) => v.iter().map(|c| c.map(i128::from)).collect(),
            _ => Vec::new(),
        }
    }
}

/// A canonical decimal integer: no `+`, no leading zeros, no `-0`.
fn parse_decimal(s: &str) -> Option<i128> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = !digits.is_empty()
        && digits.len() <= 20
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && s != "-0";
    if canonical { s.parse().ok() } else { None }
}

/// One column: its name, type, values and, for a dictionary, the dictionary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The name: always a string for a table's column; `None` for an
    /// unnamed index column.
    pub name: Option<String>,
    /// The column's type.
    pub ty: ColumnType,
    /// One cell per row (a dictionary column's: its codes).
    pub cells: Cells,
    /// A dictionary column's entries, never null; `None` for other types.
    pub dictionary: Option<Cells>,
}

impl Column {
    /// The column value's members besides `name`: `type`, `values`, `dictionary`.
    fn members(&self, m: &mut Map<String, JsonValue>) {
        m.insert("type".into(), self.ty.to_canonical());
        m.insert("values".into(), self.cells.to_canonical(&self.ty.cell_type()));
        if let (Some(d), ColumnType::Dictionary { values, .. }) = (&self.dictionary, &self.ty) {
            m.insert("dictionary".into(), d.to_canonical(values));
        }
    }

    /// The column value ([canonical.column]).
    pub fn to_canonical(&self) -> JsonValue {
        let mut m = Map::new();
        m.insert("name".into(), self.name.as_deref().map_or(JsonValue::Null, JsonValue::from));
        self.members(&mut m);
        JsonValue::Object(m)
    }

    /// Reads `type`, `values` and `dictionary` from a canonical object,
    /// checking codes against the dictionary and leaves against the type.
    fn from_members(m: &Map<String, JsonValue>, name: Option<String>, clause: &'static str) -> Result<Column> {
        let field = |why: &str| Error::new(Code::FieldType, "canonical.column", why.to_string());
        let ty = ColumnType::from_canonical(m.get("type").ok_or_else(|| field("a column has a type"))?)?;
        let cells = Cells::from_canonical(m.get("values").ok_or_else(|| field("a column has values"))?, &ty, clause)?;
        let dictionary = match (&ty, m.get("dictionary")) {
            (ColumnType::Dictionary { values, .. }, Some(d)) => {
                let d = Cells::from_canonical(d, values, clause)?;
                if d.null_count() > 0 {
                    return Err(Error::new(Code::ValueDomain, clause, "a dictionary's entries are never null"));
                }
                let n = i128::from(d.len());
                if let Some(i) = cells.codes().iter().position(|c| c.is_some_and(|c| !(0..n).contains(&c))) {
                    return Err(Error::new(
                        Code::ValueDomain,
                        clause,
                        format!("code {i} is outside the dictionary of {} entries", d.len()),
                    ));
                }
                Some(d)
            }
            (ColumnType::Dictionary { .. }, None) => return Err(field("a dictionary column has a dictionary")),
            (_, Some(_)) => return Err(field("only a dictionary column has a dictionary")),
            (_, None) => None,
        };
        Ok(Column { name, ty, cells, dictionary })
    }

    /// Reads a column value; `named` requires a string name.
    fn from_canonical(v: &JsonValue, named: bool, clause: &'static str) -> Result<Column> {
        let m = canonical_members(v, "canonical.column", &["name", "type", "values", "dictionary"])?;
        let name = match m.get("name") {
            Some(JsonValue::String(s)) => Some(s.clone()),
            Some(JsonValue::Null) if !named => None,
            _ => {
                return Err(Error::new(
                    Code::FieldType,
                    "canonical.column",
                    if named { "a column's name is a string" } else { "an index column's name is a string or null" },
                ));
            }
        };
        Column::from_members(m, name, clause)
    }
}

/// A table's index ([canonical.dataframe]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Index {
    /// `range(start, stop, step)`, with a name or none.
    Range {
        /// The index's name.
        name: Option<String>,
        /// First value.
        start: i64,
        /// End, exclusive.
        stop: i64,
        /// Step, not 0.
        step: i64,
    },
    /// Index columns, one per level.
    Columns(Vec<Column>),
}

impl Index {
    /// The unnamed range from 0 to `rows`, step 1.
    pub fn default_for(rows: u64) -> Index {
        Index::Range { name: None, start: 0, stop: rows as i64, step: 1 }
    }
}

/// The number of values of `range(start, stop, step)`; `None` for step 0.
pub(crate) fn range_len(start: i64, stop: i64, step: i64) -> Option<u64> {
    let (a, b, s) = (i128::from(start), i128::from(stop), i128::from(step));
    let n = match s {
        0 => return None,
        s if s > 0 => (b - a + s - 1).div_euclid(s),
        s => (a - b - s - 1).div_euclid(-s),
    };
    Some(n.max(0) as u64)
}

/// A table: rows, columns (index columns not among them), index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataFrame {
    /// The number of rows.
    pub rows: u64,
    /// The columns, in order.
    pub columns: Vec<Column>,
    /// The index.
    pub index: Index,
}

/// A series: its name (a JSON scalar keeping its number kind), and one column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series {
    /// The name: null, a bool, an int, a float or a string.
    pub name: TypedJson,
    /// The values; the column's own `name` is `None`.
    pub column: Column,
}

impl DataFrame {
    /// The canonical value ([canonical.dataframe]).
    pub fn to_canonical(&self) -> JsonValue {
        let mut m = Map::new();
        m.insert("kind".into(), "dataframe".into());
        m.insert("rows".into(), self.rows.into());
        m.insert("columns".into(), self.columns.iter().map(Column::to_canonical).collect());
        let mut idx = Map::new();
        match &self.index {
            Index::Range { name, start, stop, step } => {
                idx.insert("kind".into(), "range".into());
                idx.insert("name".into(), name.as_deref().map_or(JsonValue::Null, JsonValue::from));
                idx.insert("start".into(), (*start).into());
                idx.insert("stop".into(), (*stop).into());
                idx.insert("step".into(), (*step).into());
            }
            Index::Columns(cols) => {
                idx.insert("kind".into(), "columns".into());
                idx.insert("columns".into(), cols.iter().map(Column::to_canonical).collect());
            }
        }
        m.insert("index".into(), JsonValue::Object(idx));
        JsonValue::Object(m)
    }

    /// Reads a canonical value, refusing what breaks its rules with the
    /// encoder's codes ([dataframe.encode.refuse]).
    pub fn from_canonical(v: &JsonValue) -> Result<DataFrame> {
        let clause = "dataframe.encode.refuse";
        let field = |why: &str| Error::new(Code::FieldType, "canonical.dataframe", why.to_string());
        let m = canonical_members(v, "canonical.dataframe", &["kind", "rows", "columns", "index"])?;
        let rows = m.get("rows").and_then(JsonValue::as_u64).ok_or_else(|| field("rows must be a non-negative integer"))?;
        let columns = m
            .get("columns")
            .and_then(JsonValue::as_array)
            .ok_or_else(|| field("columns must be an array"))?
            .iter()
            .map(|c| Column::from_canonical(c, true, clause))
            .collect::<Result<Vec<_>>>()?;
        let im = m.get("index").and_then(JsonValue::as_object).ok_or_else(|| field("index must be an object"))?;
        let index = match im.get("kind").and_then(JsonValue::as_str) {
            Some("range") => {
                let im = canonical_members(&m["index"], "canonical.dataframe", &["kind", "name", "start", "stop", "step"])?;
                let name = match im.get("name") {
                    Some(JsonValue::Null) => None,
                    Some(JsonValue::String(s)) => Some(s.clone()),
                    _ => return Err(field("a range index's name is a string or null")),
                };
                let int = |k: &str| im.get(k).and_then(JsonValue::as_i64).ok_or_else(|| field(&format!("a range index's {k} is an integer")));
                let (start, stop, step) = (int("start")?, int("stop")?, int("step")?);
                let safe = MAX_SAFE_INTEGER as i64;
                if [start, stop, step].iter().any(|v| !(-safe..=safe).contains(v)) || step == 0 {
                    return Err(Error::new(Code::ValueDomain, clause, "a range index has start, stop and step within ±(2^53-1), step not 0"));
                }
                Index::Range { name, start, stop, step }
            }
            Some("columns") => {
                let im = canonical_members(&m["index"], "canonical.dataframe", &["kind", "columns"])?;
                Index::Columns(
                    im.get("columns")
                        .and_then(JsonValue::as_array)
                        .ok_or_else(|| field("index columns must be an array"))?
                        .iter()
                        .map(|c| Column::from_canonical(c, false, clause))
                        .collect::<Result<Vec<_>>>()?,
                )
            }
            _ => return Err(field("index kind must be \"range\" or \"columns\"")),
        };
        let df = DataFrame { rows, columns, index };
        df.check_lengths()?;
        Ok(df)
    }

    /// Every column and index column has `rows` values; a range index has
    /// `rows` values ([dataframe.encode.refuse]).
    pub(crate) fn check_lengths(&self) -> Result<()> {
        let mismatch = |why: String| Error::new(Code::ShapeMismatch, "dataframe.encode.refuse", why);
        let index_cols: &[Column] = match &self.index {
            Index::Columns(c) => c,
            Index::Range { start, stop, step, .. } => {
                let n = range_len(*start, *stop, *step);
                if n != Some(self.rows) {
                    return Err(mismatch(format!("the range index has {n:?} values for {} rows", self.rows)));
                }
                &[]
            }
        };
        for (i, c) in self.columns.iter().chain(index_cols).enumerate() {
            if c.cells.len() != self.rows {
                return Err(mismatch(format!("column {i} has {} values for {} rows", c.cells.len(), self.rows)));
            }
        }
        Ok(())
    }
}

impl Series {
    /// The canonical value ([canonical.series]).
    pub fn to_canonical(&self) -> JsonValue {
        let mut m = Map::new();
        m.insert("kind".into(), "series".into());
        m.insert("name".into(), self.name.to_canonical());
        self.column.members(&mut m);
        JsonValue::Object(m)
    }

    /// Reads a canonical value, refusing what breaks its rules with the
    /// encoder's codes ([series.encode.refuse]).
    pub fn from_canonical(v: &JsonValue) -> Result<Series> {
        let m = canonical_members(v, "canonical.series", &["kind", "name", "type", "values", "dictionary"])?;
        let name = TypedJson::from_canonical(
            m.get("name").ok_or_else(|| Error::new(Code::FieldType, "canonical.series", "a series has a name"))?,
        )?;
        check_name(&name, "series.encode.refuse")?;
        let column = Column::from_members(m, None, "series.encode.refuse")?;
        Ok(Series { name, column })
    }
}

/// [series.name]: a scalar; an int within ±(2^53-1), a float finite.
pub(crate) fn check_name(name: &TypedJson, clause: &'static str) -> Result<()> {
    match name {
        TypedJson::Array(_) | TypedJson::Object(_) => {
            Err(Error::new(Code::FieldType, clause, "a series name is a string, a number, a boolean or null"))
        }
        TypedJson::Int(i) if i.unsigned_abs() > MAX_SAFE_INTEGER => {
            Err(Error::new(Code::ValueDomain, clause, format!("the name {i} is beyond ±(2^53-1)")))
        }
        TypedJson::Float(f) if !f.is_finite() => Err(Error::new(Code::ValueDomain, clause, "a float name is finite")),
        _ => Ok(()),
    }
}
