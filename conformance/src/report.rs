//! Reports of a run: for people on the terminal, JSON Lines, JUnit XML, and
//! Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;

use crate::runner::{Record, Run, Status};

fn counts_line(run: &Run) -> String {
    let c = run.counts();
    let n = |s: Status| c.get(&s).copied().unwrap_or(0);
    let mut parts = vec![
        format!("{} passed", n(Status::Pass)),
        format!("{} failed", n(Status::Fail)),
    ];
    for (s, label) in [
        (Status::WrongCode, "wrong code"),
        (Status::Noncanonical, "noncanonical"),
        (Status::Errored, "errored"),
        (Status::Skipped, "skipped"),
        (Status::XFail, "expected failures"),
        (Status::XPass, "unexpectedly passed"),
    ] {
        if n(s) > 0 {
            parts.push(format!("{} {label}", n(s)));
        }
    }
    parts.join(", ")
}

fn indent(s: &str) -> String {
    s.lines().collect::<Vec<_>>().join("\n               ")
}

/// Whether a record counts in the summaries of failures: it fails the run
/// (an expected failure does not).
fn is_failure(r: &Record, require_codes: bool) -> bool {
    match r.status {
        Status::Fail | Status::Errored | Status::Noncanonical => true,
        Status::WrongCode => require_codes,
        _ => false,
    }
}

/// Failures grouped by the vector's first clause (the one an invalid
/// vector's code comes from; `(group)` for an equivalence group), and by
/// what was expected against what was answered (`E_A → E_B`, `value →
/// E_B`, `E_A → value`, `E_A → noncanonical`, …).
pub fn failure_groups(run: &Run) -> (BTreeMap<String, usize>, BTreeMap<String, usize>) {
    let (mut by_clause, mut by_code) = (BTreeMap::new(), BTreeMap::new());
    for r in run.records.iter().filter(|r| is_failure(r, run.require_codes)) {
        let clause = r.clauses.first().cloned().unwrap_or_else(|| "(group)".into());
        *by_clause.entry(clause).or_insert(0) += 1;
        let answered = if r.answered_kind == "-" { r.status.as_str() } else { r.answered_kind.as_str() };
        *by_code.entry(format!("{} → {answered}", r.expected_kind)).or_insert(0) += 1;
    }
    (by_clause, by_code)
}

