//! Unit tests of `json.rs` (the strict JSON layer and the one-pass `data` reader).

#![allow(clippy::panic)]

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

/// A small deterministic generator for the tests below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn digit_runs_read_as_the_byte_loop_reads() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let alphabet = b"0123456789/:.e-+ \x00\x80\x89\x8a\xb9\xff";
    for _ in 0..300_000 {
        let len = rng.below(30);
        let b: Vec<u8> = (0..len)
            .map(|_| if rng.below(5) == 0 { alphabet[rng.below(alphabet.len())] } else { b'0' + rng.below(10) as u8 })
            .collect();
        let from = rng.below(len + 1);
        let start = rng.next();
        let (mut want, mut end) = (start, from);
        while let Some(&c @ b'0'..=b'9') = b.get(end) {
            want = want.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
            end += 1;
        }
        let mut m = start;
        assert_eq!(digits_into(&b, from, &mut m), end, "{b:?} from {from}");
        assert_eq!(m, want, "{b:?} from {from}");
    }
    let mut m = 0;
    assert_eq!(digits_into(b"1", usize::MAX, &mut m), usize::MAX);
}

#[test]
fn long_mantissas_are_computed_as_parse_computes_them() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let check = |m: u64, e: i64, neg: bool| {
        let digits = m.to_string().len() as u32;
        let text = format!("{}{m}e{e}", if neg { "-" } else { "" });
        let want = text.parse::<f64>().ok().filter(|v| v.is_finite()).map(f64::to_bits);
        let got = exact(m, digits, e, neg);
        if let Some(v) = got {
            assert_eq!(Some(v.to_bits()), want, "{text}");
        }
        got.is_some()
    };
    let mut exact_count = 0;
    for _ in 0..300_000 {
        // mantissas above 2^53 (beyond Clinger's fast path), up to 19 digits
        let m = (1u64 << 53) + rng.next() % (10_000_000_000_000_000_000 - (1 << 53));
        let e = rng.below(45) as i64 - 22;
        exact_count += usize::from(check(m, e, rng.below(2) == 0));
    }
    assert!(exact_count > 250_000, "{exact_count}");
    // ties, just below and just above, at the scales that 19 digits reach
    for j in 0..=2u32 {
        let unit = 1u64 << (j + 1); // the ties' denominator
        for k in 0..2000u64 {
            // x = (2^(52-j) + k/2^j) + 1/2^(j+1): a tie between two binary64 values
            let whole = (1u64 << (52 - j)) + (k >> j);
            let frac_num = ((k & ((1 << j) - 1)) << 1) + 1; // numerator over 2^(j+1)
            let scale = 10u64.pow(j + 1);
            let frac = frac_num * scale / unit; // exact: 10^(j+1) / 2^(j+1) is an integer
            let m = whole * scale + frac;
            for d in [0i64, -1, 1] {
                check(m.wrapping_add_signed(d), -(i64::from(j) + 1), false);
            }
        }
    }
    // ties of 54 bits scaled by 2^-p, written exactly as m * 10^-p with m = odd * 5^p
    for p in 1..=4u32 {
        for i in 0..5000u64 {
            let m = ((1u64 << 53) + 1 + 2 * i) * 5u64.pow(p);
            for d in [0i64, -1, 1] {
                check(m.wrapping_add_signed(d), -i64::from(p), i % 2 == 0);
            }
        }
    }
    for (m, e) in [(9_007_199_254_740_993u64, 0), (9_999_999_999_999_999_999, 22), (9_999_999_999_999_999_999, -22),
                   (9_007_199_254_740_993, -22), (18_446_744_073_709_551_615 / 10, 19)] {
        check(m, e, false);
    }
    assert_eq!(exact(1, 20, 0, false), None);
    assert_eq!(exact(1, 1, 23, false), None);
    assert_eq!(exact(1, 1, -23, false), None);
}

fn fused(text: &str) -> Result<(String, Option<u64>, usize)> {
    let mut p = Parser { s: text, b: text.as_bytes(), pos: 0, depth: 0, max_depth: 8, defer: &[], deferred: None };
    let (t, v) = p.number_and_value()?;
    Ok((t.to_string(), v.map(f64::to_bits), p.pos))
}

fn separate(text: &str) -> Result<(String, Option<u64>, usize)> {
    let mut p = Parser { s: text, b: text.as_bytes(), pos: 0, depth: 0, max_depth: 8, defer: &[], deferred: None };
    let t = p.number()?;
    Ok((t.to_string(), number_value(t).map(f64::to_bits), p.pos))
}

