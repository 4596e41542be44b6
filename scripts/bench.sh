#!/usr/bin/env bash
# Benchmarks (timing goals live here, never in unit tests): mntr parse+map CPU, /metrics render cost,
# end-to-end probes against a real 1-node ZooKeeper, the load bench (the agent against 200/1,000/5,000 fake
# ZooKeeper targets in a process of their own, with 1 and 20 scrapers; bench/load.ts), and agent_group rebalances
# (3 agents x 3,000 targets). Usage: npm run bench
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
npx --no-install tsc -p tsconfig.json

node --expose-gc dist/bench/mntr.js
node --expose-gc dist/bench/stages.js
node dist/bench/scrape.js
node dist/bench/probe.js
node dist/bench/load.js
node dist/bench/agent-group.js
