// sock_diag replies built byte by byte, as the kernel sends them.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#include <cstring>

#include "common/errors.h"
#include "kernel/sockdiag.h"

using namespace tcpfsm;

namespace {

constexpr std::uint32_t kSeq = 7;

class Reply {
 public:
  // One attribute, to put after the message of the next socket().
  Reply& attr(std::uint16_t type, const void* data, std::size_t len) {
    nlattr a{static_cast<std::uint16_t>(NLA_HDRLEN + len), type};
    const std::size_t at = attrs_.size();
    attrs_.resize(at + NLA_ALIGN(a.nla_len));
    std::memcpy(attrs_.data() + at, &a, sizeof a);
    if (len) std::memcpy(attrs_.data() + at + NLA_HDRLEN, data, len);
    return *this;
  }
  // One SOCK_DIAG_BY_FAMILY message, with the attributes attr() gave;
  // info_len 0: no INET_DIAG_INFO attribute.
  Reply& socket(const inet_diag_msg& m, const tcp_info* info = nullptr, std::size_t info_len = 0,
                std::uint32_t seq = kSeq) {
    std::vector<std::uint8_t> payload(NLMSG_ALIGN(sizeof m));
    std::memcpy(payload.data(), &m, sizeof m);
    if (info) attr(INET_DIAG_INFO, info, info_len);
    payload.insert(payload.end(), attrs_.begin(), attrs_.end());
    attrs_.clear();
    return message(SOCK_DIAG_BY_FAMILY, payload, seq);
  }
  Reply& done() { return message(NLMSG_DONE, std::vector<std::uint8_t>(4), kSeq); }
  Reply& error(int err) {
    nlmsgerr e{};
    e.error = -err;
    std::vector<std::uint8_t> payload(sizeof e);
    std::memcpy(payload.data(), &e, sizeof e);
    return message(NLMSG_ERROR, payload, kSeq);
  }
  std::span<const std::uint8_t> bytes() const { return buf_; }

 private:
  Reply& message(std::uint16_t type, const std::vector<std::uint8_t>& payload, std::uint32_t seq) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(NLMSG_HDRLEN + payload.size());
    h.nlmsg_type = type;
    h.nlmsg_flags = NLM_F_MULTI;
    h.nlmsg_seq = seq;
    const std::size_t at = buf_.size();
    buf_.resize(at + NLMSG_ALIGN(h.nlmsg_len));
    std::memcpy(buf_.data() + at, &h, sizeof h);
    std::memcpy(buf_.data() + at + NLMSG_HDRLEN, payload.data(), payload.size());
    return *this;
  }
  std::vector<std::uint8_t> buf_;
  std::vector<std::uint8_t> attrs_;
};

inet_diag_msg close_wait_v4() {
  inet_diag_msg m{};
  m.idiag_family = AF_INET;
  m.idiag_state = 8;  // CLOSE_WAIT
  m.id.idiag_sport = htons(8080);
  m.id.idiag_dport = htons(51234);
  inet_pton(AF_INET, "10.0.0.1", &m.id.idiag_src);
  inet_pton(AF_INET, "10.0.0.5", &m.id.idiag_dst);
  m.id.idiag_cookie[0] = 0x89abcdef;
  m.id.idiag_cookie[1] = 0x01234567;
  m.idiag_rqueue = 513;
  m.idiag_wqueue = 7;
  m.idiag_uid = 1000;
  m.idiag_inode = 424242;
  return m;
}

inet_diag_msg timewait_fin_wait2_v6() {
  inet_diag_msg m{};
  m.idiag_family = AF_INET6;
  m.idiag_state = 5;  // FIN_WAIT2: a timewait socket's substate
  m.idiag_timer = 3;
  m.idiag_expires = 41000;
  m.id.idiag_sport = htons(40000);
  m.id.idiag_dport = htons(443);
  inet_pton(AF_INET6, "2001:db8::1", &m.id.idiag_src);
  inet_pton(AF_INET6, "::ffff:10.0.0.9", &m.id.idiag_dst);
  m.id.idiag_cookie[0] = 99;
  return m;
}

