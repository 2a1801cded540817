// The watch's table, refresh after refresh: appended when stdout is not a
// terminal (a log, a pipe), redrawn in place when it is. Exact text.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include "stuck/stuck.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

Endpoint endpoint(const char* addr, std::uint16_t port) {
  Endpoint ep;
  inet_pton(AF_INET, addr, ep.addr.data());
  ep.port = port;
  return ep;
}

DiagSocket diag(const char* laddr, std::uint16_t lport, const char* raddr, std::uint16_t rport, std::uint32_t ino) {
  DiagSocket s;
  s.state = number(State::CloseWait);
  s.local = endpoint(laddr, lport);
  s.remote = endpoint(raddr, rport);
  s.ino = ino;
  s.cookie = 1000 + lport;
  s.netns = 4026531840U;
  return s;
}

const Holder kJava{4242, 12, "java", "java -jar app.jar"};

// One java socket on local port 8080, stuck for over 40 s.
StuckView one_stuck() {
  StuckView v;
  v.states = {State::CloseWait};
  StuckSocket s{diag("10.0.0.1", 8080, "10.0.0.5", 5000, 11), {40s, AgeKind::LowerBound}, {kJava},
                Ownership::Process, {}, nullptr};
  v.sockets.push_back(std::move(s));
  return v;
}

// java closed another after 3m12s.
Unstuck closed(std::uint16_t peer_port) {
  Unstuck u;
  u.sock = diag("10.0.0.1", 8080, "10.0.0.6", peer_port, 12);
  u.new_state = number(State::LastAck);
  u.cause = Cause::Close;
  u.stuck_for = {192s, AgeKind::Measured};
  u.holders = {kJava};
  u.owner = Ownership::Process;
  return u;
}

const std::string kView =
    "1 socket in CLOSE_WAIT\n"
    "\n"
    "pid 4242 (java) holds 1 CLOSE_WAIT socket on local port 8080, from 10.0.0.5, oldest > 40.0s\n"
    "  command: java -jar app.jar\n"
    "  in: netns 4026531840 (tcpfsm's own)\n"
    "  hint: peer closed; pid 4242 has not called close() on fd 12\n"
    "  FD    LOCAL                  PEER                   UNREAD  AGE\n"
    "  12    10.0.0.1:8080          10.0.0.5:5000               0  > 40.0s\n"
    "  kill: ss -K -tn state close-wait '( src 10.0.0.1:8080 and dst 10.0.0.5:5000 )'\n";

}  // namespace

// A log or a pipe gets every refresh after the last, and no terminal codes.
TEST(StuckWatch, AppendedWhenNotATerminal) {
  const Unstuck left[] = {closed(5001)};
  std::string out;
  append_watch_text(out, "09:25:49", left, one_stuck(), 10);
  EXPECT_EQ(out, "\n-- 09:25:49\n"
                 "left CLOSE_WAIT -> LAST_ACK after 3m12s (close): 10.0.0.1:8080 10.0.0.6:5001, java (pid 4242)\n" +
                     kView);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

// A terminal gets one screen, drawn over the last from the top: nothing
// scrolls into its history. The cursor is hidden while it is drawn.
TEST(StuckWatch, RedrawnInPlaceOnATerminal) {
  RecentlyLeft recent;
  const Unstuck left[] = {closed(5001)};
  recent.add("09:25:47", left);
  std::string out;
  append_watch_screen(out, "09:25:49", recent, one_stuck(), 10, Screen{24, 120});
  EXPECT_EQ(out,
            "\x1b[?25l\x1b[H"
            "-- 09:25:49\x1b[K\n"
            "09:25:47 left CLOSE_WAIT -> LAST_ACK after 3m12s (close): 10.0.0.1:8080 10.0.0.6:5001, java (pid 4242)"
            "\x1b[K\n"
            "1 socket in CLOSE_WAIT\x1b[K\n"
            "\x1b[K\n"
            "pid 4242 (java) holds 1 CLOSE_WAIT socket on local port 8080, from 10.0.0.5, oldest > 40.0s\x1b[K\n"
            "  command: java -jar app.jar\x1b[K\n"
            "  in: netns 4026531840 (tcpfsm's own)\x1b[K\n"
            "  hint: peer closed; pid 4242 has not called close() on fd 12\x1b[K\n"
            "  FD    LOCAL                  PEER                   UNREAD  AGE\x1b[K\n"
            "  12    10.0.0.1:8080          10.0.0.5:5000               0  > 40.0s\x1b[K\n"
            "  kill: ss -K -tn state close-wait '( src 10.0.0.1:8080 and dst 10.0.0.5:5000 )'\x1b[K\n"
            "\x1b[J");
  EXPECT_EQ(kShowCursor, "\x1b[?25h");  // what the watch writes last
}

// The screen keeps no history: of the sockets that left, the last few stay,
// with the time they left and how many there were.
TEST(StuckWatch, ScreenKeepsTheLastFewThatLeft) {
  RecentlyLeft recent(2);
  const Unstuck first[] = {closed(5001), closed(5002), closed(5003)};
  recent.add("09:25:47", first);
  const Unstuck second[] = {closed(5004)};
  recent.add("09:25:49", second);
  recent.add("09:25:51", {});
  EXPECT_EQ(recent.total(), 4u);
  StuckView none;
  none.states = {State::CloseWait};
  std::string out;
  append_watch_screen(out, "09:25:51", recent, none, 10, Screen{24, 120});
  EXPECT_EQ(out,
            "\x1b[?25l\x1b[H"
            "-- 09:25:51\x1b[K\n"
            "4 sockets left their state since tcpfsm started; the last 2:\x1b[K\n"
            "09:25:47 left CLOSE_WAIT -> LAST_ACK after 3m12s (close): 10.0.0.1:8080 10.0.0.6:5003, java (pid 4242)"
            "\x1b[K\n"
            "09:25:49 left CLOSE_WAIT -> LAST_ACK after 3m12s (close): 10.0.0.1:8080 10.0.0.6:5004, java (pid 4242)"
            "\x1b[K\n"
            "no sockets in CLOSE_WAIT\x1b[K\n"
            "\x1b[J");
}

// Nothing wraps and nothing scrolls: lines are cut a column short of the
// width, and one row stays free; what does not fit is counted.
TEST(StuckWatch, ScreenFitsTheTerminal) {
  std::string out;
  append_screen(out, "0123456789abc\nb\nc\n", Screen{4, 10});
  EXPECT_EQ(out, "\x1b[?25l\x1b[H012345678\x1b[K\nb\x1b[K\nc\x1b[K\n\x1b[J");
  out.clear();
  append_screen(out, "a\nb\nc\nd\ne\n", Screen{4, 30});
  EXPECT_EQ(out, "\x1b[?25l\x1b[Ha\x1b[K\nb\x1b[K\n... 3 more lines (a taller te\x1b[K\n\x1b[J");
  out.clear();
  append_screen(out, "wide \xe4\xb8\xad\xe6\x96\x87\n", Screen{4, 8});  // two wide characters: 4 columns
  EXPECT_EQ(out, "\x1b[?25l\x1b[Hwide \xe4\xb8\xad\x1b[K\n\x1b[J");
}
