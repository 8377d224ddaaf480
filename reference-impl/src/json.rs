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
//!
//! One member can be read in a single pass instead: with a [`Defer`],
//! [`parse_document_deferring`] only locates the array value of the member it
//! names (an `ndarray` json envelope's `data`) and validates the rest; the
//! member is then validated by a [`Reader`] as it is decoded, or by
//! [`Deferred::check`], which every path calls before it returns, so that a
//! fault of JSON text still wins over every other ([json.syntax] and the
//! processing order of `spec/src/conventions.md`).

use std::borrow::Cow;
use std::cell::Cell;
use std::rc::Rc;
use std::collections::HashSet;

use crate::error::{Code, Error, Result};

mod number;
mod scan;

pub(crate) use number::{dimension, number_value};
use number::{digits_into, exact};
#[cfg(test)]
use number::exact_short;
pub(crate) use scan::count_items;
use scan::{int_run, locate, plain_run};

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
    parse(input, max_depth, &[]).map(|(doc, _)| doc)
}

/// Which member [`parse_document_deferring`] defers: the member `name` of
/// the top-level object, when its value is an array and the members before
/// it include each of `after` (a name and the string values it may have);
/// or, by `within`, a member of an object one level down.
pub(crate) struct Defer {
    pub(crate) name: &'static str,
    pub(crate) after: &'static [(&'static str, &'static [&'static str])],
    /// The member of the top-level object (`name`, when its value is an
    /// object and the members before it include each of `after`) whose
    /// object is searched instead, by `within`'s own rule.
    pub(crate) within: Option<&'static Defer>,
}

impl Defer {
    fn wants(&self, name: &str, before: &[Member<'_>]) -> bool {
        name == self.name
            && self.after.iter().all(|&(k, vs)| {
                before.iter().any(|(name, value, _)| name == k && matches!(value, Json::String(s) if vs.contains(&s.as_ref())))
            })
    }
}

/// As [`parse_document`], but the member `defer` names is only located: its
/// value comes back as an array span that nothing has validated yet, with
/// the [`Deferred`] that validates it. When the text has a fault after that
/// member, the member is validated first, so that the earliest fault is the
/// one reported, as [`parse_document`] reports it.
pub(crate) fn parse_document_deferring<'a>(
    input: &'a [u8],
    max_depth: u32,
    defer: &'static [Defer],
) -> Result<(Document<'a>, Option<Deferred<'a>>)> {
    parse(input, max_depth, defer)
}

fn parse<'a>(input: &'a [u8], max_depth: u32, defer: &'static [Defer]) -> Result<(Document<'a>, Option<Deferred<'a>>)> {
    let text = std::str::from_utf8(input).map_err(|e| {
        Error::new(
            Code::JsonSyntax,
            "json.utf8",
            format!("input is not UTF-8: invalid byte at {}", e.valid_up_to()),
        )
    })?;
    let mut p = Parser { s: text, b: input, pos: 0, depth: 0, max_depth, defer, deferred: None };
    let doc = p.document();
    let deferred = p.deferred.map(|(start, end, depth)| Deferred { text, start, end, depth, max_depth, checked: Rc::new(Cell::new(false)) });
    match (doc, deferred) {
        (Ok(doc), deferred) => Ok((doc, deferred)),
        (Err(e), Some(d)) => {
            d.check()?;
            Err(e)
        }
        (Err(e), None) => Err(e),
    }
}

/// A member that [`parse_document_deferring`] located without validating.
/// Each path that decodes the envelope either reads it with [`Deferred::reader`]
/// to its end or calls [`Deferred::check`] before it reports anything.
/// Clones share what they learn: once one has read or checked the span, so
/// has every other.
#[derive(Clone)]
pub(crate) struct Deferred<'a> {
    /// The whole text: positions in messages are the text's.
    text: &'a str,
    start: usize,
    end: usize,
    /// The containers open around the span (1: the top-level object).
    depth: u32,
    max_depth: u32,
    /// Whether the span is known to be valid.
    checked: Rc<Cell<bool>>,
}

impl<'a> Deferred<'a> {
    /// Validates the span as [`parse_document`] would have, at its depth:
    /// its first fault, if any. Once it
    /// passes (or a [`Reader`] has read all of it), returns at once.
    pub(crate) fn check(&self) -> Result<()> {
        if self.checked.get() {
            return Ok(());
        }
        let mut p = self.parser();
        p.value()?;
        if p.pos != self.end {
            // A valid value ends where `locate` ends it, so this is never
            // reached; the whole text is validated again to be sure.
            parse_document(self.text.as_bytes(), self.max_depth)?;
        }
        self.checked.set(true);
        Ok(())
    }

    /// Whether `span` is this member's value (the same bytes of the text).
    pub(crate) fn is(&self, span: &str) -> bool {
        std::ptr::eq(span.as_ptr(), self.text[self.start..].as_ptr()) && span.len() == self.end - self.start
    }

