//! Clauses, read from the specification's own text, and the coverage rule
//! of `spec/src/conventions.md`: a clause that names codes needs a valid
//! vector and, for each code, an invalid vector with that code; any other
//! clause needs at least one vector. A clause that stands on a table (its
//! rows declared by a `<!-- rows: id … -->` marker before the table) needs
//! the same per row: a vector names a row as `id[row]`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::suite::{Expect, Suite};

/// A clause of the specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clause {
    /// The id, e.g. `ndarray.shape.items`.
    pub id: String,
    /// The spec page it is on.
    pub page: String,
    /// The codes it rejects with (`**rejects `E_…`**`), in order.
    pub codes: Vec<String>,
    /// The rows of its table, when a `<!-- rows: … -->` marker names it:
    /// the entries of the marker's column (the first unless it says), in order.
    pub rows: Vec<String>,
}

/// A clause citation split into the clause id and the row, if any:
/// `ndarray.arrow.type[uint16]` is (`ndarray.arrow.type`, `Some("uint16")`).
/// The row is everything between the first `[` and the final `]`, so a row
/// may itself hold brackets (`datetime64[ms]`).
pub fn split_row(citation: &str) -> (&str, Option<&str>) {
    match citation.find('[') {
        Some(i) if citation.ends_with(']') && i + 2 < citation.len() => {
            (&citation[..i], Some(&citation[i + 1..citation.len() - 1]))
        }
        _ => (citation, None),
    }
}

/// The marker that declares a clause's rows: an HTML comment on its own line
/// just before a table (blank lines between them allowed), naming one or
/// more clauses of the same page: `<!-- rows: id … -->` takes the rows
/// from the first column, `<!-- rows from column N: id … -->` from column N.
const ROWS_MARKER: &str = "<!-- rows";

/// The column (0-based) and the clause ids of a rows marker's text after
/// `<!-- rows`: `: a.b c.d -->` or ` from column 2: a.b -->`.
fn parse_marker(page: &str, rest: &str) -> Result<(usize, Vec<String>), String> {
    let bad = || format!("{page}: malformed rows marker `<!-- rows{rest}`");
    let rest = rest.strip_suffix("-->").ok_or_else(bad)?;
    let (head, ids) = rest.split_once(':').ok_or_else(bad)?;
    let column = match head.trim() {
        "" => 1,
        h => h.strip_prefix("from column ").and_then(|n| n.parse::<usize>().ok()).filter(|&n| n >= 1).ok_or_else(bad)?,
    };
    let ids: Vec<String> = ids.split_whitespace().map(str::to_string).collect();
    if ids.is_empty() || !ids.iter().all(|id| is_id(id)) {
        return Err(bad());
    }
    Ok((column - 1, ids))
}

/// The row names of one table cell: each code span is a row (a span
/// that starts with `[` abbreviates the previous name up to its own `[`, so
/// `` `datetime64[s]`, `[ms]` `` is `datetime64[s]` and `datetime64[ms]`);
/// a cell without code spans is one row, its text. `\|` is a `|`.
fn cell_rows(cell: &str) -> Vec<String> {
    let cell = cell.trim().replace("\\|", "|");
    let spans: Vec<&str> = cell.split('`').skip(1).step_by(2).collect();
    if spans.is_empty() {
        return vec![cell];
    }
    let mut out: Vec<String> = Vec::new();
    for span in spans {
        let name = match (span.starts_with('['), out.last().and_then(|p| p.find('[').map(|i| p[..i].to_string()))) {
            (true, Some(stem)) => format!("{stem}{span}"),
            _ => span.to_string(),
        };
        out.push(name);
    }
    out
}

/// The rows of the table that starts `lines` (after blank lines): the
/// entries of its column `column` (0-based) in its body (the lines after the
/// `|---|` line).
fn table_rows(page: &str, lines: &[&str], column: usize) -> Result<Vec<String>, String> {
    let is_row = |l: &&str| l.starts_with('|');
    let table: Vec<&str> =
        lines.iter().copied().skip_while(|l| l.trim().is_empty()).take_while(|l| is_row(l)).collect();
    if table.len() < 3 || !table[1].chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
        return Err(format!("{page}: a rows marker is not followed by a table with a body"));
    }
    let mut rows = Vec::new();
    for line in &table[2..] {
        // Split on `|` not escaped as `\|`.
        let body = line.trim().replace("\\|", "\u{0}");
        let body = body.trim_start_matches('|').trim_end_matches('|');
        let Some(cell) = body.split('|').nth(column) else {
            return Err(format!("{page}: a rows marker names column {} of a table with fewer", column + 1));
        };
        rows.extend(cell_rows(&cell.replace('\u{0}', "\\|")));
    }
    let mut seen = BTreeSet::new();
    for r in &rows {
        if r.is_empty() || r.contains(['\n', '\r']) {
            return Err(format!("{page}: a table row has an empty or malformed name {r:?}"));
        }
        if !seen.insert(r) {
            return Err(format!("{page}: the table names row {r:?} twice"));
        }
    }
    Ok(rows)
}

