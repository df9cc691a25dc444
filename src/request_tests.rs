//! Unit tests of the request check: the policy's port rule decides, as Defender's.

use super::*;

fn rule(number: u16, sources: &[&str], max: &str) -> JitPort {
    JitPort {
        number: Some(number),
        protocol: Some("TCP".to_owned()),
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        max_duration: Some(max.to_owned()),
    }
}

fn ask(port: u16, sources: &[&str]) -> AccessRequest {
    AccessRequest {
        vm: "vm1".to_owned(),
        port,
        sources: sources.iter().map(|s| (*s).to_owned()).collect(),
        duration: None,
        justification: None,
    }
}

#[test]
fn the_port_must_be_in_the_policy() {
    let checked = check(&[rule(22, &["*"], "PT3H")], &ask(3389, &[]), Some(3600));
    assert_eq!(checked.refusals.len(), 1);
    assert!(checked.refusals[0].contains("port 3389 is not in the policy"));
    assert!(checked.refusals[0].contains("its ports: 22"));
}

#[test]
fn a_source_must_be_a_configured_prefix_exactly() {
    let rules = [rule(22, &["10.21.254.0/24", "203.0.113.7"], "PT3H")];
    // MicrosoftDocs/azure-docs#53026: only the configured block itself is accepted.
    assert!(check(&rules, &ask(22, &["10.21.254.0/24"]), Some(60 * 60))
        .refusals
        .is_empty());
    // An address alone and its /32 are the same prefix.
    assert!(check(&rules, &ask(22, &["203.0.113.7/32"]), Some(3600))
        .refusals
        .is_empty());
    let inside = check(&rules, &ask(22, &["10.21.254.85"]), Some(3600));
    assert_eq!(inside.refusals.len(), 1, "{inside:?}");
    let junk = check(&rules, &ask(22, &["not-an-ip"]), Some(3600));
    assert!(junk.refusals[0].contains("not an IP address"));
    // `*` in the policy: any source.
    let any = [rule(22, &["*"], "PT3H")];
    assert!(check(&any, &ask(22, &["198.51.100.0/24", "*"]), Some(3600))
        .refusals
        .is_empty());
}

#[test]
fn no_source_is_the_requesters_address_undecided_offline() {
    let rules = [rule(22, &["10.0.0.0/8"], "PT3H")];
    let checked = check(&rules, &ask(22, &[]), Some(3600));
    assert!(checked.refusals.is_empty());
    assert!(checked.notes[0].contains("cannot know that address"));
    // With `*` nothing is left open.
    assert!(
        check(&[rule(22, &["*"], "PT3H")], &ask(22, &[]), Some(3600))
            .notes
            .is_empty()
    );
}

#[test]
fn the_duration_must_not_exceed_the_maximum() {
    let rules = [rule(22, &["*"], "PT3H")];
    assert!(check(&rules, &ask(22, &[]), Some(3 * 3600))
        .refusals
        .is_empty());
    let long = check(&rules, &ask(22, &[]), Some(3 * 3600 + 1));
    assert!(long.refusals[0].contains("exceeds"), "{long:?}");
    assert_eq!(check(&rules, &ask(22, &[]), None).seconds, Some(3 * 3600));
    assert_eq!(check(&rules, &ask(22, &[]), Some(0)).refusals.len(), 1);
    assert_eq!(check(&rules, &ask(22, &[]), Some(60)).notes.len(), 1);
}

#[test]
fn hostile_policy_ids_stay_one_url() {
    let url = initiate_url(
        "/subscriptions/s/resourceGroups/r g?x=1/providers/p/jitNetworkAccessPolicies/default",
    );
    assert_eq!(
        url,
        "https://management.azure.com/subscriptions/s/resourceGroups/r%20g%3Fx%3D1/providers/p/jitNetworkAccessPolicies/default/initiate?api-version=2020-01-01"
    );
}
