#include "session.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "loop.h"

#ifdef TLSQL_TRACE
#include <cstdio>
#define TRACE(...) std::fprintf(stderr, __VA_ARGS__)
#else
#define TRACE(...) (void)0
#endif

namespace tlsql {
namespace {

/** Bytes JavaScript may hold unacknowledged per side before the loop stops reading it. */
constexpr uint64_t kJsWindowBytes = 256 * 1024;
/** How long a closing session may take to flush what is queued. */
constexpr uint64_t kCloseFlushMs = 5000;
/** Reads per readiness event before the loop serves other sessions. */
constexpr int kMaxReadsPerEvent = 16;

std::string errnoName(int err) {
  switch (err) {
    case ECONNRESET: return "ECONNRESET";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case ENOTCONN: return "ENOTCONN";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    default: return "E" + std::to_string(err);
  }
}

void compact(std::vector<uint8_t>& buf, size_t& offset) {
  if (offset == 0) return;
  if (offset >= buf.size()) {
    buf.clear();
  } else {
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(offset));
  }
  offset = 0;
}

/** Node's code for an OpenSSL reason ("no shared cipher" -> ERR_SSL_NO_SHARED_CIPHER). */
std::string sslCode(const std::string& reason) {
  std::string code = "ERR_SSL_";
  for (char c : reason) code += c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return code;
}

}  // namespace

Session::Session(Loop& loop, uint64_t id, int clientFd, std::shared_ptr<SessionCounters> counters)
    : loop_(loop), id_(id), counters_(std::move(counters)) {
  client_.owner = this;
  client_.which = Side::Client;
  client_.fd = clientFd;
  client_.isServer = true;
  client_.bio.fd = clientFd;
  client_.bio.bytesRead = &counters_->clientIn;
  client_.bio.bytesWritten = &counters_->clientOut;
  engine_.owner = this;
  engine_.which = Side::Engine;
  engine_.bio.bytesRead = &counters_->engineIn;
  engine_.bio.bytesWritten = &counters_->engineOut;
}

// Frees a connection's SSL without OpenSSL discarding its session: a connection freed without a
// close_notify has its session marked not resumable (ssl_clear_bad_session), and on a resumed
// engine link that session is the one the link context offers to every next link
// (ClientContext::offerSession). Closing a socket says nothing against the session.
static void freeSsl(SSL* ssl) {
  SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
  SSL_free(ssl);
}

Session::~Session() {
  for (SideState* s : {&client_, &engine_}) {
    if (s->ssl) freeSsl(s->ssl);
    if (s->fd >= 0) ::close(s->fd);
  }
}

void Session::emit(Event&& e) {
  e.session = id_;
  TRACE("[%llu] emit type=%d side=%d n=%zu\n", (unsigned long long)id_, (int)e.type, (int)e.side, e.data.size());
  loop_.stats().events.fetch_add(1, std::memory_order_relaxed);
  loop_.sink().emit(std::move(e));
}

void Session::emitSimple(EventType type, Side side, std::string reason, std::string code) {
  Event e;
  e.type = type;
  e.side = side;
  e.reason = std::move(reason);
  e.code = std::move(code);
  emit(std::move(e));
}

// ---- connecting ---------------------------------------------------------------------------

void Session::start(const std::string& enginePath, int engineFd) {
  client_.mode = SideState::Mode::Js;
  if (engineFd >= 0) {
    engine_.fd = engineFd;
    engine_.bio.fd = engineFd;
    phase_ = Phase::Open;
    engine_.mode = SideState::Mode::Js;
    emitSimple(EventType::Connected, Side::Engine);
    updateInterest();
    return;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (enginePath.empty() || enginePath.size() >= sizeof addr.sun_path) {
    phase_ = Phase::Open;
    engine_.mode = SideState::Mode::Dead;
    emitSimple(EventType::ConnectFailed, Side::Engine, "engine socket path is empty or too long", "EINVAL");
    updateInterest();
    return;
  }
  std::memcpy(addr.sun_path, enginePath.data(), enginePath.size());
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    int err = errno;
    phase_ = Phase::Open;
    engine_.mode = SideState::Mode::Dead;
    emitSimple(EventType::ConnectFailed, Side::Engine, std::string("socket: ") + std::strerror(err), errnoName(err));
    updateInterest();
    return;
  }
  engine_.fd = fd;
  engine_.bio.fd = fd;
  int r;
  do {
    r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } while (r < 0 && errno == EINTR);
  if (r == 0) {
    finishConnect();
    return;
  }
  if (errno == EINPROGRESS) {
    updateInterest();  // waits for EPOLLOUT
    return;
  }
  int err = errno;
  phase_ = Phase::Open;
  engine_.mode = SideState::Mode::Dead;
  // A unix socket whose listen backlog is full answers EAGAIN (it cannot be waited for).
  emitSimple(EventType::ConnectFailed, Side::Engine, std::string("connect ") + enginePath + ": " + std::strerror(err), errnoName(err));
  updateInterest();
}