/// Reads every clause from the markdown pages in `spec_src`.
pub fn read_spec(spec_src: &Path) -> Result<Vec<Clause>, String> {
    let mut pages: Vec<_> = std::fs::read_dir(spec_src)
        .map_err(|e| format!("reading {}: {e}", spec_src.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    pages.sort();
    let mut clauses: Vec<Clause> = Vec::new();
    for page in pages {
        let name = page.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let text = std::fs::read_to_string(&page).map_err(|e| format!("reading {name}: {e}"))?;
        clauses.extend(parse_page(&name, &text)?);
    }
    let mut seen = BTreeSet::new();
    for c in &clauses {
        if !seen.insert(&c.id) {
            return Err(format!("clause {} is defined twice", c.id));
        }
    }
    Ok(clauses)
}

fn is_id(s: &str) -> bool {
    s.contains('.') && s.split('.').all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
}

/// Parses one page: a clause starts at `**[id]**` at the start of a
/// paragraph and runs to the next clause or heading. (References to clauses
/// elsewhere are written `[**[id]**](page.md)` and never start a paragraph.)
pub fn parse_page(page: &str, text: &str) -> Result<Vec<Clause>, String> {
    let mut out: Vec<Clause> = Vec::new();
    let mut current: Option<(Clause, String)> = None;
    let mut in_code = false;
    let mut prev_blank = true;
    let finish = |cur: Option<(Clause, String)>, out: &mut Vec<Clause>| {
        if let Some((mut c, body)) = cur {
            let body = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut rest = body.as_str();
            while let Some(i) = rest.find("rejects `E_") {
                let tail = &rest[i + "rejects `".len()..];
                let end = tail.find('`').unwrap_or(tail.len());
                c.codes.push(tail[..end].to_string());
                rest = &tail[end..];
            }
            out.push(c);
        }
    };
    let lines: Vec<&str> = text.lines().collect();
    let mut markers: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    for (n, &line) in lines.iter().enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        if line.starts_with('#') {
            finish(current.take(), &mut out);
        }
        if let Some(rest) = line.trim().strip_prefix(ROWS_MARKER) {
            let (column, ids) = parse_marker(page, rest)?;
            markers.push((ids, table_rows(page, &lines[n + 1..], column)?));
        }
        if prev_blank
            && let Some(rest) = line.strip_prefix("**[")
                && let Some(end) = rest.find("]**") {
                    let id = &rest[..end];
                    if !is_id(id) {
                        return Err(format!("{page}: malformed clause id {id:?}"));
                    }
                    finish(current.take(), &mut out);
                    let clause = Clause { id: id.to_string(), page: page.to_string(), codes: Vec::new(), rows: Vec::new() };
                    current = Some((clause, String::new()));
                }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
        prev_blank = line.trim().is_empty();
    }
    finish(current.take(), &mut out);
    for (ids, rows) in markers {
        for id in ids {
            let Some(c) = out.iter_mut().find(|c| c.id == id) else {
                return Err(format!("{page}: a rows marker names {id}, which this page does not define"));
            };
            if !c.rows.is_empty() {
                return Err(format!("{page}: two rows markers name {id}"));
            }
            c.rows.clone_from(&rows);
        }
    }
    Ok(out)
}

/// A gap in coverage.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gap {
    /// No vector cites the clause at all.
    NoVector(String),
    /// The clause names codes but no valid vector cites it.
    NoValid(String),
    /// No invalid vector cites the clause with this code.
    NoInvalid(String, String),
    /// A vector cites a clause the spec does not define.
    UnknownClause {
        /// The vector.
        vector: String,
        /// The clause it cites.
        clause: String,
    },
    /// No valid vector cites this row of the clause's table.
    NoValidRow(String, String),
    /// The clause names codes, but no invalid vector cites this row.
    NoInvalidRow(String, String),
    /// A vector cites a row the clause's table does not have (or a row of a
    /// clause that has no table).
    UnknownRow {
        /// The vector.
        vector: String,
        /// The clause it cites.
        clause: String,
        /// The row.
        row: String,
    },
    /// An invalid vector's first clause does not name the code it expects.
    FirstClauseLacksCode {
        /// The vector.
        vector: String,
        /// Its first clause.
        clause: String,
        /// The code it expects.
        code: String,
    },
}

