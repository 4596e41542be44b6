#!/usr/bin/env bash
# Quick start: installs what is missing, builds, then runs a local ensemble + zkotel + Prometheus.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
npx --no-install tsc -p tsconfig.json
exec node dist/scripts/demo.js "$@"
