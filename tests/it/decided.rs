//! What the template decides (issue #22): VMs whose names come from parameters without a value
//! are shown and explained by their declared name, and say which parameter was left symbolic.

use crate::support::{jitscan, scan, Run};
use std::path::Path;

const GROUP_EXPORT: &str = "fixtures/decided/symbolic-names-group-export.json";
const VM: &str = "[parameters('virtualMachines_web01_name')]";

#[test]
fn a_vm_named_by_a_parameter_without_value_is_shown_by_its_declared_name() {
    let ran = scan("symbolic", &[Path::new(GROUP_EXPORT)]);
    let vms = ran.report["vms"].as_array().unwrap();
    assert_eq!(vms.len(), 1);
    let vm = &vms[0];
    assert_eq!(vm["name"], VM);
    let assumptions: Vec<&str> = vm["assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    // The VM's own name and the NIC it links to are built from parameters left symbolic.
    for parameter in [
        "virtualMachines_web01_name",
        "networkInterfaces_web01_nic_name",
    ] {
        assert!(
            assumptions
                .iter()
                .any(|a| a.contains(&format!("parameter '{parameter}'"))),
            "{parameter} not in {assumptions:?}"
        );
    }
    assert!(!ran.stdout_text().contains("(unknown:"));
}

#[test]
fn explain_finds_a_vm_by_its_declared_name() {
    let ran = jitscan().args(["explain", GROUP_EXPORT, "--vm", VM]).run();
    let out = ran.stdout_text();
    assert_eq!(ran.code, 0, "{out}{}", ran.stderr);
    assert!(out.contains(&format!("VM {VM} (")), "{out}");
    assert!(out.contains("RDP  Allow  <- matches, decides"), "{out}");
}
