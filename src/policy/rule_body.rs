//! POLICY: security rules in the REST shape a team reviews and applies
//! (`{"name", "properties": {...}}`, Azure's `SecurityRulePropertiesFormat`).
//!
//! A change's `before` is the rule as the input wrote it (read back from its declaration, so
//! an ARM expression stays an expression and nothing the model normalised is lost); its
//! `after` is that text with only the edited members changed. Only when the declaration
//! cannot be read back is a body built from the model. Pure: the declaration's text is
//! already in memory.

use serde_json::{json, Map, Value};

use crate::model::address::AddressItem;
use crate::model::ports::PortSet;
use crate::model::{Access, Decided, Direction, SecurityRule};

/// The members of `SecurityRulePropertiesFormat` a rule body keeps, in Azure's spelling.
const PROPERTY_KEYS: [&str; 14] = [
    "description",
    "protocol",
    "sourcePortRange",
    "sourcePortRanges",
    "destinationPortRange",
    "destinationPortRanges",
    "sourceAddressPrefix",
    "sourceAddressPrefixes",
    "sourceApplicationSecurityGroups",
    "destinationAddressPrefix",
    "destinationAddressPrefixes",
    "destinationApplicationSecurityGroups",
    "access",
    "priority",
];
/// Also kept: the direction (listed apart so the array above stays readable).
const DIRECTION_KEY: &str = "direction";

/// The rule's body as declared: its REST shape read back from the declaration, or built
/// from the model when the declaration cannot be read.
pub fn declared_body(rule: &SecurityRule) -> Value {
    declared_json(rule)
        .and_then(|raw| normalise(&raw, &rule.name))
        .unwrap_or_else(|| model_body(rule))
}

/// The JSON value at the rule's declaration.
fn declared_json(rule: &SecurityRule) -> Option<Value> {
    let origin = rule.origin.as_ref()?;
    let text = origin.document.text();
    let offset = origin.document.lines.pointer_offset(&text, &origin.pointer);
    let rest = text.get(offset..)?;
    let mut reader = serde_json::Deserializer::from_str(rest);
    serde::Deserialize::deserialize(&mut reader).ok()
}

/// `{"name", "properties"}` from a declaration: inline (`{name, properties}`), a child
/// resource (`{type, name: "nsg/rule", properties}`) or az CLI's flattened form (the
/// properties beside the name, any key casing). The name is the evaluated one (a template
/// may compute it); the properties stay as written.
fn normalise(raw: &Value, name: &str) -> Option<Value> {
    let object = raw.as_object()?;
    get_ci(object, "name")?;
    let name = name.rsplit('/').next().unwrap_or(name);
    let props = match get_ci(object, "properties") {
        Some(Value::Object(props)) => props,
        _ => object,
    };
    let mut out = Map::new();
    for key in PROPERTY_KEYS.iter().chain(std::iter::once(&DIRECTION_KEY)) {
        if let Some(value) = get_ci(props, key) {
            out.insert((*key).to_owned(), value.clone());
        }
    }
    if !out.contains_key("access") || !out.contains_key("priority") {
        return None;
    }
    Some(json!({ "name": name, "properties": out }))
}

fn get_ci<'m>(map: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// A body built from the model (values the input did not decide are written as the
/// reason they are unknown, so the body says what a reviewer must fill in).
fn model_body(rule: &SecurityRule) -> Value {
    let text = |d: &Decided<String>| match d {
        Decided::Known(v) => v.clone(),
        Decided::Unknown(r) => format!("(unknown: {r})"),
    };
    let protocol = match &rule.protocol {
        Decided::Known(p) if p == "*" => "*".to_owned(),
        Decided::Known(p) => capitalise(p),
        other => text(other),
    };
    let mut props = Map::new();
    props.insert("protocol".to_owned(), json!(protocol));
    insert_ports(&mut props, "source", &rule.source_ports);
    insert_ports(&mut props, "destination", &rule.destination_ports);
    insert_addresses(&mut props, "source", &rule.sources);
    insert_addresses(&mut props, "destination", &rule.destinations);
    props.insert(
        "access".to_owned(),
        match &rule.access {
            Decided::Known(Access::Allow) => json!("Allow"),
            Decided::Known(Access::Deny) => json!("Deny"),
            Decided::Unknown(r) => json!(format!("(unknown: {r})")),
        },
    );
    props.insert(
        "priority".to_owned(),
        match &rule.priority {
            Decided::Known(p) => json!(p),
            Decided::Unknown(r) => json!(format!("(unknown: {r})")),
        },
    );
    props.insert(
        DIRECTION_KEY.to_owned(),
        match &rule.direction {
            Decided::Known(Direction::Inbound) => json!("Inbound"),
            Decided::Known(Direction::Outbound) => json!("Outbound"),
            Decided::Unknown(r) => json!(format!("(unknown: {r})")),
        },
    );
    json!({ "name": &*rule.name, "properties": props })
}

fn capitalise(protocol: &str) -> String {
    let mut chars = protocol.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
    })
}

fn insert_ports(props: &mut Map<String, Value>, side: &str, ports: &Decided<PortSet>) {
    match ports {
        Decided::Known(set) => set_port_ranges(props, side, set),
        Decided::Unknown(r) => {
            props.insert(format!("{side}PortRange"), json!(format!("(unknown: {r})")));
        }
    }
}

