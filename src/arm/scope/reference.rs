//! ARM: what `reference()` returns for a resource the deployment itself declares.
//!
//! Only what the template decides is returned: the properties as declared, plus what Azure
//! derives from them deterministically (the resource's `id`, the `id` of each named child
//! object such as `subnets[i]` or `ipConfigurations[i]`, a deployment's `outputs`).
//! Runtime-only values (a dynamic private IP, any property the template does not set) read
//! as explicit unknowns.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use serde_json::{Map as JsonMap, Value};

use crate::arm::unknown::{dynamic_private_ip, mark_runtime_state, unknown};
use crate::json::Node;
use crate::map::Map;

/// The resources of one expansion by lower-case id, shared by every template scope in it (the
/// top-level template, its nested and linked deployments): a `reference()` by resource id
/// finds a resource wherever in the deployment it is declared. Names and symbolic names are
/// per scope.
#[derive(Default)]
pub(crate) struct Registry<'t> {
    by_id: RefCell<Map<String, Rc<Node<'t>>>>,
    /// `reference()` calls that found nothing (a second pass may resolve them).
    misses: Cell<usize>,
    /// Whether a parameter was left symbolic anywhere in the deployment.
    symbolic: Cell<bool>,
}

impl<'t> Registry<'t> {
    /// Makes `resource` available to `reference()` by its id.
    pub fn register(&self, id: &str, resource: &Rc<Node<'t>>) {
        self.by_id
            .borrow_mut()
            .insert(id.to_ascii_lowercase(), Rc::clone(resource));
    }

    /// The resource declared with this id (lower-cased), if any.
    pub fn get(&self, key: &str) -> Option<Rc<Node<'t>>> {
        self.by_id.borrow().get(key).cloned()
    }

    /// Counts a `reference()` that found nothing.
    pub fn miss(&self) {
        self.misses.set(self.misses.get().saturating_add(1));
    }

    /// Notes that a parameter was left symbolic.
    pub fn note_symbolic(&self) {
        self.symbolic.set(true);
    }

    /// True once a parameter was left symbolic.
    pub fn symbolic_in_use(&self) -> bool {
        self.symbolic.get()
    }

    /// How many `reference()` calls found nothing so far.
    pub fn misses(&self) -> usize {
        self.misses.get()
    }

    /// True when a resource whose id starts with `prefix` (lower case) is declared: a child
    /// resource declared on its own (`virtualNetworks/subnets` beside a virtual network).
    fn declares_under(&self, prefix: &str) -> bool {
        self.by_id
            .borrow()
            .keys()
            .any(|key| key.starts_with(prefix))
    }
}

/// Member arrays of `properties` whose named elements Azure answers with an `id` (the
/// sub-resources of network resources).
const CHILD_COLLECTIONS: &[&str] = &[
    "subnets",
    "ipConfigurations",
    "securityRules",
    "frontendIPConfigurations",
    "backendAddressPools",
    "inboundNatRules",
    "inboundNatPools",
    "loadBalancingRules",
    "outboundRules",
    "probes",
    "virtualNetworkPeerings",
];

/// What `reference()` returns for `resource`, declared in this deployment: its properties
/// (or, `full`, the whole object), with the runtime-only values that matter here (dynamic
/// private IPs) made explicit unknowns, the ids Azure derives added, and every object marked
/// so other missing properties read as unknown.
pub(super) fn reference_view(resource: &Node<'_>, full: bool, registry: &Registry<'_>) -> Value {
    let mut whole = resource.to_value();
    let id = whole
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let mut properties = match whole.as_object_mut().and_then(|m| m.remove("properties")) {
        Some(Value::Object(map)) => map,
        Some(other) => {
            // Not an object: nothing to derive from it.
            let mut value = other;
            mark_runtime_state(&mut value, &id);
            return value;
        }
        None => JsonMap::new(),
    };
    for (collection, value) in properties.iter_mut() {
        let Some(canonical) = CHILD_COLLECTIONS
            .iter()
            .find(|c| c.eq_ignore_ascii_case(collection))
        else {
            continue;
        };
        let Value::Array(items) = value else {
            continue;
        };
        let prefix = format!("{id}/{canonical}/").to_ascii_lowercase();
        if registry.declares_under(&prefix) {
            // Azure's answer lists these with the ones declared inline, in an order the
            // template does not decide.
            *value = unknown(format!(
                "'{canonical}' of {id}: some are declared as separate resources, so their order in Azure's answer is not decided"
            ));
            continue;
        }
        for item in items.iter_mut() {
            add_child_id(item, &id, canonical);
        }
    }
    let mut properties = Value::Object(properties);
    mark_runtime_state(&mut properties, &id);
    if full {
        if let Some(map) = whole.as_object_mut() {
            map.insert("properties".to_owned(), properties);
        }
        mark_runtime_state(&mut whole, &id);
        whole
    } else {
        properties
    }
}

