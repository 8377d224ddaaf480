//! Validation against the JSON Schemas of `schemas/v1/`, embedded at build
//! time (feature `schema`).

use std::collections::BTreeMap;

use serde_json::Value as JsonValue;

/// The base of every schema's `$id`.
pub const BASE: &str = "https://sciwire.dev/schemas/v1/";

/// Every schema file: its name (without `.schema.json`) and text.
pub const FILES: &[(&str, &str)] = &[
    ("common", include_str!("../../schemas/v1/common.schema.json")),
    ("envelope", include_str!("../../schemas/v1/envelope.schema.json")),
    ("ndarray", include_str!("../../schemas/v1/ndarray.schema.json")),
    ("scipy-sparse", include_str!("../../schemas/v1/scipy-sparse.schema.json")),
    ("torch-tensor", include_str!("../../schemas/v1/torch-tensor.schema.json")),
    ("sklearn-estimator", include_str!("../../schemas/v1/sklearn-estimator.schema.json")),
    ("dataframe", include_str!("../../schemas/v1/dataframe.schema.json")),
    ("series", include_str!("../../schemas/v1/series.schema.json")),
    ("frame-header", include_str!("../../schemas/v1/frame-header.schema.json")),
    ("canonical-value", include_str!("../../schemas/v1/canonical-value.schema.json")),
    ("error", include_str!("../../schemas/v1/error.schema.json")),
    ("vector", include_str!("../../schemas/v1/vector.schema.json")),
    ("equivalence", include_str!("../../schemas/v1/equivalence.schema.json")),
    ("harness/common", include_str!("../../schemas/v1/harness/common.schema.json")),
    ("harness/start", include_str!("../../schemas/v1/harness/start.schema.json")),
    ("harness/decode", include_str!("../../schemas/v1/harness/decode.schema.json")),
    ("harness/encode", include_str!("../../schemas/v1/harness/encode.schema.json")),
    ("harness/stop", include_str!("../../schemas/v1/harness/stop.schema.json")),
    ("harness/request", include_str!("../../schemas/v1/harness/request.schema.json")),
];

/// Compiled validators for every schema, resolving `$ref`s among them offline.
pub struct Schemas {
    validators: BTreeMap<String, jsonschema::Validator>,
}

impl Schemas {
    /// Parses and compiles every embedded schema.
    pub fn load() -> Result<Schemas, String> {
        let mut docs = Vec::new();
        for (name, text) in FILES {
            let v: JsonValue = serde_json::from_str(text).map_err(|e| format!("{name}.schema.json: {e}"))?;
            jsonschema::meta::validate(&v).map_err(|e| format!("{name}.schema.json is not a valid schema: {e}"))?;
            docs.push((*name, v));
        }
        let mut registry = jsonschema::Registry::new();
        for (name, doc) in &docs {
            registry = registry
                .add(format!("{BASE}{name}.schema.json"), doc.clone())
                .map_err(|e| format!("{name}.schema.json: {e}"))?;
        }
        let registry = registry.prepare().map_err(|e| format!("schema registry: {e}"))?;
        let mut validators = BTreeMap::new();
        for (name, doc) in &docs {
            let build = |schema: &JsonValue| {
                jsonschema::options().with_registry(&registry).build(schema).map_err(|e| format!("{name}.schema.json: {e}"))
            };
            validators.insert(name.to_string(), build(doc)?);
            // A command's response is validated through a reference to its fragment.
            if doc.pointer("/$defs/response").is_some() {
                let wrapper = serde_json::json!({
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "$ref": format!("{BASE}{name}.schema.json#/$defs/response"),
                });
                validators.insert(format!("{name}#/$defs/response"), build(&wrapper)?);
            }
        }
        Ok(Schemas { validators })
    }

    /// The schema names.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.validators.keys().map(String::as_str).filter(|k| !k.contains('#'))
    }

    /// Validates `instance` against a fragment of a schema, e.g.
    /// `("harness/decode", "#/$defs/response")`.
    pub fn validate_fragment(&self, name: &str, fragment: &str, instance: &JsonValue) -> Result<(), Vec<String>> {
        self.validate(&format!("{name}{fragment}"), instance)
    }

    /// Validates `instance` against the schema `name`; on failure, one line per error.
    pub fn validate(&self, name: &str, instance: &JsonValue) -> Result<(), Vec<String>> {
        let v = self.validators.get(name).ok_or_else(|| vec![format!("no schema named {name:?}")])?;
        let errors: Vec<String> = v
            .iter_errors(instance)
            .map(|e| format!("{}: {}", e.instance_path(), e))
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::{FILES, Schemas};

    /// Every `*.schema.json` under `dir`, as its name relative to `root`
    /// without `.schema.json`; any other `.json` file is an error.
    fn schema_files(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
            let path = entry.unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())).path();
            if path.is_dir() {
                schema_files(root, &path, out);
                continue;
            }
            let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            if let Some(name) = rel.strip_suffix(".schema.json") {
                out.insert(name.to_string());
            } else {
                assert!(!rel.ends_with(".json"), "schemas/v1/{rel} is JSON but not named *.schema.json");
            }
        }
    }

    #[test]
    fn every_schema_file_is_embedded() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/v1");
        let mut on_disk = BTreeSet::new();
        schema_files(&root, &root, &mut on_disk);
        let embedded: BTreeSet<String> = FILES.iter().map(|(name, _)| name.to_string()).collect();
        assert_eq!(embedded.len(), FILES.len(), "a schema is embedded twice");
        let missing: Vec<_> = on_disk.difference(&embedded).collect();
        assert!(missing.is_empty(), "in schemas/v1 but not embedded in FILES (reference-impl/src/schema.rs): {missing:?}");
        let stale: Vec<_> = embedded.difference(&on_disk).collect();
        assert!(stale.is_empty(), "embedded in FILES but not in schemas/v1: {stale:?}");
    }

    #[test]
    fn every_embedded_schema_has_its_id() {
        for (name, text) in FILES {
            let doc: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            let id = format!("{}{name}.schema.json", super::BASE);
            assert_eq!(doc.get("$id").and_then(|v| v.as_str()), Some(id.as_str()), "{name}.schema.json");
        }
        Schemas::load().unwrap_or_else(|e| panic!("{e}"));
    }
}
