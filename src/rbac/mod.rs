//! RBAC: who can open a VM's management ports, from exported role assignments.
//!
//! Through JIT (an audited, time-limited request) or around it (writing an NSG rule,
//! detaching an NSG, attaching a public IP, writing a load balancer's NAT rules or a firewall's
//! DNAT rules). Reads role assignments, role definitions, PIM eligibilities and deny
//! assignments ([`read`]), indexes them by scope ([`directory`]) and judges each VM from the
//! resources on its paths ([`surface`], [`evaluate`]). Pure: no I/O; the rules of Azure it
//! follows are in docs/verdicts.md ("Who can open the ports (RBAC)").

pub mod actions;
pub mod directory;
pub mod evaluate;
pub mod read;
pub mod surface;

pub use directory::Directory;
pub use evaluate::{Grant, Route, Surface, VmAccess};
