#include "dataplane.h"

#include <unistd.h>

#include <thread>

namespace tlsql {

Dataplane::Dataplane(const DataplaneOptions& options, EventSink& sink) {
  unsigned n = options.loops ? options.loops : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; i++) {
    loops_.push_back(std::make_unique<Loop>(i, sink));
    loops_.back()->setBusyPollMicros(options.busyPollMicros);
  }
  if (!options.manual) {
    for (auto& loop : loops_) loop->startThread();
  }
}

Dataplane::~Dataplane() { stop(); }

void Dataplane::stop() {
  if (stopped_) return;
  stopped_ = true;
  for (auto& loop : loops_) loop->stop();
}

template <typename F>
void Dataplane::onSession(uint64_t id, F&& fn) {
  if (stopped_ || id == 0) return;
  loopOf(id).post([id, fn = std::forward<F>(fn)](Loop& loop) mutable {
    if (Session* s = loop.find(id)) fn(*s);
  });
}

uint64_t Dataplane::openSession(int clientFd, const std::string& enginePath, int engineFd, std::shared_ptr<SessionCounters>* counters) {
  if (stopped_) {
    ::close(clientFd);
    if (engineFd >= 0) ::close(engineFd);
    return 0;
  }
  uint64_t id = nextId_.fetch_add(1, std::memory_order_relaxed);
  auto shared = std::make_shared<SessionCounters>();
  if (counters) *counters = shared;
  loopOf(id).post([id, clientFd, enginePath, engineFd, shared](Loop& loop) {
    auto session = std::make_unique<Session>(loop, id, clientFd, shared);
    Session* s = session.get();
    loop.adopt(std::move(session));
    s->start(enginePath, engineFd);
  });
  return id;
}

void Dataplane::write(uint64_t id, Side side, std::vector<uint8_t> bytes) {
  onSession(id, [side, b = std::move(bytes)](Session& s) mutable { s.write(side, std::move(b)); });
}

void Dataplane::ack(uint64_t id, Side side, uint64_t bytes) {
  onSession(id, [side, bytes](Session& s) { s.ack(side, bytes); });
}

void Dataplane::feed(uint64_t id, Side side, std::vector<uint8_t> bytes) {
  onSession(id, [side, b = std::move(bytes)](Session& s) mutable { s.feed(side, std::move(b)); });
}

void Dataplane::startServerTls(uint64_t id, std::shared_ptr<ServerContext> ctx, std::vector<uint8_t> preread, uint64_t received) {
  onSession(id, [ctx = std::move(ctx), p = std::move(preread), received](Session& s) mutable { s.startServerTls(std::move(ctx), std::move(p), received); });
}

void Dataplane::startClientTls(uint64_t id, std::shared_ptr<ClientContext> ctx, uint64_t received) {
  onSession(id, [ctx = std::move(ctx), received](Session& s) mutable { s.startClientTls(std::move(ctx), received); });
}

void Dataplane::relay(uint64_t id, RelayOptions options) {
  onSession(id, [o = std::move(options)](Session& s) mutable { s.relay(std::move(o)); });
}

void Dataplane::inspectDone(uint64_t id, std::vector<uint8_t> replacement, bool holdNext) {
  onSession(id, [r = std::move(replacement), holdNext](Session& s) mutable { s.inspectDone(std::move(r), holdNext); });
}

void Dataplane::close(uint64_t id, const std::string& reason, bool flush) {
  onSession(id, [reason, flush](Session& s) { s.close(reason, flush); });
}

void Dataplane::setBusyPollMicros(uint32_t micros) {
  for (auto& loop : loops_) loop->setBusyPollMicros(micros);
}

LoopStatsSnapshot Dataplane::stats(size_t i) {
  LoopStats& s = loops_[i]->stats();
  auto r = [](std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  return {r(s.sessions), r(s.sessionsOpened), r(s.relayedClientToEngine), r(s.relayedEngineToClient), r(s.events), r(s.wakeups), r(s.commands), r(s.busyPolls)};
}

}  // namespace tlsql
