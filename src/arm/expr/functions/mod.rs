//! The ARM function library: one explicit registry mapping every ARM template function name
//! (case-insensitive) to its arity, how it treats unknown arguments, and its implementation.
//!
//! A name missing here is a template bug (`unknown-function`). Functions ARM defines but whose
//! result depends on deployment-time state (`listKeys`, `utcNow`, ...) or that jitscan does not
//! evaluate offline (lambdas, date and CIDR helpers) are registered too and evaluate to an
//! unknown value with the reason, never to an error. Implementations must not panic and must
//! bound what they allocate (see `Args::check_string_len` / `check_array_len`).

mod arrays;
mod deployment;
mod encoding;
mod format;
mod hashing;
mod logic;
mod numeric;
mod objects;
mod resource_ids;
mod sequences;
mod strings;
mod uri_resolve;

use serde_json::Value;

use super::args::Args;
use super::ExprError;

/// An eager function: runs on evaluated arguments.
pub(crate) type Impl = fn(&Args) -> Result<Value, ExprError>;

/// How a function treats unknown arguments before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknowns {
    /// An argument that *is* an unknown makes the result that unknown.
    Shallow,
    /// An unknown anywhere inside an argument makes the result unknown (functions that look
    /// at nested values: equality, serialization, searching).
    Deep,
    /// Unknown arguments are kept inside the result (`createArray`, `createObject`).
    Keep,
}

/// Functions that decide which of their arguments to evaluate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lazy {
    /// `if(condition, whenTrue, whenFalse)`.
    If,
    /// `and(a, b, ...)`, short-circuiting on a known false.
    And,
    /// `or(a, b, ...)`, short-circuiting on a known true.
    Or,
    /// `coalesce(a, b, ...)`: first non-null known value.
    Coalesce,
}

/// What calling the function does.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// Evaluate all arguments, apply the unknown policy, run the implementation.
    Eager(Impl, Unknowns),
    /// Evaluate arguments selectively.
    Lazy(Lazy),
    /// Evaluate arguments (so template bugs inside are still reported), then return an unknown
    /// whose reason is built from the function name.
    Unknown(fn(&str) -> String),
}

/// Arity and behaviour of one function.
#[derive(Clone, Copy)]
pub(crate) struct Spec {
    /// Fewest arguments.
    pub min: usize,
    /// Most arguments, `None` for unbounded.
    pub max: Option<usize>,
    /// Behaviour.
    pub kind: Kind,
}

/// True when `name` is an ARM function (or a user-defined `namespace.function`).
pub(crate) fn is_known(name: &str) -> bool {
    lookup(name).is_some()
}

/// The specification of the function called `name`, case-insensitively.
pub(crate) fn lookup(name: &str) -> Option<Spec> {
    crate::arm::scope::with_lowercase(name, lookup_lowercase)
}

/// [`lookup`] of a lower-case name.
fn lookup_lowercase(lower: &str) -> Option<Spec> {
    if lower.contains('.') {
        return Some(spec(0, None, Kind::Unknown(user_defined)));
    }
    if lower.starts_with("list") {
        return Some(spec(1, Some(3), Kind::Unknown(list_secret)));
    }
    core(lower)
        .or_else(|| text(lower))
        .or_else(|| collections(lower))
        .or_else(|| runtime(lower))
}

fn spec(min: usize, max: Option<usize>, kind: Kind) -> Spec {
    Spec { min, max, kind }
}

fn eager(min: usize, max: Option<usize>, f: Impl, unknowns: Unknowns) -> Option<Spec> {
    Some(spec(min, max, Kind::Eager(f, unknowns)))
}

fn lazy(min: usize, max: Option<usize>, which: Lazy) -> Option<Spec> {
    Some(spec(min, max, Kind::Lazy(which)))
}

use Unknowns::{Deep, Keep, Shallow};

