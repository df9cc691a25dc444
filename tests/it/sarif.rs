//! The SARIF log is read by GitHub code scanning and other tools: real output validates against
//! the SARIF 2.1.0 schema (tests/data/sarif/, see SOURCES.md), carries what code scanning needs
//! (help, `security-severity`, regions, fingerprints), keeps its fingerprints when unrelated
//! lines move, and is byte-identical for the same input.

use std::path::{Path, PathBuf};

use jitscan::report::sarif::{render, render_relative_to, FINGERPRINT_KEY};
use jitscan::scan::{scan, ScanOptions};
use serde_json::Value;

use crate::support::{corpus_dir, root};

const SCHEMA: &str = include_str!("../data/sarif/sarif-schema-2.1.0.json");
const FIXTURE: &str = "fixtures/arm/ssh-open-to-any-with-public-ip.json";

fn options(paths: Vec<PathBuf>) -> ScanOptions {
    ScanOptions {
        paths,
        ..ScanOptions::default()
    }
}

/// The SARIF log of a scan of `paths`, with URIs relative to `base`.
fn sarif(paths: Vec<PathBuf>, base: &Path) -> Value {
    let text = render_relative_to(&scan(&options(paths)), Some(base));
    serde_json::from_str(&text).expect("SARIF is valid JSON")
}

/// fixtures/arm plus ../shared/corpus (which must exist unless JITSCAN_SKIP_CORPUS=1).
fn corpus_and_fixtures() -> Vec<PathBuf> {
    let mut paths = vec![root().join("fixtures/arm")];
    paths.extend(corpus_dir());
    paths
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SCHEMA.trim_start_matches('\u{feff}')).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, log: &Value) -> Vec<String> {
    validator
        .iter_errors(log)
        .map(|e| format!("{e} at {}", e.instance_path))
        .take(20)
        .collect()
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn fingerprints(log: &Value) -> Vec<(String, u64)> {
    results(log)
        .iter()
        .map(|r| {
            let fp = r["partialFingerprints"][FINGERPRINT_KEY].as_str().unwrap();
            let line = r["locations"][0]["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap();
            (fp.to_owned(), line)
        })
        .collect()
}

#[test]
fn corpus_and_fixture_log_validates_against_the_sarif_schema() {
    let log = sarif(corpus_and_fixtures(), &root());
    assert!(results(&log).len() > 10, "expected findings in the scan");
    let errors = schema_errors(&validator(), &log);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

#[test]
fn schema_check_is_live_it_rejects_broken_logs() {
    let validator = validator();
    let log = sarif(vec![root().join(FIXTURE)], &root());
    assert!(validator.is_valid(&log));
    let mut no_message = log.clone();
    no_message["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(!validator.is_valid(&no_message));
    let mut bad_level = log.clone();
    bad_level["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!validator.is_valid(&bad_level));
    let mut bad_uri = log;
    bad_uri["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"] = "a b\\c.json".into();
    assert!(
        !validator.is_valid(&bad_uri),
        "a raw space must not pass as a URI"
    );
}

#[test]
fn rules_and_results_carry_what_code_scanning_needs() {
    let log = sarif(corpus_and_fixtures(), &root());
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["tool"]["driver"]["name"], "jitscan");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), jitscan::rules::REGISTRY.len());
    for rule in rules {
        let id = rule["id"].as_str().unwrap();
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .is_some_and(|m| m.contains("## How to fix")),
            "{id}"
        );
        assert!(
            rule["help"]["text"]
                .as_str()
                .is_some_and(|t| !t.contains("## ") && !t.is_empty()),
            "{id}"
        );
        let props = &rule["properties"];
        assert!(
            props["tags"]
                .as_array()
                .unwrap()
                .contains(&"security".into()),
            "{id}"
        );
        let severity: f64 = props["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&severity), "{id}: {severity}");
        let problem = props["problem.severity"].as_str().unwrap();
        assert!(
            ["error", "warning", "recommendation"].contains(&problem),
            "{id}"
        );
    }
    for (i, result) in results(&log).iter().enumerate() {
        let rule_id = result["ruleId"].as_str().unwrap();
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], rule_id, "result {i}");
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["region"]["startLine"].as_u64().unwrap() >= 1,
            "result {i}"
        );
        assert_eq!(
            location["artifactLocation"]["uriBaseId"], "%SRCROOT%",
            "result {i}"
        );
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            !uri.contains(' ') && !uri.contains('\\') && !uri.starts_with('/'),
            "{uri}"
        );
        let fp = result["partialFingerprints"][FINGERPRINT_KEY]
            .as_str()
            .unwrap();
        assert!(
            fp.len() == 64 && fp.chars().all(|c| c.is_ascii_hexdigit()),
            "result {i}"
        );
        assert_eq!(
            result["locations"][0]["logicalLocations"][0]["kind"],
            "resource"
        );
        assert!(result["message"]["text"]
            .as_str()
            .is_some_and(|t| t.len() > 10));
    }
    let mut fps: Vec<String> = fingerprints(&log).into_iter().map(|(fp, _)| fp).collect();
    let total = fps.len();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), total, "two results share a fingerprint");
    let artifacts = run["artifacts"].as_array().unwrap();
    assert!(artifacts
        .iter()
        .any(|a| a["location"]["uri"].as_str().unwrap().contains("%20")));
    assert!(artifacts.iter().any(|a| a["location"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("../shared/")));
}

