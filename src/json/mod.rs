//! JSON: the ground floor of JSON handling, below every stage. The light tree resources are
//! read from ([`Node`]), the parallel parser of big documents ([`split`]) and the pretty
//! writer of big reports (`pretty`), each tested against serde_json, which stays the
//! reference for what a document means and how a report is laid out.

pub mod node;
pub(crate) mod pretty;
pub mod split;

pub use node::{Node, Scratch};