#[test]
fn numbers_are_read_in_one_scan_as_in_two() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let alphabet = b"0123456789012345678901234567890123456789-+.eE ,]x";
    let mut texts: Vec<String> = ["0", "-0", "01", "-01", "1.", "1.e5", "1e", "1e+", "-", "1.5e-3", "12345678901234567890123",
        "0.000000000000000000000000001", "1e1000000000000", "-1e-1000000000", "123456789.123456789", "00", "-.5", "1E+2x"]
        .iter().map(|s| s.to_string()).collect();
    for _ in 0..300_000 {
        let n = 1 + rng.below(30);
        let t: String = (0..n).map(|i| if i == 0 && rng.below(3) == 0 { '-' } else { alphabet[rng.below(alphabet.len())] as char }).collect();
        texts.push(t);
    }
    for t in &texts {
        assert_eq!(fused(t), separate(t), "{t:?}");
    }
}

#[test]
fn located_values_end_where_valid_text_ends_them() {
    for v in [r#"[]"#, r#"[1,[2,[3]],{"a":"]}"}]"#, r#"["\"]","\\",{"k\"":[]}]"#, r#"[{"x":"[[[["}, "}"]"#] {
        let long = format!("[{}{v}]", "1.25, ".repeat(40));
        for text in [v.to_string(), long] {
            let doc = format!("{text} , 5");
            assert_eq!(locate(doc.as_bytes(), 0, 8), Some(text.len()), "{text}");
            assert_eq!(locate(doc.as_bytes(), 0, 1), (text == "[]").then_some(2), "{text}: deeper than 1");
            assert_eq!(code(&text), None);
        }
    }
    assert_eq!(locate(b"[1, 2", 0, 8), None);
    assert_eq!(locate(b"[\"]", 0, 8), None);
    assert_eq!(locate(b"[\"\\", 0, 8), None);
    assert_eq!(locate(b"[[1]]", 0, 2), Some(5));
    assert_eq!(locate(b"[[1]]", 0, 1), None);
}

/// What [`parse_document_deferring`] and the check of its member report,
/// beside what [`parse_document`] reports.
fn both(text: &[u8], max_depth: u32) -> (Result<()>, Result<()>) {
    let deferring = parse_document_deferring(text, max_depth, TEST_DEFER).and_then(|(_, d)| match d {
        Some(d) => d.check(),
        None => Ok(()),
    });
    (deferring, parse_document(text, max_depth).map(drop))
}

const TEST_DEFER: &[Defer] = &[Defer { name: "data", after: &[("m", &["x"])], within: None }];

