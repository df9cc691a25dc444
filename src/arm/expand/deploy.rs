//! ARM: nested deployments (inline templates, inner or outer expression scope) and linked
//! templates resolved to local files.
//!
//! A deployment chain is followed at most [`MAX_DEPLOYMENT_DEPTH`] levels deep, so a template
//! that links itself ends with one diagnostic, not a hang. A linked file is read once per
//! expansion however many loop iterations link it, through the loader's bounded read (never a
//! FIFO, never beyond the size limit), only as a relative path (an absolute `relativePath`
//! or a `uri` with `..` segments is not followed), and only when the file it resolves to,
//! links and `..` included, lies inside the scan roots: `../modules/vm.json` works within
//! a scanned folder, `../../../secret.json` out of it does not, and the message does not tell
//! whether such a file exists.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value;

use super::{Expander, Place};
use crate::arm::context::DeploymentContext;
use crate::arm::expr::Scope as _;
use crate::arm::parameters;
use crate::arm::scope::TemplateScope;
use crate::arm::unknown::unknown_reason;
use crate::diagnostic::ProblemCode;
use crate::json::Node;
use crate::load::{self, Roots};

/// Deepest chain of nested/linked deployments followed.
const MAX_DEPLOYMENT_DEPTH: usize = 16;

impl<'t> Expander<'t> {
    /// Expands the template a deployment resource deploys: `decl` as declared, `evaluated`
    /// as evaluated. Gives back the deployment's outputs when the template is in the input
    /// and declares some.
    pub(super) fn expand_deployment(
        &mut self,
        scope: &TemplateScope<'_, 't>,
        decl: &Node<'t>,
        evaluated: &Node<'t>,
        place: &Place<'_>,
        depth: usize,
    ) -> Option<Node<'t>> {
        if depth >= MAX_DEPLOYMENT_DEPTH {
            self.problem_once(
                "deployment depth",
                place.doc,
                &place.pointer,
                format!("nested deployments deeper than {MAX_DEPLOYMENT_DEPTH} levels were not followed; the resources they deploy are not scanned"),
            );
            return None;
        }
        let props = decl.get("properties");
        let inner = props
            .and_then(|p| p.get("expressionEvaluationOptions"))
            .and_then(|o| o.get("scope"))
            .and_then(Node::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("inner"));
        let params = evaluated
            .get("properties")
            .and_then(|p| p.get("parameters"))
            .map(|p| parameters::values(&p.to_value()))
            .unwrap_or_default();
        let mut ctx = scope.context().clone();
        if let Some(rg) = evaluated.get("resourceGroup").and_then(Node::as_str) {
            ctx.resource_group = rg.to_owned();
        }
        if let Some(template) = props.and_then(|p| p.get("template")) {
            let base = format!("{}/properties/template", place.pointer);
            return if inner {
                let inner_scope = self.scope(template, &base, params, ctx);
                self.expand_template_body(&inner_scope, template, place.doc, &base, depth + 1);
                self.collect(&inner_scope, place.doc);
                inner_scope.evaluate_outputs(template)
            } else {
                // Outer scope: the parent's parameters and variables; Azure does not let
                // its outputs reference() what the nested template deploys, and this scope
                // would not tell the two apart.
                self.expand_template_body(scope, template, place.doc, &base, depth + 1);
                scope.evaluate_outputs(template)
            };
        }
        let link = evaluated
            .get("properties")
            .and_then(|p| p.get("templateLink"))?;
        self.expand_linked(&link.to_value(), params, ctx, place, depth)
    }

    fn expand_linked(
        &mut self,
        link: &Value,
        params: HashMap<String, Value>,
        ctx: DeploymentContext,
        place: &Place<'_>,
        depth: usize,
    ) -> Option<Node<'t>> {
        let link_pointer = format!("{}/properties/templateLink", place.pointer);
        let base_dir = place.doc.path.parent().unwrap_or(Path::new("."));
        let Some((path, real)) = resolve_link(base_dir, link, &self.roots) else {
            let what = link
                .get("uri")
                .or_else(|| link.get("relativePath"))
                .map(|v| {
                    unknown_reason(v).map_or_else(|| v.to_string(), |r| format!("unknown ({r})"))
                })
                .unwrap_or_else(|| "with no uri".to_owned());
            let why = if link.get("relativePath").is_some() {
                "is not a file inside the scanned paths (scan the folder that holds the \
                 template and the templates it links)"
            } else {
                "is not available offline"
            };
            self.problem(
                place.doc,
                &link_pointer,
                ProblemCode::LinkedTemplate,
                format!("linked template {what} {why}: the resources it deploys are not scanned"),
            );
            return None;
        };
        let display = load::display_path(&path);
        let roots = &self.roots;
        let loaded = self
            .linked
            .entry(path.clone())
            .or_insert_with(|| {
                load::read_confined(&path, &display, roots)
                    .and_then(|bytes| load::parse_document(&path, &display, bytes))
                    .map(|mut doc| {
                        let tree = Node::from_owned(std::mem::take(&mut doc.json));
                        (Arc::new(doc), Rc::new(tree))
                    })
                    .map_err(|p| p.message)
            })
            .clone();
        match loaded {
            Ok((doc, tree)) => {
                let tree: &Node<'t> = &tree;
                let linked_scope = self.scope(tree, "", params, ctx);
                if !self.out.linked_files.contains(&real) {
                    self.out.linked_files.push(real);
                }
                self.expand_template_body(&linked_scope, tree, &doc, "", depth + 1);
                self.collect(&linked_scope, &doc);
                linked_scope.evaluate_outputs(tree)
            }
            Err(reason) => {
                self.problem(
                    place.doc,
                    &link_pointer,
                    ProblemCode::LinkedTemplate,
                    format!("linked template {display} could not be read ({reason}); the resources it deploys are not scanned"),
                );
                None
            }
        }
    }
}

