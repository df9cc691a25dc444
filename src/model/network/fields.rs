//! MODEL: strict parsing of the fields of an NSG security rule that decide verdicts
//! (priority, address prefixes, port ranges).
//!
//! A value that does not parse is a diagnostic located at the property itself (the element of
//! a list, when it is one), and the field becomes unknown rather than guessed. The same
//! problem met again at the same place (every instance of a copy loop) is kept once.

use crate::json::node::Node;
use ipnet::IpNet;

use super::super::access::{decided_text, string_list};
use super::super::address::AddressItem;
use super::super::ports::PortSet;
use super::super::types::Decided;
use super::{located, props_pointer, Problems};
use crate::diagnostic::{InputProblem, ProblemCode};
use crate::source::Origin;

/// How far back [`push_unique`] looks for the same problem.
const RECENT_PROBLEMS: usize = 256;

/// The lowest and highest priority of a custom rule.
const PRIORITY_RANGE: std::ops::RangeInclusive<i128> = 100..=4096;

/// Records `problem` unless one of the recent problems has the same file, place and code.
pub fn push_unique(problems: &mut Problems, problem: InputProblem) {
    let place = |p: &InputProblem| (p.path.clone(), p.span.as_ref().map(|s| s.offset), p.code);
    let this = place(&problem);
    if problems
        .iter()
        .rev()
        .take(RECENT_PROBLEMS)
        .any(|p| place(p) == this)
    {
        return;
    }
    problems.push(problem);
}

/// The key of `field` in `p` as written (case-insensitive lookup) and its value.
fn field<'a>(p: &'a Node<'a>, name: &str) -> Option<(&'a str, &'a Node<'a>)> {
    crate::model::access::entry_ci(p, name)
}

/// The origin of a property of the rule whose (resource-level) value is `rule`.
fn at(origin: &Origin, rule: &Node, suffix: &str) -> Origin {
    origin.child(&format!("{}{suffix}", props_pointer(rule)))
}

/// `priority`: a whole number; custom rules 100-4096 (out of range: warned, still used when
/// it fits a u32; otherwise unknown).
pub fn priority(
    rule_value: &Node,
    p: &Node,
    name: &str,
    origin: &Origin,
    is_default: bool,
    problems: &mut Problems,
) -> Decided<u32> {
    let Some((key, raw)) = field(p, "priority") else {
        return Decided::Unknown(format!("rule '{name}' has no priority"));
    };
    let text = match decided_text(raw) {
        Some(Decided::Known(s)) => s,
        Some(Decided::Unknown(r)) => return Decided::Unknown(r),
        None => return Decided::Unknown(format!("rule '{name}' has no priority")),
    };
    let parsed = text.trim().parse::<i128>().ok().or_else(|| {
        let f = text.trim().parse::<f64>().ok()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 1e30).then_some(f as i128)
    });
    let mut report = |message: String| {
        push_unique(
            problems,
            located(
                &at(origin, rule_value, &Place::Field(key).suffix()),
                ProblemCode::BadPriority,
                message,
                "use a whole number from 100 (evaluated first) to 4096",
            ),
        );
    };
    match parsed {
        Some(n) if is_default || PRIORITY_RANGE.contains(&n) => match u32::try_from(n) {
            Ok(n) => Decided::Known(n),
            Err(_) => Decided::Unknown(format!("rule '{name}' has priority {n}")),
        },
        Some(n) => {
            report(format!("rule '{name}' has priority {n}, outside 100-4096"));
            match u32::try_from(n) {
                Ok(n) => Decided::Known(n),
                Err(_) => {
                    Decided::Unknown(format!("rule '{name}' has priority {n}, outside 100-4096"))
                }
            }
        }
        None => {
            report(format!(
                "rule '{name}' has priority '{text}', which is not a whole number"
            ));
            Decided::Unknown(format!("priority '{text}' is not a number"))
        }
    }
}

/// Where a text of a rule field sits, below the rule's properties: the pointer suffix is
/// built only for a problem.
#[derive(Debug, Clone, Copy)]
enum Place<'a> {
    /// The field itself (its key as written).
    Field(&'a str),
    /// An element of the field's list.
    Element(&'a str, usize),
}

impl Place<'_> {
    /// `/key` or `/key/index`.
    fn suffix(self) -> String {
        match self {
            Place::Field(key) => crate::source::child_pointer("", key),
            Place::Element(key, index) => {
                crate::source::index_pointer(&crate::source::child_pointer("", key), index)
            }
        }
    }
}

/// The texts of a single field and its plural list, each with its place. A NIC's dynamic
/// private IP (`reference()` to it) reads as [`DYNAMIC_IP`] followed by the ipConfiguration id.
fn texts<'a>(p: &'a Node<'a>, names: [&str; 2]) -> Result<Vec<(String, Place<'a>)>, String> {
    let mut out = Vec::new();
    for name in names {
        let Some((key, raw)) = field(p, name) else {
            continue;
        };
        if let Some(config) = raw.dynamic_ip_config() {
            out.push((format!("{DYNAMIC_IP}{config}"), Place::Field(key)));
            continue;
        }
        match raw {
            Node::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(config) = item.dynamic_ip_config() {
                        out.push((format!("{DYNAMIC_IP}{config}"), Place::Element(key, i)));
                        continue;
                    }
                    match decided_text(item) {
                        Some(Decided::Known(s)) => out.push((s, Place::Element(key, i))),
                        Some(Decided::Unknown(r)) => return Err(format!("{name}: {r}")),
                        None => {}
                    }
                }
            }
            Node::String(s) if s.is_empty() => {}
            other => match decided_text(other) {
                Some(Decided::Known(s)) => out.push((s, Place::Field(key))),
                Some(Decided::Unknown(r)) => return Err(format!("{name}: {r}")),
                None => {}
            },
        }
    }
    Ok(out)
}

