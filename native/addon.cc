// N-API glue: the only file that knows about JavaScript. The I/O core (native/core/) reports
// through an EventSink; this one batches events into one threadsafe-function call per turn of
// Node's event loop, however many loops and sessions produced them.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/crypto.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <napi.h>
#include <unordered_map>

#include "core/dataplane.h"

namespace {

using tlsql::Event;
using tlsql::EventType;
using tlsql::Side;

const char* typeName(EventType t) {
  switch (t) {
    case EventType::Connected: return "connected";
    case EventType::ConnectFailed: return "connectFailed";
    case EventType::Data: return "data";
    case EventType::End: return "end";
    case EventType::Error: return "error";
    case EventType::Negotiated: return "negotiated";
    case EventType::Secure: return "secure";
    case EventType::Inspect: return "inspect";
    case EventType::Close: return "close";
  }
  return "unknown";
}

Napi::Buffer<uint8_t> toBuffer(Napi::Env env, std::vector<uint8_t>&& bytes) {
  // Small chunks are copied (cheaper than an external buffer's finalizer); large ones handed over.
  if (bytes.size() < 4096) return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  return Napi::Buffer<uint8_t>::New(env, owned->data(), owned->size(), [](Napi::Env, uint8_t*, std::vector<uint8_t>* v) { delete v; }, owned);
}

std::vector<uint8_t> bytesOf(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return {};
  if (!v.IsBuffer()) throw Napi::TypeError::New(v.Env(), "expected a Buffer");
  auto b = v.As<Napi::Buffer<uint8_t>>();
  return std::vector<uint8_t>(b.Data(), b.Data() + b.Length());
}

std::string stringOpt(const Napi::Object& o, const char* key, const std::string& fallback = {}) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

Side sideOf(const Napi::Value& v) {
  uint32_t s = v.As<Napi::Number>().Uint32Value();
  if (s > 1) throw Napi::RangeError::New(v.Env(), "side must be 0 (client) or 1 (engine)");
  return s == 0 ? Side::Client : Side::Engine;
}

uint64_t idOf(const Napi::Value& v) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), "session id must be a number");
  return static_cast<uint64_t>(v.As<Napi::Number>().Int64Value());
}

/** dup() of a descriptor JavaScript hands over: the dup keeps the connection when JS closes its own. */
int adoptFd(Napi::Env env, int fd, bool tcp) {
  int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw Napi::Error::New(env, std::string("cannot take over socket ") + std::to_string(fd) + ": " + std::strerror(errno));
  int flags = fcntl(copy, F_GETFL);
  if (flags >= 0) fcntl(copy, F_SETFL, flags | O_NONBLOCK);
  if (tcp) {
    int one = 1;
    setsockopt(copy, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly on a unix socket
  }
  return copy;
}

// ---- contexts -----------------------------------------------------------------------------

class ServerContextWrap : public Napi::ObjectWrap<ServerContextWrap> {
 public:
  static Napi::FunctionReference* ctor;
  static Napi::Function Init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "ServerContext", {});
    ctor = new Napi::FunctionReference(Napi::Persistent(f));
    return f;
  }
  explicit ServerContextWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ServerContextWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "ServerContext options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    tlsql::ServerContextOptions opts;
    opts.certChainPem = stringOpt(o, "certChainPem");
    opts.keyPem = stringOpt(o, "keyPem");
    opts.ciphers = stringOpt(o, "ciphers");
    opts.minVersion = stringOpt(o, "minVersion", "TLSv1.2");
    opts.maxVersion = stringOpt(o, "maxVersion", "TLSv1.3");
    Napi::Value so = o.Get("secureOptions");
    if (so.IsNumber()) opts.secureOptions = static_cast<uint64_t>(so.As<Napi::Number>().Int64Value());
    Napi::Value hco = o.Get("honorCipherOrder");
    opts.honorCipherOrder = hco.IsUndefined() ? true : hco.ToBoolean().Value();
    opts.clientCaPem = stringOpt(o, "clientCaPem");
    opts.sessionIdContext = stringOpt(o, "sessionIdContext");
    if (o.Get("releaseBuffers").IsBoolean()) opts.releaseBuffers = o.Get("releaseBuffers").As<Napi::Boolean>().Value();
    try {
      context = tlsql::ServerContext::create(opts);
    } catch (const tlsql::ContextError& e) {
      throw Napi::Error::New(env, e.what());
    }
  }
  std::shared_ptr<tlsql::ServerContext> context;
};
Napi::FunctionReference* ServerContextWrap::ctor = nullptr;

