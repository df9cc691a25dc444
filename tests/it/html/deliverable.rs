//! The HTML report as a deliverable for thousands of VMs: a full card per unhealthy or exposed
//! VM and one compact row per other VM (counted against the JSON report of the same scan), the
//! filter's `data-*` attributes, the print stylesheet, the top offending rules in the order
//! counted by hand, no placeholder context for exports, and the title and scan date escaped.

use std::path::PathBuf;

use jitscan::config::Date;
use jitscan::report::{html, json};
use jitscan::scan::{scan, ScanOptions, ScanResult};
use serde_json::{json, Value};

use super::{between, contains_escaped, fixture, scan_paths};
use crate::support::{jitscan, root, Run};

fn rest_export() -> PathBuf {
    root().join("fixtures/exports/env-three-ways/rest")
}

/// The opening tag of the element whose `data-name` is exactly `name`.
fn tag_of<'a>(html: &'a str, name: &str) -> &'a str {
    let needle = format!(" data-name=\"{name}\"");
    let at = html
        .find(&needle)
        .unwrap_or_else(|| panic!("no element for {name}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..end]
}

fn attribute<'a>(tag: &'a str, name: &str) -> &'a str {
    let needle = format!(" {name}=\"");
    let at = tag
        .find(&needle)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + needle.len();
    tag[at..].split('"').next().unwrap()
}

#[test]
fn unhealthy_and_exposed_vms_get_full_cards_the_others_one_row() {
    let result = scan_paths(&[root().join("fixtures/arm"), rest_export()]);
    let report: Value = serde_json::from_str(&json::render(&result)).unwrap();
    let vms = report["vms"].as_array().unwrap();
    let full = vms
        .iter()
        .filter(|v| v["classification"] == "unhealthy" || v["internetExposed"] == true)
        .count();
    let compact = vms.len() - full;
    assert!(full > 5 && compact > 5, "{full} full, {compact} compact");
    let html = html::render(&result).unwrap();
    assert_eq!(html.matches("<details class=\"vm-row ").count(), compact);
    // A full card is an article carrying the filter attributes; the card inside a row does not.
    let full_cards = html
        .match_indices("<article class=\"vm ")
        .filter(|(i, _)| {
            html[*i..]
                .split('>')
                .next()
                .unwrap()
                .contains(" data-vm=\"")
        })
        .count();
    assert_eq!(full_cards, full);
    assert_eq!(html.matches(" data-vm=\"").count(), vms.len());
    // Every row holds its whole card, readable without JavaScript.
    assert_eq!(html.matches("<article class=\"vm ").count(), vms.len());
    // vm-rdp-nicdeny is healthy with nothing reachable (the NIC NSG denies 3389 after the subnet
    // NSG allows it: both must allow): a row; vm-ssh-open is unhealthy: a card.
    assert!(tag_of(&html, "vm-rdp-nicdeny").starts_with("<details class=\"vm-row healthy\""));
    assert!(tag_of(&html, "vm-ssh-open").starts_with("<article class=\"vm unhealthy\""));
}

