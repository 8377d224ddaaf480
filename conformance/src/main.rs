//! `sciwire-conformance`: runs the vector suite against an implementation,
//! and checks the suite itself.
//!
//! Exit status: 0 conforming / sound; 1 a case failed or the suite has
//! problems; 2 usage, configuration or I/O error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use sciwire::schema::Schemas;
use sciwire_conformance::check::{Implementation, Reference};
use sciwire_conformance::clauses::{coverage_with_tests, read_spec, read_test_citations};
use sciwire_conformance::process::{ProcessHarness, ProcessOptions, Trace};
use sciwire_conformance::runner::{self, RunOptions};
use sciwire_conformance::sha256::hex_digest;
use sciwire_conformance::suite::{Suite, default_root};
use sciwire_conformance::xfail::XfailList;
use sciwire_conformance::report;

#[derive(Parser)]
#[command(name = "sciwire-conformance", version, about = "The sciwire conformance suite")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct SuiteArgs {
    /// The vector suite.
    #[arg(long, default_value_os_t = default_root())]
    suite: PathBuf,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// The harness command (spec/src/harness.md), run with `sh -c`. Without
    /// it, the reference implementation runs in-process.
    #[arg(long = "impl", value_name = "COMMAND")]
    implementation: Option<String>,
    /// Run only cases whose id matches (repeatable; `*` is a wildcard).
    #[arg(long = "case", value_name = "ID")]
    cases: Vec<String>,
    /// Count a rejection with the wrong error code as a failure.
    #[arg(long)]
    require_codes: bool,
    /// Expected failures: `ID-PATTERN  # reason` per line.
    #[arg(long, value_name = "FILE")]
    xfail: Option<PathBuf>,
    /// Write a JSON Lines report.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a Markdown summary.
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
    /// Wall-clock budget of a case without its own, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    timeout_ms: u64,
    /// Memory budget of a case without its own: peak RSS growth in MiB.
    #[arg(long, default_value_t = 512)]
    rss_mb: u64,
    /// Address-space limit of the harness process, in MiB.
    #[arg(long, default_value_t = 4096)]
    memory_limit_mb: u64,
    /// Check every protocol message against schemas/v1/harness/.
    #[arg(long)]
    validate_messages: bool,
    /// Write every protocol line, both ways, with its time and direction
    /// (`>` to the harness, `<` from it, `!` its stderr, `#` the runner's notes).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// No progress on standard error.
    #[arg(long)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Run the suite against an implementation; exit 0 only if it conforms.
    Run(RunArgs),
    /// Check the suite itself: schemas, ids, manifest, equivalence groups, clause coverage.
    Check {
        #[command(flatten)]
        suite: SuiteArgs,
        /// The specification's markdown sources.
        #[arg(long, default_value_os_t = default_spec())]
        spec: PathBuf,
    },
    /// List every clause with the vectors that exercise it, and the gaps.
    Clauses {
        #[command(flatten)]
        suite: SuiteArgs,
        /// The specification's markdown sources.
        #[arg(long, default_value_os_t = default_spec())]
        spec: PathBuf,
        /// Print only the gaps.
        #[arg(long)]
        gaps: bool,
    },
    /// Write fuzz seed corpora from the vectors: fuzz/corpus/<target>/<id>.
    FuzzSeeds {
        #[command(flatten)]
        suite: SuiteArgs,
        /// The corpus root.
        #[arg(long, default_value = "fuzz/corpus")]
        out: PathBuf,
    },
    /// Differential fuzzing: mutated vector inputs (frames and, in the flame
    /// profile, FLM frames also taken apart and changed structurally) to two
    /// implementations; every disagreement is minimised and written as a
    /// candidate vector. A profile's inputs go only to two implementations
    /// that both declare it.
    Differential {
        #[command(flatten)]
        suite: SuiteArgs,
        /// The two harness commands (give --impl twice).
        #[arg(long = "impl", value_name = "COMMAND", num_args = 1, required = true)]
        implementations: Vec<String>,
        /// How many mutated inputs.
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// The generator's seed (a run is reproducible from it).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where candidate vectors go.
        #[arg(long, default_value = "fuzz/differential")]
        out: PathBuf,
    },
    /// Run the suite against deliberately broken implementations; each must be caught.
    ///
    /// By default each mutant runs only the cases its `kills` list names:
    /// they are suite cases, so their failing proves the suite catches it.
    /// `--full` runs the whole suite under every mutant and counts every
    /// case it fails (minutes per mutant instead of a fraction of a second).
    Mutants {
        #[command(flatten)]
        suite: SuiteArgs,
        /// JSON list of {name, description, command, kills: [vector ids]}.
        #[arg(long, value_name = "FILE")]
        manifest: PathBuf,
        /// Run every case under every mutant, not only its kills.
        #[arg(long)]
        full: bool,
        /// Mutants run at once, each in its own harness process (default:
        /// the number of CPUs).
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
    },
}

