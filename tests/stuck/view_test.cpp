// Ages, ownership, grouping, hints, and the exact text and JSON of `tcpfsm stuck`.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include "stuck/stuck.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

// 2026-11-21T07:42:31.000001500Z
constexpr std::uint64_t kWall = 1'795'246'951'000'001'500ULL;
constexpr std::uint32_t kOwnNetns = 4026531840U;

Endpoint endpoint(bool v6, const char* addr, std::uint16_t port) {
  Endpoint ep;
  inet_pton(v6 ? AF_INET6 : AF_INET, addr, ep.addr.data());
  ep.port = port;
  return ep;
}

DiagSocket diag(State state, const char* laddr, std::uint16_t lport, const char* raddr, std::uint16_t rport,
                std::uint32_t ino = 0, bool v6 = false) {
  DiagSocket s;
  s.state = number(state);
  s.ipv6 = v6;
  s.local = endpoint(v6, laddr, lport);
  s.remote = endpoint(v6, raddr, rport);
  s.ino = ino;
  s.cookie = 1000 + lport;
  s.netns = kOwnNetns;
  return s;
}

Holder holder(std::int32_t pid, int fd, const char* comm = "java") {
  return Holder{pid, fd, comm, std::string(comm) + " -jar app.jar"};
}

StuckSocket stuck(DiagSocket s, Age age, std::vector<Holder> holders = {}) {
  StuckSocket st{std::move(s), age, std::move(holders), Ownership::Unknown, {}, nullptr};
  st.owner = ownership_of(st.sock, st.holders);
  return st;
}

}  // namespace

TEST(StuckAge, TextSaysHowWellTheAgeIsKnown) {
  EXPECT_EQ(age_text({192s, AgeKind::Measured}), "3m12s");
  EXPECT_EQ(age_text({192s, AgeKind::Estimate}), "~3m12s");
  EXPECT_EQ(age_text({192s, AgeKind::LowerBound}), "> 3m12s");
  EXPECT_EQ(age_text({450ms, AgeKind::LowerBound}), "> 450ms");
  EXPECT_EQ(age_kind_name(AgeKind::Measured), "measured");
  EXPECT_EQ(age_kind_name(AgeKind::Estimate), "estimate");
  EXPECT_EQ(age_kind_name(AgeKind::LowerBound), "lower_bound");
}

TEST(StuckAge, KernelEstimates) {
  DiagSocket cw = diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000, 1);
  EXPECT_FALSE(kernel_age_estimate(cw, 60s));  // no tcp_info
  cw.last_ack_recv_ms = 75'000;
  EXPECT_EQ(kernel_age_estimate(cw, 60s), 75s);  // since the peer's FIN (it carried an ACK)

  DiagSocket fw2 = diag(State::FinWait2, "10.0.0.1", 5000, "10.0.0.5", 8080, 1);
  fw2.last_ack_recv_ms = 3'000;
  EXPECT_EQ(kernel_age_estimate(fw2, 60s), 3s);

  DiagSocket est = diag(State::Established, "10.0.0.1", 5000, "10.0.0.5", 8080, 1);
  est.last_ack_recv_ms = 30;
  EXPECT_FALSE(kernel_age_estimate(est, 60s));  // nothing marks the entry into ESTABLISHED

  DiagSocket tw = diag(State::FinWait2, "10.0.0.1", 5000, "10.0.0.5", 8080);
  tw.kind = SocketKind::TimeWait;
  tw.expires_ms = 41'000;
  EXPECT_EQ(kernel_age_estimate(tw, 60s), 19s);  // armed with fin_timeout
  tw.expires_ms = 61'000;
  EXPECT_FALSE(kernel_age_estimate(tw, 60s));  // armed with something else: no idea
}

TEST(StuckAge, UntracedAgeTakesTheBetterBound) {
  DiagSocket cw = diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000, 1);
  cw.last_ack_recv_ms = 1'500;
  const Age early = untraced_age(cw, 100ms, 60s);
  EXPECT_EQ(early.kind, AgeKind::Estimate);
  EXPECT_EQ(early.value, 1500ms);
  const Age later = untraced_age(cw, 2s, 60s);  // watched longer than the estimate says
  EXPECT_EQ(later.kind, AgeKind::LowerBound);
  EXPECT_EQ(later.value, 2s);
  cw.last_ack_recv_ms.reset();
  EXPECT_EQ(untraced_age(cw, 3ms, 60s).kind, AgeKind::LowerBound);
}

TEST(StuckAge, UnreadBytesLeaveOutTheFin) {
  DiagSocket s = diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000, 1);
  s.rqueue = 6;  // 5 bytes and the FIN
  EXPECT_EQ(unread_bytes(s), 5u);
  s.rqueue = 0;  // read up to and including the FIN
  EXPECT_EQ(unread_bytes(s), 0u);
  s.state = number(State::Established);
  s.rqueue = 6;
  EXPECT_EQ(unread_bytes(s), 6u);
}

