//! MODEL: Azure Virtual Network Manager (AVNM) security admin rules, the network groups they
//! apply to, and what in the input deploys (commits) them.
//!
//! Security admin rules act on whole virtual networks before any NSG. This module only reads
//! them: rules (`networkManagers/securityAdminConfigurations/ruleCollections/rules`), rule
//! collections and the groups they apply to (`appliesToGroups[].networkGroupId`), network
//! groups with their static members (`networkGroups/staticMembers`, `properties.resourceId`),
//! Azure Policy definitions that add members to a group (`addToNetworkGroup`), and what
//! commits a configuration (`networkManagers/commits`, or a `deploymentScripts` resource that
//! appears to). Every value the input does not decide stays unknown; `eval::admin` decides.

use super::super::access::{get_ci, items, last_segment, parent_key, props, string_list, text};
use super::super::address::AddressItem;
use super::super::ports::PortSet;
use super::super::types::{key, Decided, Direction};
use super::{fields, located, props_pointer, Problems};
use crate::diagnostic::ProblemCode;
use crate::json::node::Node;
use crate::map::Map;
use crate::source::Origin;
use std::sync::Arc;

/// What a security admin rule does with the traffic it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdminAccess {
    /// Blocks it; NSGs are not evaluated.
    Deny,
    /// Lets the NSGs decide.
    Allow,
    /// Delivers it; NSGs are not evaluated.
    AlwaysAllow,
}

impl AdminAccess {
    /// As Azure writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "Deny",
            Self::Allow => "Allow",
            Self::AlwaysAllow => "AlwaysAllow",
        }
    }
}

/// A source or destination of a security admin rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminAddress {
    /// `IPPrefix` or `ServiceTag`, read as an NSG reads its prefixes.
    Item(AddressItem),
    /// `NetworkGroup`: the virtual networks of a network group (its key).
    Group(String),
}

/// One security admin rule.
#[derive(Debug, Clone)]
pub struct AdminRule {
    /// Rule name.
    pub name: Arc<str>,
    /// `manager/configuration/collection`, for reports.
    pub place: Arc<str>,
    /// Resource id as written.
    pub id: Arc<str>,
    /// Key of its rule collection.
    pub collection: String,
    /// 1-4096; lower is evaluated first.
    pub priority: Decided<u32>,
    /// Access.
    pub access: Decided<AdminAccess>,
    /// Direction.
    pub direction: Decided<Direction>,
    /// Protocol, lower-case (`tcp`, `udp`, `icmp`, `esp`, `ah`, `any`).
    pub protocol: Decided<String>,
    /// Sources.
    pub sources: Decided<Vec<AdminAddress>>,
    /// Source ports.
    pub source_ports: Decided<PortSet>,
    /// Destinations.
    pub destinations: Decided<Vec<AdminAddress>>,
    /// Destination ports.
    pub destination_ports: Decided<PortSet>,
    /// Declaration.
    pub origin: Origin,
}

/// A rule collection: the groups its rules apply to.
#[derive(Debug, Clone)]
pub struct RuleCollection {
    /// Group keys (`appliesToGroups[].networkGroupId`).
    pub applies_to: Decided<Vec<String>>,
}

/// What a network group holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberType {
    /// Virtual networks (the default when `memberType` is absent).
    VirtualNetwork,
    /// Subnets.
    Subnet,
}

/// A network group, as far as the input shows it.
#[derive(Debug, Clone, Default)]
pub struct NetworkGroup {
    /// True when the group resource itself is in the input.
    pub present: bool,
    /// `memberType`, when the group is present.
    pub member_type: Option<Decided<MemberType>>,
    /// Static members (resource keys, or why one is unknown).
    pub static_members: Vec<Decided<String>>,
    /// Names of Azure Policy definitions in the input that add members to it.
    pub policies: Vec<String>,
}

/// A `networkManagers/commits` resource.
#[derive(Debug, Clone)]
pub struct Commit {
    /// Name.
    pub name: String,
    /// `commitType` (`SecurityAdmin`, `Connectivity`, `Routing`), when given.
    pub commit_type: Option<Decided<String>>,
    /// Configuration keys it deploys.
    pub configurations: Decided<Vec<String>>,
    /// Regions it deploys to, normalised (lower-case, no spaces).
    pub locations: Decided<Vec<String>>,
}

