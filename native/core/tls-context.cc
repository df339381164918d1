#include "tls-context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <vector>

namespace tlsql {
namespace {

struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;

struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::vector<X509Ptr> readCertificates(const std::string& pem, const char* what) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw ContextError("out of memory");
  std::vector<X509Ptr> out;
  for (;;) {
    X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (!x) break;
    out.emplace_back(x);
  }
  // PEM_read_bio_X509 ends with "no start line" once the input is exhausted: not an error then.
  unsigned long err = ERR_peek_last_error();
  if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE && !out.empty()) ERR_clear_error();
  if (out.empty()) throw ContextError(std::string(what) + ": no PEM certificate found (" + takeOpensslError("empty input") + ")");
  ERR_clear_error();
  return out;
}

std::unique_ptr<EVP_PKEY, PkeyDeleter> readKey(const std::string& pem, const char* what) {
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw ContextError("out of memory");
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) throw ContextError(std::string(what) + ": no usable PEM private key (" + takeOpensslError("empty input") + ")");
  return std::unique_ptr<EVP_PKEY, PkeyDeleter>(key);
}

int versionNumber(const std::string& name, const char* what) {
  if (name == "TLSv1") return TLS1_VERSION;
  if (name == "TLSv1.1") return TLS1_1_VERSION;
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  throw ContextError(std::string(what) + ": unknown TLS version '" + name + "' (TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)");
}

/** Node's processCiphers and configSecureContext (lib/internal/tls/secure-context.js), same order. */
void applyCiphers(SSL_CTX* ctx, const std::string& ciphers) {
  std::string list, suites;
  size_t start = 0;
  while (start <= ciphers.size()) {
    size_t end = ciphers.find(':', start);
    if (end == std::string::npos) end = ciphers.size();
    std::string entry = ciphers.substr(start, end - start);
    if (!entry.empty()) {
      std::string& target = entry.rfind("TLS_", 0) == 0 ? suites : list;
      if (!target.empty()) target += ':';
      target += entry;
    }
    start = end + 1;
  }
  if (list.empty() && suites.empty()) throw ContextError("ciphers: no cipher given");
  if (!suites.empty() && !SSL_CTX_set_ciphersuites(ctx, suites.c_str())) {
    throw ContextError("ciphers: invalid TLS 1.3 suites '" + suites + "' (" + takeOpensslError("rejected") + ")");
  }
  if (!SSL_CTX_set_cipher_list(ctx, list.c_str())) {
    unsigned long err = ERR_peek_last_error();
    // An empty TLS 1.2 list is a deliberate "TLS 1.3 only", as in Node's SetCiphers.
    if (!(list.empty() && ERR_GET_REASON(err) == SSL_R_NO_CIPHER_MATCH)) {
      throw ContextError("ciphers: invalid cipher list '" + list + "' (" + takeOpensslError("rejected") + ")");
    }
    ERR_clear_error();
  }
  if (list.empty() && SSL_CTX_get_min_proto_version(ctx) < TLS1_3_VERSION && SSL_CTX_get_max_proto_version(ctx) > TLS1_2_VERSION) {
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  }
}

void applyVersions(SSL_CTX* ctx, const std::string& min, const std::string& max) {
  int lo = versionNumber(min, "minVersion");
  int hi = versionNumber(max, "maxVersion");
  if (lo > hi) throw ContextError("minVersion " + min + " is above maxVersion " + max);
  SSL_CTX_set_min_proto_version(ctx, lo);
  SSL_CTX_set_max_proto_version(ctx, hi);
}

/** Certificate (leaf first, then chain) and key; throws when they do not belong together. */
void applyIdentity(SSL_CTX* ctx, const std::string& chainPem, const std::string& keyPem, const char* what) {
  auto certs = readCertificates(chainPem, what);
  if (SSL_CTX_use_certificate(ctx, certs[0].get()) != 1) {
    throw ContextError(std::string(what) + ": certificate rejected (" + takeOpensslError("rejected") + ")");
  }
  for (size_t i = 1; i < certs.size(); i++) {
    if (SSL_CTX_add1_chain_cert(ctx, certs[i].get()) != 1) {
      throw ContextError(std::string(what) + ": chain certificate rejected (" + takeOpensslError("rejected") + ")");
    }
  }
  auto key = readKey(keyPem, what);
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    std::string detail = takeOpensslError("mismatch");
    throw ContextError(std::string(what) + ": the private key does not match the certificate (" + detail + ")");
  }
}

