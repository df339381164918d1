#!/usr/bin/env bash
# One command: install everything (including the TLS tools the tests drive), build, run all tests.
set -euo pipefail
cd "$(dirname "$0")/.."
TLSQL_TEST_DEPS=1 ./scripts/install-deps.sh
npx tsc -p tsconfig.json --noEmit
exec npx vitest run "$@"
