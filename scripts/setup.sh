#!/usr/bin/env bash
# One command: install everything, start `tlsql server`, create a demo DB instance, and print how
# to connect to it with full verification.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
exec ./bin/tlsql setup "$@"
