// One front-door session: the client's TCP socket and the engine's unix socket, with the TLS
// objects of both, living on one loop thread for its whole life. JavaScript drives the login
// (bytes in Data events, bytes out by write commands), then hands the session to the relay.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event.h"
#include "fd-bio.h"
#include "mysql-inspector.h"
#include "tls-context.h"

namespace tlsql {

class Loop;
class Session;

/** Socket byte counters, written by the loop, read by JavaScript at any time. */
struct SessionCounters {
  std::atomic<uint64_t> clientIn{0};
  std::atomic<uint64_t> clientOut{0};
  std::atomic<uint64_t> engineIn{0};
  std::atomic<uint64_t> engineOut{0};
};

/** What `relay` starts with. */
struct RelayOptions {
  /** Client bytes JavaScript read and did not consume: they go to the engine first. */
  std::vector<uint8_t> clientPending;
  /** Engine bytes JavaScript read and did not consume: they go to the client first. */
  std::vector<uint8_t> enginePending;
  /** Bytes JavaScript had received in Data events from each side when it asked for the relay. */
  uint64_t clientReceived = 0;
  uint64_t engineReceived = 0;
  bool inspect = false;
  std::vector<std::string> keywords;
};

/** One socket of a session and its TLS state. */
struct SideState {
  enum class Mode : uint8_t { Idle, Js, Handshake, Relay, Dead };

  Session* owner = nullptr;
  Side which = Side::Client;
  int fd = -1;
  SSL* ssl = nullptr;
  FdBioState bio;
  Mode mode = Mode::Idle;
  bool isServer = false;
  bool tlsUp = false;
  /** The peer will send nothing more. */
  bool eof = false;
  bool readWantsWrite = false;
  bool writeWantsRead = false;
  bool handshakeWantsWrite = false;
  bool negotiatedSent = false;
  /** epoll interest currently registered (0: not registered). */
  uint32_t armed = 0;
  /** Bytes sent to JavaScript in Data events, and how many it has taken off the window. */
  uint64_t delivered = 0;
  uint64_t acked = 0;
  /** Bytes that were in Data events on their way to JavaScript when it switched this side: they come back by feed() and precede anything read from the socket now. */
  uint64_t gapRemaining = 0;
  /** Written to the socket as they are (queued before TLS started, e.g. the SSLRequest). */
  std::vector<uint8_t> rawOut;
  size_t rawOutOffset = 0;
  /** Written through the transport (TLS once up): JavaScript's writes, then the relay's. */
  std::vector<uint8_t> out;
  size_t outOffset = 0;
  std::shared_ptr<ServerContext> serverContext;
  std::shared_ptr<ClientContext> clientContext;
  const void* offeredSession = nullptr;

  size_t rawPending() const { return rawOut.size() - rawOutOffset; }
  size_t outPending() const { return out.size() - outOffset; }
  bool transportReady() const { return !ssl || tlsUp; }
};

class Session {
 public:
  enum class Phase : uint8_t { Connecting, Open, Relay, Closing, Closed };

  /** Takes ownership of `clientFd`. */
  Session(Loop& loop, uint64_t id, int clientFd, std::shared_ptr<SessionCounters> counters);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  uint64_t id() const { return id_; }
  Phase phase() const { return phase_; }

  /** Connects to `enginePath` (non-blocking), or adopts `engineFd` (>= 0, owned from now on). */
  void start(const std::string& enginePath, int engineFd);

  // Commands from JavaScript, run on the loop thread in the order they were given.
  void write(Side side, std::vector<uint8_t> bytes);
  void ack(Side side, uint64_t bytes);
  void feed(Side side, std::vector<uint8_t> bytes);
  void startServerTls(std::shared_ptr<ServerContext> ctx, std::vector<uint8_t> preread, uint64_t received);
  void startClientTls(std::shared_ptr<ClientContext> ctx, uint64_t received);
  void relay(RelayOptions options);
  void inspectDone(std::vector<uint8_t> replacement, bool holdNext);
  /** Ends the session; with `flush`, what is queued for either socket is written first (bounded by a deadline). */
  void close(const std::string& reason, bool flush);

  /** Readiness of one socket (epoll events). */
  void onReady(SideState& side, uint32_t events);
  /** A closing session that could not flush in time is closed; `nowMs` monotonic. */
  void checkDeadline(uint64_t nowMs);
  uint64_t closingDeadlineMs() const { return closingDeadlineMs_; }

 private:
  SideState& peer(SideState& s) { return &s == &client_ ? engine_ : client_; }
  const char* name(const SideState& s) const { return s.which == Side::Client ? "client" : "engine"; }
  void emit(Event&& e);
  void emitSimple(EventType type, Side side, std::string reason = {}, std::string code = {});

  void finishConnect();
  void handshake(SideState& s);
  void emitSecure(SideState& s);
  void readJs(SideState& s);
  /** The shared tail of startServerTls/startClientTls: settles bytes in flight and starts the handshake. */
  void enterHandshake(SideState& s, uint64_t received);
  void pump(SideState& from, SideState& to);
  void deliver(SideState& from, SideState& to, const uint8_t* data, size_t n);
  void deliverToEngineInspected(const uint8_t* data, size_t n);
  void writeThrough(SideState& to, const uint8_t* data, size_t n);

  enum class ReadStatus : uint8_t { More, WouldBlock, Eof, Error };
  size_t readInto(SideState& s, uint8_t* buf, size_t cap, ReadStatus& status, std::string& error);
  size_t readIntoImpl(SideState& s, uint8_t* buf, size_t cap, ReadStatus& status, std::string& error);
  /** Writes what is queued; true when nothing is left. On a hard failure, handles it and returns false. */
  bool flushRaw(SideState& s);
  bool flushOut(SideState& s);
  void sideFailed(SideState& s, const std::string& reason, const std::string& code);
  void sideEof(SideState& s);
  void beginClose(const std::string& reason);
  void maybeFinishClosing();
  void finish(const std::string& reason);
  void updateInterest(SideState& s);
  void updateInterest() {
    updateInterest(client_);
    updateInterest(engine_);
  }

  Loop& loop_;
  const uint64_t id_;
  std::shared_ptr<SessionCounters> counters_;
  Phase phase_ = Phase::Connecting;
  SideState client_;
  SideState engine_;
  std::unique_ptr<MysqlInspector> inspector_;
  bool inspectPaused_ = false;
  bool heldPartial_ = false;
  std::vector<uint8_t> heldPacket_;
  /** Client bytes read while a command was held, processed once JavaScript answers. */
  std::vector<uint8_t> heldInput_;
  std::string closeReason_;
  uint64_t closingDeadlineMs_ = 0;
};

}  // namespace tlsql
