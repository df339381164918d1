#!/usr/bin/env bash
# One command: install everything (including the TLS tools the tests drive), build, run all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
TLSQL_TEST_DEPS=1 ./scripts/install-deps.sh
npx tsc -p tsconfig.json --noEmit
# Tests, helpers and benchmarks are type-checked too: a fake that drifts from its interface fails here.
npx tsc -p tsconfig.test.json
# The web console's browser code (its own DOM typings; bundled by npm run build).
npx tsc -p web/tsconfig.json
# The layers of docs/architecture.md: no upward import, no import cycle (exits with the violation count).
npx depcruise src --config .dependency-cruiser.cjs
exec npx vitest run "$@"