void setCommonModes(SSL_CTX* ctx, bool releaseBuffers) {
  // Partial writes let the relay drop what went out record by record; the pending remainder
  // is then written from another address (the session's buffer), which OpenSSL must accept.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  // An idle session then holds no ~17 KiB read and write buffers per TLS side: 38 instead of
  // 57 KiB per idle relayed session, at no CPU cost the benchmark could see (native/README.md).
  if (releaseBuffers) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  // One recv takes whatever records are there (not a header, then a body: two syscalls).
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
}

/** An optional client certificate: the handshake records OpenSSL's verdict and goes on; the front door enforces it (src/dataplane/client-certs.ts check). */
int acceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

std::string takeOpensslError(const char* fallback) {
  unsigned long err = ERR_get_error();
  ERR_clear_error();
  if (err == 0) return fallback;
  const char* reason = ERR_reason_error_string(err);
  if (reason) return reason;
  char buf[256];
  ERR_error_string_n(err, buf, sizeof buf);
  return buf;
}

std::shared_ptr<ServerContext> ServerContext::create(const ServerContextOptions& o) {
  ERR_clear_error();
  std::shared_ptr<ServerContext> self(new ServerContext());
  self->ctx_ = SSL_CTX_new(TLS_server_method());
  if (!self->ctx_) throw ContextError("SSL_CTX_new failed: " + takeOpensslError("unknown"));
  SSL_CTX* ctx = self->ctx_;
  setCommonModes(ctx, o.releaseBuffers);
  applyVersions(ctx, o.minVersion, o.maxVersion);
  SSL_CTX_set_options(ctx, o.secureOptions);
  if (o.honorCipherOrder) SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  applyCiphers(ctx, o.ciphers);
  applyIdentity(ctx, o.certChainPem, o.keyPem, "certificate");
  if (!o.clientCaPem.empty()) {
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    for (auto& ca : readCertificates(o.clientCaPem, "clientCaPem")) {
      if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
        throw ContextError("clientCaPem: CA certificate rejected (" + takeOpensslError("rejected") + ")");
      }
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, acceptAnyCertificate);
  }
  if (!o.sessionIdContext.empty()) {
    if (o.sessionIdContext.size() > SSL_MAX_SID_CTX_LENGTH) throw ContextError("sessionIdContext: longer than 32 bytes");
    SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>(o.sessionIdContext.data()), static_cast<unsigned>(o.sessionIdContext.size()));
  }
  // Resumption by session tickets only (stateless), as Node's servers: no per-session server
  // memory that a client could grow.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER | SSL_SESS_CACHE_NO_INTERNAL);
  ERR_clear_error();
  return self;
}

ServerContext::~ServerContext() { SSL_CTX_free(ctx_); }

