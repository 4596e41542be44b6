#!/usr/bin/env bash
# Installs what is missing, builds, then runs the tests in two stages:
#   unit         tests that start nothing outside the test process: pure code, in-process fakes, virtual time.
#                All their files run in one Node process: a few seconds.
#   integration  tests against real components: ZooKeeper ensembles, Prometheus, promtool, dnsmasq, certificates
#                made by openssl/keytool, fake servers on loopback, the agent as a child process. One process per file.
# A test file belongs to the integration stage when it imports a harness module that starts one of those
# (INTEGRATION_IMPORTS below) or node:child_process, or when it tests the harness itself (test/harness/).
#
# Before them, a full run (no stage, no FILTER) lints the tree (eslint: import direction, import cycles,
# typescript-eslint's recommended rules) and checks its formatting (prettier --check; `npm run format` fixes it).
#
# Usage: npm test                         (lint, unit, then integration; stops at the first failing stage)
#        npm test -- lint                 (the lint alone)
#        npm test -- unit                 (the unit stage alone)
#        npm test -- integration          (the integration stage alone)
#        npm test -- FILTER               (only test files whose path contains FILTER, in both stages)
#        npm test -- unit FILTER          (the same within one stage)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stage=all
case "${1:-}" in
  unit | integration | lint)
    stage=$1
    shift
    ;;
esac
filter="${1:-}"

bash scripts/setup.sh
# Incremental (rm -rf dist for a full build): a build with nothing changed takes seconds. Outputs of deleted or
# renamed sources are removed, so that no stale test runs.
npx --no-install tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo
while IFS= read -r -d '' output; do
  source_file="${output#dist/}"
  [ -e "${source_file%.js}.ts" ] || rm -f "$output" "$output.map" "${output%.js}.d.ts" "${output%.js}.d.ts.map"
done < <(find dist -name '*.js' -print0)

if [ "$stage" = lint ] || { [ "$stage" = all ] && [ -z "$filter" ]; }; then
  echo "test: lint"
  npx --no-install eslint .
  npx --no-install prettier --check --log-level warn . || { echo "test: formatting differs from Prettier's: run npm run format" >&2; exit 1; }
  [ "$stage" = lint ] && exit 0
fi

INTEGRATION_IMPORTS="harness/(ensemble|prometheus|promtool|dnsmasq|certs|otlp-receiver|fake-zk)\\.js|e2e/agent\\.js|node:child_process"
unit_files=()
integration_files=()
while IFS= read -r file; do
  if [[ $file == dist/test/harness/* ]] || grep -qE "from '[^']*(${INTEGRATION_IMPORTS})'" "$file"; then
    integration_files+=("$file")
  else
    unit_files+=("$PWD/$file")
  fi
done < <(find dist/test -name '*.test.js' | sort | grep -F -- "$filter" || true)

selected=$((${#unit_files[@]} + ${#integration_files[@]}))
[ "$stage" = unit ] && selected=${#unit_files[@]}
[ "$stage" = integration ] && selected=${#integration_files[@]}
if [ "$selected" -eq 0 ]; then
  what="test file"
  [ "$stage" = all ] || what="$stage test file"
  echo "test: no $what matches '${filter}'" >&2
  exit 1
fi

if [ "$stage" != integration ] && [ "${#unit_files[@]}" -gt 0 ]; then
  echo "test: unit stage, ${#unit_files[@]} files in one process"
  node --test-reporter=spec --input-type=module -e 'for (const file of process.argv.slice(1)) await import(file);' "${unit_files[@]}"
fi
if [ "$stage" != unit ] && [ "${#integration_files[@]}" -gt 0 ]; then
  echo "test: integration stage, ${#integration_files[@]} files"
  node --test --test-reporter=spec "${integration_files[@]}"
fi
