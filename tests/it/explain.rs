//! `jitscan explain PATH --vm NAME`: the closing verdict is for the source asked about, a
//! firewall DNAT path shows the NSGs evaluated for the source the VM actually sees (the
//! firewall's private address), and every unknown says what it depends on.
//!
//! Expected texts come from Azure's rules (docs/verdicts.md), worked out in each test.

use crate::support::{jitscan, Run};

/// The explanation's text (exit 0 required).
fn explain(args: &[&str]) -> String {
    let ran = jitscan().arg("explain").args(args).run();
    assert_eq!(ran.code, 0, "explain {args:?} failed: {}", ran.stderr);
    ran.stdout_text()
}

/// The last line of the text that starts with `  =>`: the closing verdict of the (only) port.
fn closing(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| l.starts_with("  =>"))
        .unwrap_or_else(|| panic!("no closing verdict in:\n{text}"))
}

/// Every line saying something is unknown (a verdict `unknown`, a port that "may be"
/// reachable) is followed by a line naming the reason.
fn unknowns_name_their_reasons(text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let says_unknown = line.contains("(unknown)") || line.contains("may be reachable");
        let verdict_line = line.trim_start().starts_with("=>") || line.starts_with("  (the scan");
        if !(says_unknown && verdict_line) {
            continue;
        }
        let next = lines.get(i + 1).copied().unwrap_or("");
        assert!(
            next.starts_with("     ") && next.contains("unknown: ") && next.len() > 25,
            "line {} says unknown without a reason:\n{line}\n{next}\n\nin:\n{text}",
            i + 1
        );
    }
}

const PARTNER: &str = "fixtures/arm/rdp-allowed-from-one-public-range.json";

/// nsg-rdp-partner allows 3389 from 203.0.113.0/24 only; the NIC has a Standard public IP
/// (closed unless an NSG allows). 203.0.113.5 is in the range: the allow rule decides, the
/// public IP leads in, so that source reaches 3389. The scan's verdict (any Internet address)
/// stays deny, and is not the closing line.
#[test]
fn a_source_the_nsg_admits_closes_with_reachable() {
    let text = explain(&[
        PARTNER,
        "--vm",
        "vm-win-partner",
        "--port",
        "3389",
        "--source",
        "203.0.113.5",
    ]);
    assert!(
        text.contains("allow-rdp-partner-range  Allow  <- matches, decides"),
        "{text}"
    );
    assert!(
        text.contains("(the scan, for an arbitrary Internet address: deny (certain)"),
        "{text}"
    );
    assert_eq!(
        closing(&text),
        "  => verdict for 203.0.113.5: port 3389 reachable: through publicIp 'pip-win-partner'"
    );
    // Nothing after the closing verdict but the blank line that ends the VM.
    assert!(text.trim_end().ends_with(closing(&text)), "{text}");
}

/// 198.51.100.1 is outside 203.0.113.0/24: the allow rule is skipped, DenyAllInBound decides,
/// and the Standard public IP lets nothing through without an NSG allow.
#[test]
fn a_source_the_nsg_refuses_closes_with_not_reachable() {
    let text = explain(&[
        PARTNER,
        "--vm",
        "vm-win-partner",
        "--port",
        "3389",
        "--source",
        "198.51.100.1",
    ]);
    assert!(
        text.contains("allow-rdp-partner-range  Allow  skipped: source does not match"),
        "{text}"
    );
    assert!(
        text.contains("DenyAllInBound (default)  Deny  <- matches, decides"),
        "{text}"
    );
    assert!(text.contains("result: Deny"), "{text}");
    assert_eq!(
        closing(&text),
        "  => verdict for 198.51.100.1: port 3389 not reachable: denied by the network security groups"
    );
}

/// A private source is inside the virtual network: AllowVnetInBound (65000) admits it and no
/// public path is needed; the closing verdict says so rather than the Internet verdict.
#[test]
fn a_private_source_is_judged_inside_the_virtual_network() {
    let text = explain(&[
        PARTNER,
        "--vm",
        "vm-win-partner",
        "--port",
        "3389",
        "--source",
        "10.30.1.9",
    ]);
    assert!(
        text.contains("AllowVnetInBound (default)  Allow  <- matches, decides"),
        "{text}"
    );
    assert!(
        closing(&text).starts_with("  => verdict for 10.30.1.9 (private: taken to be inside the virtual network): port 3389 reachable"),
        "{text}"
    );
}