void Session::finishConnect() {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(engine_.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  phase_ = Phase::Open;
  if (err) {
    engine_.mode = SideState::Mode::Dead;
    emitSimple(EventType::ConnectFailed, Side::Engine, std::string("connect: ") + std::strerror(err), errnoName(err));
  } else {
    engine_.mode = SideState::Mode::Js;
    emitSimple(EventType::Connected, Side::Engine);
  }
  updateInterest();
  if (!err) flushOut(engine_);
  if (phase_ != Phase::Closed) updateInterest();
}

// ---- commands -----------------------------------------------------------------------------

void Session::write(Side side, std::vector<uint8_t> bytes) {
  TRACE("[%llu] write side=%d n=%zu\n", (unsigned long long)id_, (int)side, bytes.size());
  // Once relayed, a side's byte stream belongs to the relay: a write would land mid-packet.
  if (phase_ == Phase::Closed || phase_ == Phase::Closing || phase_ == Phase::Relay) return;
  SideState& s = side == Side::Client ? client_ : engine_;
  if (s.mode == SideState::Mode::Dead) return;
  s.out.insert(s.out.end(), bytes.begin(), bytes.end());
  const bool connecting = phase_ == Phase::Connecting && side == Side::Engine;
  if (!connecting && s.transportReady() && s.mode != SideState::Mode::Handshake) flushOut(s);
  if (phase_ != Phase::Closed) updateInterest(s);
}

void Session::ack(Side side, uint64_t bytes) {
  TRACE("[%llu] ack side=%d n=%llu\n", (unsigned long long)id_, (int)side, (unsigned long long)bytes);
  if (phase_ == Phase::Closed) return;
  SideState& s = side == Side::Client ? client_ : engine_;
  s.acked = std::min(s.delivered, s.acked + bytes);
  // Data may be waiting inside OpenSSL, where epoll cannot see it: read now.
  if (s.mode == SideState::Mode::Js) readJs(s);
  if (phase_ != Phase::Closed) updateInterest(s);
}

void Session::feed(Side side, std::vector<uint8_t> bytes) {
  TRACE("[%llu] feed side=%d n=%zu\n", (unsigned long long)id_, (int)side, bytes.size());
  if (phase_ == Phase::Closed || bytes.empty()) return;
  SideState& s = side == Side::Client ? client_ : engine_;
  // More than was in flight would be a caller bug; never let it reorder the stream.
  size_t n = static_cast<size_t>(std::min<uint64_t>(s.gapRemaining, bytes.size()));
  if (n == 0) return;
  s.gapRemaining -= n;
  // Handed back, so no longer held by JavaScript: they leave its read window.
  s.acked = std::min(s.delivered, s.acked + n);
  if (s.mode == SideState::Mode::Handshake) {
    s.bio.prefix.insert(s.bio.prefix.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    s.bio.holdSocket = s.gapRemaining > 0;
    handshake(s);
  } else if (s.mode == SideState::Mode::Relay && phase_ == Phase::Relay) {
    deliver(s, peer(s), bytes.data(), n);
    // The gap filled: the side's end, if it came meanwhile, closes the relay (as relay() does).
    if (phase_ == Phase::Relay && s.gapRemaining == 0) {
      if (s.eof) sideEof(s);
      else pump(s, peer(s));
    }
  }
  if (phase_ != Phase::Closed) updateInterest();
}

void Session::startServerTls(std::shared_ptr<ServerContext> ctx, std::vector<uint8_t> preread, uint64_t received) {
  SideState& s = client_;
  if (phase_ == Phase::Closed || phase_ == Phase::Closing || s.mode != SideState::Mode::Js || s.ssl) return;
  s.serverContext = std::move(ctx);
  s.ssl = SSL_new(s.serverContext->ctx());
  BIO* bio = s.ssl ? newFdBio(&s.bio) : nullptr;
  if (!bio) {
    sideFailed(s, "SSL_new failed: " + takeOpensslError("out of memory"), "ERR_SSL_INTERNAL");
    return;
  }
  SSL_set_bio(s.ssl, bio, bio);
  SSL_set_accept_state(s.ssl);
  s.bio.prefix = std::move(preread);
  s.bio.prefixOffset = 0;
  enterHandshake(s, received);
}

void Session::startClientTls(std::shared_ptr<ClientContext> ctx, uint64_t received) {
  SideState& s = engine_;
  if (phase_ == Phase::Closed || phase_ == Phase::Closing || s.mode != SideState::Mode::Js || s.ssl) return;
  s.clientContext = std::move(ctx);
  ClientContext& c = *s.clientContext;
  s.ssl = SSL_new(c.ctx());
  BIO* bio = s.ssl ? newFdBio(&s.bio) : nullptr;
  if (!bio) {
    sideFailed(s, "SSL_new failed: " + takeOpensslError("out of memory"), "ERR_SSL_INTERNAL");
    return;
  }
  SSL_set_bio(s.ssl, bio, bio);
  SSL_set_connect_state(s.ssl);
  bool ok;
  if (c.servernameIsIp()) {
    ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl), c.servername().c_str()) == 1;
  } else {
    ok = SSL_set_tlsext_host_name(s.ssl, c.servername().c_str()) == 1 && SSL_set1_host(s.ssl, c.servername().c_str()) == 1;
  }
  if (!ok) {
    sideFailed(s, "cannot set the engine's name for verification: " + takeOpensslError("rejected"), "ERR_SSL_INTERNAL");
    return;
  }
  s.offeredSession = c.offerSession(s.ssl);
  enterHandshake(s, received);
}

