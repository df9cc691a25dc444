//! MODEL: address items of NSG rules and firewall rules (`*`, service tags, CIDRs, ASGs).
//!
//! Parsing is strict: a prefix that is neither a known keyword, a service tag nor a CIDR/IP is
//! an error for the caller to report. What an item *matches* is decided in `eval`.

use std::net::IpAddr;

use ipnet::IpNet;

/// One source or destination item of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AddressItem {
    /// `*`, `Any`, `0.0.0.0/0`, `::/0`: every address.
    Any,
    /// The `Internet` service tag: every address outside the virtual network.
    Internet,
    /// The `VirtualNetwork` service tag.
    VirtualNetwork,
    /// The `AzureLoadBalancer` service tag.
    AzureLoadBalancer,
    /// Another service tag (`AzureCloud`, `Storage.WestEurope`, ...), kept as written.
    OtherTag(String),
    /// An address prefix or single address.
    Prefix(IpNet),
    /// An application security group, by lower-case resource id.
    Asg(String),
    /// The private address of one ipConfiguration (its lower-case id), as `reference()` to a
    /// NIC gives it before Azure assigns it: whatever the address, it is that one's.
    IpConfigAddress(String),
}

impl AddressItem {
    /// Parses a prefix string as Azure writes it in `sourceAddressPrefix(es)`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            return Ok(Self::Any);
        }
        if t.eq_ignore_ascii_case("internet") {
            return Ok(Self::Internet);
        }
        if t.eq_ignore_ascii_case("virtualnetwork") {
            return Ok(Self::VirtualNetwork);
        }
        if t.eq_ignore_ascii_case("azureloadbalancer") {
            return Ok(Self::AzureLoadBalancer);
        }
        if let Ok(net) = t.parse::<IpNet>() {
            return Ok(if net.prefix_len() == 0 {
                Self::Any
            } else {
                Self::Prefix(net.trunc())
            });
        }
        if let Ok(ip) = t.parse::<IpAddr>() {
            return Ok(Self::Prefix(IpNet::from(ip)));
        }
        let looks_like_tag = !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-')
            && t.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        if looks_like_tag {
            return Ok(Self::OtherTag(t.to_owned()));
        }
        Err(format!(
            "'{text}' is not an address prefix (a.b.c.d/n), an address, '*' or a service tag"
        ))
    }

    /// How the item reads in reports.
    pub fn label(&self) -> String {
        match self {
            Self::Any => "*".to_owned(),
            Self::Internet => "Internet".to_owned(),
            Self::VirtualNetwork => "VirtualNetwork".to_owned(),
            Self::AzureLoadBalancer => "AzureLoadBalancer".to_owned(),
            Self::OtherTag(tag) => tag.clone(),
            Self::Prefix(net) if net.prefix_len() == net.max_prefix_len() => net.addr().to_string(),
            Self::Prefix(net) => net.to_string(),
            Self::Asg(id) => format!("asg:{}", id.rsplit('/').next().unwrap_or(id)),
            Self::IpConfigAddress(id) => format!("private IP of {}", ip_config_label(id)),
        }
    }
}

/// `nic/ipconfig` of an ipConfiguration id.
fn ip_config_label(id: &str) -> String {
    let mut parts = id.rsplit('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(config), Some(_), Some(nic)) => format!("{nic}/{config}"),
        _ => id.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internet_wide_forms() {
        for text in [
            "*",
            "Any",
            "any",
            "Internet",
            "INTERNET",
            "0.0.0.0/0",
            "::/0",
        ] {
            // Whether a list of items is the whole Internet is judged by coverage, in
            // `eval::addresses::items_cover_public`; these spellings are each one item.
            assert!(
                matches!(
                    AddressItem::parse(text).unwrap(),
                    AddressItem::Any | AddressItem::Internet
                ),
                "{text}"
            );
        }
        for text in [
            "10.0.0.0/8",
            "VirtualNetwork",
            "AzureLoadBalancer",
            "AzureCloud",
            "203.0.113.7",
        ] {
            assert!(
                !matches!(
                    AddressItem::parse(text).unwrap(),
                    AddressItem::Any | AddressItem::Internet
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_prefixes_are_errors() {
        for text in ["10.0.0.0/33", "300.1.1.1", "10.0.0.0/8 x", ""] {
            assert!(AddressItem::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn host_bits_are_truncated() {
        assert_eq!(
            AddressItem::parse("10.1.2.3/8").unwrap(),
            AddressItem::Prefix("10.0.0.0/8".parse().unwrap())
        );
    }
}
