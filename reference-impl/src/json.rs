//! Strict JSON (`spec/src/json.md`): UTF-8, one value, depth limit,
//! no duplicate keys, numbers kept as text.
//!
//! [`parse_document`] validates the whole text in one left-to-right pass and
//! materialises only the top level: the members of a top-level object, with
//! nested arrays and objects returned as validated, unparsed spans. Those
//! spans are walked later with a [`Cursor`], so a large `data` array is never
//! built as a tree. An object span's own members are read with
//! [`object_members`] (a nested envelope), and [`Cursor`] walks arrays and
//! objects at any depth (an estimator's parameters); neither validates
//! again, and strings without escapes stay borrowed from the input.

use std::borrow::Cow;
use std::collections::HashSet;

use crate::error::{Code, Error, Result};

/// A member value. Arrays and objects are validated spans of the input,
/// brackets included.
#[derive(Debug, Clone)]
pub(crate) enum Json<'a> {
    Null,
    Bool,
    /// The number's text, e.g. `-1.5e3`.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(&'a str),
    Object(&'a str),
}

impl Json<'_> {
    /// A JSON type name for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }
}

/// The value of a number's text ([json.numbers]): the nearest binary64, or
/// `None` when it rounds beyond the finite range.
pub(crate) fn number_value(text: &str) -> Option<f64> {
    exact_short(text.as_bytes()).or_else(|| text.parse::<f64>().ok().filter(|v| v.is_finite()))
}

/// Powers of ten that binary64 holds exactly.
const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
];

/// The value of a JSON number's text when it is short enough to be computed
/// exactly with one rounding (Clinger's fast path): at most 19 significant
/// digits forming an integer `m <= 2^53`, scaled by `10^e` with `|e| <= 22`,
/// both exact in binary64, so one IEEE multiplication or division rounds
/// `m * 10^e` correctly, as `str::parse` does. `None` for any other text
/// (it then goes to `str::parse`).
fn exact_short(b: &[u8]) -> Option<f64> {
    match scan_number(b) {
        (end, v) if end == b.len() => v,
        _ => None,
    }
}

/// Scans the number at the start of `b` (a validated JSON number, or any
/// text for [`exact_short`]): the length of its text, and its value when
/// Clinger's fast path computes it exactly.
fn scan_number(b: &[u8]) -> (usize, Option<f64>) {
    let (neg, mut i) = if b.first() == Some(&b'-') { (true, 1) } else { (false, 0) };
    let mut m: u64 = 0;
    let mut digits = 0u32;
    let mut e: i64 = 0;
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        digits += 1;
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&c @ b'0'..=b'9') = b.get(i) {
            m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            digits += 1;
            e -= 1;
            i += 1;
        }
    }
    let mut big_exponent = false;
    if let Some(b'e' | b'E') = b.get(i) {
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let mut x: i64 = 0;
        while let Some(&c @ b'0'..=b'9') = b.get(i) {
            x = x.saturating_mul(10).saturating_add(i64::from(c - b'0'));
            i += 1;
        }
        big_exponent = x > 1_000_000;
        e += if eneg { -x.min(1_000_000) } else { x.min(1_000_000) };
    }
    // Leading zeros count as digits here; 19 digits cannot overflow a u64.
    if big_exponent || digits == 0 || digits > 19 || m > 1 << 53 || !(-22..=22).contains(&e) {
        return (i, None);
    }
    let v = m as f64;
    let v = if e >= 0 { v * EXACT_POW10[e as usize] } else { v / EXACT_POW10[(-e) as usize] };
    (i, Some(if neg { -v } else { v }))
}

/// An integer in `[0, 2^53-1]` from a number's text, as the conventions read
/// "integer": any spelling whose value is whole (`1.0`, `1e0` are 1).
pub(crate) fn dimension(text: &str) -> Option<u64> {
    let v = number_value(text)?;
    (v.fract() == 0.0 && (0.0..=crate::limits::MAX_SAFE_INTEGER as f64).contains(&v)).then_some(v as u64)
}

/// An object member: name, value, and the value's text.
pub(crate) type Member<'a> = (Cow<'a, str>, Json<'a>, &'a str);