#[test]
fn fingerprints_survive_blank_lines_inserted_above() {
    let original = std::fs::read_to_string(root().join(FIXTURE)).unwrap();
    let before_dir = tempfile::tempdir().unwrap();
    let after_dir = tempfile::tempdir().unwrap();
    let name = "ssh open.json";
    std::fs::write(before_dir.path().join(name), &original).unwrap();
    std::fs::write(after_dir.path().join(name), format!("\n\n\n\n\n{original}")).unwrap();
    let before = sarif(vec![before_dir.path().join(name)], before_dir.path());
    let after = sarif(vec![after_dir.path().join(name)], after_dir.path());
    let (before_fps, after_fps) = (fingerprints(&before), fingerprints(&after));
    assert!(!before_fps.is_empty(), "the fixture must raise findings");
    assert_eq!(before_fps.len(), after_fps.len());
    for ((fp_a, line_a), (fp_b, line_b)) in before_fps.iter().zip(&after_fps) {
        assert_eq!(fp_a, fp_b);
        assert_eq!(line_a + 5, *line_b);
    }
    let uri = &results(&after)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "ssh%20open.json");
}

#[test]
fn same_input_gives_byte_identical_logs() {
    let options = options(vec![root().join("fixtures/arm")]);
    let first = render(&scan(&options));
    assert!(first.ends_with("}\n"));
    for _ in 0..3 {
        assert_eq!(first, render(&scan(&options)));
    }
}

