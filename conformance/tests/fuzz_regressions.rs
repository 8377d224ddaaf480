//! Replays every saved fuzz finding (fuzz/regressions/<target>/*) on stable
//! `cargo test`, through the same target bodies the fuzzers run: a finding
//! that comes back fails here. Also runs every target once over every
//! vector's input, so the targets themselves stay sound.

#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::Path;

use sciwire_conformance::fuzz::{TARGETS, run};
use sciwire_conformance::suite::{Input, Suite, default_root};

#[test]
fn saved_findings_do_not_come_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut replayed = 0;
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        let target = dir.file_name().to_string_lossy().into_owned();
        if !dir.path().is_dir() {
            continue;
        }
        assert!(TARGETS.contains(&target.as_str()), "fuzz/regressions/{target}: no such target");
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if file.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let data = std::fs::read(file.path()).unwrap();
            assert!(run(&target, &data));
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no regression inputs under {}", root.display());
}

#[test]
fn every_target_accepts_every_vector_input() {
    let suite = Suite::load(&default_root()).unwrap();
    for v in &suite.vectors {
        let Input::Decode(bytes) = &v.input else { continue };
        if bytes.len() > 1 << 20 {
            continue;
        }
        for t in TARGETS {
            run(t, bytes);
        }
    }
}
