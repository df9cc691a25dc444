//! BENCH SUPPORT: resources of a [`Plan`](super::Plan) as Azure's REST API returns them
//! (`id`, `type`, `etag`, nested `properties`, sub-resources with their own ids, default
//! security rules, back-references), the form the other export shapes are derived from.

use serde_json::{json, Value};

pub use super::edge::{hub, jit_policy, load_balancer};
use super::plan::{Access, HubPlan, NsgPlan, Ports, RgPlan, RulePlan, Sources, VmPlan};

pub(super) const LOCATION: &str = "westeurope";

/// Full resource id.
pub fn id(sub: &str, rg: &str, kind: &str, name: &str) -> String {
    format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/{kind}/{name}")
}

pub(super) fn rg_id(rg: &RgPlan, kind: &str, name: &str) -> String {
    id(&rg.subscription, &rg.name, kind, name)
}

/// A deterministic GUID-shaped string.
pub(super) fn guid(a: usize, b: usize) -> String {
    format!(
        "{a:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        b & 0xFFFF,
        a & 0xFFF,
        b & 0xFFF,
        a * 31 + b
    )
}

pub(super) fn etag(a: usize) -> String {
    format!("W/\"{}\"", guid(a, 0xE7))
}

pub(super) fn reference(id: &str) -> Value {
    json!({ "id": id })
}

pub(super) const NSG: &str = "Microsoft.Network/networkSecurityGroups";
pub(super) const VNET: &str = "Microsoft.Network/virtualNetworks";
pub(super) const NIC: &str = "Microsoft.Network/networkInterfaces";
pub(super) const PIP: &str = "Microsoft.Network/publicIPAddresses";
pub(super) const LB: &str = "Microsoft.Network/loadBalancers";
pub(super) const VM: &str = "Microsoft.Compute/virtualMachines";

/// The REST `properties` of an NSG rule (empty list fields included, as Azure returns them).
pub fn rule_properties(rule: &RulePlan) -> Value {
    let mut p = json!({
        "provisioningState": "Succeeded",
        "protocol": rule.protocol,
        "sourcePortRange": "*",
        "destinationAddressPrefix": "*",
        "access": if rule.access == Access::Allow { "Allow" } else { "Deny" },
        "priority": rule.priority,
        "direction": if rule.inbound { "Inbound" } else { "Outbound" },
        "sourcePortRanges": [],
        "destinationAddressPrefixes": [],
    });
    let map = p.as_object_mut().unwrap();
    match &rule.sources {
        Sources::One(s) => {
            map.insert("sourceAddressPrefix".into(), json!(s));
            map.insert("sourceAddressPrefixes".into(), json!([]));
        }
        Sources::Many(list) => {
            map.insert("sourceAddressPrefixes".into(), json!(list));
        }
    }
    match &rule.ports {
        Ports::One(s) => {
            map.insert("destinationPortRange".into(), json!(s));
            map.insert("destinationPortRanges".into(), json!([]));
        }
        Ports::Many(list) => {
            map.insert("destinationPortRanges".into(), json!(list));
        }
    }
    p
}

/// Azure's six default rules, as the REST API lists them under `defaultSecurityRules`.
fn default_rules(nsg_id: &str) -> Vec<Value> {
    let rows = [
        (
            "AllowVnetInBound",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Inbound",
        ),
        (
            "AllowAzureLoadBalancerInBound",
            "AzureLoadBalancer",
            "*",
            "Allow",
            65001,
            "Inbound",
        ),
        ("DenyAllInBound", "*", "*", "Deny", 65500, "Inbound"),
        (
            "AllowVnetOutBound",
            "VirtualNetwork",
            "VirtualNetwork",
            "Allow",
            65000,
            "Outbound",
        ),
        (
            "AllowInternetOutBound",
            "*",
            "Internet",
            "Allow",
            65001,
            "Outbound",
        ),
        ("DenyAllOutBound", "*", "*", "Deny", 65500, "Outbound"),
    ];
    rows.iter()
        .map(|(name, src, dst, access, priority, direction)| {
            json!({
                "name": name,
                "id": format!("{nsg_id}/defaultSecurityRules/{name}"),
                "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
                "properties": {
                    "provisioningState": "Succeeded",
                    "protocol": "*",
                    "sourcePortRange": "*",
                    "destinationPortRange": "*",
                    "sourceAddressPrefix": src,
                    "destinationAddressPrefix": dst,
                    "access": access,
                    "priority": priority,
                    "direction": direction,
                }
            })
        })
        .collect()
}

