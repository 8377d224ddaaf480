//! Generates one `#[test]` per vector file of `vectors/v1/`, named after its
//! path, so `cargo test ndarray_invalid_` selects by folder and a failure
//! names its vector.

use std::path::{Path, PathBuf};

#[allow(clippy::panic)]
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

#[allow(clippy::panic)]
fn main() {
    // The manifest dir when the script runs, not when it was compiled: cargo
    // reuses a compiled build script for another checkout that shares the
    // target dir (cargo-mutants' copies), and `env!` would then point at a
    // tree that may be gone.
    let dir = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let root = dir.join("../vectors/v1");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    // No vector files would make a green test run that tests nothing.
    assert!(!files.is_empty(), "no vector files under {}", root.display());
    files.sort();
    let mut code = String::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap_or(&f).to_string_lossy().replace('\\', "/");
        let name: String = rel
            .trim_end_matches(".json")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
            .collect();
        let kind = if rel.split('/').any(|p| p == "equivalent") { "group" } else { "vector" };
        code.push_str(&format!("#[test]\nfn {name}() {{\n    run_{kind}({rel:?});\n}}\n\n"));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("vector_tests.rs");
    if let Err(e) = std::fs::write(&out, code) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
}
