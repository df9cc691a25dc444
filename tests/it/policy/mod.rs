//! `jitscan policy`: the suggested JIT policies match the Swagger schema of
//! Microsoft.Security/locations/jitNetworkAccessPolicies (2020-01-01), and the remediation
//! plan is proven by re-evaluation, where a naive deny at priority 4096 is not.

mod admin_rules;
mod cli;
mod remediation_cases;
pub mod schema;

use jitscan::config::policy::iso8601_seconds;
use jitscan::model::{key, Access, Decided};
use jitscan::policy::remediation::{self, Proof};
use jitscan::scan::{environments, ScanOptions};

use crate::support::{policy, read_json, root, Ran};
use schema::strict_validator;

/// `jitscan policy <paths> --out <a new temporary folder> <extra>`.
fn run_policy(paths: &[&str], extra: &[&str]) -> (tempfile::TempDir, Ran) {
    let out = tempfile::tempdir().unwrap();
    let ran = policy(paths, out.path(), extra);
    (out, ran)
}

#[test]
fn every_emitted_policy_validates_against_the_jit_schema() {
    let (out, output) = run_policy(&["fixtures/arm"], &[]);
    // 1: some plan is not proven (a VM whose inputs are incomplete); the documents are written.
    assert!(matches!(output.code, 0 | 1), "{}", output.stderr);
    let validator = strict_validator();
    let dir = out.path().join("jit-policies");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let doc = read_json(&path);
        let policy = if path.to_string_lossy().ends_with(".rest.json") {
            assert_eq!(doc["method"], "PUT");
            let request_path = doc["path"].as_str().unwrap();
            assert!(
                request_path.contains("/providers/Microsoft.Security/locations/")
                    && request_path
                        .ends_with("/jitNetworkAccessPolicies/default?api-version=2020-01-01"),
                "{request_path}"
            );
            doc["body"].clone()
        } else {
            let resource = &doc["resources"][0];
            assert_eq!(
                resource["type"],
                "Microsoft.Security/locations/jitNetworkAccessPolicies"
            );
            assert_eq!(resource["apiVersion"], "2020-01-01");
            serde_json::json!({ "kind": resource["kind"], "properties": resource["properties"] })
        };
        let errors: Vec<String> = validator
            .iter_errors(&policy)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        for vm in policy["properties"]["virtualMachines"].as_array().unwrap() {
            for port in vm["ports"].as_array().unwrap() {
                assert!(
                    port.get("allowedSourceAddressPrefix").is_some()
                        != port.get("allowedSourceAddressPrefixes").is_some(),
                    "exactly one source form"
                );
                let secs =
                    iso8601_seconds(port["maxRequestAccessDuration"].as_str().unwrap()).unwrap();
                assert!((300..=86_400).contains(&secs));
            }
        }
        checked += 1;
    }
    assert!(checked >= 2);
}

#[test]
fn the_schema_check_can_fail() {
    let validator = strict_validator();
    let bad = serde_json::json!({"kind": "Basic", "properties": {"virtualMachines": [{"id": "x", "ports": [{"number": 22, "protocol": "ICMP", "maxRequestAccessDuration": "PT3H"}]}]}});
    assert!(!validator.is_valid(&bad));
    let typo = serde_json::json!({"kind": "Basic", "properties": {"virtualMachines": [{"id": "x", "ports": [{"number": 22, "protocol": "*", "maxRequestDuration": "PT3H"}]}]}});
    assert!(!validator.is_valid(&typo));
}

