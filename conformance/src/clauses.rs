//! Clauses, read from the specification's own text, and the coverage rule
//! of `spec/src/conventions.md`: a clause that names codes needs a valid
//! vector and, for each code, an invalid vector with that code; any other
//! clause needs at least one vector.

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
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        }
        if in_code {
            continue;
        }
        if line.starts_with('#') {
            finish(current.take(), &mut out);
        }
        if prev_blank
            && let Some(rest) = line.strip_prefix("**[")
                && let Some(end) = rest.find("]**") {
                    let id = &rest[..end];
                    if !is_id(id) {
                        return Err(format!("{page}: malformed clause id {id:?}"));
                    }
                    finish(current.take(), &mut out);
                    let clause = Clause { id: id.to_string(), page: page.to_string(), codes: Vec::new() };
                    current = Some((clause, String::new()));
                }
        if let Some((_, body)) = current.as_mut() {
            body.push_str(line);
            body.push('\n');
        }
        prev_blank = line.trim().is_empty();
    }
    finish(current.take(), &mut out);
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
        for c in &v.clauses {
            if !known.contains_key(c.as_str()) {
                cov.gaps.push(Gap::UnknownClause { vector: v.id.clone(), clause: c.clone() });
            }
        }
        match &v.expect {
            Expect::Error(code) => {
                for c in &v.clauses {
                    cov.invalid.entry((c.clone(), code.clone())).or_default().push(v.id.clone());
                }
                if let Some(first) = v.clauses.first().and_then(|c| known.get(c.as_str()))
                    && !first.codes.contains(code) {
                        cov.gaps.push(Gap::FirstClauseLacksCode {
                            vector: v.id.clone(),
                            clause: first.id.clone(),
                            code: code.clone(),
                        });
                    }
            }
            Expect::Value(_) | Expect::Roundtrip { .. } => {
                for c in &v.clauses {
                    cov.valid.entry(c.clone()).or_default().push(v.id.clone());
                }
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
}