std::shared_ptr<ClientContext> ClientContext::create(const ClientContextOptions& o) {
  ERR_clear_error();
  std::shared_ptr<ClientContext> self(new ClientContext());
  self->ctx_ = SSL_CTX_new(TLS_client_method());
  if (!self->ctx_) throw ContextError("SSL_CTX_new failed: " + takeOpensslError("unknown"));
  SSL_CTX* ctx = self->ctx_;
  SSL_CTX_set_app_data(ctx, self.get());
  setCommonModes(ctx, o.releaseBuffers);
  applyVersions(ctx, o.minVersion, o.maxVersion);
  applyCiphers(ctx, o.ciphers);
  if (o.servername.empty()) throw ContextError("servername: required (the engine's certificate name is verified)");
  self->servername_ = o.servername;
  unsigned char addr[16];
  self->servernameIsIp_ = inet_pton(AF_INET, o.servername.c_str(), addr) == 1 || inet_pton(AF_INET6, o.servername.c_str(), addr) == 1;
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (auto& ca : readCertificates(o.caPem, "caPem")) {
    if (X509_STORE_add_cert(store, ca.get()) != 1) throw ContextError("caPem: CA certificate rejected (" + takeOpensslError("rejected") + ")");
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  if (!o.certPem.empty() || !o.keyPem.empty()) applyIdentity(ctx, o.certPem, o.keyPem, "link certificate");
  // Sessions are kept here, in memory, newest only: resuming costs no (de)serialisation.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &ClientContext::onNewSession);
  ERR_clear_error();
  return self;
}

ClientContext::~ClientContext() {
  SSL_SESSION_free(latest_);
  SSL_CTX_free(ctx_);
}

int ClientContext::onNewSession(SSL* ssl, SSL_SESSION* session) {
  auto* self = static_cast<ClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (!self || !SSL_SESSION_is_resumable(session)) return 0;
  // A copy, not the session itself: in TLS 1.3 the session handed here is the connection's own
  // (s->session), and OpenSSL marks it not resumable when that connection is freed without a
  // close_notify (ssl_clear_bad_session), which is how engine links usually end. Keeping the
  // object itself made every later link a full handshake (test/e2e/foundation.test.ts "resumes one
  // engine-link TLS session").
  SSL_SESSION* copy = SSL_SESSION_dup(session);
  if (!copy) return 0;
  SSL_SESSION* old;
  {
    std::lock_guard<std::mutex> lock(self->mutex_);
    old = self->latest_;
    self->latest_ = copy;
  }
  SSL_SESSION_free(old);
  return 0;  // OpenSSL keeps its reference to `session`
}

const void* ClientContext::offerSession(SSL* ssl) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!latest_) return nullptr;
  // A copy per handshake: a handshake updates the SSL_SESSION it resumes (OpenSSL 3.0), after
  // which the server no longer takes it, so every other link would fall back to a full handshake.
  // Copying is cheap (references to the certificates, the ticket bytes), no DER round trip.
  SSL_SESSION* copy = SSL_SESSION_dup(latest_);
  if (!copy) return nullptr;
  SSL_set_session(ssl, copy);
  SSL_SESSION_free(copy);
  return latest_;
}

void ClientContext::forgetSession(const void* offered) {
  if (!offered) return;
  SSL_SESSION* drop = nullptr;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (latest_ == offered) {
      drop = latest_;
      latest_ = nullptr;
    }
  }
  SSL_SESSION_free(drop);
}

const char* protocolName(int version) {
  switch (version) {
    case TLS1_VERSION: return "TLSv1";
    case TLS1_1_VERSION: return "TLSv1.1";
    case TLS1_2_VERSION: return "TLSv1.2";
    case TLS1_3_VERSION: return "TLSv1.3";
    default: return "unknown";
  }
}

const char* x509ErrorCode(long error) {
#define CODE(name) \
  case X509_V_ERR_##name: return #name;
  switch (error) {
    CODE(UNABLE_TO_GET_ISSUER_CERT)
    CODE(UNABLE_TO_GET_CRL)
    CODE(UNABLE_TO_DECRYPT_CERT_SIGNATURE)
    CODE(UNABLE_TO_DECRYPT_CRL_SIGNATURE)
    CODE(UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY)
    CODE(CERT_SIGNATURE_FAILURE)
    CODE(CRL_SIGNATURE_FAILURE)
    CODE(CERT_NOT_YET_VALID)
    CODE(CERT_HAS_EXPIRED)
    CODE(CRL_NOT_YET_VALID)
    CODE(CRL_HAS_EXPIRED)
    CODE(ERROR_IN_CERT_NOT_BEFORE_FIELD)
    CODE(ERROR_IN_CERT_NOT_AFTER_FIELD)
    CODE(ERROR_IN_CRL_LAST_UPDATE_FIELD)
    CODE(ERROR_IN_CRL_NEXT_UPDATE_FIELD)
    CODE(OUT_OF_MEM)
    CODE(DEPTH_ZERO_SELF_SIGNED_CERT)
    CODE(SELF_SIGNED_CERT_IN_CHAIN)
    CODE(UNABLE_TO_GET_ISSUER_CERT_LOCALLY)
    CODE(UNABLE_TO_VERIFY_LEAF_SIGNATURE)
    CODE(CERT_CHAIN_TOO_LONG)
    CODE(CERT_REVOKED)
    CODE(INVALID_CA)
    CODE(PATH_LENGTH_EXCEEDED)
    CODE(INVALID_PURPOSE)
    CODE(CERT_UNTRUSTED)
    CODE(CERT_REJECTED)
    CODE(HOSTNAME_MISMATCH)
    default: return "UNSPECIFIED";
  }
#undef CODE
}

}  // namespace tlsql
