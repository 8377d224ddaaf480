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
        for t in TARGETS {
            assert!(!panics(t, bytes), "{t} panicked on the input of {}", v.id);
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
            (Input::Decode(bytes), _) => (bytes.clone(), false),
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