class ClientContextWrap : public Napi::ObjectWrap<ClientContextWrap> {
 public:
  static Napi::FunctionReference* ctor;
  static Napi::Function Init(Napi::Env env) {
    Napi::Function f = DefineClass(env, "ClientContext", {});
    ctor = new Napi::FunctionReference(Napi::Persistent(f));
    return f;
  }
  explicit ClientContextWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ClientContextWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "ClientContext options must be an object");
    Napi::Object o = info[0].As<Napi::Object>();
    tlsql::ClientContextOptions opts;
    opts.caPem = stringOpt(o, "caPem");
    opts.servername = stringOpt(o, "servername");
    opts.minVersion = stringOpt(o, "minVersion", "TLSv1.2");
    opts.maxVersion = stringOpt(o, "maxVersion", "TLSv1.3");
    opts.ciphers = stringOpt(o, "ciphers");
    opts.certPem = stringOpt(o, "certPem");
    opts.keyPem = stringOpt(o, "keyPem");
    if (o.Get("releaseBuffers").IsBoolean()) opts.releaseBuffers = o.Get("releaseBuffers").As<Napi::Boolean>().Value();
    try {
      context = tlsql::ClientContext::create(opts);
    } catch (const tlsql::ContextError& e) {
      throw Napi::Error::New(env, e.what());
    }
  }
  std::shared_ptr<tlsql::ClientContext> context;
};
Napi::FunctionReference* ClientContextWrap::ctor = nullptr;

template <typename W>
W* unwrapContext(const Napi::Value& v, Napi::FunctionReference* ctor, const char* what) {
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(ctor->Value())) throw Napi::TypeError::New(v.Env(), std::string("expected a ") + what);
  return W::Unwrap(v.As<Napi::Object>());
}

// ---- the data plane -----------------------------------------------------------------------

class DataplaneWrap;
void callJs(Napi::Env env, Napi::Function, DataplaneWrap* self, std::nullptr_t*);
using Tsfn = Napi::TypedThreadSafeFunction<DataplaneWrap, std::nullptr_t, callJs>;

class JsSink : public tlsql::EventSink {
 public:
  void emit(Event&& e) override {
    bool kick;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(std::move(e));
      kick = !scheduled_;
      scheduled_ = true;
    }
    if (kick) tsfn.NonBlockingCall();
  }
  std::vector<Event> take() {
    std::vector<Event> out;
    std::lock_guard<std::mutex> lock(mutex_);
    out.swap(queue_);
    scheduled_ = false;
    return out;
  }
  Tsfn tsfn;

 private:
  std::mutex mutex_;
  std::vector<Event> queue_;
  bool scheduled_ = false;
};

