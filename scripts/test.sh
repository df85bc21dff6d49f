#!/usr/bin/env bash
# The whole check: lock, lint, format, types (connector, emulator, bench), then every test
# (unit, emulator end-to-end, Docker).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/uv.sh
run() { "${UV[@]}" run --frozen --no-sync "$@"; }

"${UV[@]}" lock --check
run ruff check .
run ruff format --check .
run mypy source_tiktok_organic tiktok_emulator bench
run mypy --strict source_tiktok_organic

markers=()
if [ "${SKIP_DOCKER:-0}" = 1 ]; then
    echo "SKIP_DOCKER=1: the container tests are deselected." >&2
    markers=(-m "not docker and not image_tests")
elif docker info >/dev/null 2>&1; then
    bash .ci/build-image.sh
else
    echo "No Docker engine: the container tests will be skipped." >&2
fi

# Set-up, like the image: PyAirbyte's own venv (test_pyairbyte.py), built once and reused.
run python -c "from integration_tests.pyairbyte_env import pyairbyte_python; pyairbyte_python()"

# Set-up: pytest's rewritten test modules, written once as bytecode for the three workers to
# read (PYTHONDONTWRITEBYTECODE=1, set on some machines, would make each worker rewrite them).
PYTHONDONTWRITEBYTECODE= run pytest --collect-only -q "${markers[@]}" "$@" >/dev/null

# Three workers on two cores: much of the suite waits on sockets, containers and subprocesses.
run pytest -n 3 --dist loadgroup "${markers[@]}" "$@"
