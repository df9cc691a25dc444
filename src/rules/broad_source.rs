//! JIT006 mgmt-port-open-to-broad-public-range: a management port admitted (by the NSGs, or
//! through a firewall DNAT rule) from public ranges wider than a /8 (configurable), short of
//! the whole Internet.

use super::{port_label, relate, Finding, Level, Message, Related, Role, Rule, Settings};
use crate::classify::VmResult;
use crate::eval::addresses::{block_size, public, Addresses, IntervalSet};
use crate::eval::coverage::{BroadSources, BroadVia};
use crate::eval::paths::PathKind;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT006",
    name: "mgmt-port-open-to-broad-public-range",
    summary: "Management port open to a very broad public address range",
    description: "The network security groups of a virtual machine admit a management port (SSH, RDP or WinRM) from public address ranges that together hold more addresses than a /8 (the prefix length is configurable), without admitting the whole Internet; or an Azure Firewall DNAT rule forwards the port from such ranges and the NSGs let the forwarded traffic through. Such a rule is open to a large share of the Internet and is often 'any' written without the asterisk.",
    help_markdown: "## What it flags\nA management port (22, 3389, 5985, 5986 by default) that the NSGs on a network interface's path admit from more public addresses than a prefix of the configured length holds (default `/8`: a `/7` or two `/8`s are flagged, one `/8` is not), counting only the addresses no earlier rule already denies, and only where the NSGs together do not admit every public address (that is JIT001). An Azure Firewall DNAT rule whose `sourceAddresses` are such ranges is flagged the same way when the NSGs admit the traffic it forwards (a DNAT rule from every public address is JIT004). Private, shared (100.64.0.0/10), loopback, link-local, documentation, multicast and reserved ranges are not public and do not count.\n\n## Why it matters\nAttackers scan the whole Internet: a port open to a `/4` is open to hundreds of millions of addresses, cloud providers' included. Splitting `0.0.0.0/0` into large blocks, or leaving one small range out, hides an open port from checks that look for `*`.\n\n## How to fix\nRestrict the source to the addresses that need the port (an office range, a VPN gateway, a bastion), or enable just-in-time VM access and remove the rule. If the range is intended, suppress the finding in jitscan.yaml with the reason, or raise `findings.broadSourcePrefixLength`.\n\n## Example\n```json\n{ \"name\": \"allow-ssh-partners\", \"properties\": { \"priority\": 100, \"direction\": \"Inbound\", \"access\": \"Allow\", \"protocol\": \"Tcp\", \"sourceAddressPrefixes\": [\"64.0.0.0/2\"], \"destinationPortRange\": \"22\", \"sourcePortRange\": \"*\", \"destinationAddressPrefix\": \"*\" } }\n```\nReplace `64.0.0.0/2` with the partners' own ranges.",
    level: Level::Warning,
    security_severity: "6.5",
    precision: "high",
    check,
};

/// How many of the admitted ranges a message lists.
const LISTED: usize = 4;

fn check(rule: &'static Rule, vm: &VmResult, settings: &Settings) -> Vec<Finding> {
    let length = settings.broad_source_prefix_length;
    let too_broad = |b: &&BroadSources| {
        b.addresses.v4.count() > block_size(32, length)
            || b.addresses.v6.count() > block_size(128, length)
    };
    vm.ports
        .iter()
        .filter(|p| !p.open.value)
        .filter_map(|port| {
            let broad = port.broad_sources.iter().find(too_broad)?;
            let mut message = Message::default();
            message
                .words("VM '")
                .value(&vm.name)
                .words("': ")
                .words(&port_label(port.port))
                .words(&format!(
                    " is open to public ranges wider than a /{length}, though not to the whole Internet ("
                ));
            // A near miss reads best by what it leaves out.
            let left_out = left_out(&broad.addresses);
            let (missing, more_missing) = left_out.prefixes(LISTED);
            let (prefixes, left) = if more_missing == 0 && !missing.is_empty() {
                message.words("every public address except ");
                (missing, 0)
            } else {
                broad.addresses.prefixes(LISTED)
            };
            let listed: Vec<String> = prefixes.iter().map(ToString::to_string).collect();
            message.words(&listed.join(", "));
            if left > 0 {
                message.words(&format!(" and {left} more"));
            }
            message.words(")");
            let mut related = Vec::new();
            for r in &broad.rules {
                let mut said = Message::default();
                match &r.via {
                    BroadVia::Nsg {
                        level,
                        nsg,
                        priority,
                    } => {
                        let priority = priority.map_or("?".to_owned(), |p| p.to_string());
                        said.words(level.as_str())
                            .words(" NSG '")
                            .value(nsg)
                            .words("' rule '")
                            .value(&r.rule)
                            .words(&format!("' (priority {priority}) allows them"));
                    }
                    BroadVia::FirewallDnat { firewall } => {
                        said.words("Azure Firewall '")
                            .value(firewall)
                            .words("' DNAT rule '")
                            .value(&r.rule)
                            .words("' forwards them");
                    }
                }
                message.words(": ").append(&said);
                if let Some(origin) = &r.origin {
                    let role = match r.via {
                        BroadVia::Nsg { .. } => Role::Allows,
                        BroadVia::FirewallDnat { .. } => Role::Path(PathKind::FirewallDnat),
                    };
                    related.push(Related {
                        origin: origin.clone(),
                        message: said,
                        role,
                    });
                }
            }
            let mut finding = Finding::new(rule, vm, Some(port.port), message);
            // The rule admitting the broad range is the line to narrow.
            relate(&mut finding, related, &[Role::Allows, Role::Path(PathKind::FirewallDnat)]);
            Some(finding)
        })
        .collect()
}

/// The public addresses of each family `admitted` holds some of that it does not hold.
fn left_out(admitted: &Addresses) -> Addresses {
    let p = public();
    Addresses {
        v4: if admitted.v4.is_empty() {
            IntervalSet::empty()
        } else {
            p.v4.difference(&admitted.v4)
        },
        v6: if admitted.v6.is_empty() {
            IntervalSet::empty()
        } else {
            p.v6.difference(&admitted.v6)
        },
    }
}