void Session::enterHandshake(SideState& s, uint64_t received) {
  // Bytes still on their way to JavaScript come back through feed() before the socket is read.
  s.gapRemaining = s.delivered > received ? s.delivered - received : 0;
  s.bio.holdSocket = s.gapRemaining > 0;
  // Bytes JavaScript wrote before asking for TLS precede the handshake, in the clear.
  s.rawOut.insert(s.rawOut.end(), s.out.begin() + static_cast<std::ptrdiff_t>(s.outOffset), s.out.end());
  s.out.clear();
  s.outOffset = 0;
  s.mode = SideState::Mode::Handshake;
  handshake(s);
  if (phase_ != Phase::Closed) updateInterest(s);
}

void Session::relay(RelayOptions o) {
  TRACE("[%llu] relay clientPending=%zu enginePending=%zu clientRecv=%llu delivered=%llu engineRecv=%llu delivered=%llu\n", (unsigned long long)id_, o.clientPending.size(), o.enginePending.size(), (unsigned long long)o.clientReceived, (unsigned long long)client_.delivered, (unsigned long long)o.engineReceived, (unsigned long long)engine_.delivered);
  if (phase_ != Phase::Open) return;
  for (SideState* s : {&client_, &engine_}) {
    if (s->mode != SideState::Mode::Js) {
      close(std::string(name(*s)) + " is not ready for the relay", false);
      return;
    }
  }
  phase_ = Phase::Relay;
  client_.mode = SideState::Mode::Relay;
  engine_.mode = SideState::Mode::Relay;
  client_.gapRemaining = client_.delivered > o.clientReceived ? client_.delivered - o.clientReceived : 0;
  engine_.gapRemaining = engine_.delivered > o.engineReceived ? engine_.delivered - o.engineReceived : 0;
  if (o.inspect) inspector_ = std::make_unique<MysqlInspector>(o.keywords);
  if (!o.clientPending.empty()) deliver(client_, engine_, o.clientPending.data(), o.clientPending.size());
  if (phase_ != Phase::Relay) return;
  if (!o.enginePending.empty()) deliver(engine_, client_, o.enginePending.data(), o.enginePending.size());
  if (phase_ != Phase::Relay) return;
  // A side that already ended (its End event went to JavaScript) ends the relay once flushed.
  if (client_.eof && client_.gapRemaining == 0) {
    sideEof(client_);
    return;
  }
  if (engine_.eof && engine_.gapRemaining == 0) {
    sideEof(engine_);
    return;
  }
  // OpenSSL may hold decrypted bytes epoll cannot see: pump both ways now.
  pump(client_, engine_);
  if (phase_ == Phase::Relay) pump(engine_, client_);
  if (phase_ != Phase::Closed) updateInterest();
}

void Session::inspectDone(std::vector<uint8_t> replacement, bool holdNext) {
  if (phase_ != Phase::Relay || !inspector_ || !inspectPaused_) return;
  inspectPaused_ = false;
  engine_.out.insert(engine_.out.end(), replacement.begin(), replacement.end());
  // A partial hold kept only the command's header: its payload streams after it.
  if (heldPartial_) engine_.out.insert(engine_.out.end(), heldPacket_.begin(), heldPacket_.end());
  heldPacket_.clear();
  heldPartial_ = false;
  if (holdNext) inspector_->holdNextCommand();
  std::vector<uint8_t> input;
  input.swap(heldInput_);
  if (!input.empty()) deliverToEngineInspected(input.data(), input.size());
  if (phase_ != Phase::Relay) return;
  if (flushOut(engine_) && !inspectPaused_) {
    if (client_.eof && client_.gapRemaining == 0) {
      sideEof(client_);
      return;
    }
    pump(client_, engine_);
  }
  if (phase_ != Phase::Closed) updateInterest();
}

