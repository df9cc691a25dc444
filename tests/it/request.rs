//! `jitscan request`: Defender's "Request access" offline. Accepted and refused requests over
//! the hand-written export in fixtures/jit-request (its README lists the policy), each reasoned
//! from Defender's rules (docs/verdicts.md, "JIT access requests"); every body printed is
//! checked against `JitNetworkAccessPolicyInitiateRequest` of the 2020-01-01 Swagger in
//! ../shared/azure-specs, and the spec's own Initiate example is reproduced from its Get example.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{jitscan, root, Ran, Run};

const EXPORT: &str = "fixtures/jit-request/export";
const SWAGGER: &str = "specification/security/resource-manager/Microsoft.Security/stable/2020-01-01/jitNetworkAccessPolicies.json";
const EXAMPLES: &str = "specification/security/resource-manager/Microsoft.Security/stable/2020-01-01/examples/JitNetworkAccessPolicies";

/// `../shared/azure-specs`: the tests that need it fail when it is absent, unless
/// `JITSCAN_SKIP_CORPUS=1` says to skip them on purpose.
fn azure_specs() -> Option<PathBuf> {
    let dir = root().join("../shared/azure-specs");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("JITSCAN_SKIP_CORPUS").is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED: ../shared/azure-specs is absent and JITSCAN_SKIP_CORPUS=1");
        return None;
    }
    panic!("../shared/azure-specs is absent: the request tests validate bodies against its 2020-01-01 Swagger (set JITSCAN_SKIP_CORPUS=1 to skip them on purpose)");
}

fn request(args: &[&str]) -> Ran {
    jitscan().arg("request").args(args).run()
}

/// The REST URL and body printed, and the `az rest` command's URL and body.
fn printed_call(ran: &Ran) -> (String, Value, String, Value) {
    let out = ran.stdout_text();
    let rest = out.split_once("\nREST:\nPOST ").expect("a REST call").1;
    let (url, rest) = rest.split_once('\n').unwrap();
    let (body, az) = rest.split_once("\n\naz CLI").unwrap();
    let az = az.split_once("az rest --method post --url '").unwrap().1;
    let (az_url, az_body) = az.split_once("' --body '").unwrap();
    let az_body = az_body.trim_end().trim_end_matches('\'');
    (
        url.to_owned(),
        serde_json::from_str(body).unwrap(),
        az_url.to_owned(),
        serde_json::from_str(az_body).unwrap(),
    )
}

/// Checks `value` against the Swagger definition `name`: required members present, every
/// member declared, types as declared (`$ref`s followed), integers within their bounds,
/// date-times read as UTC times.
fn conforms(swagger: &Value, name: &str, value: &Value, at: &str) -> Vec<String> {
    let schema = &swagger["definitions"][name];
    assert!(schema.is_object(), "no definition {name}");
    conforms_to(swagger, schema, value, at)
}