/// A `Microsoft.Resources/deploymentScripts` resource whose script mentions a commit.
#[derive(Debug, Clone)]
pub struct CommitScript {
    /// Name.
    pub name: String,
    /// Script, arguments and environment values, lower-case.
    pub text: String,
}

/// Every security admin resource of an environment.
#[derive(Debug, Clone, Default)]
pub struct SecurityAdmin {
    /// Rules, in input order.
    pub rules: Vec<AdminRule>,
    /// Rule collections by key.
    pub collections: Map<String, RuleCollection>,
    /// Network groups by key.
    pub groups: Map<String, NetworkGroup>,
    /// Commits.
    pub commits: Vec<Commit>,
    /// Deployment scripts that mention a commit.
    pub scripts: Vec<CommitScript>,
}

/// A region name as compared: lower-case, without spaces (`West Europe` = `westeurope`).
pub fn region(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase()
}

impl SecurityAdmin {
    /// True when the input holds no security admin rule (evaluation then skips this stage).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Takes in what `later` read.
    pub fn merge(&mut self, later: SecurityAdmin) {
        self.rules.extend(later.rules);
        for (k, c) in later.collections {
            self.collections.insert(k, c);
        }
        for (k, g) in later.groups {
            let mine = self.groups.entry(k).or_default();
            mine.present |= g.present;
            if g.member_type.is_some() {
                mine.member_type = g.member_type;
            }
            mine.static_members.extend(g.static_members);
            mine.policies.extend(g.policies);
        }
        self.commits.extend(later.commits);
        self.scripts.extend(later.scripts);
    }

    /// Reads one resource of a type this module knows (`t` lower-case); false for others.
    pub fn add(
        &mut self,
        t: &str,
        id: &str,
        value: &Node,
        origin: &Origin,
        problems: &mut Problems,
    ) -> bool {
        let p = props(value);
        match t {
            "microsoft.network/networkmanagers/securityadminconfigurations/rulecollections/rules" => {
                self.rules.push(rule(id, value, origin, problems));
            }
            "microsoft.network/networkmanagers/securityadminconfigurations/rulecollections" => {
                let applies_to = match get_ci(p, "appliesToGroups") {
                    Some(field) if field.unknown_reason().is_some() => {
                        Decided::Unknown(field.unknown_reason().unwrap_or_default().to_owned())
                    }
                    _ => group_ids(p),
                };
                self.collections
                    .insert(key(id), RuleCollection { applies_to });
            }
            "microsoft.network/networkmanagers/networkgroups" => {
                let group = self.groups.entry(key(id)).or_default();
                group.present = true;
                group.member_type = Some(match text(p, "memberType") {
                    None => Decided::Known(MemberType::VirtualNetwork),
                    Some(Decided::Known(m)) if m.eq_ignore_ascii_case("subnet") => {
                        Decided::Known(MemberType::Subnet)
                    }
                    Some(Decided::Known(m)) if m.eq_ignore_ascii_case("virtualnetwork") => {
                        Decided::Known(MemberType::VirtualNetwork)
                    }
                    Some(Decided::Known(m)) => Decided::Unknown(format!("memberType '{m}'")),
                    Some(Decided::Unknown(r)) => Decided::Unknown(r),
                });
            }
            "microsoft.network/networkmanagers/networkgroups/staticmembers" => {
                let member = match text(p, "resourceId") {
                    Some(Decided::Known(m)) => Decided::Known(key(&m)),
                    Some(Decided::Unknown(r)) => Decided::Unknown(r),
                    None => Decided::Unknown(format!(
                        "static member '{}' names no resourceId",
                        last_segment(id)
                    )),
                };
                let group = self.groups.entry(parent_key(id)).or_default();
                group.static_members.push(member);
            }
            "microsoft.network/networkmanagers/commits" => self.commits.push(Commit {
                name: last_segment(id).to_owned(),
                commit_type: text(p, "commitType"),
                configurations: keys_of(string_list(p, "configurationIds")),
                locations: match string_list(p, "targetLocations") {
                    Some(Decided::Known(l)) => Decided::Known(l.iter().map(|r| region(r)).collect()),
                    Some(Decided::Unknown(r)) => Decided::Unknown(r),
                    None => Decided::Known(Vec::new()),
                },
            }),
            "microsoft.resources/deploymentscripts" => {
                let text = script_text(p);
                if text.contains("commit") {
                    self.scripts.push(CommitScript {
                        name: last_segment(id).to_owned(),
                        text,
                    });
                }
            }
            "microsoft.authorization/policydefinitions" => {
                let then = get_ci(get_ci(p, "policyRule").unwrap_or(p), "then").unwrap_or(p);
                let adds = matches!(text(then, "effect"), Some(Decided::Known(e)) if e.eq_ignore_ascii_case("addToNetworkGroup"));
                let group = get_ci(then, "details").and_then(|d| text(d, "networkGroupId"));
                if let (true, Some(Decided::Known(group))) = (adds, group) {
                    let entry = self.groups.entry(key(&group)).or_default();
                    entry.policies.push(last_segment(id).to_owned());
                }
            }
            _ => return false,
        }
        true
    }
}

