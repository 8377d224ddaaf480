//! Scans of JSON text that do not parse it: runs of bytes that need no
//! look one by one (32 at a time), the end of an array or object
//! ([`locate`]: a deferred member), the items of an array ([`count_items`])
//! and runs of plain integers ([`int_run`]).

/// The end of the array or object that starts at `b[start]`, as a valid
/// JSON text ends it: brackets are counted outside strings, of either kind.
/// `None` when the text ends first. Only valid text is located exactly;
/// for any other the span is validated later all the same, and the fault
/// found then is the first of the text (everything before `start` is
/// valid, and a valid value is located exactly). `None` too once the value
/// nests deeper than `max_depth` levels, which no valid text does: the
/// validating parser then stops there, as early as it always did.
pub(super) fn locate(b: &[u8], start: usize, max_depth: u32) -> Option<usize> {
    let mut depth = 0u32;
    let mut i = start;
    loop {
        // Past the quiet blocks, the next 32 bytes (one of which is special)
        // are looked at one by one.
        i += quiet_run(b.get(i..)?);
        let block_end = i + 32;
        while i < block_end {
            match *b.get(i)? {
                b'[' | b'{' => {
                    depth += 1;
                    if depth > max_depth {
                        return None;
                    }
                }
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(i + 1);
                    }
                }
                b'"' => {
                    i += 1;
                    // Byte by byte first (a member name is short), then by blocks.
                    'string: loop {
                        let run_end = i + 32;
                        while i < run_end {
                            match *b.get(i)? {
                                b'"' => break 'string,
                                b'\\' => i += 2,
                                _ => i += 1,
                            }
                        }
                        i += plain_run(b.get(i..)?);
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

/// The length of the leading run of `b` with no bracket and no `"`, in
/// whole blocks of 32 bytes, as [`plain_run`] counts (a numeric array's
/// numbers are such a run). `[ ] { }` are the bytes `0x59` to `0x7f` whose
/// bits `0x26` are free: the four and `Y _ y DEL`, which only cost a look.
pub(super) fn quiet_run(b: &[u8]) -> usize {
    let mut n = 0;
    for block in b.chunks_exact(32) {
        let mut special = false;
        for &c in block {
            special |= (c & 0xd9 == 0x59) | (c == b'"');
        }
        if special {
            break;
        }
        n += 32;
    }
    n
}

/// The length of the leading run of `b` with no `"`, `\\` or control
/// character (bytes below 0x20), in whole blocks of 32 bytes: the loop over
/// a block compiles to vector compares, so that a long string (an arrow
/// envelope's `b64`) is scanned at memory speed.
#[inline(always)]
pub(super) fn plain_run(b: &[u8]) -> usize {
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

/// The number of items of an array span that [`parse_document`](super::parse_document) has
/// validated, counting no further than `max + 1`: the commas outside
/// strings and nested values, plus one unless the array is empty. A
/// numeric array's numbers are read 32 bytes at a time, as [`quiet_run`]
/// reads them (a `[0,0,…]` of 64 MiB is counted in milliseconds, where
/// walking its items takes a third of a second). Given any other text, it
/// returns a number no larger than the span's length.
pub(crate) fn count_items(span: &str, max: u64) -> u64 {
    let b = span.as_bytes();
    let open = b.iter().position(|&c| c == b'[').unwrap_or(b.len());
    let mut i = open + 1;
    while let Some(b' ' | b'\t' | b'\n' | b'\r') = b.get(i) {
        i += 1;
    }
    if b.get(i).is_none_or(|&c| c == b']') {
        return 0;
    }
    let mut items = 1u64;
    // Nesting below the array's own level.
    let mut depth = 0u32;
    loop {
        // Blocks of 32 bytes with no bracket and no `"`: their commas are
        // all at the current depth.
        for block in b[i..].chunks_exact(32) {
            let mut special = false;
            let mut commas = 0u8;
            for &c in block {
                special |= (c & 0xd9 == 0x59) | (c == b'"');
                commas += u8::from(c == b',');
            }
            if special {
                break;
            }
            if depth == 0 {
                items += u64::from(commas);
            }
            i += 32;
        }
        if items > max {
            return items;
        }
        // Then the next 32 bytes, one by one.
        let block_end = i + 32;
        while i < block_end {
            match b.get(i) {
                None => return items,
                Some(b',') if depth == 0 => items += 1,
                Some(b'[' | b'{') => depth += 1,
                Some(b']' | b'}') => match depth.checked_sub(1) {
                    Some(d) => depth = d,
                    None => return items,
                },
                Some(b'"') => {
                    i += 1;
                    'string: loop {
                        i += plain_run(b.get(i..).unwrap_or_default());
                        let run_end = i + 32;
                        while i < run_end {
                            match b.get(i) {
                                None => return items,
                                Some(b'"') => break 'string,
                                Some(b'\\') => i += 2,
                                Some(_) => i += 1,
                            }
                        }
                    }
                }
                Some(_) => {}
            }
            i += 1;
        }
    }
}

/// The length of the leading run of `b` (which starts at an array item)
/// that is whole items of a list of plain integers, as Python's `json`
/// writes an index array (`0`, `17`: no sign, fraction or exponent, no
/// leading zero), each followed by `,` and at most one space after it: 32
/// bytes at a time, each block holding nothing else, up to and including
/// the block's last comma. What it passes is valid JSON, which the
/// byte-by-byte path would have read alike; it reads the rest (0 when the
/// first block does not qualify).
pub(super) fn int_run(b: &[u8]) -> usize {
    let is_digit = |c: u8| c.wrapping_sub(b'0') < 10;
    let mut n = 0;
    while let Some(Ok(block)) = b.get(n..n + 32).map(<&[u8; 32]>::try_from) {
        // Each byte beside the one before it (before the block: the comma
        // that ended the last item) and the one after it (after the block:
        // none), so that the loop below compiles to vector compares.
        let mut prev = [b','; 32];
        prev[1..].copy_from_slice(&block[..31]);
        let mut next = [b' '; 32];
        next[..31].copy_from_slice(&block[1..]);
        let (mut bad, mut last_comma) = (false, 0u8);
        for k in 0..32 {
            let (c, p) = (block[k], prev[k]);
            bad |= !(is_digit(c) | (c == b',') | (c == b' '));
            bad |= (c == b',') & !is_digit(p);
            bad |= (c == b' ') & (p != b',');
            bad |= (c == b'0') & !is_digit(p) & is_digit(next[k]);
            last_comma = last_comma.max(if c == b',' { k as u8 + 1 } else { 0 });
        }
        if bad || last_comma == 0 {
            break;
        }
        n += usize::from(last_comma);
    }
    n
}
