#!/usr/bin/env bash
# Installs what tlsql needs on Debian 12 from Debian packages, only where missing, then the npm
# dependencies and the build. Safe to run again. Used by setup.sh and test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'tlsql: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "this script installs Debian packages and must run as root."
  say "run: sudo $0   (or install them yourself: apt-get install mariadb-server mariadb-client libnss-myhostname openssl)"
  exit 1
fi
if ! [ -r /etc/debian_version ] || ! command -v apt-get >/dev/null; then
  say "this is not a Debian system; install by hand: MariaDB 10.11+ server and client (mariadbd, mariadb-install-db, mariadb),"
  say "OpenSSL, Node.js >= 20, and make *.localhost resolve to loopback (e.g. nss-myhostname, or /etc/hosts entries)."
  exit 1
fi
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  say "Node.js >= 20 is required (Debian 12's nodejs package is 18): install Node 20 from nodejs.org or NodeSource, then run this again."
  exit 1
fi

# Packages: the engine, its client, its backup tool (seeds read replicas and standbys), name resolution for *.localhost, and the TLS tools tests use.
want=(mariadb-server mariadb-client mariadb-backup libnss-myhostname openssl)
# The native data plane (binding.gyp) builds with g++, make and python3 (node-gyp).
want+=(g++ make python3)
# clang and its sanitizer/libFuzzer runtimes: the native fuzz harnesses (native/fuzz/run.sh).
[ "${TLSQL_TEST_DEPS:-0}" = 1 ] && want+=(sslscan testssl.sh python3-pymysql awscli procps iproute2 sysbench clang libclang-rt-14-dev)
# Debian's chromium: the console's end-to-end tests drive it with playwright-core (test/e2e/console.test.ts).
[ "${TLSQL_TEST_DEPS:-0}" = 1 ] && want+=(chromium)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libnss-myhostname resolves any *.localhost name to loopback once it is in nsswitch.conf.
if ! grep -Eq '^hosts:.*\bmyhostname\b' /etc/nsswitch.conf; then
  say "adding myhostname to the hosts line of /etc/nsswitch.conf"
  sed -i -E 's/^(hosts:.*)$/\1 myhostname/' /etc/nsswitch.conf
fi
if ! getent hosts tlsql-check.localhost >/dev/null; then
  say "*.localhost names still do not resolve; check the hosts line of /etc/nsswitch.conf"
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (better-sqlite3 may build from source: about a minute)"
  # Exactly the committed lock: npm ci never rewrites package-lock.json, so setup leaves the tree clean.
  npm ci --no-audit --no-fund --loglevel=error
fi
# npm ci builds the native data plane (package.json "install"); an existing node_modules may predate
# it or its sources may have changed since.
if [ ! -f build/Release/tlsql_dataplane.node ] || [ -n "$(find native/core native/addon.cc binding.gyp -newer build/Release/tlsql_dataplane.node -print -quit)" ]; then
  say "building the native data plane"
  npm run -s build:native >/dev/null
fi
say "building"
npm run -s build