fn default_spec() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/src")
}

/// `s` as one shell word: as it is when it needs no quoting, else in
/// single quotes.
pub fn shell_quote(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The command that reruns one case, from the command line as it was
/// invoked (`argv[0]` as given: `target/release/sciwire-conformance`
/// after `cargo run`, or `sciwire-conformance` after `cargo install`): every
/// argument but `--case` and the report files, then `--case {id}`.
pub fn rerun_command(argv: &[String]) -> String {
    const DROP_WITH_VALUE: &[&str] = &["--case", "--report", "--junit", "--markdown", "--trace"];
    let mut words = Vec::new();
    let mut args = argv.iter();
    while let Some(a) = args.next() {
        if DROP_WITH_VALUE.contains(&a.as_str()) {
            args.next();
            continue;
        }
        if DROP_WITH_VALUE.iter().any(|d| a.starts_with(&format!("{d}="))) || a == "--quiet" {
            continue;
        }
        words.push(shell_quote(a));
    }
    words.push("--case".into());
    words.push("{id}".into());
    words.join(" ")
}

fn run(args: &RunArgs) -> Result<bool, String> {
    let suite = Suite::load(&args.suite.suite)?;
    let schemas = Arc::new(Schemas::load()?);
    let xfail = match &args.xfail {
        Some(p) => XfailList::parse(&std::fs::read_to_string(p).map_err(|e| format!("reading {}: {e}", p.display()))?)
            .map_err(|e| format!("{}: {e}", p.display()))?,
        None => XfailList::default(),
    };
    if args.trace.is_some() && args.implementation.is_none() {
        return Err("--trace needs --impl: the reference runs in-process, without protocol lines".into());
    }
    let argv: Vec<String> = std::env::args().collect();
    let repro = rerun_command(&argv);
    let opts = RunOptions {
        cases: args.cases.clone(),
        require_codes: args.require_codes,
        default_wall: Duration::from_millis(args.timeout_ms),
        default_rss_mib: args.rss_mb,
        xfail,
        progress: !args.quiet,
        repro,
    };
    let mut reference = Reference::default();
    let mut process;
    let imp: &mut dyn Implementation = match &args.implementation {
        None => &mut reference,
        Some(cmd) => {
            let trace = match &args.trace {
                Some(p) => Some(Arc::new(Trace::create(p)?)),
                None => None,
            };
            let popts = ProcessOptions {
                memory_limit_mb: args.memory_limit_mb,
                validate_messages: args.validate_messages,
                trace,
                ..ProcessOptions::default()
            };
            process = ProcessHarness::start(cmd, popts.clone(), popts.validate_messages.then(|| schemas.clone()))?;
            &mut process
        }
    };
    if !args.quiet {
        eprintln!("running {} against {} ({})", suite.root.display(), imp.name(), imp.capabilities());
    }
    let result = runner::run(imp, &suite, &schemas, &opts);
    if result.records.is_empty() {
        return Err(format!("no case selected (patterns {:?})", args.cases));
    }
    print!("{}", report::text(&result));
    let digest = std::fs::read(suite.root.join("MANIFEST.sha256")).map(|b| hex_digest(&b)).unwrap_or_default();
    let write = |path: &Option<PathBuf>, text: String| -> Result<(), String> {
        match path {
            Some(p) => std::fs::write(p, text).map_err(|e| format!("writing {}: {e}", p.display())),
            None => Ok(()),
        }
    };
    write(&args.report, report::jsonl(&result, &digest))?;
    write(&args.junit, report::junit(&result))?;
    write(&args.markdown, report::markdown(&result))?;
    Ok(result.conforms())
}

fn differential(suite_root: &std::path::Path, impls: &[String], count: usize, seed: u64, out: &std::path::Path) -> Result<bool, String> {
    let [a, b] = impls else { return Err("give --impl exactly twice".into()) };
    let suite = Suite::load(suite_root)?;
    let mut ha = ProcessHarness::start(a, ProcessOptions::default(), None)?;
    let mut hb = ProcessHarness::start(b, ProcessOptions::default(), None)?;
    eprintln!("differential: {count} mutated inputs, seed {seed}: {} vs {}", ha.name(), hb.name());
    let findings = sciwire_conformance::differential::run(&mut ha, &mut hb, &suite, count, seed);
    for f in &findings {
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let id = f.candidate["id"].as_str().unwrap_or("candidate");
        let path = out.join(format!("{id}.json"));
        let text = serde_json::to_string_pretty(&f.candidate).map_err(|e| e.to_string())?;
        std::fs::write(&path, text + "\n").map_err(|e| format!("{}: {e}", path.display()))?;
        println!("disagreement: {} ({})", path.display(), f.candidate["outcomes"]);
    }
    println!("{count} inputs, {} disagreements", findings.len());
    Ok(findings.is_empty())
}

fn fuzz_seeds(suite_root: &std::path::Path, out: &std::path::Path) -> Result<bool, String> {
    use base64::Engine as _;
    use sciwire_conformance::suite::Input;
    let suite = Suite::load(suite_root)?;
    let mut n = 0;
    let mut put = |target: &str, id: &str, bytes: &[u8]| -> Result<(), String> {
        let dir = out.join(target);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::fs::write(dir.join(id), bytes).map_err(|e| format!("{}: {e}", dir.display()))?;
        n += 1;
        Ok(())
    };
    for v in &suite.vectors {
        match &v.input {
            // The decode targets read by the default entry point; a
            // profile's inputs (FLM frames) would stop at its first byte.
            Input::Decode(bytes) if bytes.len() <= 1 << 20 && v.profile.is_none() => {
                let bytes = &*bytes.get();
                put("decode_envelope", &v.id, bytes)?;
                put("schema_vs_decoder", &v.id, bytes)?;
                put("decode_ndarray_fields", &v.id, bytes)?;
                put("decode_marker_fields", &v.id, bytes)?;
                if let Some(seed) = sciwire_conformance::fuzz::decode_frame_seed(bytes) {
                    put("decode_frame", &v.id, &seed)?;
                }
                let b64 = v.json_input().and_then(|j| j.get("b64")).and_then(|b| b.as_str());
                if let Some(Ok(payload)) = b64.map(|b| base64::engine::general_purpose::STANDARD.decode(b)) {
                    put("arrow_payload", &v.id, &[[11u8, 6].as_slice(), &payload].concat())?;
                    // arrow_table: selector 0 reads a dataframe's file, 1 a series' stream.
                    let selector = match v.path.split('/').next() {
                        Some("dataframe") => Some(0u8),
                        Some("series") => Some(1u8),
                        _ => None,
                    };
                    if let Some(s) = selector {
                        put("arrow_table", &v.id, &[[s].as_slice(), &payload].concat())?;
                    }
                }
            }
            // decode_flame reads its input as it is after a zero first byte;
            // decode_flame_stream a stream tag's stream after its selector.
            Input::Decode(bytes) if bytes.len() <= 1 << 20 => {
                let bytes = &*bytes.get();
                put("decode_flame", &v.id, &[[0u8].as_slice(), bytes].concat())?;
                if let Some(seed) = sciwire_conformance::fuzz::decode_flame_stream_seed(bytes) {
                    put("decode_flame_stream", &v.id, &seed)?;
                }
            }
            Input::Encode { value, encoding } => {
                put("canonical_value", &v.id, value.to_string().as_bytes())?;
                put("roundtrip", &v.id, value.to_string().as_bytes())?;
                // A frame's exact bytes, rebuilt by the structured frame target.
                let golden = match (&v.expect, encoding) {
                    (sciwire_conformance::suite::Expect::Roundtrip { bytes: Some(b) }, _) => Some(b.clone()),
                    (_, &sciwire_conformance::suite::Encoding::Envelope(e @ sciwire::Encoding::Frame)) => {
                        sciwire::Value::from_canonical(value).and_then(|val| sciwire::encode(&val, e)).ok()
                    }
                    _ => None,
                };
                if let Some(seed) = golden.as_deref().and_then(sciwire_conformance::fuzz::decode_frame_seed) {
                    put("decode_frame", &v.id, &seed)?;
                }
            }
            _ => {}
        }
        if let sciwire_conformance::suite::Expect::Value(value) = &v.expect {
            put("canonical_value", &format!("{}-value", v.id), value.to_string().as_bytes())?;
            let reply = serde_json::json!({"id": 7, "value": value});
            put("harness_reply", &v.id, reply.to_string().as_bytes())?;
        }
    }
    println!("wrote {n} seed files under {}", out.display());
    Ok(true)
}

/// One mutant's verdict: its line in the table, whether the suite caught it,
/// and whether it is a problem (survived, or some of its named kills pass).
struct MutantVerdict {
    line: String,
    caught: bool,
    problem: bool,
}

fn mutants(suite_root: &std::path::Path, manifest: &std::path::Path, full: bool, jobs: usize) -> Result<bool, String> {
    let suite = Suite::load(suite_root)?;
    let schemas = Schemas::load()?;
    let text = std::fs::read_to_string(manifest).map_err(|e| format!("reading {}: {e}", manifest.display()))?;
    let list: Vec<serde_json::Value> = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", manifest.display()))?;
    println!("{:<36} {:>8}  verdict ({})", "mutant", "failing", if full { "every case" } else { "the cases each mutant's kills name" });
    // Each mutant is its own harness process, so they run `jobs` at a time;
    // the table is printed in manifest order, each line as soon as every
    // line before it is known.
    let verdicts: Vec<std::sync::Mutex<Option<Result<MutantVerdict, String>>>> =
        list.iter().map(|_| std::sync::Mutex::new(None)).collect();
    // Longest first: a mutant that drops a limit runs until its kill's wall
    // budget ([vector.budget]) stops it, so mutants start in the order of
    // their largest kill budget, and the last to end is not one of those.
    let mut order: Vec<usize> = (0..list.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(largest_budget(&list[i], &suite)));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let printed = std::sync::Mutex::new(0usize);
    let jobs = jobs.clamp(1, list.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                loop {
                    let Some(&i) = order.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) else { break };
                    let m = &list[i];
                    let verdict = mutant_verdict(m, &suite, &schemas, full);
                    *verdicts[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(verdict);
                    let mut done = printed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    while let Some(slot) = verdicts.get(*done) {
                        match &*slot.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
                            Some(Ok(v)) => println!("{}", v.line),
                            Some(Err(_)) => {}
                            None => break,
                        }
                        *done += 1;
                    }
                }
            });
        }
    });
    let (mut killed, mut problems) = (0usize, 0usize);
    for slot in verdicts {
        let v = slot.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner).ok_or("a mutant was not run")??;
        killed += usize::from(v.caught);
        problems += usize::from(v.problem);
    }
    println!("kill rate: {killed}/{} ({:.0}%)", list.len(), 100.0 * killed as f64 / list.len().max(1) as f64);
    Ok(problems == 0 && !list.is_empty())
}

