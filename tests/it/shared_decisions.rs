//! NSG decisions shared across the VMs of an inventory (`jitscan::eval::SharedDecisions`)
//! change no result: each VM evaluated with them and without is classified the same, evidence
//! included, and an NSG whose decision could depend on the VM is not shared. Whole scans, so
//! here rather than beside the evaluation, which stays below the scan.

use std::path::PathBuf;

use jitscan::classify::classify;
use jitscan::eval::mode::Mode;
use jitscan::eval::nsg::{Destination, Flow, Source};
use jitscan::eval::{evaluate_vm, evaluate_vm_with, SharedDecisions};
use jitscan::model::address::AddressItem;
use jitscan::model::{Decided, Nsg};
use jitscan::scan::{environments, Environment, ScanOptions, DEFAULT_PORTS};

use crate::support::root;

fn environments_of(paths: Vec<PathBuf>) -> Vec<Environment> {
    environments(&ScanOptions {
        paths,
        ..ScanOptions::default()
    })
    .outputs
}

/// Every VM of every fixture (and of the shared corpus when it is beside the project):
/// the same result, evidence included, with shared decisions and without.
#[test]
fn shared_decisions_change_no_result() {
    let mut paths = vec![
        root().join("fixtures/arm"),
        root().join("fixtures/exports"),
        root().join("fixtures/linked"),
    ];
    // DNAT rules translating to a name and to an address no parameter decides: every VM
    // is a candidate of those.
    let variants = tempfile::tempdir().unwrap();
    let dnat =
        std::fs::read_to_string(root().join("fixtures/arm/firewall-dnat-to-rdp.json")).unwrap();
    for (name, translated) in [
        ("fqdn.json", "\"vm.contoso.internal\""),
        ("unknown.json", "\"[parameters('noDefault')]\""),
    ] {
        let text = dnat.replacen("\"10.0.2.4\"", translated, 1).replacen(
            "\"parameters\": {",
            "\"parameters\": {\"noDefault\": {\"type\": \"string\"},",
            1,
        );
        assert_ne!(text, dnat);
        std::fs::write(variants.path().join(name), text).unwrap();
    }
    paths.push(variants.path().to_path_buf());
    let corpus = root().join("../shared/corpus");
    if corpus.is_dir() {
        paths.push(corpus);
    } else {
        eprintln!("../shared/corpus is absent: checking the project's fixtures only");
    }
    let (mut vms, mut shared_count) = (0, 0);
    for env in &environments_of(paths) {
        let shared = SharedDecisions::new(&env.inventory, &DEFAULT_PORTS);
        shared_count += shared.len();
        for vm in &env.inventory.vms {
            let alone = classify(evaluate_vm(&env.inventory, vm, &DEFAULT_PORTS));
            let with = classify(evaluate_vm_with(
                &env.inventory,
                vm,
                &DEFAULT_PORTS,
                Some(&shared),
            ));
            assert_eq!(format!("{with:?}"), format!("{alone:?}"), "{}", vm.id);
            vms += 1;
        }
    }
    assert!(vms > 40, "fixtures hold VMs ({vms})");
    assert!(shared_count > 100, "decisions were shared ({shared_count})");
}

/// True when a rule of `nsg` names a destination prefix or application security group, so
/// that it may decide one way for one VM and another way for the next.
fn names_a_destination(nsg: &Nsg) -> bool {
    nsg.rules.iter().any(|rule| match &rule.destinations {
        Decided::Known(items) => items.iter().any(|item| {
            matches!(
                item,
                AddressItem::Prefix(_) | AddressItem::Asg(_) | AddressItem::IpConfigAddress(_)
            )
        }),
        Decided::Unknown(_) => false,
    })
}

#[test]
fn an_nsg_naming_a_destination_prefix_is_not_shared() {
    let (mut sensitive, mut independent) = (0, 0);
    for fixture in [
        "fixtures/arm/destination-cidr-vs-static-ip.json",
        "fixtures/arm/ssh-open-to-any-with-public-ip.json",
    ] {
        let envs = environments_of(vec![root().join(fixture)]);
        let inventory = &envs.first().unwrap().inventory;
        let shared = SharedDecisions::new(inventory, &DEFAULT_PORTS);
        for nsg in inventory.nsgs.values() {
            let is_sensitive = names_a_destination(nsg);
            if is_sensitive {
                sensitive += 1;
            } else {
                independent += 1;
            }
            for port in DEFAULT_PORTS {
                let flow = Flow {
                    port,
                    source: &Source::Internet,
                    destination: &Destination::Unknown(String::new()),
                    asgs: &[],
                    config: None,
                };
                for mode in Mode::ALL {
                    assert_eq!(
                        shared.get(nsg, &flow, mode).is_some(),
                        !is_sensitive,
                        "{fixture}: {} port {port} {mode:?}",
                        nsg.name
                    );
                }
            }
        }
    }
    assert!(
        sensitive > 0 && independent > 0,
        "{sensitive} {independent}"
    );
}
