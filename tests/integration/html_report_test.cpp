// tcpfsm check --html, end to end: the real binary on a log the real tracer
// wrote (tests/data/check-report.json, see tests/data/make-check-report-log),
// the page rendered by headless Chromium, the screenshot decoded. Needs no
// privilege; needs chromium (and Graphviz's dot for the graph). The lives of
// connections are traced here (root, BPF): the data log is of schema 3.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "sockets.h"
#include "support/temp_dir.h"

namespace tcpfsm::itest {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const std::string kLog = TCPFSM_SOURCE_DIR "/tests/data/check-report.json";
constexpr int kWidth = 1280, kHeight = 1400;
// The verdict banner's colors (report_html.cpp: --bad, --ok and .verdict.warning).
const std::string kRed = "c62828", kGreen = "2e7d32", kAmber = "f4b400";

std::string on_path(const std::string& name) {
  std::istringstream dirs(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((fs::path(dir) / name).c_str(), X_OK) == 0) return (fs::path(dir) / name).string();
  return "";
}

#define REQUIRE_PROGRAM(name, package)                                                      \
  if (on_path(name).empty()) {                                                              \
    if (must_not_skip()) FAIL() << "CI must run this test: " name " is not on PATH";        \
    GTEST_SKIP() << "SKIPPED: " name " is not on PATH (scripts/deps installs " package ")"; \
  }

// `tcpfsm check --html` of the log, then Chromium's screenshot of the page:
// the page's text and what png_colors.py finds in the PNG.
struct Rendered {
  std::string html;
  json png;
};

Rendered render(const TempDir& dir, const std::string& name, std::vector<std::string> prefix,
                const std::vector<std::string>& check_args, int expect_status, const std::string& log = kLog) {
  const fs::path page = dir.path / (name + ".html"), shot = dir.path / (name + ".png");
  std::vector<std::string> argv = std::move(prefix);
  for (const auto& a : std::vector<std::string>{binary(), "check", "--html", page.string()}) argv.push_back(a);
  argv.insert(argv.end(), check_args.begin(), check_args.end());
  argv.push_back(log);
  Process check(argv);
  EXPECT_EQ(check.wait(), expect_status) << check.err();

  Process chromium({"chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--user-data-dir=" + (dir.path / "profile").string(), "--screenshot=" + shot.string(),
                    "--window-size=" + std::to_string(kWidth) + "," + std::to_string(kHeight),
                    "file://" + page.string()});
  EXPECT_EQ(chromium.wait(std::chrono::seconds(90)), 0) << chromium.err();
  EXPECT_TRUE(fs::exists(shot)) << chromium.err();
  Process colors(
      {"/usr/bin/python3", TCPFSM_SOURCE_DIR "/tests/integration/png_colors.py", shot.string(), kRed, kGreen, kAmber});
  EXPECT_EQ(colors.wait(std::chrono::seconds(60)), 0) << colors.err();
  return {slurp(page), json::parse(colors.out(), nullptr, false)};
}

// A page that draws: the size asked for, and a fair share of it ink (a
// blank or unstyled page has little).
void expect_drawn(const Rendered& r) {
  ASSERT_TRUE(r.png.is_object()) << r.png;
  EXPECT_EQ(r.png["width"], kWidth);
  EXPECT_EQ(r.png["height"], kHeight);
  EXPECT_GT(r.png["ink"].get<double>(), 0.04 * kWidth * kHeight) << r.png;
  for (const char* bad : {"http://", "https://", "<script"}) EXPECT_EQ(r.html.find(bad), std::string::npos) << bad;
}

}  // namespace

TEST(HtmlReport, CleanLogRendersGreenWithTheGraph) {
  REQUIRE_PROGRAM("chromium", "chromium");
  REQUIRE_PROGRAM("dot", "graphviz");
  TempDir dir;
  const Rendered r = render(dir, "clean", {}, {}, 0);
  expect_drawn(r);
  EXPECT_NE(r.html.find("<g id=\"graph0\""), std::string::npos);  // laid out by dot
  // The green banner, about 1150 x 46 px, and no red banner (a few red pixels
  // may be in the drawing, none in a clean one).
  EXPECT_GT(r.png["colors"][kGreen].get<int>(), 30000) << r.png;
  EXPECT_LT(r.png["colors"][kRed].get<int>(), 2000) << r.png;
}

