// Events the I/O core reports to its owner (the N-API glue in native/addon.cc, or a fuzz harness).
// Plain data: no N-API here, so the core builds standalone for fuzzing and sanitizers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tlsql {

/** The two sockets of a session. */
enum class Side : uint8_t { Client = 0, Engine = 1 };

enum class EventType : uint8_t {
  Connected,      // the engine socket is connected (or was handed over connected)
  ConnectFailed,  // reason
  Data,           // side, data: bytes for JS (plaintext once TLS is up), in stream order
  End,            // side: the peer closed its sending side (login phase)
  Error,          // side, reason, code: socket or TLS failure on one side (login phase)
  Negotiated,     // client side: version and cipher chosen, server's first flight written
  Secure,         // side: handshake complete (version, cipher, resumed, peer certs, verify result)
  Inspect,        // data: a held client command (header + payload); partial when only its header
  Close,          // reason: the session is gone (always the last event of a session)
};

/** One event. Only the fields its type names are meaningful. */
struct Event {
  uint64_t session = 0;
  EventType type = EventType::Data;
  Side side = Side::Client;
  bool resumed = false;
  bool partial = false;
  std::vector<uint8_t> data;
  std::string version;
  std::string cipher;
  std::string reason;
  std::string code;
  /** Node's code for the verification failure (e.g. CERT_HAS_EXPIRED); empty when verified. */
  std::string verifyError;
  /** OpenSSL's X509_verify_cert_error_string for the same failure. */
  std::string verifyErrorMessage;
  /** DER, leaf first; empty when the peer sent none. */
  std::vector<std::vector<uint8_t>> peerCertificates;
};

/**
 * Where the loops deliver events. Called from loop threads, concurrently from several loops:
 * implementations must be thread-safe and must not call back into the core synchronously.
 */
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void emit(Event&& event) = 0;
};

}  // namespace tlsql
