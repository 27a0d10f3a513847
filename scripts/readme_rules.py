"""Rewrite the rule list in README.md from the rule table (`--check` fails when it is stale)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"
BEGIN, END = "<!-- rules:begin -->", "<!-- rules:end -->"


def rules_section() -> str:
    from aimmo_gt import RULES

    lines = [BEGIN, "| rule | severity | what it means |", "|---|---|---|"]
    lines += [f"| `{rule.id}` | {rule.severity} | {rule.summary} |" for rule in RULES.values()]
    return "\n".join([*lines, END])


def render(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return head + rules_section() + tail


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if README.md is not up to date")
    args = parser.parse_args()
    text = README.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"README.md has no {BEGIN} ... {END} section", file=sys.stderr)
        return 1
    new = render(text)
    if args.check:
        if new != text:
            print("README.md's rule list is stale: run python scripts/readme_rules.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
