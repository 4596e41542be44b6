#!/usr/bin/env bash
# Runs every test against real components: installs what is missing, builds, then runs node:test.
# Usage: npm test            (all tests)
#        npm test -- FILTER  (only test files whose path contains FILTER)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
rm -rf dist
npx --no-install tsc -p tsconfig.json

mapfile -t files < <(find dist/test -name '*.test.js' | sort | grep -F -- "${1:-}")
if [ "${#files[@]}" -eq 0 ]; then
  echo "test: no test file matches '${1:-}'" >&2
  exit 1
fi
exec node --test --test-reporter=spec "${files[@]}"
