//! Loading the vector suite (`vectors/v1/`, format in `spec/src/vectors.md`).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde_json::Value as JsonValue;

/// A profile: a second input format with its own entry point
/// ([vector.profile], [harness.profiles]). A vector without one is read by
/// the default entry point (JSON text or a frame).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    /// flamepy 0.6.0's `FLM` frames (`spec/src/flame.md`), read by
    /// `sciwire::flame::decode`.
    Flame,
}

impl Profile {
    /// The name in vectors, in capabilities and in requests: `flame`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Flame => "flame",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "flame" => Ok(Profile::Flame),
            _ => Err(format!("unknown profile {s:?} (expected flame)")),
        }
    }
}

/// The encoding an encode vector asks for: an envelope's (`arrow`, `json`,
/// `frame`), or a profile's (`tensor`, `table`, `array` or `batch`, in the
/// flame profile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// An envelope or a frame, by the default entry point.
    Envelope(sciwire::Encoding),
    /// An FLM frame, in the flame profile.
    Flame(sciwire::flame::FlameEncoding),
}

impl Encoding {
    /// The name in vectors and requests.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Envelope(e) => e.as_str(),
            Encoding::Flame(e) => e.as_str(),
        }
    }

    /// The profile the encoding belongs to; `None` for the default one.
    pub fn profile(self) -> Option<Profile> {
        match self {
            Encoding::Envelope(_) => None,
            Encoding::Flame(_) => Some(Profile::Flame),
        }
    }

    /// The encoding named `name` in `profile`.
    pub fn parse(name: &str, profile: Option<Profile>) -> Result<Encoding, String> {
        match profile {
            None => name.parse().map(Encoding::Envelope),
            Some(Profile::Flame) => name.parse().map(Encoding::Flame),
        }
    }
}

impl From<sciwire::Encoding> for Encoding {
    fn from(e: sciwire::Encoding) -> Encoding {
        Encoding::Envelope(e)
    }
}

impl From<sciwire::flame::FlameEncoding> for Encoding {
    fn from(e: sciwire::flame::FlameEncoding) -> Encoding {
        Encoding::Flame(e)
    }
}

/// What a vector feeds the implementation.
#[derive(Clone, Debug)]
pub enum Input {
    /// Bytes to decode: JSON text or a frame; in the flame profile, an FLM
    /// frame (or whatever the vector holds instead).
    Decode(Bytes),
    /// A canonical value to encode, and the encoding asked for.
    Encode {
        /// The canonical value.
        value: JsonValue,
        /// The encoding asked for (it names its profile).
        encoding: Encoding,
    },
}

/// What a vector expects.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// This canonical value.
    Value(JsonValue),
    /// Rejection with this code.
    Error(String),
    /// Encoding succeeds and decodes back to the input; with `bytes` (frames
    /// only, `expect.bytes`), the output is exactly those bytes.
    Roundtrip {
        /// The exact output, when the vector gives it.
        bytes: Option<Vec<u8>>,
    },
}

/// One vector file.
#[derive(Clone, Debug)]
pub struct Vector {
    /// The vector's id.
    pub id: String,
    /// The file, relative to the suite root.
    pub path: String,
    /// The description.
    pub description: String,
    /// The clause ids it exercises; for an invalid vector the first is the one whose code it expects.
    pub clauses: Vec<String>,
    /// The profile its input is read (or its output written) in
    /// ([vector.profile]); `None` for the default entry point.
    pub profile: Option<Profile>,
    /// The input.
    pub input: Input,
    /// The expectation.
    pub expect: Expect,
    /// For invalid vectors with `{"json": …}` input: whether the schema accepts it.
    pub schema_valid: Option<bool>,
    /// The parsed file.
    pub raw: JsonValue,
}

/// An equivalence group.
#[derive(Clone, Debug)]
pub struct Group {
    /// The group's id.
    pub id: String,
    /// The file, relative to the suite root.
    pub path: String,
    /// The member vector ids.
    pub members: Vec<String>,
    /// The parsed file.
    pub raw: JsonValue,
}

/// The whole suite.
#[derive(Debug, Default)]
pub struct Suite {
    /// The suite root (`vectors/v1`).
    pub root: PathBuf,
    /// Every vector, sorted by path.
    pub vectors: Vec<Vector>,
    /// Every equivalence group, sorted by path.
    pub groups: Vec<Group>,
}

