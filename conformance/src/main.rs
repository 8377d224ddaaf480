//! `sciwire-conformance`: runs the vector suite against an implementation,
//! and checks the suite itself.
//!
//! Exit status: 0 conforming / sound; 1 a case failed or the suite has
//! problems; 2 usage, configuration or I/O error.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use sciwire::schema::Schemas;
use sciwire_conformance::check::{Implementation, Reference, Verdict, check_group, check_vector};
use sciwire_conformance::clauses::{coverage, read_spec};
use sciwire_conformance::suite::{Suite, default_root};

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

#[derive(Subcommand)]
enum Command {
    /// Run the suite against the reference implementation and print a summary.
    Run {
        #[command(flatten)]
        suite: SuiteArgs,
        /// Run only these vector or group ids (repeatable).
        #[arg(long = "case")]
        cases: Vec<String>,
        /// Count a rejection with the wrong error code as a failure.
        #[arg(long)]
        require_codes: bool,
    },
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
}

fn default_spec() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/src")
}

fn run(imp: &mut dyn Implementation, suite: &Suite, cases: &[String], require_codes: bool) -> Result<bool, String> {
    let schemas = Schemas::load()?;
    let selected: Vec<_> = suite.vectors.iter().filter(|v| cases.is_empty() || cases.contains(&v.id)).collect();
    let groups: Vec<_> = suite.groups.iter().filter(|g| cases.is_empty() || cases.contains(&g.id)).collect();
    if selected.is_empty() && groups.is_empty() {
        return Err(format!("no case matches {cases:?}"));
    }
    let total = selected.len() + groups.len();
    eprintln!("running {total} cases against {} ({})", imp.name(), suite.root.display());
    let started = Instant::now();
    let (mut pass, mut mismatch, mut fail, mut skipped, mut errored) = (0, 0, 0, 0, 0);
    let mut report = Vec::new();
    let progress = |done: usize| {
        if done.is_multiple_of(50) || done == total {
            eprint!("\r  {done}/{total}");
            if done == total {
                eprintln!();
            }
            let _ = std::io::stderr().flush();
        }
    };
    let mut done = 0;
    let cases = selected
        .iter()
        .map(|v| (v.id.clone(), v.description.clone(), v.path.clone(), Some(*v), None))
        .chain(groups.iter().map(|g| (g.id.clone(), "equivalence group".to_string(), g.path.clone(), None, Some(*g))));
    for (id, description, path, vector, group) in cases {
        let verdict = match (vector, group) {
            (Some(v), _) => check_vector(imp, v, &schemas),
            (_, Some(g)) => check_group(imp, g, suite),
            _ => continue,
        };
        done += 1;
        progress(done);
        let repro = format!("sciwire-conformance run --case {id}");
        match verdict {
            Verdict::Pass => pass += 1,
            Verdict::CodeMismatch { expected, actual } => {
                mismatch += 1;
                report.push(format!("CODE  {id} ({path}): {description}\n      expected {expected}, got {actual}\n      {repro}"));
            }
            Verdict::Fail { expected, actual } => {
                fail += 1;
                report.push(format!("FAIL  {id} ({path}): {description}\n      expected {expected}\n      actual   {actual}\n      {repro}"));
            }
            Verdict::Skipped(r) => {
                skipped += 1;
                report.push(format!("SKIP  {id}: {r}"));
            }
            Verdict::Errored(r) => {
                errored += 1;
                report.push(format!("ERROR {id} ({path}): {r}\n      {repro}"));
            }
        }
    }
    for line in &report {
        println!("{line}");
    }
    println!(
        "{} cases in {:.2}s: {pass} passed, {fail} failed, {mismatch} wrong code, {skipped} skipped, {errored} errored",
        total,
        started.elapsed().as_secs_f64()
    );
    let ok = fail == 0 && errored == 0 && (!require_codes || mismatch == 0);
    println!("{}", if ok { "conforms" } else { "does not conform" });
    Ok(ok)
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Run { suite, cases, require_codes } => Suite::load(&suite.suite)
            .and_then(|s| run(&mut Reference::default(), &s, &cases, require_codes)),
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
            let cov = coverage(&clauses, &s);
            if !gaps {
                for c in &clauses {
                    let valid = cov.valid.get(&c.id).map_or(0, Vec::len);
                    let invalid: Vec<String> = c
                        .codes
                        .iter()
                        .map(|code| format!("{code}×{}", cov.invalid.get(&(c.id.clone(), code.clone())).map_or(0, Vec::len)))
                        .collect();
                    println!("{:<34} valid×{valid:<4} {}", c.id, invalid.join(" "));
                }
            }
            for g in &cov.gaps {
                println!("gap: {g}");
            }
            println!("{} clauses, {} gaps", clauses.len(), cov.gaps.len());
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