TEST(StuckOwnership, FromInodeAndHolders) {
  const Holder h = holder(1, 3);
  EXPECT_EQ(ownership_of(diag(State::CloseWait, "10.0.0.1", 1, "10.0.0.2", 2, 7), std::span(&h, 1)),
            Ownership::Process);
  EXPECT_EQ(ownership_of(diag(State::CloseWait, "10.0.0.1", 1, "10.0.0.2", 2, 7), {}), Ownership::Unknown);
  EXPECT_EQ(ownership_of(diag(State::CloseWait, "10.0.0.1", 1, "10.0.0.2", 2), {}), Ownership::NotAccepted);
  EXPECT_EQ(ownership_of(diag(State::SynRecv, "10.0.0.1", 1, "10.0.0.2", 2), {}), Ownership::NotAccepted);
  EXPECT_EQ(ownership_of(diag(State::FinWait2, "10.0.0.1", 1, "10.0.0.2", 2), {}), Ownership::Orphan);
  EXPECT_EQ(ownership_of(diag(State::LastAck, "10.0.0.1", 1, "10.0.0.2", 2), {}), Ownership::Orphan);
  EXPECT_EQ(ownership_name(Ownership::NotAccepted), "not_accepted");
}

TEST(StuckHints, OneLinePerState) {
  const Holder h = holder(4242, 12);
  EXPECT_EQ(hint(stuck(diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000, 7), {1s}, {h}), &h),
            "peer closed; pid 4242 has not called close() on fd 12");
  EXPECT_EQ(hint(stuck(diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000), {1s}), nullptr),
            "peer closed before the connection was accepted; the process listening on port 8080 is not "
            "calling accept()");
  EXPECT_EQ(hint(stuck(diag(State::FinWait2, "10.0.0.1", 5000, "10.0.0.5", 80), {1s}), nullptr),
            "waiting for the peer to close its side");
  EXPECT_EQ(hint(stuck(diag(State::SynRecv, "10.0.0.1", 80, "10.0.0.5", 5000), {1s}), nullptr),
            "handshake not completed (backlog or SYN flood?)");
  EXPECT_EQ(hint(stuck(diag(State::LastAck, "10.0.0.1", 80, "10.0.0.5", 5000), {1s}), nullptr),
            "The remote end has shut down, and the socket is closed. Waiting for acknowledgement.");
}

TEST(StuckHints, GroupNamesTheFds) {
  auto group_of = [](int n) {
    std::vector<StuckSocket> sockets;
    for (int i = 0; i < n; ++i)
      sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", static_cast<std::uint16_t>(40000 + i),
                                   "10.0.0.5", 8080, static_cast<std::uint32_t>(100 + i)),
                              {std::chrono::seconds(100 - i)}, {holder(7, 10 + i)}));
    return group_hint(group_sockets(sockets).front());
  };
  EXPECT_EQ(group_of(1), "peer closed; pid 7 has not called close() on fd 10");
  EXPECT_EQ(group_of(3), "peer closed; pid 7 has not called close() on fds 10, 11 and 12");
  EXPECT_EQ(group_of(6), "peer closed; pid 7 has not called close() on fds 10, 11, 12, 13, 14 and 15");
  EXPECT_EQ(group_of(9), "peer closed; pid 7 has not called close() on fds 10, 11, 12, 13, 14 and 4 more");
}

TEST(StuckKill, SsCommandForExactlyThisSocket) {
  const StuckSocket a = stuck(diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000, 1), {1s});
  const StuckSocket b = stuck(diag(State::CloseWait, "::1", 8080, "::ffff:10.0.0.6", 5001, 2, true), {1s});
  EXPECT_EQ(ss_kill_command(a), "ss -K -tn state close-wait '( src 10.0.0.1:8080 and dst 10.0.0.5:5000 )'");
  EXPECT_EQ(ss_kill_command(b), "ss -K -tn state close-wait '( src [::1]:8080 and dst [::ffff:10.0.0.6]:5001 )'");
}

// A group's command: one filter on the port its sockets share, the exact
// socket's for a group of one.
TEST(StuckKill, SsCommandForAGroup) {
  auto kill_of = [](const std::vector<StuckSocket>& sockets) {
    const auto groups = group_sockets_by_port(sockets);
    EXPECT_EQ(groups.size(), 1u);
    return ss_kill_command(groups.front());
  };
  const StuckSocket server_a = stuck(diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 50001, 1), {2s});
  const StuckSocket server_b = stuck(diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.6", 50002, 2), {1s});
  EXPECT_EQ(kill_of({server_a}), "ss -K -tn state close-wait '( src 10.0.0.1:8080 and dst 10.0.0.5:50001 )'");
  EXPECT_EQ(kill_of({server_a, server_b}), "ss -K -tn state close-wait '( sport = :8080 )'");
  // Clients of one service: its address and port; of several: the port.
  const StuckSocket client_a = stuck(diag(State::CloseWait, "::1", 40001, "2001:db8::9", 5432, 3, true), {2s});
  const StuckSocket client_b = stuck(diag(State::CloseWait, "::1", 40002, "2001:db8::9", 5432, 4, true), {1s});
  const StuckSocket client_c = stuck(diag(State::CloseWait, "::1", 40003, "2001:db8::10", 5432, 5, true), {1s});
  EXPECT_EQ(kill_of({client_a, client_b}), "ss -K -tn state close-wait '( dst [2001:db8::9]:5432 )'");
  EXPECT_EQ(kill_of({client_a, client_b, client_c}), "ss -K -tn state close-wait '( dport = :5432 )'");
  // In another namespace: run there.
  StuckSocket web_a = server_a, web_b = server_b;
  for (StuckSocket* s : {&web_a, &web_b}) {
    s->sock.netns = 4026532296U;
    s->place.own_netns = false;
    s->place.netns_pid = 77;
  }
  EXPECT_EQ(kill_of({web_a, web_b}), "nsenter -t 77 -n ss -K -tn state close-wait '( sport = :8080 )'");
  web_a.place.netns_pid = web_b.place.netns_pid = 0;
  EXPECT_EQ(kill_of({web_a, web_b}), "");  // no way in
}

