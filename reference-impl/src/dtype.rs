//! The dtype table (`spec/src/ndarray.md#dtypes`).

use arrow_schema::{DataType, TimeUnit};

/// A time unit of the `datetime64`/`timedelta64` dtypes in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unit {
    /// seconds
    S,
    /// milliseconds
    Ms,
    /// microseconds
    Us,
    /// nanoseconds
    Ns,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::S => "s",
            Unit::Ms => "ms",
            Unit::Us => "us",
            Unit::Ns => "ns",
        }
    }
    fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "s" => Unit::S,
            "ms" => Unit::Ms,
            "us" => Unit::Us,
            "ns" => Unit::Ns,
            _ => return None,
        })
    }
    fn arrow(self) -> TimeUnit {
        match self {
            Unit::S => TimeUnit::Second,
            Unit::Ms => TimeUnit::Millisecond,
            Unit::Us => TimeUnit::Microsecond,
            Unit::Ns => TimeUnit::Nanosecond,
        }
    }
    fn from_arrow(u: &TimeUnit) -> Unit {
        match u {
            TimeUnit::Second => Unit::S,
            TimeUnit::Millisecond => Unit::Ms,
            TimeUnit::Microsecond => Unit::Us,
            TimeUnit::Nanosecond => Unit::Ns,
        }
    }
}

/// An element type from the dtype table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dtype {
    /// `bool`
    Bool,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `uint8`
    UInt8,
    /// `uint16`
    UInt16,
    /// `uint32`
    UInt32,
    /// `uint64`
    UInt64,
    /// `float16`
    Float16,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `datetime64[s|ms|us|ns]`
    Datetime(Unit),
    /// `datetime64[D]`
    Date,
    /// `timedelta64[s|ms|us|ns]`
    Timedelta(Unit),
    /// `<U{n}`: n UTF-32 code units, 1 to 999999999.
    Unicode(u64),
    /// `|S{n}`: n bytes, 1 to 999999999.
    Bytes(u64),
}

const FIXED: &[(&str, Dtype)] = &[
    ("bool", Dtype::Bool),
    ("int8", Dtype::Int8),
    ("int16", Dtype::Int16),
    ("int32", Dtype::Int32),
    ("int64", Dtype::Int64),
    ("uint8", Dtype::UInt8),
    ("uint16", Dtype::UInt16),
    ("uint32", Dtype::UInt32),
    ("uint64", Dtype::UInt64),
    ("float16", Dtype::Float16),
    ("float32", Dtype::Float32),
    ("float64", Dtype::Float64),
    ("datetime64[D]", Dtype::Date),
];