#[test]
fn a_deny_at_4096_protects_nothing_but_the_plan_does() {
    use jitscan::model::address::AddressItem;
    use jitscan::model::ports::PortSet;
    use jitscan::model::{Direction, SecurityRule};
    let options = ScanOptions {
        paths: vec![root().join("fixtures/arm/ssh-open-to-any-with-public-ip.json")],
        ..ScanOptions::default()
    };
    let envs = environments(&options).outputs;
    let inventory = &envs[0].inventory;
    let vm = &inventory.vms[0];
    let nsg_key = inventory.nsgs.keys().next().unwrap().clone();
    // The deny JIT has been seen writing: priority 4096, behind the allow at 100.
    let mut naive = inventory.clone();
    naive
        .nsgs
        .get_mut(&nsg_key)
        .unwrap()
        .rules
        .push(SecurityRule {
            name: "jit-deny-22".to_owned().into(),
            priority: Decided::Known(4096),
            direction: Decided::Known(Direction::Inbound),
            access: Decided::Known(Access::Deny),
            protocol: Decided::Known("*".to_owned()),
            sources: Decided::Known(vec![AddressItem::Any]),
            source_ports: Decided::Known(PortSet::all()),
            destinations: Decided::Known(vec![AddressItem::Any]),
            destination_ports: Decided::Known(PortSet::single(22)),
            is_default: false,
            origin: None,
        });
    let after = jitscan::classify::classify(jitscan::eval::evaluate_vm(&naive, vm, &options.ports));
    assert_eq!(
        after.classification.value,
        jitscan::classify::Classification::Unhealthy
    );
    // The plan: allow-ssh-any (priority 100, source *, port 22 only) opens nothing but a
    // management port, so it is deleted; nothing else behind the NSG changes.
    let plans = remediation::plan_environment(inventory, &options.ports);
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].proof, Proof::Proven, "{:?}", plans[0].changes);
    assert_eq!(plans[0].changes.len(), 1);
    let change = &plans[0].changes[0];
    assert_eq!(change.operation, remediation::Operation::Delete);
    assert_eq!(change.before.as_ref().unwrap()["name"], "allow-ssh-any");
    assert_eq!(key(&change.parent_id), nsg_key);
    assert!(plans[0].collateral.is_empty(), "{:?}", plans[0].collateral);
}

#[test]
fn every_fixture_plan_is_proven_and_healthy_vms_get_none() {
    let options = ScanOptions {
        paths: vec![root().join("fixtures/arm")],
        ..ScanOptions::default()
    };
    let output = jitscan::policy::run(&options);
    assert!(output.plans.len() >= 20);
    let scanned = jitscan::scan::scan(&options);
    for plan in &output.plans {
        let vm = scanned
            .vms
            .iter()
            .find(|v| {
                v.id == plan.vm_id && v.name == plan.vm_name && v.origin.path() == plan.source
            })
            .unwrap();
        if vm.missing.is_empty() {
            assert_eq!(
                plan.proof,
                Proof::Proven,
                "{}: {:?}",
                plan.vm_name,
                plan.changes
            );
        } else {
            // What the input lacks (or does not decide) cannot be proven closed; the plan must
            // say so, not pretend.
            assert!(
                matches!(&plan.proof, Proof::NotProven(why) if why.contains("not in the input") || why.contains("does not decide")),
                "{}: {:?}",
                plan.vm_name,
                plan.proof
            );
        }
    }
    // vm-web-1 and vm-web-2 share vm-web-0's NSG: its change closes them too.
    let web: Vec<usize> = ["vm-web-0", "vm-web-1", "vm-web-2"]
        .iter()
        .map(|n| {
            output
                .plans
                .iter()
                .find(|p| p.vm_name == *n)
                .unwrap()
                .changes
                .len()
        })
        .collect();
    assert!(web[0] > 0 && web[1] == 0 && web[2] == 0, "{web:?}");
    assert!(!output
        .plans
        .iter()
        .any(|p| p.vm_name == "vm-closed" || p.vm_name == "vm-jit"));
}

#[test]
fn config_settings_shape_the_policy_and_bad_settings_point_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        root().join("fixtures/arm/ssh-open-to-any-with-public-ip.json"),
        dir.path().join("vm.json"),
    )
    .unwrap();
    std::fs::write(dir.path().join("jitscan.yaml"), "policy:\n  maxRequestTime: PT1H\n  vms:\n    - match: vm-ssh-*\n      allowedSources: [203.0.113.0/24, 198.51.100.7]\n      protocol: tcp\n").unwrap();
    let (out, output) = run_policy(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    let rest = std::fs::read_dir(out.path().join("jit-policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".rest.json"))
        .unwrap();
    let port = read_json(&rest)["body"]["properties"]["virtualMachines"][0]["ports"][0].clone();
    assert_eq!(port["maxRequestAccessDuration"], "PT1H");
    assert_eq!(port["protocol"], "TCP");
    assert_eq!(
        port["allowedSourceAddressPrefixes"],
        serde_json::json!(["203.0.113.0/24", "198.51.100.7"])
    );

    std::fs::write(
        dir.path().join("jitscan.yaml"),
        "policy:\n  maxRequestTime: PT2M\n  ports: [70000]\n",
    )
    .unwrap();
    let (_, output) = run_policy(&[dir.path().to_str().unwrap()], &[]);
    assert_eq!(output.code, 2);
    let stderr = &output.stderr;
    assert!(
        stderr.contains("jitscan.yaml:2:1") && stderr.contains("outside 5 minutes to 24 hours"),
        "{stderr}"
    );
    assert!(
        stderr.contains("jitscan.yaml:3:1") && stderr.contains("70000"),
        "{stderr}"
    );
}