TEST(StuckGroups, ByProcessAndStateLargestFirst) {
  std::vector<StuckSocket> sockets;
  sockets.push_back(stuck(diag(State::FinWait2, "10.0.0.1", 5000, "10.0.0.9", 443), {50s, AgeKind::Estimate}));
  sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {10s},
                          {holder(4242, 12)}));
  // Held twice by 4242 (dup) and once by 4243 (fork).
  sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41001, "10.0.0.5", 8080, 12), {20s},
                          {holder(4242, 13), holder(4242, 20), holder(4243, 13, "worker")}));
  const auto groups = group_sockets(sockets);
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].holder.pid, 4242);
  ASSERT_EQ(groups[0].sockets.size(), 2u);  // the dup'ed socket once
  EXPECT_EQ(groups[0].sockets[0]->sock.local.port, 41001);  // oldest first
  EXPECT_EQ(groups[1].owner, Ownership::Orphan);  // 1 socket, but older than 4243's
  EXPECT_EQ(groups[2].holder.pid, 4243);
  EXPECT_EQ(groups[2].holder.comm, "worker");
}

TEST(StuckView, ExactText) {
  StuckView v;
  v.states = {State::CloseWait, State::FinWait2};
  v.min_age = 30s;
  v.younger = 2;
  v.unknown_age = 1;
  DiagSocket a = diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11);
  a.rqueue = 513;
  v.sockets.push_back(stuck(a, {192s, AgeKind::Measured}, {holder(4242, 12)}));
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41001, "10.0.0.5", 8080, 12),
                            {200s, AgeKind::LowerBound}, {holder(4242, 13), holder(4243, 13, "worker")}));
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41002, "10.0.0.6", 8080, 13),
                            {40s, AgeKind::Estimate}, {holder(4242, 14)}));
  // A client's orphan: its local port is an ephemeral one.
  v.sockets.push_back(stuck(diag(State::FinWait2, "::1", 50000, "::1", 443, 0, true), {45s, AgeKind::Estimate}));
  std::string out;
  append_view(out, v, 2);
  EXPECT_EQ(out,
            "4 sockets stuck in CLOSE_WAIT or FIN_WAIT2 for 30.0s or more (2 younger, 1 of unknown age)\n"
            "\n"
            "pid 4242 (java) holds 3 CLOSE_WAIT sockets to port 8080 at 2 addresses, oldest > 3m20s\n"
            "  command: java -jar app.jar\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 4242 has not called close() on fds 13, 12 and 14\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            "  13    10.0.0.1:41001         10.0.0.5:8080               0  > 3m20s  also held by pid 4243 (worker)\n"
            "  12    10.0.0.1:41000         10.0.0.5:8080             512  3m12s\n"
            "  ... and 1 more\n"
            "  kill: ss -K -tn state close-wait '( dport = :8080 )'\n"
            "\n"
            "pid 4243 (worker) holds 1 CLOSE_WAIT socket to 10.0.0.5:8080, oldest > 3m20s\n"
            "  command: worker -jar app.jar\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 4243 has not called close() on fd 13\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            "  13    10.0.0.1:41001         10.0.0.5:8080               0  > 3m20s  also held by pid 4242 (java)\n"
            "  kill: ss -K -tn state close-wait '( src 10.0.0.1:41001 and dst 10.0.0.5:8080 )'\n"
            "\n"
            "orphaned by close(), no process: 1 FIN_WAIT2 socket to [::1]:443, oldest ~45.0s\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: waiting for the peer to close its side\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            "  -     [::1]:50000            [::1]:443                   0  ~45.0s\n"
            "\n"
            "note: 1 socket of unknown age: in the state before tcpfsm saw them, and the kernel keeps no "
            "timestamp that says since when; --min-age 0 lists them\n");
}