std::string text(bool v6, const Endpoint& ep) {
  char buf[kAddrTextMax];
  return std::string(buf, format_addr(buf, v6, ep.addr)) + ":" + std::to_string(ep.port);
}

}  // namespace

TEST(SockDiagParse, FullSocketWithTcpInfo) {
  tcp_info info{};
  info.tcpi_last_data_recv = 2000;
  info.tcpi_last_ack_recv = 1500;
  Reply r;
  r.socket(close_wait_v4(), &info, sizeof info).done();
  std::vector<DiagSocket> out;
  EXPECT_EQ(parse_dump(r.bytes(), kSeq, out), DumpProgress::Done);
  ASSERT_EQ(out.size(), 1u);
  const DiagSocket& s = out[0];
  EXPECT_EQ(s.cookie, 0x0123456789abcdefULL);
  EXPECT_EQ(s.state, 8);
  EXPECT_EQ(s.kind, SocketKind::Full);
  EXPECT_FALSE(s.ipv6);
  EXPECT_EQ(text(false, s.local), "10.0.0.1:8080");
  EXPECT_EQ(text(false, s.remote), "10.0.0.5:51234");
  EXPECT_EQ(s.rqueue, 513u);
  EXPECT_EQ(s.wqueue, 7u);
  EXPECT_EQ(s.uid, 1000u);
  EXPECT_EQ(s.ino, 424242u);
  EXPECT_EQ(s.last_ack_recv_ms, 1500u);
}

TEST(SockDiagParse, MiniSocketsHaveNoTcpInfo) {
  inet_diag_msg req = close_wait_v4();
  req.idiag_state = 3;  // SYN_RECV: a request socket
  req.idiag_inode = 0;
  Reply r;
  r.socket(timewait_fin_wait2_v6()).socket(req);
  std::vector<DiagSocket> out;
  EXPECT_EQ(parse_dump(r.bytes(), kSeq, out), DumpProgress::More);  // no NLMSG_DONE yet
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].kind, SocketKind::TimeWait);
  EXPECT_TRUE(out[0].ipv6);
  EXPECT_EQ(out[0].state, 5);
  EXPECT_EQ(out[0].expires_ms, 41000u);
  EXPECT_EQ(out[0].cookie, 99u);
  EXPECT_EQ(text(true, out[0].local), "2001:db8::1:40000");
  EXPECT_EQ(text(true, out[0].remote), "::ffff:10.0.0.9:443");
  EXPECT_FALSE(out[0].last_ack_recv_ms);
  EXPECT_EQ(out[1].kind, SocketKind::Request);
}

TEST(SockDiagParse, ShortTcpInfoFromAnOlderKernel) {
  tcp_info info{};
  info.tcpi_last_ack_recv = 5;
  // Cut just before tcpi_last_ack_recv: that field reads as 0.
  Reply r;
  r.socket(close_wait_v4(), &info, offsetof(tcp_info, tcpi_last_ack_recv)).done();
  std::vector<DiagSocket> out;
  parse_dump(r.bytes(), kSeq, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].kind, SocketKind::Full);
  EXPECT_EQ(out[0].last_ack_recv_ms, 0u);
}

TEST(SockDiagParse, MessagesOfAnotherDumpAreSkipped) {
  Reply r;
  r.socket(close_wait_v4(), nullptr, 0, kSeq - 1).socket(timewait_fin_wait2_v6()).done();
  std::vector<DiagSocket> out;
  EXPECT_EQ(parse_dump(r.bytes(), kSeq, out), DumpProgress::Done);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].cookie, 99u);
}

TEST(SockDiagParse, ErrorsSpeakToTheUser) {
  Reply refused;
  refused.error(EPERM);
  std::vector<DiagSocket> out;
  try {
    parse_dump(refused.bytes(), kSeq, out);
    FAIL() << "an error reply must throw";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "the kernel refused the sock_diag dump of TCP sockets: Operation not permitted");
  }
  Reply gone;
  gone.error(ENOENT);
  EXPECT_EQ(parse_dump(gone.bytes(), kSeq, out), DumpProgress::NotFound);
}