class DataplaneWrap : public Napi::ObjectWrap<DataplaneWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Dataplane",
                       {
                           InstanceMethod("openSession", &DataplaneWrap::OpenSession),
                           InstanceMethod("write", &DataplaneWrap::Write),
                           InstanceMethod("ack", &DataplaneWrap::Ack),
                           InstanceMethod("feed", &DataplaneWrap::Feed),
                           InstanceMethod("startServerTls", &DataplaneWrap::StartServerTls),
                           InstanceMethod("startClientTls", &DataplaneWrap::StartClientTls),
                           InstanceMethod("relay", &DataplaneWrap::Relay),
                           InstanceMethod("inspectDone", &DataplaneWrap::InspectDone),
                           InstanceMethod("close", &DataplaneWrap::Close),
                           InstanceMethod("counters", &DataplaneWrap::Counters),
                           InstanceMethod("stats", &DataplaneWrap::Stats),
                           InstanceMethod("setBusyPollMicros", &DataplaneWrap::SetBusyPollMicros),
                           InstanceMethod("shutdown", &DataplaneWrap::Shutdown),
                       });
  }

  explicit DataplaneWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DataplaneWrap>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject() || !info[1].IsFunction()) throw Napi::TypeError::New(env, "new Dataplane(options, onEvents)");
    Napi::Object o = info[0].As<Napi::Object>();
    tlsql::DataplaneOptions opts;
    if (o.Get("loops").IsNumber()) opts.loops = o.Get("loops").As<Napi::Number>().Uint32Value();
    if (o.Get("busyPollMicros").IsNumber()) opts.busyPollMicros = o.Get("busyPollMicros").As<Napi::Number>().Uint32Value();
    handler_ = Napi::Persistent(info[1].As<Napi::Function>());
    sink_ = std::make_unique<JsSink>();
    sink_->tsfn = Tsfn::New(env, "tlsql-dataplane", 0, 1, this);
    sink_->tsfn.Unref(env);
    dataplane_ = std::make_unique<tlsql::Dataplane>(opts, *sink_);
    // At environment teardown the loops must stop before the threadsafe function goes away.
    // (Raw napi: node-addon-api's CleanupHook frees its data when it runs and again on Remove.)
    env_ = env;
    hookActive_ = napi_add_env_cleanup_hook(env, &DataplaneWrap::OnEnvCleanup, this) == napi_ok;
  }

  ~DataplaneWrap() override {
    StopAll();
    // Collected before teardown: the hook must not run on a freed object.
    if (hookActive_) napi_remove_env_cleanup_hook(env_, &DataplaneWrap::OnEnvCleanup, this);
  }

  static void OnEnvCleanup(void* arg) {
    auto* self = static_cast<DataplaneWrap*>(arg);
    self->hookActive_ = false;
    self->StopAll();
  }

 public:
  void Dispatch(Napi::Env env);

 private:
  void StopAll() {
    if (!dataplane_) return;
    dataplane_->stop();  // joins the loops: nothing emits after this
    dataplane_.reset();
    sink_->tsfn.Release();
  }

  tlsql::Dataplane& dp(Napi::Env env) {
    if (!dataplane_) throw Napi::Error::New(env, "the data plane was shut down");
    return *dataplane_;
  }

  void DispatchImpl(Napi::Env env) {
    std::vector<Event> events = sink_->take();
    if (events.empty() || handler_.IsEmpty()) return;
    Napi::HandleScope scope(env);
    Napi::Array out = Napi::Array::New(env, events.size());
    uint32_t i = 0;
    for (Event& e : events) {
      Napi::Object o = Napi::Object::New(env);
      o.Set("session", Napi::Number::New(env, static_cast<double>(e.session)));
      o.Set("type", typeName(e.type));
      o.Set("side", e.side == Side::Client ? "client" : "engine");
      switch (e.type) {
        case EventType::Data:
          o.Set("data", toBuffer(env, std::move(e.data)));
          break;
        case EventType::Inspect:
          o.Set("packet", toBuffer(env, std::move(e.data)));
          o.Set("partial", e.partial);
          break;
        case EventType::ConnectFailed:
        case EventType::Error:
          o.Set("reason", e.reason);
          o.Set("code", e.code);
          break;
        case EventType::Negotiated:
          o.Set("version", e.version);
          o.Set("cipher", e.cipher);
          break;
        case EventType::Secure: {
          o.Set("version", e.version);
          o.Set("cipher", e.cipher);
          o.Set("resumed", e.resumed);
          Napi::Array certs = Napi::Array::New(env, e.peerCertificates.size());
          for (uint32_t k = 0; k < e.peerCertificates.size(); k++) certs.Set(k, toBuffer(env, std::move(e.peerCertificates[k])));
          o.Set("peerCertificates", certs);
          o.Set("verifyError", e.verifyError.empty() ? env.Null() : Napi::String::New(env, e.verifyError));
          o.Set("verifyErrorMessage", e.verifyErrorMessage.empty() ? env.Null() : Napi::String::New(env, e.verifyErrorMessage));
          break;
        }
        case EventType::Close: {
          o.Set("reason", e.reason);
          auto it = counters_.find(e.session);
          if (it != counters_.end()) {
            o.Set("bytes", CountersObject(env, *it->second));
            counters_.erase(it);
            if (--open_ == 0) sink_->tsfn.Unref(env);
          }
          break;
        }
        default:
          break;
      }
      out.Set(i++, o);
    }
    handler_.Call({out});
  }

  static Napi::Object CountersObject(Napi::Env env, const tlsql::SessionCounters& c) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("clientIn", static_cast<double>(c.clientIn.load(std::memory_order_relaxed)));
    o.Set("clientOut", static_cast<double>(c.clientOut.load(std::memory_order_relaxed)));
    o.Set("engineIn", static_cast<double>(c.engineIn.load(std::memory_order_relaxed)));
    o.Set("engineOut", static_cast<double>(c.engineOut.load(std::memory_order_relaxed)));
    return o;
  }

  Napi::Value OpenSession(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tlsql::Dataplane& d = dp(env);
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "openSession(clientFd, enginePath | engineFd)");
    int clientFd = adoptFd(env, info[0].As<Napi::Number>().Int32Value(), true);
    std::string path;
    int engineFd = -1;
    try {
      if (info[1].IsString()) {
        path = info[1].As<Napi::String>().Utf8Value();
      } else if (info[1].IsNumber()) {
        engineFd = adoptFd(env, info[1].As<Napi::Number>().Int32Value(), false);
      } else {
        throw Napi::TypeError::New(env, "the engine must be a unix socket path or a connected descriptor");
      }
    } catch (...) {
      ::close(clientFd);
      throw;
    }
    std::shared_ptr<tlsql::SessionCounters> counters;
    uint64_t id = d.openSession(clientFd, path, engineFd, &counters);
    counters_[id] = counters;
    if (open_++ == 0) sink_->tsfn.Ref(env);
    return Napi::Number::New(env, static_cast<double>(id));
  }

  void Write(const Napi::CallbackInfo& info) { dp(info.Env()).write(idOf(info[0]), sideOf(info[1]), bytesOf(info[2])); }
  void Ack(const Napi::CallbackInfo& info) {
    dp(info.Env()).ack(idOf(info[0]), sideOf(info[1]), static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()));
  }
  void Feed(const Napi::CallbackInfo& info) { dp(info.Env()).feed(idOf(info[0]), sideOf(info[1]), bytesOf(info[2])); }

  void StartServerTls(const Napi::CallbackInfo& info) {
    auto* ctx = unwrapContext<ServerContextWrap>(info[1], ServerContextWrap::ctor, "ServerContext");
    dp(info.Env()).startServerTls(idOf(info[0]), ctx->context, bytesOf(info[2]), static_cast<uint64_t>(info[3].As<Napi::Number>().Int64Value()));
  }

  void StartClientTls(const Napi::CallbackInfo& info) {
    auto* ctx = unwrapContext<ClientContextWrap>(info[1], ClientContextWrap::ctor, "ClientContext");
    dp(info.Env()).startClientTls(idOf(info[0]), ctx->context, static_cast<uint64_t>(info[2].As<Napi::Number>().Int64Value()));
  }

  // relay(id, { clientPending, enginePending, clientReceived, engineReceived, inspect, keywords })
  void Relay(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[1].IsObject()) throw Napi::TypeError::New(env, "relay(id, options)");
    Napi::Object o = info[1].As<Napi::Object>();
    tlsql::RelayOptions r;
    r.clientPending = bytesOf(o.Get("clientPending"));
    r.enginePending = bytesOf(o.Get("enginePending"));
    r.clientReceived = static_cast<uint64_t>(o.Get("clientReceived").ToNumber().Int64Value());
    r.engineReceived = static_cast<uint64_t>(o.Get("engineReceived").ToNumber().Int64Value());
    r.inspect = o.Get("inspect").ToBoolean().Value();
    Napi::Value kw = o.Get("keywords");
    if (kw.IsArray()) {
      Napi::Array a = kw.As<Napi::Array>();
      for (uint32_t i = 0; i < a.Length(); i++) r.keywords.push_back(a.Get(i).ToString().Utf8Value());
    }
    dp(env).relay(idOf(info[0]), std::move(r));
  }

  void InspectDone(const Napi::CallbackInfo& info) {
    dp(info.Env()).inspectDone(idOf(info[0]), bytesOf(info[1]), info[2].ToBoolean().Value());
  }

  void Close(const Napi::CallbackInfo& info) {
    std::string reason = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "closed";
    dp(info.Env()).close(idOf(info[0]), reason, info[2].ToBoolean().Value());
  }

  Napi::Value Counters(const Napi::CallbackInfo& info) {
    auto it = counters_.find(idOf(info[0]));
    if (it == counters_.end()) return info.Env().Undefined();
    return CountersObject(info.Env(), *it->second);
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tlsql::Dataplane& d = dp(env);
    Napi::Array loops = Napi::Array::New(env, d.loopCount());
    for (size_t i = 0; i < d.loopCount(); i++) {
      tlsql::LoopStatsSnapshot s = d.stats(i);
      Napi::Object o = Napi::Object::New(env);
      o.Set("sessions", static_cast<double>(s.sessions));
      o.Set("sessionsOpened", static_cast<double>(s.sessionsOpened));
      o.Set("relayedClientToEngine", static_cast<double>(s.relayedClientToEngine));
      o.Set("relayedEngineToClient", static_cast<double>(s.relayedEngineToClient));
      o.Set("events", static_cast<double>(s.events));
      o.Set("wakeups", static_cast<double>(s.wakeups));
      o.Set("commands", static_cast<double>(s.commands));
      o.Set("busyPolls", static_cast<double>(s.busyPolls));
      o.Set("busyPollMicros", static_cast<double>(d.loop(i).busyPollMicros()));
      loops.Set(static_cast<uint32_t>(i), o);
    }
    return loops;
  }

  void SetBusyPollMicros(const Napi::CallbackInfo& info) { dp(info.Env()).setBusyPollMicros(info[0].As<Napi::Number>().Uint32Value()); }

  void Shutdown(const Napi::CallbackInfo& info) {
    if (dataplane_ && open_ > 0) sink_->tsfn.Unref(info.Env());
    counters_.clear();
    open_ = 0;
    StopAll();
  }

  Napi::FunctionReference handler_;
  napi_env env_ = nullptr;
  bool hookActive_ = false;
  std::unique_ptr<JsSink> sink_;
  std::unique_ptr<tlsql::Dataplane> dataplane_;
  /** Live sessions' counters, JS thread only; dropped with the session's close event. */
  std::unordered_map<uint64_t, std::shared_ptr<tlsql::SessionCounters>> counters_;
  /** Sessions opened and not yet closed: the threadsafe function keeps Node alive while > 0. */
  size_t open_ = 0;
};

