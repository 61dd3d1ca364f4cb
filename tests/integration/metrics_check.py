#!/usr/bin/env python3
"""Parses a /metrics scrape with the official Prometheus client parser and checks what an
operator's scrape config and alert rules rely on. Usage: metrics_check.py FILE [FAMILY:TYPE ...]
Exit 0 and "ok" when every check passes; otherwise one line per problem and exit 1."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main() -> int:
    text = open(sys.argv[1], encoding="utf-8").read()
    problems = []
    families = {}
    try:
        parsed = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError on malformed text
        print(f"parse error: {e}")
        return 1
    for fam in parsed:
        if fam.name in families:
            problems.append(f"family {fam.name} appears more than once")
        families[fam.name] = fam
        if not fam.name.startswith("traded_"):
            problems.append(f"family {fam.name} lacks the traded_ prefix")
        if not fam.documentation:
            problems.append(f"family {fam.name} has no HELP text")
        for s in fam.samples:
            if not s.name.startswith("traded_"):
                problems.append(f"sample {s.name} lacks the traded_ prefix")
    for want in sys.argv[2:]:
        name, _, kind = want.partition(":")
        # The client names counter families without their _total suffix.
        key = name[: -len("_total")] if kind == "counter" and name.endswith("_total") else name
        fam = families.get(key)
        if fam is None:
            problems.append(f"missing family {name}")
        elif fam.type != kind:
            problems.append(f"family {name} is a {fam.type}, expected {kind}")
    for p in problems:
        print(p)
    if not problems:
        print(f"ok ({len(families)} families)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
