//! The JIT policy schema check shared by the `jitscan policy` tests: the Swagger excerpt of
//! Microsoft.Security/locations/jitNetworkAccessPolicies (2020-01-01), made strict, and a
//! check of every document a run wrote.

use std::path::Path;

use serde_json::Value;

use crate::support::{read_json, root};

/// The schema excerpt, made strict: every object definition closed with additionalProperties.
pub fn strict_validator() -> jsonschema::Validator {
    let mut schema = read_json(&root().join("tests/data/policy/jit-policy.schema.json"));
    for name in [
        "JitNetworkAccessPolicy",
        "JitNetworkAccessPolicyProperties",
        "JitNetworkAccessPolicyVirtualMachine",
        "JitNetworkAccessPortRule",
    ] {
        schema["definitions"][name]["additionalProperties"] = Value::Bool(false);
    }
    jsonschema::validator_for(&schema).unwrap()
}

/// The policy resource of a written document: the REST body, or the template's resource
/// with its kind and properties.
pub fn policy_of(path: &Path, doc: &Value) -> Value {
    if path.to_string_lossy().ends_with(".rest.json") {
        doc["body"].clone()
    } else {
        let resource = &doc["resources"][0];
        serde_json::json!({ "kind": resource["kind"], "properties": resource["properties"] })
    }
}

/// Validates every document under `dir/jit-policies`; gives how many there were.
pub fn validate_written(dir: &Path) -> usize {
    let validator = strict_validator();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.join("jit-policies")).unwrap() {
        let path = entry.unwrap().path();
        let doc = read_json(&path);
        let policy = policy_of(&path, &doc);
        let errors: Vec<String> = validator
            .iter_errors(&policy)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        checked += 1;
    }
    checked
}
