#!/usr/bin/env bash
# Mutation testing of the modules that decide behaviour ([tool.mutmut] in pyproject.toml).
# Each mutant is run against the tests that reach its function, in this process; then the score.
# Usage: bash scripts/mutation.sh [mutmut run arguments, e.g. a mutant name glob]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/uv.sh
"${UV[@]}" sync --frozen --quiet --group mutation
mutmut() { "${UV[@]}" run --frozen --no-sync mutmut "$@"; }
mutmut run --max-children "$(nproc)" "$@" || true  # survivors make it exit non-zero
mutmut results --all true > mutants/results.txt || true
"${UV[@]}" run --frozen --no-sync python scripts/mutation_score.py mutants/results.txt
