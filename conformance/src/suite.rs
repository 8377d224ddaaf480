//! Loading the vector suite (`vectors/v1/`, format in `spec/src/vectors.md`).

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
    Decode(Vec<u8>),
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
                serde_json::to_vec(v).map_err(|e| format!("{path}: {e}"))?
            } else if let Some(t) = input.get("text").and_then(JsonValue::as_str) {
                t.as_bytes().to_vec()
            } else if let Some(b) = input.get("base64").and_then(JsonValue::as_str) {
                base64::engine::general_purpose::STANDARD.decode(b).map_err(|e| format!("{path}: input.base64: {e}"))?
            } else if let Some(pieces) = input.get("concat").and_then(JsonValue::as_array) {
                let pieces: Vec<(&str, usize)> = pieces
                    .iter()
                    .map(|p| {
                        let text = p.get("text").and_then(JsonValue::as_str).unwrap_or_default();
                        (text, p.get("repeat").and_then(JsonValue::as_u64).unwrap_or(1) as usize)
                    })
                    .collect();
                let total = pieces
                    .iter()
                    .try_fold(0usize, |sum, (t, n)| t.len().checked_mul(*n).and_then(|b| sum.checked_add(b)))
                    .ok_or_else(|| format!("{path}: input.concat is larger than memory"))?;
                concat(&pieces, total)
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

/// The `concat` input form ([vector.input]): each text repeated its number
/// of times, in order, in one allocation of `total` bytes, with a few
/// doubling copies per piece rather than one copy per repeat (these inputs
/// reach hundreds of MiB, and the test profile has debug assertions).
fn concat(pieces: &[(&str, usize)], total: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(total);
    for &(text, n) in pieces {
        if n == 0 {
            continue;
        }
        let start = bytes.len();
        bytes.extend_from_slice(text.as_bytes());
        let mut have = 1;
        while have < n {
            let more = have.min(n - have);
            bytes.extend_from_within(start..start + more * text.len());
            have += more;
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_repeats_each_piece_in_order() {
        let pieces = [("ab", 3), ("", 5), ("c", 0), ("xyz", 1), ("-", 7)];
        let total = 2 * 3 + 3 + 7;
        let got = concat(&pieces, total);
        assert_eq!(got, b"abababxyz-------");
        assert_eq!(got.capacity(), total);
        assert_eq!(concat(&[("q", 1 << 20)], 1 << 20), vec![b'q'; 1 << 20]);
    }
}
