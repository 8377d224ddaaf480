//! Replays every saved fuzz finding (fuzz/regressions/<target>/*) on stable
//! `cargo test`, through the same target bodies the fuzzers run: a finding
//! that comes back fails here. Also runs every target once over every
//! vector's input, so the targets themselves stay sound.

#![allow(clippy::panic, clippy::unwrap_used)]

use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use sciwire_conformance::fuzz::{TARGETS, run};
use sciwire_conformance::suite::{Input, Suite, default_root};

/// Runs a target and reports whether anything panicked, even a panic the
/// decoder caught (libFuzzer aborts on those too: a `panic = "abort"` build
/// would die).
fn panics(target: &str, data: &[u8]) -> bool {
    static PANICKED: AtomicBool = AtomicBool::new(false);
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            default(info);
        }));
    });
    PANICKED.store(false, Ordering::SeqCst);
    let outcome = std::panic::catch_unwind(|| run(target, data));
    outcome.is_err() || PANICKED.load(Ordering::SeqCst)
}

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
            assert!(TARGETS.contains(&target.as_str()));
            assert!(!panics(&target, &data), "fuzz/regressions/{target}/{}: panicked", file.file_name().to_string_lossy());
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
        let bytes = bytes.get();
        for t in TARGETS {
            assert!(!panics(t, &bytes), "{t} panicked on the input of {}", v.id);
        }
    }
}

#[test]
fn frame_seeds_rebuild_their_frames_and_every_mutation_runs() {
    use sciwire_conformance::fuzz::{build_frame, decode_frame_seed};
    use sciwire_conformance::suite::Expect;
    let suite = Suite::load(&default_root()).unwrap();
    let mut seeds = 0;
    for v in &suite.vectors {
        let (frame, written) = match (&v.input, &v.expect) {
            (Input::Decode(bytes), _) => (bytes.get().into_owned(), false),
            (_, Expect::Roundtrip { bytes: Some(b) }) => (b.clone(), true),
            _ => continue,
        };
        let Some(seed) = decode_frame_seed(&frame) else { continue };
        seeds += 1;
        // the seed, unchanged, is the frame itself (a writer's), or one of
        // the same value (a vector may spell `buffers` its own way)
        let (rebuilt, mutated) = build_frame(&seed).unwrap();
        assert!(!mutated, "{}", v.id);
        if written {
            assert_eq!(rebuilt, frame, "{}", v.id);
        }
        let limits = sciwire::Limits::default();
        assert_eq!(sciwire::decode(&rebuilt, &limits).ok(), sciwire::decode(&frame, &limits).ok(), "{}", v.id);
        // each kind of mutation, with a few parameters, through the target
        for op in 0u8..=9 {
            for param in [[0u8, 0, 0, 0], [1, 2, 3, 4], [0xff, 0x7f, 0x80, 0x01], [0x40, 0, 0xc0, 0xff]] {
                let data = [seed.as_slice(), &[op], &param, &[op.wrapping_mul(7), 3, 0xff, 0x20]].concat();
                assert!(!panics("decode_frame", &data), "decode_frame panicked on {} with mutation {op} {param:?}", v.id);
            }
        }
    }
    assert!(seeds > 100, "only {seeds} frame seeds");
}

/// The cargo-fuzz crate (`fuzz/`, a workspace of its own, built by
/// cargo-fuzz nightly and on pull requests) is one binary per target, each
/// exactly one line calling the body of the same name in
/// `sciwire_conformance::fuzz`: the bodies are compiled (and run) here, so a
/// fresh clone's test command need not build `fuzz/` (`scripts/test` checks
/// its lock file with `cargo metadata --locked`). A body renamed or given
/// another signature fails to compile this table; a target file that is
/// anything but the one line, or a `[[bin]]` or file without its body,
/// fails the test.
#[test]
fn the_fuzz_crate_is_one_line_a_target() {
    use sciwire_conformance::fuzz;
    let bodies: [(&str, fn(&[u8])); 12] = [
        ("decode_envelope", fuzz::decode_envelope),
        ("decode_frame", fuzz::decode_frame),
        ("decode_flame", fuzz::decode_flame),
        ("decode_flame_stream", fuzz::decode_flame_stream),
        ("decode_ndarray_fields", fuzz::decode_ndarray_fields),
        ("decode_marker_fields", fuzz::decode_marker_fields),
        ("arrow_payload", fuzz::arrow_payload),
        ("arrow_table", fuzz::arrow_table),
        ("canonical_value", fuzz::canonical_value),
        ("harness_reply", fuzz::harness_reply),
        ("roundtrip", fuzz::roundtrip),
        ("schema_vs_decoder", fuzz::schema_vs_decoder),
    ];
    let mut names: Vec<&str> = bodies.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    let mut targets = TARGETS.to_vec();
    targets.sort_unstable();
    assert_eq!(names, targets, "the table above and fuzz::TARGETS name the same targets");

    let fuzz_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let manifest = std::fs::read_to_string(fuzz_dir.join("Cargo.toml")).unwrap();
    let mut bins: Vec<(String, String)> = manifest
        .split("[[bin]]")
        .skip(1)
        .map(|section| {
            let value = |key: &str| {
                section
                    .lines()
                    .find_map(|l| l.trim().strip_prefix(key)?.trim_start().strip_prefix('=').map(|v| v.trim().trim_matches('"').to_string()))
                    .unwrap_or_else(|| panic!("fuzz/Cargo.toml: a [[bin]] without {key}"))
            };
            (value("name"), value("path"))
        })
        .collect();
    bins.sort();
    let bin_names: Vec<&str> = bins.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(bin_names, targets, "fuzz/Cargo.toml's [[bin]]s are the targets");
    for (name, path) in &bins {
        assert_eq!(path, &format!("fuzz_targets/{name}.rs"), "fuzz/Cargo.toml: [[bin]] {name}");
        let text = std::fs::read_to_string(fuzz_dir.join(path)).unwrap();
        let want = format!(
            "#![no_main]\n//! See `sciwire_conformance::fuzz::{name}`.\n\
             libfuzzer_sys::fuzz_target!(|data: &[u8]| sciwire_conformance::fuzz::{name}(data));\n"
        );
        assert_eq!(text, want, "fuzz/{path} is not the one line calling its body");
    }
    let mut files: Vec<String> = std::fs::read_dir(fuzz_dir.join("fuzz_targets"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let want_files: Vec<String> = targets.iter().map(|t| format!("{t}.rs")).collect();
    assert_eq!(files, want_files, "fuzz/fuzz_targets/ holds exactly the targets");
    // Each body runs (on the empty input) under the name cargo-fuzz gives it.
    for (name, body) in bodies {
        assert!(!panics(name, b""));
        body(b"");
    }
}
