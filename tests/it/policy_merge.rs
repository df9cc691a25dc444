//! `jitscan policy` merges its suggestion into the JIT policy the input already has for a
//! resource group and location (issue 19): a PUT replaces the policy's whole VM list, so every
//! VM and port object already there is written back as read, new VMs are appended, a listed
//! VM gains only its missing ports, and one VM is one entry. Without a policy in the input the
//! documents say to read the live one first. Expected documents are worked out by hand in
//! fixtures/policy/expected (see fixtures/policy/README.md).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::policy::schema;
use crate::support::{policy, read_json, root};

const MERGE_CASE: &str = "fixtures/policy/merge-into-existing-policy";
const SUBSCRIPTION: &str = "22222222-3333-4444-5555-666666666666";

/// Runs `jitscan policy` from the crate root; every document it wrote is schema-checked.
fn run_policy(args: &[&str]) -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let ran = policy(args, out.path(), &[]);
    assert!(matches!(ran.code, 0 | 1), "{}", ran.stderr);
    assert!(schema::validate_written(out.path()) > 0);
    out
}

/// The (template, REST) documents written, when there is exactly one policy.
fn only_policy(out: &Path) -> (Value, Value) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("jit-policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let rest = files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".rest.json"));
    let template = files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".template.json"));
    (read_json(template.unwrap()), read_json(rest.unwrap()))
}

/// The REST document matches the hand-written expectation: the path, the body byte for byte
/// (key order included), the existing policy and the changes; the ARM form holds the same list.
fn assert_expected(out: &Path, expected_file: &str) {
    let expected = read_json(&root().join("fixtures/policy/expected").join(expected_file));
    let (template, rest) = only_policy(out);
    assert_eq!(rest["path"], expected["path"]);
    assert_eq!(
        serde_json::to_string_pretty(&rest["body"]).unwrap(),
        serde_json::to_string_pretty(&expected["body"]).unwrap()
    );
    assert_eq!(rest["merge"]["existingPolicy"], expected["existingPolicy"]);
    assert_eq!(rest["merge"]["changes"], expected["changes"]);
    let note = rest["merge"]["note"].as_str().unwrap();
    assert!(
        note.starts_with("Merged with the existing JIT policy 'default'"),
        "{note}"
    );
    let resource = &template["resources"][0];
    assert_eq!(resource["properties"], expected["body"]["properties"]);
    assert_eq!(resource["kind"], "Basic");
    assert_eq!(
        resource["name"],
        "[concat(parameters('location'), '/default')]"
    );
    assert_eq!(
        template["parameters"]["location"]["defaultValue"],
        "westeurope"
    );
    assert_eq!(template["metadata"]["merge"], rest["merge"]["note"]);
}

#[test]
fn an_exported_policy_is_the_starting_point_and_its_vms_are_kept() {
    let out = run_policy(&[MERGE_CASE]);
    assert_expected(out.path(), "merge-into-existing-policy.json");
    // vm-kept's port object, serialized, is the export's byte for byte.
    let exported = read_json(
        &root()
            .join(MERGE_CASE)
            .join("az-security-jit-policy-list.json"),
    );
    let (_, rest) = only_policy(out.path());
    assert_eq!(
        serde_json::to_string(&rest["body"]["properties"]["virtualMachines"][0]["ports"][0])
            .unwrap(),
        serde_json::to_string(&exported[0]["virtualMachines"][0]["ports"][0]).unwrap()
    );
}

#[test]
fn a_listed_vm_gains_only_its_missing_ports() {
    let out = run_policy(&[
        MERGE_CASE,
        "fixtures/policy/template-vm-listed-by-exported-policy.json",
        "--subscription-id",
        SUBSCRIPTION,
        "--resource-group",
        "rg-jit-merge",
    ]);
    assert_expected(out.path(), "template-vm-listed-by-exported-policy.json");
}

