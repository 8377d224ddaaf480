//! Structured mutations for the differential run: inputs that are
//! [frames](../../spec/src/frame.md) (first byte `c1`) or, in the flame
//! profile, FLM frames (`spec/src/flame.md`) are taken apart and changed
//! where their framing can go wrong, then put back together so that the
//! change reaches the check it aims at instead of an earlier one (a header
//! member changed with `H` and the buffer layout written anew; an FLM
//! frame's `bodyLength` changed inside its flatbuffer).
//!
//! Every parser here is lenient and bounds-checked: it reads whatever it can
//! of a damaged input (the seeds include invalid vectors), and returns
//! `None` where it cannot, so the caller falls back to byte mutations.

use serde_json::{Map, Value as JsonValue, json};

use crate::differential::Rng;

const ALIGN: usize = sciwire::frame::ALIGN as usize;

fn align(n: usize) -> usize {
    n.div_ceil(ALIGN).saturating_mul(ALIGN)
}

/// A sciwire frame taken apart: its version field, its header's members
/// (without `buffers`), and its buffers' bytes as the header claims them.
#[derive(Clone, Debug)]
pub struct FrameParts {
    /// The 4 bytes after the signature.
    pub version: [u8; 4],
    /// The header's members, `buffers` removed.
    pub header: Map<String, JsonValue>,
    /// Each claimed buffer's bytes (empty where the claim is out of range).
    pub buffers: Vec<Vec<u8>>,
}

/// Takes a frame apart, leniently: `None` when it has no signature, no
/// readable `H`, or a header that is not a JSON object.
pub fn frame_parts(bytes: &[u8]) -> Option<FrameParts> {
    let rest = bytes.strip_prefix(&sciwire::frame::SIGNATURE)?;
    let version: [u8; 4] = rest.get(0..4)?.try_into().ok()?;
    let h = u32::from_le_bytes(rest.get(4..8)?.try_into().ok()?) as usize;
    let header_end = 16usize.checked_add(h)?;
    let JsonValue::Object(mut header) = serde_json::from_slice(bytes.get(16..header_end)?).ok()? else {
        return None;
    };
    let d = align(header_end);
    let claimed = header.remove("buffers").and_then(|b| b.as_array().cloned()).unwrap_or_default();
    let buffers = claimed
        .iter()
        .take(64)
        .map(|item| {
            let o = item.get(0).and_then(JsonValue::as_u64).and_then(|o| usize::try_from(o).ok());
            let l = item.get(1).and_then(JsonValue::as_u64).and_then(|l| usize::try_from(l).ok());
            let range = o.zip(l).and_then(|(o, l)| {
                let start = d.checked_add(o)?;
                Some(start..start.checked_add(l)?)
            });
            range.and_then(|r| bytes.get(r)).unwrap_or_default().to_vec()
        })
        .collect();
    Some(FrameParts { version, header, buffers })
}

/// Where things are in a frame [`write_frame`] wrote.
#[derive(Clone, Debug, Default)]
pub struct FrameMap {
    /// `16 + H`: where the header ends.
    pub header_end: usize,
    /// `D`: where the buffers start.
    pub data_start: usize,
    /// Each buffer's start and end, in the frame.
    pub buffers: Vec<(usize, usize)>,
    /// Every padding byte's position.
    pub padding: Vec<usize>,
}

/// The layout a writer gives these buffers: `[offset, length]` from `D`.
pub fn layout(buffers: &[Vec<u8>]) -> Vec<(u64, u64)> {
    let mut end = 0usize;
    buffers
        .iter()
        .map(|b| {
            let offset = align(end);
            end = offset + b.len();
            (offset as u64, b.len() as u64)
        })
        .collect()
}