#[test]
fn cards_carry_the_values_the_filter_matches() {
    let html = html::render(&scan_paths(&[rest_export()])).unwrap();
    // fixtures/exports/env-three-ways/rest: vm-ssh-open's id is in resource group RG-JIT-PROD of
    // subscription 11111111-...; its NIC NSG NSG-SSH-Open allows 22 from `*` (allow-ssh-any) and
    // DenyAllInBound decides the other ports; its subnet has no NSG. Only 22 is open.
    let tag = tag_of(&html, "vm-ssh-open");
    assert_eq!(attribute(tag, "data-class"), "unhealthy");
    assert_eq!(
        attribute(tag, "data-sub"),
        "11111111-2222-3333-4444-555555555555"
    );
    assert_eq!(attribute(tag, "data-rg"), "RG-JIT-PROD");
    assert_eq!(attribute(tag, "data-nsg"), "NSG-SSH-Open");
    assert_eq!(attribute(tag, "data-rule"), "allow-ssh-any DenyAllInBound");
    assert_eq!(attribute(tag, "data-port"), "22");
    // vm-fw-ssh is reached through the firewall's DNAT rule: the rule is matched too.
    let fw = tag_of(&html, "vm-fw-ssh");
    assert_eq!(attribute(fw, "data-rg"), "RG-JIT-HUB");
    assert!(attribute(fw, "data-rule").contains("ssh-to-vm-fw-ssh"));
    // The script reads these attributes.
    let script = between(&html, "<script>", "</script>");
    assert!(script.contains(r#"["name", "nsg", "rule", "rg", "sub", "port"]"#));
    assert!(script.contains(r#"getAttribute("data-offenders")"#));
    assert!(html.contains("id=\"vm-filter\"") && html.contains("id=\"vm-sort\""));
}

#[test]
fn the_print_stylesheet_prints_findings_only() {
    let html = html::render(&scan_paths(&[rest_export()])).unwrap();
    let print = between(&html, "@media print {", "\n}\n");
    // Compact rows (healthy and not applicable) are left out, and no VM starts a page.
    assert!(print.contains("details.vm-row"));
    assert!(between(print, "  .toc,", "}").contains("details.vm-row"));
    assert!(!print.contains(".vm.unhealthy { break-before: page"));
    assert!(print.contains("thead { display: table-header-group; }"));
    assert!(print.contains("overflow-wrap: anywhere"));
    // Long ids wrap on screen too.
    let screen = between(&html, "<style>", "@media print {");
    assert!(screen.contains("overflow-wrap: anywhere"));
    assert!(html.contains("class=\"note print-only\""));
}

/// A template where one subnet NSG rule opens SSH on three VMs and one NIC NSG rule opens RDP
/// on one, and a fourth VM in the shared subnet has a NIC NSG that denies SSH.
fn shared_rule_template() -> Value {
    let rule = |name: &str, port: &str, access: &str, priority: u32| {
        json!({ "name": name, "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": port,
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "access": access, "priority": priority, "direction": "Inbound" } })
    };
    let nsg = |name: &str, rules: Vec<Value>| {
        json!({ "type": "Microsoft.Network/networkSecurityGroups", "apiVersion": "2023-09-01",
            "name": name, "location": "westeurope", "properties": { "securityRules": rules } })
    };
    let id = |kind: &str, name: &str| format!("[resourceId('Microsoft.Network/{kind}', '{name}')]");
    let mut resources = vec![
        nsg(
            "nsg-shared",
            vec![rule("allow-ssh-any", "22", "Allow", 100)],
        ),
        nsg("nsg-b1", vec![rule("allow-rdp-any", "3389", "Allow", 200)]),
        nsg("nsg-c1", vec![rule("deny-ssh", "22", "Deny", 100)]),
        json!({ "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2023-09-01",
            "name": "vnet", "location": "westeurope", "properties": {
                "addressSpace": { "addressPrefixes": ["10.0.0.0/16"] },
                "subnets": [
                    { "name": "snet-shared", "properties": { "addressPrefix": "10.0.1.0/24",
                        "networkSecurityGroup": { "id": id("networkSecurityGroups", "nsg-shared") } } },
                    { "name": "snet-other", "properties": { "addressPrefix": "10.0.2.0/24" } }
                ] } }),
    ];
    for (vm, subnet, nic_nsg) in [
        ("vm-a1", "snet-shared", None),
        ("vm-a2", "snet-shared", None),
        ("vm-a3", "snet-shared", None),
        ("vm-b1", "snet-other", Some("nsg-b1")),
        ("vm-c1", "snet-shared", Some("nsg-c1")),
    ] {
        resources.push(json!({ "type": "Microsoft.Network/publicIPAddresses",
            "apiVersion": "2023-09-01", "name": format!("pip-{vm}"), "location": "westeurope",
            "sku": { "name": "Standard" },
            "properties": { "publicIPAllocationMethod": "Static" } }));
        let mut nic = json!({ "type": "Microsoft.Network/networkInterfaces",
            "apiVersion": "2023-09-01", "name": format!("nic-{vm}"), "location": "westeurope",
            "properties": { "ipConfigurations": [{ "name": "ipconfig1", "properties": {
                "privateIPAllocationMethod": "Dynamic",
                "subnet": { "id": format!("[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', '{subnet}')]") },
                "publicIPAddress": { "id": id("publicIPAddresses", &format!("pip-{vm}")) } } }] } });
        if let Some(n) = nic_nsg {
            nic["properties"]["networkSecurityGroup"] =
                json!({ "id": id("networkSecurityGroups", n) });
        }
        resources.push(nic);
        resources.push(json!({ "type": "Microsoft.Compute/virtualMachines",
            "apiVersion": "2023-03-01", "name": vm, "location": "westeurope",
            "properties": { "osProfile": { "linuxConfiguration": {} },
                "networkProfile": { "networkInterfaces": [
                    { "id": id("networkInterfaces", &format!("nic-{vm}")) }] } } }));
    }
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": resources
    })
}

#[test]
fn top_offending_rules_rank_the_rule_that_opens_most_vms_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared-rule.json");
    std::fs::write(&path, shared_rule_template().to_string()).unwrap();
    let result = scan_paths(&[path]);
    assert_eq!(result.vms.len(), 5);
    let html = html::render(&result).unwrap();
    // Counted by hand (docs/verdicts.md; Azure: an inbound packet must pass the subnet's NSG and
    // then the NIC's): allow-ssh-any of nsg-shared lets 22 in on vm-a1..a3, whose NICs have no
    // NSG, and each has a Standard public IP an NSG allows, so all three are reachable. vm-c1 is
    // in the same subnet, but its NIC NSG denies 22 (deny-ssh), so the subnet rule opens nothing
    // there. allow-rdp-any of nsg-b1 opens 3389 on vm-b1 alone (snet-other has no NSG).
    let first = between(&html, "<tr id=\"offender-1\">", "</tr>");
    assert!(first.contains("<strong>allow-ssh-any</strong>"), "{first}");
    assert!(first.contains(">nsg-shared<"));
    assert!(first.contains("<td class=\"num\"><strong>3</strong></td><td class=\"num\">3</td>"));
    for vm in ["vm-a1", "vm-a2", "vm-a3"] {
        assert!(
            first.contains(&format!(">{vm}</a>")),
            "{vm} not under the rule"
        );
        assert_eq!(attribute(tag_of(&html, vm), "data-offenders"), "1");
    }
    assert!(!first.contains("vm-c1"));
    let second = between(&html, "<tr id=\"offender-2\">", "</tr>");
    assert!(second.contains("<strong>allow-rdp-any</strong>") && second.contains(">vm-b1</a>"));
    assert!(second.contains("<td class=\"num\"><strong>1</strong></td>"));
    assert!(
        !html.contains("id=\"offender-3\""),
        "deny-ssh opens nothing"
    );
    assert_eq!(attribute(tag_of(&html, "vm-b1"), "data-offenders"), "2");
    assert_eq!(attribute(tag_of(&html, "vm-c1"), "data-offenders"), "");
    assert!(tag_of(&html, "vm-c1").starts_with("<details class=\"vm-row healthy\""));
}

