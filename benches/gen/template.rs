//! BENCH SUPPORT: write a [`Plan`] as `az group export` templates, one per resource group.
//!
//! Like the portal's export: every resource name is a parameter with its default value
//! (`virtualMachines_vm_x_name`), references are `resourceId()` expressions over those
//! parameters, NSG rules, subnets and NAT rules appear both inline and again as child
//! resources (`.../securityRules`, `.../subnets`, `.../inboundNatRules`). Templates cannot see
//! other groups, so each group that has a DNAT target carries its own firewall in a firewall
//! subnet of its vnet. Static addresses are written; dynamic ones are left to jitscan to infer.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::plan::{RgPlan, VmPlan};
use super::{rest, Plan, Written};

const NSG: &str = "Microsoft.Network/networkSecurityGroups";
const VNET: &str = "Microsoft.Network/virtualNetworks";
const NIC: &str = "Microsoft.Network/networkInterfaces";
const PIP: &str = "Microsoft.Network/publicIPAddresses";
const LB: &str = "Microsoft.Network/loadBalancers";
const VM: &str = "Microsoft.Compute/virtualMachines";
const FW: &str = "Microsoft.Network/azureFirewalls";

/// Collects the name parameters as resources are written.
#[derive(Default)]
struct Names(Map<String, Value>);

impl Names {
    /// `[parameters('<collection>_<name>_name')]`, declaring the parameter.
    fn param(&mut self, kind: &str, name: &str) -> String {
        let collection = kind.rsplit('/').next().unwrap();
        let key = format!("{collection}_{}_name", name.replace(['-', '.'], "_"));
        self.0.insert(
            key.clone(),
            json!({ "defaultValue": name, "type": "String" }),
        );
        format!("parameters('{key}')")
    }

    /// `[resourceId('<kind>', parameters(...))]`.
    fn id(&mut self, kind: &str, name: &str) -> String {
        format!("[resourceId('{kind}', {})]", self.param(kind, name))
    }

    fn subnet_id(&mut self, vnet: &str, subnet: &str) -> String {
        format!(
            "[resourceId('{VNET}/subnets', {}, '{subnet}')]",
            self.param(VNET, vnet)
        )
    }
}

fn resource(kind: &str, name: String, depends: Vec<String>, extra: Value) -> Value {
    let mut r = json!({ "type": kind, "apiVersion": "2023-09-01", "name": name });
    if kind != "Microsoft.Security/locations/jitNetworkAccessPolicies" {
        r["location"] = json!("westeurope");
    }
    if !depends.is_empty() {
        r["dependsOn"] = json!(depends);
    }
    for (k, v) in extra.as_object().unwrap() {
        r[k] = v.clone();
    }
    r
}

fn template_rule(rule: &super::plan::RulePlan) -> Value {
    let mut p = rest::rule_properties(rule);
    p.as_object_mut().unwrap().remove("provisioningState");
    p
}

fn vm_resource(n: &mut Names, vm: &VmPlan) -> Value {
    let os = if vm.windows {
        json!({"computerName": vm.name, "adminUsername": "azureadmin", "windowsConfiguration": {"provisionVMAgent": true, "enableAutomaticUpdates": true}})
    } else {
        json!({"computerName": vm.name, "adminUsername": "azureuser", "linuxConfiguration": {"disablePasswordAuthentication": true}})
    };
    let nic = n.id(NIC, &vm.nic);
    let name = format!("[{}]", n.param(VM, &vm.name));
    resource(
        VM,
        name,
        vec![nic.clone()],
        json!({
            "properties": {
                "hardwareProfile": { "vmSize": "Standard_B2s" },
                "storageProfile": { "osDisk": { "osType": if vm.windows { "Windows" } else { "Linux" }, "createOption": "FromImage", "managedDisk": { "storageAccountType": "Premium_LRS" } } },
                "osProfile": os,
                "networkProfile": { "networkInterfaces": [{ "id": nic, "properties": { "primary": true } }] },
            }
        }),
    )
}

fn nic_resource(n: &mut Names, rg: &RgPlan, vm: &VmPlan) -> Value {
    let subnet = n.subnet_id(&rg.vnet, rg.subnets[vm.subnet].name);
    let mut depends = vec![subnet.clone()];
    let mut config = json!({ "privateIPAllocationMethod": "Dynamic", "subnet": { "id": subnet }, "primary": true });
    if vm.static_ip {
        config["privateIPAllocationMethod"] = json!("Static");
        config["privateIPAddress"] = json!(vm.private_ip);
    }
    if let Some((pip, _)) = &vm.public_ip {
        let id = n.id(PIP, pip);
        depends.push(id.clone());
        config["publicIPAddress"] = json!({ "id": id });
    }
    if let Some(lb) = &rg.lb {
        let lb_param = n.param(LB, lb);
        if vm.nat.is_some() {
            config["loadBalancerInboundNatRules"] = json!([{ "id": format!("[resourceId('{LB}/inboundNatRules', {lb_param}, 'nat-{}')]", vm.name) }]);
        }
        if vm.in_pool {
            config["loadBalancerBackendAddressPools"] = json!([{ "id": format!("[resourceId('{LB}/backendAddressPools', {lb_param}, 'bepool-web')]") }]);
        }
    }
    let mut p = json!({ "ipConfigurations": [{ "name": "ipconfig1", "properties": config }], "enableAcceleratedNetworking": true });
    if let Some(k) = vm.nic_nsg {
        let id = n.id(NSG, &rg.nsgs[k].name);
        depends.push(id.clone());
        p["networkSecurityGroup"] = json!({ "id": id });
    }
    let name = format!("[{}]", n.param(NIC, &vm.nic));
    resource(NIC, name, depends, json!({ "properties": p }))
}

