// The code path behind stuck sockets: groups split by it, its text (escaped)
// and its JSON.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

#include "stuck/stuck.h"

using namespace tcpfsm;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kWall = 1'795'246'951'000'001'500ULL;  // 2026-11-21T07:42:31.000001500Z

DiagSocket close_wait(std::uint16_t lport, std::uint32_t ino) {
  DiagSocket s;
  s.state = number(State::CloseWait);
  inet_pton(AF_INET, "127.0.0.1", s.local.addr.data());
  inet_pton(AF_INET, "127.0.0.1", s.remote.addr.data());
  s.local.port = lport;
  s.remote.port = 5432;
  s.ino = ino;
  s.cookie = 1000 + lport;
  s.netns = 4026531840U;
  return s;
}

Frame frame(const char* module, const char* symbol, std::uint64_t offset, const char* file = "", int line = 0) {
  Frame f;
  f.addr = 0x55d0c0de0000 + offset;
  f.module = module;
  f.symbol = symbol;
  f.symbol_offset = offset;
  f.file = file;
  f.line = line;
  return f;
}

std::shared_ptr<const CodePath> path(std::vector<Frame> frames) {
  auto p = std::make_shared<CodePath>();
  p->kind = OriginKind::Connect;
  p->frames = std::move(frames);
  return p;
}

StuckSocket held(DiagSocket s, std::chrono::seconds age, std::shared_ptr<const CodePath> origin) {
  StuckSocket st{std::move(s), {age, AgeKind::Measured}, {Holder{812, 3, "billing", "billing --pool 8"}},
                 Ownership::Process, {}, std::move(origin)};
  return st;
}

const char* const kLibc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

}  // namespace

// One process, one peer port, two code paths: two groups, each naming its
// path from the code that called connect() (libc's wrapper left out).
TEST(StuckCodePath, AMixedLeakIsTwoGroupsNamedByTheirPaths) {
  const auto billing = path({frame(kLibc, "connect", 0x1b), frame("/srv/billing", "dial_billing", 0x2e, "pool.c", 58),
                             frame("/srv/billing", "billing_charge", 0x9, "billing.c", 70)});
  const auto inventory = path({frame(kLibc, "connect", 0x1b), frame("/srv/billing", "dial_inventory", 0x31, "pool.c", 64),
                               frame("/srv/billing", "main", 0x40, "main.c", 12)});
  StuckView v;
  v.states = {State::CloseWait};
  v.min_age = 0s;
  v.stacks = true;
  v.sockets.push_back(held(close_wait(41000, 11), 50s, billing));
  v.sockets.push_back(held(close_wait(41001, 12), 40s, inventory));
  v.sockets.push_back(held(close_wait(41002, 13), 30s, billing));
  const auto groups = group_sockets_by_port(v.sockets);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].sockets.size(), 2u);
  EXPECT_EQ(groups[0].origin, billing);
  EXPECT_EQ(groups[1].origin, inventory);

  std::string out;
  append_view(out, v, 0);
  EXPECT_NE(out.find("pid 812 (billing) holds 2 CLOSE_WAIT sockets to 127.0.0.1:5432, oldest 50.0s\n"
                     "  command: billing --pool 8\n"
                     "  in: netns 4026531840 (tcpfsm's own)\n"
                     "  connected at: dial_billing+0x2e (pool.c:58)\n"
                     "    <- billing_charge+0x9 (billing.c:70)\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("pid 812 (billing) holds 1 CLOSE_WAIT socket to 127.0.0.1:5432, oldest 40.0s\n"
                     "  command: billing --pool 8\n"
                     "  in: netns 4026531840 (tcpfsm's own)\n"
                     "  connected at: dial_inventory+0x31 (pool.c:64)\n"
                     "    <- main+0x40 (main.c:12)\n"),
            std::string::npos)
      << out;
}

// The same path in two builds of one program (other addresses): one group.
TEST(StuckCodePath, PathsAreTheSameByNameNotByAddress) {
  auto moved = std::make_shared<CodePath>(*path({frame("/srv/a", "dial", 0x10, "a.c", 3)}));
  moved->frames[0].addr += 0x1000;
  std::vector<StuckSocket> sockets{held(close_wait(41000, 11), 5s, path({frame("/srv/a", "dial", 0x10, "a.c", 3)})),
                                   held(close_wait(41001, 12), 5s, moved)};
  EXPECT_EQ(group_sockets(sockets).size(), 1u);
}