/// Writes a frame: the signature, `version`, `H` (the header's true length),
/// the header with `buffers` set to `claimed`, zero padding, and the buffers
/// where a writer puts them (whatever `claimed` says).
pub fn write_frame(version: [u8; 4], header: &Map<String, JsonValue>, claimed: &JsonValue, buffers: &[Vec<u8>]) -> (Vec<u8>, FrameMap) {
    let mut header = header.clone();
    header.insert("buffers".into(), claimed.clone());
    let text = JsonValue::Object(header).to_string();
    let mut out = sciwire::frame::SIGNATURE.to_vec();
    out.extend_from_slice(&version);
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    let mut map = FrameMap { header_end: out.len(), data_start: align(out.len()), ..FrameMap::default() };
    map.padding.extend(out.len()..map.data_start);
    out.resize(map.data_start, 0);
    for ((offset, _), b) in layout(buffers).iter().zip(buffers) {
        let at = map.data_start + *offset as usize;
        map.padding.extend(out.len()..at);
        out.resize(at, 0);
        map.buffers.push((at, at + b.len()));
        out.extend_from_slice(b);
    }
    (out, map)
}

fn claims(layout: &[(u64, u64)]) -> JsonValue {
    JsonValue::Array(layout.iter().map(|(o, l)| json!([o, l])).collect())
}

/// Values a header member is set to: other types, edges of the integer
/// ranges, other encodings and markers, buffer indices out of range.
const MEMBER_VALUES: &[&str] = &[
    "null", "true", "0", "-1", "1", "2", "3", "0.5", "1.0", "9007199254740992", "18446744073709551616", "\"\"",
    "\"frame\"", "\"json\"", "\"arrow\"", "\"ndarray\"", "\"torch.tensor\"", "\"float64\"", "\"bool\"", "\"<U2\"",
    "[]", "[0]", "[2,3]", "[-1]", "{}", "{\"__tywrap__\":\"ndarray\"}",
];

/// Members a header gains.
const NEW_MEMBERS: &[(&str, &str)] = &[
    ("x-note", "1"),
    ("b64", "\"\""),
    ("data", "0"),
    ("order", "\"C\""),
    ("codecVersion", "0"),
    ("buffers2", "[]"),
    ("__tywrap__", "\"scipy.sparse\""),
];

/// What `buffers` is replaced with, when its form is the mutation.
const BUFFERS_VALUES: &[&str] = &[
    "null", "{}", "\"\"", "[[0]]", "[[0,1,2]]", "[[-1,0]]", "[[0.5,8]]", "[[0,\"8\"]]", "[null]", "[[0,9007199254740992]]",
    "[[0,268435457]]",
];