/// A parsed document: the members of a top-level object, or a note of what
/// else the top-level value was.
pub(crate) enum Document<'a> {
    Object(Vec<Member<'a>>),
    Other(&'static str),
}

fn syntax(pos: usize, what: impl std::fmt::Display) -> Error {
    Error::new(Code::JsonSyntax, "json.syntax", format!("{what} at byte {pos}"))
}

/// Parses and validates `input` ([json.utf8], [json.syntax], [json.depth],
/// [json.duplicate-keys]).
pub(crate) fn parse_document(input: &[u8], max_depth: u32) -> Result<Document<'_>> {
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::new(
            Code::JsonSyntax,
            "json.utf8",
            format!("input is not UTF-8: invalid byte at {}", e.valid_up_to()),
        )
    })?;
    let mut p = Parser { s: text, b: input, pos: 0, depth: 0, max_depth };
    p.ws();
    let doc = if p.peek() == Some(b'{') {
        let members = p.object(true)?;
        Document::Object(members.unwrap_or_default())
    } else {
        let v = p.value()?;
        Document::Other(v.type_name())
    };
    p.ws();
    if p.pos != p.b.len() {
        return Err(syntax(p.pos, "unexpected text after the JSON value"));
    }
    Ok(doc)
}

/// The length of the leading run of `b` with no `"`, `\\` or control
/// character (bytes below 0x20), in whole blocks of 32 bytes: the loop over
/// a block compiles to vector compares, so that a long string (an arrow
/// envelope's `b64`) is scanned at memory speed.
fn plain_run(b: &[u8]) -> usize {
    let mut n = 0;
    for block in b.chunks_exact(32) {
        let mut special = false;
        for &c in block {
            special |= (c == b'"') | (c == b'\\') | (c < 0x20);
        }
        if special {
            break;
        }
        n += 32;
    }
    n
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
    max_depth: u32,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Result<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn unexpected(&self) -> Error {
        match self.peek() {
            None => syntax(self.pos, "unexpected end of input"),
            Some(c) if c.is_ascii_graphic() => syntax(self.pos, format!("unexpected '{}'", c as char)),
            Some(c) => syntax(self.pos, format!("unexpected byte 0x{c:02x}")),
        }
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(Error::new(
                Code::LimitExceeded,
                "json.depth",
                format!("nesting deeper than {} at byte {}", self.max_depth, self.pos),
            ));
        }
        Ok(())
    }

    /// Any value; arrays and objects come back as spans.
    fn value(&mut self) -> Result<Json<'a>> {
        self.ws();
        let start = self.pos;
        match self.peek() {
            Some(b'{') => {
                self.object(false)?;
                Ok(Json::Object(&self.s[start..self.pos]))
            }
            Some(b'[') => {
                self.array()?;
                Ok(Json::Array(&self.s[start..self.pos]))
            }
            Some(b'"') => Ok(Json::String(self.string()?)),
            Some(b't') => self.literal("true", Json::Bool),
            Some(b'f') => self.literal("false", Json::Bool),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => Ok(Json::Number(self.number()?)),
            _ => Err(self.unexpected()),
        }
    }

    fn literal(&mut self, word: &str, v: Json<'a>) -> Result<Json<'a>> {
        if self.b[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(syntax(self.pos, "invalid literal"))
        }
    }

    /// A number ([json.syntax]), scanned with a local index (the hot loop
    /// of a large `data` array); a fault is reported where it is found.
    fn number(&mut self) -> Result<&'a str> {
        let b = self.b;
        let start = self.pos;
        let digits = |mut i: usize| {
            while let Some(b'0'..=b'9') = b.get(i) {
                i += 1;
            }
            i
        };
        let mut i = start + usize::from(b.get(start) == Some(&b'-'));
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i + 1),
            _ => return Err(syntax(i, "invalid number")),
        }
        if b.get(i) == Some(&b'.') {
            let first = i + 1;
            i = digits(first);
            if i == first {
                return Err(syntax(i, "invalid number: digit expected after '.'"));
            }
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let first = i;
            i = digits(first);
            if i == first {
                return Err(syntax(i, "invalid number: digit expected in exponent"));
            }
        }
        self.pos = i;
        Ok(&self.s[start..i])
    }

    fn hex4(&mut self) -> Result<u32> {
        let h = self.b.get(self.pos..self.pos + 4).ok_or_else(|| syntax(self.pos, "truncated \\u escape"))?;
        let mut v = 0u32;
        for &c in h {
            let d = (c as char).to_digit(16).ok_or_else(|| syntax(self.pos, "invalid \\u escape"))?;
            v = v * 16 + d;
        }
        self.pos += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.pos;
        // Fast path: no escapes.
        self.pos += plain_run(&self.b[self.pos..]);
        loop {
            match self.peek() {
                None => return Err(syntax(self.pos, "unterminated string")),
                Some(b'"') => {
                    let s = &self.s[start..self.pos];
                    self.pos += 1;
                    return Ok(Cow::Borrowed(s));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(syntax(self.pos, "control character in string")),
                Some(_) => self.pos += 1,
            }
        }
        let mut out = String::from(&self.s[start..self.pos]);
        loop {
            match self.peek() {
                None => return Err(syntax(self.pos, "unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| syntax(self.pos, "unterminated string"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let at = self.pos - 2;
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !self.b[self.pos..].starts_with(b"\\u") {
                                    return Err(syntax(at, "lone surrogate in \\u escape"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(syntax(at, "lone surrogate in \\u escape"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(syntax(at, "lone surrogate in \\u escape"));
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).ok_or_else(|| syntax(at, "invalid \\u escape"))?);
                        }
                        _ => return Err(syntax(self.pos - 1, "invalid escape")),
                    }
                }
                Some(c) if c < 0x20 => return Err(syntax(self.pos, "control character in string")),
                Some(_) => {
                    // Copy a run of plain characters at once (input is valid UTF-8).
                    let run = self.pos;
                    while let Some(c) = self.peek() {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        self.pos += 1;
                    }
                    out.push_str(&self.s[run..self.pos]);
                }
            }
        }
    }

    fn array(&mut self) -> Result<()> {
        self.enter()?;
        self.eat(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                self.value()?;
                self.ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        }
        self.depth -= 1;
        Ok(())
    }

    /// An object. With `keep`, returns its members (values as from [`Parser::value`]).
    fn object(&mut self, keep: bool) -> Result<Option<Vec<Member<'a>>>> {
        self.enter()?;
        self.eat(b'{')?;
        // Duplicate names: a scan of the names so far while they are few (an
        // envelope has a handful), a hash set once there are many.
        // With `keep`, the names so far are those of `members`: no list of its own.
        let mut few: Vec<Cow<'a, str>> = Vec::new();
        let mut names: HashSet<Cow<'a, str>> = HashSet::new();
        let mut members: Vec<Member<'a>> = if keep { Vec::with_capacity(8) } else { Vec::new() };
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                let at = self.pos;
                if self.peek() != Some(b'"') {
                    return Err(self.unexpected());
                }
                let name = self.string()?;
                let duplicate = if keep && members.len() < 16 {
                    members.iter().any(|(k, _, _)| *k == name)
                } else if !keep && names.is_empty() && few.len() < 16 {
                    let seen = few.contains(&name);
                    few.push(name.clone());
                    seen
                } else {
                    if names.is_empty() {
                        if keep {
                            names.extend(members.iter().map(|(k, _, _)| k.clone()));
                        } else {
                            names.extend(few.drain(..));
                        }
                    }
                    !names.insert(name.clone())
                };
                if duplicate {
                    return Err(Error::new(
                        Code::JsonDuplicateKey,
                        "json.duplicate-keys",
                        format!("duplicate member name {name:?} at byte {at}"),
                    ));
                }
                self.ws();
                self.eat(b':')?;
                self.ws();
                let start = self.pos;
                let v = self.value()?;
                if keep {
                    members.push((name, v, &self.s[start..self.pos]));
                }
                self.ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.unexpected()),
                }
            }
        }
        self.depth -= 1;
        Ok(keep.then_some(members))
    }
}