#[test]
fn input_problems_become_notifications_and_fail_the_invocation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"resources\": [\n    {,\n",
    )
    .unwrap();
    let log = sarif(vec![dir.path().to_path_buf()], dir.path());
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes = invocation["toolExecutionNotifications"].as_array().unwrap();
    let note = notes
        .iter()
        .find(|n| n["descriptor"]["id"] == "jitscan::input::malformed-json")
        .expect("a malformed-json notification");
    assert_eq!(note["level"], "error");
    let location = &note["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "broken.json");
    assert!(location["region"]["startLine"].as_u64().unwrap() >= 2);
    assert!(schema_errors(&validator(), &log).is_empty());
    let ok = sarif(vec![root().join(FIXTURE)], &root());
    assert_eq!(ok["runs"][0]["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn a_tag_suppression_is_reported_as_external_with_its_reason() {
    let mut template: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join(FIXTURE)).unwrap()).unwrap();
    let vm = template["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "Microsoft.Compute/virtualMachines")
        .unwrap();
    vm["tags"] = serde_json::json!({ "jitscan-ignore": "JIT001: reachable only over the VPN" });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("suppressed.json");
    std::fs::write(&path, serde_json::to_string_pretty(&template).unwrap()).unwrap();
    let log = sarif(vec![path], dir.path());
    let jit001: Vec<&Value> = results(&log)
        .iter()
        .filter(|r| r["ruleId"] == "JIT001")
        .collect();
    assert!(!jit001.is_empty());
    for result in jit001 {
        let suppression = &result["suppressions"][0];
        assert_eq!(suppression["kind"], "external");
        let justification = suppression["justification"].as_str().unwrap();
        assert!(justification.contains("jitscan-ignore"), "{justification}");
        assert!(
            justification.contains("reachable only over the VPN"),
            "{justification}"
        );
    }
    assert!(schema_errors(&validator(), &log).is_empty());
}

/// The line of the `{` that opens the object holding `marker` (the first line containing it):
/// where a resource or a rule in a hand-written fixture is declared.
fn opening_line(fixture: &str, marker: &str) -> u64 {
    let text = std::fs::read_to_string(root().join(fixture)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let at = lines.iter().position(|l| l.contains(marker)).unwrap();
    let open = lines[..=at]
        .iter()
        .rposition(|l| l.trim_end().ends_with('{'))
        .unwrap();
    open as u64 + 1
}

/// (rule id, primary line, related lines) of each result of a one-fixture scan.
fn placed(fixture: &str) -> Vec<(String, u64, Vec<u64>)> {
    let log = sarif(vec![root().join(fixture)], &root());
    results(&log)
        .iter()
        .map(|r| {
            let line = |l: &Value| {
                l["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .unwrap()
            };
            let related = r["relatedLocations"]
                .as_array()
                .map(|all| all.iter().map(line).collect())
                .unwrap_or_default();
            (
                r["ruleId"].as_str().unwrap().to_owned(),
                line(&r["locations"][0]),
                related,
            )
        })
        .collect()
}

#[test]
fn an_open_port_points_at_the_nsg_rule_that_allows_it_and_relates_the_vm() {
    // ssh-open-to-any-with-public-ip: the NIC NSG's rule 'allow-ssh-any' admits TCP 22 from '*'
    // (Internet); it is the one line a fix edits (delete or narrow it), so it is the primary
    // location; the VM is a related location so the reader still sees which VM.
    let rule = opening_line(FIXTURE, "\"allow-ssh-any\"");
    let vm = opening_line(FIXTURE, "Microsoft.Compute/virtualMachines");
    let found = placed(FIXTURE);
    let jit001: Vec<_> = found.iter().filter(|(id, ..)| id == "JIT001").collect();
    assert_eq!(jit001.len(), 1, "{found:?}");
    assert_eq!(jit001[0].1, rule, "{found:?}");
    assert_eq!(jit001[0].2.first(), Some(&vm), "{found:?}");
    assert!(!jit001[0].2.contains(&rule), "the primary is not repeated");
}

#[test]
fn a_firewall_dnat_finding_points_at_the_dnat_rule() {
    // firewall-dnat-to-rdp: the firewall's DNAT rule 'rdp-to-vm-dnat-rdp' translates the public
    // frontend to the VM's RDP port; no NSG rule allows 3389 (the subnet NSG's default
    // DenyAllInBound is cited), so for JIT004, and for JIT001 which the DNAT path makes, the
    // rule a fix edits is the DNAT rule.
    let fixture = "fixtures/arm/firewall-dnat-to-rdp.json";
    let dnat = opening_line(fixture, "\"rdp-to-vm-dnat-rdp\"");
    let vm = opening_line(fixture, "Microsoft.Compute/virtualMachines");
    let found = placed(fixture);
    for id in ["JIT001", "JIT004"] {
        let result = found.iter().find(|(r, ..)| r == id).unwrap();
        assert_eq!(result.1, dnat, "{id}: {found:?}");
        assert_eq!(result.2.first(), Some(&vm), "{id}: {found:?}");
    }
}

#[test]
fn a_load_balancer_finding_points_at_the_nat_rule_and_jit001_at_the_nsg_rule() {
    // lb-inbound-nat-rule-to-rdp: NAT rule 'nat-rdp-vm-nat-rdp' forwards a frontend port to RDP
    // and the NIC NSG's 'allow-rdp-any' admits it. JIT003 is about the load balancer path, so it
    // points at the NAT rule (deleting it closes that path); JIT001 is about the NSG, so it
    // points at the allowing rule. Each relates the other place too.
    let fixture = "fixtures/arm/lb-inbound-nat-rule-to-rdp.json";
    let nat = opening_line(fixture, "\"nat-rdp-vm-nat-rdp\"");
    let lb = opening_line(fixture, "Microsoft.Network/loadBalancers");
    let nsg_rule = opening_line(fixture, "\"allow-rdp-any\"");
    assert!(
        nat > lb,
        "the NAT rule is declared inside the load balancer"
    );
    let found = placed(fixture);
    let jit001 = found.iter().find(|(r, ..)| r == "JIT001").unwrap();
    let jit003 = found.iter().find(|(r, ..)| r == "JIT003").unwrap();
    assert_eq!((jit001.1, jit003.1), (nsg_rule, nat), "{found:?}");
    assert!(
        jit001.2.contains(&nat) && jit003.2.contains(&nsg_rule),
        "{found:?}"
    );
}

#[test]
fn a_load_balancing_rule_finding_points_at_the_rule() {
    // lb-rule-backend-port-22: load-balancing rule 'lbrule-ssh-2222' sends frontend traffic to
    // backend port 22 of the pool the VM's NIC is in (JIT003); the line to change is that rule.
    let fixture = "fixtures/arm/lb-rule-backend-port-22.json";
    let found = placed(fixture);
    let jit003 = found.iter().find(|(r, ..)| r == "JIT003").expect("JIT003");
    let text = std::fs::read_to_string(root().join(fixture)).unwrap();
    let rules_at = text
        .lines()
        .position(|l| l.contains("\"loadBalancingRules\""))
        .unwrap() as u64
        + 1;
    assert_eq!(
        jit003.1,
        rules_at + 1,
        "the rule's opening brace: {found:?}"
    );
}

#[test]
fn without_an_nsg_the_public_ip_association_is_the_primary_location() {
    // no-nsg-with-public-ip-not-applicable: no NSG at all, a public IP on the NIC; no rule
    // decides, so the line a change would touch is the ipConfiguration's `publicIPAddress`
    // (removing the association closes every path), and the VM is the related location.
    let fixture = "fixtures/arm/no-nsg-with-public-ip-not-applicable.json";
    let vm = opening_line(fixture, "Microsoft.Compute/virtualMachines");
    let text = std::fs::read_to_string(root().join(fixture)).unwrap();
    let association = text
        .lines()
        .position(|l| l.contains("\"publicIPAddress\": {"))
        .expect("the NIC's publicIPAddress") as u64
        + 1;
    let found = placed(fixture);
    assert!(!found.is_empty());
    for (id, line, related) in &found {
        assert_eq!(*line, association, "{id}");
        assert!(related.contains(&vm), "{id}: the VM is related");
        assert!(
            !related.contains(&association),
            "{id}: the primary is not repeated"
        );
    }
}

#[test]
fn the_driver_names_an_absolute_information_uri_or_none() {
    // SARIF's informationUri is an absolute URI; jitscan takes it from Cargo.toml's
    // `repository` and leaves it out rather than invent one.
    let log = sarif(vec![root().join(FIXTURE)], &root());
    let driver = &log["runs"][0]["tool"]["driver"];
    match option_env!("CARGO_PKG_REPOSITORY").filter(|u| !u.is_empty()) {
        Some(uri) => assert_eq!(driver["informationUri"], uri),
        None => assert!(driver.get("informationUri").is_none(), "{driver}"),
    }
    assert!(driver.get("informationUri").is_none_or(|u| !u.is_null()));
}
