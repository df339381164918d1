#!/usr/bin/env bash
# Builds the native data plane with AddressSanitizer and UndefinedBehaviorSanitizer into
# build-asan/tlsql_dataplane.node (the same sources as binding.gyp; g++ directly, so the normal
# build in build/ is left alone). Load it with TLSQL_NATIVE_ADDON=build-asan/tlsql_dataplane.node
# in a node started with the ASan runtime preloaded: see native/README.md "Sanitizers".
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-asan
mkdir -p "$out"
node_include="$(node -p "require('path').join(process.execPath, '..', '..', 'include', 'node')")"
[ -f "$node_include/node_api.h" ] || node_include=/usr/include/node
addon_include="$(node -p "require('node-addon-api').include_dir")"
sources=(native/addon.cc native/core/*.cc)
# Rebuild only when a source or header is newer than the module.
if [ -f "$out/tlsql_dataplane.node" ] && [ -z "$(find native/core native/addon.cc -newer "$out/tlsql_dataplane.node" -print -quit)" ]; then
  exit 0
fi
g++ -std=c++17 -shared -fPIC -O1 -g -fno-omit-frame-pointer \
  -fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
  -I"$node_include" -I"$addon_include" -Wall -Wextra -Wno-unused-parameter \
  "${sources[@]}" -o "$out/tlsql_dataplane.node.tmp"
mv "$out/tlsql_dataplane.node.tmp" "$out/tlsql_dataplane.node"
echo "built $out/tlsql_dataplane.node (ASan + UBSan); run with LD_PRELOAD=$(gcc -print-file-name=libasan.so)" >&2