// /proc holds whatever name and command line a process gave itself: the text
// view escapes them, so that none can drive the terminal of whoever runs it.
TEST(StuckView, NamesAndCommandLinesAreEscaped) {
  StuckView v;
  v.states = {State::CloseWait};
  const Holder evil{4242, 12, "\x1b]0;owned\x07", "\x1b[2J\xc2\x9b" "31m --flag \\"};
  const Holder other{4243, 12, "w\x7f", "w"};
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {40s},
                            {evil, other}));
  std::string out;
  append_view(out, v, 0);
  EXPECT_EQ(out,
            "1 socket in CLOSE_WAIT\n"
            "\n"
            R"(pid 4242 (\x1b]0;owned\x07) holds 1 CLOSE_WAIT socket to 10.0.0.5:8080, oldest > 40.0s)"
            "\n"
            R"(  command: \x1b[2J\xc2\x9b31m --flag \\)"
            "\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 4242 has not called close() on fd 12\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            R"(  12    10.0.0.1:41000         10.0.0.5:8080               0  > 40.0s  also held by pid 4243 (w\x7f))"
            "\n"
            "  kill: ss -K -tn state close-wait '( src 10.0.0.1:41000 and dst 10.0.0.5:8080 )'\n"
            "\n"
            R"(pid 4243 (w\x7f) holds 1 CLOSE_WAIT socket to 10.0.0.5:8080, oldest > 40.0s)"
            "\n"
            "  command: w\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 4243 has not called close() on fd 12\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            R"(  12    10.0.0.1:41000         10.0.0.5:8080               0  > 40.0s  also held by pid 4242 (\x1b]0;owned\x07))"
            "\n"
            "  kill: ss -K -tn state close-wait '( src 10.0.0.1:41000 and dst 10.0.0.5:8080 )'\n");
}

// A bidi isolate in a name or an override in a command line would make the
// view read as something else: escaped as well.
TEST(StuckView, BidiControlsAreEscaped) {
  StuckView v;
  v.states = {State::CloseWait};
  const Holder h{4242, 12, "w\xe2\x81\xa6" "x", "run \xe2\x80\xae--flag"};
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {40s}, {h}));
  std::string out;
  append_view(out, v, 0);
  EXPECT_EQ(out.find("\xe2\x81\xa6"), std::string::npos) << out;
  EXPECT_EQ(out.find("\xe2\x80\xae"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(pid 4242 (w\xe2\x81\xa6x) holds 1 CLOSE_WAIT socket)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(  command: run \xe2\x80\xae--flag)" "\n"), std::string::npos) << out;
}

// The text view's "command:" line shows the first 60 bytes; the JSON record
// the whole command line (tcpfsm keeps up to 4096 bytes of it).
TEST(StuckView, LongCommandLinesAreShortOnlyInTheView) {
  const std::string cmdline = "java -Xmx4g -Dlog.config=/etc/app/log4j2.xml -Dfile.encoding=UTF-8 -jar /opt/app/server.jar";
  const Holder h{4242, 12, "java", cmdline};
  StuckView v;
  v.states = {State::CloseWait};
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {40s}, {h}));
  std::string text;
  append_view(text, v, 0);
  EXPECT_NE(text.find("  command: java -Xmx4g -Dlog.config=/etc/app/log4j2.xml -Dfile.encod...\n"), std::string::npos)
      << text;
  std::string json;
  append_stuck_json(json, v.sockets.front(), kWall);
  EXPECT_EQ(nlohmann::json::parse(json)["owners"][0]["cmdline"], cmdline);
}

// A process writes its own name and command line: bytes that are not UTF-8
// are kept beside the JSON strings, in hex.
TEST(StuckView, JsonKeepsTheBytesOfNamesThatAreNotUtf8) {
  const Holder h{4242, 12, "w\xff", "w\xff --x\xc3"};
  StuckView v;
  v.states = {State::CloseWait};
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {40s}, {h}));
  std::string json;
  append_stuck_json(json, v.sockets.front(), kWall);
  const auto owner = nlohmann::json::parse(json)["owners"][0];
  EXPECT_EQ(owner["comm"], "w\xef\xbf\xbd");
  EXPECT_EQ(owner["comm_bytes"], "77ff");
  EXPECT_EQ(owner["cmdline_bytes"], "77ff202d2d78c3");
}

TEST(StuckView, NothingStuck) {
  StuckView v;
  v.states = {State::CloseWait};
  v.min_age = 30s;
  std::string out;
  append_view(out, v, 0);
  EXPECT_EQ(out, "no sockets stuck in CLOSE_WAIT for 30.0s or more\n");
  v.min_age = 0s;
  v.younger = 3;
  out.clear();
  append_view(out, v, 0);
  EXPECT_EQ(out, "no sockets in CLOSE_WAIT (3 younger)\n");
}

TEST(StuckView, UnreadableProcIsExplained) {
  StuckView v;
  v.states = {State::CloseWait};
  v.owners_unreadable = true;
  v.sockets.push_back(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {1s}));
  std::string out;
  append_view(out, v, 0);
  EXPECT_NE(out.find("no process found holding them: 1 CLOSE_WAIT socket to 10.0.0.5:8080, oldest > 1.0s\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\nnote: some /proc/PID/fd could not be read: run as root to see every owner\n"),
            std::string::npos)
      << out;
}

