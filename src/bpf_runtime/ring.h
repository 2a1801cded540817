// A BPF ring buffer map read from userspace: libbpf's reader of its records
// and, for a reader that sleeps until the kernel wakes it, a wait on the
// kernel's wakeups alone.
#pragma once

#include <cstddef>

struct ring_buffer;

namespace tcpfsm {

class RingReader {
 public:
  // libbpf's ring_buffer_sample_fn: called for each record; a negative
  // return stops the read there (consume() returns it).
  using Callback = int (*)(void* ctx, void* data, std::size_t size);

  RingReader() = default;
  ~RingReader();
  RingReader(const RingReader&) = delete;
  RingReader& operator=(const RingReader&) = delete;

  // Maps the ring buffer `map_fd` for reading, records to cb(ctx, ...); with
  // `wakeups`, also a wait that only the kernel's wakeups end
  // (edge-triggered: libbpf's own epoll set is level-triggered, so any
  // unread record, however few, would end every wait at once). Throws
  // Error (Failure) when it cannot.
  void open(int map_fd, Callback cb, void* ctx, bool wakeups = false);
  bool is_open() const { return rb_ != nullptr; }
  // Unmaps it (before the map goes, for one); the destructor does too.
  void close();

  // Reads what waits: the records read, or a negative errno (a callback's
  // negative return included).
  int consume();
  // Waits up to timeout_ms for the kernel's next wakeup or a signal; reads
  // nothing. Opened with wakeups only.
  void wait(int timeout_ms);

 private:
  ring_buffer* rb_ = nullptr;
  int wakeups_ = -1;
};

}  // namespace tcpfsm