/// Every object in `v` as a JSON pointer (the root is `""`).
fn object_pointers(v: &JsonValue, at: String, out: &mut Vec<String>) {
    if let JsonValue::Object(m) = v {
        out.push(at.clone());
        for (k, child) in m {
            object_pointers(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
        }
    } else if let JsonValue::Array(a) = v {
        for (i, child) in a.iter().enumerate().take(8) {
            object_pointers(child, format!("{at}/{i}"), out);
        }
    }
}

fn parse(token: &str) -> JsonValue {
    serde_json::from_str(token).unwrap_or(JsonValue::Null)
}

/// One structured mutation of a frame, and what it was; `None` when `input`
/// cannot be taken apart.
pub fn mutate_frame(input: &[u8], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    let FrameParts { version, header, mut buffers } = frame_parts(input)?;
    let root = JsonValue::Object(header.clone());
    let mut objects = Vec::new();
    object_pointers(&root, String::new(), &mut objects);
    let write = |header: &Map<String, JsonValue>, claimed: &JsonValue, buffers: &[Vec<u8>]| write_frame(version, header, claimed, buffers);
    let honest = claims(&layout(&buffers));
    let pick = |rng: &mut Rng, n: usize| rng.below(n);
    Some(match rng.below(14) {
        // A member's value, anywhere in the header (a nested envelope's too).
        0 | 1 => {
            let mut root = root.clone();
            let at = &objects[pick(rng, objects.len())];
            let obj = root.pointer_mut(at).and_then(JsonValue::as_object_mut)?;
            let keys: Vec<String> = obj.keys().cloned().collect();
            if keys.is_empty() {
                return None;
            }
            let key = keys[pick(rng, keys.len())].clone();
            let token = MEMBER_VALUES[pick(rng, MEMBER_VALUES.len())];
            obj.insert(key.clone(), parse(token));
            let JsonValue::Object(header) = root else { return None };
            (write(&header, &honest, &buffers).0, format!("frame: set header member {at}/{key} to {token}"))
        }
        // A member removed.
        2 => {
            let mut root = root.clone();
            let at = &objects[pick(rng, objects.len())];
            let obj = root.pointer_mut(at).and_then(JsonValue::as_object_mut)?;
            let keys: Vec<String> = obj.keys().cloned().collect();
            if keys.is_empty() {
                return None;
            }
            let key = keys[pick(rng, keys.len())].clone();
            obj.remove(&key);
            let JsonValue::Object(header) = root else { return None };
            (write(&header, &honest, &buffers).0, format!("frame: remove header member {at}/{key}"))
        }
        // A member added.
        3 => {
            let mut root = root.clone();
            let at = &objects[pick(rng, objects.len())];
            let obj = root.pointer_mut(at).and_then(JsonValue::as_object_mut)?;
            let (key, token) = NEW_MEMBERS[pick(rng, NEW_MEMBERS.len())];
            obj.insert(key.to_string(), parse(token));
            let JsonValue::Object(header) = root else { return None };
            (write(&header, &honest, &buffers).0, format!("frame: add header member {at}/{key}: {token}"))
        }
        // A claimed offset or length moved, the bytes where they were.
        4 | 5 if !buffers.is_empty() => {
            let mut claimed = layout(&buffers);
            let k = pick(rng, claimed.len());
            let delta: i64 = [-64, -63, -8, -1, 1, 8, 63, 64][pick(rng, 8)];
            let (what, field) = if rng.below(2) == 0 { ("offset", &mut claimed[k].0) } else { ("length", &mut claimed[k].1) };
            *field = field.saturating_add_signed(delta);
            (write(&header, &claims(&claimed), &buffers).0, format!("frame: buffer {k}'s claimed {what} {delta:+}"))
        }
        // A buffer's bytes shortened or lengthened, the layout kept right.
        6 if !buffers.is_empty() => {
            let k = pick(rng, buffers.len());
            let n = [1usize, 2, 4, 8][pick(rng, 4)];
            let what = if rng.below(2) == 0 && buffers[k].len() >= n {
                let len = buffers[k].len() - n;
                buffers[k].truncate(len);
                format!("frame: buffer {k} {n} bytes shorter, layout rewritten")
            } else {
                buffers[k].extend(std::iter::repeat_n(0u8, n));
                format!("frame: buffer {k} {n} bytes longer, layout rewritten")
            };
            (write(&header, &claims(&layout(&buffers)), &buffers).0, what)
        }
        // A buffer no member refers to, or one fewer buffer, or two swapped.
        7 => {
            let n = [0usize, 1, 8, 64, 65][pick(rng, 5)];
            buffers.push(vec![0x5a; n]);
            (write(&header, &claims(&layout(&buffers)), &buffers).0, format!("frame: an extra buffer of {n} bytes"))
        }
        8 if !buffers.is_empty() => {
            let k = pick(rng, buffers.len());
            buffers.remove(k);
            (write(&header, &claims(&layout(&buffers)), &buffers).0, format!("frame: buffer {k} removed"))
        }
        9 if buffers.len() >= 2 => {
            let (i, j) = (pick(rng, buffers.len()), pick(rng, buffers.len()));
            buffers.swap(i, j);
            (write(&header, &claims(&layout(&buffers)), &buffers).0, format!("frame: buffers {i} and {j} swapped"))
        }
        // A padding byte that is not zero.
        10 => {
            let (mut frame, map) = write(&header, &honest, &buffers);
            if map.padding.is_empty() {
                return None;
            }
            let at = map.padding[pick(rng, map.padding.len())];
            let b = [0x01u8, 0x20, 0x80, 0xff][pick(rng, 4)];
            frame[at] = b;
            (frame, format!("frame: padding byte {at} set to {b:#04x}"))
        }
        // Cut at a boundary: inside the prefix, after the header, at `D`,
        // at a buffer's start or end.
        11 => {
            let (mut frame, map) = write(&header, &honest, &buffers);
            let mut cuts = vec![0, 1, 7, 8, 12, 16, map.header_end, map.data_start];
            for (s, e) in &map.buffers {
                cuts.extend([*s, *e, e.saturating_sub(1)]);
            }
            cuts.retain(|&c| c < frame.len());
            let at = *cuts.get(pick(rng, cuts.len().max(1)))?;
            frame.truncate(at);
            (frame, format!("frame: truncated at {at} (a boundary)"))
        }
        // The version, or `H`, or `buffers` itself, or trailing bytes.
        12 => {
            let (mut frame, map) = write(&header, &honest, &buffers);
            match rng.below(4) {
                0 => {
                    let v = [0u32, 2, 0x0100_0000, u32::MAX][pick(rng, 4)];
                    frame[8..12].copy_from_slice(&v.to_le_bytes());
                    (frame, format!("frame: version {v}"))
                }
                1 => {
                    let h = (map.header_end - 16) as i64 + [-1i64, 1, -16, 64, 1 << 31][pick(rng, 5)];
                    let h = u32::try_from(h.max(0)).unwrap_or(u32::MAX);
                    frame[12..16].copy_from_slice(&h.to_le_bytes());
                    (frame, format!("frame: H set to {h}"))
                }
                2 => {
                    let token = BUFFERS_VALUES[pick(rng, BUFFERS_VALUES.len())];
                    (write(&header, &parse(token), &buffers).0, format!("frame: buffers set to {token}"))
                }
                _ => {
                    let n = [1usize, 8, 63, 64][pick(rng, 4)];
                    frame.extend(std::iter::repeat_n(0u8, n));
                    (frame, format!("frame: {n} trailing zero bytes"))
                }
            }
        }
        // Unchanged but rewritten: members in another order, same value.
        _ => (write(&header, &honest, &buffers).0, "frame: rewritten as it is".to_string()),
    })
}

/// An FLM frame taken apart: its tag, and when the payload is an
/// encapsulated message, where its parts are.
#[derive(Clone, Copy, Debug)]
pub struct FlmParts {
    /// The tag byte.
    pub tag: u8,
    /// Where `M` is (in the frame), when the continuation is there.
    pub m_at: Option<usize>,
    /// `M`, when readable.
    pub m: Option<i32>,
    /// Where the body starts (`4 + 8 + M`), when that is inside the frame.
    pub body_start: Option<usize>,
}

/// Takes an FLM frame apart: `None` for what does not start with `FLM` and a tag.
pub fn flm_parts(bytes: &[u8]) -> Option<FlmParts> {
    let tag = *bytes.strip_prefix(&sciwire::flame::PREFIX)?.first()?;
    let continuation = bytes.get(4..8) == Some(&[0xff; 4]);
    let m = if continuation { bytes.get(8..12).and_then(|m| m.try_into().ok()).map(i32::from_le_bytes) } else { None };
    let body_start = m.and_then(|m| usize::try_from(m).ok()).and_then(|m| m.checked_add(12)).filter(|&s| s <= bytes.len());
    Some(FlmParts { tag, m_at: continuation.then_some(8), m, body_start })
}

fn read_u16(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at.checked_add(2)?)?.try_into().ok()?) as usize)
}