fn nsg_resources(n: &mut Names, rg: &RgPlan, out: &mut Vec<Value>, children: &mut Vec<Value>) {
    for nsg in &rg.nsgs {
        let param = n.param(NSG, &nsg.name);
        // az group export lists every rule inline and again as a child resource; the last five
        // are left to the children only, so both declarations are needed to see every rule.
        let inline_count = nsg.rules.len().saturating_sub(5);
        let inline: Vec<Value> = nsg.rules[..inline_count]
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "id": format!("[resourceId('{NSG}/securityRules', {param}, '{}')]", r.name),
                    "type": format!("{NSG}/securityRules"),
                    "properties": template_rule(r),
                })
            })
            .collect();
        out.push(resource(
            NSG,
            format!("[{param}]"),
            vec![],
            json!({ "properties": { "securityRules": inline } }),
        ));
        let parent = n.id(NSG, &nsg.name);
        for r in &nsg.rules {
            children.push(resource(
                &format!("{NSG}/securityRules"),
                format!("[concat({param}, '/{}')]", r.name),
                vec![parent.clone()],
                json!({ "properties": template_rule(r) }),
            ));
        }
    }
}

fn vnet_resources(
    n: &mut Names,
    rg: &RgPlan,
    with_firewall: bool,
    out: &mut Vec<Value>,
    children: &mut Vec<Value>,
) {
    let param = n.param(VNET, &rg.vnet);
    let mut subnets: Vec<(String, Value)> = rg
        .subnets
        .iter()
        .map(|s| {
            let mut p =
                json!({ "addressPrefix": s.prefix, "privateEndpointNetworkPolicies": "Disabled" });
            if let Some(k) = s.nsg {
                p["networkSecurityGroup"] = json!({ "id": n.id(NSG, &rg.nsgs[k].name) });
            }
            (s.name.to_owned(), p)
        })
        .collect();
    if with_firewall {
        subnets.push((
            "AzureFirewallSubnet".to_owned(),
            json!({ "addressPrefix": rg.firewall_subnet_prefix() }),
        ));
    }
    let inline: Vec<Value> = subnets
        .iter()
        .map(|(name, p)| {
            json!({
                "name": name,
                "id": format!("[resourceId('{VNET}/subnets', {param}, '{name}')]"),
                "properties": p,
                "type": format!("{VNET}/subnets"),
            })
        })
        .collect();
    out.push(resource(VNET, format!("[{param}]"), vec![], json!({ "properties": { "addressSpace": { "addressPrefixes": [rg.vnet_prefix()] }, "subnets": inline } })));
    let parent = n.id(VNET, &rg.vnet);
    for (name, p) in subnets {
        children.push(resource(
            &format!("{VNET}/subnets"),
            format!("[concat({param}, '/{name}')]"),
            vec![parent.clone()],
            json!({ "properties": p }),
        ));
    }
}

fn lb_resources(n: &mut Names, rg: &RgPlan, out: &mut Vec<Value>, children: &mut Vec<Value>) {
    let Some(lb) = &rg.lb else { return };
    let param = n.param(LB, lb);
    let pip_name = format!("pip-{lb}");
    let pip = n.id(PIP, &pip_name);
    let fe =
        format!("[concat(resourceId('{LB}', {param}), '/frontendIPConfigurations/fe-public')]");
    let nats: Vec<(String, Value)> = rg
        .vms
        .iter()
        .filter_map(|v| {
            let (front, back) = v.nat?;
            let p = json!({
                "frontendIPConfiguration": { "id": fe }, "frontendPort": front, "backendPort": back,
                "protocol": "Tcp", "enableFloatingIP": false, "idleTimeoutInMinutes": 4,
            });
            Some((format!("nat-{}", v.name), p))
        })
        .collect();
    let inline: Vec<Value> = nats
        .iter()
        .map(|(name, p)| {
            json!({
                "name": name,
                "id": format!("[concat(resourceId('{LB}', {param}), '/inboundNatRules/{name}')]"),
                "properties": p,
            })
        })
        .collect();
    out.push(resource(LB, format!("[{param}]"), vec![pip.clone()], json!({
        "sku": { "name": "Standard", "tier": "Regional" },
        "properties": {
            "frontendIPConfigurations": [{ "name": "fe-public", "properties": { "publicIPAddress": { "id": pip } } }],
            "backendAddressPools": [{ "name": "bepool-web" }],
            "loadBalancingRules": [{ "name": "lbrule-https", "properties": {
                "frontendIPConfiguration": { "id": fe }, "frontendPort": 443, "backendPort": 443, "protocol": "Tcp",
                "backendAddressPool": { "id": format!("[concat(resourceId('{LB}', {param}), '/backendAddressPools/bepool-web')]") },
            } }],
            "inboundNatRules": inline,
        }
    })));
    out.push(public_ip(n, &pip_name));
    let parent = n.id(LB, lb);
    for (name, p) in nats {
        children.push(resource(
            &format!("{LB}/inboundNatRules"),
            format!("[concat({param}, '/{name}')]"),
            vec![parent.clone()],
            json!({ "properties": p }),
        ));
    }
}

