#include "loop.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

#include "session.h"

namespace tlsql {

uint64_t monotonicUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

uint64_t monotonicMs() { return monotonicUs() / 1000u; }

Loop::Loop(unsigned index, EventSink& sink) : index_(index), sink_(sink), scratch_(new uint8_t[kScratchBytes]) {
  epfd_ = epoll_create1(EPOLL_CLOEXEC);
  eventFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || eventFd_ < 0) {
    std::string why = std::strerror(errno);
    if (epfd_ >= 0) ::close(epfd_);
    if (eventFd_ >= 0) ::close(eventFd_);
    throw std::runtime_error("cannot create an I/O loop: " + why);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the command queue
  epoll_ctl(epfd_, EPOLL_CTL_ADD, eventFd_, &ev);
}

Loop::~Loop() {
  stop();
  ::close(eventFd_);
  ::close(epfd_);
}

void Loop::startThread() {
  thread_ = std::thread([this] {
    std::string name = "tlsql-io-" + std::to_string(index_);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    run();
  });
}

void Loop::stop() {
  if (!stopping_.exchange(true)) {
    uint64_t one = 1;
    ssize_t ignored = ::write(eventFd_, &one, sizeof one);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
  // Sessions die quietly: whoever stops the loop is no longer listening for events.
  sessions_.clear();
  retired_.clear();
  closing_.clear();
  stats_.sessions.store(0, std::memory_order_relaxed);
}

void Loop::post(std::function<void(Loop&)> fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    wake = queue_.empty();
    queue_.push_back(std::move(fn));
  }
  // One wake-up per batch of commands: the loop drains the whole queue when it runs.
  if (wake) {
    uint64_t one = 1;
    ssize_t ignored = ::write(eventFd_, &one, sizeof one);
    (void)ignored;
  }
}

void Loop::drainCommands() {
  uint64_t value;
  ssize_t ignored = ::read(eventFd_, &value, sizeof value);
  (void)ignored;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.swap(queue_);
  }
  stats_.commands.fetch_add(running_.size(), std::memory_order_relaxed);
  for (auto& fn : running_) fn(*this);
  running_.clear();
}

void Loop::adopt(std::unique_ptr<Session> session) {
  uint64_t id = session->id();
  sessions_[id] = std::move(session);
  stats_.sessions.store(sessions_.size(), std::memory_order_relaxed);
  stats_.sessionsOpened.fetch_add(1, std::memory_order_relaxed);
}

Session* Loop::find(uint64_t id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void Loop::retire(Session* session) {
  auto it = sessions_.find(session->id());
  if (it == sessions_.end()) return;
  retired_.push_back(std::move(it->second));
  sessions_.erase(it);
  closing_.erase(std::remove(closing_.begin(), closing_.end(), session), closing_.end());
  stats_.sessions.store(sessions_.size(), std::memory_order_relaxed);
}

void Loop::watchDeadline(Session* session) { closing_.push_back(session); }

int Loop::nextTimeoutMs(int requested) {
  if (closing_.empty()) return requested;
  uint64_t now = monotonicMs();
  uint64_t soonest = UINT64_MAX;
  for (Session* s : closing_) soonest = std::min(soonest, s->closingDeadlineMs());
  int until = soonest <= now ? 0 : static_cast<int>(std::min<uint64_t>(soonest - now, 60000));
  return requested < 0 ? until : std::min(requested, until);
}

int Loop::runOnce(int timeoutMs) {
  epoll_event events[64];
  int n = epoll_wait(epfd_, events, 64, nextTimeoutMs(timeoutMs));
  if (n < 0) n = 0;  // EINTR
  for (int i = 0; i < n; i++) {
    auto* side = static_cast<SideState*>(events[i].data.ptr);
    if (!side) {
      drainCommands();
      continue;
    }
    side->owner->onReady(*side, events[i].events);
  }
  if (!closing_.empty()) {
    uint64_t now = monotonicMs();
    std::vector<Session*> due;
    for (Session* s : closing_) {
      if (now >= s->closingDeadlineMs()) due.push_back(s);
    }
    for (Session* s : due) s->checkDeadline(now);
  }
  // Deleted only now: later events of this batch may still name a retired session's sockets.
  retired_.clear();
  return n;
}

void Loop::run() {
  uint64_t busyUntilUs = 0;
  while (!stopping_.load(std::memory_order_relaxed)) {
    const uint32_t busy = busyPollMicros_.load(std::memory_order_relaxed);
    int timeout = -1;
    if (busy > 0 && busyUntilUs > 0) {
      if (monotonicUs() < busyUntilUs) {
        timeout = 0;
        stats_.busyPolls.fetch_add(1, std::memory_order_relaxed);
      } else {
        busyUntilUs = 0;
      }
    }
    int n = runOnce(timeout);
    if (n > 0) {
      if (timeout != 0) stats_.wakeups.fetch_add(1, std::memory_order_relaxed);
      if (busy > 0) busyUntilUs = monotonicUs() + busy;
    }
  }
}

}  // namespace tlsql
