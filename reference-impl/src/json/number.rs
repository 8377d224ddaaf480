//! Numbers ([json.numbers]): the nearest binary64 of a number's text, by
//! exact fast paths where one applies (short mantissas, powers of ten a
//! binary64 or a `u128` holds) and `str::parse` otherwise, and the digit
//! scanning the validating parser reads numbers with.

/// The value of a number's text ([json.numbers]): the nearest binary64, or
/// `None` when it rounds beyond the finite range.
pub(crate) fn number_value(text: &str) -> Option<f64> {
    exact_short(text.as_bytes()).or_else(|| text.parse::<f64>().ok().filter(|v| v.is_finite()))
}

/// Powers of ten that binary64 holds exactly.
pub(super) const EXACT_POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
    1e20, 1e21, 1e22,
];

/// The value of a JSON number's text when [`exact`] computes it: at most 19
/// significant digits and a decimal exponent within ±22. `None` for any other
/// text (it then goes to `str::parse`).
pub(super) fn exact_short(b: &[u8]) -> Option<f64> {
    match scan_number(b) {
        (end, v) if end == b.len() => v,
        _ => None,
    }
}

/// Scans the number at the start of `b` (a validated JSON number, or any
/// text for [`exact_short`]): the length of its text, and its value when
/// [`exact`] computes it.
pub(super) fn scan_number(b: &[u8]) -> (usize, Option<f64>) {
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
    if big_exponent || digits == 0 {
        return (i, None);
    }
    (i, exact(m, digits, e, neg))
}

/// Powers of ten up to 10^22, exact in a `u128`.
pub(super) const POW10_U128: [u128; 23] = {
    let mut t = [1u128; 23];
    let mut k = 1;
    while k < 23 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

/// The binary64 nearest to `m * 10^e` (ties to even), negated with `neg`,
/// when it can be computed exactly with integer arithmetic; `None` when
/// `digits` (the count of decimal digits `m` was read from, leading zeros
/// included) is over 19 (`m` may have wrapped) or `e` is outside ±22.
///
/// - `m <= 2^53`: Clinger's fast path. `m` and `10^|e|` are exact in
///   binary64, so one IEEE multiplication or division rounds correctly.
/// - `e >= 0`: `m * 10^e` as a `u128` (when it fits), converted with one
///   rounding (`as f64` rounds to nearest, ties to even).
/// - `e < 0`: `m` is shifted left (`n`) so that `n / 10^-e` (the divisor
///   below 2^74) has 54 to 61 bits: the quotient `q` fits a `u64`, and so
///   does `2q`, with a sticky 1 when the remainder is not zero. That rounds
///   to 53 bits exactly as `2 * n / 10^-e` does: the two lie between the
///   same two consecutive even integers, and every rounding boundary of a
///   number of 55 bits or more is an even integer. The scaling back by a
///   power of two is exact (the value is at least 2^53 * 10^-22).
pub(super) fn exact(m: u64, digits: u32, e: i64, neg: bool) -> Option<f64> {
    if digits > 19 || !(-22..=22).contains(&e) {
        return None;
    }
    let v = if m <= 1 << 53 {
        let v = m as f64;
        if e >= 0 { v * EXACT_POW10[e as usize] } else { v / EXACT_POW10[(-e) as usize] }
    } else {
        exact_wide(m, e)?
    };
    Some(if neg { -v } else { v })
}

/// [`exact`] for `m > 2^53` (and `e` within ±22), in `u128` arithmetic.
#[inline(never)]
pub(super) fn exact_wide(m: u64, e: i64) -> Option<f64> {
    if e >= 0 {
        return Some(u128::from(m).checked_mul(POW10_U128[e as usize])? as f64);
    }
    let d = POW10_U128[(-e) as usize];
    // Bit lengths: m has 54 to 64 bits, d (10^1 to 10^22) 4 to 74.
    let (bm, bd) = (64 - m.leading_zeros(), 128 - d.leading_zeros());
    // m * 2^shift / d lies in [2^53, 2^55) (or, when no shift is needed,
    // in [2^54, 2^61)); m * 2^shift has at most 54 + bd <= 128 bits.
    let shift = (54 + bd).saturating_sub(bm);
    let n = u128::from(m) << shift;
    let (q, r) = (n / d, n % d);
    let q2 = u64::try_from((q << 1) | u128::from(r != 0)).ok()?;
    // 2^-(shift + 1), with shift + 1 <= 75: a normal binary64.
    let scale = f64::from_bits(u64::from(1023 - (shift + 1)) << 52);
    Some(q2 as f64 * scale)
}

/// An integer in `[0, 2^53-1]` from a number's text, as the conventions read
/// "integer": any spelling whose value is whole (`1.0`, `1e0` are 1).
pub(crate) fn dimension(text: &str) -> Option<u64> {
    let v = number_value(text)?;
    (v.fract() == 0.0 && (0.0..=crate::limits::MAX_SAFE_INTEGER as f64).contains(&v)).then_some(v as u64)
}

/// Powers of ten that a `u64` holds, up to 10^8.
pub(super) const POW10_U64: [u64; 9] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/// The value of eight digits, one per byte (0 to 9), the first in the
/// lowest byte (as they lie in memory): the classic SWAR conversion, as
/// fast_float and simdjson do it. Pairs, then fours, then the eight.
pub(super) fn swar_value(x: u64) -> u64 {
    let v = x.wrapping_mul(10).wrapping_add(x >> 8);
    let lo = (v & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32));
    let hi = ((v >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32));
    lo.wrapping_add(hi) >> 32
}

/// Reads the run of ASCII digits at `b[i..]` into `m` (`m * 10 + d` for each,
/// wrapping): the index after it. Eight bytes at a time while eight are
/// left: the run's digits among them are found and converted at once.
#[inline(always)]
pub(super) fn digits_into(b: &[u8], mut i: usize, m: &mut u64) -> usize {
    while let Some(chunk) = b.get(i..i.wrapping_add(8)).and_then(|c| <[u8; 8]>::try_from(c).ok()) {
        // A digit byte becomes its value, 0 to 9.
        let x = u64::from_le_bytes(chunk) ^ 0x3030_3030_3030_3030;
        // The high bit of each byte that is no digit: x >= 0x80, or
        // x + 0x76 >= 0x80 (x >= 10). A carry out of a byte goes only into
        // bytes after a byte that is no digit, which do not count.
        let not_digit = (x | x.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080;
        let k = (not_digit.trailing_zeros() / 8) as usize;
        if k == 8 {
            *m = m.wrapping_mul(100_000_000).wrapping_add(swar_value(x));
            i += 8;
            continue;
        }
        if k > 0 {
            // The k digits moved to the top bytes: leading zeros before them.
            *m = m.wrapping_mul(POW10_U64[k]).wrapping_add(swar_value(x << (8 * (8 - k))));
            i += k;
        }
        return i;
    }
    while let Some(&c @ b'0'..=b'9') = b.get(i) {
        *m = m.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
        i += 1;
    }
    i
}