/// Deployment, scope, resource id, logical, comparison and numeric functions.
fn core(name: &str) -> Option<Spec> {
    match name {
        "parameters" => eager(1, Some(1), deployment::parameters, Shallow),
        "variables" => eager(1, Some(1), deployment::variables, Shallow),
        "copyindex" => eager(0, Some(2), deployment::copy_index, Shallow),
        "reference" => eager(1, Some(3), deployment::reference, Shallow),
        "resourcegroup" => eager(0, Some(0), deployment::resource_group, Shallow),
        "subscription" => eager(0, Some(0), deployment::subscription, Shallow),
        "tenant" => eager(0, Some(0), deployment::tenant, Shallow),
        "deployment" => eager(0, Some(0), deployment::deployment, Shallow),
        "environment" => eager(0, Some(0), deployment::environment, Shallow),
        "resourceid" => eager(2, None, resource_ids::resource_id, Shallow),
        "subscriptionresourceid" => eager(2, None, resource_ids::subscription_resource_id, Shallow),
        "tenantresourceid" => eager(2, None, resource_ids::tenant_resource_id, Shallow),
        "extensionresourceid" => eager(3, None, resource_ids::extension_resource_id, Shallow),
        "managementgroupresourceid" => {
            eager(2, None, resource_ids::management_group_resource_id, Shallow)
        }
        "if" => lazy(3, Some(3), Lazy::If),
        "and" => lazy(2, None, Lazy::And),
        "or" => lazy(2, None, Lazy::Or),
        "coalesce" => lazy(1, None, Lazy::Coalesce),
        "not" => eager(1, Some(1), logic::not, Shallow),
        "bool" => eager(1, Some(1), logic::bool, Shallow),
        "true" => eager(0, Some(0), logic::true_value, Shallow),
        "false" => eager(0, Some(0), logic::false_value, Shallow),
        "equals" => eager(2, Some(2), logic::equals, Deep),
        "greater" => eager(2, Some(2), logic::greater, Shallow),
        "greaterorequals" => eager(2, Some(2), logic::greater_or_equals, Shallow),
        "less" => eager(2, Some(2), logic::less, Shallow),
        "lessorequals" => eager(2, Some(2), logic::less_or_equals, Shallow),
        "add" => eager(2, Some(2), numeric::add, Shallow),
        "sub" => eager(2, Some(2), numeric::sub, Shallow),
        "mul" => eager(2, Some(2), numeric::mul, Shallow),
        "div" => eager(2, Some(2), numeric::div, Shallow),
        "mod" => eager(2, Some(2), numeric::modulo, Shallow),
        "min" => eager(1, None, numeric::min, Deep),
        "max" => eager(1, None, numeric::max, Deep),
        "int" => eager(1, Some(1), numeric::int, Shallow),
        "float" => eager(1, Some(1), numeric::float, Shallow),
        "range" => eager(2, Some(2), numeric::range, Shallow),
        _ => None,
    }
}

/// String, encoding and hashing functions.
fn text(name: &str) -> Option<Spec> {
    match name {
        "string" => eager(1, Some(1), strings::string, Deep),
        "format" => eager(1, None, format::format, Deep),
        "split" => eager(2, Some(2), strings::split, Deep),
        "replace" => eager(3, Some(3), strings::replace, Shallow),
        "substring" => eager(1, Some(3), strings::substring, Shallow),
        "startswith" => eager(2, Some(2), strings::starts_with, Shallow),
        "endswith" => eager(2, Some(2), strings::ends_with, Shallow),
        "tolower" => eager(1, Some(1), strings::to_lower, Shallow),
        "toupper" => eager(1, Some(1), strings::to_upper, Shallow),
        "trim" => eager(1, Some(1), strings::trim, Shallow),
        "padleft" => eager(2, Some(3), strings::pad_left, Shallow),
        "join" => eager(2, Some(2), strings::join, Deep),
        "base64" => eager(1, Some(1), encoding::base64, Shallow),
        "base64tostring" => eager(1, Some(1), encoding::base64_to_string, Shallow),
        "base64tojson" => eager(1, Some(1), encoding::base64_to_json, Shallow),
        "datauri" => eager(1, Some(1), encoding::data_uri, Shallow),
        "datauritostring" => eager(1, Some(1), encoding::data_uri_to_string, Shallow),
        "uricomponent" => eager(1, Some(1), encoding::uri_component, Shallow),
        "uricomponenttostring" => eager(1, Some(1), encoding::uri_component_to_string, Shallow),
        "uri" => eager(2, Some(2), encoding::uri, Shallow),
        "uniquestring" => eager(1, None, hashing::unique_string, Shallow),
        "guid" => eager(1, None, hashing::guid, Shallow),
        _ => None,
    }
}