void DataplaneWrap::Dispatch(Napi::Env env) { DispatchImpl(env); }

void callJs(Napi::Env env, Napi::Function, DataplaneWrap* self, std::nullptr_t*) {
  // env is null while Node tears the environment down: nothing can be delivered then.
  if (env != nullptr && self != nullptr) self->Dispatch(env);
}

// flock(2) on a descriptor JavaScript opened (the data dir's lock file, src/service/data-dir-lock.ts),
// which Node has no call for: true when this open file now holds the exclusive lock, false when
// another one holds it. The kernel drops the lock with the last descriptor, whatever ends the process.
Napi::Value TryLockExclusive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "expected a file descriptor");
  int fd = info[0].As<Napi::Number>().Int32Value();
  int r;
  do r = flock(fd, LOCK_EX | LOCK_NB);
  while (r != 0 && errno == EINTR);
  if (r == 0) return Napi::Boolean::New(env, true);
  if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
  throw Napi::Error::New(env, std::string("flock: ") + std::strerror(errno));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Dataplane", DataplaneWrap::Init(env));
  exports.Set("ServerContext", ServerContextWrap::Init(env));
  exports.Set("ClientContext", ClientContextWrap::Init(env));
  exports.Set("opensslVersion", Napi::String::New(env, OpenSSL_version(OPENSSL_VERSION)));
  exports.Set("tryLockExclusive", Napi::Function::New(env, TryLockExclusive, "tryLockExclusive"));
  exports.Set("abiVersion", Napi::Number::New(env, 2));
  return exports;
}

}  // namespace

NODE_API_MODULE(tlsql_dataplane, Init)
