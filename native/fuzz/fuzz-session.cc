// libFuzzer target: raw bytes into a native session, through the core's public API
// (native/core/dataplane.h) on a loop driven by hand, sockets being socketpairs:
//   mode 0: bytes from the client into the server-side TLS accept path (part of them as the
//           bytes JavaScript read before TLS started);
//   mode 1: bytes from the "engine" into the client-side TLS connect path;
//   mode 2: the login-phase byte stream, a switch to the relay with bytes in flight (fed back),
//           then an inspected relay both ways. Oracle: the engine receives exactly what the
//           client sent and the client exactly what the engine sent (held commands answered
//           with themselves).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

#include "../core/dataplane.h"
#include "fuzz-identity.h"

namespace {

using tlsql::Event;
using tlsql::EventType;
using tlsql::Side;

struct Collect : tlsql::EventSink {
  std::vector<Event> events;
  void emit(Event&& e) override { events.push_back(std::move(e)); }
};

std::shared_ptr<tlsql::ServerContext> serverContext() {
  static auto ctx = [] {
    tlsql::ServerContextOptions o;
    o.certChainPem = kFuzzCertPem;
    o.keyPem = kFuzzKeyPem;
    o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA:TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256";
    o.minVersion = "TLSv1";
    o.maxVersion = "TLSv1.3";
    o.clientCaPem = kFuzzCertPem;
    o.sessionIdContext = "fuzz";
    return tlsql::ServerContext::create(o);
  }();
  return ctx;
}

std::shared_ptr<tlsql::ClientContext> clientContext() {
  static auto ctx = [] {
    tlsql::ClientContextOptions o;
    o.caPem = kFuzzCertPem;
    o.servername = "fuzz.tlsql.invalid";
    o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256";
    return tlsql::ClientContext::create(o);
  }();
  return ctx;
}

struct Rng {
  uint32_t s;
  uint32_t next() {
    s = s * 1103515245u + 12345u;
    return s >> 8;
  }
};

/** Writes as much of `buf[off..]` as the socket takes. */
void pushSome(int fd, const uint8_t* buf, size_t n, size_t& off, size_t max) {
  while (off < n && max > 0) {
    size_t want = std::min(n - off, max);
    ssize_t w = ::send(fd, buf + off, want, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w <= 0) return;
    off += static_cast<size_t>(w);
    max -= static_cast<size_t>(w);
  }
}

void drain(int fd, std::vector<uint8_t>* into) {
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r <= 0) return;
    if (into) into->insert(into->end(), buf, buf + r);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const int mode = data[0] % 3;
  Rng rng{static_cast<uint32_t>(data[1] << 8 | data[2])};
  const uint8_t* in = data + 3;
  const size_t n = size - 3;

  Collect sink;
  tlsql::DataplaneOptions options;
  options.loops = 1;
  options.manual = true;
  tlsql::Dataplane dp(options, sink);
  tlsql::Loop& loop = dp.loop(0);
  int c[2], e[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, c) != 0) return 0;
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, e) != 0) {
    close(c[0]);
    close(c[1]);
    return 0;
  }
  const uint64_t id = dp.openSession(c[0], "", e[0], nullptr);
  auto spin = [&loop](int rounds) {
    for (int i = 0; i < rounds; i++) loop.runOnce(0);
  };
  spin(2);

  if (mode == 0) {
    size_t pre = n ? rng.next() % std::min<size_t>(n + 1, 600) : 0;
    dp.startServerTls(id, serverContext(), std::vector<uint8_t>(in, in + pre), 0);
    size_t off = pre;
    for (int i = 0; i < 64 && off < n; i++) {
      pushSome(c[1], in, n, off, 1 + rng.next() % 2048);
      spin(2);
      drain(c[1], nullptr);
    }
    spin(4);
  } else if (mode == 1) {
    dp.write(id, Side::Engine, {'S', 'S', 'L', 'R'});
    dp.startClientTls(id, clientContext(), 0);
    spin(3);
    drain(e[1], nullptr);
    size_t off = 0;
    for (int i = 0; i < 64 && off < n; i++) {
      pushSome(e[1], in, n, off, 1 + rng.next() % 2048);
      spin(2);
      drain(e[1], nullptr);
    }
    spin(4);
  } else {
    // Split the input: client bytes, engine bytes.
    size_t split = n ? rng.next() % (n + 1) : 0;
    const uint8_t* cin = in;
    const size_t cn = split;
    const uint8_t* ein = in + split;
    const size_t en = n - split;
    // Login phase: some client bytes reach JavaScript as Data events.
    size_t coff = 0;
    pushSome(c[1], cin, cn, coff, rng.next() % 512);
    spin(3);
    uint64_t delivered = 0;
    for (auto& ev : sink.events) {
      if (ev.type == EventType::Data && ev.side == Side::Client) delivered += ev.data.size();
    }
    // JavaScript consumed some, holds some (pending), and some are still "in flight" (fed back).
    uint64_t consumed = delivered ? rng.next() % (delivered + 1) : 0;
    uint64_t received = consumed + (delivered > consumed ? rng.next() % (delivered - consumed + 1) : 0);
    tlsql::RelayOptions r;
    r.clientPending.assign(cin + consumed, cin + received);
    r.clientReceived = received;
    r.engineReceived = 0;
    r.inspect = rng.next() % 2 == 0;
    r.keywords = {"grant", "select"};
    std::vector<uint8_t> expectEngine(cin + consumed, cin + cn);
    if (r.inspect) {
      // What an inspected relay forwards when every held command is answered with itself: all of
      // it but a trailing incomplete packet (checked against the framer by fuzz-inspector).
      tlsql::MysqlInspector shadow(r.keywords);
      std::vector<uint8_t> forwarded;
      size_t done = 0;
      while (done < expectEngine.size()) {
        tlsql::HeldCommand held;
        done += shadow.process(expectEngine.data() + done, expectEngine.size() - done, forwarded, held);
        if (held.held) forwarded.insert(forwarded.end(), held.packet.begin(), held.packet.end());
      }
      expectEngine.swap(forwarded);
    }
    dp.relay(id, std::move(r));
    if (delivered > received) dp.feed(id, Side::Client, std::vector<uint8_t>(cin + received, cin + delivered));
    spin(2);
    std::vector<uint8_t> atEngine, atClient;
    size_t eoff = 0;
    size_t handled = 0;
    for (int i = 0; i < 400 && (coff < cn || eoff < en || atEngine.size() < expectEngine.size() || atClient.size() < en); i++) {
      pushSome(c[1], cin, cn, coff, 1 + rng.next() % 8192);
      pushSome(e[1], ein, en, eoff, 1 + rng.next() % 8192);
      spin(2);
      for (; handled < sink.events.size(); handled++) {
        Event& ev = sink.events[handled];
        if (ev.type == EventType::Inspect) dp.inspectDone(id, ev.partial ? std::vector<uint8_t>() : ev.data, rng.next() % 2 == 0);
        if (ev.type == EventType::Close) abort();  // nobody closed: the relay must not end by itself
      }
      spin(1);
      if (rng.next() % 4) drain(e[1], &atEngine);
      if (rng.next() % 4) drain(c[1], &atClient);
    }
    drain(e[1], &atEngine);
    drain(c[1], &atClient);
    if (atEngine != expectEngine) abort();
    if (atClient.size() != en || (en && std::memcmp(atClient.data(), ein, en) != 0)) abort();
  }
  dp.close(id, "fuzz done", rng.next() % 2 == 0);
  spin(3);
  close(c[1]);
  close(e[1]);
  spin(2);
  return 0;
}
