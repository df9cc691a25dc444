"""Counts error-level results in a SARIF Multitool validation log; exits 1 when there are any."""
import json
import re
import sys

log = json.load(open(sys.argv[1], encoding="utf-8-sig"))
errors, warnings = [], 0


def text(message, rule):
    if "text" in message:
        return message["text"]
    template = rule.get("messageStrings", {}).get(message.get("id"), {}).get("text", "{0}")
    args = message.get("arguments", [])
    return re.sub(r"\{(\d+)\}", lambda m: str(args[int(m[1])]) if int(m[1]) < len(args) else m[0], template)


for run in log.get("runs", []):
    rules = {r.get("id"): r for r in run.get("tool", {}).get("driver", {}).get("rules", [])}
    for result in run.get("results", []):
        rule = rules.get(result.get("ruleId"), {})
        level = result.get("level") or rule.get("defaultConfiguration", {}).get("level") or "warning"
        region = result.get("locations", [{}])[0].get("physicalLocation", {}).get("region", {})
        line = f"{result.get('ruleId')} (line {region.get('startLine', '?')}): {text(result.get('message', {}), rule)}"
        if level == "error":
            errors.append(line)
        elif level == "warning":
            warnings += 1
            print(f"  warning: {line}")
    for inv in run.get("invocations", []):
        for n in inv.get("toolExecutionNotifications", []) + inv.get("toolConfigurationNotifications", []):
            if n.get("level", "warning") == "error":
                errors.append(f"{n.get('descriptor', {}).get('id')}: {n.get('message', {}).get('text')}")
        if inv.get("executionSuccessful") is False:
            errors.append("the Multitool run did not complete successfully")
if not log.get("runs"):
    errors.append("the Multitool wrote no run")
for e in errors:
    print(f"  error: {e}", file=sys.stderr)
print(f"SARIF Multitool: {len(errors)} error(s), {warnings} warning(s)")
sys.exit(1 if errors else 0)
