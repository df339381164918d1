// The floor of a relay process on this machine: a plain TCP byte copier (TLS end to end, no TLS
// work), one thread, epoll. Used by hand to bound what any front door can reach; see
// docs/benchmarks.md, run N7. Build: gcc -O2 -o epoll-relay epoll-relay.c; run: ./epoll-relay LISTEN_PORT TARGET_PORT
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
static int peer[65536];
static char buf[65536];
int main(int argc, char** argv) {
  int lport = atoi(argv[1]), tport = atoi(argv[2]);
  int ls = socket(AF_INET, SOCK_STREAM, 0); int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, 4);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(lport)}; a.sin_addr.s_addr = htonl(0x7f000001);
  if (bind(ls, (void*)&a, sizeof a) || listen(ls, 128)) { perror("bind"); return 1; }
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}; epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  struct epoll_event evs[64];
  for (;;) {
    int n = epoll_wait(ep, evs, 64, -1);
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c = accept(ls, 0, 0); setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, 4);
        int s = socket(AF_INET, SOCK_STREAM, 0); setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, 4);
        a.sin_port = htons(tport); if (connect(s, (void*)&a, sizeof a)) { perror("connect"); close(c); close(s); continue; }
        peer[c] = s; peer[s] = c;
        ev.data.fd = c; epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        ev.data.fd = s; epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
        continue;
      }
      ssize_t r = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; int p = peer[fd]; close(fd); close(p); continue; }
      ssize_t off = 0; while (off < r) { ssize_t w = send(peer[fd], buf + off, r - off, MSG_NOSIGNAL); if (w < 0) { if (errno == EAGAIN) continue; break; } off += w; }
    }
  }
}