fn public_ip(n: &mut Names, name: &str) -> Value {
    let param = n.param(PIP, name);
    resource(
        PIP,
        format!("[{param}]"),
        vec![],
        json!({
            "sku": { "name": "Standard", "tier": "Regional" },
            "properties": { "publicIPAddressVersion": "IPv4", "publicIPAllocationMethod": "Static", "idleTimeoutInMinutes": 4 },
        }),
    )
}

fn firewall_resources(n: &mut Names, rg: &RgPlan, out: &mut Vec<Value>) {
    let name = format!("afw-{}", rg.name);
    let pip_name = format!("pip-{name}");
    let pip = n.id(PIP, &pip_name);
    let subnet = n.subnet_id(&rg.vnet, "AzureFirewallSubnet");
    let rules: Vec<Value> = rg.vms.iter().filter(|v| v.dnat).enumerate().map(|(k, v)| json!({
        "name": format!("dnat-ssh-{}", v.name), "protocols": ["TCP"], "sourceAddresses": ["*"],
        "destinationAddresses": [format!("52.2.{}.{}", (rg.index >> 8) & 0xFF, rg.index & 0xFF)],
        "destinationPorts": [(2200 + k).to_string()], "translatedAddress": v.private_ip, "translatedPort": "22",
    })).collect();
    let param = n.param(FW, &name);
    out.push(resource(FW, format!("[{param}]"), vec![pip.clone(), subnet.clone()], json!({
        "properties": {
            "sku": { "name": "AZFW_VNet", "tier": "Standard" },
            "threatIntelMode": "Alert",
            "ipConfigurations": [{ "name": "fw-ipconfig", "properties": { "subnet": { "id": subnet }, "publicIPAddress": { "id": pip } } }],
            "natRuleCollections": [{ "name": "dnat-inbound", "properties": { "priority": 100, "action": { "type": "Dnat" }, "rules": rules } }],
            "networkRuleCollections": [], "applicationRuleCollections": [],
        }
    })));
    out.push(public_ip(n, &pip_name));
}

fn jit_resource(n: &mut Names, rg: &RgPlan) -> Option<Value> {
    let ports: Vec<Value> = [22, 3389, 5985, 5986]
        .iter()
        .map(|p| json!({ "number": p, "protocol": "*", "allowedSourceAddressPrefix": "*", "maxRequestAccessDuration": "PT3H" }))
        .collect();
    let vms: Vec<Value> = rg
        .vms
        .iter()
        .filter(|v| v.jit)
        .map(|v| {
            json!({
                "id": n.id(VM, &v.name),
                "ports": ports,
            })
        })
        .collect();
    (!vms.is_empty()).then(|| {
        resource(
            "Microsoft.Security/locations/jitNetworkAccessPolicies",
            "westeurope/default".to_owned(),
            vec![],
            json!({ "kind": "Basic", "properties": { "virtualMachines": vms } }),
        )
    })
}

/// The template of one resource group.
pub fn template(rg: &RgPlan) -> Value {
    let mut n = Names::default();
    let mut out = Vec::new();
    let mut children = Vec::new();
    let with_firewall = rg.vms.iter().any(|v| v.dnat);
    out.extend(rg.vms.iter().map(|v| vm_resource(&mut n, v)));
    if with_firewall {
        firewall_resources(&mut n, rg, &mut out);
    }
    lb_resources(&mut n, rg, &mut out, &mut children);
    nsg_resources(&mut n, rg, &mut out, &mut children);
    for v in &rg.vms {
        if let Some((pip, _)) = &v.public_ip {
            out.push(public_ip(&mut n, pip));
        }
    }
    vnet_resources(&mut n, rg, with_firewall, &mut out, &mut children);
    out.append(&mut children);
    out.extend(rg.vms.iter().map(|v| nic_resource(&mut n, rg, v)));
    out.extend(jit_resource(&mut n, rg));
    json!({
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": Value::Object(n.0),
        "variables": {},
        "resources": out,
    })
}

/// Writes one template per resource group of `plan` into `dir` (emptied first).
pub fn write(plan: &Plan, dir: &Path) -> Written {
    // A kept JITSCAN_BENCH_DIR may hold an older layout: start clean.
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    std::fs::create_dir_all(dir).unwrap();
    let mut written = Written::default();
    for rg in &plan.rgs {
        written.json(&dir.join(format!("{}.json", rg.name)), &template(rg), true);
    }
    written
}