/// Sets the `id` Azure gives a named child object (`{parent}/{collection}/{name}`) and, for
/// an IP configuration without a static address, its private IP as the dynamic unknown.
fn add_child_id(item: &mut Value, parent: &str, collection: &str) {
    let Some(map) = item.as_object_mut() else {
        return;
    };
    let Some(name) = map.get("name").and_then(Value::as_str) else {
        return;
    };
    let child_id = format!("{parent}/{collection}/{name}");
    if collection == "ipConfigurations" {
        // As the model reads a NIC: a declared address is the address.
        if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
            if !props.contains_key("privateIPAddress") {
                props.insert("privateIPAddress".to_owned(), dynamic_private_ip(&child_id));
            }
        }
    }
    if !map.contains_key("id") {
        map.insert("id".to_owned(), Value::String(child_id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arm::unknown::{dynamic_ip_config, unknown_reason};
    use serde_json::json;

    const VNET: &str =
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet";

    fn view(resource: Value, registry: &Registry<'_>) -> Value {
        reference_view(&Node::from_owned(resource), false, registry)
    }

    #[test]
    fn named_children_get_the_id_azure_gives_them() {
        let registry = Registry::default();
        let vnet = json!({"id": VNET, "name": "vnet", "properties": {"subnets": [
            {"name": "front", "properties": {"addressPrefix": "10.0.0.0/24"}},
            {"name": "back", "properties": {"addressPrefix": "10.0.1.0/24"}}
        ]}});
        let out = view(vnet, &registry);
        assert_eq!(
            out["subnets"][1]["id"],
            json!(format!("{VNET}/subnets/back"))
        );
        assert_eq!(
            out["subnets"][0]["properties"]["addressPrefix"],
            "10.0.0.0/24"
        );
    }

    #[test]
    fn children_also_declared_apart_make_the_list_undecided() {
        let registry = Registry::default();
        registry.register(
            &format!("{VNET}/subnets/extra"),
            &Rc::new(Node::from_owned(json!({}))),
        );
        let vnet =
            json!({"id": VNET, "properties": {"subnets": [{"name": "a", "properties": {}}]}});
        let out = view(vnet, &registry);
        assert!(unknown_reason(&out["subnets"]).is_some_and(|r| r.contains("separate")));
    }

    #[test]
    fn a_private_ip_not_declared_is_the_dynamic_unknown() {
        let registry = Registry::default();
        let nic =
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/nic";
        let out = view(
            json!({"id": nic, "properties": {"ipConfigurations": [
                {"name": "st", "properties": {"privateIPAllocationMethod": "Static", "privateIPAddress": "10.0.0.5"}},
                {"name": "dy", "properties": {"privateIPAllocationMethod": "Dynamic", "privateIPAddress": "10.0.0.6"}},
                {"name": "no", "properties": {}}
            ]}}),
            &registry,
        );
        let ip = |i: usize| out["ipConfigurations"][i]["properties"]["privateIPAddress"].clone();
        assert_eq!(ip(0), json!("10.0.0.5"));
        assert_eq!(ip(1), json!("10.0.0.6"));
        assert_eq!(
            dynamic_ip_config(&ip(2)),
            Some(format!("{nic}/ipConfigurations/no").as_str())
        );
    }
}