/// Functions on strings-or-arrays, arrays and objects.
fn collections(name: &str) -> Option<Spec> {
    match name {
        "concat" => eager(1, None, sequences::concat, Shallow),
        "length" => eager(1, Some(1), sequences::length, Shallow),
        "empty" => eager(1, Some(1), sequences::empty, Shallow),
        "contains" => eager(2, Some(2), sequences::contains, Shallow),
        "first" => eager(1, Some(1), sequences::first, Shallow),
        "last" => eager(1, Some(1), sequences::last, Shallow),
        "take" => eager(2, Some(2), sequences::take, Shallow),
        "skip" => eager(2, Some(2), sequences::skip, Shallow),
        "indexof" => eager(2, Some(2), sequences::index_of, Deep),
        "lastindexof" => eager(2, Some(2), sequences::last_index_of, Deep),
        "array" => eager(1, Some(1), arrays::array, Shallow),
        "createarray" => eager(0, None, arrays::create_array, Keep),
        "union" => eager(2, None, arrays::union, Shallow),
        "intersection" => eager(2, None, arrays::intersection, Deep),
        "flatten" => eager(1, Some(1), arrays::flatten, Shallow),
        "createobject" => eager(0, None, objects::create_object, Keep),
        "items" => eager(1, Some(1), objects::items, Shallow),
        "objectkeys" => eager(1, Some(1), objects::object_keys, Shallow),
        "shallowmerge" => eager(1, Some(1), objects::shallow_merge, Shallow),
        "tryget" => eager(2, None, objects::try_get, Shallow),
        "json" => eager(1, Some(1), objects::json, Shallow),
        "null" => eager(0, Some(0), objects::null, Shallow),
        _ => None,
    }
}

/// Functions ARM defines whose value is only known at deployment time, or that jitscan does
/// not evaluate offline.
fn runtime(name: &str) -> Option<Spec> {
    let unknown = |min, max, reason| Some(spec(min, max, Kind::Unknown(reason)));
    match name {
        "utcnow" => unknown(0, Some(1), deployment_time),
        "newguid" => unknown(0, Some(0), random_value),
        "pickzones" => unknown(3, Some(5), deployment_time),
        "providers" => unknown(1, Some(2), deployment_time),
        "references" => unknown(1, Some(2), deployment_time),
        "managementgroup" => unknown(0, Some(1), deployment_time),
        "deployer" => unknown(0, Some(0), deployment_time),
        "datetimeadd" => unknown(2, Some(3), not_evaluated),
        "datetimefromepoch" => unknown(1, Some(1), not_evaluated),
        "datetimetoepoch" => unknown(1, Some(1), not_evaluated),
        "filter" | "map" | "sort" | "groupby" | "mapvalues" => unknown(2, Some(2), not_evaluated),
        "reduce" => unknown(3, Some(3), not_evaluated),
        "toobject" => unknown(2, Some(3), not_evaluated),
        "lambda" => unknown(1, None, not_evaluated),
        "lambdavariables" => unknown(1, Some(1), not_evaluated),
        "parsecidr" => unknown(1, Some(1), not_evaluated),
        "cidrsubnet" => unknown(3, Some(3), not_evaluated),
        "cidrhost" => unknown(2, Some(2), not_evaluated),
        "indexfromend" | "tryindexfromend" => unknown(2, Some(2), not_evaluated),
        _ => None,
    }
}

fn list_secret(name: &str) -> String {
    format!("{name}() returns secrets only available at deployment time")
}

fn deployment_time(name: &str) -> String {
    if name.eq_ignore_ascii_case("utcnow") {
        return "utcNow() depends on deployment time".to_owned();
    }
    format!("{name}() depends on the state of Azure at deployment time")
}

fn random_value(name: &str) -> String {
    format!("{name}() returns a new random value at every deployment")
}

fn not_evaluated(name: &str) -> String {
    format!("function '{name}' is not evaluated offline")
}

fn user_defined(name: &str) -> String {
    format!("user-defined function '{name}' is not evaluated offline")
}

#[cfg(test)]
mod tests {
    use super::{is_known, lookup, Kind};

    #[test]
    fn names_are_found_in_any_case_and_any_length() {
        for name in [
            "resourceId",
            "RESOURCEID",
            "rEsOuRcEiD",
            "concat",
            "listKeys",
            "ListSecrets",
        ] {
            assert!(is_known(name), "{name}");
        }
        for name in ["", "resourceIds", "ré", "notAFunction"] {
            assert!(!is_known(name), "{name}");
        }
        // Longer than the lower-casing buffer: still looked up, by its lower-case form.
        let long_list = format!("list{}", "X".repeat(80));
        assert!(matches!(
            lookup(&long_list).map(|s| s.kind),
            Some(Kind::Unknown(_))
        ));
        let long_user = format!("{}.Fn", "Ns".repeat(40));
        assert!(matches!(
            lookup(&long_user).map(|s| s.kind),
            Some(Kind::Unknown(_))
        ));
        assert!(!is_known(&"a".repeat(100)));
    }
}