/// The largest wall budget, in ms, among the vectors a mutant names as its kills.
fn largest_budget(m: &serde_json::Value, suite: &Suite) -> u64 {
    let kills = m.get("kills").and_then(serde_json::Value::as_array).map(Vec::as_slice).unwrap_or_default();
    kills
        .iter()
        .filter_map(serde_json::Value::as_str)
        .filter_map(|k| suite.vectors.iter().find(|v| v.id == k))
        .filter_map(|v| v.raw.get("budget")?.get("wall_ms")?.as_u64())
        .max()
        .unwrap_or(0)
}

fn mutant_verdict(m: &serde_json::Value, suite: &Suite, schemas: &Schemas, full: bool) -> Result<MutantVerdict, String> {
    let field = |k: &str| m.get(k).and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
    let (name, command) = (field("name"), field("command"));
    let kills: Vec<String> = m
        .get("kills")
        .and_then(serde_json::Value::as_array)
        .map(|a| a.iter().filter_map(|k| k.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let unknown: Vec<&String> =
        kills.iter().filter(|k| !suite.vectors.iter().any(|v| &v.id == *k) && !suite.groups.iter().any(|g| &g.id == *k)).collect();
    if kills.is_empty() || !unknown.is_empty() {
        let line = format!("{name:<36} {:>8}  names no kills, or kills that are not in the suite: {unknown:?}", "-");
        return Ok(MutantVerdict { line, caught: false, problem: true });
    }
    let mut h = ProcessHarness::start(&command, ProcessOptions::default(), None).map_err(|e| format!("mutant {name}: {e}"))?;
    let cases = if full { Vec::new() } else { kills.clone() };
    let opts = RunOptions { require_codes: true, cases, ..RunOptions::default() };
    let result = runner::run(&mut h, suite, schemas, &opts);
    let failing: Vec<&str> = result.records.iter().filter(|r| r.status != runner::Status::Pass).map(|r| r.id.as_str()).collect();
    let missing: Vec<&String> = kills.iter().filter(|k| !failing.contains(&k.as_str())).collect();
    let caught = !result.conforms();
    let verdict = match (caught, missing.is_empty()) {
        (true, true) => "killed".to_string(),
        (true, false) => format!("killed, but these pass: {missing:?}"),
        (false, _) => "SURVIVED".to_string(),
    };
    let line = format!("{name:<36} {:>8}  {verdict}", failing.len());
    Ok(MutantVerdict { line, caught, problem: !caught || !missing.is_empty() })
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Run(args) => run(&args),
        Command::Mutants { suite, manifest, full, jobs } => {
            let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
            mutants(&suite.suite, &manifest, full, jobs)
        }
        Command::FuzzSeeds { suite, out } => fuzz_seeds(&suite.suite, &out),
        Command::Differential { suite, implementations, count, seed, out } => {
            differential(&suite.suite, &implementations, count, seed, &out)
        }
        Command::Check { suite, spec } => (|| {
            let s = Suite::load(&suite.suite)?;
            let clauses = read_spec(&spec)?;
            let problems = sciwire_conformance::lint::lint(&s, &Schemas::load()?, &clauses, &suite.suite)?;
            for p in &problems {
                println!("{p}");
            }
            println!(
                "{} vectors, {} equivalence groups, {} clauses: {} problems",
                s.vectors.len(),
                s.groups.len(),
                clauses.len(),
                problems.len()
            );
            Ok(problems.is_empty())
        })(),
        Command::Clauses { suite, spec, gaps } => (|| {
            let s = Suite::load(&suite.suite)?;
            let clauses = read_spec(&spec)?;
            let tests = read_test_citations(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests"))?;
            let cov = coverage_with_tests(&clauses, &s, &tests);
            if !gaps {
                for c in &clauses {
                    let valid = cov.valid.get(&c.id).map_or(0, Vec::len);
                    let invalid: Vec<String> = c
                        .codes
                        .iter()
                        .map(|code| format!("{code}×{}", cov.invalid.get(&(c.id.clone(), code.clone())).map_or(0, Vec::len)))
                        .collect();
                    let cited = tests.get(&c.id).map_or(String::new(), |t| format!("tests×{}", t.len()));
                    println!("{:<34} valid×{valid:<4} {} {cited}", c.id, invalid.join(" "));
                    for row in &c.rows {
                        let key = (c.id.clone(), row.clone());
                        let valid = cov.valid_rows.get(&key).map_or(0, Vec::len);
                        let invalid = cov.invalid_rows.get(&key).map_or(0, Vec::len);
                        println!("  [{row}]{:<w$} valid×{valid:<4} invalid×{invalid}", "", w = 30usize.saturating_sub(row.chars().count()));
                    }
                }
            }
            for g in &cov.gaps {
                println!("gap: {g}");
            }
            let rows: usize = clauses.iter().map(|c| c.rows.len()).sum();
            println!("{} clauses, {rows} table rows, {} gaps", clauses.len(), cov.gaps.len());
            Ok(cov.gaps.is_empty())
        })(),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sciwire-conformance: {e}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{rerun_command, shell_quote};

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn rerun_lines_keep_the_invocation_and_drop_the_selection_and_reports() {
        let line = rerun_command(&argv(&[
            "target/release/sciwire-conformance",
            "run",
            "--impl",
            "python3 h.py --x 'y'",
            "--case",
            "ndarray-*",
            "--report=r.jsonl",
            "--junit",
            "j.xml",
            "--require-codes",
            "--trace",
            "t.txt",
            "--quiet",
        ]));
        assert_eq!(line, r#"target/release/sciwire-conformance run --impl 'python3 h.py --x '\''y'\''' --require-codes --case {id}"#);
        assert_eq!(rerun_command(&argv(&["sciwire-conformance", "run"])), "sciwire-conformance run --case {id}");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("/tmp/x.txt"), "/tmp/x.txt");
    }
}