#[test]
fn without_a_policy_in_the_input_the_documents_say_to_read_the_live_one_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/arm/ssh-open-to-any-with-public-ip.json"),
        dir.path().join("vm.json"),
    )
    .unwrap();
    let group = "rg?x=1#frag's";
    let out = run_policy(&[dir.path().to_str().unwrap(), "--resource-group", group]);
    let (template, rest) = only_policy(out.path());
    // Worked out by hand: each value in single quotes, the ' of the group as '\''.
    let command = "az security jit-policy show --subscription '00000000-0000-0000-0000-000000000000' --resource-group 'rg?x=1#frag'\\''s' --location 'westeurope' --name 'default' -o json";
    assert_eq!(rest["merge"]["readLivePolicy"], command);
    assert_eq!(rest["merge"]["existingPolicy"], Value::Null);
    for note in [&rest["merge"]["note"], &template["metadata"]["merge"]] {
        let note = note.as_str().unwrap();
        assert!(note.starts_with("No JIT policy of this resource group and location is in the input. A PUT replaces the whole virtualMachines list"), "{note}");
        assert!(note.contains(command), "{note}");
    }
    // ? = %3F, = = %3D, # = %23, ' = %27: the group stays one path segment, no query or
    // fragment starts before api-version.
    assert_eq!(
        rest["path"],
        "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg%3Fx%3D1%23frag%27s/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default?api-version=2020-01-01"
    );
    let changes = &rest["merge"]["changes"];
    assert_eq!(changes.as_array().unwrap().len(), 1);
    assert_eq!(changes[0]["change"], "addedVm");
    assert_eq!(changes[0]["ports"], serde_json::json!([22]));
}

/// One template copied twice (two environments, one VM id), the copy opening 3389 instead
/// of 22: one entry, with 22 (open in the first, and the Linux default) and 3389.
#[test]
fn a_vm_met_twice_is_listed_once_with_the_ports_of_both() {
    let dir = tempfile::tempdir().unwrap();
    let source = root().join("fixtures/arm/ssh-open-to-any-with-public-ip.json");
    std::fs::copy(&source, dir.path().join("a.json")).unwrap();
    let mut copy = read_json(&source);
    copy["resources"][0]["properties"]["securityRules"][0]["properties"]["destinationPortRange"] =
        Value::from("3389");
    std::fs::write(dir.path().join("b.json"), copy.to_string()).unwrap();
    let out = run_policy(&[dir.path().to_str().unwrap()]);
    let (_, rest) = only_policy(out.path());
    let vms = rest["body"]["properties"]["virtualMachines"]
        .as_array()
        .unwrap();
    assert_eq!(vms.len(), 1, "{vms:?}");
    assert!(vms[0]["id"]
        .as_str()
        .unwrap()
        .ends_with("/virtualMachines/vm-ssh-open"));
    let numbers: Vec<u64> = vms[0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [22, 3389]);
    // The suggestion's own list (what remediation.md lists) has it once too.
    let options = jitscan::scan::ScanOptions {
        paths: vec![dir.path().to_path_buf()],
        ..jitscan::scan::ScanOptions::default()
    };
    let policies = jitscan::policy::run(&options).policies;
    assert_eq!(policies.len(), 1);
    let vms = &policies[0].vms;
    assert_eq!(vms.len(), 1, "{vms:?}");
    let numbers: Vec<u16> = vms[0].ports.iter().map(|p| p.number).collect();
    assert_eq!(numbers, [22, 3389]);
}

/// Issue 19: vm-dnat-ssh is deployed by two templates of fixtures/arm and was listed twice.
#[test]
fn every_vm_of_the_fixture_templates_is_listed_once() {
    let out = run_policy(&["fixtures/arm"]);
    let (_, rest) = only_policy(out.path());
    let mut ids: Vec<String> = rest["body"]["properties"]["virtualMachines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|vm| vm["id"].as_str().unwrap().to_ascii_lowercase())
        .collect();
    let listed = ids.len();
    assert!(ids.iter().any(|id| id.ends_with("/vm-dnat-ssh")));
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), listed);
}