TEST(SockDiagParse, MalformedRepliesThrow) {
  Reply r;
  r.socket(close_wait_v4()).done();
  std::vector<std::uint8_t> cut(r.bytes().begin(), r.bytes().begin() + 40);
  std::vector<DiagSocket> out;
  EXPECT_THROW(parse_dump(cut, kSeq, out), Error);

  tcp_info info{};
  Reply bad_attr;
  bad_attr.socket(close_wait_v4(), &info, sizeof info);
  std::vector<std::uint8_t> bytes(bad_attr.bytes().begin(), bad_attr.bytes().end());
  // The attribute claims more bytes than its message has.
  const std::size_t attr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(inet_diag_msg));
  const std::uint16_t huge = 0x7fff;
  std::memcpy(bytes.data() + attr, &huge, sizeof huge);
  EXPECT_THROW(parse_dump(bytes, kSeq, out), Error);
}

// INET_DIAG_CGROUP_ID (Linux 5.7+) comes with every full socket, unasked,
// after INET_DIAG_INFO and the others (inet_diag_msg_attrs_fill runs
// first, tcp_info after it: any order must do). nla_put_u64_64bit() puts
// an empty INET_DIAG_PAD before it where u64s must be aligned.
TEST(SockDiagParse, CgroupIdOfAFullSocket) {
  const std::uint64_t id = 0x0000000100002a2fULL;  // above 2^32: all 8 bytes are read
  const std::uint8_t tos = 0;
  tcp_info info{};
  info.tcpi_last_ack_recv = 7;
  Reply r;
  r.attr(INET_DIAG_TOS, &tos, 1).attr(INET_DIAG_CGROUP_ID, &id, sizeof id).socket(close_wait_v4(), &info, sizeof info);
  r.attr(INET_DIAG_PAD, nullptr, 0).attr(INET_DIAG_CGROUP_ID, &id, sizeof id).socket(close_wait_v4());
  r.socket(timewait_fin_wait2_v6()).done();  // a timewait socket has none
  std::vector<DiagSocket> out;
  EXPECT_EQ(parse_dump(r.bytes(), kSeq, out), DumpProgress::Done);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].cgroup_id, id);
  EXPECT_EQ(out[0].last_ack_recv_ms, 7u);
  EXPECT_EQ(out[1].cgroup_id, id);
  EXPECT_EQ(out[2].cgroup_id, 0u);
  // The parser is not told the namespace: whoever dumped says.
  EXPECT_EQ(out[0].netns, 0u);
  // The parser spells the type out (21) for older headers.
  EXPECT_EQ(INET_DIAG_CGROUP_ID, 21);
}

TEST(SockDiagParse, ShortCgroupIdIsMalformed) {
  const std::uint32_t half = 5;
  Reply r;
  r.attr(INET_DIAG_CGROUP_ID, &half, sizeof half).socket(close_wait_v4()).done();
  std::vector<DiagSocket> out;
  EXPECT_THROW(parse_dump(r.bytes(), kSeq, out), Error);
}

TEST(SockDiagParse, EndpointsKeyTellsNamespacesApart) {
  const DiagSocket s = [] {
    Reply r;
    r.socket(close_wait_v4()).done();
    std::vector<DiagSocket> out;
    parse_dump(r.bytes(), kSeq, out);
    return out.at(0);
  }();
  EXPECT_NE(endpoints_key(4026531840U, false, s.local, s.remote), endpoints_key(4026532296U, false, s.local, s.remote));
  EXPECT_EQ(endpoints_key(4026531840U, false, s.local, s.remote), endpoints_key(4026531840U, false, s.local, s.remote));
  EXPECT_EQ(endpoints_key(false, s.local, s.remote), endpoints_key(0, false, s.local, s.remote));
  EXPECT_NE(endpoints_key(7, false, s.local, s.remote), endpoints_key(7, false, s.remote, s.local));
}

TEST(SockDiagParse, StateMaskHasOneBitPerState) {
  const State states[] = {State::CloseWait, State::FinWait2};
  EXPECT_EQ(state_mask(states), (1U << 8) | (1U << 5));
}
