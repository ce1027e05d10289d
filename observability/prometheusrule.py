"""Writes observability/prometheusrule.yaml, the Prometheus Operator's PrometheusRule, from the
plain rules file observability/rules.yaml: the same groups, declared once.

    python -m observability.prometheusrule           # write it (make observability)
    python -m observability.prometheusrule --check   # fail when it differs (make observability-check)

Text in, text out (the rules file's `groups:` indented under `spec:`), so its comments stay and
no YAML library is needed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules.yaml"
MANIFEST = HERE / "prometheusrule.yaml"

HEADER = """\
# Generated from rules.yaml by `make observability`: edit rules.yaml, not this file.
# The maintenance-mode alerts for the Prometheus Operator (kube-prometheus, kube-prometheus-stack).
# Add the labels your Prometheus's ruleSelector expects (kube-prometheus-stack: `release: <its
# Helm release>`) and apply it in the namespace it watches: docs/src/observability.md.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: maintenance-mode
  labels:
    app.kubernetes.io/name: maintenance-mode
spec:
"""


def render(rules_text: str) -> str:
    """The manifest for the rules file's text: its lines from `groups:` on, under `spec:`."""
    lines = rules_text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("groups:")), None)
    if start is None:
        raise ValueError(f"{RULES} has no top-level `groups:`")
    body = "".join(f"  {line}\n" if line else "\n" for line in lines[start:])
    return HEADER + body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail when prometheusrule.yaml is not up to date")
    args = parser.parse_args()
    expected = render(RULES.read_text(encoding="utf-8"))
    if args.check:
        current = MANIFEST.read_text(encoding="utf-8") if MANIFEST.exists() else ""
        if current != expected:
            print(f"{MANIFEST} differs from {RULES}: run `make observability`", file=sys.stderr)
            return 1
        return 0
    MANIFEST.write_text(expected, encoding="utf-8")
    print(f"wrote {MANIFEST}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