fn read_u32(b: &[u8], at: usize) -> Option<usize> {
    usize::try_from(u32::from_le_bytes(b.get(at..at.checked_add(4)?)?.try_into().ok()?)).ok()
}

/// The position (in `meta`) of field `index` of the flatbuffer table at
/// `table`, when the table's vtable lists it.
fn fb_field(meta: &[u8], table: usize, index: usize) -> Option<usize> {
    let soffset = i32::from_le_bytes(meta.get(table..table.checked_add(4)?)?.try_into().ok()?);
    let vtable = usize::try_from(i64::try_from(table).ok()? - i64::from(soffset)).ok()?;
    let vsize = read_u16(meta, vtable)?;
    let slot = 4 + 2 * index;
    if slot + 2 > vsize {
        return None;
    }
    let off = read_u16(meta, vtable + slot)?;
    (off != 0).then_some(table + off)
}

/// Follows the uoffset at `at`.
fn fb_deref(meta: &[u8], at: usize) -> Option<usize> {
    at.checked_add(read_u32(meta, at)?).filter(|&p| p < meta.len())
}

/// The 8-byte integer fields of an Arrow tensor message worth changing, as
/// (name, position in the frame): `Message.bodyLength`, `Tensor.data`'s
/// offset and length, each `TensorDim.size`, each stride; and the 1-byte
/// `Tensor.type_type`.
pub fn flm_fields(bytes: &[u8]) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    let Some(FlmParts { m: Some(m), .. }) = flm_parts(bytes) else { return out };
    let Some(meta) = usize::try_from(m).ok().and_then(|m| bytes.get(12..12usize.checked_add(m)?)) else { return out };
    let base = 12;
    let Some(message) = read_u32(meta, 0).filter(|&t| t < meta.len()) else { return out };
    if let Some(at) = fb_field(meta, message, 3) {
        out.push(("bodyLength".to_string(), base + at, 8));
    }
    let Some(tensor) = fb_field(meta, message, 2).and_then(|at| fb_deref(meta, at)) else { return out };
    if let Some(at) = fb_field(meta, tensor, 0) {
        out.push(("Tensor.type_type".to_string(), base + at, 1));
    }
    if let Some(at) = fb_field(meta, tensor, 4) {
        out.push(("Tensor.data.offset".to_string(), base + at, 8));
        out.push(("Tensor.data.length".to_string(), base + at + 8, 8));
    }
    if let Some(vec) = fb_field(meta, tensor, 2).and_then(|at| fb_deref(meta, at)) {
        let n = read_u32(meta, vec).unwrap_or(0).min(8);
        for i in 0..n {
            let dim = vec + 4 + 4 * i;
            if let Some(at) = fb_deref(meta, dim).and_then(|t| fb_field(meta, t, 0)) {
                out.push((format!("shape[{i}].size"), base + at, 8));
            }
        }
    }
    if let Some(vec) = fb_field(meta, tensor, 3).and_then(|at| fb_deref(meta, at)) {
        let n = read_u32(meta, vec).unwrap_or(0).min(8);
        for i in 0..n {
            out.push((format!("strides[{i}]"), base + vec + 4 + 8 * i, 8));
        }
    }
    out.retain(|(_, at, len)| at + len <= bytes.len());
    out
}