TEST(StuckJson, StuckRecordIsExact) {
  DiagSocket s = diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 31337);
  s.rqueue = 6;
  s.wqueue = 0;
  s.uid = 1000;
  std::string out;
  append_stuck_json(out, stuck(s, {192s, AgeKind::LowerBound}, {holder(4242, 12), holder(4243, 12, "w\"x")}),
                    kWall);
  EXPECT_EQ(out,
            R"({"type":"stuck","ts":"2026-11-21T07:42:31.000001500Z","state":"CLOSE_WAIT","age_ns":192000000000,)"
            R"("age_kind":"lower_bound","cookie":42000,"family":"ipv4","laddr":"10.0.0.1","lport":41000,)"
            R"("raddr":"10.0.0.5","rport":8080,"unread":5,"rqueue":6,"wqueue":0,"uid":1000,"ino":31337,)"
            R"("netns":4026531840,"cgroup_id":0,"owner":"process","owners":[{"pid":4242,"comm":"java","cmdline":"java -jar app.jar","fd":12},)"
            R"({"pid":4243,"comm":"w\"x","cmdline":"w\"x -jar app.jar","fd":12}],)"
            R"("hint":"peer closed; pid 4242 has not called close() on fd 12",)"
            R"("kill":"ss -K -tn state close-wait '( src 10.0.0.1:41000 and dst 10.0.0.5:8080 )'"})"
            "\n");
  EXPECT_EQ(nlohmann::json::parse(out)["owners"].size(), 2u);
}

TEST(StuckJson, UnstuckRecordIsExact) {
  Unstuck u;
  u.sock = diag(State::FinWait2, "::1", 5000, "::1", 443, 0, true);
  u.new_state = number(State::TimeWait);
  u.stuck_for = {61s, AgeKind::Measured};
  u.owner = Ownership::Orphan;
  std::string out;
  append_unstuck_json(out, u, kWall);
  EXPECT_EQ(out,
            R"({"type":"unstuck","ts":"2026-11-21T07:42:31.000001500Z","state":"FIN_WAIT2","new":"TIME_WAIT",)"
            R"("stuck_ns":61000000000,"stuck_kind":"measured","cookie":6000,"family":"ipv6","laddr":"::1",)"
            R"("lport":5000,"raddr":"::1","rport":443,"ino":0,"netns":4026531840,"cgroup_id":0,"owner":"orphan",)"
            R"("owners":[]})"
            "\n");
  u.new_state.reset();
  out.clear();
  append_unstuck_json(out, u, kWall);
  EXPECT_NE(out.find(R"("new":null)"), std::string::npos);
}

// Where a socket is: its network namespace and how to get in, its cgroup and
// the container that cgroup names.
namespace {

constexpr std::uint32_t kWebNetns = 4026532296U;
const std::string kDockerId = "c0ffee" + std::string(52, '0') + "123456";

StuckSocket in_namespace(StuckSocket s, std::uint32_t netns, std::string name, std::int32_t pid) {
  s.sock.netns = netns;
  s.place.own_netns = false;
  s.place.netns_name = std::move(name);
  s.place.netns_pid = pid;
  return s;
}

StuckSocket in_cgroup(StuckSocket s, std::uint64_t id, std::string path) {
  s.sock.cgroup_id = id;
  s.place.container = container_of(path);
  s.place.cgroup = std::move(path);
  return s;
}

}  // namespace

TEST(StuckPlaces, CommandPrefixEntersTheNamespace) {
  Place p;
  EXPECT_EQ(netns_command_prefix(p), "");  // tcpfsm's own: as it is
  p.own_netns = false;
  EXPECT_EQ(netns_command_prefix(p), std::nullopt);  // no way in known
  p.netns_pid = 4242;
  EXPECT_EQ(netns_command_prefix(p), "nsenter -t 4242 -n ");
  p.netns_name = "web";
  EXPECT_EQ(netns_command_prefix(p), "ip netns exec web ");  // a name outlives any pid
  p.netns_name = "it's $(x)";
  EXPECT_EQ(netns_command_prefix(p), "ip netns exec 'it'\\''s $(x)' ");
}

TEST(StuckKill, RunsInTheSocketsNamespace) {
  const StuckSocket a = in_namespace(stuck(diag(State::CloseWait, "10.0.0.1", 8080, "10.0.0.5", 5000, 1), {1s}),
                                     kWebNetns, "web", 77);
  EXPECT_EQ(ss_kill_command(a),
            "ip netns exec web ss -K -tn state close-wait '( src 10.0.0.1:8080 and dst 10.0.0.5:5000 )'");
  const StuckSocket b = in_namespace(a, kWebNetns, "", 77);
  EXPECT_EQ(ss_kill_command(b),
            "nsenter -t 77 -n ss -K -tn state close-wait '( src 10.0.0.1:8080 and dst 10.0.0.5:5000 )'");
  // Run anywhere else, it would kill another namespace's socket, or none: no command.
  const StuckSocket c = in_namespace(a, kWebNetns, "", 0);
  EXPECT_EQ(ss_kill_command(c), "");
  std::string json;
  append_stuck_json(json, c, kWall);
  EXPECT_FALSE(nlohmann::json::parse(json).contains("kill")) << json;
}