#[test]
fn a_deferred_member_is_checked_as_the_whole_text_is() {
    let bases = [
        r#"{"m":"x","data":[[1,"a]\"",{"k":[2]}],[true,null,-0.5e3]],"y":[1,{"a":1,"b":2}]}"#,
        r#"{"m":"x","y":{"p":[1,2]},"data":[{"a":[1,{"b":[]}]},"\u0041"],"z":3}"#,
        r#"{"m":"x","data":[1,2,3]}"#,
    ];
    let alphabet: Vec<char> = r#"[]{},:"\ 0123456789.-eEtrunlfxa"#.chars().chain(['\u{1}', 'é']).collect();
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut deferred = 0;
    for base in bases {
        for round in 0..30_000 {
            let mut t: Vec<char> = base.chars().collect();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(t.len() + 1);
                match rng.below(4) {
                    0 if at < t.len() => {
                        t.remove(at);
                    }
                    1 if at < t.len() => t[at] = alphabet[rng.below(alphabet.len())],
                    2 => {
                        let end = (at + rng.below(8)).min(t.len());
                        let piece: Vec<char> = t[at..end].to_vec();
                        t.splice(at..at, piece);
                    }
                    _ => t.insert(at, alphabet[rng.below(alphabet.len())]),
                }
            }
            let text: String = t.into_iter().collect();
            let depth = if round % 5 == 0 { 2 + rng.below(3) as u32 } else { 128 };
            if let Ok((_, Some(_))) = parse_document_deferring(text.as_bytes(), depth, TEST_DEFER) {
                deferred += 1;
            }
            let (a, b) = both(text.as_bytes(), depth);
            assert_eq!(a, b, "{text} (depth {depth})");
        }
    }
    assert!(deferred > 10_000, "only {deferred} texts deferred their member");
    // a fault in the member wins over a later one, and over none
    for (text, at) in [(r#"{"m":"x","data":[1,x],"y":}"#, 19), (r#"{"m":"x","data":[1,{"a":1,"a":2}]}"#, 26),
                       (r#"{"m":"x","data":[[[1]]]} x"#, 18)] {
        let (a, b) = both(text.as_bytes(), 3);
        assert_eq!(a, b, "{text}");
        assert!(a.is_err_and(|e| e.message().ends_with(&format!("at byte {at}"))), "{text}");
    }
    // not deferred: another member's name, or the marker member after it, or not an array
    for text in [r#"{"m":"x","dat":[1]}"#, r#"{"data":[1],"m":"x"}"#, r#"{"m":"x","data":1}"#, r#"{"m":"y","data":[1]}"#] {
        assert!(matches!(parse_document_deferring(text.as_bytes(), 8, TEST_DEFER), Ok((_, None))), "{text}");
    }
}

#[test]
fn a_reader_validates_what_it_reads() {
    let text = br#"{"m":"x","data":[[1, -2.5e1, "s"], [{"a": [true]}, null, false]]}"#;
    let Ok((_, Some(d))) = parse_document_deferring(text, 128, TEST_DEFER) else { panic!("not deferred") };
    let mut r = d.reader();
    let mut seen = Vec::new();
    r.open_array().unwrap_or_else(|e| panic!("{e}"));
    let mut first = true;
    while r.next_item(first).unwrap_or_else(|e| panic!("{e}")) {
        first = false;
        r.open_array().unwrap_or_else(|e| panic!("{e}"));
        let mut inner_first = true;
        while r.next_item(inner_first).unwrap_or_else(|e| panic!("{e}")) {
            inner_first = false;
            match r.number().unwrap_or_else(|e| panic!("{e}")) {
                Some((t, v)) => seen.push(format!("{t}={v:?}")),
                None => seen.push(format!("{:?}", r.scalar().unwrap_or_else(|e| panic!("{e}")))),
            }
        }
    }
    assert_eq!(seen, ["1=Some(1.0)", "-2.5e1=Some(-25.0)", "String", "Object", "Null", "Bool(false)"]);
    d.read_to_end(&r);
    assert!(d.checked.get());
    // a fault is reported as the whole text's parser reports it
    let text = br#"{"m":"x","data":[1 2]}"#;
    let Ok((_, Some(d))) = parse_document_deferring(text, 128, TEST_DEFER) else { panic!("not deferred") };
    let mut r = d.reader();
    assert!(r.open_array().is_ok() && r.next_item(true).is_ok_and(|more| more));
    assert!(r.number().is_ok());
    let e = r.next_item(false).err();
    assert_eq!(e.as_ref().map(Error::message), parse_document(text, 128).err().as_ref().map(Error::message));
    assert!(!d.checked.get());
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

/// A random valid JSON value for [`items_are_counted_as_the_cursor_counts_them`]:
/// long runs of numbers (quiet blocks), strings holding commas, brackets and
/// escapes, nesting, and whitespace.
fn random_value(r: &mut Rng, depth: u32, out: &mut String) {
    let ws = |r: &mut Rng, out: &mut String| out.push_str(["", "", " ", "\n  ", "\t", &" ".repeat(40)][r.below(6)]);
    match if depth > 3 { r.below(3) } else { r.below(6) } {
        0 => out.push_str(["0", "-1.5e3", "123456789012", "7", "1E+2", "true", "null"][r.below(7)]),
        1 => out.push_str(["12345678901234567890.5e-3", "0.000000000000000000000000000000000001", "-0"][r.below(3)]),
        2 => out.push_str(["\"a,b\"", "\"]}\"", "\"\\\"],\\\\\"", "\"\\u005d,[\"", "\"plain text of some length, with commas, ]]]\""][r.below(5)]),
        3 | 4 => {
            out.push('[');
            ws(r, out);
            let n = if depth == 0 { [0, 1, 2, 3, 40, 100][r.below(6)] } else { [0, 1, 2, 3, 9][r.below(5)] };
            for k in 0..n {
                if k > 0 {
                    out.push(',');
                    ws(r, out);
                }
                random_value(r, depth + 1, out);
                ws(r, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for k in 0..r.below(3) {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&format!("\"k{k},]\": "));
                random_value(r, depth + 1, out);
            }
            out.push('}');
        }
    }
}

#[test]
fn items_are_counted_as_the_cursor_counts_them() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut arrays = vec!["[]".to_string(), "[ \n ]".to_string(), "[0]".to_string(), format!("[{}0]", "0,".repeat(1000))];
    while arrays.len() < 2000 {
        let mut v = String::new();
        random_value(&mut r, 0, &mut v);
        if v.starts_with('[') {
            arrays.push(v);
        }
    }
    let mut checked = 0;
    for text in &arrays {
        let doc = format!("{{\"d\": {text}}}");
        let Ok(Document::Object(m)) = parse_document(doc.as_bytes(), 128) else { panic!("{text} is not valid") };
        let Json::Array(span) = m[0].1 else { panic!("not an array") };
        let mut c = Cursor::new(span);
        let mut n = 0u64;
        c.open_array();
        while c.next_item() {
            c.skip();
            n += 1;
        }
        assert_eq!(count_items(span, u64::MAX), n, "{text}");
        for max in [0, 1, n.saturating_sub(1), n, n + 1, n / 2] {
            let got = count_items(span, max);
            assert_eq!(got > max, n > max, "{text}: max {max}, got {got}, n {n}");
            if n <= max {
                assert_eq!(got, n);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 2000);
}

/// What [`int_run`] passes is whole items of a valid JSON array, ending
/// with a comma: the byte-by-byte path, from the same item, would read it
/// alike and stand where it stops. Checked against serde_json on random
/// texts of digits, commas, spaces and a few other bytes, most of them
/// long lists of plain integers with one fault or none.
#[test]
fn int_runs_are_valid_json_items() {
    let mut r = Rng(0x2545_f491_4f6c_dd1d);
    let mut consumed = 0;
    for round in 0..20_000 {
        let mut text = Vec::new();
        while text.len() < 40 + r.below(200) {
            match r.below(10) {
                0 => text.extend_from_slice(b"0"),
                1 => text.extend_from_slice(format!("{}", r.next() % 100_000).as_bytes()),
                _ => text.extend_from_slice(format!("{}", r.below(10)).as_bytes()),
            }
            text.extend_from_slice([&b","[..], b", "][r.below(2)]);
        }
        if round % 2 == 0 {
            // One fault: a byte replaced or inserted.
            let at = r.below(text.len());
            let byte = b"0123456789, -.e]x\t"[r.below(18)];
            if r.below(2) == 0 { text[at] = byte } else { text.insert(at, byte) }
        }
        let n = int_run(&text);
        if n == 0 {
            continue;
        }
        consumed += 1;
        assert_eq!(text[n - 1], b',', "{:?}", String::from_utf8_lossy(&text));
        let array = [&b"["[..], &text[..n], b"0]"].concat();
        assert!(
            serde_json::from_slice::<serde_json::Value>(&array).is_ok(),
            "int_run passed {:?}, which is not valid JSON",
            String::from_utf8_lossy(&text[..n])
        );
        assert_eq!(code(std::str::from_utf8(&array).unwrap_or_default()), None);
    }
    assert!(consumed > 5000, "{consumed} texts had a run");
    // Each fault stops it in its block; a clean list passes whole blocks.
    for bad in ["01,", "1,,2,", "1 ,2,", "1,  2,", "-1,", "1.5,", "1e2,", "1]", "  1,"] {
        let text = format!("{}{bad}{}", "7,".repeat(20), "7,".repeat(20));
        assert_eq!(int_run(text.as_bytes()), 32, "{bad}: stops in the second block");
    }
    // Python's separators: every block up to the last 32 bytes passes.
    let list = "12, 3, 0, 45, ".repeat(10);
    let n = int_run(list.as_bytes());
    assert!(n > list.len() - 32 - 14 && list.as_bytes()[n - 1] == b',', "{n}");
}

/// A cursor is given validated text only, but on any other its walks still
/// end: each item read advances, or ends the span (no loop of a caller
/// spins on a byte it does not expect, nor at the end).
#[test]
fn cursor_walks_end_on_any_text() {
    let alphabet: Vec<char> = r#"[]{},:"\ 0123456789.-eEtrunlfxa"#.chars().chain(['é']).collect();
    let mut rng = crate::test_rng(0x51f1_5e55_d00d_f00du64);
    for _ in 0..100_000 {
        let text: String = std::iter::once('[').chain((0..rng(40)).map(|_| alphabet[rng(alphabet.len())])).collect();
        let mut c = Cursor::new(&text);
        c.open_array();
        let mut items = 0;
        while c.next_item() {
            match rng(3) {
                0 => drop(c.scalar()),
                1 => c.skip(),
                _ => {
                    if c.value().is_err() {
                        break;
                    }
                }
            }
            items += 1;
            assert!(items <= text.len() + 1, "{text:?}: the walk does not end");
        }
    }
}