/// Marks, in [`texts`], a NIC's dynamic private IP (a NUL never comes from a valid field).
const DYNAMIC_IP: &str = "\u{0}dynamic-ip:";

/// Source or destination items: prefixes, service tags and application security groups.
pub fn addresses(
    rule_value: &Node,
    p: &Node,
    fields: [&str; 3],
    rule: &str,
    origin: &Origin,
    problems: &mut Problems,
) -> Decided<Vec<AddressItem>> {
    let [single, plural, asgs] = fields;
    let texts = match texts(p, [single, plural]) {
        Ok(texts) => texts,
        Err(reason) => return Decided::Unknown(format!("rule '{rule}': {reason}")),
    };
    let mut out = Vec::with_capacity(texts.len());
    for (t, place) in &texts {
        if let Some(config) = t.strip_prefix(DYNAMIC_IP) {
            out.push(AddressItem::IpConfigAddress(config.to_ascii_lowercase()));
            continue;
        }
        match AddressItem::parse(t) {
            Ok(item) => out.push(item),
            Err(message) => {
                push_unique(
                    problems,
                    located(
                        &at(origin, rule_value, &place.suffix()),
                        ProblemCode::BadPrefix,
                        format!("rule '{rule}': {message}"),
                        "use a CIDR such as 203.0.113.0/24, an address, '*' or a service tag such as Internet",
                    ),
                );
                return Decided::Unknown(format!("rule '{rule}' has an invalid prefix '{t}'"));
            }
        }
    }
    out.extend(
        super::super::access::reference_keys(p, asgs)
            .into_iter()
            .map(AddressItem::Asg),
    );
    if out.is_empty() {
        return Decided::Unknown(format!("rule '{rule}' names no {single}"));
    }
    Decided::Known(out)
}

/// Source or destination ports.
pub fn ports(
    rule_value: &Node,
    p: &Node,
    fields: [&str; 2],
    rule: &str,
    origin: &Origin,
    problems: &mut Problems,
) -> Decided<PortSet> {
    let [single, _] = fields;
    let texts = match texts(p, fields) {
        Ok(texts) => texts,
        Err(reason) => return Decided::Unknown(format!("rule '{rule}': {reason}")),
    };
    if texts.is_empty() {
        return Decided::Unknown(format!("rule '{rule}' names no {single}"));
    }
    // The list parses when each text does; only a list that does not is parsed text by text,
    // to report the first text that fails where it is.
    let combined = match PortSet::parse_list(texts.iter().map(|(t, _)| t.as_str())) {
        Ok(set) => return Decided::Known(set),
        Err(err) => err,
    };
    for (t, place) in &texts {
        if let Err(err) = PortSet::parse_list(std::iter::once(t.as_str())) {
            push_unique(
                problems,
                located(
                    &at(origin, rule_value, &place.suffix()),
                    ProblemCode::BadPortRange,
                    format!("rule '{rule}': port '{}' {}", err.text, err.reason),
                    "write a port (22), a range (20-25), a list, or '*'",
                ),
            );
            return Decided::Unknown(format!("rule '{rule}' has an invalid port '{}'", err.text));
        }
    }
    Decided::Unknown(format!(
        "rule '{rule}' has an invalid port '{}'",
        combined.text
    ))
}

/// The address prefixes of a subnet; one that is not a CIDR Azure accepts for a subnet is a
/// diagnostic at its place and left out.
pub fn subnet_prefixes(
    value: &Node,
    p: &Node,
    name: &str,
    origin: &Origin,
    problems: &mut Problems,
) -> Vec<IpNet> {
    let mut prefixes = Vec::new();
    for field in ["addressPrefix", "addressPrefixes"] {
        if let Some(Decided::Known(list)) = string_list(p, field) {
            for (i, t) in list.iter().enumerate() {
                match t.trim().parse::<IpNet>() {
                    Ok(net) if fits_a_subnet(&net) => prefixes.push(net.trunc()),
                    _ => {
                        let at = if field.ends_with('s') {
                            format!("{}/{field}/{i}", props_pointer(value))
                        } else {
                            format!("{}/{field}", props_pointer(value))
                        };
                        push_unique(
                            problems,
                            located(
                                &origin.child(&at),
                                ProblemCode::BadPrefix,
                                format!("subnet '{name}' has an invalid address prefix '{t}'"),
                                "use a CIDR such as 10.0.1.0/24 (an Azure subnet is at most a /2)",
                            ),
                        );
                    }
                }
            }
        }
    }
    prefixes
}

/// Azure subnets are at most /2 (IPv4); a shorter prefix is not a subnet Azure creates, and
/// address arithmetic on it would overflow.
fn fits_a_subnet(net: &IpNet) -> bool {
    match net {
        IpNet::V4(v4) => v4.prefix_len() >= 2,
        IpNet::V6(_) => true,
    }
}