void Session::close(const std::string& reason, bool flush) {
  if (phase_ == Phase::Closed) return;
  if (flush) {
    beginClose(reason);
  } else {
    finish(reason);
  }
}

// ---- TLS handshakes -----------------------------------------------------------------------

void Session::handshake(SideState& s) {
  TRACE("[%llu] handshake side=%d mode=%d\n", (unsigned long long)id_, (int)s.which, (int)s.mode);
  if (s.mode != SideState::Mode::Handshake) return;
  if (!flushRaw(s)) return;
  s.handshakeWantsWrite = false;
  int r = SSL_do_handshake(s.ssl);
  if (r == 1) {
    s.tlsUp = true;
    s.mode = SideState::Mode::Js;
    if (s.isServer && !s.negotiatedSent) {
      // A resumed or fast handshake can finish in one step: report the choice before 'secure'.
      s.negotiatedSent = true;
      Event e;
      e.type = EventType::Negotiated;
      e.side = s.which;
      e.version = SSL_get_version(s.ssl);
      e.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(s.ssl));
      emit(std::move(e));
    }
    emitSecure(s);
    if (!flushOut(s)) return;
    readJs(s);
    return;
  }
  int err = SSL_get_error(s.ssl, r);
  if (err == SSL_ERROR_WANT_READ) {
    if (s.isServer && !s.negotiatedSent) {
      const SSL_CIPHER* cipher = SSL_get_pending_cipher(s.ssl);
      if (!cipher) cipher = SSL_get_current_cipher(s.ssl);
      // WANT_READ (not WANT_WRITE) after the ClientHello: the server's flight is on the wire.
      if (cipher) {
        s.negotiatedSent = true;
        Event e;
        e.type = EventType::Negotiated;
        e.side = s.which;
        e.version = protocolName(SSL_version(s.ssl));
        e.cipher = SSL_CIPHER_get_name(cipher);
        emit(std::move(e));
      }
    }
    if (s.bio.eof) {
      sideFailed(s, std::string(name(s)) + " closed the connection during the TLS handshake", "ECONNRESET");
    }
    return;
  }
  if (err == SSL_ERROR_WANT_WRITE) {
    s.handshakeWantsWrite = true;
    return;
  }
  std::string reason, code;
  if (s.bio.error) {
    reason = std::string(name(s)) + " socket error during the TLS handshake: " + std::strerror(s.bio.error);
    code = errnoName(s.bio.error);
    ERR_clear_error();
  } else if (s.bio.eof) {
    ERR_clear_error();
    reason = std::string(name(s)) + " closed the connection during the TLS handshake";
    code = "ECONNRESET";
  } else {
    std::string detail = takeOpensslError("handshake failed");
    long verify = SSL_get_verify_result(s.ssl);
    if (!s.isServer && verify != X509_V_OK) {
      reason = std::string("engine certificate verification failed: ") + X509_verify_cert_error_string(verify);
      code = x509ErrorCode(verify);
    } else {
      reason = detail;
      code = sslCode(detail);
    }
  }
  if (s.clientContext) s.clientContext->forgetSession(s.offeredSession);
  sideFailed(s, reason, code);
}

void Session::emitSecure(SideState& s) {
  Event e;
  e.type = EventType::Secure;
  e.side = s.which;
  e.version = SSL_get_version(s.ssl);
  e.cipher = SSL_CIPHER_get_name(SSL_get_current_cipher(s.ssl));
  e.resumed = SSL_session_reused(s.ssl) == 1;
  if (s.isServer) {
    X509* leaf = SSL_get0_peer_certificate(s.ssl);
    if (leaf) {
      auto der = [](X509* x) {
        std::vector<uint8_t> out;
        int len = i2d_X509(x, nullptr);
        if (len <= 0) return out;
        out.resize(static_cast<size_t>(len));
        unsigned char* p = out.data();
        i2d_X509(x, &p);
        return out;
      };
      e.peerCertificates.push_back(der(leaf));
      // On a server the peer chain excludes the leaf (SSL_get_peer_cert_chain(3)).
      STACK_OF(X509)* chain = SSL_get_peer_cert_chain(s.ssl);
      for (int i = 0; chain && i < sk_X509_num(chain); i++) {
        X509* x = sk_X509_value(chain, i);
        if (X509_cmp(x, leaf) != 0) e.peerCertificates.push_back(der(x));
      }
      long verify = SSL_get_verify_result(s.ssl);
      if (verify != X509_V_OK) {
        e.verifyError = x509ErrorCode(verify);
        e.verifyErrorMessage = X509_verify_cert_error_string(verify);
      }
    }
  }
  emit(std::move(e));
}