// Endpoints repeat across namespaces (every container has its 127.0.0.1):
// one process's sockets in two namespaces make two groups, each says where.
TEST(StuckGroups, OneGroupPerNamespace) {
  std::vector<StuckSocket> sockets;
  sockets.push_back(stuck(diag(State::CloseWait, "127.0.0.1", 41000, "127.0.0.1", 8080, 11), {10s}, {holder(7, 3)}));
  sockets.push_back(in_namespace(
      stuck(diag(State::CloseWait, "127.0.0.1", 41000, "127.0.0.1", 8080, 12), {20s}, {holder(7, 4)}), kWebNetns,
      "web", 7));
  const auto groups = group_sockets(sockets);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].netns, kWebNetns);  // the older socket first
  EXPECT_EQ(groups[1].netns, kOwnNetns);
  EXPECT_EQ(group_place(groups[0]), "netns 4026532296 (ip netns exec web)");
  EXPECT_EQ(group_place(groups[1]), "netns 4026531840 (tcpfsm's own)");
}

TEST(StuckView, GroupsSayTheirNamespaceAndContainer) {
  StuckView v;
  v.states = {State::CloseWait};
  v.min_age = 30s;
  // A docker container's process in its own namespace, entered through its pid...
  v.sockets.push_back(in_cgroup(in_namespace(stuck(diag(State::CloseWait, "10.1.0.2", 8080, "10.1.0.9", 5000, 11),
                                                   {90s, AgeKind::Estimate}, {holder(5001, 7, "app")}),
                                             kWebNetns, "", 5001),
                                42, "/system.slice/docker-" + kDockerId + ".scope"));
  // ...a pod's container, whose pod UID is in its parent cgroup...
  v.sockets.push_back(in_cgroup(
      in_namespace(stuck(diag(State::CloseWait, "10.2.0.2", 8080, "10.2.0.9", 5000, 12), {80s, AgeKind::Estimate},
                         {holder(6001, 8, "srv")}),
                   kWebNetns + 1, "", 6001),
      43,
      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1f2e3d4c_5b6a_4978_8695_a4b3c2d1e0f9.slice/"
      "cri-containerd-" + kDockerId + ".scope"));
  // ...and a host service, whose cgroup says which: two sockets, two cgroups.
  v.sockets.push_back(in_cgroup(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 13), {70s},
                                      {holder(4242, 12)}),
                                44, "/system.slice/java.service"));
  v.sockets.push_back(in_cgroup(stuck(diag(State::CloseWait, "10.0.0.1", 41001, "10.0.0.5", 8080, 14), {60s},
                                      {holder(4242, 13)}),
                                45, "/user.slice"));
  v.sockets.push_back(in_cgroup(stuck(diag(State::CloseWait, "10.0.0.1", 41002, "10.0.0.5", 8080, 15), {50s},
                                      {holder(4343, 13)}),
                                44, "/system.slice/java.service"));
  std::string out;
  append_view(out, v, 0);
  EXPECT_NE(out.find("pid 5001 (app) holds 1 CLOSE_WAIT socket on local port 8080, from 10.1.0.9, oldest ~1m30s\n"
                     "  command: app -jar app.jar\n"
                     "  in: netns 4026532296 (nsenter -t 5001 -n), docker container c0ffee000000\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  kill: nsenter -t 5001 -n ss -K -tn state close-wait '( src 10.1.0.2:8080 and dst "
                     "10.1.0.9:5000 )'\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  in: netns 4026532297 (nsenter -t 6001 -n), containerd container c0ffee000000, pod "
                     "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("pid 4242 (java) holds 2 CLOSE_WAIT sockets to 10.0.0.5:8080, oldest > 1m10s\n"
                     "  command: java -jar app.jar\n"
                     "  in: netns 4026531840 (tcpfsm's own), several cgroups\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  in: netns 4026531840 (tcpfsm's own), cgroup /system.slice/java.service\n"), std::string::npos)
      << out;
}

// A namespace name is anyone's (as root) to choose: the view escapes it.
TEST(StuckView, NamespaceNamesAreEscaped) {
  StuckView v;
  v.states = {State::CloseWait};
  v.sockets.push_back(in_namespace(stuck(diag(State::CloseWait, "10.0.0.1", 41000, "10.0.0.5", 8080, 11), {40s}),
                                   kWebNetns, "x\x1b]0;owned\x07", 0));
  std::string out;
  append_view(out, v, 0);
  EXPECT_EQ(out.find('\x1b'), std::string::npos) << out;
  EXPECT_NE(out.find(R"(  in: netns 4026532296 (ip netns exec 'x\x1b]0;owned\x07'))"), std::string::npos) << out;
}

