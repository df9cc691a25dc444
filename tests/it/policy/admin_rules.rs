//! `jitscan policy` on a port an Azure Virtual Network Manager AlwaysAllow security admin rule
//! opens: admin rules are evaluated before NSG rules and an AlwaysAllow rule delivers the
//! traffic without NSG evaluation ("Network security groups" overview, Security admin rules),
//! and JIT's deny rules are NSG rules. So no NSG edit or JIT policy closes the port: the plan
//! says which admin rule of which network manager opens it and what to change there, proposes
//! no edit, and stays unproven.

use jitscan::policy::remediation::{Proof, VmPlan};
use jitscan::scan::ScanOptions;

use crate::support::root;

fn plan_of(fixture: &str, vm: &str) -> VmPlan {
    let options = ScanOptions {
        paths: vec![root().join("fixtures/avnm").join(fixture)],
        ..ScanOptions::default()
    };
    let output = jitscan::policy::run(&options);
    output.plans.into_iter().find(|p| p.vm_name == vm).unwrap()
}

#[test]
fn an_always_allow_admin_rule_is_named_with_its_network_manager_and_no_nsg_edit_is_proposed() {
    // vm-rdp: NIC NSG with Azure's default rules only (DenyAllInBound would close 3389); the
    // committed AlwaysAllow rule always-allow-rdp (priority 10) of avnm-corp/sac-baseline/rc-ops
    // delivers 3389 from `*` before it.
    let plan = plan_of("always-allow-rdp-over-nsg-deny.json", "vm-rdp");
    assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    assert!(
        matches!(&plan.proof, Proof::NotProven(why) if why.contains("3389")),
        "{:?}",
        plan.proof
    );
    assert_eq!(plan.notes.len(), 1, "{:?}", plan.notes);
    let note = &plan.notes[0];
    for said in [
        "port(s) 3389 are opened by AlwaysAllow security admin rule 'always-allow-rdp' (priority 10)",
        "rule collection 'avnm-corp/sac-baseline/rc-ops'",
        "Azure Virtual Network Manager 'avnm-corp'",
        "no NSG change closes them",
        "neither does a JIT policy",
        "security admin configuration 'sac-baseline'",
        "jitscan does not propose this edit",
    ] {
        assert!(note.contains(said), "{said:?} not in {note}");
    }
    // Not an NSG rule: no "could not be edited" advice about priorities of an NSG.
    assert!(
        !note.contains("of NSG") && !note.contains("renumber"),
        "{note}"
    );
}

#[test]
fn an_admin_rule_that_may_not_apply_is_said_to_maybe_open_the_port() {
    // vm-members-unknown: the network groups' members are not in the input, so each
    // AlwaysAllow rule only may be in effect on the VM's virtual network.
    let plan = plan_of("group-members-not-in-input.json", "vm-members-unknown");
    assert!(
        matches!(plan.proof, Proof::NotProven(_)),
        "{:?}",
        plan.proof
    );
    let ssh = plan
        .notes
        .iter()
        .find(|n| n.contains("'always-allow-ssh'"))
        .unwrap();
    assert!(ssh.starts_with("port(s) 22 may be opened by"), "{ssh}");
    assert!(
        ssh.contains("where it is in effect, no NSG change"),
        "{ssh}"
    );
    assert!(
        plan.notes.iter().all(|n| !n.contains("are opened")),
        "{:?}",
        plan.notes
    );
}