TEST(HtmlReport, RfcModelRendersRedEdgesAndViolations) {
  REQUIRE_PROGRAM("chromium", "chromium");
  REQUIRE_PROGRAM("dot", "graphviz");
  TempDir dir;
  const Rendered r = render(dir, "rfc", {}, {"--model", "rfc"}, 1);
  expect_drawn(r);
  // 75 edges Linux takes that RFC 9293 does not: FIN_WAIT2 -> CLOSE (63) and ESTABLISHED -> CLOSE (12).
  EXPECT_NE(r.html.find("<b>75 violations &middot; 0 input errors</b>"), std::string::npos);
  // Alike ones in one row: the first of the 63 FIN_WAIT2 -> CLOSE, and the last.
  EXPECT_NE(r.html.find("<td class=\"mono at\">" + kLog + ":11<br>to line 683</td><td class=\"bad\">illegal</td>"),
            std::string::npos);
  EXPECT_GT(r.png["colors"][kRed].get<int>(), 30000) << r.png;
  EXPECT_EQ(r.png["colors"][kGreen].get<int>(), 0) << r.png;
}

TEST(HtmlReport, WithoutDotOnPathAMatrixRenders) {
  REQUIRE_PROGRAM("chromium", "chromium");
  TempDir dir;
  const fs::path empty = dir.path / "bin";
  fs::create_directories(empty);
  const Rendered r = render(dir, "nodot", {"env", "PATH=" + empty.string()}, {}, 0);
  expect_drawn(r);
  EXPECT_NE(r.html.find("No graph: Graphviz&#39;s dot is not on PATH (Debian package graphviz)."), std::string::npos);
  EXPECT_NE(r.html.find("<table class=\"matrix\">"), std::string::npos);
  EXPECT_EQ(r.html.find("<g id=\"graph0\""), std::string::npos);
  EXPECT_GT(r.png["colors"][kGreen].get<int>(), 30000) << r.png;
}

// The real log with a socket its server never closes: the log ends 40 s
// after the socket entered CLOSE_WAIT. Clean, with a warning: an amber
// banner, the exit status 0.
TEST(HtmlReport, CloseWaitAtTheEndRendersAmber) {
  REQUIRE_PROGRAM("chromium", "chromium");
  TempDir dir;
  const fs::path log = dir.path / "close-wait.json";
  std::ofstream(log) << slurp(kLog)
                     << R"({"type":"start","ts":"2026-12-07T18:22:00.000000000Z","schema":4,"cause":"run"})" "\n"
                        R"({"type":"transition","ts":"2026-12-07T18:22:01.000000000Z","cookie":1,"family":"ipv4",)"
                        R"("laddr":"127.0.0.1","lport":8431,"raddr":"127.0.0.1","rport":50000,"old":"ESTABLISHED",)"
                        R"("new":"CLOSE_WAIT","owner_pid":6256,"owner_comm":"python3","cause":"fin_received"})" "\n"
                        R"({"type":"end","ts":"2026-12-07T18:22:41.000000000Z"})" "\n";
  const Rendered r = render(dir, "closewait", {}, {}, 0, log.string());
  expect_drawn(r);
  EXPECT_NE(r.html.find("<div class=\"verdict warning\"><b>Clean, with warnings: every transition is legal, no gap, "
                        "no input error</b>"),
            std::string::npos);
  EXPECT_NE(r.html.find("<b>Warning:</b> 1 socket in CLOSE_WAIT for 30s or more at the end of the log (the oldest "
                        "for 40.0s), held by python3[6256] 1.</p>"),
            std::string::npos);
  EXPECT_GT(r.png["colors"][kAmber].get<int>(), 30000) << r.png;
  EXPECT_EQ(r.png["colors"][kGreen].get<int>(), 0) << r.png;
}