TEST(StuckJson, RecordsCarryNetnsCgroupAndContainer) {
  StuckSocket s = in_cgroup(
      in_namespace(stuck(diag(State::CloseWait, "10.2.0.2", 8080, "10.2.0.9", 5000, 12), {80s}, {holder(6001, 8)}),
                   kWebNetns, "web", 6001),
      43,
      "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1f2e3d4c_5b6a_4978_8695_a4b3c2d1e0f9.slice/"
      "cri-containerd-" + kDockerId + ".scope");
  std::string out;
  append_stuck_json(out, s, kWall);
  EXPECT_NE(out.find(R"("ino":12,"netns":4026532296,"cgroup_id":43,"cgroup":"/kubepods.slice/kubepods-besteffort.slice/)"
                     R"(kubepods-besteffort-pod1f2e3d4c_5b6a_4978_8695_a4b3c2d1e0f9.slice/cri-containerd-)" +
                     kDockerId + R"(.scope","container":")" + kDockerId +
                     R"(","container_runtime":"containerd","pod_uid":"1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9","owner":"process",)"),
            std::string::npos)
      << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["kill"], "ip netns exec web ss -K -tn state close-wait '( src 10.2.0.2:8080 and dst 10.2.0.9:5000 )'");

  Unstuck u;
  u.sock = s.sock;
  u.place = s.place;
  u.stuck_for = {1s, AgeKind::Measured};
  out.clear();
  append_unstuck_json(out, u, kWall);
  const auto k = nlohmann::json::parse(out);
  EXPECT_EQ(k["netns"], kWebNetns);
  EXPECT_EQ(k["cgroup_id"], 43);
  EXPECT_EQ(k["container"], kDockerId);
  EXPECT_EQ(k["container_runtime"], "containerd");

  // A cgroup that names no container, and one tcpfsm could not name.
  s = in_cgroup(s, 44, "/system.slice/java.service");
  out.clear();
  append_stuck_json(out, s, kWall);
  EXPECT_NE(out.find(R"("cgroup_id":44,"cgroup":"/system.slice/java.service","owner")"), std::string::npos) << out;
  s.place.cgroup.clear();
  out.clear();
  append_stuck_json(out, s, kWall);
  EXPECT_NE(out.find(R"("cgroup_id":44,"owner")"), std::string::npos) << out;
}

TEST(StuckView, SkippedNamespacesAreSaid) {
  StuckView v;
  v.states = {State::CloseWait};
  v.netns_skipped.gone = {4026532296U};
  v.netns_skipped.unreadable = {4026532297U, 4026532298U, 4026532299U, 4026532300U, 4026532301U};
  v.netns_skipped.error = "cannot enter network namespace 4026532301: Operation not permitted (needs CAP_SYS_ADMIN)";
  v.netns_skipped.held_only = {4026532302U};
  std::string out;
  append_view(out, v, 0);
  EXPECT_EQ(out,
            "no sockets in CLOSE_WAIT\n"
            "\n"
            "note: 1 network namespace (4026532296) was gone before tcpfsm could read it: skipped\n"
            "\n"
            "note: 5 network namespaces (4026532297, 4026532298, 4026532299 and 2 more) could not be read, their "
            "sockets are not shown: cannot enter network namespace 4026532301: Operation not permitted (needs "
            "CAP_SYS_ADMIN)\n"
            "\n"
            "note: 1 network namespace (4026532302) could not be entered (needs CAP_SYS_ADMIN): read through the "
            "sockets processes hold there, without orphans or connections not accept()ed yet\n");
}

TEST(StuckJson, NetnsSkippedRecord) {
  NetnsSkipped n;
  std::string out;
  append_netns_skipped_json(out, n, kWall);
  EXPECT_EQ(out, "");  // nothing skipped, nothing said
  n.gone = {4026532296U, 4026532297U};
  append_netns_skipped_json(out, n, kWall);
  EXPECT_EQ(out, R"({"type":"netns_skipped","ts":"2026-11-21T07:42:31.000001500Z","gone":[4026532296,4026532297],)"
                 R"("unreadable":[],"held_only":[]})"
                 "\n");
  n.gone.clear();
  n.unreadable = {4026532298U};
  n.error = "no \"way\"";
  out.clear();
  append_netns_skipped_json(out, n, kWall);
  EXPECT_EQ(out, R"({"type":"netns_skipped","ts":"2026-11-21T07:42:31.000001500Z","gone":[],)"
                 R"("unreadable":[4026532298],"error":"no \"way\"","held_only":[]})"
                 "\n");
  // Not entered, read through the sockets processes hold there.
  n = {};
  n.held_only = {4026532299U};
  out.clear();
  append_netns_skipped_json(out, n, kWall);
  EXPECT_EQ(out, R"({"type":"netns_skipped","ts":"2026-11-21T07:42:31.000001500Z","gone":[],)"
                 R"("unreadable":[],"held_only":[4026532299]})"
                 "\n");
}

// Issue 21, "Output that scales": a leak of thousands of sockets is one group
// per holder and port, with one `ss -K` filter that does not grow with it.
namespace {

// A server socket of pid 9627 on local_port (or a client's, to peer:peer_port).
StuckSocket python_socket(const char* laddr, std::uint16_t lport, const std::string& raddr, std::uint16_t rport,
                          std::uint32_t ino, std::chrono::seconds age, int fd) {
  return stuck(diag(State::CloseWait, laddr, lport, raddr.c_str(), rport, ino), {age, AgeKind::Measured},
               {holder(9627, fd, "python3")});
}

// The lines of `text` that begin with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> r;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    if (text.compare(start, prefix.size(), prefix) == 0) r.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return r;
}

}  // namespace

