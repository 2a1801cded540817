// Text from outside tcpfsm reaches the terminal escaped: a process named with
// terminal controls (any user can do that) and a log holding raw control bytes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

// Sets the window title to "owned", then clears the screen.
constexpr char kHostileName[] = "\x1b]0;owned\x07\x1b[2J";
constexpr char kEscapedName[] = R"(\x1b]0;owned\x07\x1b[2J)";

// Nothing in the text can drive a terminal: no control byte but the newline,
// no DEL, and no C1 control (U+0080-U+009F, two bytes in UTF-8).
void expect_inert(const std::string& what, const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    const bool c1 = c == 0xC2 && next >= 0x80 && next <= 0x9F;
    ASSERT_FALSE((c < 0x20 && c != '\n') || c == 0x7F || c1)
        << what << ": byte " << static_cast<int>(c) << " at " << i << " in:\n" << text;
  }
}

TEST(Escape, HostileProcessNameInTraceTableAndStuck) {
  REQUIRE_BPF();
  constexpr std::uint16_t kPort = 20601;
  Process trace({binary(), "trace", "--format", "table", "-p", std::to_string(kPort)});
  ASSERT_TRUE(trace.wait_for_stderr("Tracing TCP state transitions")) << trace.err();

  Socket listener = listen_on(Family::V4, kPort);
  Socket held;  // assigned in the child only: the child holds the connection
  // connect() runs in the child: its transitions carry the child's name.
  HoldingChild child(kHostileName, [&] { held = connect_to(Family::V4, kPort); });
  accept_from(listener);  // closed at once: the child's socket goes to CLOSE_WAIT

  const auto has_name = [](const std::string& out) { return out.find(kEscapedName) != std::string::npos; };
  EXPECT_TRUE(trace.wait_for_stdout(has_name)) << trace.out();
  trace.signal(SIGTERM);
  EXPECT_EQ(trace.wait(), 0) << trace.err();
  EXPECT_NE(trace.out().find(std::string(kEscapedName) + " 127.0.0.1:"), std::string::npos)
      << "the name, escaped, in the COMM column: " << trace.out();
  expect_inert("trace stdout", trace.out());
  expect_inert("trace stderr", trace.err());

  Process stuck(
      {binary(), "stuck", "--once", "--min-age", "0", "--format", "table", "-p", std::to_string(kPort)});
  EXPECT_EQ(stuck.wait(), 1) << stuck.err();
  EXPECT_NE(stuck.out().find("pid " + std::to_string(child.pid()) + " (" + kEscapedName +
                             ") holds 1 CLOSE_WAIT socket"),
            std::string::npos)
      << stuck.out();
  expect_inert("stuck stdout", stuck.out());
  expect_inert("stuck stderr", stuck.err());
}

// Needs no privilege: check reads a file.
TEST(Escape, CheckMessagesQuoteARawLogLineEscaped) {
  char path[] = "/tmp/tcpfsm-escape-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string log =
      std::string(R"({"type":"transition","cookie":1,"old":"CLOSE","new":")") + kHostileName + "\"}\n" +
      R"({"type":"\u001b]0;owned\u0007"})" "\n" +
      "{\"type\":\"\xc2\x9b" "2J\x7f\xff\"}\n" +
      R"({"type":"transition","ts":"\u001b[2J","cookie":2,"laddr":"\u009b1m",)"
      R"("old":"LISTEN","new":"FIN_WAIT2"})" "\n";
  ASSERT_EQ(write(fd, log.data(), log.size()), static_cast<ssize_t>(log.size()));
  close(fd);
  Process check({binary(), "check", path});
  EXPECT_EQ(check.wait(), 1) << check.err();
  unlink(path);
  const std::string err = check.err();
  EXPECT_NE(err.find(R"(:1: invalid_json: invalid JSON at column 54: syntax error while parsing value - )"
                     R"(invalid string: control character U+001B (ESC) must be escaped to \u001B; )"
                     R"(last read: '"<U+001B>')"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find(R"(:2: unknown_type: unknown record type "\x1b]0;owned\x07")"), std::string::npos) << err;
  EXPECT_NE(err.find(R"(:3: invalid_json: invalid JSON at column 15: syntax error while parsing value - )"
                     R"(invalid string: ill-formed UTF-8 byte; last read: '"\xc2\x9b2J\x7f\xff')"),
            std::string::npos)
      << err;
  EXPECT_NE(check.out().find(R"([cookie 2 \xc2\x9b1m:0 -> ? at \x1b[2J])"), std::string::npos) << check.out();
  expect_inert("check stdout", check.out());
  expect_inert("check stderr", err);
}

}  // namespace
}  // namespace tcpfsm::itest
