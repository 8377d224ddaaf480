//! `sciwire`: decode, encode and validate envelopes with the reference implementation.
//!
//! Exit status: 0 success; 1 the input was rejected (decode, encode) or is
//! invalid (validate); 2 usage or I/O error.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use sciwire::schema::Schemas;
use sciwire::{Encoding, Limits, Value};

#[derive(Parser)]
#[command(name = "sciwire", version, about = "The sciwire reference implementation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode an envelope; print its canonical value, or the error object (exit 1).
    Decode {
        /// The envelope's JSON text; `-` or nothing for standard input.
        file: Option<String>,
    },
    /// Encode a canonical value as an envelope; print the envelope's JSON text.
    Encode {
        /// The encoding to write.
        #[arg(long, value_parser = ["arrow", "json"])]
        encoding: String,
        /// The canonical value; `-` or nothing for standard input.
        file: Option<String>,
    },
    /// Check a JSON document against one of the schemas in schemas/v1/.
    Validate {
        /// The schema: envelope, ndarray, canonical-value, error, vector, equivalence.
        #[arg(long, default_value = "envelope")]
        schema: String,
        /// The document; `-` or nothing for standard input.
        file: Option<String>,
    },
}

fn read_input(file: Option<&str>) -> Result<Vec<u8>, String> {
    match file {
        None | Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| format!("reading standard input: {e}"))?;
            Ok(buf)
        }
        Some(path) => std::fs::read(path).map_err(|e| format!("reading {path}: {e}")),
    }
}

fn print_line(v: &impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
}

fn run(cli: Cli) -> Result<bool, String> {
    match cli.command {
        Command::Decode { file } => {
            let input = read_input(file.as_deref())?;
            match sciwire::decode(&input, &Limits::default()) {
                Ok(value) => {
                    print_line(&value.to_canonical());
                    Ok(true)
                }
                Err(e) => {
                    print_line(&e.to_json());
                    eprintln!("rejected: {e}");
                    Ok(false)
                }
            }
        }
        Command::Encode { encoding, file } => {
            let input = read_input(file.as_deref())?;
            let encoding: Encoding = encoding.parse()?;
            let canonical: serde_json::Value =
                serde_json::from_slice(&input).map_err(|e| format!("the canonical value is not JSON: {e}"))?;
            match Value::from_canonical(&canonical).and_then(|v| sciwire::encode(&v, encoding)) {
                Ok(text) => {
                    print_line(&text);
                    Ok(true)
                }
                Err(e) => {
                    print_line(&e.to_json());
                    eprintln!("refused: {e}");
                    Ok(false)
                }
            }
        }
        Command::Validate { schema, file } => {
            let input = read_input(file.as_deref())?;
            let doc: serde_json::Value =
                serde_json::from_slice(&input).map_err(|e| format!("the document is not JSON: {e}"))?;
            let schemas = Schemas::load()?;
            match schemas.validate(&schema, &doc) {
                Ok(()) => {
                    println!("valid against {schema}.schema.json");
                    Ok(true)
                }
                Err(errors) if errors.len() == 1 && errors[0].starts_with("no schema named") => {
                    Err(format!("{}; known: {}", errors[0], schemas.names().collect::<Vec<_>>().join(", ")))
                }
                Err(errors) => {
                    println!("invalid against {schema}.schema.json:");
                    for e in errors {
                        println!("  {e}");
                    }
                    Ok(false)
                }
            }
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("sciwire: {e}");
            ExitCode::from(2)
        }
    }
}
