//! The HTML report: hostile names are escaped, the file is self-contained, sections come in the
//! documented order with the scan's own numbers, every VM gets its evidence and fix, suppressed
//! findings stay visible, and the same input gives byte-identical output.

use std::path::{Path, PathBuf};

use jitscan::classify::Classification;
use jitscan::report::html::render;
use jitscan::rules::Suppression;
use jitscan::scan::{scan, InputStatus, ScanOptions, ScanResult};

use crate::support::{corpus_dir, root};

mod deliverable;

/// A scan as of a fixed day, so reports do not change with the clock.
fn scan_paths(paths: &[PathBuf]) -> ScanResult {
    scan(&ScanOptions {
        paths: paths.to_vec(),
        today: jitscan::config::Date::parse("2026-01-15").unwrap(),
        ..ScanOptions::default()
    })
}

fn fixture(name: &str) -> PathBuf {
    root().join("fixtures/arm").join(name)
}

/// The HTML between the first occurrence of `start` and the next `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start:?} not in report"));
    let rest = &html[from..];
    let to = rest
        .find(end)
        .unwrap_or_else(|| panic!("{end:?} not after {start:?}"));
    &rest[..to]
}

/// The `<article>` of the VM whose heading is exactly `name` (already escaped).
fn vm_article<'a>(html: &'a str, name: &str) -> &'a str {
    let heading = format!("\">{name}</h4>");
    let at = html
        .find(&heading)
        .unwrap_or_else(|| panic!("no section for VM {name}"));
    let start = html[..at].rfind("<article").expect("article start");
    let len = html[start..].find("</article>").expect("article end");
    &html[start..start + len]
}

/// Every tag of the document (escaped text holds no raw `<`, so these are real tags).
fn tags(html: &str) -> Vec<&str> {
    html.split('<')
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(tag, _)| tag))
        .collect()
}