/// An NSG with its rules, default rules and the subnets and NICs it is attached to.
pub fn nsg(rg: &RgPlan, index: usize) -> Value {
    let plan: &NsgPlan = &rg.nsgs[index];
    let nsg_id = rg_id(rg, NSG, &plan.name);
    let rules: Vec<Value> = plan
        .rules
        .iter()
        .map(|r| {
            json!({
                "name": r.name,
                "id": format!("{nsg_id}/securityRules/{}", r.name),
                "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                "properties": rule_properties(r),
            })
        })
        .collect();
    let subnets: Vec<Value> = rg
        .subnets
        .iter()
        .filter(|s| s.nsg == Some(index))
        .map(|s| reference(&format!("{}/subnets/{}", rg_id(rg, VNET, &rg.vnet), s.name)))
        .collect();
    let nics: Vec<Value> = rg
        .vms
        .iter()
        .filter(|v| v.nic_nsg == Some(index))
        .map(|v| reference(&rg_id(rg, NIC, &v.nic)))
        .collect();
    json!({
        "name": plan.name,
        "id": nsg_id,
        "etag": etag(rg.index),
        "type": NSG,
        "location": LOCATION,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": guid(rg.index, index),
            "securityRules": rules,
            "defaultSecurityRules": default_rules(&nsg_id),
            "subnets": subnets,
            "networkInterfaces": nics,
        }
    })
}

/// The group's vnet with its subnets inline and a peering to its hub.
pub fn vnet(rg: &RgPlan, hub: &HubPlan) -> Value {
    let vnet_id = rg_id(rg, VNET, &rg.vnet);
    let subnets: Vec<Value> = rg
        .subnets
        .iter()
        .enumerate()
        .map(|(s, subnet)| {
            let mut p = json!({
                "provisioningState": "Succeeded",
                "addressPrefix": subnet.prefix,
                "ipConfigurations": rg.vms.iter().filter(|v| v.subnet == s)
                    .map(|v| reference(&format!("{}/ipConfigurations/ipconfig1", rg_id(rg, NIC, &v.nic))))
                    .collect::<Vec<_>>(),
                "delegations": [],
                "privateEndpointNetworkPolicies": "Disabled",
                "privateLinkServiceNetworkPolicies": "Enabled",
            });
            if let Some(n) = subnet.nsg {
                p["networkSecurityGroup"] = reference(&rg_id(rg, NSG, &rg.nsgs[n].name));
            }
            json!({
                "name": subnet.name,
                "id": format!("{vnet_id}/subnets/{}", subnet.name),
                "etag": etag(rg.index),
                "type": "Microsoft.Network/virtualNetworks/subnets",
                "properties": p,
            })
        })
        .collect();
    let hub_vnet = id(&hub.subscription, &hub.name, VNET, &hub.vnet);
    json!({
        "name": rg.vnet,
        "id": vnet_id,
        "etag": etag(rg.index),
        "type": VNET,
        "location": LOCATION,
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": guid(rg.index, 0x7E7),
            "addressSpace": { "addressPrefixes": [rg.vnet_prefix()] },
            "subnets": subnets,
            "virtualNetworkPeerings": [{
                "name": format!("peer-to-{}", hub.vnet),
                "id": format!("{vnet_id}/virtualNetworkPeerings/peer-to-{}", hub.vnet),
                "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                "properties": {
                    "peeringState": "Connected",
                    "remoteVirtualNetwork": reference(&hub_vnet),
                    "allowVirtualNetworkAccess": true,
                    "allowForwardedTraffic": true,
                    "useRemoteGateways": false,
                }
            }],
            "enableDdosProtection": false,
        }
    })
}