// With stacks on, a group whose sockets were opened before the watch says so;
// without, nothing is said.
TEST(StuckCodePath, NotKnownIsSaidOnlyWhenStacksAreTaken) {
  StuckView v;
  v.states = {State::CloseWait};
  v.sockets.push_back(held(close_wait(41000, 11), 5s, nullptr));
  std::string without;
  append_view(without, v, 0);
  EXPECT_EQ(without.find("opened at"), std::string::npos) << without;
  v.stacks = true;
  std::string with;
  append_view(with, v, 0);
  EXPECT_NE(with.find("  opened at: not known (before tcpfsm was watching, or its stack was lost)\n"), std::string::npos)
      << with;
}

// Symbols come from the process's own files: a hostile name cannot drive the
// terminal.
TEST(StuckCodePath, SymbolsAreEscaped) {
  StuckView v;
  v.states = {State::CloseWait};
  v.sockets.push_back(held(close_wait(41000, 11), 5s, path({frame("/srv/a", "evil\x1b]0;owned\x07", 0x1, "a.c", 1)})));
  std::string out;
  append_view(out, v, 0);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_NE(out.find("connected at: evil\\x1b]0;owned\\x07+0x1 (a.c:1)"), std::string::npos) << out;
}

TEST(StuckCodePath, JsonHasEveryFrame) {
  Frame jit;
  jit.addr = 0x7f0000001000;
  jit.module = "[perf-map]";
  jit.symbol = "LazyCompile:*leakyConnect /srv/app.js:3";
  std::string out;
  append_stuck_json(out, held(close_wait(41000, 11), 5s, path({frame(kLibc, "connect", 0x1b), jit})), kWall);
  const auto j = nlohmann::json::parse(out);
  ASSERT_TRUE(j.contains("origin")) << out;
  EXPECT_EQ(j["origin"]["kind"], "connect");
  ASSERT_EQ(j["origin"]["frames"].size(), 2u);
  EXPECT_EQ(j["origin"]["frames"][0],
            nlohmann::json::parse(R"({"addr":94355077333019,"module":"/usr/lib/x86_64-linux-gnu/libc.so.6",)"
                                  R"("build_id":"","module_offset":0,"symbol":"connect","file":"","line":0})"));
  EXPECT_EQ(j["origin"]["frames"][1]["symbol"], "LazyCompile:*leakyConnect /srv/app.js:3");
  EXPECT_FALSE(j["origin"].contains("note"));
}

// A Go stack: the standard library between the syscall and the program's own
// code is one line; the path starts at the program's function.
TEST(StuckCodePath, GoStandardLibraryFramesAreSummedUp) {
  StuckView v;
  v.states = {State::CloseWait};
  v.sockets.push_back(held(close_wait(41000, 11), 5s,
                           path({frame("/srv/client", "runtime/internal/syscall.Syscall6", 0xe, "asm_linux_amd64.s", 36),
                                 frame("/srv/client", "syscall.connect", 0x2f, "zsyscall_linux_amd64.go", 1424),
                                 frame("/srv/client", "net.(*netFD).connect", 0x84, "fd_unix.go", 59),
                                 frame("/srv/client", "net.Dial", 0x7a, "dial.go", 355),
                                 frame("/srv/client", "main.leakyDial", 0x55, "leaky_client.go", 33),
                                 frame("/srv/client", "github.com/acme/pool.(*Pool).Get", 0x20, "pool.go", 80),
                                 frame("/srv/client", "runtime.main", 0x212, "proc.go", 250)})));
  std::string out;
  append_view(out, v, 0);
  EXPECT_NE(out.find("  connected at: main.leakyDial+0x55 (leaky_client.go:33)\n"
                     "    <- github.com/acme/pool.(*Pool).Get+0x20 (pool.go:80)\n"
                     "    <- runtime.main+0x212 (proc.go:250)\n"
                     "    (in net.Dial and 3 more frames of the language's libraries above it: -f json has them)\n"),
            std::string::npos)
      << out;
}
