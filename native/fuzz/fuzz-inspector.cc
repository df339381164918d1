// libFuzzer target: the MySQL packet framer/inspector (native/core/mysql-inspector.cc).
// Oracle: answering every held command with itself (a partial hold with nothing) must forward
// exactly the input (less a trailing incomplete packet, still being collected), whatever the
// packet boundaries and however the stream is cut into reads; nothing held may exceed the bound.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "../core/mysql-inspector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  uint32_t rng = data[0] * 2654435761u + data[1];
  auto next = [&rng] {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
  };
  const uint8_t* in = data + 2;
  const size_t n = size - 2;
  tlsql::MysqlInspector inspector({"grant", "AWSAuthenticationPlugin", "\x03"});
  std::vector<uint8_t> out;
  size_t off = 0;
  while (off < n) {
    size_t chunk = 1 + next() % 4096;
    if (chunk > n - off) chunk = n - off;
    size_t done = 0;
    while (done < chunk) {
      tlsql::HeldCommand held;
      done += inspector.process(in + off + done, chunk - done, out, held);
      if (!held.held) continue;
      if (held.packet.size() > tlsql::MysqlInspector::kMaxHeldPayload + 4) abort();
      if (held.partial && held.packet.size() != 4) abort();
      out.insert(out.end(), held.packet.begin(), held.packet.end());
      if (next() % 3 == 0) inspector.holdNextCommand();
    }
    off += chunk;
  }
  // Everything but a trailing incomplete header or command went through, unchanged.
  if (out.size() + inspector.pendingBytes() != n) abort();
  if (!out.empty() && std::memcmp(out.data(), in, out.size()) != 0) abort();
  return 0;
}
