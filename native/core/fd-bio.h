// A BIO over a non-blocking socket that first serves bytes read before TLS started (the
// ClientHello may arrive in the same read as the MySQL SSLRequest) and counts socket bytes.
#pragma once

#include <openssl/bio.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace tlsql {

/** Per-socket state the BIO reads and updates. Owned by the session's side; outlives the BIO. */
struct FdBioState {
  int fd = -1;
  /** Bytes served before the socket (already read from it earlier). */
  std::vector<uint8_t> prefix;
  size_t prefixOffset = 0;
  /** Serve the prefix only, never the socket (bytes still owed by JavaScript come first). */
  bool holdSocket = false;
  /** The last socket read returned less than asked: the socket is (very likely) drained. */
  bool drained = false;
  /** recv returned 0. */
  bool eof = false;
  /** errno of the last hard socket failure, 0 if none. */
  int error = 0;
  std::atomic<uint64_t>* bytesRead = nullptr;
  std::atomic<uint64_t>* bytesWritten = nullptr;
};

/** A new BIO reading and writing `state->fd`; does not own the fd or the state. */
BIO* newFdBio(FdBioState* state);

/** Adds `n` to a counter written by one thread only (a plain store: no locked instruction). */
inline void bump(std::atomic<uint64_t>* counter, uint64_t n) {
  if (counter) counter->store(counter->load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

}  // namespace tlsql
