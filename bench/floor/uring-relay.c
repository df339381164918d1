// The same byte copier as epoll-relay.c on io_uring (liburing-dev from Debian): submissions and
// completions of every connection batched into one io_uring_enter per loop turn. Measured against
// epoll-relay.c in docs/benchmarks.md, run N7. Build: gcc -O2 -o uring-relay uring-relay.c -luring
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
struct dir { int from, to; int op; char buf[65536]; int len, off; struct dir* other; int done; };
enum { ACCEPT = 1, RECV = 2, SEND = 3 };
static struct io_uring ring;
static int tport; static struct sockaddr_in a;
static void post_recv(struct dir* d) { struct io_uring_sqe* s = io_uring_get_sqe(&ring); io_uring_prep_recv(s, d->from, d->buf, sizeof d->buf, 0); d->op = RECV; io_uring_sqe_set_data(s, d); }
static void post_send(struct dir* d) { struct io_uring_sqe* s = io_uring_get_sqe(&ring); io_uring_prep_send(s, d->to, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL); d->op = SEND; io_uring_sqe_set_data(s, d); }
static int acc_op = ACCEPT;
int main(int argc, char** argv) {
  int lport = atoi(argv[1]); tport = atoi(argv[2]);
  int ls = socket(AF_INET, SOCK_STREAM, 0); int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, 4);
  a.sin_family = AF_INET; a.sin_port = htons(lport); a.sin_addr.s_addr = htonl(0x7f000001);
  if (bind(ls, (void*)&a, sizeof a) || listen(ls, 128)) { perror("bind"); return 1; }
  struct io_uring_params p = {0};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (getenv("COOP")) p.flags = IORING_SETUP_COOP_TASKRUN;
  int e = io_uring_queue_init_params(1024, &ring, &p); if (e) { fprintf(stderr, "init %s\n", strerror(-e)); return 1; }
  struct io_uring_sqe* s = io_uring_get_sqe(&ring); io_uring_prep_accept(s, ls, 0, 0, 0); io_uring_sqe_set_data(s, &acc_op);
  for (;;) {
    io_uring_submit_and_wait(&ring, 1);
    struct io_uring_cqe* cqe; unsigned head, n = 0;
    io_uring_for_each_cqe(&ring, head, cqe) {
      n++;
      int* tag = io_uring_cqe_get_data(cqe);
      if (tag == &acc_op) {
        int c = cqe->res;
        s = io_uring_get_sqe(&ring); io_uring_prep_accept(s, ls, 0, 0, 0); io_uring_sqe_set_data(s, &acc_op);
        if (c < 0) continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 4);
        int t = socket(AF_INET, SOCK_STREAM, 0); setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &one, 4);
        struct sockaddr_in b = a; b.sin_port = htons(tport);
        if (connect(t, (void*)&b, sizeof b)) { perror("connect"); close(c); close(t); continue; }
        struct dir* d1 = calloc(1, sizeof *d1); d1->from = c; d1->to = t;
        struct dir* d2 = calloc(1, sizeof *d2); d2->from = t; d2->to = c;
        d1->other = d2; d2->other = d1;
        post_recv(d1); post_recv(d2);
        continue;
      }
      struct dir* d = (struct dir*)tag;
      if (cqe->res <= 0) {
        // One direction ended: end both, and free the pair once the other direction's pending operation completed too.
        d->done = 1;
        if (d->other->done) { close(d->from); close(d->to); free(d->other); free(d); }
        else { shutdown(d->from, SHUT_RDWR); shutdown(d->to, SHUT_RDWR); }
        continue;
      }
      if (d->op == RECV) { d->len = cqe->res; d->off = 0; post_send(d); }
      else { d->off += cqe->res; if (d->off < d->len) post_send(d); else post_recv(d); }
    }
    io_uring_cq_advance(&ring, n);
  }
}