/// Values of attribute `name` in every tag.
fn attribute_values<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let needle = format!(" {name}=\"");
    tags(html)
        .into_iter()
        .flat_map(|tag| {
            tag.match_indices(&needle)
                .filter_map(|(i, _)| tag[i + needle.len()..].split('"').next())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The two ways HTML can escape `text`: named entities or askama's numeric ones.
fn escaped(text: &str) -> [String; 2] {
    let named = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;");
    let numeric = text
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;");
    [named, numeric]
}

fn contains_escaped(html: &str, text: &str) -> bool {
    escaped(text).iter().any(|e| html.contains(e.as_str()))
}

/// A copy of the SSH fixture whose VM name (the `vmName` parameter default) and allowing rule
/// name are markup. The NIC, NSG and public IP get plain names so that the VM is still wired up
/// (a `/` in their names would make their resource ids invalid) and the rule still decides.
fn hostile_fixture(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fixture("ssh-open-to-any-with-public-ip.json")).unwrap();
    let text = text
        .replace(
            "\"defaultValue\": \"vm-ssh-open\"",
            "\"defaultValue\": \"<script>alert(1)</script>\"",
        )
        .replace(
            "\"name\": \"allow-ssh-any\"",
            "\"name\": \"allow-\\\"><img src=x onerror=alert(2)>\"",
        )
        .replace("concat('nic-', parameters('vmName'))", "'nic-hostile'")
        .replace("concat('pip-', parameters('vmName'))", "'pip-hostile'")
        .replace("concat('nsg-', parameters('vmName'))", "'nsg-hostile'");
    assert!(text.contains("<script>alert(1)</script>") && text.contains("onerror=alert(2)"));
    let path = dir.join("hostile.json");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn names_from_input_are_escaped_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let result = scan_paths(&[hostile_fixture(dir.path())]);
    assert_eq!(result.vms.len(), 1);
    assert_eq!(result.vms[0].name, "<script>alert(1)</script>");
    let html = render(&result).unwrap();
    assert!(
        !html.contains("<script>alert(1)"),
        "raw script tag in report"
    );
    assert!(!html.contains("<img"), "raw img tag in report");
    assert!(!html.contains("\"><img"), "attribute breakout in report");
    assert!(contains_escaped(&html, "<script>alert(1)</script>"));
    assert!(contains_escaped(
        &html,
        "allow-\"><img src=x onerror=alert(2)>"
    ));
    // The only script element is the report's own inline one.
    assert_eq!(html.matches("<script").count(), 1);
    // The hostile rule is still named as the one that decided, in the VM's section and fix.
    let [_, numeric_name] = escaped("<script>alert(1)</script>");
    let article = vm_article(&html, &numeric_name);
    assert!(article.contains("class=\"badge unhealthy\""));
    for rule in escaped("allow-\"><img src=x onerror=alert(2)>") {
        if article.contains(&format!("<strong>{rule}</strong>")) {
            assert!(article.contains(&format!("rule <code>{rule}</code>")));
            return;
        }
    }
    panic!("the deciding rule is not named in the VM's evidence");
}

#[test]
fn the_report_is_self_contained() {
    let dir = tempfile::tempdir().unwrap();
    for paths in [
        vec![root().join("fixtures/arm")],
        vec![hostile_fixture(dir.path())],
    ] {
        let html = render(&scan_paths(&paths)).unwrap();
        assert!(
            attribute_values(&html, "src").is_empty(),
            "no element loads a source"
        );
        for href in attribute_values(&html, "href") {
            assert!(href.starts_with('#'), "external link {href:?}");
        }
        let lower = html.to_ascii_lowercase();
        for banned in [
            "url(", "@import", "<link", "<img", "<iframe", "<object", "<embed",
        ] {
            assert!(!lower.contains(banned), "{banned} in report");
        }
        for tag in tags(&html) {
            let tag = tag.to_ascii_lowercase();
            assert!(
                !tag.contains("http://") && !tag.contains("https://"),
                "URL in tag <{tag}>"
            );
        }
    }
}

#[test]
fn sections_come_in_order_and_unhealthy_vms_first() {
    let result = scan_paths(&[root().join("fixtures/arm")]);
    let html = render(&result).unwrap();
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} missing"))
    };
    assert!(at("JIT VM access compliance report</h1>") < at("id=\"summary\""));
    assert!(at("id=\"summary\"") < at("id=\"scope\""));
    assert!(at("id=\"scope\"") < at("id=\"vms\""));
    assert!(at("id=\"vms\"") < at("id=\"rules\""));
    assert!(at(">vm-ssh-open</h4>") < at(">vm-closed</h4>"));
    assert!(at(">vm-ssh-open</h4>") < at(">vm-no-nsg-private</h4>"));
    assert!(at(">vm-no-nsg-private</h4>") < at(">vm-closed</h4>"));
    // Every classification group is contiguous: no healthy VM before the last unhealthy one.
    let last_unhealthy = html.rfind("<article class=\"vm unhealthy\"").unwrap();
    let first_healthy = html.find("<article class=\"vm healthy\"").unwrap();
    assert!(last_unhealthy < first_healthy);
    assert_eq!(
        html.matches("<article class=\"vm ").count(),
        result.vms.len()
    );
    // Every rule of the registry is in the appendix.
    for rule in jitscan::rules::REGISTRY {
        assert!(html.contains(&format!("id=\"rule-{}\"", rule.id)));
    }
}

#[test]
fn summary_counts_equal_the_scan_result() {
    let result = scan_paths(&[root().join("fixtures/arm")]);
    let html = render(&result).unwrap();
    let summary = between(&html, "id=\"summary\"", "id=\"scope\"");
    let count = |c: Classification| {
        result
            .vms
            .iter()
            .filter(|v| v.classification.value == c)
            .count()
    };
    let (unhealthy, not_applicable, healthy) = (
        count(Classification::Unhealthy),
        count(Classification::NotApplicable),
        count(Classification::Healthy),
    );
    assert!(unhealthy > 0 && not_applicable > 0 && healthy > 0);
    assert!(summary.contains(&format!(
        "Unhealthy {unhealthy}, Not applicable {not_applicable}, Healthy {healthy}</title>"
    )));
    let exposed = result.vms.iter().filter(|v| v.internet_exposed()).count();
    let closed = result.vms.len() - exposed;
    assert!(summary.contains(&format!(
        "Port reachable {exposed}, No port reachable {closed}</title>"
    )));
    assert!(summary.contains(&format!(
        "<strong>{unhealthy} of {}</strong>",
        result.vms.len()
    )));
    for rule in jitscan::rules::REGISTRY {
        let n = result
            .findings
            .iter()
            .filter(|f| f.rule.id == rule.id)
            .count();
        let row = between(summary, &format!("href=\"#rule-{}\"", rule.id), "</tr>");
        assert!(
            row.contains(&format!("<strong>{n}</strong>")),
            "{}: {row}",
            rule.id
        );
    }
    let inputs = between(summary, "<h3>Inputs</h3>", "</table>");
    for status in [
        InputStatus::Scanned,
        InputStatus::Skipped,
        InputStatus::Failed,
    ] {
        let n = result.inputs.iter().filter(|i| i.status == status).count();
        let row = between(inputs, &format!(">{}</span>", status.as_str()), "</tr>");
        assert!(row.contains(&format!(">{n}</td>")), "{status:?}: {row}");
    }
}