fn most_first(m: &BTreeMap<String, usize>) -> Vec<(&String, usize)> {
    let mut v: Vec<(&String, usize)> = m.iter().map(|(k, n)| (k, *n)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v
}

/// The implementation's error answer for people: code, message, clause and
/// path, one per line; `None` when the answer is not an error object.
fn error_answer(r: &Record) -> Option<String> {
    let e = r.answer.as_ref()?.get("error")?;
    let field = |k: &str| e.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    let mut lines = vec![format!("code     {}", field("code").unwrap_or_else(|| "(none)".into()))];
    lines.push(format!("message  {}", field("message").unwrap_or_else(|| "(none)".into())));
    if let Some(c) = field("clause") {
        let note = if r.clause_differs { "  (not one of the vector's clauses)" } else { "" };
        lines.push(format!("clause   {c}{note}"));
    }
    if let Some(p) = field("path") {
        lines.push(format!("path     {p}"));
    }
    Some(lines.join("\n"))
}

/// The terminal report: one block per case that did not pass, what was
/// left out, the expected-failure lines to add or remove, and the summary.
pub fn text(run: &Run) -> String {
    let mut out = String::new();
    for r in run.records.iter().filter(|r| !matches!(r.status, Status::Pass | Status::XFail)) {
        let tag = match r.status {
            Status::Fail => "FAIL ",
            Status::WrongCode => "CODE ",
            Status::Errored => "ERROR",
            Status::Skipped => "SKIP ",
            Status::XPass => "XPASS",
            Status::Noncanonical => "NONCANONICAL",
            _ => "",
        };
        let _ = writeln!(out, "{tag} {} ({}): {}", r.id, r.path, r.description);
        if r.status == Status::Skipped {
            let _ = writeln!(out, "      {}", r.actual);
            continue;
        }
        if r.status == Status::XPass {
            let _ = writeln!(out, "      listed as an expected failure ({}) but passes", r.xfail_reason.as_deref().unwrap_or(""));
            continue;
        }
        let _ = writeln!(out, "      input    {}", indent(&r.input));
        if !r.expected.is_empty() {
            let _ = writeln!(out, "      expected {}", indent(&r.expected));
        }
        let _ = writeln!(out, "      actual   {}", indent(&r.actual));
        if let Some(a) = error_answer(r) {
            let _ = writeln!(out, "      answer   {}", a.replace('\n', "\n               "));
        }
        if !r.clauses.is_empty() {
            let _ = writeln!(out, "      clauses  {}", r.clauses.join(", "));
        }
        let _ = writeln!(out, "      rerun    {}", r.repro);
    }
    for (why, ids) in &run.left_out {
        let _ = writeln!(out, "left out: {why} ({} case{})", ids.len(), if ids.len() == 1 { "" } else { "s" });
    }
    let (by_clause, by_code) = failure_groups(run);
    if !by_clause.is_empty() {
        let _ = writeln!(out, "\nfailures by clause (the vector's first clause):");
        for (c, n) in most_first(&by_clause) {
            let _ = writeln!(out, "  {n:>5}  {c}");
        }
        let _ = writeln!(out, "failures by code (expected → answered):");
        for (c, n) in most_first(&by_code) {
            let _ = writeln!(out, "  {n:>5}  {c}");
        }
    }
    let add: Vec<&Record> = run
        .records
        .iter()
        .filter(|r| r.xfail_reason.is_none() && is_failure(r, run.require_codes))
        .collect();
    let remove: Vec<String> = run
        .records
        .iter()
        .filter(|r| r.status == Status::XPass)
        .map(|r| r.id.clone())
        .chain(run.unmatched_xfails.iter().map(|p| format!("{p}  (matches no case)")))
        .collect();
    if !add.is_empty() && add.len() < run.records.len() {
        let _ = writeln!(out, "\nto accept these failures, add to the expected-failure file:");
        for r in &add {
            let why: String = r.actual.lines().next().unwrap_or_default().chars().take(120).collect();
            let _ = writeln!(out, "{}  # {}", r.id, why);
        }
    }
    if !remove.is_empty() {
        let _ = writeln!(out, "\nremove from the expected-failure file (these now pass, or match nothing):");
        for p in remove {
            let _ = writeln!(out, "{p}");
        }
    }
    let _ = writeln!(
        out,
        "\n{}: {} cases in {:.1}s: {}",
        run.implementation,
        run.records.len(),
        run.elapsed.as_secs_f64(),
        counts_line(run)
    );
    let _ = writeln!(out, "{}", if run.conforms() { "conforms" } else { "does not conform" });
    out
}

/// The JSON Lines report: a header, one line per case and per left-out
/// case, and a footer.
pub fn jsonl(run: &Run, suite_digest: &str) -> String {
    let mut out = String::new();
    let mut line = |v: serde_json::Value| {
        out.push_str(&v.to_string());
        out.push('\n');
    };
    line(json!({
        "type": "header",
        "runner": format!("sciwire-conformance {}", env!("CARGO_PKG_VERSION")),
        "protocol": 1,
        "implementation": run.implementation,
        "capabilities": run.capabilities,
        "suite_manifest_sha256": suite_digest,
    }));
    for r in &run.records {
        line(json!({
            "type": "case",
            "id": r.id,
            "path": r.path,
            "status": r.status.as_str(),
            "expected": r.expected,
            "actual": r.actual,
            "input": r.input,
            "clauses": r.clauses,
            "wall_ms": r.wall.map(|w| w.as_secs_f64() * 1000.0),
            "rss_growth_mib": r.rss_mib,
            "xfail_reason": r.xfail_reason,
            "repro": r.repro,
            "expected_kind": r.expected_kind,
            "answered_kind": r.answered_kind,
            "answer": r.answer,
            "answer_clause": r.answer_clause,
            "clause_differs": r.clause_differs,
        }));
    }
    for (why, ids) in &run.left_out {
        for id in ids {
            line(json!({"type": "left-out", "id": id, "reason": why}));
        }
    }
    let counts: serde_json::Map<String, serde_json::Value> =
        run.counts().into_iter().map(|(s, n)| (s.as_str().to_string(), json!(n))).collect();
    let (by_clause, by_code) = failure_groups(run);
    line(json!({
        "type": "footer",
        "counts": counts,
        "failures_by_clause": by_clause,
        "failures_by_code": by_code,
        "unmatched_xfails": run.unmatched_xfails,
        "elapsed_s": run.elapsed.as_secs_f64(),
        "conforms": run.conforms(),
    }));
    out
}

fn xml(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\n' || c == '\t' || c >= ' ')
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// JUnit XML, one `testcase` per case, for CI systems.
pub fn junit(run: &Run) -> String {
    let c = run.counts();
    let n = |s: Status| c.get(&s).copied().unwrap_or(0);
    let failures = n(Status::Fail) + n(Status::XPass) + n(Status::Noncanonical) + if run.require_codes { n(Status::WrongCode) } else { 0 };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites><testsuite name=\"sciwire-conformance: {}\" tests=\"{}\" failures=\"{failures}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3}\">",
        xml(&run.implementation),
        run.records.len(),
        n(Status::Errored),
        n(Status::Skipped) + n(Status::XFail),
        run.elapsed.as_secs_f64()
    );
    for r in &run.records {
        let class = r.path.rsplit_once('/').map_or("", |(dir, _)| dir).replace('/', ".");
        let time = r.wall.map_or(0.0, |w| w.as_secs_f64());
        let _ = write!(out, "<testcase classname=\"{}\" name=\"{}\" time=\"{time:.4}\"", xml(&class), xml(&r.id));
        let answer = r.answer.as_ref().map_or_else(String::new, |a| format!("\nanswer: {a}"));
        let detail = format!("input: {}\nexpected: {}\nactual: {}{answer}\nrerun: {}", r.input, r.expected, r.actual, r.repro);
        let body = match r.status {
            Status::Pass => String::new(),
            Status::WrongCode if !run.require_codes => String::new(),
            Status::Fail | Status::WrongCode | Status::Noncanonical => {
                format!("<failure message=\"{}\">{}</failure>", xml(r.actual.lines().next().unwrap_or("")), xml(&detail))
            }
            Status::XPass => format!("<failure message=\"expected to fail ({}) but passes\"/>", xml(r.xfail_reason.as_deref().unwrap_or(""))),
            Status::Errored => format!("<error message=\"{}\">{}</error>", xml(r.actual.lines().next().unwrap_or("")), xml(&detail)),
            Status::Skipped => format!("<skipped message=\"{}\"/>", xml(&r.actual)),
            Status::XFail => format!("<skipped message=\"expected failure: {}\"/>", xml(r.xfail_reason.as_deref().unwrap_or(""))),
        };
        if body.is_empty() {
            out.push_str("/>\n");
        } else {
            let _ = writeln!(out, ">{body}</testcase>");
        }
    }
    out.push_str("</testsuite></testsuites>\n");
    out
}

/// A Markdown summary, e.g. for a CI job summary.
pub fn markdown(run: &Run) -> String {
    let mut out = String::new();
    let verdict = if run.conforms() { "✅ conforms" } else { "❌ does not conform" };
    let _ = writeln!(out, "## sciwire conformance: {}\n\n**{verdict}** — {} cases in {:.1}s\n", run.implementation, run.records.len(), run.elapsed.as_secs_f64());
    let _ = writeln!(out, "| status | cases |\n|---|---|");
    for (s, k) in run.counts() {
        let _ = writeln!(out, "| {} | {k} |", s.as_str());
    }
    for (why, ids) in &run.left_out {
        let _ = writeln!(out, "| left out: {why} | {} |", ids.len());
    }
    let bad: Vec<&Record> = run
        .records
        .iter()
        .filter(|r| r.status == Status::XPass || is_failure(r, run.require_codes))
        .collect();
    if !bad.is_empty() {
        let _ = writeln!(out, "\n### Not conforming ({})\n\n| case | status | expected | actual |\n|---|---|---|---|", bad.len());
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ").chars().take(160).collect::<String>();
        for r in bad.iter().take(100) {
            let _ = writeln!(out, "| `{}` | {} | {} | {} |", r.id, r.status.as_str(), cell(&r.expected), cell(&r.actual));
        }
        if bad.len() > 100 {
            let _ = writeln!(out, "\n…and {} more (see the JSON Lines report).", bad.len() - 100);
        }
        let (by_clause, by_code) = failure_groups(run);
        let _ = writeln!(out, "\n| failures by clause | cases |\n|---|---|");
        for (c, n) in most_first(&by_clause).into_iter().take(30) {
            let _ = writeln!(out, "| `{c}` | {n} |");
        }
        let _ = writeln!(out, "\n| failures by code (expected → answered) | cases |\n|---|---|");
        for (c, n) in most_first(&by_code).into_iter().take(30) {
            let _ = writeln!(out, "| {c} | {n} |");
        }
    }
    out
}
