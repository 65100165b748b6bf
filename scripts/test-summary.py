#!/usr/bin/env python3
"""Print one closing line over meson's test logs of several build directories (or over
JSON-lines result files, e.g. scripts/fuzz's)."""
import json
import sys

passed = failed = skipped = 0
for d in sys.argv[1:]:
    path = d if d.endswith(".jsonl") else f"{d}/meson-logs/testlog.json"
    with open(path) as f:
        for line in f:
            r = json.loads(line)["result"]
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
print(f"tests: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
