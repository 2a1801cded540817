#include "bpf_runtime/ring.h"

#include <bpf/libbpf.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/errors.h"

namespace tcpfsm {

RingReader::~RingReader() { close(); }

void RingReader::close() {
  if (wakeups_ >= 0) ::close(wakeups_);
  wakeups_ = -1;
  ring_buffer__free(rb_);
  rb_ = nullptr;
}

void RingReader::open(int map_fd, Callback cb, void* ctx, bool wakeups) {
  rb_ = ring_buffer__new(map_fd, cb, ctx, nullptr);
  if (!rb_) throw Error(ExitCode::Failure, std::string("cannot open the BPF ring buffer: ") + std::strerror(errno));
  if (!wakeups) return;
  wakeups_ = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  if (wakeups_ < 0 || epoll_ctl(wakeups_, EPOLL_CTL_ADD, map_fd, &ev) != 0)
    throw Error(ExitCode::Failure, std::string("cannot wait on the BPF ring buffer: ") + std::strerror(errno));
}

int RingReader::consume() { return ring_buffer__consume(rb_); }

void RingReader::wait(int timeout_ms) {
  epoll_event ev[1];
  epoll_wait(wakeups_, ev, 1, timeout_ms);
}

}  // namespace tcpfsm