// Lives the kernel counted, to the byte: a connection completed with 1000
// bytes one way and 255 the other (the top of its histogram bucket, so that
// its quantile is exact), a connect refused, a connection reset
// (SO_LINGER {1, 0}); the page shows them by how they ended, and lists them
// with where their CLOSE record is.
TEST(HtmlReport, ConnectionLivesOfRealConnections) {
  REQUIRE_BPF();
  REQUIRE_PROGRAM("chromium", "chromium");
  constexpr std::uint16_t kPort = 21950, kClosed = 21951;
  TempDir dir;
  const fs::path log = dir.path / "lives.json";
  {
    TraceRun run({"-p", std::to_string(kPort), "-p", std::to_string(kClosed), "-o", log.string()});
    {
      Connected c = connect_pair(Family::V4, kPort);
      const std::string request(1000, 'q'), response(255, 'r');
      ASSERT_EQ(write(c.client.fd(), request.data(), request.size()), 1000);
      std::string got(1000, '\0');
      ASSERT_EQ(recv(c.server.fd(), got.data(), got.size(), MSG_WAITALL), 1000);
      ASSERT_EQ(write(c.server.fd(), response.data(), response.size()), 255);
      ASSERT_EQ(recv(c.client.fd(), got.data(), 255, MSG_WAITALL), 255);
      c.client.close();
      c.server.wait_eof();
      c.server.close();
    }
    EXPECT_FALSE(connect_to(Family::V4, kClosed).fd() >= 0);  // refused
    {
      Connected reset = connect_pair(Family::V4, kPort);
      reset.client.linger_zero();
      reset.client.close();
      reset.server.wait_event();
    }
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(run.stop(), 0);
  }
  Process check({binary(), "check", "-f", "json", log.string()});
  EXPECT_EQ(check.wait(), 0) << check.err();
  const json lives = json::parse(check.out())["lives"];
  // The completed client and its server, the refused client, the reset pair.
  EXPECT_EQ(lives["by_class"]["completed"]["count"], 2) << lives.dump();
  EXPECT_EQ(lives["by_class"]["refused"]["count"], 1) << lives.dump();
  EXPECT_EQ(lives["by_class"]["reset"]["count"], 2) << lives.dump();
  // Bytes received: 255 by the client, 1000 by the server; no RTT for a refusal.
  EXPECT_EQ(lives["by_class"]["completed"]["rx_bytes"]["p50"], 255) << lives.dump();
  EXPECT_EQ(lives["by_class"]["completed"]["rx_bytes"]["max"], 1000) << lives.dump();
  EXPECT_EQ(lives["by_class"]["refused"]["srtt_us"]["unknown"], 1) << lives.dump();
  EXPECT_EQ(lives["by_class"]["refused"]["tx_bytes"]["max"], 0) << lives.dump();
  ASSERT_EQ(lives["longest"].size(), 5u) << lives.dump();

  const Rendered r = render(dir, "lives", {}, {}, 0, log.string());
  expect_drawn(r);
  EXPECT_NE(r.html.find("<h2>Connection lives (5)</h2>"), std::string::npos);
  for (const char* cls : {"completed", "refused", "reset"})
    EXPECT_NE(r.html.find("<h3>" + std::string(cls) + " ("), std::string::npos) << cls;
  EXPECT_NE(r.html.find("<tr><td>rx bytes</td><td class=\"n\">2</td><td class=\"n\">0</td><td class=\"n\">255</td>"
                        "<td class=\"n\">1000</td>"),
            std::string::npos);
  const json first = lives["longest"][0];
  EXPECT_NE(r.html.find("<tr><td class=\"mono\">" + log.string() + ":" + std::to_string(first["line"].get<int>()) +
                        "</td><td><b>" + first["class"].get<std::string>() + "</b> "),
            std::string::npos);
}

}  // namespace tcpfsm::itest
