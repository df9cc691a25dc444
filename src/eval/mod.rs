//! EVALUATE: for every VM and management port, the NSG verdict for an Internet source, the
//! paths in from the Internet, and whether the port is open and exposed.
//!
//! Pure: no I/O, no printing. Each VM is evaluated three times, resolving uncertain facts
//! closed, assumed-open and open ([`mode::Mode`]); comparing the three runs gives each verdict
//! its confidence. Results carry the evidence that decided them.

pub mod addresses;
pub(crate) mod admin;
pub mod coverage;
pub mod jit;
pub mod mode;
pub mod nsg;
pub mod paths;
pub mod shared;
pub mod targets;
pub mod trace;
pub mod vm;

pub use shared::SharedDecisions;
pub use vm::{evaluate_vm, evaluate_vm_with, ClassificationInput, Confidence, Judged};

use crate::model::Access;
use crate::source::Origin;

/// NSG verdict for one port, for a generic Internet source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NsgVerdict {
    /// Some present NSG denies.
    Deny,
    /// Undecidable offline.
    Unknown,
    /// No NSG on the path.
    Unfiltered,
    /// Every NSG on the path allows.
    Allow,
}

impl NsgVerdict {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deny => "deny",
            Self::Unknown => "unknown",
            Self::Unfiltered => "unfiltered",
            Self::Allow => "allow",
        }
    }
}

/// Where an NSG sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NsgLevel {
    /// On the subnet.
    Subnet,
    /// On the network interface.
    Nic,
    /// An Azure Virtual Network Manager security admin rule, on the virtual network (before
    /// any NSG).
    NetworkManager,
}

impl NsgLevel {
    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Subnet => "subnet",
            Self::Nic => "nic",
            Self::NetworkManager => "networkManager",
        }
    }
}

/// Which rule of which NSG decided, for one ipConfiguration.
#[derive(Debug, Clone)]
pub struct NsgEvidence {
    /// The ipConfiguration (`nic/ipconfig`).
    pub ip_configuration: std::sync::Arc<str>,
    /// Subnet or NIC.
    pub level: NsgLevel,
    /// NSG name (or what is missing); shared with the model.
    pub nsg: std::sync::Arc<str>,
    /// NSG id.
    pub nsg_id: std::sync::Arc<str>,
    /// Deciding rule name.
    pub rule: std::sync::Arc<str>,
    /// Its priority.
    pub priority: Option<u32>,
    /// Its access.
    pub access: Access,
    /// True when the deciding rule is one of Azure's defaults.
    pub default_rule: bool,
    /// Where the rule (or NSG) is declared.
    pub origin: Option<Origin>,
    /// Free-text note (missing resources, uncertain facts).
    pub note: Option<String>,
}

/// A specific (not Internet-wide) source allowed to a port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SpecificSource {
    /// NSG name (shared with the model).
    pub nsg: std::sync::Arc<str>,
    /// Rule name.
    pub rule: std::sync::Arc<str>,
    /// Rule priority.
    pub priority: Option<u32>,
    /// Source prefixes / tags.
    pub sources: Vec<String>,
}
