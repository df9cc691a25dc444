//! MODEL: what a JIT network access policy says, typed: the port rules of each VM it lists and
//! the access requests made under it (`properties.requests`, in exports of the live policy).
//!
//! The policy keeps its port rules as written (text) for `jitscan policy`, which writes them back
//! unchanged; [`JitPort::parse_all`] reads them typed for the rules that judge them. Values are
//! kept as the input has them; a value that is not what Azure's schema (2020-01-01) allows is
//! `None`, never a guess.

use crate::json::node::Node;

use super::access::{get_ci, items, props};
use crate::time::iso_duration_seconds;

/// Azure's limits on `maxRequestAccessDuration`: "Minimum 5 minutes, maximum 1 day".
pub const MAX_REQUEST_DURATION_LIMITS: (u64, u64) = (5 * 60, 24 * 3600);

/// One port rule of a policy's `virtualMachines[].ports`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitPort {
    /// `number`, when an integer port.
    pub number: Option<u16>,
    /// `protocol` upper-cased (`TCP`, `UDP`, `*`), when a string.
    pub protocol: Option<String>,
    /// `allowedSourceAddressPrefix`, or the `allowedSourceAddressPrefixes` list.
    pub sources: Vec<String>,
    /// `maxRequestAccessDuration` as written (ISO 8601).
    pub max_duration: Option<String>,
}

impl JitPort {
    /// Reads one port rule object.
    pub fn from_value(v: &serde_json::Value) -> Self {
        let field = |name: &str| {
            v.as_object().and_then(|o| {
                o.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            })
        };
        let number = field("number")
            .and_then(serde_json::Value::as_u64)
            .and_then(|n| u16::try_from(n).ok());
        let protocol = field("protocol")
            .and_then(serde_json::Value::as_str)
            .map(str::to_ascii_uppercase);
        let mut sources: Vec<String> = field("allowedSourceAddressPrefix")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .into_iter()
            .collect();
        if let Some(list) = field("allowedSourceAddressPrefixes").and_then(|l| l.as_array()) {
            sources.extend(list.iter().filter_map(|s| s.as_str().map(str::to_owned)));
        }
        Self {
            number,
            protocol,
            sources,
            max_duration: field("maxRequestAccessDuration")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
        }
    }

    /// Every port rule of a policy entry (see `JitPolicyVm::ports`).
    pub fn parse_all(ports: &[serde_json::Value]) -> Vec<Self> {
        ports.iter().map(Self::from_value).collect()
    }

    /// True when JIT's rules for this port cover TCP (`TCP` or `*`); `None` when the protocol
    /// is not one of the schema's values.
    pub fn covers_tcp(&self) -> Option<bool> {
        match self.protocol.as_deref() {
            Some("TCP" | "*") => Some(true),
            Some("UDP") => Some(false),
            _ => None,
        }
    }

    /// True when any requester address may be granted (`*`, or a source list holding `*`,
    /// `Internet` or `Any`).
    pub fn any_source(&self) -> bool {
        self.sources.iter().any(|s| {
            let s = s.trim();
            s == "*" || s.eq_ignore_ascii_case("internet") || s.eq_ignore_ascii_case("any")
        })
    }

    /// `maxRequestAccessDuration` in seconds, when it is an ISO 8601 duration.
    pub fn max_seconds(&self) -> Option<u64> {
        self.max_duration.as_deref().and_then(iso_duration_seconds)
    }
}

/// One access request (`properties.requests[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitRequest {
    /// `requestor`.
    pub requestor: Option<String>,
    /// `justification`.
    pub justification: Option<String>,
    /// `startTimeUtc` as written.
    pub start: Option<String>,
    /// Per VM, the ports granted.
    pub virtual_machines: Vec<JitRequestVm>,
}

/// One VM of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitRequestVm {
    /// VM id as written.
    pub id: String,
    /// Its ports.
    pub ports: Vec<JitRequestPort>,
}

/// One port of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JitRequestPort {
    /// `number`.
    pub number: Option<u16>,
    /// `allowedSourceAddressPrefix` or the `allowedSourceAddressPrefixes` list.
    pub sources: Vec<String>,
    /// `endTimeUtc` as written.
    pub end: Option<String>,
    /// `status` (`Initiated`, `Revoked`).
    pub status: Option<String>,
    /// `statusReason` (`Expired`, `UserRequested`, `NewerRequestInitiated`).
    pub status_reason: Option<String>,
    /// `mappedPort` (Azure Firewall).
    pub mapped_port: Option<u16>,
}

fn string(value: &Node, key: &str) -> Option<String> {
    get_ci(value, key).and_then(Node::as_str).map(str::to_owned)
}

fn port_number(value: &Node, key: &str) -> Option<u16> {
    get_ci(value, key)
        .and_then(Node::as_f64)
        .filter(|n| n.fract() == 0.0 && (0.0..=65_535.0).contains(n))
        .map(|n| n as u16)
}

fn sources(value: &Node) -> Vec<String> {
    let mut out: Vec<String> = string(value, "allowedSourceAddressPrefix")
        .into_iter()
        .collect();
    out.extend(
        items(value, "allowedSourceAddressPrefixes")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned)),
    );
    out
}

/// True when a policy resource lists its requests (`properties.requests` is an array).
pub fn requests_listed(value: &Node) -> bool {
    get_ci(props(value), "requests").is_some_and(|r| r.as_array().is_some())
}

/// The requests of a policy resource (`properties.requests`), entries without a VM id left out.
pub fn requests(value: &Node) -> Vec<JitRequest> {
    items(props(value), "requests")
        .iter()
        .map(|r| JitRequest {
            requestor: string(r, "requestor"),
            justification: string(r, "justification"),
            start: string(r, "startTimeUtc"),
            virtual_machines: items(r, "virtualMachines")
                .iter()
                .filter_map(|v| {
                    Some(JitRequestVm {
                        id: string(v, "id")?,
                        ports: items(v, "ports")
                            .iter()
                            .map(|p| JitRequestPort {
                                number: port_number(p, "number"),
                                sources: sources(p),
                                end: string(p, "endTimeUtc"),
                                status: string(p, "status"),
                                status_reason: string(p, "statusReason"),
                                mapped_port: port_number(p, "mappedPort"),
                            })
                            .collect(),
                    })
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_rules_read_from_the_policy() {
        let v: serde_json::Value = serde_json::json!({
            "number": 22, "protocol": "tcp", "allowedSourceAddressPrefixes": ["10.0.0.0/8", "*"],
            "maxRequestAccessDuration": "PT3H"
        });
        let p = JitPort::from_value(&v);
        assert_eq!(p.number, Some(22));
        assert_eq!(p.covers_tcp(), Some(true));
        assert!(p.any_source());
        assert_eq!(p.max_seconds(), Some(10_800));
        let udp = JitPort::from_value(&serde_json::json!({"number": 70000, "protocol": "UDP"}));
        assert_eq!(udp.number, None);
        assert_eq!(udp.covers_tcp(), Some(false));
        assert!(!udp.any_source());
        let odd = JitPort::from_value(&serde_json::json!({"number": "22", "protocol": 6}));
        assert_eq!((odd.number, odd.covers_tcp()), (None, None));
    }
}