/// Writes `set` as `<side>PortRange` (one item) or `<side>PortRanges` (several), removing the
/// other member: Azure takes one or the other.
pub fn set_port_ranges(props: &mut Map<String, Value>, side: &str, set: &PortSet) {
    let items = port_items(set);
    props.remove(&format!("{side}PortRange"));
    props.remove(&format!("{side}PortRanges"));
    match items.as_slice() {
        [one] => {
            props.insert(format!("{side}PortRange"), json!(one));
        }
        many => {
            props.insert(format!("{side}PortRanges"), json!(many));
        }
    }
}

/// Port items as Azure writes them: `*`, `22`, `20-21`.
pub fn port_items(set: &PortSet) -> Vec<String> {
    set.items()
}

fn insert_addresses(props: &mut Map<String, Value>, side: &str, items: &Decided<Vec<AddressItem>>) {
    // A NIC's address before Azure assigns it has no spelling a rule body can carry.
    let written = match items {
        Decided::Known(items)
            if !items
                .iter()
                .any(|i| matches!(i, AddressItem::IpConfigAddress(_))) =>
        {
            Some(items)
        }
        _ => None,
    };
    let Some(items) = written else {
        props.insert(format!("{side}AddressPrefix"), json!("(unknown)"));
        return;
    };
    let (asgs, prefixes): (Vec<&AddressItem>, Vec<&AddressItem>) =
        items.iter().partition(|i| matches!(i, AddressItem::Asg(_)));
    let prefixes: Vec<String> = prefixes.iter().map(|i| i.label()).collect();
    match prefixes.as_slice() {
        [] if !asgs.is_empty() => {}
        [one] => {
            props.insert(format!("{side}AddressPrefix"), json!(one));
        }
        many => {
            props.insert(format!("{side}AddressPrefixes"), json!(many));
        }
    }
    if !asgs.is_empty() {
        let ids: Vec<Value> = asgs
            .iter()
            .filter_map(|a| match a {
                AddressItem::Asg(id) => Some(json!({ "id": id })),
                _ => None,
            })
            .collect();
        props.insert(format!("{side}ApplicationSecurityGroups"), json!(ids));
    }
}

/// The body of an inbound deny rule jitscan adds.
pub fn deny_body(name: &str, priority: u32, ports: &PortSet, destination: &str) -> Value {
    let mut props = Map::new();
    props.insert(
        "description".to_owned(),
        json!("Added by jitscan: management ports closed to the Internet; just-in-time VM access opens them on request"),
    );
    props.insert("protocol".to_owned(), json!("*"));
    props.insert("sourcePortRange".to_owned(), json!("*"));
    set_port_ranges(&mut props, "destination", ports);
    props.insert("sourceAddressPrefix".to_owned(), json!("Internet"));
    props.insert("destinationAddressPrefix".to_owned(), json!(destination));
    props.insert("access".to_owned(), json!("Deny"));
    props.insert("priority".to_owned(), json!(priority));
    props.insert(DIRECTION_KEY.to_owned(), json!("Inbound"));
    json!({ "name": name, "properties": props })
}

/// A rule name Azure accepts (1-80 characters: letters, digits, `_`, `.`, `-`; starting with
/// a letter or digit, ending with a letter, digit or `_`) made from `wanted`, whose parts may
/// come from the input.
pub fn valid_rule_name(wanted: &str) -> String {
    let mut name: String = wanted
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    while name.ends_with(['.', '-']) {
        name.pop();
    }
    let name = name.trim_start_matches(['_', '.', '-']).to_owned();
    if name.is_empty() {
        "jitscan-rule".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_written_as_azure_writes_them() {
        let set = PortSet::from_ranges([(20, 21), (23, 25), (80, 80)]);
        assert_eq!(port_items(&set), vec!["20-21", "23-25", "80"]);
        let mut props = Map::new();
        props.insert("destinationPortRange".to_owned(), json!("20-25"));
        set_port_ranges(&mut props, "destination", &set);
        assert_eq!(
            Value::Object(props),
            json!({"destinationPortRanges": ["20-21", "23-25", "80"]})
        );
        let mut props = Map::new();
        set_port_ranges(&mut props, "destination", &PortSet::single(443));
        assert_eq!(Value::Object(props), json!({"destinationPortRange": "443"}));
    }

    #[test]
    fn az_cli_rules_are_read_back_in_the_rest_shape() {
        let raw = json!({"Name": "rdp", "Priority": 300, "Access": "Allow", "Direction": "Inbound",
            "Protocol": "Tcp", "SourceAddressPrefix": "*", "DestinationPortRange": "3389",
            "etag": "W/\"x\"", "provisioningState": "Succeeded"});
        assert_eq!(
            normalise(&raw, "rdp").unwrap(),
            json!({"name": "rdp", "properties": {"protocol": "Tcp", "destinationPortRange": "3389",
                "sourceAddressPrefix": "*", "access": "Allow", "priority": 300, "direction": "Inbound"}})
        );
        let child = json!({"type": "Microsoft.Network/networkSecurityGroups/securityRules",
            "name": "[concat('nsg', '/ssh')]", "properties": {"priority": 100, "access": "Allow"}});
        assert_eq!(normalise(&child, "nsg/ssh").unwrap()["name"], "ssh");
    }

    #[test]
    fn names_are_made_valid() {
        assert_eq!(
            valid_rule_name("jitscan-deny-22-vm web!"),
            "jitscan-deny-22-vm-web"
        );
        assert_eq!(valid_rule_name("..."), "jitscan-rule");
        assert_eq!(valid_rule_name(&"a".repeat(100)).len(), 80);
        assert_eq!(
            valid_rule_name("x\n::stop-commands::y"),
            "x---stop-commands--y"
        );
    }
}