/// `appliesToGroups[].networkGroupId` as keys; unknown when one of them is.
fn group_ids(p: &Node) -> Decided<Vec<String>> {
    let mut out = Vec::new();
    for item in items(p, "appliesToGroups") {
        match text(item, "networkGroupId") {
            Some(Decided::Known(id)) => out.push(key(&id)),
            Some(Decided::Unknown(r)) => return Decided::Unknown(r),
            None => {
                return Decided::Unknown(
                    "an appliesToGroups entry names no networkGroupId".to_owned(),
                )
            }
        }
    }
    Decided::Known(out)
}

fn keys_of(list: Option<Decided<Vec<String>>>) -> Decided<Vec<String>> {
    match list {
        Some(Decided::Known(l)) => Decided::Known(l.iter().map(|s| key(s)).collect()),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Known(Vec::new()),
    }
}

/// What a deployment script runs with, lower-case: its inline script, its arguments and the
/// values of its environment variables (known parts only).
fn script_text(p: &Node) -> String {
    let mut out = String::new();
    for field in ["scriptContent", "arguments"] {
        if let Some(Decided::Known(s)) = text(p, field) {
            out.push_str(&s.to_ascii_lowercase());
            out.push('\n');
        }
    }
    for var in items(p, "environmentVariables") {
        if let Some(Decided::Known(s)) = text(var, "value") {
            out.push_str(&s.to_ascii_lowercase());
            out.push('\n');
        }
    }
    out
}

/// Reads one rule from `{name, properties: {...}}`.
fn rule(id: &str, value: &Node, origin: &Origin, problems: &mut Problems) -> AdminRule {
    let p = props(value);
    let name = last_segment(id).to_owned();
    let segments: Vec<&str> = id.trim_end_matches('/').rsplit('/').collect();
    // .../networkManagers/{m}/securityAdminConfigurations/{c}/ruleCollections/{rc}/rules/{r}
    let place = match (segments.get(6), segments.get(4), segments.get(2)) {
        (Some(m), Some(c), Some(rc)) => format!("{m}/{c}/{rc}"),
        _ => parent_key(id),
    };
    let enumerated = |field: &str, parse: &dyn Fn(&str) -> Option<AdminAccess>| match text(p, field)
    {
        Some(Decided::Known(s)) => parse(&s).map_or_else(
            || Decided::Unknown(format!("admin rule '{name}' has {field} '{s}'")),
            Decided::Known,
        ),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("admin rule '{name}' has no {field}")),
    };
    let access = enumerated("access", &|s| match s.to_ascii_lowercase().as_str() {
        "allow" => Some(AdminAccess::Allow),
        "deny" => Some(AdminAccess::Deny),
        "alwaysallow" => Some(AdminAccess::AlwaysAllow),
        _ => None,
    });
    let direction = match text(p, "direction") {
        Some(Decided::Known(s)) if s.eq_ignore_ascii_case("inbound") => {
            Decided::Known(Direction::Inbound)
        }
        Some(Decided::Known(s)) if s.eq_ignore_ascii_case("outbound") => {
            Decided::Known(Direction::Outbound)
        }
        Some(Decided::Known(s)) => {
            Decided::Unknown(format!("admin rule '{name}' has direction '{s}'"))
        }
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("admin rule '{name}' has no direction")),
    };
    let protocol = match text(p, "protocol") {
        Some(Decided::Known(s)) => Decided::Known(s.to_ascii_lowercase()),
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("admin rule '{name}' has no protocol")),
    };
    let ports = |plural: &str, problems: &mut Problems| {
        fields::ports(value, p, [plural, plural], &name, origin, problems)
    };
    AdminRule {
        priority: priority(p, &name),
        access,
        direction,
        protocol,
        sources: addresses(value, p, "sources", &name, origin, problems),
        source_ports: ports("sourcePortRanges", problems),
        destinations: addresses(value, p, "destinations", &name, origin, problems),
        destination_ports: ports("destinationPortRanges", problems),
        collection: parent_key(id),
        id: id.into(),
        place: place.into(),
        name: name.into(),
        origin: origin.clone(),
    }
}

