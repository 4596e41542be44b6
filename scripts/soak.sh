#!/usr/bin/env bash
# Release soak (not part of npm test): the agent under faults for SOAK_SECONDS (default 600); RSS and heap sampled,
# their slope after warm-up must stay flat. Usage: npm run soak   (SOAK_SECONDS=120 npm run soak for a short one)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
npx --no-install tsc -p tsconfig.json
exec node dist/test/faults/soak.js
