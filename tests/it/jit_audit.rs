//! The access-request audit (the JIT policy's `properties.requests`), over the hand-written
//! export in fixtures/jit-audit. The policy `ops` lists vm-a (22 from `*` at most PT3H; 3389
//! from 203.0.113.0/24 at most PT1H) and vm-b (22 from `*` at most PT3H); vm-a's NIC NSG
//! `nsg-ops` holds two JIT allow rules (`SecurityCenter-JITRule-...`: 22 from 198.51.100.10,
//! 3389 from `*`) and JIT's deny rules (`SecurityCenter-JITRule_-...`, not allow rules).
//!
//! Judged at 2026-03-10T12:00:00Z, request by request (docs/verdicts.md, "JIT access requests"):
//! - R1 alice, vm-a 22 from 198.51.100.10, 11:00-13:00 today, Initiated, "deploy hotfix": active
//!   (11:00 <= 12:00 < 13:00); 2 h <= PT3H; a single public address is not broad. JIT's allow
//!   rule for 22 from 198.51.100.10 is its rule: in use.
//! - R2 bob, vm-a 3389 from `*`, 08:00-12:00 yesterday, Revoked/Expired, no justification:
//!   revoked; `*` is any address (broad); 4 h > PT1H (longer than allowed); unjustified. The
//!   allow rule for 3389 from `*` has no active grant: stale.
//! - R3 alice, vm-a 22 from 203.0.113.0/24, 1 March 09:00-10:00, still `Initiated` in the
//!   export but its end has passed: ended; justification blank: unjustified.
//! - R4 carol, vm-b 22 from 64.0.0.0/2, 10:00-14:00 today, "audit": active; a /2 of public
//!   space is wider than a /8 (broad); 4 h > PT3H (longer than allowed).
//! - R5 bob, vm-b 5985, start "yesterday" (not a time), end tomorrow, Initiated: its state is
//!   unknown (it may not have started); its length is unknown, and 5985 is not in vm-b's entry;
//!   unjustified.
//! - R6 dave, vm-gone 22 from 10.1.2.3, February, Revoked: vm-gone is not in the export and the
//!   policy has no entry for it (length against the policy undecided).
//!
//! Totals: 6 grants on 3 VMs; 2 active (R1, R4); 1 unknown (R5); 2 broad (R2, R4); 2 longer
//! than allowed (R2, R4); 3 unjustified (R2, R3, R5); 1 stale allow rule. Last access: vm-a
//! alice R1 (R3 is older) and bob R2; vm-b carol R4 only (R5's start cannot be ordered).

use serde_json::Value;

use crate::support::{assert_valid_report, jitscan, Run};

const AUDIT: &str = "fixtures/jit-audit";

fn audit_report(as_of: &str) -> Value {
    let ran = jitscan()
        .args(["scan", AUDIT, "--format", "json", "--as-of", as_of])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert_valid_report(&ran.report);
    ran.report
}

fn grants<'a>(jit: &'a Value, vm: &str) -> &'a Vec<Value> {
    jit["accessRequests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["vmName"] == vm)
        .unwrap_or_else(|| panic!("no entry for {vm}"))["grants"]
        .as_array()
        .unwrap()
}

/// (port, state, broadSource, longerThanAllowed, withoutJustification) of each grant.
fn marks(grants: &[Value]) -> Vec<(Value, Value, Value, Value, Value)> {
    grants
        .iter()
        .map(|g| {
            (
                g["port"].clone(),
                g["state"].clone(),
                g["broadSource"].clone(),
                g["longerThanAllowed"].clone(),
                g["withoutJustification"].clone(),
            )
        })
        .collect()
}

