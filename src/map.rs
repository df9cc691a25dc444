//! Hash maps and sets keyed by resource ids, names and pointers.
//!
//! The standard hasher (SipHash) is built to resist hash flooding at a price paid on every
//! lookup; a big scan does millions of lookups by id (`/subscriptions/.../nic-...`, 100+
//! bytes). foldhash is several times faster on such keys and, randomly seeded per map, still
//! leaves crafted input no way to force collisions.

/// A `HashMap` with the fast seeded hasher.
pub type Map<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// A `HashSet` with the fast seeded hasher.
pub type Set<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
