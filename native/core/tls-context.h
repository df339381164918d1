// Immutable TLS contexts shared by the sessions that use them. A certificate rotation creates a
// new context; sessions keep the shared_ptr of the one they started with.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace tlsql {

/** Invalid context material; the message says what is wrong and is safe to show an operator. */
class ContextError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** The front door's server side (the client's TLS). */
struct ServerContextOptions {
  /** Leaf first, then the chain certificates to send. */
  std::string certChainPem;
  std::string keyPem;
  /** Node's mixed string: `TLS_*` entries are TLS 1.3 suites, the rest an OpenSSL cipher list. */
  std::string ciphers;
  /** Node's names: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3. */
  std::string minVersion = "TLSv1.2";
  std::string maxVersion = "TLSv1.3";
  /** Extra SSL_OP_* bits (version gaps: SSL_OP_NO_TLSv1_x). */
  uint64_t secureOptions = 0;
  bool honorCipherOrder = true;
  /** When set: client certificates are requested (optional) and verified against these CAs. */
  std::string clientCaPem;
  std::string sessionIdContext;
  /** Free OpenSSL's record buffers while a connection is idle (SSL_MODE_RELEASE_BUFFERS). */
  bool releaseBuffers = true;
};

class ServerContext {
 public:
  /** Throws ContextError when the material is unusable (e.g. the key does not match). */
  static std::shared_ptr<ServerContext> create(const ServerContextOptions& options);
  ~ServerContext();
  ServerContext(const ServerContext&) = delete;
  ServerContext& operator=(const ServerContext&) = delete;

  SSL_CTX* ctx() const { return ctx_; }

 private:
  ServerContext() = default;
  SSL_CTX* ctx_ = nullptr;
};

/** The engine link's client side. */
struct ClientContextOptions {
  /** Trust anchors for the engine's certificate. */
  std::string caPem;
  /** Verified against the engine's certificate (DNS name or IP address); sent as SNI when a name. */
  std::string servername;
  std::string minVersion = "TLSv1.2";
  std::string maxVersion = "TLSv1.3";
  std::string ciphers;
  /** Optional certificate (chain) and key presented to the engine. */
  std::string certPem;
  std::string keyPem;
  /** As for the server context. */
  bool releaseBuffers = true;
};

class ClientContext {
 public:
  static std::shared_ptr<ClientContext> create(const ClientContextOptions& options);
  ~ClientContext();
  ClientContext(const ClientContext&) = delete;
  ClientContext& operator=(const ClientContext&) = delete;

  SSL_CTX* ctx() const { return ctx_; }
  const std::string& servername() const { return servername_; }
  bool servernameIsIp() const { return servernameIsIp_; }

  /** Sets the newest kept session on `ssl` for resumption; returns it (an identity only) or null. */
  const void* offerSession(SSL* ssl);
  /** A handshake that offered `offered` failed: never offer that session again. */
  void forgetSession(const void* offered);

 private:
  ClientContext() = default;
  static int onNewSession(SSL* ssl, SSL_SESSION* session);
  SSL_CTX* ctx_ = nullptr;
  std::string servername_;
  bool servernameIsIp_ = false;
  std::mutex mutex_;
  SSL_SESSION* latest_ = nullptr;
};

/** Node's protocol name for an OpenSSL version number ("TLSv1.3"), as TLSSocket.getProtocol() gives. */
const char* protocolName(int version);

/** Node's code for an X509_V_ERR_* value (as tls.TLSSocket's authorizationError), e.g. CERT_HAS_EXPIRED. */
const char* x509ErrorCode(long error);

/** The first error on OpenSSL's queue as text (and the queue cleared); `fallback` when empty. */
std::string takeOpensslError(const char* fallback);

}  // namespace tlsql
