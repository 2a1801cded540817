#include "owners/holder_iter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "bpf_runtime/libbpf_log.h"
#include "bpf_runtime/refusal.h"
#include "bpf_runtime/ring.h"
#include "bpf_runtime/tracefs.h"
#include "owners_accept.skel.h"
#include "owners_iter.skel.h"

namespace tcpfsm {
namespace {

constexpr const char* kIterator = "the task_file iterator";
constexpr const char* kAcceptHook = "the accept() hook (syscalls:sys_exit_accept4 and sys_exit_accept)";

// Inodes asked about per read of the iterator; more are asked in turns.
constexpr std::uint32_t kWantedMax = 8192;

// Every record one read of the iterator linked at `link` writes; nothing if
// the read failed part way.
template <typename Record>
std::optional<std::vector<Record>> read_all(bpf_link* link) {
  const int fd = bpf_iter_create(bpf_link__fd(link));
  if (fd < 0) return std::nullopt;
  std::vector<char> bytes;
  char buf[16 * 1024];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  close(fd);
  std::vector<Record> out(bytes.size() / sizeof(Record));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), out.size() * sizeof(Record));  // never null
  return out;
}

}  // namespace

struct HolderIterator::Impl {
  owners_iter_bpf* skel = nullptr;
  bpf_link* holders = nullptr;
  bpf_link* listeners = nullptr;
  bpf_link* held = nullptr;
  owners_accept_bpf* accept = nullptr;  // nothing: no accept hook
  RingReader accepted;                  // its records
  std::vector<tcpfsm_holder> taken;     // filled by accepted.consume()
  ~Impl() {
    accepted.close();
    owners_accept_bpf__destroy(accept);
    bpf_link__destroy(held);
    bpf_link__destroy(listeners);
    bpf_link__destroy(holders);
    owners_iter_bpf__destroy(skel);
  }
  static int on_accepted(void* ctx, void* data, std::size_t size) {
    if (size >= sizeof(tcpfsm_holder)) static_cast<Impl*>(ctx)->taken.push_back(*static_cast<const tcpfsm_holder*>(data));
    return 0;
  }
  // The iterators, or why they cannot be had.
  std::string load_iterators() {
    LibbpfLog log;
    skel = owners_iter_bpf__open();
    if (!skel) return bpf_refusal(BpfStep::Open, errno, kIterator, log).what();
    bpf_map__set_max_entries(skel->maps.wanted, kWantedMax);
    if (const int err = owners_iter_bpf__load(skel))
      return bpf_refusal(BpfStep::Load, -err, kIterator, log, "Linux 5.8+ with BTF").what();
    holders = bpf_program__attach_iter(skel->progs.socket_holders, nullptr);
    if (holders) listeners = bpf_program__attach_iter(skel->progs.tcp_listeners, nullptr);
    if (listeners) held = bpf_program__attach_iter(skel->progs.held_sockets, nullptr);
    if (!holders || !listeners || !held) return bpf_refusal(BpfStep::Attach, errno, kIterator, log).what();
    return "";
  }
  // The accept hook, or why it cannot be had. The syscall tracepoints' ids
  // are read from tracefs at attach time only: where tracefs is not
  // mounted, it is mounted for that, and taken away again.
  std::string load_accept() {
    LibbpfLog log;
    accept = owners_accept_bpf__open();
    if (!accept) return bpf_refusal(BpfStep::Open, errno, kAcceptHook, log).what();
    if (const int err = owners_accept_bpf__load(accept))
      return give_up(bpf_refusal(BpfStep::Load, -err, kAcceptHook, log, "syscall tracepoints").what());
    {
      TracefsMount tracefs;
      if (std::string why = tracefs.ensure(); !why.empty())
        return give_up(why + ": no syscall tracepoints to attach to");
      if (owners_accept_bpf__attach(accept) != 0)
        return give_up(bpf_refusal(BpfStep::Attach, errno, kAcceptHook, log).what());
    }
    try {
      accepted.open(bpf_map__fd(accept->maps.accepted), on_accepted, this);
    } catch (const Error& e) {
      return give_up(e.what());
    }
    return "";
  }
  std::string give_up(std::string why) {
    owners_accept_bpf__destroy(accept);
    accept = nullptr;
    return why;
  }
};

std::unique_ptr<HolderIterator> HolderIterator::load(std::string& why, std::string& accept_why) {
  auto impl = std::make_unique<Impl>();
  why = impl->load_iterators();
  if (!why.empty()) return nullptr;
  accept_why = impl->load_accept();
  return std::unique_ptr<HolderIterator>(new HolderIterator(std::move(impl)));
}

HolderIterator::HolderIterator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HolderIterator::~HolderIterator() = default;

std::optional<std::vector<tcpfsm_holder>> HolderIterator::holding(std::span<const std::uint32_t> inodes) {
  const int map = bpf_map__fd(impl_->skel->maps.wanted);
  std::vector<tcpfsm_holder> found;
  const std::vector<std::uint8_t> ones(std::min<std::size_t>(inodes.size(), kWantedMax), 1);
  while (!inodes.empty()) {
    auto turn = inodes.first(std::min<std::size_t>(inodes.size(), kWantedMax));
    inodes = inodes.subspan(turn.size());
    // Batched: one system call to ask, one to forget.
    std::uint32_t count = static_cast<std::uint32_t>(turn.size());
    if (bpf_map_update_batch(map, turn.data(), ones.data(), &count, nullptr) != 0) return std::nullopt;
    auto part = read_all<tcpfsm_holder>(impl_->holders);
    count = static_cast<std::uint32_t>(turn.size());
    const bool forgotten = bpf_map_delete_batch(map, turn.data(), &count, nullptr) == 0;
    if (!part || !forgotten) return std::nullopt;
    found.insert(found.end(), part->begin(), part->end());
  }
  return found;
}

std::optional<std::vector<tcpfsm_holder>> HolderIterator::listening() {
  return read_all<tcpfsm_holder>(impl_->listeners);
}

std::optional<std::vector<tcpfsm_held_socket>> HolderIterator::held(std::uint32_t states) {
  // Read by the program at each file; nothing else reads this iterator.
  impl_->skel->bss->held_states = states;
  return read_all<tcpfsm_held_socket>(impl_->held);
}

std::vector<tcpfsm_holder> HolderIterator::accepted() {
  // Mapped memory: no system call when there is nothing new.
  if (impl_->accepted.is_open()) impl_->accepted.consume();
  return std::exchange(impl_->taken, {});
}

}  // namespace tcpfsm
