#include "kernel/sockdiag.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

#include "common/errors.h"

namespace tcpfsm {
namespace {

// Large enough for any dump datagram: the kernel fills at most ~32 KiB per reply.
constexpr std::size_t kRecvBytes = 64 * 1024;

template <class T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // netlink payloads are only 4-byte aligned
  return v;
}

// INET_DIAG_CGROUP_ID: 21 since Linux 5.7, spelled out for older headers.
constexpr std::uint16_t kCgroupIdAttr = 21;

[[noreturn]] void malformed(const char* what) {
  throw Error(ExitCode::Failure, std::string("malformed sock_diag reply from the kernel: ") + what);
}

std::uint32_t tcp_info_u32(const std::uint8_t* info, std::size_t len, std::size_t offset) {
  // An older kernel sends a shorter tcp_info: missing fields read as 0.
  return offset + sizeof(std::uint32_t) <= len ? load<std::uint32_t>(info + offset) : 0;
}

DiagSocket decode_socket(const std::uint8_t* payload, std::size_t len) {
  if (len < sizeof(inet_diag_msg)) malformed("inet_diag_msg too short");
  const auto m = load<inet_diag_msg>(payload);
  DiagSocket s;
  s.cookie = std::uint64_t{m.id.idiag_cookie[1]} << 32 | m.id.idiag_cookie[0];
  s.state = m.idiag_state;
  s.ipv6 = m.idiag_family == AF_INET6;
  std::memcpy(s.local.addr.data(), m.id.idiag_src, s.ipv6 ? 16 : 4);
  std::memcpy(s.remote.addr.data(), m.id.idiag_dst, s.ipv6 ? 16 : 4);
  s.local.port = ntohs(m.id.idiag_sport);
  s.remote.port = ntohs(m.id.idiag_dport);
  s.rqueue = m.idiag_rqueue;
  s.wqueue = m.idiag_wqueue;
  s.uid = m.idiag_uid;
  s.ino = m.idiag_inode;
  s.expires_ms = m.idiag_expires;

  // Attributes follow the message; INET_DIAG_INFO (requested) carries
  // tcp_info. INET_DIAG_CGROUP_ID comes unasked: inet_diag_msg_attrs_fill()
  // puts it for every full socket (under CONFIG_SOCK_CGROUP_DATA), with no
  // idiag_ext bit; nla_put_u64_64bit() may put an INET_DIAG_PAD before it on
  // architectures that need the u64 aligned, and it is skipped like any other.
  for (std::size_t off = NLMSG_ALIGN(sizeof(inet_diag_msg)); off + sizeof(nlattr) <= len;) {
    const auto a = load<nlattr>(payload + off);
    if (a.nla_len < sizeof(nlattr) || off + a.nla_len > len) malformed("attribute overruns the message");
    if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO) {
      const std::uint8_t* info = payload + off + NLA_HDRLEN;
      const std::size_t info_len = a.nla_len - NLA_HDRLEN;
      s.last_ack_recv_ms = tcp_info_u32(info, info_len, offsetof(tcp_info, tcpi_last_ack_recv));
    } else if ((a.nla_type & NLA_TYPE_MASK) == kCgroupIdAttr) {
      if (a.nla_len < NLA_HDRLEN + sizeof(std::uint64_t)) malformed("INET_DIAG_CGROUP_ID too short");
      s.cgroup_id = load<std::uint64_t>(payload + off + NLA_HDRLEN);
    }
    off += NLA_ALIGN(a.nla_len);
  }
  // Only full sockets have tcp_info; of the mini sockets only a request is SYN_RECV.
  if (!s.last_ack_recv_ms) s.kind = s.state == number(State::SynRecv) ? SocketKind::Request : SocketKind::TimeWait;
  return s;
}

}  // namespace

std::uint64_t endpoints_key(std::uint32_t netns, bool ipv6, const Endpoint& local, const Endpoint& remote) {
  // FNV-1a over namespace, family, addresses and ports: unique among live
  // connections.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&h](std::uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
  for (int shift = 0; shift < 32; shift += 8) mix(static_cast<std::uint8_t>(netns >> shift));
  mix(ipv6);
  for (const Endpoint* ep : {&local, &remote}) {
    for (std::uint8_t b : ep->addr) mix(b);
    mix(static_cast<std::uint8_t>(ep->port >> 8));
    mix(static_cast<std::uint8_t>(ep->port));
  }
  return h;
}

std::uint64_t endpoints_key(bool ipv6, const Endpoint& local, const Endpoint& remote) {
  return endpoints_key(0, ipv6, local, remote);
}

std::uint32_t state_mask(std::span<const State> states) {
  std::uint32_t mask = 0;
  for (State s : states) mask |= 1U << number(s);
  return mask;
}

