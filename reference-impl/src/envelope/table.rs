//! What the `dataframe` and `series` envelopes share: a json column's type
//! inference and values ([dataframe.json.types], [dataframe.json.values]),
//! writing cells as json, decoding an Arrow table's columns, and building
//! Arrow arrays to encode.

use std::borrow::Cow;
use std::sync::Arc;

use arrow_array::{ArrayRef, make_array};
use arrow_buffer::{BooleanBuffer, Buffer, NullBuffer};
use arrow_data::{ArrayData, ArrayDataBuilder};
use arrow_schema::{DataType, Field, TimeUnit as ArrowUnit};

use super::fields::write_f64;
use crate::error::{Code, Error, Result};
use crate::json::{Reader, Scalar, number_value, write_string};
use crate::limits::MAX_SAFE_INTEGER;
use crate::payload::ipc::{Table, column_type};
use crate::value::{Cells, Column, ColumnType, IntType, TimeUnit};

// ---------------------------------------------------------------- json decode

/// One json cell as written.
pub(crate) enum Raw<'a> {
    Null,
    Bool(bool),
    Num(&'a str),
    /// A number token read with its nearest binary64 (`None`: beyond the
    /// finite range), by a [`Reader`] that computes it as it validates.
    Valued(&'a str, Option<f64>),
    Str(Cow<'a, str>),
    /// An array or an object.
    Nested(&'static str),
}

/// Reads and validates the value at the reader.
pub(crate) fn read_raw_checked<'a>(r: &mut Reader<'a>) -> Result<Raw<'a>> {
    if r.peek() == Some(b'"') {
        return Ok(Raw::Str(r.string()?));
    }
    if let Some((t, v)) = r.number()? {
        return Ok(Raw::Valued(t, v));
    }
    Ok(match r.scalar()? {
        Scalar::Null => Raw::Null,
        Scalar::Bool(b) => Raw::Bool(b),
        Scalar::Array => Raw::Nested("an array"),
        // Strings and numbers are read above.
        Scalar::Object | Scalar::String | Scalar::Number(_) => Raw::Nested("an object"),
    })
}


/// A number token with a fraction or an exponent (a byte loop; with
/// `str::contains` and a char pattern, infer_type took 9.3M instructions
/// for 131,072 cells instead of 8.2M, callgrind).
fn is_float_token(t: &str) -> bool {
    t.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'))
}

/// The kinds of json cell a column can hold ([dataframe.json.types]).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bool,
    Float,
    Int,
    Str,
}

impl Kind {
    fn of(c: &Raw<'_>) -> std::result::Result<Option<Kind>, String> {
        Ok(Some(match c {
            Raw::Null => return Ok(None),
            Raw::Nested(what) => return Err(format!("is {what}; a cell is a scalar")),
            Raw::Bool(_) => Kind::Bool,
            Raw::Num(t) | Raw::Valued(t, _) if is_float_token(t) => Kind::Float,
            Raw::Num(_) | Raw::Valued(..) => Kind::Int,
            Raw::Str(_) => Kind::Str,
        }))
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Bool => "a boolean",
            Kind::Float => "a float token",
            Kind::Int => "an integer token",
            Kind::Str => "a string",
        }
    }

    fn column_type(self) -> ColumnType {
        match self {
            Kind::Bool => ColumnType::Bool,
            Kind::Float => ColumnType::Float(64),
            Kind::Int => ColumnType::Int(IntType { bits: 64, signed: true }),
            Kind::Str => ColumnType::String,
        }
    }
}

