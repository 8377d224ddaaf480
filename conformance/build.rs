//! Generates one `#[test]` per vector file of `vectors/v1/`, named after its
//! path, so `cargo test ndarray_invalid_` selects by folder and a failure
//! names its vector.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/v1");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
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