/// The suite root of this checkout, for tests and as the CLI's default.
pub fn default_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/v1")
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

fn field<'a>(v: &'a JsonValue, name: &str, path: &str) -> Result<&'a JsonValue, String> {
    v.get(name).ok_or_else(|| format!("{path}: no member {name:?}"))
}

fn string(v: &JsonValue, name: &str, path: &str) -> Result<String, String> {
    field(v, name, path)?.as_str().map(str::to_string).ok_or_else(|| format!("{path}: {name} is not a string"))
}

impl Vector {
    /// Reads a vector from its parsed file.
    pub fn from_json(raw: JsonValue, path: &str) -> Result<Vector, String> {
        let id = string(&raw, "id", path)?;
        let description = string(&raw, "description", path)?;
        let clauses = field(&raw, "clauses", path)?
            .as_array()
            .and_then(|a| a.iter().map(|c| c.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| format!("{path}: clauses is not an array of strings"))?;
        let profile = match raw.get("profile") {
            None => None,
            Some(p) => Some(p.as_str().ok_or_else(|| format!("{path}: profile is not a string"))?.parse().map_err(|e| format!("{path}: {e}"))?),
        };
        let direction = raw.get("direction").and_then(JsonValue::as_str).unwrap_or("decode");
        let input = field(&raw, "input", path)?;
        let input = match direction {
            "decode" => Input::Decode(if let Some(v) = input.get("json") {
                serde_json::to_vec(v).map_err(|e| format!("{path}: {e}"))?.into()
            } else if let Some(t) = input.get("text").and_then(JsonValue::as_str) {
                t.as_bytes().to_vec().into()
            } else if let Some(b) = input.get("base64").and_then(JsonValue::as_str) {
                base64::engine::general_purpose::STANDARD.decode(b).map_err(|e| format!("{path}: input.base64: {e}"))?.into()
            } else if let Some(pieces) = input.get("concat").and_then(JsonValue::as_array) {
                let pieces = pieces
                    .iter()
                    .map(|p| {
                        let text = p.get("text").and_then(JsonValue::as_str).unwrap_or_default();
                        (text.as_bytes().to_vec(), p.get("repeat").and_then(JsonValue::as_u64).unwrap_or(1) as usize)
                    })
                    .collect();
                Bytes::concat(pieces).ok_or_else(|| format!("{path}: input.concat is larger than memory"))?
            } else {
                return Err(format!("{path}: input has none of json, text, base64, concat"));
            }),
            "encode" => Input::Encode {
                value: field(input, "value", path)?.clone(),
                encoding: Encoding::parse(&string(input, "encoding", path)?, profile).map_err(|e| format!("{path}: {e}"))?,
            },
            other => return Err(format!("{path}: unknown direction {other:?}")),
        };
        let expect = field(&raw, "expect", path)?;
        let expect = if let Some(v) = expect.get("value") {
            Expect::Value(v.clone())
        } else if let Some(c) = expect.get("error").and_then(JsonValue::as_str) {
            Expect::Error(c.to_string())
        } else if expect.get("roundtrip") == Some(&JsonValue::Bool(true)) {
            let bytes = match expect.get("bytes") {
                None => None,
                Some(b) => Some(
                    b.as_str()
                        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                        .ok_or_else(|| format!("{path}: expect.bytes is not a base64 string"))?,
                ),
            };
            Expect::Roundtrip { bytes }
        } else {
            return Err(format!("{path}: expect has none of value, error, roundtrip"));
        };
        let schema_valid = raw.get("schemaValid").and_then(JsonValue::as_bool);
        Ok(Vector { id, path: path.to_string(), description, clauses, profile, input, expect, schema_valid, raw })
    }

    /// The JSON input, for `{"json": …}` decode vectors.
    pub fn json_input(&self) -> Option<&JsonValue> {
        self.raw.get("input")?.get("json")
    }
}

impl Suite {
    /// Loads every vector and group under `root`.
    pub fn load(root: &Path) -> Result<Suite, String> {
        let mut files = Vec::new();
        json_files(root, &mut files).map_err(|e| format!("reading {}: {e}", root.display()))?;
        files.sort();
        let mut suite = Suite { root: root.to_path_buf(), ..Suite::default() };
        for file in files {
            let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            let text = std::fs::read(&file).map_err(|e| format!("reading {rel}: {e}"))?;
            let raw: JsonValue = serde_json::from_slice(&text).map_err(|e| format!("{rel}: not JSON: {e}"))?;
            if rel.split('/').any(|part| part == "equivalent") {
                let members = raw
                    .get("members")
                    .and_then(JsonValue::as_array)
                    .and_then(|a| a.iter().map(|m| m.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| format!("{rel}: members is not an array of strings"))?;
                suite.groups.push(Group { id: string(&raw, "id", &rel)?, path: rel, members, raw });
            } else {
                suite.vectors.push(Vector::from_json(raw, &rel)?);
            }
        }
        Ok(suite)
    }

    /// The vector with this id.
    pub fn vector(&self, id: &str) -> Option<&Vector> {
        self.vectors.iter().find(|v| v.id == id)
    }
}

/// A decode input's bytes. A `concat` input ([vector.input]) is kept as its
/// pieces and built only when asked: the longest inputs are 256 MiB, most
/// uses need only their length or their first bytes, and a harness process
/// is sent them a piece at a time ([`Bytes::for_each_chunk`]).
#[derive(Clone, Debug)]
pub struct Bytes(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Whole(Vec<u8>),
    /// Each text repeated its number of times, in order; `len` bytes in all.
    Concat { pieces: Vec<(Vec<u8>, usize)>, len: usize },
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Bytes {
        Bytes(Repr::Whole(bytes))
    }
}

impl Bytes {
    /// The `concat` form: each text repeated its number of times; `None`
    /// when the total length overflows `usize`.
    pub fn concat(pieces: Vec<(Vec<u8>, usize)>) -> Option<Bytes> {
        let len = pieces.iter().try_fold(0usize, |sum, (t, n)| t.len().checked_mul(*n).and_then(|b| sum.checked_add(b)))?;
        Some(Bytes(Repr::Concat { pieces, len }))
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Whole(b) => b.len(),
            Repr::Concat { len, .. } => *len,
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes when they are held whole (not a `concat` input).
    pub fn as_whole(&self) -> Option<&[u8]> {
        match &self.0 {
            Repr::Whole(b) => Some(b),
            Repr::Concat { .. } => None,
        }
    }

    /// A `concat` input in its vector's form, `{"concat": [{"text": S,
    /// "repeat": N}, …]}` (what a harness that declares `"inputs":
    /// ["concat"]` is sent: [harness.inputs]); `None` for bytes held whole.
    pub fn as_concat(&self) -> Option<JsonValue> {
        let Repr::Concat { pieces, .. } = &self.0 else { return None };
        // The pieces are the texts of JSON strings, so UTF-8.
        let pieces: Vec<JsonValue> = pieces
            .iter()
            .map(|(text, n)| serde_json::json!({"text": String::from_utf8_lossy(text), "repeat": n}))
            .collect();
        Some(serde_json::json!({ "concat": pieces }))
    }

    /// The bytes, built when they are a `concat` input's.
    pub fn get(&self) -> Cow<'_, [u8]> {
        match &self.0 {
            Repr::Whole(b) => Cow::Borrowed(b),
            Repr::Concat { .. } => Cow::Owned(self.built(usize::MAX)),
        }
    }