/// Writes `s` as a JSON string, as [frame.encode] spells it: quotes, only the
/// escapes JSON requires, in their short forms (`\"`, `\\`, `\b`, `\f`, `\n`,
/// `\r`, `\t`), other control characters as `\u00xx` in lowercase hex,
/// everything else as itself.
pub(crate) fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut run = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            c if u32::from(c) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if esc.is_empty() {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push_str(esc);
        }
        run = i + c.len_utf8();
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// The members of an object span that [`parse_document`] validated, in
/// document order, read shallowly: nested arrays and objects come back as
/// spans, as the top-level members do.
pub(crate) fn object_members(span: &str) -> Result<Vec<Member<'_>>> {
    let mut c = Cursor::new(span);
    let mut members = Vec::new();
    c.open_object();
    while let Some(name) = c.next_member()? {
        let start = c.pos;
        let value = c.value()?;
        members.push((name, value, &span[start..c.pos]));
    }
    Ok(members)
}

/// A scalar read by a [`Cursor`]; arrays and objects are skipped.
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String,
    Array,
    Object,
}

/// A reader over a span that [`parse_document`] has already validated. It
/// never fails on syntax; it only walks.
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(span: &'a str) -> Self {
        Cursor { s: span, pos: 0 }
    }

    fn b(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b().get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b().get(self.pos).copied()
    }

    /// Consumes `[`; the caller then calls [`Cursor::next_item`].
    pub(crate) fn open_array(&mut self) {
        self.ws();
        self.pos += 1;
    }

    /// Consumes `{`; the caller then calls [`Cursor::next_member`].
    pub(crate) fn open_object(&mut self) {
        self.open_array();
    }

    /// Reads the next member name of the open object (and its `:`), leaving
    /// the cursor at its value; or consumes the closing `}` and returns `None`.
    pub(crate) fn next_member(&mut self) -> Result<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'}') => {
                self.pos += 1;
                return Ok(None);
            }
            Some(b',') => self.pos += 1,
            _ => {}
        }
        let name = self.string()?;
        if self.peek() == Some(b':') {
            self.pos += 1;
        }
        self.ws();
        Ok(Some(name))
    }

    /// Reads a string, unescaped; borrowed from the span when it has no escapes.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>> {
        self.ws();
        // The span is valid JSON, so the validating reader cannot fail here;
        // it is reused rather than written twice.
        let mut p = Parser { s: self.s, b: self.b(), pos: self.pos, depth: 0, max_depth: 0 };
        let s = p.string()?;
        self.pos = p.pos;
        Ok(s)
    }

    /// Reads one value shallowly, as [`parse_document`] returns members:
    /// arrays and objects are skipped and returned as spans.
    pub(crate) fn value(&mut self) -> Result<Json<'a>> {
        self.ws();
        let start = self.pos;
        Ok(match self.peek() {
            Some(b'"') => Json::String(self.string()?),
            Some(b'[') => {
                self.skip();
                Json::Array(&self.s[start..self.pos])
            }
            Some(b'{') => {
                self.skip();
                Json::Object(&self.s[start..self.pos])
            }
            Some(b't' | b'f') => {
                self.scalar();
                Json::Bool
            }
            Some(b'n') => {
                self.scalar();
                Json::Null
            }
            _ => Json::Number(self.number()),
        })
    }

    /// Positions at the next item of the open array and returns true, or
    /// consumes the closing `]` and returns false.
    pub(crate) fn next_item(&mut self) -> bool {
        match self.peek() {
            Some(b']') => {
                self.pos += 1;
                false
            }
            Some(b',') => {
                self.pos += 1;
                self.ws();
                true
            }
            _ => true,
        }
    }

    /// Skips one value.
    pub(crate) fn skip(&mut self) {
        self.ws();
        match self.b().get(self.pos) {
            Some(b'[' | b'{') => {
                let mut depth = 0usize;
                while let Some(&c) = self.b().get(self.pos) {
                    match c {
                        b'"' => {
                            self.skip_string();
                            continue;
                        }
                        b'[' | b'{' => depth += 1,
                        b']' | b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return;
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                self.scalar();
            }
        }
    }

    fn skip_string(&mut self) {
        self.pos += 1;
        loop {
            let rest = self.b().get(self.pos..).unwrap_or_default();
            match rest.iter().position(|&c| c == b'"' || c == b'\\') {
                None => {
                    self.pos = self.s.len();
                    return;
                }
                Some(i) => {
                    self.pos += i + 1;
                    if rest[i] == b'"' {
                        return;
                    }
                    self.pos += 1; // the escaped character
                }
            }
        }
    }

    /// Reads one scalar (or skips an object and reports it).
    pub(crate) fn scalar(&mut self) -> Scalar<'a> {
        self.ws();
        let b = self.b();
        match b.get(self.pos) {
            Some(b'"') => {
                self.skip_string();
                Scalar::String
            }
            Some(b'{') => {
                self.skip();
                Scalar::Object
            }
            Some(b'[') => {
                self.skip();
                Scalar::Array
            }
            Some(b't') => {
                self.pos += 4;
                Scalar::Bool(true)
            }
            Some(b'f') => {
                self.pos += 5;
                Scalar::Bool(false)
            }
            Some(b'n') => {
                self.pos += 4;
                Scalar::Null
            }
            _ => Scalar::Number(self.number()),
        }
    }

    /// When the next value is a number: its text and value (the nearest
    /// binary64; `None` when that is beyond the finite range), read in one
    /// scan when the number is short.
    pub(crate) fn number_leaf(&mut self) -> Option<(&'a str, Option<f64>)> {
        self.ws();
        let b = self.b().get(self.pos..)?;
        if !matches!(b.first(), Some(b'-' | b'0'..=b'9')) {
            return None;
        }
        let (len, fast) = scan_number(b);
        let text = &self.s[self.pos..self.pos + len];
        self.pos += len;
        Some((text, fast.or_else(|| text.parse::<f64>().ok().filter(|v| v.is_finite()))))
    }

    fn number(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.b().get(self.pos) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;

    fn code(input: &str) -> Option<Code> {
        parse_document(input.as_bytes(), 128).err().map(|e| e.code())
    }

    #[test]
    fn strictness() {
        assert_eq!(code(r#"{"a":1}"#), None);
        assert_eq!(code(" [1, 2.5e-3, \"x\", null, true] "), None);
        assert_eq!(code(r#"{"a":1,"a":2}"#), Some(Code::JsonDuplicateKey));
        assert_eq!(code(r#"{"a":1,"\u0061":2}"#), Some(Code::JsonDuplicateKey));
        assert_eq!(code(r#"{"a":{"b":1,"b":2}}"#), Some(Code::JsonDuplicateKey));
        // past the first 16 names too, in either half
        let many = |extra: &str| {
            let names: Vec<String> = (0..40).map(|i| format!("\"k{i}\":{i}")).collect();
            format!("{{{},{extra}}}", names.join(","))
        };
        assert_eq!(code(&many(r#""k3":0"#)), Some(Code::JsonDuplicateKey));
        assert_eq!(code(&many(r#""k33":0"#)), Some(Code::JsonDuplicateKey));
        assert_eq!(code(&many(r#""k40":0"#)), None);
        for bad in ["", "{", "{\"a\":1} x", "[1,]", "[01]", "[1.]", "[.5]", "[NaN]", "[Infinity]",
                    "['a']", "\u{feff}{}", "[\"\\ud800\"]", "[\"\\udc00x\"]", "[\"a\u{1}\"]", "{} {}", "[-]"] {
            assert_eq!(code(bad), Some(Code::JsonSyntax), "{bad:?}");
        }
        assert_eq!(parse_document(b"[\xff]", 128).err().map(|e| e.code()), Some(Code::JsonSyntax));
        assert_eq!(parse_document(b"[\xc0\x80]", 128).err().map(|e| e.code()), Some(Code::JsonSyntax));
    }

    #[test]
    fn plain_runs_stop_at_the_first_special_byte() {
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for at in 0..70 {
                let mut b = vec![b'A'; 72];
                b[at] = special;
                b[at + 1..].fill(0xc3); // UTF-8 lead bytes after it do not matter
                let run = plain_run(&b);
                assert!(run <= at && at - run < 32, "{special:#x} at {at}: run {run}");
            }
        }
        let mut ok = [b'z'; 33];
        ok[..8].copy_from_slice(&[0x20, 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']']);
        assert_eq!(plain_run(&ok), 32);
        assert_eq!(plain_run(b"abc"), 0);
        let text = format!("[\"{}\\u0041\"]", "x".repeat(100));
        assert_eq!(code(&text), None);
        assert_eq!(code(&format!("[\"{}\u{1}\"]", "x".repeat(100))), Some(Code::JsonSyntax));
    }

    #[test]
    fn depth_is_counted_from_one_and_earliest_fault_wins() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(code(&deep(128)), None);
        assert_eq!(code(&deep(129)), Some(Code::LimitExceeded));
        // a syntax error before the depth is passed is reported as syntax...
        assert_eq!(code(&format!("[x{}", "[".repeat(200))), Some(Code::JsonSyntax));
        // ...and one after it as the depth violation.
        assert_eq!(code(&format!("{}x", "[".repeat(200))), Some(Code::LimitExceeded));
        assert_eq!(code(&"[".repeat(1_000_000)), Some(Code::LimitExceeded));
    }

    #[test]
    fn short_numbers_are_computed_as_parse_computes_them() {
        let mut texts: Vec<String> = ["0", "-0", "-0.0", "0.1", "1e22", "1e23", "9007199254740992", "9007199254740993",
            "-9007199254740991", "1.7976931348623157e308", "5e-324", "0.30000000000000004", "123456789012345678",
            "1234567890123456789", "12345678901234567890", "0.000000000000000000001", "1E+5", "2.5e-3", "00.5"]
            .iter().map(|s| s.to_string()).collect();
        // pseudo-random numbers of 1 to 20 digits, with fractions and exponents
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for k in 0..200_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 20 + 1) as usize;
            let mant: String = format!("{:020}", x >> 1).chars().rev().take(digits).collect();
            let mant = mant.trim_start_matches('0');
            let mant = if mant.is_empty() { "0" } else { mant };
            let point = (x >> 40) as usize % (mant.len() + 1);
            let body = if point == 0 || point == mant.len() { mant.to_string() } else { format!("{}.{}", &mant[..point], &mant[point..]) };
            let exp = match k % 4 { 0 => String::new(), _ => format!("e{}", (x >> 50) as i64 % 60 - 30) };
            let sign = if x & 1 == 1 { "-" } else { "" };
            texts.push(format!("{sign}{body}{exp}"));
        }
        let mut fast = 0;
        for t in &texts {
            let want = t.parse::<f64>().ok().filter(|v| v.is_finite()).map(f64::to_bits);
            if let Some(v) = exact_short(t.as_bytes()) {
                fast += 1;
                assert_eq!(Some(v.to_bits()), want, "{t}");
            }
            assert_eq!(number_value(t).map(f64::to_bits), want, "{t}");
        }
        assert!(fast > texts.len() / 4, "the fast path took only {fast} of {}", texts.len());
    }

    #[test]
    fn numbers_denote_binary64() {
        assert_eq!(number_value("1e0"), Some(1.0));
        assert_eq!(number_value("-0").map(f64::to_bits), Some((-0.0f64).to_bits()));
        assert_eq!(number_value("9007199254740993"), Some(9007199254740992.0));
        assert_eq!(number_value("1e400"), None);
    }

    #[test]
    fn object_spans_are_read_member_by_member() {
        let text = br#"{"v": {"a\u0062": [1, {"x": "]"}], "s": "t\"u", "o": {"k": {}}, "n": -2.5e1, "t": true, "z": null}}"#;
        let Ok(Document::Object(top)) = parse_document(text, 128) else { panic!("parse failed") };
        let Json::Object(span) = top[0].1 else { panic!("not an object") };
        let members = object_members(span).unwrap_or_else(|e| panic!("{e}"));
        let shown: Vec<String> = members.iter().map(|(k, v, t)| format!("{k}={v:?}|{t}")).collect();
        assert_eq!(
            shown,
            [
                r#"ab=Array("[1, {\"x\": \"]\"}]")|[1, {"x": "]"}]"#,
                r#"s=String("t\"u")|"t\"u""#,
                r#"o=Object("{\"k\": {}}")|{"k": {}}"#,
                r#"n=Number("-2.5e1")|-2.5e1"#,
                "t=Bool|true",
                "z=Null|null",
            ]
        );
        // a string without escapes is borrowed from the input, however long
        let long = format!(r#"{{"b64": "{}"}}"#, "A".repeat(1000));
        let members = object_members(&long).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(&members[0].1, Json::String(Cow::Borrowed(b)) if b.len() == 1000));
        assert!(object_members("{}").is_ok_and(|m| m.is_empty()));
    }

    #[test]
    fn strings_are_written_as_json_reads_them() {
        for s in ["", "plain", "q\"b\\s/", "tab\tnl\ncr\r", "\u{0}\u{1f}\u{7f}", "é€😀"] {
            let mut out = String::new();
            write_string(&mut out, s);
            assert_eq!(serde_json::from_str::<String>(&out).ok().as_deref(), Some(s), "{out}");
            assert_eq!(code(&format!("[{out}]")), None);
        }
    }

    #[test]
    fn cursor_walks_a_validated_span() {
        let Ok(Document::Object(m)) = parse_document(br#"{"d": [[1, "a,]"], [{"x": [2]}, -3.5e1]]}"#, 128) else {
            panic!("parse failed")
        };
        let Json::Array(span) = m[0].1 else { panic!("not an array") };
        let mut c = Cursor::new(span);
        let mut leaves = Vec::new();
        c.open_array();
        while c.next_item() {
            c.open_array();
            while c.next_item() {
                leaves.push(format!("{:?}", c.scalar()));
            }
        }
        assert_eq!(leaves, ["Number(\"1\")", "String", "Object", "Number(\"-3.5e1\")"]);
        assert_eq!(c.peek(), None);
    }
}