impl std::fmt::Display for Gap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Gap::NoVector(c) => write!(f, "{c}: no vector cites it"),
            Gap::NoValid(c) => write!(f, "{c}: no valid vector cites it"),
            Gap::NoInvalid(c, code) => write!(f, "{c}: no invalid vector expects {code}"),
            Gap::UnknownClause { vector, clause } => write!(f, "{vector}: cites {clause}, which the spec does not define"),
            Gap::NoValidRow(c, row) => write!(f, "{c}[{row}]: no valid vector cites the row"),
            Gap::NoInvalidRow(c, row) => write!(f, "{c}[{row}]: no invalid vector cites the row"),
            Gap::UnknownRow { vector, clause, row } => {
                write!(f, "{vector}: cites {clause}[{row}], a row the clause's table does not have")
            }
            Gap::FirstClauseLacksCode { vector, clause, code } => {
                write!(f, "{vector}: expects {code}, but its first clause {clause} does not name that code")
            }
        }
    }
}

/// Per clause: the ids of the valid vectors, and per code the invalid ones, that cite it.
#[derive(Debug, Default)]
pub struct Coverage {
    /// clause → valid vector ids
    pub valid: BTreeMap<String, Vec<String>>,
    /// (clause, code) → invalid vector ids
    pub invalid: BTreeMap<(String, String), Vec<String>>,
    /// (clause, row) → valid vector ids
    pub valid_rows: BTreeMap<(String, String), Vec<String>>,
    /// (clause, row) → invalid vector ids
    pub invalid_rows: BTreeMap<(String, String), Vec<String>>,
    /// Everything missing.
    pub gaps: Vec<Gap>,
}

/// Clause citations in test sources: `clause: <id>` in a comment. They
/// count for clauses that name no code (protocol and runner behaviour,
/// exercised by the runner's tests rather than by vectors).
pub fn read_test_citations(dir: &Path) -> Result<BTreeMap<String, Vec<String>>, String> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "rs")).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            if let Some(rest) = line.trim_start().strip_prefix("// clause: ") {
                out.entry(rest.trim().to_string()).or_default().push(format!("{name}:{}", n + 1));
            }
        }
    }
    Ok(out)
}

/// Computes coverage of `clauses` by `suite`, and by `tests` (clause → citing
/// test locations) for clauses that name no code.
pub fn coverage_with_tests(clauses: &[Clause], suite: &Suite, tests: &BTreeMap<String, Vec<String>>) -> Coverage {
    let mut cov = coverage(clauses, suite);
    let known: BTreeSet<&str> = clauses.iter().map(|c| c.id.as_str()).collect();
    cov.gaps.retain(|g| !matches!(g, Gap::NoVector(c) if tests.contains_key(c)));
    for (c, sites) in tests {
        if !known.contains(c.as_str()) {
            cov.gaps.push(Gap::UnknownClause { vector: sites.join(", "), clause: c.clone() });
        }
    }
    cov.gaps.sort();
    cov
}