fn read_i64(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// One structured mutation of an FLM frame, and what it was; `None` when
/// `input` does not start with `FLM` and a tag.
pub fn mutate_flm(input: &[u8], rng: &mut Rng) -> Option<(Vec<u8>, String)> {
    let parts = flm_parts(input)?;
    let mut out = input.to_vec();
    Some(match rng.below(9) {
        // Another tag.
        0 => {
            let tags: Vec<u8> = [0x00u8, 0x01, 0x02, 0x03, 0x04, 0x05, 0x7f, 0xff].into_iter().filter(|&t| t != parts.tag).collect();
            let tag = tags[rng.below(tags.len())];
            out[3] = tag;
            (out, format!("FLM: tag {:02x} -> {tag:02x}", parts.tag))
        }
        // Another M.
        1 if parts.m.is_some() => {
            let m = parts.m.unwrap_or(0);
            let whole = i32::try_from(input.len()).unwrap_or(i32::MAX).wrapping_sub(12);
            let choices: Vec<i32> = [m.wrapping_add(8), m.wrapping_sub(8), m.wrapping_add(1), m.wrapping_sub(1), 0, -8, i32::MAX, whole]
                .into_iter()
                .filter(|&x| x != m)
                .collect();
            let new = choices[rng.below(choices.len())];
            out[8..12].copy_from_slice(&new.to_le_bytes());
            (out, format!("FLM: M {m} -> {new}"))
        }
        // The pre-0.15 form (no continuation), or a damaged continuation.
        2 if parts.m_at.is_some() => {
            if rng.below(2) == 0 {
                out.drain(4..8);
                (out, "FLM: continuation removed (pre-0.15 message form)".to_string())
            } else {
                out[4 + rng.below(4)] = 0x00;
                (out, "FLM: continuation damaged".to_string())
            }
        }
        // A field of the flatbuffer: bodyLength, data, shape, strides, type.
        3 | 4 => {
            let fields = flm_fields(input);
            if fields.is_empty() {
                return None;
            }
            let (name, at, len) = &fields[rng.below(fields.len())];
            if *len == 1 {
                let types: Vec<u8> = [0u8, 1, 2, 3, 5, 6, 7, 16, 17, 0xff].into_iter().filter(|&t| t != input[*at]).collect();
                let t = types[rng.below(types.len())];
                out[*at] = t;
                return Some((out, format!("FLM: {name} -> {t}")));
            }
            let old = read_i64(input, *at)?;
            let choices: Vec<i64> =
                [old.wrapping_add(1), old.wrapping_sub(1), old.wrapping_add(8), old.wrapping_sub(8), 0, -1, old.wrapping_mul(2), 1 << 53, i64::MAX]
                    .into_iter()
                    .filter(|&x| x != old)
                    .collect();
            let new = choices[rng.below(choices.len())];
            out[*at..at + 8].copy_from_slice(&new.to_le_bytes());
            (out, format!("FLM: {name} {old} -> {new}"))
        }
        // The body padded to 8 bytes, as Arrow allows and bodyLength says.
        5 => {
            let fields = flm_fields(input);
            let (_, at, _) = fields.iter().find(|(n, _, _)| n == "bodyLength")?;
            let body = parts.body_start.map(|s| input.len() - s)?;
            let pad = body.next_multiple_of(8) - body + if rng.below(2) == 0 { 0 } else { 8 };
            out.extend(std::iter::repeat_n(0u8, pad));
            out[*at..at + 8].copy_from_slice(&((body + pad) as i64).to_le_bytes());
            (out, format!("FLM: body padded by {pad} zero bytes, bodyLength {}", body + pad))
        }
        // Cut where the parts meet.
        6 => {
            let mut cuts = vec![3usize, 4, 8, 12];
            if let Some(s) = parts.body_start {
                cuts.extend([s, s.saturating_sub(1), s + 1]);
            }
            cuts.retain(|&c| c < input.len());
            let at = *cuts.get(rng.below(cuts.len().max(1)))?;
            out.truncate(at);
            (out, format!("FLM: truncated at {at} (a boundary)"))
        }
        // Trailing bytes.
        7 => {
            let n = [1usize, 4, 8, 16][rng.below(4)];
            let b = if rng.below(2) == 0 { 0 } else { rng.next_u64() as u8 };
            out.extend(std::iter::repeat_n(b, n));
            (out, format!("FLM: trailing {n} bytes {b:#04x}"))
        }
        // A byte of the metadata.
        _ => {
            let end = parts.body_start.unwrap_or(input.len());
            if end <= 12 {
                return None;
            }
            let at = 12 + rng.below(end - 12);
            out[at] ^= 1 << rng.below(8);
            (out, format!("FLM: flip a bit of metadata byte {at}"))
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use super::*;

    fn frame() -> Vec<u8> {
        let v = sciwire::Value::from_canonical(&json!({"kind": "tensor", "dtype": "torch.int32",
            "array": {"kind": "ndarray", "dtype": "int32", "shape": [3], "hex": "010000000200000003000000"}}))
        .unwrap();
        sciwire::encode(&v, sciwire::Encoding::Frame).unwrap()
    }

    #[test]
    fn a_frame_taken_apart_and_written_again_decodes_the_same() {
        let f = frame();
        let parts = frame_parts(&f).unwrap();
        assert_eq!(parts.buffers.len(), 1);
        let (again, map) = write_frame(parts.version, &parts.header, &claims(&layout(&parts.buffers)), &parts.buffers);
        let limits = sciwire::Limits::default();
        assert_eq!(sciwire::decode(&again, &limits).unwrap(), sciwire::decode(&f, &limits).unwrap());
        assert_eq!(map.buffers.len(), 1);
        assert_eq!(map.data_start % 64, 0);
        assert!(map.padding.iter().all(|&p| again[p] == 0));
    }

    #[test]
    fn frame_mutations_are_varied_and_mostly_rejected() {
        let f = frame();
        let limits = sciwire::Limits::default();
        let mut rng = Rng::new(7);
        let (mut hows, mut rejected) = (Vec::new(), 0);
        for _ in 0..400 {
            let (m, how) = mutate_frame(&f, &mut rng).unwrap();
            rejected += usize::from(sciwire::decode(&m, &limits).is_err());
            hows.push(how);
        }
        for kind in [
            "set header member /value/", "remove header member", "add header member", "claimed offset", "claimed length",
            "shorter", "longer", "extra buffer", "removed", "padding byte", "truncated at", "version", "H set",
            "buffers set", "trailing", "rewritten as it is",
        ] {
            assert!(hows.iter().any(|h| h.contains(kind)), "no {kind:?} in {hows:?}");
        }
        assert!(rejected > 200, "{rejected} of 400 rejected");
    }

    /// `FLM\x01` and pyarrow's tensor message for int32 [1, 2, 3]
    /// (binary-framing-peers.md section 1, measured).
    const I32: &str = "464c4d01ffffffffb800000014000000000000000c001a000600050008000c000c00000000040400200000000c000000000000000000000000000e002800070008000c00100014000e0000000000000260000000280000001800000000000000000000000c0000000000000000000000010000000400000000000000010000000c00000008001400080004000800000010000000030000000000000000000000000000000000000008000c00080007000800000000000001200000000000000000000000010000000200000003000000";

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn the_tensor_message_fields_are_found() {
        let f = unhex(I32);
        assert_eq!(f.len(), 208);
        let parts = flm_parts(&f).unwrap();
        assert_eq!((parts.tag, parts.m, parts.body_start), (1, Some(184), Some(196)));
        let fields = flm_fields(&f);
        let value = |name: &str| {
            let (_, at, len) = fields.iter().find(|(n, _, _)| n == name).unwrap_or_else(|| panic!("{name}: {fields:?}"));
            if *len == 1 { i64::from(f[*at]) } else { read_i64(&f, *at).unwrap() }
        };
        assert_eq!(value("bodyLength"), 12);
        assert_eq!(value("Tensor.type_type"), 2); // Int
        assert_eq!(value("Tensor.data.offset"), 0);
        assert_eq!(value("Tensor.data.length"), 12);
        assert_eq!(value("shape[0].size"), 3);
        assert_eq!(value("strides[0]"), 4);
    }

    #[test]
    fn flm_mutations_cover_every_kind() {
        let f = unhex(I32);
        let mut rng = Rng::new(3);
        let mut kinds = std::collections::BTreeSet::new();
        for _ in 0..300 {
            if let Some((m, how)) = mutate_flm(&f, &mut rng) {
                assert_ne!(m, f, "{how}");
                kinds.insert(how.split_whitespace().nth(1).unwrap_or_default().to_string());
            }
        }
        for k in ["tag", "M", "continuation", "bodyLength", "body", "truncated", "trailing", "flip"] {
            assert!(kinds.contains(k), "no {k} mutation in {kinds:?}");
        }
        assert!(mutate_flm(b"\x80\x05N.", &mut rng).is_none());
    }
}
