//! ARM: what `reference()` returns for a resource the template itself declares.
//!
//! Only what the template decides is returned; runtime-only values (a dynamic private IP, any
//! property the template does not set) read as explicit unknowns.

use serde_json::{Map, Value};

use crate::arm::unknown::dynamic_private_ip;

/// What `reference()` returns for a resource declared in the template: its properties, with
/// the runtime-only values that matter here (dynamic private IPs, public IP addresses) made
/// explicit unknowns, and the object marked so other missing properties read as unknown.
pub(super) fn reference_view(resource: &Value, full: bool) -> Value {
    let id = resource
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut properties = resource
        .get("properties")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    if let Some(configs) = properties
        .get_mut("ipConfigurations")
        .and_then(Value::as_array_mut)
    {
        for config in configs {
            let name = config
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(props) = config.get_mut("properties").and_then(Value::as_object_mut) {
                if !props.contains_key("privateIPAddress") {
                    let config_id = format!("{id}/ipConfigurations/{name}");
                    props.insert(
                        "privateIPAddress".to_owned(),
                        dynamic_private_ip(&config_id),
                    );
                }
            }
        }
    }
    crate::arm::unknown::mark_runtime_state(&mut properties, id);
    if full {
        let mut whole = resource.clone();
        if let Some(map) = whole.as_object_mut() {
            map.insert("properties".to_owned(), properties);
        }
        crate::arm::unknown::mark_runtime_state(&mut whole, id);
        whole
    } else {
        properties
    }
}
