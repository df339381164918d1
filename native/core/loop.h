// One I/O thread: an epoll loop, an eventfd command queue, and the sessions it owns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "event.h"

namespace tlsql {

class Session;

/** Counters of one loop, read from any thread. */
struct LoopStats {
  std::atomic<uint64_t> sessions{0};
  std::atomic<uint64_t> sessionsOpened{0};
  /** Plaintext bytes the relay moved, per direction. */
  std::atomic<uint64_t> relayedClientToEngine{0};
  std::atomic<uint64_t> relayedEngineToClient{0};
  std::atomic<uint64_t> events{0};
  std::atomic<uint64_t> wakeups{0};
  std::atomic<uint64_t> commands{0};
  /** epoll_wait calls made with a zero timeout because of busy polling. */
  std::atomic<uint64_t> busyPolls{0};
};

class Loop {
 public:
  /** Largest single socket read; also the relay's per-direction bound. */
  static constexpr size_t kScratchBytes = 64 * 1024;

  Loop(unsigned index, EventSink& sink);
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  /** Runs the loop on its own thread until stop(). */
  void startThread();
  /** Stops the thread (if any) and closes every session without events. Idempotent. */
  void stop();
  /** Queues `fn` to run on the loop thread. Thread-safe. */
  void post(std::function<void(Loop&)> fn);
  /**
   * One iteration on the calling thread: queued commands, ready sockets, deadlines. Returns the
   * number of epoll events handled. For a loop without its own thread (fuzzing, tests).
   */
  int runOnce(int timeoutMs);
  /** After activity, keep polling with a zero timeout for this long before sleeping. 0: never. */
  void setBusyPollMicros(uint32_t micros) { busyPollMicros_.store(micros, std::memory_order_relaxed); }
  uint32_t busyPollMicros() const { return busyPollMicros_.load(std::memory_order_relaxed); }

  unsigned index() const { return index_; }
  LoopStats& stats() { return stats_; }
  EventSink& sink() { return sink_; }
  int epollFd() const { return epfd_; }
  uint8_t* scratch() { return scratch_.get(); }

  // Session registry (loop thread only).
  void adopt(std::unique_ptr<Session> session);
  Session* find(uint64_t id);
  /** Removes a finished session; it is deleted after the current batch of events. */
  void retire(Session* session);
  void watchDeadline(Session* session);

 private:
  void run();
  void drainCommands();
  int nextTimeoutMs(int requested);

  const unsigned index_;
  EventSink& sink_;
  int epfd_ = -1;
  int eventFd_ = -1;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint32_t> busyPollMicros_{0};
  std::mutex mutex_;
  std::vector<std::function<void(Loop&)>> queue_;
  std::vector<std::function<void(Loop&)>> running_;
  std::unordered_map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::vector<std::unique_ptr<Session>> retired_;
  std::vector<Session*> closing_;
  std::unique_ptr<uint8_t[]> scratch_;
  LoopStats stats_;
};

/** Monotonic milliseconds. */
uint64_t monotonicMs();
/** Monotonic microseconds. */
uint64_t monotonicUs();

}  // namespace tlsql
