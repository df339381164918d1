{
  "variables": {
    "tlsql_sources": [
      "native/addon.cc",
      "native/core/dataplane.cc",
      "native/core/fd-bio.cc",
      "native/core/loop.cc",
      "native/core/mysql-inspector.cc",
      "native/core/session.cc",
      "native/core/tls-context.cc"
    ]
  },
  "targets": [
    {
      "target_name": "tlsql_dataplane",
      "sources": ["<@(tlsql_sources)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