fn conforms_to(swagger: &Value, schema: &Value, value: &Value, at: &str) -> Vec<String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/definitions/");
        return conforms(swagger, name, value, at);
    }
    let mut problems = Vec::new();
    match schema["type"].as_str() {
        Some("object") => {
            let Some(object) = value.as_object() else {
                return vec![format!("{at}: not an object")];
            };
            for required in schema["required"].as_array().into_iter().flatten() {
                let key = required.as_str().unwrap();
                if !object.contains_key(key) {
                    problems.push(format!("{at}: required {key} missing"));
                }
            }
            for (key, member) in object {
                match schema["properties"].get(key) {
                    Some(s) => {
                        problems.extend(conforms_to(swagger, s, member, &format!("{at}/{key}")))
                    }
                    None => problems.push(format!("{at}: {key} is not in the schema")),
                }
            }
        }
        Some("array") => match value.as_array() {
            Some(items) => {
                for (i, item) in items.iter().enumerate() {
                    problems.extend(conforms_to(
                        swagger,
                        &schema["items"],
                        item,
                        &format!("{at}/{i}"),
                    ));
                }
            }
            None => problems.push(format!("{at}: not an array")),
        },
        Some("string") => match value.as_str() {
            Some(s) if schema["format"] == "date-time" && !is_utc_time(s) => {
                problems.push(format!("{at}: '{s}' is not a date-time"));
            }
            Some(_) => {}
            None => problems.push(format!("{at}: not a string")),
        },
        Some("integer") => match value.as_i64() {
            Some(n) => {
                let low = schema["minimum"].as_i64().unwrap_or(i64::MIN);
                let high = schema["maximum"].as_i64().unwrap_or(i64::MAX);
                if n < low || n > high {
                    problems.push(format!("{at}: {n} out of [{low}, {high}]"));
                }
            }
            None => problems.push(format!("{at}: not an integer")),
        },
        other => problems.push(format!("{at}: schema type {other:?} not checked here")),
    }
    problems
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)`.
fn is_utc_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && b.get(10) == Some(&b'T')
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && (s.ends_with('Z')
            || s.get(s.len().saturating_sub(6)..)
                .is_some_and(|t| t.starts_with(['+', '-'])))
}

fn swagger(dir: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(SWAGGER)).unwrap()).unwrap()
}

const POLICY_ID: &str = "/subscriptions/0b5e7c1a-3d2f-4e6a-9b8c-1d2e3f4a5b6c/resourceGroups/rg-app/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default";
const WEB_ID: &str = "/subscriptions/0b5e7c1a-3d2f-4e6a-9b8c-1d2e3f4a5b6c/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/vm-web";

#[test]
fn a_request_the_policy_allows_prints_the_initiate_call() {
    // vm-web's port 22 admits 203.0.113.0/24 exactly, for at most PT3H: PT2H from that very
    // block is what Defender grants. It ends at --as-of + PT2H = 12:00Z.
    let ran = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "22",
        "--source",
        "203.0.113.0/24",
        "--duration",
        "PT2H",
        "--justification",
        "patch day",
        "--as-of",
        "2026-01-05T10:00:00Z",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let (url, body, az_url, az_body) = printed_call(&ran);
    assert_eq!(
        url,
        format!("https://management.azure.com{POLICY_ID}/initiate?api-version=2020-01-01")
    );
    assert_eq!(az_url, url);
    assert_eq!(az_body, body, "az rest sends the same body");
    assert_eq!(
        body,
        serde_json::json!({
            "virtualMachines": [{ "id": WEB_ID, "ports": [{
                "number": 22, "allowedSourceAddressPrefix": "203.0.113.0/24",
                "endTimeUtc": "2026-01-05T12:00:00Z" }] }],
            "justification": "patch day"
        })
    );
    if let Some(dir) = azure_specs() {
        let problems = conforms(
            &swagger(&dir),
            "JitNetworkAccessPolicyInitiateRequest",
            &body,
            "",
        );
        assert!(problems.is_empty(), "{problems:?}");
    }
}

#[test]
fn no_source_leaves_the_prefix_out_and_the_length_defaults_to_the_maximum() {
    // Port 3389 admits `*` for at most PT1H. Without --source the body omits
    // allowedSourceAddressPrefix (Azure then grants the requester's address); without
    // --duration the grant runs the policy's maximum: a date as --as-of is its midnight, so
    // the end is 01:00Z.
    let ran = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "3389",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let (_, body, _, _) = printed_call(&ran);
    assert_eq!(
        body,
        serde_json::json!({ "virtualMachines": [{ "id": WEB_ID, "ports": [{
            "number": 3389, "endTimeUtc": "2026-01-05T01:00:00Z" }] }] })
    );
    if let Some(dir) = azure_specs() {
        let problems = conforms(
            &swagger(&dir),
            "JitNetworkAccessPolicyInitiateRequest",
            &body,
            "",
        );
        assert!(problems.is_empty(), "{problems:?}");
    }
    // The same by id, in another case: the id names the VM as `explain --vm` reads it.
    let by_id = request(&[
        EXPORT,
        "--vm",
        &WEB_ID.to_uppercase(),
        "--port",
        "3389",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(by_id.stdout, ran.stdout);
}

#[test]
fn a_port_not_in_the_policy_is_refused() {
    // vm-web's policy entry lists 22 and 3389 only.
    let ran = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "5985",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stdout.is_empty(), "a refused request prints no call");
    assert!(
        ran.stderr
            .contains("port 5985 is not in the policy for this VM (its ports: 22, 3389)"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_source_inside_the_allowed_block_is_not_the_block() {
    // MicrosoftDocs/azure-docs#53026: with 10.21.254.0/24 configured, a request from
    // 10.21.254.85 was refused; only the configured block itself was accepted. So 203.0.113.9
    // (inside 203.0.113.0/24) is refused, and so is a source outside every allowed prefix;
    // 198.51.100.7/32 is the configured address 198.51.100.7 and is accepted.
    for source in ["203.0.113.9", "192.0.2.0/24"] {
        let ran = request(&[
            EXPORT,
            "--vm",
            "vm-web",
            "--port",
            "22",
            "--source",
            source,
            "--as-of",
            "2026-01-05",
        ]);
        assert_eq!(ran.code, 1, "{source}: {}", ran.stderr);
        assert!(
            ran.stderr.contains(&format!(
                "source '{source}' is not one of the port's allowed source prefixes"
            )),
            "{}",
            ran.stderr
        );
    }
    let ok = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "22",
        "--source",
        "198.51.100.7/32",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
}

#[test]
fn a_duration_beyond_the_maximum_is_refused() {
    // Port 3389's maxRequestAccessDuration is PT1H: PT61M is one minute too long; PT1H is not.
    let ran = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "3389",
        "--duration",
        "PT61M",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("the duration PT1H1M exceeds the port's maxRequestAccessDuration PT1H"),
        "{}",
        ran.stderr
    );
    let ok = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "3389",
        "--duration",
        "PT1H",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let bad = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "3389",
        "--duration",
        "2 hours",
    ]);
    assert_eq!(
        bad.code, 2,
        "not a duration is a usage error: {}",
        bad.stderr
    );
}

#[test]
fn a_vm_without_a_policy_points_to_jitscan_policy() {
    let ran = request(&[EXPORT, "--vm", "vm-nopolicy", "--port", "3389"]);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("no JIT policy in the inputs lists VM 'vm-nopolicy'"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("`jitscan policy`"), "{}", ran.stderr);
}

#[test]
fn an_ambiguous_name_lists_the_candidates() {
    // Two VMs named `app`, in rg-a and rg-b: the name does not say which.
    let ran = request(&[EXPORT, "--vm", "app", "--port", "22"]);
    assert_eq!(ran.code, 2, "{}", ran.stderr);
    assert!(ran.stderr.contains("'app' names 2 VMs"), "{}", ran.stderr);
    assert!(ran
        .stderr
        .contains("/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachines/app"));
    assert!(ran
        .stderr
        .contains("/resourceGroups/rg-b/providers/Microsoft.Compute/virtualMachines/app"));
    let missing = request(&[EXPORT, "--vm", "nobody", "--port", "22"]);
    assert_eq!(missing.code, 2, "{}", missing.stderr);
}

#[test]
fn a_template_policy_says_its_ids_are_placeholders() {
    let template = "fixtures/jit-request/template";
    let ran = request(&[
        template,
        "--vm",
        "vm-tpl",
        "--port",
        "22",
        "--as-of",
        "2026-01-05",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    assert!(
        ran.stdout_text()
            .contains("hold the deployment placeholders"),
        "{}",
        ran.stdout_text()
    );
    let given = request(&[
        template,
        "--vm",
        "vm-tpl",
        "--port",
        "22",
        "--as-of",
        "2026-01-05",
        "--subscription-id",
        "0b5e7c1a-3d2f-4e6a-9b8c-1d2e3f4a5b6c",
        "--resource-group",
        "rg-real",
    ]);
    assert_eq!(given.code, 0, "{}", given.stderr);
    assert!(!given.stdout_text().contains("placeholders"));
    let (url, _, _, _) = printed_call(&given);
    assert!(
        url.contains("/subscriptions/0b5e7c1a-3d2f-4e6a-9b8c-1d2e3f4a5b6c/resourceGroups/rg-real/"),
        "{url}"
    );
}

#[test]
fn hostile_values_stay_on_their_line() {
    let ran = request(&[
        EXPORT,
        "--vm",
        "vm-web",
        "--port",
        "3389",
        "--as-of",
        "2026-01-05",
        "--justification",
        "ok\n::error::forged\u{202e}",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let out = ran.stdout_text();
    assert!(
        !out.lines().any(|l| l.trim_start().starts_with("::error")),
        "{out}"
    );
    assert!(!out.contains('\u{202e}'), "{out}");
}

/// The spec's InitiateJitNetworkAccessPolicy example asks vm1 port 3389 from 192.127.0.2 for
/// an hour (start 08:53:03, end 09:53:03) with a justification. Its GetJitNetworkAccessPolicy
/// example is the policy (3389 from `*`, at most PT3H) and, with a hand-written VM vm1 of the
/// same id beside it, `request` builds the same body (to the second: jitscan writes whole
/// seconds). Azure/azure-rest-api-specs, MIT License, Copyright (c) Microsoft Corporation;
/// read from ../shared/azure-specs (its SOURCES.md), copied to a temporary folder, not kept.
#[test]
fn the_specs_initiate_example_is_rebuilt_from_its_get_example() {
    let Some(dir) = azure_specs() else { return };
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(EXAMPLES).join(name)).unwrap())
            .unwrap()
    };
    let get = read("GetJitNetworkAccessPolicy_example.json");
    let initiate = read("InitiateJitNetworkAccessPolicy_example.json");
    let expected = &initiate["parameters"]["body"];
    let swagger = swagger(&dir);
    let problems = conforms(
        &swagger,
        "JitNetworkAccessPolicyInitiateRequest",
        expected,
        "",
    );
    assert!(
        problems.is_empty(),
        "the checker accepts the spec's own body: {problems:?}"
    );
    let vm_id = expected["virtualMachines"][0]["id"].as_str().unwrap();
    let work = tempfile::tempdir().unwrap();
    std::fs::write(
        work.path().join("policy.json"),
        serde_json::to_string(&get["responses"]["200"]["body"]).unwrap(),
    )
    .unwrap();
    let vm = serde_json::json!({ "value": [{ "id": vm_id, "name": "vm1", "type": "Microsoft.Compute/virtualMachines",
        "location": "westeurope", "properties": { "networkProfile": { "networkInterfaces": [] } } }] });
    std::fs::write(work.path().join("vm.json"), vm.to_string()).unwrap();
    let ran = request(&[
        work.path().to_str().unwrap(),
        "--vm",
        "vm1",
        "--port",
        "3389",
        "--source",
        "192.127.0.2",
        "--duration",
        "PT1H",
        "--as-of",
        "2018-07-12T08:53:03.3658798Z",
        "--justification",
        "testing a new version of the product",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let (url, body, _, _) = printed_call(&ran);
    let mut want = expected.clone();
    want["virtualMachines"][0]["ports"][0]["endTimeUtc"] = "2018-07-12T09:53:03Z".into();
    assert_eq!(body, want);
    assert!(url.ends_with("/resourceGroups/myRg1/providers/Microsoft.Security/locations/westeurope/jitNetworkAccessPolicies/default/initiate?api-version=2020-01-01"), "{url}");
    assert!(conforms(&swagger, "JitNetworkAccessPolicyInitiateRequest", &body, "").is_empty());
}