// One process serving two ports and leaking its connections to two database
// hosts: a group per local port for the server's sockets, one per remote
// port for the client's (their local ports are ephemeral, all different).
TEST(StuckGroups, ByHolderAndPort) {
  StuckView v;
  v.states = {State::CloseWait};
  v.min_age = 30s;
  v.sockets.push_back(python_socket("10.0.0.1", 8080, "10.0.0.5", 50001, 21, 300s, 10));
  v.sockets.push_back(python_socket("10.0.0.1", 8080, "10.0.0.5", 50002, 22, 240s, 11));
  v.sockets.push_back(python_socket("10.0.0.1", 8080, "10.0.0.5", 50003, 23, 180s, 12));
  v.sockets.push_back(python_socket("10.0.0.1", 41000, "10.0.0.9", 5432, 24, 200s, 13));
  v.sockets.push_back(python_socket("10.0.0.1", 41001, "10.0.0.10", 5432, 25, 100s, 14));
  v.sockets.push_back(python_socket("10.0.0.1", 9090, "10.0.0.6", 50004, 26, 150s, 15));
  v.sockets.push_back(python_socket("10.0.0.1", 9090, "10.0.0.7", 50005, 27, 120s, 16));
  std::string out;
  append_view(out, v, 2);
  EXPECT_EQ(out,
            "7 sockets stuck in CLOSE_WAIT for 30.0s or more\n"
            "\n"
            "pid 9627 (python3) holds 3 CLOSE_WAIT sockets on local port 8080, from 10.0.0.5, oldest 5m00s\n"
            "  command: python3 -jar app.jar\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 9627 has not called close() on fds 10, 11 and 12\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            "  10    10.0.0.1:8080          10.0.0.5:50001              0  5m00s\n"
            "  11    10.0.0.1:8080          10.0.0.5:50002              0  4m00s\n"
            "  ... and 1 more\n"
            "  kill: ss -K -tn state close-wait '( sport = :8080 )'\n"
            "\n"
            "pid 9627 (python3) holds 2 CLOSE_WAIT sockets to port 5432 at 2 addresses, oldest 3m20s\n"
            "  command: python3 -jar app.jar\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 9627 has not called close() on fds 13 and 14\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            "  13    10.0.0.1:41000         10.0.0.9:5432               0  3m20s\n"
            "  14    10.0.0.1:41001         10.0.0.10:5432              0  1m40s\n"
            "  kill: ss -K -tn state close-wait '( dport = :5432 )'\n"
            "\n"
            "pid 9627 (python3) holds 2 CLOSE_WAIT sockets on local port 9090, from 2 addresses, oldest 2m30s\n"
            "  command: python3 -jar app.jar\n"
            "  in: netns 4026531840 (tcpfsm's own)\n"
            "  hint: peer closed; pid 9627 has not called close() on fds 15 and 16\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
            "  15    10.0.0.1:9090          10.0.0.6:50004              0  2m30s\n"
            "  16    10.0.0.1:9090          10.0.0.7:50005              0  2m00s\n"
            "  kill: ss -K -tn state close-wait '( sport = :9090 )'\n");
}

// 3,000 sockets of one server on one port: one group, and a kill line as short
// as for two (the old one named every socket: ~150,000 characters, past the
// kernel's limit for one argument).
TEST(StuckKill, OneShortFilterForThreeThousandSockets) {
  StuckView v;
  v.states = {State::CloseWait};
  v.min_age = 30s;
  for (int i = 0; i < 3000; ++i) {
    const std::string peer = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    v.sockets.push_back(in_namespace(python_socket("10.0.0.1", 8080, peer, static_cast<std::uint16_t>(30000 + i),
                                                   static_cast<std::uint32_t>(1000 + i),
                                                   std::chrono::seconds(3600 - i), 10 + i),
                                     kWebNetns, "web", 9627));
  }
  std::string out;
  append_view(out, v, 10);
  EXPECT_EQ(lines_starting(out, "pid "),
            std::vector<std::string>{
                "pid 9627 (python3) holds 3000 CLOSE_WAIT sockets on local port 8080, from 3000 addresses, "
                "oldest 1h00m"});
  const auto kill = lines_starting(out, "  kill: ");
  EXPECT_EQ(kill, std::vector<std::string>{"  kill: ip netns exec web ss -K -tn state close-wait '( sport = :8080 )'"});
  EXPECT_LT(out.size(), 2000u) << out.substr(0, 4000);

  // The same leak on the client side: 3,000 connections to one service.
  v.sockets.clear();
  for (int i = 0; i < 3000; ++i)
    v.sockets.push_back(python_socket("10.0.0.1", static_cast<std::uint16_t>(33000 + i), "10.0.0.9", 443,
                                      static_cast<std::uint32_t>(1000 + i), std::chrono::seconds(3600 - i), 10 + i));
  out.clear();
  append_view(out, v, 10);
  EXPECT_EQ(lines_starting(out, "pid "),
            std::vector<std::string>{"pid 9627 (python3) holds 3000 CLOSE_WAIT sockets to 10.0.0.9:443, oldest 1h00m"});
  EXPECT_EQ(lines_starting(out, "  kill: "),
            std::vector<std::string>{"  kill: ss -K -tn state close-wait '( dst 10.0.0.9:443 )'"});
  EXPECT_LT(out.size(), 2000u) << out.substr(0, 4000);
}