/// A local file for a `templateLink`: its `relativePath`, or the tail of its `uri` found
/// beside the current file; the path to open and show (`..` taken out as written, so it
/// names the file as the walk of the folder does) and where it really is. Absolute paths,
/// `..` in a uri, and any file that is not inside `roots` are not followed.
fn resolve_link(base_dir: &Path, link: &Value, roots: &Roots) -> Option<(PathBuf, PathBuf)> {
    if let Some(rel) = link.get("relativePath").and_then(Value::as_str) {
        let rel = Path::new(rel);
        let relative = rel.components().all(|c| {
            matches!(
                c,
                Component::Normal(_) | Component::CurDir | Component::ParentDir
            )
        });
        if !relative {
            return None;
        }
        let path = lexically_normal(&base_dir.join(rel));
        let real = roots.admit(&path).filter(|real| real.is_file())?;
        return Some((path, real));
    }
    let uri = link.get("uri").and_then(Value::as_str)?;
    let without_query = uri.split(['?', '#']).next().unwrap_or(uri);
    let segments: Vec<&str> = without_query
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    (1..=segments.len().min(4)).rev().find_map(|k| {
        let tail = segments.get(segments.len() - k..)?;
        if tail.iter().any(|s| s.contains(['\\', ':'])) {
            return None;
        }
        let path = tail.iter().fold(base_dir.to_path_buf(), |p, s| p.join(s));
        let real = roots.admit(&path).filter(|real| real.is_file())?;
        Some((path, real))
    })
}

/// `path` with `.` dropped and each `..` taking out the component before it, as written
/// (links are judged separately, on the real path). A leading `..` stays.
fn lexically_normal(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absolute_and_escaping_links_are_not_followed() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR"));
        let roots = Roots::new(&[base.to_path_buf()]);
        let link = |v: Value| resolve_link(base, &v, &roots);
        assert!(link(json!({"relativePath": "/etc/passwd"})).is_none());
        assert!(link(json!({"uri": "https://x/../../etc/passwd"})).is_none());
        assert!(link(json!({"relativePath": "Cargo.toml"})).is_some());
        assert!(link(json!({"uri": "https://x/y/Cargo.toml?sas=1"})).is_some());
        // Inside the root through `..`: followed, shown without the `..`.
        let inner = base.join("src");
        let (shown, _) =
            resolve_link(&inner, &json!({"relativePath": "../Cargo.toml"}), &roots).unwrap();
        assert_eq!(shown, base.join("Cargo.toml"));
        // Out of the root through `..`: not followed, although the file exists.
        let narrow = Roots::new(std::slice::from_ref(&inner));
        assert!(resolve_link(&inner, &json!({"relativePath": "../Cargo.toml"}), &narrow).is_none());
    }

    #[test]
    fn dots_are_taken_out_as_written() {
        assert_eq!(
            lexically_normal(Path::new("infra/main/./../modules/x.json")),
            PathBuf::from("infra/modules/x.json")
        );
        assert_eq!(
            lexically_normal(Path::new("../a/../b")),
            PathBuf::from("../b")
        );
        assert_eq!(lexically_normal(Path::new("a/..")), PathBuf::from("."));
    }
}
