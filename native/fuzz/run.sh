#!/usr/bin/env bash
# Builds the libFuzzer targets of the native data plane (clang, -fsanitize=fuzzer,address,undefined,
# linked against the system's OpenSSL 3.0 the way the addon uses Node's) into native/fuzz/out/ and
# runs each for SECONDS (default 60). Exits non-zero on the first finding; the crashing input is
# left in native/fuzz/out/ (crash-*, reproduce with: native/fuzz/out/<target> <file>).
# Usage: native/fuzz/run.sh [SECONDS] [TARGET...]   (targets: fuzz-inspector fuzz-session)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(fuzz-inspector fuzz-session)
out=native/fuzz/out
mkdir -p "$out"
if ! command -v clang++ >/dev/null; then
  echo "clang++ not found: install clang and libclang-rt-14-dev (TLSQL_TEST_DEPS=1 scripts/install-deps.sh does)" >&2
  exit 2
fi
flags=(-std=c++17 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
core=(native/core/dataplane.cc native/core/fd-bio.cc native/core/loop.cc native/core/mysql-inspector.cc native/core/session.cc native/core/tls-context.cc)
for t in "${targets[@]}"; do
  bin="$out/$t"
  if [ ! -x "$bin" ] || [ -n "$(find native/core native/fuzz -maxdepth 1 -newer "$bin" -name '*.[ch]*' -print -quit)" ]; then
    echo "building $bin" >&2
    case "$t" in
      fuzz-inspector) clang++ "${flags[@]}" native/fuzz/fuzz-inspector.cc native/core/mysql-inspector.cc -o "$bin" ;;
      fuzz-session) clang++ "${flags[@]}" native/fuzz/fuzz-session.cc "${core[@]}" -lssl -lcrypto -lpthread -o "$bin" ;;
      *) echo "unknown target $t" >&2; exit 2 ;;
    esac
  fi
done
for t in "${targets[@]}"; do
  corpus="$out/corpus-${t#fuzz-}"
  mkdir -p "$corpus"
  echo "fuzzing $t for ${seconds}s" >&2
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0" "$out/$t" "$corpus" "native/fuzz/seeds/${t#fuzz-}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -artifact_prefix="$out/" -print_final_stats=1 2>"$out/$t.log" || {
    tail -60 "$out/$t.log" >&2
    exit 1
  }
  grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb)" "$out/$t.log" | sed "s/^/$t /" >&2 || true
done
