#include "fd-bio.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <mutex>

namespace tlsql {
namespace {

int fdBioWrite(BIO* bio, const char* data, int len) {
  auto* s = static_cast<FdBioState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  for (;;) {
    ssize_t n = send(s->fd, data, static_cast<size_t>(len), MSG_NOSIGNAL);
    if (n >= 0) {
      bump(s->bytesWritten, static_cast<uint64_t>(n));
      return static_cast<int>(n);
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_write(bio);
      return -1;
    }
    s->error = errno;
    return -1;
  }
}

int fdBioRead(BIO* bio, char* out, int len) {
  auto* s = static_cast<FdBioState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (len <= 0) return 0;
  if (s->prefixOffset < s->prefix.size()) {
    size_t n = std::min(static_cast<size_t>(len), s->prefix.size() - s->prefixOffset);
    std::memcpy(out, s->prefix.data() + s->prefixOffset, n);
    s->prefixOffset += n;
    if (s->prefixOffset == s->prefix.size()) {
      s->prefix.clear();
      s->prefix.shrink_to_fit();
      s->prefixOffset = 0;
    }
    // The socket may hold more: the next read must try it.
    s->drained = false;
    return static_cast<int>(n);
  }
  if (s->holdSocket) {
    BIO_set_retry_read(bio);
    return -1;
  }
  for (;;) {
    ssize_t n = recv(s->fd, out, static_cast<size_t>(len), 0);
    if (n > 0) {
      bump(s->bytesRead, static_cast<uint64_t>(n));
      s->drained = n < len;
      return static_cast<int>(n);
    }
    if (n == 0) {
      s->eof = true;
      s->drained = true;
      return 0;
    }
    if (errno == EINTR) continue;
    s->drained = true;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      BIO_set_retry_read(bio);
      return -1;
    }
    s->error = errno;
    return -1;
  }
}

int fdBioPuts(BIO* bio, const char* str) { return fdBioWrite(bio, str, static_cast<int>(std::strlen(str))); }

long fdBioCtrl(BIO* bio, int cmd, long num, void*) {
  auto* s = static_cast<FdBioState*>(BIO_get_data(bio));
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing buffered here
    case BIO_CTRL_EOF:
      return s && s->eof ? 1 : 0;
    case BIO_CTRL_GET_CLOSE:
      return BIO_get_shutdown(bio);
    case BIO_CTRL_SET_CLOSE:
      BIO_set_shutdown(bio, static_cast<int>(num));
      return 1;
    case BIO_CTRL_PENDING:
      return s ? static_cast<long>(s->prefix.size() - s->prefixOffset) : 0;
    case BIO_CTRL_WPENDING:
      return 0;
    default:
      return 0;
  }
}

int fdBioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int fdBioDestroy(BIO* bio) {
  BIO_set_data(bio, nullptr);  // the state belongs to the session
  return 1;
}

BIO_METHOD* method() {
  static BIO_METHOD* m = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tlsql fd");
    BIO_meth_set_write(m, fdBioWrite);
    BIO_meth_set_read(m, fdBioRead);
    BIO_meth_set_puts(m, fdBioPuts);
    BIO_meth_set_ctrl(m, fdBioCtrl);
    BIO_meth_set_create(m, fdBioCreate);
    BIO_meth_set_destroy(m, fdBioDestroy);
  });
  return m;
}

}  // namespace

BIO* newFdBio(FdBioState* state) {
  BIO* bio = BIO_new(method());
  if (bio) BIO_set_data(bio, state);
  return bio;
}

}  // namespace tlsql