#[test]
fn an_export_scan_shows_no_placeholder_context_and_says_what_it_read() {
    let result = scan_paths(&[rest_export()]);
    assert!(result.vms.iter().all(|vm| !vm.from_template));
    let html = html::render(&result).unwrap();
    assert!(!html.contains("00000000-0000-0000-0000-000000000000"));
    assert!(!html.contains("jitscan-rg"));
    assert!(!html.contains("Deployment context"));
    assert!(!html.contains("0 ARM templates"));
    // 12 REST list files in the folder, every one scanned; 9 VMs and the scale set vmss-batch.
    assert!(html.contains("12 input files in "), "scope line");
    assert!(html.contains(": 12 REST API exports scanned; 10 virtual machines and scale sets"));
    // The breakdowns name the export's own subscription and resource groups.
    let summary = between(&html, "id=\"summary\"", "id=\"scope\"");
    assert!(summary.contains("11111111-2222-3333-4444-555555555555"));
    assert!(summary.contains("RG-JIT-HUB (11111111-2222-3333-4444-555555555555)"));
    // A template scanned alongside still states its placeholder context.
    let mixed = html::render(&scan_paths(&[
        rest_export(),
        fixture("nsg-closed-healthy.json"),
    ]))
    .unwrap();
    assert!(mixed.contains("Deployment context"));
    assert!(mixed.contains("not stated (ARM templates)"));
}

fn with_title(title: &str, as_of: &str) -> ScanResult {
    scan(&ScanOptions {
        paths: vec![fixture("ssh-open-to-any-with-public-ip.json")],
        title: Some(title.to_owned()),
        today: Date::parse(as_of).unwrap(),
        ..ScanOptions::default()
    })
}

#[test]
fn the_title_and_scan_date_are_shown_and_escaped() {
    let hostile = "<script>alert('t')</script> & \"Contoso\"";
    let html = html::render(&with_title(hostile, "2026-03-04")).unwrap();
    assert!(!html.contains("<script>alert('t')"));
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own script"
    );
    assert!(contains_escaped(&html, hostile));
    let head = between(&html, "<header", "</header>");
    assert!(head.contains("id=\"report-title\""));
    assert!(head.contains("Scan date <time datetime=\"2026-03-04\">2026-03-04</time>"));
    assert!(between(&html, "<title>", "</title>").contains("&#60;script&#62;"));
    // Without a title there is no title line; the date is the one given.
    let plain = html::render(&scan(&ScanOptions {
        paths: vec![fixture("ssh-open-to-any-with-public-ip.json")],
        today: Date::parse("2026-05-06").unwrap(),
        ..ScanOptions::default()
    }))
    .unwrap();
    assert!(!plain.contains("id=\"report-title\""));
    assert!(plain.contains(">2026-05-06</time>"));
}

#[test]
fn the_title_comes_from_the_command_line_or_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("ssh-open-to-any-with-public-ip.json"),
        dir.path().join("t.json"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("jitscan.yaml"),
        "report:\n  title: Fabrikam <audit>\n",
    )
    .unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("r.html");
    let run = |extra: &[&str]| {
        let ran = jitscan()
            .args([
                "scan",
                "--as-of",
                "2026-07-08",
                "--format",
                "html",
                "--output",
            ])
            .arg(&out)
            .args(extra)
            .arg(dir.path())
            .run();
        assert!(ran.code == 1, "{}", ran.stderr);
        std::fs::read_to_string(&out).unwrap()
    };
    let from_config = run(&[]);
    assert!(contains_escaped(&from_config, "Fabrikam <audit>"));
    assert!(from_config.contains(">2026-07-08</time>"));
    let from_flag = run(&["--title", "Northwind & Co"]);
    assert!(contains_escaped(&from_flag, "Northwind & Co"));
    assert!(!contains_escaped(&from_flag, "Fabrikam <audit>"));
}