fn parse_width(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 9 || bytes[0] == b'0' || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(bytes.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

impl Dtype {
    /// Parses a dtype name exactly as the table spells it; `None` for any other string.
    pub fn parse(s: &str) -> Option<Dtype> {
        if let Some(&(_, d)) = FIXED.iter().find(|(n, _)| *n == s) {
            return Some(d);
        }
        if let Some(rest) = s.strip_prefix("<U") {
            return parse_width(rest).map(Dtype::Unicode);
        }
        if let Some(rest) = s.strip_prefix("|S") {
            return parse_width(rest).map(Dtype::Bytes);
        }
        let unit = |prefix: &str| {
            s.strip_prefix(prefix).and_then(|r| r.strip_suffix(']')).and_then(Unit::parse)
        };
        if let Some(u) = unit("datetime64[") {
            return Some(Dtype::Datetime(u));
        }
        unit("timedelta64[").map(Dtype::Timedelta)
    }

    /// The name as the table spells it.
    pub fn name(&self) -> String {
        if let Some((n, _)) = FIXED.iter().find(|(_, d)| d == self) {
            return (*n).to_string();
        }
        match self {
            Dtype::Datetime(u) => format!("datetime64[{}]", u.name()),
            Dtype::Timedelta(u) => format!("timedelta64[{}]", u.name()),
            Dtype::Unicode(n) => format!("<U{n}"),
            Dtype::Bytes(n) => format!("|S{n}"),
            _ => String::new(), // every fixed dtype is in FIXED
        }
    }

    /// Bytes per element.
    pub fn itemsize(&self) -> u64 {
        match self {
            Dtype::Bool | Dtype::Int8 | Dtype::UInt8 => 1,
            Dtype::Int16 | Dtype::UInt16 | Dtype::Float16 => 2,
            Dtype::Int32 | Dtype::UInt32 | Dtype::Float32 => 4,
            Dtype::Int64
            | Dtype::UInt64
            | Dtype::Float64
            | Dtype::Datetime(_)
            | Dtype::Date
            | Dtype::Timedelta(_) => 8,
            Dtype::Unicode(n) => n * 4,
            Dtype::Bytes(n) => *n,
        }
    }

    /// Whether the `json` encoding may carry this dtype ([ndarray.json.dtypes]).
    pub fn json_allowed(&self) -> bool {
        !matches!(
            self,
            Dtype::Datetime(_) | Dtype::Date | Dtype::Timedelta(_) | Dtype::Unicode(_) | Dtype::Bytes(_)
        )
    }

    /// The torch dtype whose elements this dtype holds, as `str(t.dtype)`
    /// spells it (`torch.float32`); `None` outside the torch dtype table
    /// (`spec/src/torch-tensor.md#dtypes`), which pairs each of the twelve
    /// `json`-capable dtypes with one torch dtype.
    pub fn torch_name(&self) -> Option<&'static str> {
        Some(match self {
            Dtype::Bool => "torch.bool",
            Dtype::Int8 => "torch.int8",
            Dtype::Int16 => "torch.int16",
            Dtype::Int32 => "torch.int32",
            Dtype::Int64 => "torch.int64",
            Dtype::UInt8 => "torch.uint8",
            Dtype::UInt16 => "torch.uint16",
            Dtype::UInt32 => "torch.uint32",
            Dtype::UInt64 => "torch.uint64",
            Dtype::Float16 => "torch.float16",
            Dtype::Float32 => "torch.float32",
            Dtype::Float64 => "torch.float64",
            _ => return None,
        })
    }

    /// The dtype a torch dtype name holds ([torch.dtype.table]); `None` for
    /// any name outside the table (`torch.float`, `torch.bfloat16`, `float32`).
    pub fn from_torch_name(name: &str) -> Option<Dtype> {
        let d = Dtype::parse(name.strip_prefix("torch.")?)?;
        (d.torch_name() == Some(name)).then_some(d)
    }

    /// For integer dtypes, the inclusive range of values.
    pub fn int_range(&self) -> Option<(i128, i128)> {
        let signed = |bits: u32| Some((-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1));
        let unsigned = |bits: u32| Some((0, (1i128 << bits) - 1));
        match self {
            Dtype::Int8 => signed(8),
            Dtype::Int16 => signed(16),
            Dtype::Int32 => signed(32),
            Dtype::Int64 => signed(64),
            Dtype::UInt8 => unsigned(8),
            Dtype::UInt16 => unsigned(16),
            Dtype::UInt32 => unsigned(32),
            Dtype::UInt64 => unsigned(64),
            _ => None,
        }
    }

    /// The Arrow type the table gives for this dtype.
    pub fn arrow_type(&self) -> DataType {
        match self {
            Dtype::Bool => DataType::Boolean,
            Dtype::Int8 => DataType::Int8,
            Dtype::Int16 => DataType::Int16,
            Dtype::Int32 => DataType::Int32,
            Dtype::Int64 => DataType::Int64,
            Dtype::UInt8 => DataType::UInt8,
            Dtype::UInt16 => DataType::UInt16,
            Dtype::UInt32 => DataType::UInt32,
            Dtype::UInt64 => DataType::UInt64,
            Dtype::Float16 => DataType::Float16,
            Dtype::Float32 => DataType::Float32,
            Dtype::Float64 => DataType::Float64,
            Dtype::Datetime(u) => DataType::Timestamp(u.arrow(), None),
            Dtype::Date => DataType::Date32,
            Dtype::Timedelta(u) => DataType::Duration(u.arrow()),
            Dtype::Unicode(_) => DataType::Utf8,
            Dtype::Bytes(_) => DataType::Binary,
        }
    }

    /// The dtype an Arrow type gives in the legacy v0 form without `dtype`:
    /// `None` for Utf8 and Binary (width unknown) and types outside the table.
    pub fn from_arrow(t: &DataType) -> Option<Dtype> {
        Some(match t {
            DataType::Boolean => Dtype::Bool,
            DataType::Int8 => Dtype::Int8,
            DataType::Int16 => Dtype::Int16,
            DataType::Int32 => Dtype::Int32,
            DataType::Int64 => Dtype::Int64,
            DataType::UInt8 => Dtype::UInt8,
            DataType::UInt16 => Dtype::UInt16,
            DataType::UInt32 => Dtype::UInt32,
            DataType::UInt64 => Dtype::UInt64,
            DataType::Float16 => Dtype::Float16,
            DataType::Float32 => Dtype::Float32,
            DataType::Float64 => Dtype::Float64,
            DataType::Timestamp(u, None) => Dtype::Datetime(Unit::from_arrow(u)),
            DataType::Date32 => Dtype::Date,
            DataType::Duration(u) => Dtype::Timedelta(Unit::from_arrow(u)),
            _ => return None,
        })
    }
}

impl std::fmt::Display for Dtype {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_other_spellings_are_refused() {
        for name in ["bool", "int64", "uint8", "float16", "datetime64[ns]", "datetime64[D]",
                     "timedelta64[ms]", "<U2", "|S10"] {
            assert_eq!(Dtype::parse(name).map(|d| d.name()).as_deref(), Some(name));
        }
        for bad in ["f8", "<f8", ">i4", "double", "complex128", "object", "<U0", "<U01", "|S",
                    "datetime64", "datetime64[Y]", "Float64", " float64", "<U-1"] {
            assert_eq!(Dtype::parse(bad), None, "{bad}");
        }
        assert_eq!(Dtype::parse("<U999999999").map(|d| d.itemsize()), Some(3_999_999_996));
        assert_eq!(Dtype::parse("<U1000000000"), None);
    }

    #[test]
    fn torch_names_pair_with_the_json_dtypes_only() {
        for d in [Dtype::Bool, Dtype::Int8, Dtype::UInt64, Dtype::Float16, Dtype::Float64] {
            let name = d.torch_name().unwrap_or_default();
            assert_eq!(name, format!("torch.{d}"));
            assert_eq!(Dtype::from_torch_name(name), Some(d));
        }
        assert_eq!(Dtype::Date.torch_name(), None);
        for bad in ["float32", "torch.float", "torch.half", "torch.long", "torch.bfloat16", "torch.complex64",
                    "torch.datetime64[D]", "torch.<U2", "torch.qint8", "Torch.float32", "torch.float32 "] {
            assert_eq!(Dtype::from_torch_name(bad), None, "{bad}");
        }
    }
}
