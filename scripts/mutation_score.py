"""The mutation score per module from `mutmut results --all true`, and the mutants that lived.

Killed counts a mutant a test failed on, or that hung until mutmut's timeout (an endless loop is
caught behaviour too). "no tests" counts as alive: no test reaches that code at all.
"""

from __future__ import annotations

import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LINE = re.compile(r"^\s*(?P<name>\S+?)__mutmut_\d+: (?P<status>.+)$")
DEAD = {"killed", "timeout", "caught by type check"}


def main(results: Path) -> int:
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    alive: list[str] = []
    for line in results.read_text().splitlines():
        match = LINE.match(line)
        if not match:
            continue
        module = match["name"].split(".x")[0].split(".xǁ")[0]
        status = match["status"].strip()
        if status == "skipped":
            continue
        by_module[module][status] += 1
        if status not in DEAD:
            alive.append(f"{line.strip()}")
    print(f"{'module':45} {'mutants':>8} {'killed':>8} {'score':>7}")
    total = killed = 0
    for module, counts in sorted(by_module.items()):
        n = sum(counts.values())
        k = sum(counts[s] for s in DEAD)
        total, killed = total + n, killed + k
        print(f"{module:45} {n:8} {k:8} {k / n:7.1%}")
    print(f"{'all':45} {total:8} {killed:8} {killed / max(total, 1):7.1%}")
    print(f"\n{len(alive)} alive (mutmut show NAME shows one):")
    for line in alive:
        print("  " + line)
    unchecked = sum(counts["not checked"] for counts in by_module.values())
    if unchecked or not total:
        print(f"\n{unchecked} of {total} mutants not checked: the run did not finish.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