/// `priority`: a whole number from 1 to 4096; anything else is unknown (never a default).
fn priority(p: &Node, name: &str) -> Decided<u32> {
    match text(p, "priority") {
        Some(Decided::Known(s)) => match s.trim().parse::<u32>() {
            Ok(n) if (1..=4096).contains(&n) => Decided::Known(n),
            _ => Decided::Unknown(format!(
                "admin rule '{name}' has priority '{s}', not 1-4096"
            )),
        },
        Some(Decided::Unknown(r)) => Decided::Unknown(r),
        None => Decided::Unknown(format!("admin rule '{name}' has no priority")),
    }
}

/// `sources` / `destinations`: `{addressPrefix, addressPrefixType}` items.
fn addresses(
    value: &Node,
    p: &Node,
    field: &str,
    rule: &str,
    origin: &Origin,
    problems: &mut Problems,
) -> Decided<Vec<AdminAddress>> {
    if let Some(reason) = get_ci(p, field).and_then(Node::unknown_reason) {
        return Decided::Unknown(reason.to_owned());
    }
    let mut out = Vec::new();
    for (i, item) in items(p, field).iter().enumerate() {
        let prefix = match text(item, "addressPrefix") {
            Some(Decided::Known(s)) => s,
            Some(Decided::Unknown(r)) => return Decided::Unknown(r),
            None => {
                return Decided::Unknown(format!(
                    "admin rule '{rule}': a {field} entry has no addressPrefix"
                ))
            }
        };
        let kind = match text(item, "addressPrefixType") {
            Some(Decided::Known(s)) => s.to_ascii_lowercase(),
            Some(Decided::Unknown(r)) => return Decided::Unknown(r),
            None => {
                return Decided::Unknown(format!(
                    "admin rule '{rule}': {field} '{prefix}' has no addressPrefixType"
                ))
            }
        };
        match kind.as_str() {
            "networkgroup" => out.push(AdminAddress::Group(key(&prefix))),
            "ipprefix" | "servicetag" => match AddressItem::parse(&prefix) {
                Ok(parsed) => out.push(AdminAddress::Item(parsed)),
                Err(message) => {
                    let at = format!("{}/{field}/{i}/addressPrefix", props_pointer(value));
                    fields::push_unique(
                        problems,
                        located(
                            &origin.child(&at),
                            ProblemCode::BadPrefix,
                            format!("admin rule '{rule}': {message}"),
                            "use a CIDR such as 203.0.113.0/24, an address, '*' or a service tag such as Internet",
                        ),
                    );
                    return Decided::Unknown(format!(
                        "admin rule '{rule}' has an invalid prefix '{prefix}'"
                    ));
                }
            },
            other => {
                return Decided::Unknown(format!(
                    "admin rule '{rule}': addressPrefixType '{other}'"
                ))
            }
        }
    }
    if out.is_empty() {
        return Decided::Unknown(format!("admin rule '{rule}' names no {field}"));
    }
    Decided::Known(out)
}