#[test]
fn grants_are_judged_at_the_instant_given() {
    let report = audit_report("2026-03-10T12:00:00Z");
    let jit = &report["jit"];
    assert_eq!(jit["asOf"], "2026-03-10T12:00:00Z");
    assert_eq!(
        jit["summary"],
        serde_json::json!({ "vms": 3, "grants": 6, "active": 2, "unknownState": 1,
            "broadSource": 2, "longerThanAllowed": 2, "withoutJustification": 3, "staleAllowRules": 1 })
    );
    let names: Vec<&Value> = jit["accessRequests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["vmName"])
        .collect();
    assert_eq!(names, ["vm-a", "vm-b", "vm-gone"], "sorted by VM name");
    use serde_json::json;
    assert_eq!(
        marks(grants(jit, "vm-a")),
        vec![
            (
                json!(22),
                json!("active"),
                json!(false),
                json!(false),
                json!(false)
            ),
            (
                json!(3389),
                json!("revoked"),
                json!(true),
                json!(true),
                json!(true)
            ),
            (
                json!(22),
                json!("ended"),
                json!(false),
                json!(false),
                json!(true)
            ),
        ]
    );
    assert_eq!(
        marks(grants(jit, "vm-b")),
        vec![
            (
                json!(22),
                json!("active"),
                json!(true),
                json!(true),
                json!(false)
            ),
            (
                json!(5985),
                json!("unknown"),
                json!(false),
                Value::Null,
                json!(true)
            ),
        ]
    );
    let r5 = &grants(jit, "vm-b")[1];
    assert_eq!(
        r5["stateReason"],
        "startTimeUtc is missing or not a UTC time"
    );
    assert!(
        r5["notes"]
            .to_string()
            .contains("port 5985 is not in the policy"),
        "{r5}"
    );
    let gone = &jit["accessRequests"][2];
    assert_eq!(gone["inScan"], false);
    assert_eq!(
        marks(gone["grants"].as_array().unwrap()),
        vec![(
            json!(22),
            json!("revoked"),
            json!(false),
            Value::Null,
            json!(false)
        )]
    );
}

#[test]
fn jit_allow_rules_are_in_use_or_stale() {
    let report = audit_report("2026-03-10T12:00:00Z");
    let vm_a = &report["jit"]["accessRequests"][0];
    let rules: Vec<(&Value, &Value)> = vm_a["allowRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["rule"], &r["state"]))
        .collect();
    assert_eq!(
        rules,
        [
            (
                &Value::from("SecurityCenter-JITRule-1111-0A0B0C0D"),
                &Value::from("inUse")
            ),
            (
                &Value::from("SecurityCenter-JITRule-2222-1A1B1C1D"),
                &Value::from("stale")
            ),
        ],
        "JIT's deny rules (with `_`) are not allow rules"
    );
    assert_eq!(
        vm_a["grants"][0]["nsgRules"],
        serde_json::json!(["nsg-ops/SecurityCenter-JITRule-1111-0A0B0C0D"])
    );
    // At 14:00 R1 has ended: its rule is stale too.
    let later = audit_report("2026-03-10T14:00:00Z");
    assert_eq!(later["jit"]["summary"]["staleAllowRules"], 2);
    assert_eq!(
        later["jit"]["summary"]["active"], 0,
        "R4 ends at 14:00 itself: not active"
    );
}

#[test]
fn the_last_access_per_vm_and_requestor() {
    let report = audit_report("2026-03-10T12:00:00Z");
    let last = |i: usize| report["jit"]["accessRequests"][i]["lastAccess"].clone();
    assert_eq!(
        last(0),
        serde_json::json!([
            { "requestor": "alice@contoso.example", "startTimeUtc": "2026-03-10T11:00:00Z", "ports": [22] },
            { "requestor": "bob@contoso.example", "startTimeUtc": "2026-03-09T08:00:00Z", "ports": [3389] }
        ])
    );
    assert_eq!(
        last(1),
        serde_json::json!([{ "requestor": "carol@contoso.example", "startTimeUtc": "2026-03-10T10:00:00Z", "ports": [22] }])
    );
}

#[test]
fn a_date_as_of_is_its_midnight() {
    // 2026-03-10 is 00:00Z: R1 and R4 start later that day (notStarted); nothing is active.
    let report = audit_report("2026-03-10");
    assert_eq!(report["jit"]["asOf"], "2026-03-10T00:00:00Z");
    assert_eq!(report["jit"]["summary"]["active"], 0);
    assert_eq!(grants(&report["jit"], "vm-a")[0]["state"], "notStarted");
}

#[test]
fn the_table_and_the_html_say_it_and_escape_it() {
    let table = jitscan()
        .args(["scan", AUDIT, "--as-of", "2026-03-10T12:00:00Z"])
        .run();
    assert!(
        table.stdout_text().contains("JIT access requests as of 2026-03-10T12:00:00Z: 6 grant(s) on 3 VM(s); 2 active, 2 from any address or a broad range, 2 longer than the policy allows, 3 without justification, 1 whose state the input does not decide; 1 stale JIT allow rule(s) in the NSGs."),
        "{}",
        table.stdout_text()
    );
    let html = jitscan()
        .args([
            "scan",
            AUDIT,
            "--as-of",
            "2026-03-10T12:00:00Z",
            "--format",
            "html",
        ])
        .run();
    let page = html.stdout_text();
    assert!(page.contains("<h2 id=\"jit-requests-h\">JIT access requests</h2>"));
    assert!(
        page.contains("dave&#60;script&#62;@contoso.example"),
        "the requestor's markup is text"
    );
    assert!(!page.contains("dave<script>"));
}

#[test]
fn inputs_without_requests_have_no_jit_section() {
    let ran = jitscan()
        .args(["scan", "fixtures/jit-request", "--format", "json"])
        .run();
    assert!(
        ran.report.get("jit").is_none(),
        "no policy there holds a request or has JIT allow rules"
    );
    let table = jitscan().args(["scan", "fixtures/jit-request"]).run();
    assert!(!table.stdout_text().contains("JIT access requests"));
}