// ---- reading and writing ------------------------------------------------------------------

size_t Session::readInto(SideState& s, uint8_t* buf, size_t cap, ReadStatus& status, std::string& error) {
  size_t total = readIntoImpl(s, buf, cap, status, error);
  TRACE("[%llu] read side=%d n=%zu status=%d\n", (unsigned long long)id_, (int)s.which, total, (int)status);
  return total;
}

size_t Session::readIntoImpl(SideState& s, uint8_t* buf, size_t cap, ReadStatus& status, std::string& error) {
  size_t total = 0;
  status = ReadStatus::More;
  s.readWantsWrite = false;
  while (total < cap) {
    if (s.ssl) {
      int r = SSL_read(s.ssl, buf + total, static_cast<int>(std::min<size_t>(cap - total, 1 << 30)));
      if (r > 0) {
        total += static_cast<size_t>(r);
        // Nothing buffered in OpenSSL and the last recv came back short: the socket is drained,
        // so skip the read that would only say EAGAIN.
        if (!SSL_has_pending(s.ssl) && s.bio.drained) {
          status = ReadStatus::WouldBlock;
          return total;
        }
        continue;
      }
      int err = SSL_get_error(s.ssl, r);
      switch (err) {
        case SSL_ERROR_WANT_READ:
          status = ReadStatus::WouldBlock;
          return total;
        case SSL_ERROR_WANT_WRITE:
          s.readWantsWrite = true;
          status = ReadStatus::WouldBlock;
          return total;
        case SSL_ERROR_ZERO_RETURN:
          status = ReadStatus::Eof;
          return total;
        default:
          // A peer that closes without close_notify has still closed: MySQL frames itself, so a
          // truncation cannot be mistaken for a complete message.
          if (s.bio.eof && !s.bio.error) {
            ERR_clear_error();
            status = ReadStatus::Eof;
          } else {
            status = ReadStatus::Error;
            error = s.bio.error ? errnoName(s.bio.error) : takeOpensslError("TLS read failed");
            ERR_clear_error();
          }
          return total;
      }
    }
    const size_t want = cap - total;
    ssize_t n = ::recv(s.fd, buf + total, want, 0);
    if (n > 0) {
      bump(s.bio.bytesRead, static_cast<uint64_t>(n));
      total += static_cast<size_t>(n);
      if (static_cast<size_t>(n) < want) {
        status = ReadStatus::WouldBlock;  // short read: drained
        return total;
      }
      continue;
    }
    if (n == 0) {
      status = ReadStatus::Eof;
      return total;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      status = ReadStatus::WouldBlock;
      return total;
    }
    status = ReadStatus::Error;
    error = errnoName(errno);
    return total;
  }
  return total;
}

