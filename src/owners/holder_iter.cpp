#include "owners/holder_iter.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "owners_accept.skel.h"
#include "owners_iter.skel.h"

namespace tcpfsm {
namespace {

constexpr const char* kTracefs = "/sys/kernel/tracing";

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

// Why the kernel refused to load a BPF object, for the user.
std::string refused(int err, const char* needs) {
  return err == -EPERM || err == -EACCES ? "the kernel refused to load it: needs root or CAP_BPF+CAP_PERFMON"
                                         : std::string("the kernel refused to load it (needs ") + needs +
                                               "): " + std::strerror(-err);
}

}  // namespace

struct HolderIterator::Impl {
  owners_iter_bpf* skel = nullptr;
  bpf_link* holders = nullptr;
  bpf_link* listeners = nullptr;
  bpf_link* held = nullptr;
  owners_accept_bpf* accept = nullptr;  // nothing: no accept hook
  ring_buffer* accepted = nullptr;      // its records
  std::vector<tcpfsm_holder> taken;     // filled by ring_buffer__consume()
  ~Impl() {
    ring_buffer__free(accepted);
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
  // The accept hook, or why it cannot be had.
  std::string load_accept() {
    accept = owners_accept_bpf__open();
    if (!accept) return std::string("cannot open its BPF object: ") + std::strerror(errno);
    if (const int err = owners_accept_bpf__load(accept)) return give_up(refused(err, "syscall tracepoints"));
    if (int err = attach_accept()) {
      return give_up(err == ENOENT ? "tracefs is not mounted (/sys/kernel/tracing) and tcpfsm cannot mount it "
                                     "(needs CAP_SYS_ADMIN): no syscall tracepoints to attach to"
                     : err == EACCES ? "tracefs is not readable: the syscall tracepoints' ids need CAP_DAC_READ_SEARCH"
                                     : std::string("cannot attach to syscalls:sys_exit_accept4: ") + std::strerror(err));
    }
    if (!(accepted = ring_buffer__new(bpf_map__fd(accept->maps.accepted), on_accepted, this, nullptr)))
      return give_up(std::string("cannot read its ring buffer: ") + std::strerror(errno));
    return "";
  }
  // Attaches the accept hook; 0 or an errno. The tracepoint's id is read
  // from tracefs at attach time only: where tracefs is not mounted, it is
  // mounted for that (as systemd does at boot; needs CAP_SYS_ADMIN) and
  // taken away again.
  int attach_accept() {
    if (owners_accept_bpf__attach(accept) == 0) return 0;
    if (errno != ENOENT) return errno;
    if (mount("tracefs", kTracefs, "tracefs", 0, nullptr) != 0) return ENOENT;
    const int err = owners_accept_bpf__attach(accept) == 0 ? 0 : errno;
    umount(kTracefs);
    return err;
  }
  std::string give_up(std::string why) {
    owners_accept_bpf__destroy(accept);
    accept = nullptr;
    return why;
  }
};

std::unique_ptr<HolderIterator> HolderIterator::load(std::string& why, std::string& accept_why) {
  auto impl = std::make_unique<Impl>();
  impl->skel = owners_iter_bpf__open();
  if (!impl->skel) {
    why = std::string("cannot open its BPF object: ") + std::strerror(errno);
    return nullptr;
  }
  bpf_map__set_max_entries(impl->skel->maps.wanted, kWantedMax);
  if (const int err = owners_iter_bpf__load(impl->skel)) {
    why = refused(err, "Linux 5.8+ with BTF");
    return nullptr;
  }
  impl->holders = bpf_program__attach_iter(impl->skel->progs.socket_holders, nullptr);
  if (impl->holders) impl->listeners = bpf_program__attach_iter(impl->skel->progs.tcp_listeners, nullptr);
  if (impl->listeners) impl->held = bpf_program__attach_iter(impl->skel->progs.held_sockets, nullptr);
  if (!impl->holders || !impl->listeners || !impl->held) {
    why = std::string("cannot attach it: ") + std::strerror(errno);
    return nullptr;
  }
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
  if (impl_->accepted) ring_buffer__consume(impl_->accepted);
  return std::exchange(impl_->taken, {});
}

}  // namespace tcpfsm