    /// A validating reader at the start of the span.
    pub(crate) fn reader(&self) -> Reader<'a> {
        Reader { p: self.parser() }
    }

    /// After `r` has read one value from the start of the span: when it
    /// ended where the span ends, the span is valid.
    pub(crate) fn read_to_end(&self, r: &Reader<'_>) {
        if r.p.pos == self.end {
            self.checked.set(true);
        }
    }

    fn parser(&self) -> Parser<'a> {
        Parser {
            s: self.text,
            b: self.text.as_bytes(),
            pos: self.start,
            depth: self.depth,
            max_depth: self.max_depth,
            defer: &[],
            deferred: None,
        }
    }
}

/// A reader that validates what it reads, as [`parse_document`] does and
/// with its messages, in one pass: the walk of a [`Deferred`] member that
/// decodes it as it checks it. Faults come back as errors; what the caller
/// skips it still validates ([`Reader::skip`]).
pub(crate) struct Reader<'a> {
    p: Parser<'a>,
}

impl<'a> Reader<'a> {
    /// A reader over a span that [`parse_document`] validated already.
    pub(crate) fn over(span: &'a str) -> Reader<'a> {
        Reader {
            p: Parser { s: span, b: span.as_bytes(), pos: 0, depth: 0, max_depth: u32::MAX, defer: &[], deferred: None },
        }
    }

    /// The next non-whitespace byte, not consumed.
    pub(crate) fn peek(&mut self) -> Option<u8> {
        self.p.ws();
        self.p.peek()
    }

    /// Consumes `[` (its depth counted); the caller then calls [`Reader::next_item`].
    pub(crate) fn open_array(&mut self) -> Result<()> {
        self.p.ws();
        self.p.enter()?;
        self.p.eat(b'[')
    }

    /// Positions at the next item of the open array and returns true, or
    /// consumes the closing `]` and returns false. `first`: no item of this
    /// array has been read yet.
    pub(crate) fn next_item(&mut self, first: bool) -> Result<bool> {
        self.p.ws();
        match self.p.peek() {
            Some(b']') => {
                self.p.pos += 1;
                self.p.depth -= 1;
                Ok(false)
            }
            _ if first => Ok(true),
            Some(b',') => {
                self.p.pos += 1;
                Ok(true)
            }
            _ => Err(self.p.unexpected()),
        }
    }

    /// When the next value is a number: its text and value (the nearest
    /// binary64; `None` when that is beyond the finite range).
    pub(crate) fn number(&mut self) -> Result<Option<(&'a str, Option<f64>)>> {
        self.p.ws();
        match self.p.peek() {
            Some(b'-' | b'0'..=b'9') => self.p.number_and_value().map(Some),
            _ => Ok(None),
        }
    }

    /// Reads one value as a [`Cursor::scalar`] reports it (arrays and
    /// objects validated and skipped).
    pub(crate) fn scalar(&mut self) -> Result<Scalar<'a>> {
        self.p.ws();
        let first = self.p.peek();
        Ok(match self.p.value()? {
            Json::Null => Scalar::Null,
            Json::Bool => Scalar::Bool(first == Some(b't')),
            Json::Number(t) => Scalar::Number(t),
            Json::String(_) => Scalar::String,
            Json::Array(_) => Scalar::Array,
            Json::Object(_) => Scalar::Object,
        })
    }

    /// Validates and skips one value.
    pub(crate) fn skip(&mut self) -> Result<()> {
        self.p.value().map(drop)
    }

    /// Reads one object, validated: its members, each with its value (as
    /// [`parse_document`] gives a member's: arrays and objects as spans) and
    /// the value's text.
    pub(crate) fn members(&mut self) -> Result<Vec<Member<'a>>> {
        self.p.ws();
        Ok(self.p.object(true)?.unwrap_or_default())
    }

    /// Reads one value whose first byte is `"`: the string.
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>> {
        self.p.ws();
        self.p.string()
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    depth: u32,
    max_depth: u32,
    /// The rules of the member to defer, if any ([`parse_document_deferring`]).
    defer: &'static [Defer],
    /// The deferred member's span and depth, once located.
    deferred: Option<(usize, usize, u32)>,
}