bool Session::flushRaw(SideState& s) {
  while (s.rawPending() > 0) {
    ssize_t n = ::send(s.fd, s.rawOut.data() + s.rawOutOffset, s.rawPending(), MSG_NOSIGNAL);
    if (n > 0) {
      bump(s.bio.bytesWritten, static_cast<uint64_t>(n));
      s.rawOutOffset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    sideFailed(s, std::string(name(s)) + " write failed: " + std::strerror(errno), errnoName(errno));
    return false;
  }
  s.rawOut.clear();
  s.rawOutOffset = 0;
  return true;
}

bool Session::flushOut(SideState& s) {
  if (!flushRaw(s)) return false;
  if (!s.transportReady() || s.fd < 0) return s.outPending() == 0;
  s.writeWantsRead = false;
  while (s.outPending() > 0) {
    const uint8_t* data = s.out.data() + s.outOffset;
    size_t len = s.outPending();
    if (s.ssl) {
      int r = SSL_write(s.ssl, data, static_cast<int>(std::min<size_t>(len, 1 << 30)));
      if (r > 0) {
        s.outOffset += static_cast<size_t>(r);
        continue;
      }
      int err = SSL_get_error(s.ssl, r);
      if (err == SSL_ERROR_WANT_WRITE) return false;
      if (err == SSL_ERROR_WANT_READ) {
        s.writeWantsRead = true;
        return false;
      }
      std::string code = s.bio.error ? errnoName(s.bio.error) : sslCode(takeOpensslError("TLS write failed"));
      ERR_clear_error();
      sideFailed(s, std::string(name(s)) + " TLS write failed: " + code, code);
      return false;
    }
    ssize_t n = ::send(s.fd, data, len, MSG_NOSIGNAL);
    if (n > 0) {
      bump(s.bio.bytesWritten, static_cast<uint64_t>(n));
      s.outOffset += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      compact(s.out, s.outOffset);
      return false;
    }
    int err = errno;
    sideFailed(s, std::string(name(s)) + " write failed: " + std::strerror(err), errnoName(err));
    return false;
  }
  s.out.clear();
  s.outOffset = 0;
  // A burst's buffer is not kept: idle sessions hold no relay memory.
  if (s.out.capacity() > Loop::kScratchBytes) s.out.shrink_to_fit();
  return true;
}

void Session::readJs(SideState& s) {
  if (s.mode != SideState::Mode::Js || s.eof || s.gapRemaining > 0 || !s.transportReady() || s.fd < 0) return;
  if (phase_ != Phase::Open && phase_ != Phase::Connecting) return;
  while (s.delivered - s.acked < kJsWindowBytes) {
    size_t room = static_cast<size_t>(std::min<uint64_t>(Loop::kScratchBytes, kJsWindowBytes - (s.delivered - s.acked)));
    ReadStatus status;
    std::string error;
    size_t n = readInto(s, loop_.scratch(), room, status, error);
    if (n > 0) {
      Event e;
      e.type = EventType::Data;
      e.side = s.which;
      e.data.assign(loop_.scratch(), loop_.scratch() + n);
      s.delivered += n;
      emit(std::move(e));
    }
    if (status == ReadStatus::Eof) {
      s.eof = true;
      emitSimple(EventType::End, s.which);
      break;
    }
    if (status == ReadStatus::Error) {
      sideFailed(s, std::string(name(s)) + " read failed: " + error, error);
      return;
    }
    if (status == ReadStatus::WouldBlock) break;
  }
  if (s.writeWantsRead) flushOut(s);
}

// ---- relay --------------------------------------------------------------------------------

void Session::writeThrough(SideState& to, const uint8_t* data, size_t n) {
  if (to.outPending() == 0 && to.rawPending() == 0 && to.fd >= 0) {
    // The common case: straight from the read buffer to the other socket, no copy.
    size_t off = 0;
    while (off < n) {
      if (to.ssl) {
        int r = SSL_write(to.ssl, data + off, static_cast<int>(std::min<size_t>(n - off, 1 << 30)));
        if (r > 0) {
          off += static_cast<size_t>(r);
          continue;
        }
        int err = SSL_get_error(to.ssl, r);
        if (err == SSL_ERROR_WANT_READ) to.writeWantsRead = true;
        if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
          std::string code = to.bio.error ? errnoName(to.bio.error) : sslCode(takeOpensslError("TLS write failed"));
          ERR_clear_error();
          sideFailed(to, std::string(name(to)) + " TLS write failed: " + code, code);
          return;
        }
        break;
      }
      ssize_t w = ::send(to.fd, data + off, n - off, MSG_NOSIGNAL);
      if (w > 0) {
        bump(to.bio.bytesWritten, static_cast<uint64_t>(w));
        off += static_cast<size_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      int err = errno;
      sideFailed(to, std::string(name(to)) + " write failed: " + std::strerror(err), errnoName(err));
      return;
    }
    // The rest waits (a TLS write that blocked is retried with the same bytes, from the buffer).
    if (off < n) to.out.insert(to.out.end(), data + off, data + n);
    return;
  }
  to.out.insert(to.out.end(), data, data + n);
  flushOut(to);
}

void Session::deliver(SideState& from, SideState& to, const uint8_t* data, size_t n) {
  auto& counter = from.which == Side::Client ? loop_.stats().relayedClientToEngine : loop_.stats().relayedEngineToClient;
  counter.fetch_add(n, std::memory_order_relaxed);
  if (from.which == Side::Client && inspector_) {
    deliverToEngineInspected(data, n);
    if (phase_ == Phase::Relay) flushOut(to);
    return;
  }
  writeThrough(to, data, n);
}

void Session::deliverToEngineInspected(const uint8_t* data, size_t n) {
  if (inspectPaused_) {
    heldInput_.insert(heldInput_.end(), data, data + n);
    return;
  }
  HeldCommand held;
  size_t used = inspector_->process(data, n, engine_.out, held);
  if (!held.held) return;
  inspectPaused_ = true;
  heldPartial_ = held.partial;
  heldPacket_ = held.partial ? held.packet : std::vector<uint8_t>();
  heldInput_.assign(data + used, data + n);
  Event e;
  e.type = EventType::Inspect;
  e.side = Side::Client;
  e.partial = held.partial;
  e.data = std::move(held.packet);
  emit(std::move(e));
}

void Session::pump(SideState& from, SideState& to) {
  if (phase_ != Phase::Relay) return;
  if (!flushOut(to)) return;
  if (from.eof || from.gapRemaining > 0) return;
  if (from.which == Side::Client && inspectPaused_) return;
  int reads = 0;
  for (; reads < kMaxReadsPerEvent; reads++) {
    ReadStatus status;
    std::string error;
    size_t n = readInto(from, loop_.scratch(), Loop::kScratchBytes, status, error);
    if (n > 0) deliver(from, to, loop_.scratch(), n);
    if (phase_ != Phase::Relay) return;
    if (status == ReadStatus::Eof) {
      sideEof(from);
      return;
    }
    if (status == ReadStatus::Error) {
      sideFailed(from, std::string(name(from)) + " read failed: " + error, error);
      return;
    }
    if (status == ReadStatus::WouldBlock) break;
    if (to.outPending() > 0 || to.rawPending() > 0 || (from.which == Side::Client && inspectPaused_)) break;
  }
  if (from.writeWantsRead) flushOut(from);
  // Yielded after its quota with records OpenSSL already decrypted (read-ahead) and maybe none
  // left on the socket: epoll would never report them, so the direction is pumped again from the
  // command queue, after the loop's other sessions had their turn.
  if (reads == kMaxReadsPerEvent && from.ssl && SSL_has_pending(from.ssl) && phase_ == Phase::Relay) {
    const uint64_t id = id_;
    const Side side = from.which;
    loop_.post([id, side](Loop& loop) {
      Session* self = loop.find(id);
      if (!self || self->phase_ != Phase::Relay) return;
      SideState& a = side == Side::Client ? self->client_ : self->engine_;
      self->pump(a, self->peer(a));
      if (self->phase_ != Phase::Closed) self->updateInterest();
    });
  }
}

// ---- failures and closing -----------------------------------------------------------------

void Session::sideFailed(SideState& s, const std::string& reason, const std::string& code) {
  if (phase_ == Phase::Closed) return;
  if (phase_ == Phase::Relay || phase_ == Phase::Closing) {
    // Whatever the other socket still has queued goes out; nothing more can reach this one.
    s.mode = SideState::Mode::Dead;
    s.out.clear();
    s.outOffset = 0;
    s.rawOut.clear();
    s.rawOutOffset = 0;
    beginClose(reason);
    return;
  }
  bool wasDead = s.mode == SideState::Mode::Dead;
  s.mode = SideState::Mode::Dead;
  s.out.clear();
  s.outOffset = 0;
  s.rawOut.clear();
  s.rawOutOffset = 0;
  if (!wasDead) emitSimple(EventType::Error, s.which, reason, code);
  updateInterest(s);
}

void Session::sideEof(SideState& s) {
  s.eof = true;
  if (phase_ == Phase::Relay) {
    beginClose(std::string(name(s)) + " closed");
    return;
  }
  emitSimple(EventType::End, s.which);
  updateInterest(s);
}

void Session::beginClose(const std::string& reason) {
  if (phase_ == Phase::Closed) return;
  if (phase_ != Phase::Closing) {
    phase_ = Phase::Closing;
    closeReason_ = reason;
    closingDeadlineMs_ = monotonicMs() + kCloseFlushMs;
    loop_.watchDeadline(this);
  }
  maybeFinishClosing();
}

void Session::maybeFinishClosing() {
  bool pending = false;
  for (SideState* s : {&client_, &engine_}) {
    if (s->mode == SideState::Mode::Dead || s->fd < 0) continue;
    // A side still in its TLS handshake cannot take application bytes: drop them.
    if (!s->transportReady()) {
      s->out.clear();
      s->outOffset = 0;
    }
    if (!flushOut(*s)) {
      if (phase_ == Phase::Closed) return;
      if (s->mode != SideState::Mode::Dead) pending = true;
    }
  }
  if (phase_ == Phase::Closed) return;
  if (!pending) {
    finish(closeReason_);
    return;
  }
  updateInterest();
}

void Session::checkDeadline(uint64_t nowMs) {
  if (phase_ == Phase::Closing && nowMs >= closingDeadlineMs_) finish(closeReason_ + " (queued bytes not flushed in time)");
}

void Session::finish(const std::string& reason) {
  if (phase_ == Phase::Closed) return;
  phase_ = Phase::Closed;
  for (SideState* s : {&client_, &engine_}) {
    if (s->ssl && s->tlsUp && s->mode != SideState::Mode::Dead && !s->eof) {
      // close_notify, best effort and non-blocking.
      SSL_shutdown(s->ssl);
      ERR_clear_error();
    }
    if (s->fd >= 0) {
      if (s->armed) epoll_ctl(loop_.epollFd(), EPOLL_CTL_DEL, s->fd, nullptr);
      s->armed = 0;
      if (s->ssl) {
        freeSsl(s->ssl);
        s->ssl = nullptr;
      }
      ::close(s->fd);
      s->fd = -1;
    }
    s->mode = SideState::Mode::Dead;
  }
  emitSimple(EventType::Close, Side::Client, reason);
  loop_.retire(this);
}

// ---- readiness ----------------------------------------------------------------------------

void Session::onReady(SideState& s, uint32_t events) {
  TRACE("[%llu] ready side=%d events=%x mode=%d phase=%d\n", (unsigned long long)id_, (int)s.which, events, (int)s.mode, (int)phase_);
  if (phase_ == Phase::Closed) return;
  if (phase_ == Phase::Connecting && &s == &engine_) {
    finishConnect();
    return;
  }
  const bool writable = events & (EPOLLOUT | EPOLLERR | EPOLLHUP);
  const bool readable = events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP);
  if (phase_ == Phase::Closing) {
    if (writable || readable) maybeFinishClosing();
    return;
  }
  switch (s.mode) {
    case SideState::Mode::Handshake:
      handshake(s);
      break;
    case SideState::Mode::Js:
      if (writable) flushOut(s);
      if ((readable || s.readWantsWrite) && phase_ != Phase::Closed && s.mode == SideState::Mode::Js) readJs(s);
      break;
    case SideState::Mode::Relay:
      if (writable) {
        // Room again on this socket: the direction into it can move (its read side resumes).
        pump(peer(s), s);
        if (phase_ == Phase::Relay && s.readWantsWrite) pump(s, peer(s));
      }
      if (readable && phase_ == Phase::Relay) pump(s, peer(s));
      break;
    default:
      break;
  }
  if (phase_ != Phase::Closed) updateInterest();
}