DumpProgress parse_dump(std::span<const std::uint8_t> datagram, std::uint32_t seq, std::vector<DiagSocket>& out) {
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= datagram.size()) {
    const auto h = load<nlmsghdr>(datagram.data() + off);
    if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > datagram.size())
      malformed("message overruns the datagram");
    const std::uint8_t* payload = datagram.data() + off + NLMSG_HDRLEN;
    const std::size_t payload_len = h.nlmsg_len - NLMSG_HDRLEN;
    if (h.nlmsg_seq != seq) {  // left over from a dump that was abandoned midway
      off += NLMSG_ALIGN(h.nlmsg_len);
      continue;
    }
    if (h.nlmsg_type == NLMSG_DONE) return DumpProgress::Done;
    if (h.nlmsg_type == NLMSG_ERROR) {
      if (payload_len < sizeof(int)) malformed("error message too short");
      const int err = -load<int>(payload);
      if (err == 0) return DumpProgress::Done;  // an acknowledgement
      if (err == ENOENT || err == ESTALE) return DumpProgress::NotFound;  // ESTALE: the cookie differs
      throw Error(ExitCode::Failure, std::string("the kernel refused the sock_diag dump of TCP sockets: ") +
                                         std::strerror(err));
    }
    if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) out.push_back(decode_socket(payload, payload_len));
    off += NLMSG_ALIGN(h.nlmsg_len);
  }
  if (off != datagram.size()) malformed("trailing bytes after the last message");
  return DumpProgress::More;
}

SockDiag::SockDiag() : buf_(kRecvBytes) {
  fd_ = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd_ < 0) {
    const int err = errno;
    throw Error(ExitCode::Failure,
                std::string("cannot open a sock_diag netlink socket to list TCP sockets: ") +
                    std::strerror(err) +
                    (err == EPROTONOSUPPORT ? " (the kernel lacks CONFIG_INET_DIAG / CONFIG_INET_TCP_DIAG)"
                                            : ""));
  }
}

SockDiag::~SockDiag() {
  if (fd_ >= 0) close(fd_);
}

struct DiagRequest {
  nlmsghdr h;
  inet_diag_req_v2 r;
};

DiagRequest SockDiag::request(std::uint16_t family, std::uint16_t flags) {
  DiagRequest req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  req.h.nlmsg_flags = NLM_F_REQUEST | flags;
  req.h.nlmsg_seq = ++seq_;
  req.r.sdiag_family = static_cast<std::uint8_t>(family);
  req.r.sdiag_protocol = IPPROTO_TCP;
  req.r.idiag_ext = 1U << (INET_DIAG_INFO - 1);
  return req;
}

DumpProgress SockDiag::exchange(const DiagRequest& req, std::vector<DiagSocket>& out) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_, &req, sizeof req, 0, reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel) < 0)
    throw Error(ExitCode::Failure, std::string("cannot ask the kernel for its TCP sockets (sock_diag): ") +
                                       std::strerror(errno));
  const bool lookup = !(req.h.nlmsg_flags & NLM_F_DUMP);
  for (;;) {
    const ssize_t n = recv(fd_, buf_.data(), buf_.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ExitCode::Failure, std::string("reading the kernel's list of TCP sockets (sock_diag) failed: ") +
                                         std::strerror(errno));
    }
    if (static_cast<std::size_t>(n) > buf_.size()) malformed("datagram larger than the receive buffer");
    const std::size_t before = out.size();
    const DumpProgress p = parse_dump({buf_.data(), static_cast<std::size_t>(n)}, seq_, out);
    // A lookup is answered by one socket, with no NLMSG_DONE after it.
    if (p != DumpProgress::More || (lookup && out.size() > before)) return p;
  }
}

void SockDiag::dump(std::uint16_t family, std::uint32_t states, std::vector<DiagSocket>& out) {
  DiagRequest req = request(family, NLM_F_DUMP);
  req.r.idiag_states = states;
  exchange(req, out);
}

std::optional<DiagSocket> SockDiag::find(const DiagSocket& s) {
  DiagRequest req = request(s.ipv6 ? AF_INET6 : AF_INET, 0);
  req.r.idiag_states = ~0U;
  req.r.id.idiag_sport = htons(s.local.port);
  req.r.id.idiag_dport = htons(s.remote.port);
  std::memcpy(req.r.id.idiag_src, s.local.addr.data(), s.ipv6 ? 16 : 4);
  std::memcpy(req.r.id.idiag_dst, s.remote.addr.data(), s.ipv6 ? 16 : 4);
  req.r.id.idiag_cookie[0] = static_cast<std::uint32_t>(s.cookie);
  req.r.id.idiag_cookie[1] = static_cast<std::uint32_t>(s.cookie >> 32);
  std::vector<DiagSocket> found;
  if (exchange(req, found) == DumpProgress::NotFound || found.empty()) return std::nullopt;
  return found.front();
}

}  // namespace tcpfsm