    /// The first `n` bytes (all of them when there are fewer), without
    /// building the rest.
    pub fn head(&self, n: usize) -> Cow<'_, [u8]> {
        match &self.0 {
            Repr::Whole(b) => Cow::Borrowed(&b[..n.min(b.len())]),
            Repr::Concat { .. } => Cow::Owned(self.built(n)),
        }
    }

    /// Calls `f` with the bytes in order, `chunk` bytes at a time (the last
    /// call may have fewer; no call when there are no bytes), holding at
    /// most `chunk` bytes of a `concat` input at once; stops at `f`'s first
    /// error.
    pub fn for_each_chunk<E>(&self, chunk: usize, mut f: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let chunk = chunk.max(1);
        let Repr::Concat { pieces, .. } = &self.0 else {
            return self.get().chunks(chunk).try_for_each(f);
        };
        let mut buf = Vec::with_capacity(chunk.min(self.len()));
        for (text, n) in pieces {
            let mut left = text.len() * n;
            let mut phase = 0;
            while left > 0 {
                let take = (chunk - buf.len()).min(left);
                repeat_into(&mut buf, text, phase, take);
                phase = (phase + take) % text.len();
                left -= take;
                if buf.len() == chunk {
                    f(&buf)?;
                    buf.clear();
                }
            }
        }
        if buf.is_empty() { Ok(()) } else { f(&buf) }
    }