void Session::updateInterest(SideState& s) {
  if (s.fd < 0 || phase_ == Phase::Closed) return;
  uint32_t want = 0;
  if (phase_ == Phase::Connecting && &s == &engine_) {
    want = EPOLLOUT;
  } else if (phase_ == Phase::Closing) {
    if (s.mode != SideState::Mode::Dead && (s.rawPending() > 0 || (s.outPending() > 0 && s.transportReady()))) want = EPOLLOUT;
    if (s.mode != SideState::Mode::Dead && s.writeWantsRead) want |= EPOLLIN;
  } else {
    bool canRead = false;
    switch (s.mode) {
      case SideState::Mode::Js:
        canRead = !s.eof && s.gapRemaining == 0 && s.transportReady() && s.delivered - s.acked < kJsWindowBytes;
        break;
      case SideState::Mode::Handshake:
        canRead = !s.handshakeWantsWrite && s.rawPending() == 0 && !s.bio.holdSocket;
        break;
      case SideState::Mode::Relay: {
        SideState& p = peer(s);
        canRead = phase_ == Phase::Relay && !s.eof && s.gapRemaining == 0 && p.outPending() == 0 && p.rawPending() == 0 &&
                  !(s.which == Side::Client && inspectPaused_);
        break;
      }
      default:
        break;
    }
    if (s.mode != SideState::Mode::Dead) {
      if (canRead || s.writeWantsRead) want |= EPOLLIN;
      if (s.rawPending() > 0 || (s.outPending() > 0 && s.transportReady()) || s.readWantsWrite ||
          (s.mode == SideState::Mode::Handshake && s.handshakeWantsWrite)) {
        want |= EPOLLOUT;
      }
    }
  }
  if (want == s.armed) return;
  TRACE("[%llu] interest side=%d %x -> %x\n", (unsigned long long)id_, (int)s.which, s.armed, want);
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = &s;
  if (want == 0) {
    // Not registered at all: a hung-up socket nobody reads would otherwise report EPOLLHUP forever.
    epoll_ctl(loop_.epollFd(), EPOLL_CTL_DEL, s.fd, nullptr);
  } else if (s.armed == 0) {
    epoll_ctl(loop_.epollFd(), EPOLL_CTL_ADD, s.fd, &ev);
  } else {
    epoll_ctl(loop_.epollFd(), EPOLL_CTL_MOD, s.fd, &ev);
  }
  s.armed = want;
}

}  // namespace tlsql
