#!/usr/bin/env bash
# Benchmarks (timing goals live here, never in unit tests): mntr parse+map CPU, /metrics render cost, and
# end-to-end probes against a real 1-node ZooKeeper, agent_group rebalances (3 agents x 3,000 targets). Prints one
# line per figure. Usage: npm run bench
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
npx --no-install tsc -p tsconfig.json

node --expose-gc dist/bench/mntr.js
node --expose-gc dist/bench/stages.js
node dist/bench/scrape.js
node dist/bench/probe.js
node dist/bench/agent-group.js