/// A VM's NIC (one ipConfiguration).
pub fn nic(rg: &RgPlan, vm: &VmPlan) -> Value {
    let nic_id = rg_id(rg, NIC, &vm.nic);
    let subnet = &rg.subnets[vm.subnet];
    let mut config = json!({
        "provisioningState": "Succeeded",
        "privateIPAddress": vm.private_ip,
        "privateIPAllocationMethod": if vm.static_ip { "Static" } else { "Dynamic" },
        "subnet": reference(&format!("{}/subnets/{}", rg_id(rg, VNET, &rg.vnet), subnet.name)),
        "primary": true,
        "privateIPAddressVersion": "IPv4",
    });
    if let Some((pip, _)) = &vm.public_ip {
        config["publicIPAddress"] = reference(&rg_id(rg, PIP, pip));
    }
    if let (Some(lb), Some(_)) = (&rg.lb, vm.nat) {
        config["loadBalancerInboundNatRules"] = json!([reference(&format!(
            "{}/inboundNatRules/nat-{}",
            rg_id(rg, LB, lb),
            vm.name
        ))]);
    }
    if let (Some(lb), true) = (&rg.lb, vm.in_pool) {
        config["loadBalancerBackendAddressPools"] = json!([reference(&format!(
            "{}/backendAddressPools/bepool-web",
            rg_id(rg, LB, lb)
        ))]);
    }
    let mut p = json!({
        "provisioningState": "Succeeded",
        "ipConfigurations": [{
            "name": "ipconfig1",
            "id": format!("{nic_id}/ipConfigurations/ipconfig1"),
            "properties": config,
        }],
        "enableAcceleratedNetworking": true,
        "primary": true,
        "virtualMachine": reference(&rg_id(rg, VM, &vm.name)),
    });
    if let Some(n) = vm.nic_nsg {
        p["networkSecurityGroup"] = reference(&rg_id(rg, NSG, &rg.nsgs[n].name));
    }
    json!({
        "name": vm.nic,
        "id": nic_id,
        "etag": etag(vm.global),
        "type": NIC,
        "location": LOCATION,
        "kind": "Regular",
        "properties": p,
    })
}

/// A public IP (Standard SKU, static) attached to `config_id`.
pub fn public_ip(
    sub: &str,
    rg: &str,
    name: &str,
    address: &str,
    config_id: &str,
    n: usize,
) -> Value {
    json!({
        "name": name,
        "id": id(sub, rg, PIP, name),
        "etag": etag(n),
        "location": LOCATION,
        "type": PIP,
        "sku": { "name": "Standard", "tier": "Regional" },
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": guid(n, 0x919),
            "ipAddress": address,
            "publicIPAddressVersion": "IPv4",
            "publicIPAllocationMethod": "Static",
            "idleTimeoutInMinutes": 4,
            "ipTags": [],
            "ipConfiguration": reference(config_id),
        }
    })
}

/// A VM's public IP, if it has one.
pub fn vm_public_ip(rg: &RgPlan, vm: &VmPlan) -> Option<Value> {
    let (name, address) = vm.public_ip.as_ref()?;
    let config = format!("{}/ipConfigurations/ipconfig1", rg_id(rg, NIC, &vm.nic));
    Some(public_ip(
        &rg.subscription,
        &rg.name,
        name,
        address,
        &config,
        vm.global,
    ))
}

/// A VM (REST `GET` without instance view).
pub fn vm(rg: &RgPlan, vm: &VmPlan) -> Value {
    let (image, os_profile) = if vm.windows {
        (
            json!({"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-azure-edition", "version": "latest"}),
            json!({"computerName": vm.name, "adminUsername": "azureadmin", "windowsConfiguration": {"provisionVMAgent": true, "enableAutomaticUpdates": true}}),
        )
    } else {
        (
            json!({"publisher": "Canonical", "offer": "0001-com-ubuntu-server-jammy", "sku": "22_04-lts-gen2", "version": "latest"}),
            json!({"computerName": vm.name, "adminUsername": "azureuser", "linuxConfiguration": {"disablePasswordAuthentication": true, "provisionVMAgent": true}}),
        )
    };
    json!({
        "name": vm.name,
        "id": rg_id(rg, VM, &vm.name),
        "type": VM,
        "location": LOCATION,
        "properties": {
            "hardwareProfile": { "vmSize": if vm.windows { "Standard_D2s_v5" } else { "Standard_B2s" } },
            "storageProfile": {
                "imageReference": image,
                "osDisk": {
                    "osType": if vm.windows { "Windows" } else { "Linux" },
                    "createOption": "FromImage",
                    "managedDisk": { "storageAccountType": "Premium_LRS" },
                },
            },
            "osProfile": os_profile,
            "networkProfile": { "networkInterfaces": [{ "id": rg_id(rg, NIC, &vm.nic), "properties": { "primary": true } }] },
            "provisioningState": "Succeeded",
        }
    })
}
