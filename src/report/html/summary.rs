//! REPORT (html): the summary at the top of the report: counts, bar charts, findings per rule.
//!
//! Counts are taken from the scan result exactly as the JSON report takes them, so both reports
//! agree. Chart geometry is computed here with integer arithmetic (deterministic output); the
//! template only draws it. Every bar carries its label and number as text, never colour alone.

use crate::classify::Classification;
use crate::rules::REGISTRY;
use crate::scan::ScanResult;

/// Width of the longest bar, in SVG user units.
const BAR_MAX: u32 = 300;
/// Where bars start (labels sit left of it).
const BAR_X: u32 = 200;
/// Height of one row of a chart.
const ROW: u32 = 36;

/// The summary section.
#[derive(Debug)]
pub(crate) struct Summary {
    /// VMs and scale sets.
    pub(crate) vms: usize,
    /// Unhealthy VMs.
    pub(crate) unhealthy: usize,
    /// VMs with a management port reachable from the Internet.
    pub(crate) exposed: usize,
    /// VMs whose verdict the input cannot decide.
    pub(crate) unknown_confidence: usize,
    /// Bars by classification, then by exposure.
    pub(crate) charts: Vec<Chart>,
    /// Findings per rule, in registry order.
    pub(crate) rules: Vec<RuleCount>,
    /// Active (unsuppressed) findings.
    pub(crate) findings: usize,
    /// Suppressed findings.
    pub(crate) suppressed: usize,
    /// Input files found.
    pub(crate) inputs: usize,
    /// Inputs scanned.
    pub(crate) scanned: usize,
    /// Inputs skipped.
    pub(crate) skipped: usize,
    /// Inputs that failed.
    pub(crate) failed: usize,
}

/// A horizontal bar chart.
#[derive(Debug)]
pub(crate) struct Chart {
    /// Accessible title.
    pub(crate) title: &'static str,
    /// SVG height.
    pub(crate) height: u32,
    /// The bars.
    pub(crate) bars: Vec<Bar>,
}

/// One bar.
#[derive(Debug)]
pub(crate) struct Bar {
    /// Text label.
    pub(crate) label: &'static str,
    /// The number.
    pub(crate) count: usize,
    /// Share of all VMs, e.g. `29%`.
    pub(crate) percent: String,
    /// CSS class (colour).
    pub(crate) class: &'static str,
    /// Link target, or empty.
    pub(crate) href: String,
    /// Bar width.
    pub(crate) width: u32,
    /// Top of the bar.
    pub(crate) y: u32,
    /// Text baseline.
    pub(crate) text_y: u32,
    /// Where the number is written.
    pub(crate) count_x: u32,
}

/// Findings of one rule.
#[derive(Debug)]
pub(crate) struct RuleCount {
    /// Rule id.
    pub(crate) id: &'static str,
    /// Rule name.
    pub(crate) name: &'static str,
    /// Summary line.
    pub(crate) summary: &'static str,
    /// Level.
    pub(crate) level: &'static str,
    /// Active findings.
    pub(crate) active: usize,
    /// Suppressed findings.
    pub(crate) suppressed: usize,
}

/// Builds the summary.
pub(crate) fn summary(result: &ScanResult) -> Summary {
    let c = result.counts();
    Summary {
        vms: c.vms,
        unhealthy: c.unhealthy,
        exposed: c.internet_exposed,
        unknown_confidence: c.unknown_confidence,
        charts: charts(result),
        rules: rule_counts(result),
        findings: c.findings - c.suppressed_findings,
        suppressed: c.suppressed_findings,
        inputs: c.inputs,
        scanned: c.inputs_scanned,
        skipped: c.inputs_skipped,
        failed: c.inputs_failed,
    }
}

fn count(result: &ScanResult, c: Classification) -> usize {
    result
        .vms
        .iter()
        .filter(|v| v.classification.value == c)
        .count()
}

fn exposed(result: &ScanResult) -> usize {
    result.vms.iter().filter(|v| v.internet_exposed()).count()
}

/// The classification chart (each bar links to its group of VMs) and the exposure chart.
fn charts(result: &ScanResult) -> Vec<Chart> {
    let total = result.vms.len();
    let class_bar = |label, c: Classification| {
        let key = c.as_str();
        let n = count(result, c);
        let href = if n == 0 {
            String::new()
        } else {
            format!("#group-{key}")
        };
        (label, n, key, href)
    };
    let exposed = exposed(result);
    vec![
        chart(
            "Virtual machines by classification",
            total,
            vec![
                class_bar("Unhealthy", Classification::Unhealthy),
                class_bar("Not applicable", Classification::NotApplicable),
                class_bar("Healthy", Classification::Healthy),
            ],
        ),
        chart(
            "Virtual machines by Internet exposure",
            total,
            vec![
                ("Port reachable", exposed, "exposed", String::new()),
                (
                    "No port reachable",
                    total.saturating_sub(exposed),
                    "closed",
                    String::new(),
                ),
            ],
        ),
    ]
}

/// Active and suppressed findings of every rule, in registry order.
fn rule_counts(result: &ScanResult) -> Vec<RuleCount> {
    REGISTRY
        .iter()
        .map(|r| {
            let of_rule = result.findings.iter().filter(|f| f.rule.id == r.id);
            let suppressed = of_rule.clone().filter(|f| f.suppression.is_some()).count();
            RuleCount {
                id: r.id,
                name: r.name,
                summary: r.summary,
                level: r.level.as_str(),
                active: of_rule.count() - suppressed,
                suppressed,
            }
        })
        .collect()
}

fn chart(
    title: &'static str,
    total: usize,
    rows: Vec<(&'static str, usize, &'static str, String)>,
) -> Chart {
    let n = u32::try_from(rows.len()).unwrap_or(u32::MAX);
    let bars = rows
        .into_iter()
        .zip(0u32..)
        .map(|((label, count, class, href), i)| {
            let width = scaled(count, total);
            let y = 6 + i * ROW;
            Bar {
                label,
                count,
                percent: percent(count, total),
                class,
                href,
                width,
                y,
                text_y: y + 17,
                count_x: BAR_X + BAR_MAX + 12,
            }
        })
        .collect();
    Chart {
        title,
        height: 12 + n.saturating_mul(ROW),
        bars,
    }
}

/// Bar width for `count` of `total`; a non-zero count is always visible.
fn scaled(count: usize, total: usize) -> u32 {
    if total == 0 || count == 0 {
        return 0;
    }
    let width = (count as u64 * u64::from(BAR_MAX)) / total as u64;
    u32::try_from(width).unwrap_or(BAR_MAX).clamp(3, BAR_MAX)
}

/// Rounded share, e.g. `29%`.
fn percent(count: usize, total: usize) -> String {
    if total == 0 {
        return "0%".to_owned();
    }
    format!("{}%", (count * 100 + total / 2) / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_total_and_stay_visible() {
        assert_eq!(scaled(0, 10), 0);
        assert_eq!(scaled(10, 10), BAR_MAX);
        assert_eq!(scaled(1, 1000), 3);
        assert_eq!(scaled(5, 0), 0);
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(2, 3), "67%");
    }
}
