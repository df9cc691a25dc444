//! Unit tests of the audit's judgements.

use super::*;

#[test]
fn broad_sources_are_any_address_or_wider_than_the_length() {
    assert!(broad("*", 8));
    assert!(broad("Internet", 8));
    // A /7 of public space holds more than a /8; a /8 does not.
    assert!(broad("2.0.0.0/7", 8));
    assert!(!broad("1.0.0.0/8", 8));
    // Private space is not public: 10.0.0.0/8 and wider private blocks count for nothing.
    assert!(!broad("10.0.0.0/7", 8));
    assert!(!broad("203.0.113.5", 8));
    assert!(!broad("not an address", 8));
}

#[test]
fn states_follow_status_then_times() {
    let (t, s, e) = (1_000, Some(500), Some(2_000));
    assert_eq!(state(Some("Initiated"), s, e, t).0, GrantState::Active);
    assert_eq!(state(Some("Revoked"), s, e, t).0, GrantState::Revoked);
    // The end itself is not inside the grant.
    assert_eq!(
        state(Some("Initiated"), s, Some(1_000), t).0,
        GrantState::Ended
    );
    assert_eq!(
        state(Some("Initiated"), Some(1_500), e, t).0,
        GrantState::NotStarted
    );
    assert_eq!(state(Some("Initiating"), s, e, t).0, GrantState::Unknown);
    assert_eq!(state(Some("Initiated"), s, None, t).0, GrantState::Unknown);
    assert_eq!(state(Some("Initiated"), None, e, t).0, GrantState::Unknown);
}