#[test]
fn each_vm_shows_its_deciding_rule_and_fix() {
    let html = render(&scan_paths(&[root().join("fixtures/arm")])).unwrap();
    let open = vm_article(&html, "vm-ssh-open");
    assert!(open.contains("class=\"badge unhealthy\""));
    assert!(open.contains("<strong>allow-ssh-any</strong>"));
    assert!(open.contains("nsg-vm-ssh-open"));
    assert!(open.contains("pip-vm-ssh-open"));
    assert!(open.contains("Microsoft.Security/locations/jitNetworkAccessPolicies"));
    assert!(open.contains("&#34;number&#34;: 22, &#34;protocol&#34;: &#34;*&#34;"));
    assert!(open.contains("PT3H"));
    assert!(open.contains("href=\"#rule-JIT001\""));
    let closed = vm_article(&html, "vm-closed");
    assert!(closed.contains("class=\"badge healthy\""));
    assert!(closed.contains("No change needed"));
    assert!(!closed.contains("jitNetworkAccessPolicies"));
    let bare = vm_article(&html, "vm-no-nsg-pip");
    assert!(bare.contains("Attach a network security group"));
    let unknown = vm_article(&html, "vm-param");
    assert!(unknown.contains("confidence: unknown"));
    assert!(unknown.contains("allowedSource"));
}

#[test]
fn suppressed_findings_are_shown_with_their_reason() {
    let mut result = scan_paths(&[fixture("ssh-open-to-any-with-public-ip.json")]);
    assert!(!result.findings.is_empty());
    result.findings[0].suppression = Some(Suppression {
        kind: "config",
        reason: "accepted until <migration>".to_owned(),
    });
    let html = render(&result).unwrap();
    let article = vm_article(&html, "vm-ssh-open");
    assert!(article.contains("class=\"suppressed\""));
    assert!(contains_escaped(
        article,
        "config: accepted until <migration>"
    ));
    assert!(article.contains(&result.findings[0].rule.id.to_string()));
}

#[test]
fn unreadable_inputs_are_listed_with_their_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"resources\": [\n    ,\n",
    )
    .unwrap();
    std::fs::copy(
        fixture("nsg-closed-healthy.json"),
        dir.path().join("good.json"),
    )
    .unwrap();
    let result = scan_paths(&[dir.path().to_path_buf()]);
    let broken = result
        .inputs
        .iter()
        .find(|i| i.path.ends_with("broken.json"))
        .unwrap();
    assert_eq!(broken.status, InputStatus::Failed);
    let problem = &broken.problems[0];
    let span = problem.span.as_ref().unwrap();
    let html = render(&result).unwrap();
    let unread = between(&html, "id=\"unread\"", "</section>");
    assert!(unread.contains("broken.json"));
    assert!(unread.contains(problem.code.as_str()));
    assert!(unread.contains(&format!("{}:{}", span.line, span.column)));
    assert!(!unread.contains("good.json"));
}

#[test]
fn an_empty_scan_still_renders() {
    let dir = tempfile::tempdir().unwrap();
    let html = render(&scan_paths(&[dir.path().to_path_buf()])).unwrap();
    assert!(html.contains("No virtual machine or scale set was found"));
    assert!(html.contains("id=\"rules\""));
}

#[test]
fn same_input_gives_byte_identical_reports() {
    let paths = [root().join("fixtures/arm")];
    let first = render(&scan_paths(&paths)).unwrap();
    let second = render(&scan_paths(&paths)).unwrap();
    assert_eq!(first, second);
}

#[test]
fn the_corpus_renders_with_every_vm() {
    let Some(dir) = corpus_dir() else { return };
    let result = scan_paths(std::slice::from_ref(&dir));
    let html = render(&result).unwrap();
    assert_eq!(
        html.matches("<article class=\"vm ").count(),
        result.vms.len()
    );
    assert_eq!(html.matches("<script").count(), 1);
    assert_eq!(
        render(&scan_paths(&[dir])).unwrap(),
        html,
        "not deterministic"
    );
}
