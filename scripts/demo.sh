#!/usr/bin/env bash
# The credential-free demo: the real connector against the bundled TikTok emulator.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/uv.sh
exec "${UV[@]}" run --frozen --no-sync python -m integration_tests.demo "$@"