/// [dataframe.json.types]: the column's type from its non-null cells; on
/// failure, the row and why.
pub(crate) fn infer_type(cells: &[Raw<'_>]) -> std::result::Result<ColumnType, (usize, String)> {
    let mut ty: Option<(Kind, usize)> = None;
    for (i, c) in cells.iter().enumerate() {
        let Some(k) = Kind::of(c).map_err(|why| (i, why))? else { continue };
        match ty {
            None => ty = Some((k, i)),
            Some((first, j)) if first != k => {
                return Err((i, format!("is {}, but row {j} is {}: a column holds one kind", k.name(), first.name())));
            }
            Some(_) => {}
        }
    }
    Ok(ty.map_or(ColumnType::Null, |(k, _)| k.column_type()))
}

/// [dataframe.json.values]: the cells of a column of type `t` (from
/// [`infer_type`]); on failure, the row and why.
pub(crate) fn json_cells(cells: Vec<Raw<'_>>, t: &ColumnType) -> std::result::Result<Cells, (usize, String)> {
    let n = cells.len();
    Ok(match t {
        ColumnType::Null => Cells::Null(n as u64),
        ColumnType::Bool => Cells::Bool(cells.iter().map(|c| if let Raw::Bool(b) = c { Some(*b) } else { None }).collect()),
        ColumnType::String => {
            Cells::Str(cells.into_iter().map(|c| if let Raw::Str(s) = c { Some(s.into_owned()) } else { None }).collect())
        }
        ColumnType::Int(_) => {
            let mut out = Vec::with_capacity(n);
            for (i, c) in cells.iter().enumerate() {
                out.push(match c {
                    Raw::Num(t) | Raw::Valued(t, _) => match t.parse::<i64>() {
                        Ok(v) if v.unsigned_abs() <= MAX_SAFE_INTEGER => Some(v),
                        _ => return Err((i, format!("is the integer {t}, beyond ±(2^53-1)"))),
                    },
                    _ => None,
                });
            }
            Cells::Int(out)
        }
        _ => {
            let mut out = Vec::with_capacity(n);
            for (i, c) in cells.iter().enumerate() {
                let (t, v) = match c {
                    Raw::Num(t) => (*t, number_value(t)),
                    Raw::Valued(t, v) => (*t, *v),
                    _ => {
                        out.push(None);
                        continue;
                    }
                };
                match v {
                    Some(v) => out.push(Some(v.to_bits())),
                    None => return Err((i, format!("is the float {t}, beyond the range of binary64"))),
                }
            }
            Cells::Float(out)
        }
    })
}

// ---------------------------------------------------------------- json encode

/// [dataframe.encode.refuse] for one column asked for json: a type json
/// carries, and not every cell null unless the type is `null`.
pub(crate) fn json_writable(c: &Column, what: &str, clause: &'static str) -> Result<()> {
    let ok = matches!(c.ty, ColumnType::Bool | ColumnType::Float(64) | ColumnType::String | ColumnType::Null)
        || c.ty == ColumnType::Int(IntType { bits: 64, signed: true });
    if !ok {
        return Err(Error::new(
            Code::ColumnType,
            clause,
            format!("{what} has type {}, which the json encoding does not carry", c.ty.to_canonical()),
        ));
    }
    if c.ty != ColumnType::Null && !c.cells.is_empty() && c.cells.null_count() == c.cells.len() {
        return Err(Error::new(
            Code::ColumnType,
            clause,
            format!("{what} has type {} and only nulls: json would read it back as null", c.ty.to_canonical()),
        ));
    }
    Ok(())
}

/// Writes cell `i` of `cells` as json (after [`json_writable`]): a NaN, an
/// infinity or an integer beyond ±(2^53-1) is `E_VALUE_DOMAIN`.
pub(crate) fn write_cell(cells: &Cells, i: usize, out: &mut String, clause: &'static str) -> Result<()> {
    let domain = |why: String| Error::new(Code::ValueDomain, clause, why);
    match cells {
        Cells::Null(_) => out.push_str("null"),
        Cells::Bool(v) => out.push_str(match v[i] {
            None => "null",
            Some(true) => "true",
            Some(false) => "false",
        }),
        Cells::Int(v) => match v[i] {
            None => out.push_str("null"),
            Some(x) if x.unsigned_abs() <= MAX_SAFE_INTEGER => out.push_str(&x.to_string()),
            Some(x) => return Err(domain(format!("value {i} is {x}, beyond ±(2^53-1)"))),
        },
        Cells::Float(v) => match v[i] {
            None => out.push_str("null"),
            Some(b) => {
                let f = f64::from_bits(b);
                write_f64(out, f).ok_or_else(|| domain(format!("value {i} is {f}, which JSON cannot hold")))?;
            }
        },
        Cells::Str(v) => match &v[i] {
            None => out.push_str("null"),
            Some(s) => write_string(out, s),
        },
        Cells::UInt(_) | Cells::Bin(_) => {
            return Err(Error::new(Code::ColumnType, clause, "the json encoding does not carry this column type"));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- arrow decode

/// Decodes every field of an Arrow table, in the order the clauses give
/// (the "Processing order" of [dataframe.arrow.file]): the dictionary
/// batches' presence (framing), each field's type (`types_clause`,
/// `E_COLUMN_TYPE`), the limits (`limit`: called with the row count and
/// the cells plus the entries of every dictionary), the contents of every
/// batch, then the values and dictionaries (`dictionary_clause`,
/// `E_VALUE_DOMAIN`).
pub(crate) fn arrow_columns(
    t: &Table<'_>,
    types_clause: &'static str,
    limit: impl Fn(u64, u64) -> Result<()>,
    dictionary_clause: &'static str,
) -> Result<Vec<Column>> {
    t.check_dictionaries_present()?;
    let types = t.fields.iter().map(|f| column_type(f, types_clause)).collect::<Result<Vec<_>>>()?;
    let rows = t.rows();
    let cells = rows.saturating_mul(t.fields.len() as u64);
    limit(rows, cells.saturating_add(t.dictionary_entries()))?;
    t.check_contents(&types)?;
    let mut out = Vec::with_capacity(t.fields.len());
    for (k, f) in t.fields.iter().enumerate() {
        let (cells, dictionary) = t.column(k, &types)?;
        let name = f.name().unwrap_or_default().to_string();
        if let Some(d) = &dictionary {
            if d.null_count() > 0 {
                return Err(Error::new(
                    Code::ValueDomain,
                    dictionary_clause,
                    format!("the dictionary of column {name:?} has a null entry; a dictionary's entries are never null"),
                ));
            }
            let n = i128::from(d.len());
            if let Some((i, c)) = cells.codes().iter().enumerate().find_map(|(i, c)| c.filter(|c| !(0..n).contains(c)).map(|c| (i, c))) {
                return Err(Error::new(
                    Code::ValueDomain,
                    dictionary_clause,
                    format!("row {i} of column {name:?} has code {c}, outside its dictionary of {n} entries"),
                ));
            }
        }
        out.push(Column { name: Some(name), ty: types[k].clone(), cells, dictionary });
    }
    Ok(out)
}

// ---------------------------------------------------------------- arrow encode

fn unit(u: TimeUnit) -> ArrowUnit {
    match u {
        TimeUnit::Second => ArrowUnit::Second,
        TimeUnit::Millisecond => ArrowUnit::Millisecond,
        TimeUnit::Microsecond => ArrowUnit::Microsecond,
        TimeUnit::Nanosecond => ArrowUnit::Nanosecond,
    }
}

fn int_type(i: IntType) -> DataType {
    match (i.bits, i.signed) {
        (8, true) => DataType::Int8,
        (16, true) => DataType::Int16,
        (32, true) => DataType::Int32,
        (64, true) => DataType::Int64,
        (8, false) => DataType::UInt8,
        (16, false) => DataType::UInt16,
        (32, false) => DataType::UInt32,
        _ => DataType::UInt64,
    }
}

/// The Arrow type a column type names ([dataframe.encode.members]).
pub(crate) fn arrow_type(t: &ColumnType) -> DataType {
    match t {
        ColumnType::Bool => DataType::Boolean,
        ColumnType::Int(i) => int_type(*i),
        ColumnType::Float(16) => DataType::Float16,
        ColumnType::Float(32) => DataType::Float32,
        ColumnType::Float(_) => DataType::Float64,
        ColumnType::String => DataType::Utf8,
        ColumnType::Binary => DataType::Binary,
        ColumnType::Date32 => DataType::Date32,
        ColumnType::Timestamp(u, tz) => DataType::Timestamp(unit(*u), tz.as_deref().map(Arc::from)),
        ColumnType::Duration(u) => DataType::Duration(unit(*u)),
        ColumnType::Null => DataType::Null,
        ColumnType::Dictionary { index, values, .. } => {
            DataType::Dictionary(Box::new(int_type(*index)), Box::new(arrow_type(values)))
        }
    }
}

/// A nullable field named `name` for a column of type `t`.
pub(crate) fn arrow_field(name: &str, t: &ColumnType) -> Field {
    let f = Field::new(name, arrow_type(t), true);
    match t {
        ColumnType::Dictionary { ordered, .. } => f.with_dict_is_ordered(*ordered),
        _ => f,
    }
}

fn arrow_error(clause: &'static str) -> impl Fn(arrow_schema::ArrowError) -> Error {
    move |e| Error::new(Code::ArrowPayload, clause, format!("the Arrow writer failed: {e}"))
}

/// The array data of `cells`, of Arrow type `dt`, not yet built.
fn array_data(dt: DataType, t: &ColumnType, cells: &Cells, clause: &'static str) -> Result<ArrayDataBuilder> {
    let n = cells.len() as usize;
    fn nulls<T>(v: &[Option<T>]) -> Option<NullBuffer> {
        v.iter().any(Option::is_none).then(|| NullBuffer::from(v.iter().map(Option::is_some).collect::<Vec<bool>>()))
    }
    let width = match t.cell_type() {
        ColumnType::Int(i) => usize::from(i.bits) / 8,
        ColumnType::Float(b) => usize::from(b) / 8,
        ColumnType::Date32 => 4,
        _ => 8,
    };
    /// The values at their width, one element of the buffer's own type
    /// each (an aligned buffer arrow-rs takes as it is, with no copy of it
    /// and no call of `memcpy` an element); a null's slot holds 0.
    fn values<T: arrow_buffer::ArrowNativeType>(v: impl Iterator<Item = u64>, narrow: impl Fn(u64) -> T) -> Buffer {
        Buffer::from_vec(v.map(narrow).collect::<Vec<T>>())
    }
    fn at_width(width: usize, v: impl Iterator<Item = u64>) -> Buffer {
        match width {
            1 => values(v, |x| x as u8),
            2 => values(v, |x| x as u16),
            4 => values(v, |x| x as u32),
            _ => values(v, |x| x),
        }
    }
    let fixed = |buffer: Buffer, nb: Option<NullBuffer>| ArrayData::builder(dt.clone()).len(n).nulls(nb).add_buffer(buffer);
    let varlen = |items: Vec<Option<&[u8]>>, nb: Option<NullBuffer>| -> Result<_> {
        let mut offsets: Vec<i32> = Vec::with_capacity(items.len() + 1);
        let mut data = Vec::new();
        offsets.push(0);
        for x in &items {
            data.extend_from_slice(x.unwrap_or_default());
            offsets.push(i32::try_from(data.len()).map_err(|_| {
                Error::new(Code::LimitExceeded, clause, "a column's strings or bytes exceed 2^31-1 bytes")
            })?);
        }
        Ok(ArrayData::builder(dt.clone())
            .len(n)
            .nulls(nb)
            .add_buffer(Buffer::from_vec(offsets))
            .add_buffer(Buffer::from_slice_ref(&data)))
    };
    let builder = match cells {
        Cells::Null(_) => ArrayData::builder(dt.clone()).len(n),
        Cells::Bool(v) => {
            let values = BooleanBuffer::from(v.iter().map(|b| b.unwrap_or(false)).collect::<Vec<bool>>());
            ArrayData::builder(dt.clone()).len(n).nulls(nulls(v)).add_buffer(values.into_inner())
        }
        Cells::Int(v) => fixed(at_width(width, v.iter().map(|x| x.unwrap_or(0) as u64)), nulls(v)),
        Cells::UInt(v) | Cells::Float(v) => fixed(at_width(width, v.iter().map(|x| x.unwrap_or(0))), nulls(v)),
        Cells::Str(v) => varlen(v.iter().map(|s| s.as_deref().map(str::as_bytes)).collect(), nulls(v))?,
        Cells::Bin(v) => varlen(v.iter().map(|s| s.as_deref()).collect(), nulls(v))?,
    };
    Ok(builder)
}

/// The Arrow array of a column ([dataframe.encode.members]).
pub(crate) fn arrow_array(c: &Column, clause: &'static str) -> Result<ArrayRef> {
    let dt = arrow_type(&c.ty);
    let data = match (&c.ty, &c.dictionary) {
        (ColumnType::Dictionary { values, .. }, Some(d)) => {
            let child = array_data(arrow_type(values), values, d, clause)?.build().map_err(arrow_error(clause))?;
            let codes = array_data(dt.clone(), &c.ty, &c.cells, clause)?;
            codes.child_data(vec![child]).build().map_err(arrow_error(clause))?
        }
        _ => array_data(dt, &c.ty, &c.cells, clause)?.build().map_err(arrow_error(clause))?,
    };
    Ok(make_array(data))
}
