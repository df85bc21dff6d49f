"""The locked requirements (`uv export` output, on stdin) without the packages a list names.

    uv export --frozen --no-dev --no-emit-project --format requirements-txt \
        | python .ci/prune_requirements.py .ci/unimported-packages.txt > requirements.txt

Each requirement keeps its pin and hashes; the ones named in the list (one name a line, `#`
comments) are dropped whole. A listed name the requirements do not hold is an error, so a list
gone stale after a dependency update stops the image build instead of silently pruning less.
Standard library only: it runs in the image's build stage.
"""

from __future__ import annotations

import re
import sys

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def normalized(name: str) -> str:
    """PEP 503: `PyYAML`, `pyyaml` and `py_yaml` name one distribution."""
    return re.sub(r"[-_.]+", "-", name).lower()


def listed(text: str) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [normalized(line) for line in lines if line]


def entries(requirements: str) -> list[tuple[str | None, str]]:
    """(name, text) per requirement with its continuation lines; (None, text) for the rest."""
    found: list[tuple[str | None, str]] = []
    for line in requirements.splitlines(keepends=True):
        match = NAME.match(line)
        if match:
            found.append((normalized(match.group()), line))
        elif found and line[:1].isspace():
            name, text = found[-1]
            found[-1] = (name, text + line)
        else:
            found.append((None, line))
    return found


def prune(requirements: str, names: list[str]) -> str:
    parsed = entries(requirements)
    missing = sorted(set(names) - {name for name, _ in parsed if name})
    if missing:
        raise SystemExit(
            f"prune_requirements: not in the locked requirements: {', '.join(missing)}. "
            "Remove them from the list (or find what replaced them)."
        )
    return "".join(text for name, text in parsed if name not in names)


def main() -> None:
    [list_file] = sys.argv[1:]
    with open(list_file, encoding="utf-8") as names:
        sys.stdout.write(prune(sys.stdin.read(), listed(names.read())))


if __name__ == "__main__":
    main()