const DNAT: &str = "fixtures/arm/firewall-dnat-to-rdp.json";

/// Azure Firewall DNATs 3389 from `*` to 10.0.2.4 and translates the source to its own private
/// address, in AzureFirewallSubnet 10.0.0.0/26 (the firewall's address is not in the input).
/// For the Internet the workload NSG (defaults only) denies (DenyAllInBound); for the
/// firewall's address, a VirtualNetwork source, AllowVnetInBound decides: the forwarded
/// traffic gets in. The trace must show that second evaluation under the DNAT path.
#[test]
fn a_dnat_path_shows_the_nsgs_for_the_firewall_address() {
    let text = explain(&[DNAT, "--vm", "vm-dnat-rdp", "--port", "3389"]);
    let forwarded = text
        .split("path in: firewallDnat 'afw-hub'")
        .nth(1)
        .unwrap_or_else(|| panic!("no DNAT path in:\n{text}"));
    assert!(
        forwarded.contains("the firewall forwards it with source an address in 10.0.0.0/26"),
        "{text}"
    );
    assert!(
        forwarded.contains("AllowVnetInBound (default)  Allow  <- matches, decides"),
        "{text}"
    );
    assert!(
        forwarded.contains("=> the forwarded traffic passes the NSGs"),
        "{text}"
    );
    assert!(
        closing(&text).contains("open: true; exposed: true"),
        "{text}"
    );
    // Before the path, the Internet-source evaluation: DenyAllInBound decides.
    let direct = text.split("path in:").next().unwrap();
    assert!(
        direct.contains("DenyAllInBound (default)  Deny  <- matches, decides"),
        "{text}"
    );
}

