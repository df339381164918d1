// The data plane: N I/O loops and the sessions on them. The public face of the core; the N-API
// glue (native/addon.cc) and the fuzz harnesses use only this header and event.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "event.h"
#include "loop.h"
#include "session.h"
#include "tls-context.h"

namespace tlsql {

struct DataplaneOptions {
  /** Number of I/O loops; 0 = one per CPU. */
  unsigned loops = 0;
  /** Busy polling after activity, µs; 0 = off. */
  uint32_t busyPollMicros = 0;
  /** Start no threads: the owner drives the loops with runOnce (fuzzing, deterministic tests). */
  bool manual = false;
};

/** Snapshot of one loop's counters. */
struct LoopStatsSnapshot {
  uint64_t sessions, sessionsOpened, relayedClientToEngine, relayedEngineToClient, events, wakeups, commands, busyPolls;
};

/**
 * Sessions are spread over the loops round robin and stay on theirs. Every method is called from
 * one owner thread and returns at once: the work is queued to the session's loop, and results
 * come back as events on the sink, in order per session.
 */
class Dataplane {
 public:
  Dataplane(const DataplaneOptions& options, EventSink& sink);
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  /**
   * A new session on `clientFd` (owned from now on, non-blocking). The engine: `enginePath` (a
   * unix socket, connected by the loop) or `engineFd` >= 0 (owned, already connected). Returns the
   * session id (> 0); `counters` receives the session's live byte counters.
   */
  uint64_t openSession(int clientFd, const std::string& enginePath, int engineFd, std::shared_ptr<SessionCounters>* counters);
  void write(uint64_t id, Side side, std::vector<uint8_t> bytes);
  /** JavaScript has taken `bytes` of Data off the window of `side`. */
  void ack(uint64_t id, Side side, uint64_t bytes);
  /** Bytes of `side` that were in Data events when JavaScript switched it (see session.h). */
  void feed(uint64_t id, Side side, std::vector<uint8_t> bytes);
  void startServerTls(uint64_t id, std::shared_ptr<ServerContext> ctx, std::vector<uint8_t> preread, uint64_t received);
  void startClientTls(uint64_t id, std::shared_ptr<ClientContext> ctx, uint64_t received);
  void relay(uint64_t id, RelayOptions options);
  void inspectDone(uint64_t id, std::vector<uint8_t> replacement, bool holdNext);
  void close(uint64_t id, const std::string& reason, bool flush);

  void setBusyPollMicros(uint32_t micros);
  size_t loopCount() const { return loops_.size(); }
  LoopStatsSnapshot stats(size_t loop);
  /** The loop a session lives on (manual mode drives it with runOnce). */
  Loop& loopOf(uint64_t id) { return *loops_[id % loops_.size()]; }
  Loop& loop(size_t i) { return *loops_[i]; }
  /** Stops every loop; sessions close without events. Idempotent. */
  void stop();

 private:
  template <typename F>
  void onSession(uint64_t id, F&& fn);

  std::vector<std::unique_ptr<Loop>> loops_;
  std::atomic<uint64_t> nextId_{1};
  bool stopped_ = false;
};

}  // namespace tlsql