    /// At most the first `max` bytes of a `concat` input, built.
    fn built(&self, max: usize) -> Vec<u8> {
        let Repr::Concat { pieces, len } = &self.0 else { return Vec::new() };
        let mut out = Vec::with_capacity(max.min(*len));
        for (text, n) in pieces {
            let take = (text.len() * n).min(max - out.len());
            repeat_into(&mut out, text, 0, take);
        }
        out
    }
}

/// Appends `take` bytes of `text` repeated, from `phase` bytes into it,
/// with a few doubling copies rather than one copy per repeat (the pieces
/// are repeated up to 2^28 times, and the test profile has debug
/// assertions).
fn repeat_into(out: &mut Vec<u8>, text: &[u8], phase: usize, take: usize) {
    if take == 0 {
        return;
    }
    let start = out.len();
    // One period from `phase` (or less, when that is all it takes) ...
    let first = (text.len() - phase).min(take);
    out.extend_from_slice(&text[phase..phase + first]);
    out.extend_from_slice(&text[..phase.min(take - first)]);
    // ... then copies of what is there, a whole number of periods each
    // time but the last.
    while out.len() - start < take {
        let have = out.len() - start;
        out.extend_from_within(start..start + have.min(take - have));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(p: &[(&str, usize)]) -> Bytes {
        Bytes::concat(p.iter().map(|(t, n)| (t.as_bytes().to_vec(), *n)).collect()).unwrap()
    }

    #[test]
    fn concat_keeps_its_vector_form() {
        let b = pieces(&[("[\"é\",", 1), ("0,", 3), ("0]", 1)]);
        assert_eq!(
            b.as_concat(),
            Some(serde_json::json!({"concat": [{"text": "[\"é\",", "repeat": 1}, {"text": "0,", "repeat": 3}, {"text": "0]", "repeat": 1}]}))
        );
        assert_eq!(Bytes::from(b"[0]".to_vec()).as_concat(), None);
    }

    #[test]
    fn concat_repeats_each_piece_in_order() {
        let b = pieces(&[("ab", 3), ("", 5), ("c", 0), ("xyz", 1), ("-", 7)]);
        assert_eq!(b.len(), 2 * 3 + 3 + 7);
        assert_eq!(&*b.get(), b"abababxyz-------");
        assert_eq!(&*pieces(&[("q", 1 << 20)]).get(), vec![b'q'; 1 << 20]);
        assert!(b.as_whole().is_none());
        assert!(Bytes::concat(vec![(b"ab".to_vec(), usize::MAX / 2), (b"abc".to_vec(), 1)]).is_none());
    }

    #[test]
    fn heads_and_chunks_are_the_bytes() {
        let b = pieces(&[("{\"a\": [", 1), ("0,", 1000), ("xyz", 7), ("", 3), ("0]}", 1)]);
        let whole = b.get().into_owned();
        assert_eq!(whole.len(), 7 + 2000 + 21 + 3);
        let plain = Bytes::from(whole.clone());
        assert_eq!(plain.as_whole(), Some(whole.as_slice()));
        for n in [0, 1, 5, 6, 7, 8, 1999, 2006, 2007, 2030, 5000] {
            assert_eq!(&*b.head(n), &whole[..n.min(whole.len())], "head({n})");
            assert_eq!(&*plain.head(n), &whole[..n.min(whole.len())]);
        }
        for chunk in [1, 2, 3, 5, 7, 64, 2001, 2029, 2030, 2031, 1 << 20] {
            for src in [&b, &plain] {
                let (mut got, mut sizes) = (Vec::new(), Vec::new());
                src.for_each_chunk(chunk, |c| {
                    sizes.push(c.len());
                    got.extend_from_slice(c);
                    Ok::<(), ()>(())
                })
                .unwrap();
                assert_eq!(got, whole, "chunk {chunk}");
                assert!(sizes[..sizes.len() - 1].iter().all(|&s| s == chunk), "chunk {chunk}: {sizes:?}");
            }
        }
        let mut calls = 0;
        pieces(&[("x", 0)]).for_each_chunk(3, |_| Ok::<(), ()>(calls += 1)).unwrap();
        assert_eq!(calls, 0);
        let first_error = pieces(&[("ab", 3)]).for_each_chunk(2, |c| if c == b"ab" { Err(c.len()) } else { Ok(()) });
        assert_eq!(first_error, Err(2));
    }
}