/// Computes coverage of `clauses` by `suite`.
pub fn coverage(clauses: &[Clause], suite: &Suite) -> Coverage {
    let mut cov = Coverage::default();
    let known: BTreeMap<&str, &Clause> = clauses.iter().map(|c| (c.id.as_str(), c)).collect();
    for v in &suite.vectors {
        // A row citation `id[row]` cites the clause `id` too.
        let mut cited: Vec<String> = Vec::new();
        let mut rows: Vec<(String, String)> = Vec::new();
        for c in &v.clauses {
            let (id, row) = split_row(c);
            match (known.get(id), row) {
                (None, _) => cov.gaps.push(Gap::UnknownClause { vector: v.id.clone(), clause: c.clone() }),
                (Some(k), Some(row)) if !k.rows.iter().any(|r| r == row) => cov.gaps.push(Gap::UnknownRow {
                    vector: v.id.clone(),
                    clause: id.to_string(),
                    row: row.to_string(),
                }),
                (Some(_), Some(row)) => rows.push((id.to_string(), row.to_string())),
                (Some(_), None) => {}
            }
            if !cited.iter().any(|x| x == id) {
                cited.push(id.to_string());
            }
        }
        match &v.expect {
            Expect::Error(code) => {
                for c in &cited {
                    cov.invalid.entry((c.clone(), code.clone())).or_default().push(v.id.clone());
                }
                for r in rows {
                    cov.invalid_rows.entry(r).or_default().push(v.id.clone());
                }
                if let Some(first) = cited.first().and_then(|c| known.get(c.as_str()))
                    && !first.codes.contains(code) {
                        cov.gaps.push(Gap::FirstClauseLacksCode {
                            vector: v.id.clone(),
                            clause: first.id.clone(),
                            code: code.clone(),
                        });
                    }
            }
            Expect::Value(_) | Expect::Roundtrip { .. } => {
                for c in &cited {
                    cov.valid.entry(c.clone()).or_default().push(v.id.clone());
                }
                for r in rows {
                    cov.valid_rows.entry(r).or_default().push(v.id.clone());
                }
            }
        }
    }
    for c in clauses {
        for row in &c.rows {
            let key = (c.id.clone(), row.clone());
            if !cov.valid_rows.contains_key(&key) {
                cov.gaps.push(Gap::NoValidRow(c.id.clone(), row.clone()));
            }
            if !c.codes.is_empty() && !cov.invalid_rows.contains_key(&key) {
                cov.gaps.push(Gap::NoInvalidRow(c.id.clone(), row.clone()));
            }
        }
    }
    for c in clauses {
        let any_invalid = cov.invalid.keys().any(|(id, _)| *id == c.id);
        let has_valid = cov.valid.contains_key(&c.id);
        if c.codes.is_empty() {
            if !has_valid && !any_invalid {
                cov.gaps.push(Gap::NoVector(c.id.clone()));
            }
            continue;
        }
        if !has_valid {
            cov.gaps.push(Gap::NoValid(c.id.clone()));
        }
        for code in &c.codes {
            if !cov.invalid.contains_key(&(c.id.clone(), code.clone())) {
                cov.gaps.push(Gap::NoInvalid(c.id.clone(), code.clone()));
            }
        }
    }
    cov.gaps.sort();
    cov.gaps.dedup();
    cov
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn clauses_and_their_codes_are_read_from_markdown() {
        let page = "# T\n\n**[a.one]** text MUST x. **rejects\n`E_ONE`**\n\nmore prose about [**[a.two]**](t.md).\n\n\
                    **[a.two]** Either (**rejects `E_TWO`**) or\n(**rejects `E_ONE`**).\n\n```\n**[a.code]** not a clause\n```\n\n\
                    **[a.three]** No code here.\n\n## H\n\nprose, rejects `E_NOPE` is not in a clause\n";
        let c = parse_page("t.md", page).unwrap_or_default();
        let got: Vec<(&str, Vec<&str>)> =
            c.iter().map(|c| (c.id.as_str(), c.codes.iter().map(String::as_str).collect())).collect();
        assert_eq!(got, [("a.one", vec!["E_ONE"]), ("a.two", vec!["E_TWO", "E_ONE"]), ("a.three", vec![])]);
        assert!(parse_page("t.md", "**[Bad Id]** x").is_err());
    }

    const TABLE_PAGE: &str = "# T\n\n**[t.dtype]** One of the table. **rejects `E_ONE`**\n\n\
        **[t.plain]** Read as the table says.\n\n<!-- rows: t.dtype t.plain -->\n\
        | dtype | size |\n|---|---|\n| `bool` | 1 |\n| `int8`, `int16` | 1, 2 |\n\
        | `datetime64[s]`, `[ms]` | 8 |\n| `\\|S{n}` | n |\n| signed int | 8 |\n\nafter\n";

    #[test]
    fn a_rows_marker_gives_the_first_column_of_the_table_after_it() {
        let c = parse_page("t.md", TABLE_PAGE).unwrap();
        let want = ["bool", "int8", "int16", "datetime64[s]", "datetime64[ms]", "|S{n}", "signed int"];
        assert_eq!(c[0].rows, want);
        assert_eq!(c[1].rows, want);
        assert_eq!(c[0].codes, ["E_ONE"]);
        let bad = |marker: &str, table: &str| parse_page("t.md", &format!("**[t.a]** x\n\n{marker}\n{table}"));
        let table = "| a | b |\n|---|---|\n| `x` | 1 |\n";
        assert!(bad("<!-- rows: t.a -->", table).is_ok());
        assert!(bad("<!-- rows: t.b -->", table).unwrap_err().contains("does not define"));
        assert!(bad("<!-- rows: -->", table).is_err());
        assert!(bad("<!-- rows: t.a", table).is_err());
        assert!(bad("<!-- rows: t.a -->", "\nprose\n").unwrap_err().contains("not followed by a table"));
        assert!(bad("<!-- rows: t.a -->", "| a |\n|---|\n| `x` |\n| `x` |\n").unwrap_err().contains("twice"));
        assert!(bad("<!-- rows: t.a t.a -->", table).unwrap_err().contains("two rows markers"));
        assert!(bad("<!-- rows from column 0: t.a -->", table).is_err());
        assert!(bad("<!-- rows from column 3: t.a -->", table).unwrap_err().contains("column 3"));
        let by_column = bad("<!-- rows from column 2: t.a -->", "| a | b |\n|---|---|\n| x | `int8`, `int16` |\n");
        assert_eq!(by_column.unwrap()[0].rows, ["int8", "int16"]);
    }

    #[test]
    fn a_row_citation_splits_at_the_first_bracket_and_the_last() {
        assert_eq!(split_row("t.dtype[datetime64[ms]]"), ("t.dtype", Some("datetime64[ms]")));
        assert_eq!(split_row("t.dtype[|S{n}]"), ("t.dtype", Some("|S{n}")));
        assert_eq!(split_row("t.dtype"), ("t.dtype", None));
        assert_eq!(split_row("t.dtype[]"), ("t.dtype[]", None));
    }

    fn vector(id: &str, clauses: &[&str], error: Option<&str>) -> crate::suite::Vector {
        let expect = match error {
            Some(code) => serde_json::json!({"error": code}),
            None => serde_json::json!({"value": {"kind": "ndarray", "dtype": "bool", "shape": [], "hex": "01"}}),
        };
        let raw = serde_json::json!({
            "id": id, "description": id, "clauses": clauses, "direction": "decode",
            "input": {"json": {}}, "expect": expect,
        });
        crate::suite::Vector::from_json(raw, &format!("{id}.json")).unwrap()
    }

    #[test]
    fn every_row_needs_a_valid_vector_and_where_the_clause_names_codes_an_invalid_one() {
        let clauses = parse_page("t.md", TABLE_PAGE).unwrap();
        let mut suite = Suite::default();
        let rows = ["bool", "int8", "int16", "datetime64[s]", "datetime64[ms]", "|S{n}", "signed int"];
        for (i, r) in rows.iter().enumerate() {
            suite.vectors.push(vector(&format!("v{i}"), &[&format!("t.dtype[{r}]"), &format!("t.plain[{r}]")], None));
            suite.vectors.push(vector(&format!("x{i}"), &[&format!("t.dtype[{r}]")], Some("E_ONE")));
        }
        assert_eq!(coverage(&clauses, &suite).gaps, []);
        // A row citation counts for its clause: the clause-level rule is met.
        let cov = coverage(&clauses, &suite);
        assert_eq!(cov.valid.get("t.dtype").map(Vec::len), Some(rows.len()));
        assert_eq!(cov.invalid.get(&("t.dtype".to_string(), "E_ONE".to_string())).map(Vec::len), Some(rows.len()));

        // Drop int16's vectors: a valid one for both clauses, an invalid one for t.dtype only.
        suite.vectors.retain(|v| v.id != "v2" && v.id != "x2");
        let gaps = coverage(&clauses, &suite).gaps;
        assert_eq!(
            gaps,
            [
                Gap::NoValidRow("t.dtype".into(), "int16".into()),
                Gap::NoValidRow("t.plain".into(), "int16".into()),
                Gap::NoInvalidRow("t.dtype".into(), "int16".into()),
            ]
        );
        assert_eq!(gaps[0].to_string(), "t.dtype[int16]: no valid vector cites the row");

        // An unknown row, a row of a clause without a table, and the first-clause rule through a row.
        suite.vectors.push(vector("u1", &["t.dtype[int32]"], None));
        suite.vectors.push(vector("u2", &["t.other[bool]"], None));
        suite.vectors.push(vector("u3", &["t.plain[bool]"], Some("E_ONE")));
        let gaps = coverage(&clauses, &suite).gaps;
        assert!(gaps.contains(&Gap::UnknownRow { vector: "u1".into(), clause: "t.dtype".into(), row: "int32".into() }));
        assert!(gaps.contains(&Gap::UnknownClause { vector: "u2".into(), clause: "t.other[bool]".into() }));
        assert!(gaps.contains(&Gap::FirstClauseLacksCode { vector: "u3".into(), clause: "t.plain".into(), code: "E_ONE".into() }));
    }
}
