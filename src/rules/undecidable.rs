//! JIT005 verdict-undecidable-offline: the input does not decide the VM's verdict.

use super::{Finding, Level, Message, Rule};
use crate::classify::VmResult;
use crate::eval::Confidence;

/// The rule.
pub static RULE: Rule = Rule {
    id: "JIT005",
    name: "verdict-undecidable-offline",
    summary: "The verdict depends on a value the input does not decide",
    description: "Some value that decides whether a management port is open cannot be known offline: a parameter with neither a default nor a value in the parameters file, a reference() to runtime state, or a resource (NIC, subnet, NSG) that is not in the input. jitscan reports the fail-safe classification and says what it depends on.",
    help_markdown: "## What it flags\nA VM whose classification or port verdicts have confidence `unknown`: jitscan evaluated the VM with the undecidable values resolved both ways and the outcome differs.\n\n## Why it matters\nAn auditor cannot sign off on a VM whose exposure depends on a value nobody has seen; a CI gate should not pass it either.\n\n## How to fix\nSupply the missing value (a parameters file with `--parameters`, or a default in the template), or include the missing resources in the scan (for example the exported NSG of the subnet).\n\n## Example\n`\"allowedSource\": { \"type\": \"string\" }` used as `sourceAddressPrefix` of an allow rule for port 22: give it a default or a parameters file value.",
    level: Level::Warning,
    security_severity: "5.0",
    precision: "medium",
    check,
};

fn check(rule: &'static Rule, vm: &VmResult, _settings: &super::Settings) -> Vec<Finding> {
    let (confidence, reason) = vm.confidence();
    if confidence != Confidence::Unknown {
        return Vec::new();
    }
    let mut message = Message::default();
    message
        .words("VM '")
        .value(&vm.name)
        .words("': the verdict (")
        .words(vm.classification.value.as_str())
        .words(") cannot be decided offline: ")
        .value(reason.as_deref().unwrap_or("an undecidable value"));
    vec![Finding::new(rule, vm, None, message)]
}
