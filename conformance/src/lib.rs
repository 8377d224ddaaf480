//! The sciwire conformance suite: loading the vectors, checking them against
//! the specification's clauses, and checking implementations against them.

pub mod check;
pub mod clauses;
pub mod differential;
pub mod fuzz;
pub mod lint;
pub mod process;
pub mod report;
pub mod runner;
pub mod sha256;
pub mod structured;
pub mod suite;
pub mod xfail;

use std::path::Path;

/// Checks `MANIFEST.sha256` under `root` against the files: returns one line
/// per disagreement (a file missing from the manifest, a listed file missing,
/// a digest that differs).
pub fn check_manifest(root: &Path) -> Result<Vec<String>, String> {
    let manifest = std::fs::read_to_string(root.join("MANIFEST.sha256"))
        .map_err(|e| format!("reading {}/MANIFEST.sha256: {e}", root.display()))?;
    let suite = suite::Suite::load(root)?;
    let mut listed = std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    for (n, line) in manifest.lines().enumerate() {
        match line.split_once("  ") {
            Some((digest, path)) if digest.len() == 64 => {
                listed.insert(path.to_string(), digest.to_string());
            }
            _ => problems.push(format!("MANIFEST.sha256 line {}: not `<sha256>  <path>`", n + 1)),
        }
    }
    let files: Vec<&str> = suite.vectors.iter().map(|v| v.path.as_str()).chain(suite.groups.iter().map(|g| g.path.as_str())).collect();
    for path in &files {
        match listed.remove(*path) {
            None => problems.push(format!("{path}: not in MANIFEST.sha256")),
            Some(want) => {
                let bytes = std::fs::read(root.join(path)).map_err(|e| format!("reading {path}: {e}"))?;
                let got = sha256::hex_digest(&bytes);
                if got != want {
                    problems.push(format!("{path}: sha256 is {got}, MANIFEST.sha256 says {want}"));
                }
            }
        }
    }
    for path in listed.keys() {
        problems.push(format!("{path}: listed in MANIFEST.sha256 but missing"));
    }
    Ok(problems)
}