/// The same firewall, with the workload NSG denying 3389 from the firewall's subnet at priority
/// 100: the forwarded traffic is denied, so nothing is open; the trace says which rule did it.
#[test]
fn a_dnat_path_denied_for_the_firewall_address_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(crate::support::root().join(DNAT)).unwrap();
    let deny = r#""securityRules": [{"name": "deny-rdp-from-firewall", "properties": {"protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "3389", "sourceAddressPrefix": "10.0.0.0/26", "destinationAddressPrefix": "*", "access": "Deny", "priority": 100, "direction": "Inbound"}}]"#;
    assert!(text.contains(r#""securityRules": []"#));
    let path = dir.path().join("dnat-denied.json");
    std::fs::write(&path, text.replacen(r#""securityRules": []"#, deny, 1)).unwrap();
    let out = explain(&[
        path.to_str().unwrap(),
        "--vm",
        "vm-dnat-rdp",
        "--port",
        "3389",
    ]);
    let forwarded = out.split("path in: firewallDnat").nth(1).unwrap();
    assert!(
        forwarded.contains("deny-rdp-from-firewall  Deny  <- matches, decides"),
        "{out}"
    );
    assert!(
        forwarded.contains("=> the forwarded traffic is denied by the NSGs"),
        "{out}"
    );
    assert!(
        closing(&out).contains("open: false; exposed: false"),
        "{out}"
    );
}

/// With `--source`, a DNAT rule from `*` admits 198.51.100.7, and the forwarded traffic passes
/// the NSGs (above): that source reaches 3389 through the firewall.
#[test]
fn a_source_reaching_through_dnat_closes_with_the_firewall_path() {
    let text = explain(&[
        DNAT,
        "--vm",
        "vm-dnat-rdp",
        "--port",
        "3389",
        "--source",
        "198.51.100.7",
    ]);
    assert_eq!(
        closing(&text),
        "  => verdict for 198.51.100.7: port 3389 reachable: through firewallDnat 'afw-hub'"
    );
}

/// allowedSource has no value: the allow rule for 22 may match. The trace shows the most open
/// outcome and says why, and the unknown verdict names the parameter.
#[test]
fn an_unknown_verdict_names_what_is_unknown() {
    let text = explain(&[
        "fixtures/arm/parameter-without-default-decides-port.json",
        "--vm",
        "vm-param",
        "--port",
        "22",
    ]);
    assert!(
        text.contains("=> NSG verdict for an Internet source: unknown (unknown)"),
        "{text}"
    );
    assert!(
        text.contains("NSG verdict unknown: rule 'allow-ssh-from-allowed-source'"),
        "{text}"
    );
    assert!(
        text.contains("(uncertain: rule 'allow-ssh-from-allowed-source'"),
        "{text}"
    );
    unknowns_name_their_reasons(&text);
}

/// A scale set whose NIC configurations come from a copy loop of unknown count: no NSG is
/// known, and the explanation says the NIC configurations are undecided and why, never
/// "unfiltered" or a bare "unknown".
#[test]
fn undecided_network_interfaces_are_named_in_the_explanation() {
    let text = explain(&[
        "fixtures/arm/vmss-nic-configs-copy-count-unknown.json",
        "--vm",
        "vmss-batch",
    ]);
    assert!(!text.contains("traffic is unfiltered"), "{text}");
    assert!(
        text.contains("networkInterfaceConfigurations is undecided: copy count is unknown: parameter 'nicCount'"),
        "{text}"
    );
    unknowns_name_their_reasons(&text);
    let with_source = explain(&[
        "fixtures/arm/vm-nic-references-copy-count-unknown.json",
        "--vm",
        "vm-app",
        "--port",
        "22",
        "--source",
        "203.0.113.9",
    ]);
    assert!(
        with_source.contains("network interface unknown: "),
        "{with_source}"
    );
    assert!(
        closing(&with_source).contains("may be reachable"),
        "{with_source}"
    );
    unknowns_name_their_reasons(&with_source);
}

const TWO_RULES: &str = "fixtures/arm/sources-split-halves-two-rules.json";

/// The lines of the port's section (from "port N" to its closing verdict) that end an NSG's
/// trace: `result: Allow` or `result: Deny`.
fn results(text: &str) -> Vec<&str> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("result: "))
        .collect()
}

/// nsg-vm-two-rules: allow-ssh-low-half (100, 0.0.0.0/1) and allow-ssh-high-half (110,
/// 128.0.0.0/1). First match per address: every IPv4 address meets one of the two, so the
/// NSG admits the Internet (the scan: allow). Neither rule covers it alone; the trace must show
/// both deciding together, each naming the other, and end on Allow, as the scan does (it used
/// to skip both, "source does not match", and end on DenyAllInBound).
#[test]
fn split_halves_in_two_rules_decide_together_as_the_scan_does() {
    let text = explain(&[TWO_RULES, "--vm", "vm-two-rules", "--port", "22"]);
    assert!(
        text.contains("allow-ssh-low-half  Allow  <- admits part of the Internet (0.0.0.0/1); with 'allow-ssh-high-half' every public address: decides"),
        "{text}"
    );
    assert!(
        text.contains("allow-ssh-high-half  Allow  <- admits part of the Internet (128.0.0.0/1); with 'allow-ssh-low-half' every public address: decides"),
        "{text}"
    );
    assert_eq!(results(&text), ["Allow"], "{text}");
    assert_eq!(
        closing(&text),
        "  => NSG verdict for an Internet source: allow (certain); open: true; exposed: true"
    );
    // IPv4 prefixes leave IPv6 clients to DenyAllInBound: said, not hidden.
    assert!(
        text.contains("DenyAllInBound (default)  Deny  <- takes part: refuses what earlier rules left of the Internet (IPv6"),
        "{text}"
    );
}

/// vm-subnet-and-nic: the subnet NSG admits both halves (Allow, as above); the NIC NSG admits
/// 0.0.0.0/1 only and DenyAllInBound refuses the rest: not every address passes both, the
/// scan says deny. The trace shows the subnet NSG allowing, the NIC rule taking its half
/// without deciding, and DenyAllInBound deciding.
#[test]
fn a_half_admitted_by_one_nsg_only_is_traced_to_deny() {
    let text = explain(&[TWO_RULES, "--vm", "vm-subnet-and-nic", "--port", "22"]);
    assert_eq!(results(&text), ["Allow", "Deny"], "{text}");
    assert!(
        text.contains("allow-ssh-low-half-only  Allow  <- takes part: admits part of the Internet (0.0.0.0/1); the rest goes on to the next rule"),
        "{text}"
    );
    let nic = text.split("nic NSG").nth(1).unwrap();
    assert!(
        nic.contains("DenyAllInBound (default)  Deny  <- matches, decides"),
        "{text}"
    );
    assert_eq!(
        closing(&text),
        "  => NSG verdict for an Internet source: deny (certain); open: false; exposed: false"
    );
}

/// For every VM and port of the coverage fixtures (one ipConfiguration each), the trace ends
/// where the scan does: every NSG on the path allows exactly when the scan's NSG verdict for
/// an Internet source is allow. Expected verdicts are those of fixtures/expected (worked out
/// by hand); here only the agreement of the two is checked.
#[test]
fn the_trace_agrees_with_the_scan_on_split_and_listed_sources() {
    let cases = [
        (
            TWO_RULES,
            &["vm-two-rules", "vm-subnet-and-nic", "vm-denied-halves"][..],
        ),
        (
            "fixtures/arm/sources-split-halves-one-rule.json",
            &["vm-halves", "vm-all-but-private", "vm-ipv6-global"][..],
        ),
        (
            "fixtures/arm/sources-deny-exceptions-and-shadowed-ranges.json",
            &["vm-deny-one-24", "vm-broad-shadowed", "vm-two-slash8"][..],
        ),
        (
            "fixtures/arm/sources-broad-public-range.json",
            &["vm-near-miss", "vm-slash4", "vm-slash8"][..],
        ),
    ];
    for (fixture, vms) in cases {
        for vm in vms {
            let text = explain(&[fixture, "--vm", vm]);
            for section in text.split("\nport ").skip(1) {
                let verdict = closing(section);
                let all_allow = results(section).iter().all(|r| *r == "Allow");
                let scan_allows = verdict.contains("Internet source: allow");
                assert_eq!(
                    all_allow, scan_allows,
                    "{fixture} {vm}: trace and scan disagree:\nport {section}"
                );
            }
        }
    }
}

/// A DNAT rule from 0.0.0.0/1 and 128.0.0.0/1 accepts every Internet address, as `*` does:
/// the path is traced as reaching 3389 (the forwarded traffic arrives from the firewall's
/// subnet, which AllowVnetInBound admits), and the scan reports it exposed.
#[test]
fn a_dnat_rule_from_split_halves_is_traced_as_internet_wide() {
    let text = explain(&[
        "fixtures/arm/firewall-dnat-sources-by-coverage.json",
        "--vm",
        "vm-dnat-halves",
        "--port",
        "3389",
    ]);
    assert!(
        text.contains("path in: firewallDnat 'afw-hub' rule 'dnat-inbound/rdp-halves' (exists)"),
        "{text}"
    );
    assert!(
        text.contains("=> the forwarded traffic passes the NSGs"),
        "{text}"
    );
    assert!(
        closing(&text).contains("open: true; exposed: true"),
        "{text}"
    );
    let from_one = explain(&[
        "fixtures/arm/firewall-dnat-sources-by-coverage.json",
        "--vm",
        "vm-dnat-halves",
        "--port",
        "3389",
        "--source",
        "198.51.100.7",
    ]);
    assert_eq!(
        closing(&from_one),
        "  => verdict for 198.51.100.7: port 3389 reachable: through firewallDnat 'afw-hub'"
    );
}

/// JIT's layer is shown for a JIT-covered VM: the policy, JIT's rules on the path and, per port,
/// what the policy says and whether something defeats it (fixtures/jit/export-live: vm-allow-ahead
/// has JIT's deny for 22 at 4096 behind allow-ssh-legacy at 100; the policy lists 22 only).
#[test]
fn the_jit_layer_shows_the_policy_its_deny_rules_and_what_defeats_them() {
    let text = explain(&["fixtures/jit/export-live", "--vm", "vm-allow-ahead"]);
    assert!(
        text.contains("JIT layer: policy default declared at"),
        "{text}"
    );
    assert!(
        text.contains("SecurityCenter-JITRule_-1017_0A1B2C3D4E5F4A6B8C9D0E1F2A3B4C5D (Deny, priority 4096, ports 22"),
        "{text}"
    );
    let port22 = text
        .lines()
        .find(|l| l.trim_start().starts_with("port 22: "))
        .unwrap_or_default();
    assert!(port22.contains("sources 203.0.113.0/24"), "{port22}");
    assert!(
        port22.contains("denied by JIT's SecurityCenter-JITRule_-1017"),
        "{port22}"
    );
    assert!(port22.contains("yet open to the Internet"), "{port22}");
    let port3389 = text
        .lines()
        .find(|l| l.trim_start().starts_with("port 3389: "))
        .unwrap_or_default();
    assert!(port3389.contains("not in the policy"), "{port3389}");
    assert!(!port3389.contains("yet open"), "{port3389}");
    // A VM no policy lists has no JIT layer.
    let plain = explain(&[
        "fixtures/arm/ssh-open-to-any-with-public-ip.json",
        "--vm",
        "vm-ssh-open",
    ]);
    assert!(!plain.contains("JIT layer"), "{plain}");
}
