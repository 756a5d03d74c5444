"""Prints `operations=N cases=M failures=F` read from a schemathesis run's summary
(fuzz-api.sh): "Tested: N" under API Operations and "M generated, …" under Test cases."""

import re
import sys

text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
summary = text[text.rfind("SUMMARY") :]
tested = re.search(r"Tested:\s+(\d+)", summary)
generated = re.search(r"(\d+) generated", summary)
unique = re.search(r"(\d+) unique failures?", summary)
if not tested or not generated:
    print("fuzz_counts.py: no schemathesis summary found", file=sys.stderr)
    print("operations=0 cases=0 failures=1")
else:
    print(f"operations={tested.group(1)} cases={generated.group(1)} failures={unique.group(1) if unique else 0}")
