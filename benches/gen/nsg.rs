//! BENCH SUPPORT: the rule sets of the generated NSGs: a few rules that decide management
//! ports (some open to the Internet, some to specific sources, some denied) among tens of
//! filler rules of every shape (single ports, ranges, lists, tags, CIDR lists, outbound).

use super::plan::{Access, NsgPlan, Ports, RulePlan, Sources};
use super::Rng;

fn rule(name: &str, priority: u32, access: Access, sources: Sources, ports: Ports) -> RulePlan {
    RulePlan {
        name: name.to_owned(),
        priority,
        inbound: true,
        access,
        protocol: "Tcp",
        sources,
        ports,
    }
}

fn one(s: &str) -> Sources {
    Sources::One(s.to_owned())
}

fn port(s: &str) -> Ports {
    Ports::One(s.to_owned())
}

fn ports(list: &[&str]) -> Ports {
    Ports::Many(list.iter().map(|s| (*s).to_owned()).collect())
}

/// Filler rules at priorities 1000, 1010, ... on ports that are not management ports:
/// `percent` of `count`.
fn fillers(rules: &mut Vec<RulePlan>, count: usize, percent: usize, rng: &mut Rng) {
    for k in 0..count * percent / 100 {
        let p = 6000 + rng.below(20_000) as u16;
        let ports = match rng.below(3) {
            0 => Ports::One(p.to_string()),
            1 => Ports::One(format!("{p}-{}", p + rng.below(50) as u16)),
            _ => Ports::Many(vec![
                p.to_string(),
                (p + 100).to_string(),
                format!("{}-{}", p + 200, p + 210),
            ]),
        };
        let sources = match rng.below(5) {
            0 => Sources::One(format!("192.168.{}.0/24", rng.below(256))),
            1 => Sources::One("VirtualNetwork".to_owned()),
            2 => Sources::One("AzureLoadBalancer".to_owned()),
            3 => Sources::One("Internet".to_owned()),
            _ => Sources::Many(
                (0..2 + rng.below(3))
                    .map(|_| format!("198.51.100.{}/32", rng.below(256)))
                    .collect(),
            ),
        };
        rules.push(RulePlan {
            name: format!(
                "rule-{k:02}-{}",
                if rng.chance(70) { "allow" } else { "deny" }
            ),
            priority: 1000 + 10 * k as u32,
            inbound: !rng.chance(25),
            access: if rng.chance(70) {
                Access::Allow
            } else {
                Access::Deny
            },
            protocol: ["Tcp", "Udp", "*"][rng.below(3) as usize],
            sources,
            ports,
        });
    }
}

/// Web tier: HTTP(S) from the Internet, SSH from corporate ranges, and (in two groups of three)
/// a legacy RDP rule open to the Internet.
pub fn nsg_web(name: &str, group: usize, percent: usize, rng: &mut Rng) -> NsgPlan {
    let rdp_access = if group % 3 == 0 {
        Access::Deny
    } else {
        Access::Allow
    };
    let rdp_ports = if group % 2 == 0 {
        port("3389")
    } else {
        port("3380-3390")
    };
    let mut rules = vec![
        rule(
            "allow-https-internet",
            100,
            Access::Allow,
            one("Internet"),
            port("443"),
        ),
        rule(
            "allow-http-internet",
            110,
            Access::Allow,
            one("Internet"),
            port("80"),
        ),
        rule(
            "allow-ssh-corp",
            120,
            Access::Allow,
            Sources::Many(vec!["10.0.0.0/8".to_owned(), "192.168.0.0/16".to_owned()]),
            port("22"),
        ),
        rule("legacy-rdp", 300, rdp_access, one("*"), rdp_ports),
    ];
    fillers(&mut rules, 26, percent, rng);
    NsgPlan {
        name: name.to_owned(),
        rules,
    }
}

/// App and data tiers: only the vnet and a bastion range reach management ports; everything
/// else from the Internet is denied.
pub fn nsg_app(name: &str, percent: usize, rng: &mut Rng) -> NsgPlan {
    let mut rules = vec![
        rule(
            "allow-vnet-app",
            100,
            Access::Allow,
            one("VirtualNetwork"),
            ports(&["8080", "8443", "9000-9100"]),
        ),
        rule(
            "allow-ssh-bastion",
            110,
            Access::Allow,
            one("203.0.113.0/24"),
            port("22"),
        ),
        rule(
            "allow-rdp-bastion",
            120,
            Access::Allow,
            one("203.0.113.0/24"),
            port("3389"),
        ),
    ];
    fillers(&mut rules, 20, percent, rng);
    rules.push(rule(
        "deny-internet-all",
        4000,
        Access::Deny,
        one("Internet"),
        port("*"),
    ));
    NsgPlan {
        name: name.to_owned(),
        rules,
    }
}

/// Management subnet: SSH open to any source (what JIT exists to fix), WinRM open in one group
/// of four.
pub fn nsg_mgmt(name: &str, group: usize, percent: usize, rng: &mut Rng) -> NsgPlan {
    let ssh = if group % 2 == 0 {
        port("22")
    } else {
        port("20-23")
    };
    let winrm = if group % 4 == 1 {
        Access::Allow
    } else {
        Access::Deny
    };
    let mut rules = vec![
        rule("allow-ssh-any", 200, Access::Allow, one("*"), ssh),
        rule(
            "winrm-internet",
            210,
            winrm,
            one("Internet"),
            ports(&["5985", "5986"]),
        ),
    ];
    fillers(&mut rules, 16, percent, rng);
    NsgPlan {
        name: name.to_owned(),
        rules,
    }
}

/// Shared by some NICs: denies every management port from the Internet ahead of everything.
pub fn nsg_lockdown(name: &str, percent: usize, rng: &mut Rng) -> NsgPlan {
    let mut rules = vec![
        rule(
            "deny-mgmt-internet",
            100,
            Access::Deny,
            one("Internet"),
            ports(&["22", "3389", "5985-5986"]),
        ),
        rule("allow-https-any", 110, Access::Allow, one("*"), port("443")),
    ];
    fillers(&mut rules, 10, percent, rng);
    NsgPlan {
        name: name.to_owned(),
        rules,
    }
}