impl<'a> Parser<'a> {
    /// The whole text: one value and whitespace around it.
    fn document(&mut self) -> Result<Document<'a>> {
        self.ws();
        let doc = if self.peek() == Some(b'{') {
            let members = self.object(true)?;
            Document::Object(members.unwrap_or_default())
        } else {
            let v = self.value()?;
            Document::Other(v.type_name())
        };
        self.ws();
        if self.pos != self.b.len() {
            return Err(syntax(self.pos, "unexpected text after the JSON value"));
        }
        Ok(doc)
    }

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
        let start = self.pos;
        self.pos = self.number_end()?;
        Ok(&self.s[start..self.pos])
    }

    /// Where the number at `pos` ends ([`Parser::number`]), not moving.
    #[inline(always)]
    fn number_end(&self) -> Result<usize> {
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
        Ok(i)
    }

    /// A number ([json.syntax]) and its value, in one scan: the hot loop of
    /// a deferred `data` array. Any text that is not a whole number by the
    /// grammar (a fault, or `01` whose number is `0`) is left to
    /// [`Parser::number`], which reports it or reads it as the grammar does.
    fn number_and_value(&mut self) -> Result<(&'a str, Option<f64>)> {
        let b = self.b;
        let start = self.pos;
        let neg = b.get(start) == Some(&b'-');
        let first = start + usize::from(neg);
        let mut m: u64 = 0;
        let mut i = digits_into(b, first, &mut m);
        let int_digits = i - first;
        let mut ok = int_digits == 1 || (int_digits > 1 && b[first] != b'0');
        let mut frac_digits = 0;
        if ok && b.get(i) == Some(&b'.') {
            let from = i + 1;
            i = digits_into(b, from, &mut m);
            frac_digits = i - from;
            ok = frac_digits > 0;
        }
        let mut e = -(frac_digits as i64);
        let mut big_exponent = false;
        if ok && let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            let eneg = b.get(i) == Some(&b'-');
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let from = i;
            let mut x: i64 = 0;
            while let Some(&c @ b'0'..=b'9') = b.get(i) {
                x = x.saturating_mul(10).saturating_add(i64::from(c - b'0'));
                i += 1;
            }
            ok = i > from;
            big_exponent = x > 1_000_000;
            e += if eneg { -x.min(1_000_000) } else { x.min(1_000_000) };
        }
        if !ok {
            let text = self.number()?;
            return Ok((text, number_value(text)));
        }
        self.pos = i;
        let text = &self.s[start..i];
        let digits = u32::try_from(int_digits + frac_digits).unwrap_or(u32::MAX);
        let fast = if big_exponent { None } else { exact(m, digits, e, neg) };
        Ok((text, fast.or_else(|| text.parse::<f64>().ok().filter(|v| v.is_finite()))))
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
            // Items left before int_run is tried again, after it found none.
            let mut wait = 0u32;
            loop {
                // Whole blocks of a plain integer list at once; a number is
                // validated, not sliced out as value() would.
                self.ws();
                let run = if wait > 0 { 0 } else { int_run(&self.b[self.pos..]) };
                self.pos += run;
                wait = match (run, wait) {
                    (0, 0) => 64,
                    (0, w) => w - 1,
                    _ => 0,
                };
                match self.peek() {
                    Some(b'-' | b'0'..=b'9') => self.pos = self.number_end()?,
                    _ => drop(self.value()?),
                }
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

    /// The value of the member `name` (after `before`), read by the rule of
    /// [`Parser::defer`] that wants it: an array only located, or an object
    /// whose own members the rule's `within` is applied to. `None` when no
    /// rule applies (only the members of a kept object are deferred, and only
    /// one), and the value is to be read as any other.
    fn deferring(&mut self, keep: bool, name: &str, before: &[Member<'a>]) -> Result<Option<Json<'a>>> {
        if !keep || self.deferred.is_some() {
            return Ok(None);
        }
        let start = self.pos;
        let Some(rule) = self.defer.iter().find(|d| d.wants(name, before)) else { return Ok(None) };
        Ok(match (rule.within, self.peek()) {
            (None, Some(b'[')) => locate(self.b, start, self.max_depth.saturating_sub(self.depth)).map(|end| {
                self.deferred = Some((start, end, self.depth));
                self.pos = end;
                Json::Array(&self.s[start..end])
            }),
            (Some(inner), Some(b'{')) => {
                let outer = std::mem::replace(&mut self.defer, std::slice::from_ref(inner));
                let nested = self.object(true);
                self.defer = outer;
                nested?;
                Some(Json::Object(&self.s[start..self.pos]))
            }
            _ => None,
        })
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
                let v = match self.deferring(keep, &name, &members)? {
                    Some(v) => v,
                    None => self.value()?,
                };
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
/// never fails on syntax; it only walks. Given other text, every walk still
/// ends: an item that is no value ends the span, and so does its end.
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
        let mut p = Parser { s: self.s, b: self.b(), pos: self.pos, depth: 0, max_depth: 0, defer: &[], deferred: None };
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
            Some(_) => true,
            None => false,
        }
    }

    /// Skips one value. An array or object ends where [`locate`] ends it,
    /// 32 bytes at a time where it holds no bracket and no string (the span
    /// is valid, which `locate` reads exactly).
    pub(crate) fn skip(&mut self) {
        self.ws();
        match self.b().get(self.pos) {
            Some(b'[' | b'{') => self.pos = locate(self.b(), self.pos, u32::MAX).unwrap_or(self.s.len()),
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
            Some(b't') if b[self.pos..].starts_with(b"true") => {
                self.pos += 4;
                Scalar::Bool(true)
            }
            Some(b'f') if b[self.pos..].starts_with(b"false") => {
                self.pos += 5;
                Scalar::Bool(false)
            }
            Some(b'n') if b[self.pos..].starts_with(b"null") => {
                self.pos += 4;
                Scalar::Null
            }
            _ => Scalar::Number(self.number()),
        }
    }

    /// A number's text; where no value starts (text nothing validated),
    /// `""`, and the walk ends there.
    fn number(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.b().get(self.pos) {
            self.pos += 1;
        }
        if self.pos == start {
            self.pos = self.s.len();
            return "";
        }
        &self.s[start..self.pos]
    }
}

#[cfg(test)]
mod tests;
