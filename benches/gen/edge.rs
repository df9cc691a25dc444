//! BENCH SUPPORT: the REST form of what stands at a group's edge or above it: the Standard
//! load balancer (backend pool, HTTPS rule, inbound NAT rules to management ports), the JIT
//! policy Defender keeps per group and location, and the hub with its Azure Firewall's DNAT
//! rules. Split from `rest` only to keep files short.

use serde_json::{json, Value};

use super::plan::{HubPlan, RgPlan, VmPlan};
use super::rest::{etag, id, public_ip, reference, rg_id, LB, LOCATION, NIC, PIP, VM, VNET};

/// The group's Standard load balancer: web backend pool with an HTTPS rule, one inbound NAT
/// rule per VM that has one.
pub fn load_balancer(rg: &RgPlan) -> Option<(Value, Value)> {
    let name = rg.lb.as_ref()?;
    let lb_id = rg_id(rg, LB, name);
    let fe = format!("{lb_id}/frontendIPConfigurations/fe-public");
    let pool = format!("{lb_id}/backendAddressPools/bepool-web");
    let nic_config = |v: &VmPlan| format!("{}/ipConfigurations/ipconfig1", rg_id(rg, NIC, &v.nic));
    let nats: Vec<Value> = rg
        .vms
        .iter()
        .filter_map(|v| {
            let (front, back) = v.nat?;
            Some(json!({
                "name": format!("nat-{}", v.name),
                "id": format!("{lb_id}/inboundNatRules/nat-{}", v.name),
                "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "frontendIPConfiguration": reference(&fe),
                    "frontendPort": front, "backendPort": back, "protocol": "Tcp",
                    "enableFloatingIP": false, "idleTimeoutInMinutes": 4,
                    "backendIPConfiguration": reference(&nic_config(v)),
                }
            }))
        })
        .collect();
    let members: Vec<Value> = rg
        .vms
        .iter()
        .filter(|v| v.in_pool)
        .map(|v| reference(&nic_config(v)))
        .collect();
    let pip_name = format!("pip-{name}");
    let lb = json!({
        "name": name, "id": lb_id, "etag": etag(rg.index), "type": LB, "location": LOCATION,
        "sku": { "name": "Standard", "tier": "Regional" },
        "properties": {
            "provisioningState": "Succeeded",
            "frontendIPConfigurations": [{ "name": "fe-public", "id": fe, "properties": { "publicIPAddress": reference(&rg_id(rg, PIP, &pip_name)) } }],
            "backendAddressPools": [{ "name": "bepool-web", "id": pool, "properties": { "backendIPConfigurations": members } }],
            "loadBalancingRules": [{
                "name": "lbrule-https", "id": format!("{lb_id}/loadBalancingRules/lbrule-https"),
                "properties": { "frontendIPConfiguration": reference(&fe), "frontendPort": 443, "backendPort": 443, "protocol": "Tcp", "backendAddressPool": reference(&pool) }
            }],
            "inboundNatRules": nats,
            "inboundNatPools": [],
            "outboundRules": [],
        }
    });
    let address = format!("52.1.{}.{}", (rg.index >> 8) & 0xFF, rg.index & 0xFF);
    let pip = public_ip(
        &rg.subscription,
        &rg.name,
        &pip_name,
        &address,
        &fe,
        rg.index,
    );
    Some((lb, pip))
}

/// The group's JIT policy (Defender keeps one per resource group and location), if some VM
/// of it is covered.
pub fn jit_policy(rg: &RgPlan) -> Option<Value> {
    let vms: Vec<Value> = rg.vms.iter().filter(|v| v.jit).map(|v| {
        let ports: Vec<Value> = [22, 3389, 5985, 5986].iter().map(|p| json!({
            "number": p, "protocol": "*", "allowedSourceAddressPrefix": "*", "maxRequestAccessDuration": "PT3H"
        })).collect();
        json!({ "id": rg_id(rg, VM, &v.name).to_ascii_lowercase(), "ports": ports })
    }).collect();
    if vms.is_empty() {
        return None;
    }
    Some(json!({
        "id": id(&rg.subscription, &rg.name, "Microsoft.Security/locations", &format!("{LOCATION}/jitNetworkAccessPolicies/default")),
        "name": "default",
        "type": "Microsoft.Security/locations/jitNetworkAccessPolicies",
        "location": LOCATION,
        "kind": "Basic",
        "properties": { "virtualMachines": vms, "requests": [], "provisioningState": "Succeeded" }
    }))
}

/// A hub: its vnet (firewall subnet), the firewall with its DNAT rules, its public IP.
pub fn hub(hub: &HubPlan) -> Vec<Value> {
    let vnet_id = id(&hub.subscription, &hub.name, VNET, &hub.vnet);
    let fw_id = id(
        &hub.subscription,
        &hub.name,
        "Microsoft.Network/azureFirewalls",
        &hub.firewall,
    );
    let fw_subnet = format!("{vnet_id}/subnets/AzureFirewallSubnet");
    let vnet = json!({
        "name": hub.vnet, "id": vnet_id, "type": VNET, "location": LOCATION,
        "properties": {
            "addressSpace": { "addressPrefixes": [hub.prefix] },
            "subnets": [{ "name": "AzureFirewallSubnet", "id": fw_subnet, "properties": { "addressPrefix": hub.firewall_subnet } }],
        }
    });
    let rules: Vec<Value> = hub.dnat.iter().map(|d| json!({
        "name": d.name, "protocols": ["TCP"], "sourceAddresses": ["*"],
        "destinationAddresses": [hub.public_ip.1], "sourceIpGroups": [],
        "destinationPorts": [d.frontend_port.to_string()],
        "translatedAddress": d.translated_ip, "translatedPort": d.translated_port.to_string(),
    })).collect();
    let config = format!(
        "{fw_id}/azureFirewallIpConfigurations/ipconfig-{}",
        hub.firewall
    );
    let firewall = json!({
        "name": hub.firewall, "id": fw_id, "type": "Microsoft.Network/azureFirewalls", "location": LOCATION,
        "properties": {
            "provisioningState": "Succeeded",
            "sku": { "name": "AZFW_VNet", "tier": "Standard" },
            "threatIntelMode": "Alert",
            "ipConfigurations": [{
                "name": format!("ipconfig-{}", hub.firewall), "id": config,
                "properties": {
                    "privateIPAddress": hub.firewall_ip, "privateIPAllocationMethod": "Dynamic",
                    "publicIPAddress": reference(&id(&hub.subscription, &hub.name, PIP, &hub.public_ip.0)),
                    "subnet": reference(&fw_subnet),
                }
            }],
            "networkRuleCollections": [], "applicationRuleCollections": [],
            "natRuleCollections": [{
                "name": "dnat-inbound", "id": format!("{fw_id}/natRuleCollections/dnat-inbound"),
                "properties": { "priority": 100, "action": { "type": "Dnat" }, "rules": rules }
            }],
        }
    });
    let pip = public_ip(
        &hub.subscription,
        &hub.name,
        &hub.public_ip.0,
        &hub.public_ip.1,
        &config,
        0,
    );
    vec![vnet, firewall, pip]
}
