// tcpfsm check --html: the page, from crafted logs, with and without
// Graphviz's dot (the real one, found on PATH; a missing or failing one).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "check/check.h"
#include "check/graphviz.h"
#include "support/temp_dir.h"

using namespace tcpfsm;
namespace fs = std::filesystem;

namespace {

const fs::path kDir = fs::path(testing::TempDir());

struct Page {
  int status = -1;
  std::string html, err;
};

// `tcpfsm check --html` of `log` (given on stdin unless o.files says otherwise).
Page page(const std::string& log, CheckOptions o = {}) {
  // A file per test: ctest may run them at once.
  o.html_path =
      (kDir / ("tcpfsm_report_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()) + ".html"))
          .string();
  fs::remove(o.html_path);
  std::istringstream in(log);
  std::ostringstream out, err;
  Page p;
  p.status = run_check(o, in, out, err);
  p.html = slurp(o.html_path);
  p.err = err.str();
  return p;
}

CheckOptions with_dot(const std::string& program) {
  CheckOptions o;
  o.dot_program = program;
  return o;
}

std::string tr(std::uint64_t cookie, const std::string& from, const std::string& to, const std::string& old_ns,
               const std::string& ts = "2026-11-21T07:00:00.5Z", const std::string& laddr = "127.0.0.1") {
  return R"({"type":"transition","ts":")" + ts + R"(","cookie":)" + std::to_string(cookie) +
         R"(,"family":"ipv4","laddr":")" + laddr + R"(","lport":40000,"raddr":"127.0.0.1","rport":8080,"old":")" +
         from + R"(","new":")" + to + R"(","old_ns":)" + old_ns + "}\n";
}

// A connection, an illegal edge and a gap after a reported loss, over 3 s.
const std::string kLog = tr(1, "CLOSE", "SYN_SENT", "null", "2026-11-21T07:00:00.1Z") +
                         tr(1, "SYN_SENT", "ESTABLISHED", "50000", "2026-11-21T07:00:00.2Z") +
                         tr(1, "ESTABLISHED", "TIME_WAIT", "2000000", "2026-11-21T07:00:01.5Z") +
                         R"({"type":"lost","ts":"2026-11-21T07:00:02.5Z","ringbuf":3,"recursion":0,"skstate":0})"
                         "\n" +
                         tr(1, "FIN_WAIT2", "CLOSE", "9000", "2026-11-21T07:00:03.0Z");

bool dot_on_path() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((fs::path(dir) / "dot").c_str(), X_OK) == 0) return true;
  return false;
}

#define REQUIRE_DOT()                                                                          \
  if (!dot_on_path()) {                                                                        \
    if (std::getenv("CI")) FAIL() << "CI must run this test: Graphviz's dot is not on PATH";   \
    GTEST_SKIP() << "SKIPPED: Graphviz's dot is not on PATH (scripts/deps installs graphviz)"; \
  }

// Nothing that could fetch, link or run anything.
void expect_self_contained(const std::string& html) {
  for (const char* bad : {"http://", "https://", "<script", "<img", "<link", "<iframe", "<object", "<embed", "<a ",
                          "<image", "href=", "url(", "@import", "<?xml", "<!DOCTYPE svg", "<!--"})
    EXPECT_EQ(html.find(bad), std::string::npos) << "page holds " << bad;
  EXPECT_EQ(html.rfind("<!DOCTYPE html>\n", 0), 0u);
  EXPECT_NE(html.find("content=\"default-src 'none'; style-src 'unsafe-inline'\""), std::string::npos);
}

// Restores PATH when it goes out of scope.
struct PathGuard {
  std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
  explicit PathGuard(const std::string& path) { ::setenv("PATH", path.c_str(), 1); }
  ~PathGuard() { ::setenv("PATH", saved.c_str(), 1); }
};

}  // namespace

TEST(ReportHtml, SummaryTellsTheExitStatusAndCounts) {
  const Page p = page(kLog, with_dot("/nonexistent/dot"));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.html.find("<div class=\"verdict fail\"><b>2 violations &middot; 0 input errors</b><span>exit status 1: "
                        "violations, gaps or input errors</span></div>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<b>The log is incomplete:</b> 3 events were lost while tracing. Sockets may have changed "
                        "state unseen; 1 of 1 gaps explained by a reported loss."),
            std::string::npos);
  EXPECT_NE(p.html.find("<li><span>illegal</span><span class=\"bad\">1</span></li>"), std::string::npos);
  EXPECT_NE(p.html.find("<li><span>ring buffer full</span><span class=\"warn\">3</span></li>"), std::string::npos);
  EXPECT_NE(p.html.find("2026-11-21 07:00:00 UTC to 2026-11-21 07:00:03 UTC"), std::string::npos);
  // Violations with file:line, the listed ones and how many more.
  EXPECT_NE(p.html.find("<td class=\"mono at\">&lt;stdin&gt;:3</td><td class=\"bad\">illegal</td><td>ESTABLISHED "
                        "&rarr; TIME_WAIT</td>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<td class=\"mono at\">&lt;stdin&gt;:5</td><td class=\"bad\">gap</td>"), std::string::npos);
  expect_self_contained(p.html);

  const Page clean = page(tr(1, "CLOSE", "SYN_SENT", "null"), with_dot("/nonexistent/dot"));
  EXPECT_EQ(clean.status, 0);
  EXPECT_NE(clean.html.find("<div class=\"verdict pass\"><b>Clean: every transition is legal, no gap, no input "
                            "error</b><span>exit status 0: clean</span></div>"),
            std::string::npos);
  EXPECT_EQ(clean.html.find("The log is incomplete"), std::string::npos);
}

TEST(ReportHtml, EdgesShowTheirCauses) {
  std::string log = kLog;
  const std::string reset = tr(2, "ESTABLISHED", "CLOSE", "100");
  log += reset.substr(0, reset.size() - 2) + R"(,"cause":"rst_received","error":"ECONNRESET"})" + "\n";
  log += tr(3, "ESTABLISHED", "CLOSE", "100");
  const Page p = page(log, with_dot("/nonexistent/dot"));
  EXPECT_NE(p.html.find("<td>reset or abort</td><td>rst_received 1, none 1</td></tr>"), std::string::npos) << p.html;
}

TEST(ReportHtml, HostileStringsAreEscaped) {
  const std::string file = (kDir / "x<img src=y onerror=alert(1)>'\".json").string();
  std::ofstream(file, std::ios::binary) << tr(1, "CLOSE", "SYN_SENT", "null", "<script>alert(1)</script>",
                                              "<svg onload=alert(2)>") +
                                               tr(1, "SYN_SENT", "TIME_WAIT", "1", "</td></tr><script>x</script>",
                                                  "\\u001b]0;owned\\u0007&amp;") +
                                               R"({"type":"<iframe src=javascript:alert(3)>"})"
                                               "\n"
                                               "<b>not json\xff</b>\n";
  CheckOptions o = with_dot("/nonexistent/dot");
  o.files = {file};
  const Page p = page("", o);
  EXPECT_EQ(p.status, 1);
  expect_self_contained(p.html);
  for (const char* raw :
       {"<svg onload", "onerror=alert(1)>", "<iframe", "<b>not", "</td></tr><script>", "\x1b", "\xff", "'\"."})
    EXPECT_EQ(p.html.find(raw), std::string::npos) << raw;
  // Each shown as text: HTML entities over what the text report shows.
  for (const char* shown :
       {"x&lt;img src=y onerror=alert(1)&gt;&#39;&quot;.json:4",  // file:line
        "&lt;/td&gt;&lt;/tr&gt;&lt;script&gt;x&lt;/script&gt;",   // ts
        "\\x1b]0;owned\\x07&amp;amp;:40000",                      // address
        "unknown record type &quot;&lt;iframe src=javascript:alert(3)&gt;&quot;", "invalid JSON at column 1"})
    EXPECT_NE(p.html.find(shown), std::string::npos) << shown;
  // Records whose ts is not a time are counted, not drawn.
  EXPECT_NE(p.html.find("No record has a readable ts: nothing to draw."), std::string::npos);
  fs::remove(file);
}

TEST(ReportHtml, GraphLaidOutByDot) {
  REQUIRE_DOT();
  const Page p = page(kLog);
  expect_self_contained(p.html);
  const auto svg = p.html.find("<div class=\"graph\">\n<svg width=");
  ASSERT_NE(svg, std::string::npos) << p.html;
  const std::string graph = p.html.substr(svg, p.html.find("</svg>", svg) - svg);
  EXPECT_EQ(graph.find("xmlns"), std::string::npos);
  EXPECT_NE(graph.find("<title>ESTABLISHED</title>"), std::string::npos);
  EXPECT_NE(graph.find("<title>ESTABLISHED&#45;&gt;TIME_WAIT</title>\n<path fill=\"none\" stroke=\"red\""),
            std::string::npos);
  EXPECT_NE(graph.find(">1 (not in the model)</text>"), std::string::npos);
  EXPECT_EQ(p.html.find("No graph"), std::string::npos);
  EXPECT_EQ(p.html.find("class=\"matrix\""), std::string::npos);
}

TEST(ReportHtml, WithoutDotAMatrixAndWhy) {
  const Page p = page(kLog, with_dot("/nonexistent/dot"));
  expect_self_contained(p.html);
  EXPECT_NE(p.html.find("No graph: Graphviz&#39;s /nonexistent/dot is not there (Debian package graphviz). This "
                        "matrix has the same counts."),
            std::string::npos);
  EXPECT_NE(p.html.find("<table class=\"matrix\"><tr><th>old &darr; new &rarr;</th><th>SYN_SENT</th><th>ESTABLISHED"
                        "</th><th>CLOSE</th><th>TIME_WAIT</th></tr>\n<tr><th>CLOSE</th><td class=\"edge\">1</td>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<tr><th>ESTABLISHED</th><td></td><td></td><td></td><td class=\"illegal\">1</td></tr>"),
            std::string::npos);
  EXPECT_EQ(p.html.find("<g id=\"graph0\""), std::string::npos);  // no graph from dot
}

TEST(ReportHtml, DotLookedUpOnPath) {
  const fs::path empty = kDir / "tcpfsm_no_dot_here";
  fs::create_directories(empty);
  PathGuard guard(empty.string());
  const Page p = page(kLog);
  EXPECT_NE(p.html.find("No graph: Graphviz&#39;s dot is not on PATH (Debian package graphviz)."), std::string::npos);
  expect_self_contained(p.html);
}

TEST(ReportHtml, FailingDotIsNamedAndTheMatrixShown) {
  const fs::path script = kDir / "tcpfsm_bad_dot";
  std::ofstream(script) << "#!/bin/sh\necho 'Error: <stdin>: syntax error in line 1 near <b>' >&2\nexit 3\n";
  fs::permissions(script, fs::perms::owner_all);
  const Page p = page(kLog, with_dot(script.string()));
  EXPECT_NE(p.html.find("No graph: Graphviz&#39;s " + script.string() +
                        " failed (exit status 3): Error: &lt;stdin&gt;: syntax error in line 1 near &lt;b&gt;."),
            std::string::npos);
  EXPECT_NE(p.html.find("class=\"matrix\""), std::string::npos);
  fs::remove(script);
}

TEST(ReportHtml, DotOutputThatReachesOutsideIsNotInlined) {
  const fs::path script = kDir / "tcpfsm_evil_dot";
  std::ofstream(script) << "#!/bin/sh\ncat >/dev/null\necho '<svg><a href=\"https://example.org/\">x</a></svg>'\n";
  fs::permissions(script, fs::perms::owner_all);
  const Page p = page(kLog, with_dot(script.string()));
  EXPECT_NE(p.html.find("No graph: Graphviz&#39;s SVG was not inlined: it is not one plain &lt;svg&gt; element."),
            std::string::npos);
  expect_self_contained(p.html);
  fs::remove(script);
}

TEST(ReportHtml, TimeInStateAndTimelineFromTheLog) {
  const Page p = page(kLog, with_dot("/nonexistent/dot"));
  // One row per state left, with its percentiles.
  EXPECT_NE(p.html.find("<div class=\"n\">1</div><div class=\"n\">2ms</div><div class=\"n\">2ms</div><div "
                        "class=\"n\">2ms</div><div class=\"n\">2ms</div>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<div><b>SYN_SENT</b></div>"), std::string::npos);
  // 100 ms bars from 07:00:00.1 to 07:00:03.0: 30 of them, with the loss and the violations in theirs.
  EXPECT_NE(p.html.find("One bar per 100ms, by the records' ts."), std::string::npos);
  EXPECT_NE(p.html.find("<title>2026-11-21 07:00:01.500 UTC + 100ms: 1 transitions, 1 violations, 0 events lost"
                        "</title>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<title>2026-11-21 07:00:02.500 UTC + 100ms: 0 transitions, 0 violations, 3 events lost"
                        "</title>"),
            std::string::npos);
}

TEST(ReportHtml, FileThatCannotBeWrittenIsExitStatus8) {
  CheckOptions o;
  o.html_path = "/nonexistent-dir/r.html";
  std::istringstream in(kLog);
  std::ostringstream out, err;
  EXPECT_EQ(run_check(o, in, out, err), 8);
  EXPECT_EQ(err.str(), "tcpfsm check: cannot write /nonexistent-dir/r.html: No such file or directory\n");
  EXPECT_EQ(out.str(), "");
}

namespace {

// A transition at 2026-11-21T07:00:<sec>Z with `extra` members after the usual ones.
std::string tx(int sec, std::uint64_t cookie, const std::string& from, const std::string& to, int lport,
               const std::string& raddr, int rport, const std::string& extra = "") {
  char ts[40];
  std::snprintf(ts, sizeof ts, "2026-11-21T07:00:%02d.000000000Z", sec);
  return R"({"type":"transition","ts":")" + std::string(ts) + R"(","cookie":)" + std::to_string(cookie) +
         R"(,"family":"ipv4","laddr":"10.0.0.1","lport":)" + std::to_string(lport) + R"(,"raddr":")" + raddr +
         R"(","rport":)" + std::to_string(rport) + R"(,"old":")" + from + R"(","new":")" + to + "\"" + extra +
         "}\n";
}

const std::string kNginx = R"(,"owner_pid":100,"owner_comm":"nginx")";

// A socket nginx left in CLOSE_WAIT 35 s before the log ends.
const std::string kCloseWait = tx(1, 5, "LISTEN", "SYN_RECV", 8080, "10.0.0.3", 50001, kNginx) +
                               tx(1, 5, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.3", 50001, kNginx) +
                               tx(5, 5, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001, kNginx) +
                               tx(40, 6, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443);

}  // namespace

TEST(ReportHtml, WhoAndWhereTables) {
  const std::string container = R"(,"container":")" + std::string(64, 'a') + "\"";
  const std::string log =
      tx(1, 2, "ESTABLISHED", "CLOSE", 8080, "10.0.0.2", 50000, kNginx + container + R"(,"cause":"rst_received")") +
      tx(2, 3, "ESTABLISHED", "CLOSE", 8080, "10.0.0.4", 50002, R"(,"cause":"rst_sent")");
  const Page p = page(log, with_dot("/nonexistent/dot"));
  EXPECT_NE(p.html.find("<section>\n<h2>Who and where</h2>\n<p class=\"note\">The 10 largest of each, by the "
                        "socket&#39;s owner (- when the log does not say), container, local port and peer.</p>\n"
                        "<h3>resets (2)</h3>\n<div class=\"who\">\n"
                        "<table class=\"top\"><tr><th>owner</th><th class=\"n\">count</th></tr>\n"
                        "<tr><td class=\"label\" title=\"-\">-</td><td class=\"n\">1</td></tr>\n"
                        "<tr><td class=\"label\" title=\"nginx[100]\">nginx[100]</td><td class=\"n\">1</td></tr>\n"
                        "</table>\n"
                        "<table class=\"top\"><tr><th>container</th><th class=\"n\">count</th></tr>\n"
                        "<tr><td class=\"label\" title=\"" + std::string(64, 'a') +
                        "\">aaaaaaaaaaaa</td><td class=\"n\">1</td></tr>\n"
                        "<tr><td class=\"label\" title=\"host\">host</td><td class=\"n\">1</td></tr>\n"
                        "</table>\n"
                        "<table class=\"top\"><tr><th>local port</th><th class=\"n\">count</th></tr>\n"
                        "<tr><td class=\"label\" title=\"8080\">8080</td><td class=\"n\">2</td></tr>\n"
                        "</table>\n"
                        "<table class=\"top\"><tr><th>peer</th><th class=\"n\">count</th></tr>\n"
                        "<tr><td class=\"label\" title=\"10.0.0.2:50000\">10.0.0.2:50000</td><td class=\"n\">1</td>"
                        "</tr>\n"
                        "<tr><td class=\"label\" title=\"10.0.0.4:50002\">10.0.0.4:50002</td><td class=\"n\">1</td>"
                        "</tr>\n"
                        "</table>\n"
                        "</div>\n"
                        "</section>\n"),
            std::string::npos)
      << p.html;
}

TEST(ReportHtml, WhoAndWhereLongLabelsDoNotWidenTheTables) {
  const std::string comm = "<script>" + std::string(300, 'x');
  const Page p = page(tx(1, 2, "ESTABLISHED", "CLOSE", 8080, "10.0.0.2", 50000,
                         R"(,"owner_pid":7,"owner_comm":")" + comm + R"(","cause":"rst_sent")"),
                      with_dot("/nonexistent/dot"));
  expect_self_contained(p.html);
  EXPECT_EQ(p.html.find("<script>"), std::string::npos);
  // Cut in the page's text and in the title; the cell ellipsized by CSS.
  EXPECT_NE(p.html.find("<tr><td class=\"label\" title=\"&lt;script&gt;" + std::string(248, 'x') +
                        "&hellip;\">&lt;script&gt;" + std::string(56, 'x') +
                        "&hellip;</td><td class=\"n\">1</td></tr>"),
            std::string::npos)
      << p.html;
  EXPECT_NE(p.html.find(".who{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));"), std::string::npos);
  EXPECT_NE(p.html.find("table.top{table-layout:fixed}"), std::string::npos);
  EXPECT_NE(p.html.find("td.label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"), std::string::npos);
}

TEST(ReportHtml, RepeatedViolationsAreOneRowWithTheirCount) {
  // Three sockets make the same illegal move, one another.
  const auto v = [](std::uint64_t cookie) {
    return tx(1, cookie, "FIN_WAIT2", "TIME_WAIT", 40000, "127.0.0.1", 8080);
  };
  const Page p =
      page(v(1) + tx(2, 9, "LISTEN", "FIN_WAIT2", 1, "127.0.0.1", 2) + v(2) + v(3), with_dot("/nonexistent/dot"));
  EXPECT_NE(p.html.find("<h2>Violations (4)</h2>\n<table><tr><th>where</th><th>verdict</th><th>transition</th>"
                        "<th>why</th><th>socket</th><th>ts</th><th class=\"n\">times</th></tr>\n"
                        "<tr><td class=\"mono at\">&lt;stdin&gt;:1<br>to line 4</td>"
                        "<td class=\"bad\">illegal</td>"),
            std::string::npos)
      << p.html;
  EXPECT_NE(p.html.find("<td class=\"mono at\">2026-11-21T07:00:01.000000000Z</td><td class=\"n\">3</td></tr>\n"
                        "<tr><td class=\"mono at\">&lt;stdin&gt;:2</td><td class=\"bad\">illegal</td>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<td class=\"mono at\">2026-11-21T07:00:02.000000000Z</td><td class=\"n\">1</td></tr>\n"),
            std::string::npos);
}

TEST(ReportHtml, CloseWaitAtTheEndIsAnAmberBanner) {
  const Page p = page(kCloseWait, with_dot("/nonexistent/dot"));
  EXPECT_EQ(p.status, 0);
  EXPECT_NE(p.html.find("<div class=\"verdict warning\"><b>Clean, with warnings: every transition is legal, no gap, no "
                        "input error</b><span>exit status 0: clean; warnings do not change it</span></div>\n"
                        "<p class=\"alert\"><b>Warning:</b> 1 socket in CLOSE_WAIT for 30s or more at the end of the "
                        "log (the oldest for 35.0s), held by nginx[100] 1.</p>\n"),
            std::string::npos)
      << p.html;
  EXPECT_EQ(p.html.find("verdict pass"), std::string::npos);
  EXPECT_NE(p.html.find(".verdict.warning{background:#f4b400;color:var(--ink)}"), std::string::npos);
  // With violations the banner stays red, the warning under it.
  const Page bad = page(kCloseWait + tx(41, 7, "LISTEN", "FIN_WAIT2", 1, "127.0.0.1", 2), with_dot("/nonexistent/dot"));
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.html.find("<div class=\"verdict fail\"><b>1 violation &middot; 0 input errors</b><span>exit status 1: "
                          "violations, gaps or input errors</span></div>\n<p class=\"alert\"><b>Warning:</b> 1 socket "
                          "in CLOSE_WAIT for 30s or more at the end of the log (the oldest for 36.0s), held by "
                          "nginx[100] 1.</p>\n"),
            std::string::npos)
      << bad.html;
}

// A file name, a ts, an address or a name from the log can be any length
// without a space: each cell (and the warning) that shows one may break it
// anywhere, or the table would be as wide as its longest string.
TEST(ReportHtml, LongStringsWrapInsteadOfWideningThePage) {
  const std::string file = (kDir / (std::string(200, 'f') + ".json")).string();
  const std::string owner = R"(,"owner_pid":7,"owner_comm":")" + std::string(250, 'w') + "\"";
  std::ofstream(file, std::ios::binary)
      << tr(1, "LISTEN", "FIN_WAIT2", "1", "2026-11-21T07:00:00.5Z" + std::string(300, 't'), std::string(300, 'a')) +
             tx(1, 5, "LISTEN", "SYN_RECV", 8080, "10.0.0.3", 50001, owner) +
             tx(1, 5, "SYN_RECV", "ESTABLISHED", 8080, "10.0.0.3", 50001, owner) +
             tx(2, 5, "ESTABLISHED", "CLOSE_WAIT", 8080, "10.0.0.3", 50001, owner) +
             tx(40, 6, "CLOSE", "LISTEN", 9090, "0.0.0.0", 0) + R"({"type":")" + std::string(300, 'b') + "\"}\n";
  CheckOptions o = with_dot("/nonexistent/dot");
  o.files = {file};
  const Page p = page("", o);
  EXPECT_EQ(p.status, 1);
  const std::string where = "<td class=\"mono at\">" + file + ":";
  for (const std::string& cell :
       {where + "1</td>",                                             // violations: where
        "<td class=\"mono at\">2026-11-21T07:00:00.5Z" + std::string(300, 't') + "</td>",  // ts
        "<td class=\"mono\">cookie 1<br>" + std::string(300, 'a') + ":40000",              // socket
        where + "6</td>",                                             // input problems: where
        "<td class=\"mono\">unknown record type &quot;" + std::string(61, 'b'),              // what
        "<td class=\"mono\">" + file + "</td>",                       // files
        std::string("<p class=\"alert\"><b>Warning:</b> 1 socket in CLOSE_WAIT")})  // held by a long name
    EXPECT_NE(p.html.find(cell), std::string::npos) << cell;
  EXPECT_NE(p.html.find(".mono{font-family:\"DejaVu Sans Mono\",ui-monospace,monospace;font-size:12.5px;"
                        "overflow-wrap:anywhere}"),
            std::string::npos);
  EXPECT_NE(p.html.find("td.at{min-width:calc(31ch + 16px)}"), std::string::npos);  // a whole ts, no more
  EXPECT_NE(p.html.find(".alert{overflow-wrap:anywhere;"), std::string::npos);
  EXPECT_EQ(p.html.find("td.at{white-space:nowrap}"), std::string::npos);
  fs::remove(file);
}

// Item 5 of issue 25: the lives by how they ended, a chart of their
// durations and a table per class, and the connections listed with
// file:line; what the log holds escaped and wrapping.
TEST(ReportHtml, ConnectionLivesByHowTheyEnded) {
  const std::string hostile = R"(,"owner_pid":7,"owner_comm":"<script>x</script>)" + std::string(200, 'w') + "\"";
  const std::string log =
      tx(1, 1, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 443, hostile) +
      tx(1, 1, "SYN_SENT", "ESTABLISHED", 41000, "10.0.0.9", 443) +
      tx(2, 1, "ESTABLISHED", "CLOSE", 41000, "10.0.0.9", 443,
         R"(,"cause":"rst_sent","life":{"role":"client","duration_ns":2000000,"rx_bytes":1234567,"tx_bytes":null,)"
         R"("segs_in":6,"segs_out":3,"retrans":3,"srtt_us":31,"rttvar_us":9})") +
      tx(3, 2, "CLOSE", "SYN_SENT", 0, "10.0.0.9", 444) +
      tx(3, 2, "SYN_SENT", "CLOSE", 41001, "10.0.0.9", 444,
         R"(,"cause":"rst_received","error":"ECONNREFUSED","life":{"role":"client","duration_ns":60000,"rx_bytes":0,)"
         R"("tx_bytes":0,"segs_in":1,"segs_out":1,"retrans":0,"srtt_us":null,"rttvar_us":null})");
  const Page p = page(log, with_dot("/nonexistent/dot"));
  EXPECT_EQ(p.status, 0) << p.err;
  expect_self_contained(p.html);
  EXPECT_NE(p.html.find("<h2>Connection lives (2)</h2>"), std::string::npos);
  // The durations drawn, a row per class, as time in state is.
  EXPECT_NE(p.html.find("<div><b>reset</b></div><svg"), std::string::npos);
  EXPECT_NE(p.html.find("<title>refused: 1 life</title>"), std::string::npos);
  // A table per class: quantiles no more precise than they are, unknowns counted, - for none known.
  EXPECT_NE(p.html.find("<h3>reset (1)</h3>"), std::string::npos);
  EXPECT_NE(p.html.find("<tr><td>rx bytes</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">"
                        "1.2M</td>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<tr><td>tx bytes</td><td class=\"n\">0</td><td class=\"n\">1</td><td class=\"n\">-</td>"),
            std::string::npos);
  EXPECT_NE(p.html.find("<tr><td>srtt</td><td class=\"n\">0</td><td class=\"n\">1</td>"), std::string::npos);
  // The listings, with file:line; the owner escaped, in a cell that wraps.
  EXPECT_NE(p.html.find("<h3>Longest lives (the 5 most)</h3>"), std::string::npos);
  EXPECT_NE(p.html.find("<tr><td class=\"mono\">&lt;stdin&gt;:3</td><td><b>reset</b> client <span class=\"mono\">"
                        "&lt;script&gt;x&lt;/script&gt;" + std::string(200, 'w') +
                        "[7]</span><br><span class=\"mono\">10.0.0.1:41000 &rarr; 10.0.0.9:443</span></td><td "
                        "class=\"mono\">rst_sent</td><td class=\"n\">2ms</td><td class=\"n\">1,234,567</td><td "
                        "class=\"n\">?</td><td class=\"n\">3</td><td class=\"n\">31us</td></tr>"),
            std::string::npos)
      << p.html;
  EXPECT_NE(p.html.find("<td class=\"mono\">&lt;stdin&gt;:5</td><td><b>refused</b> client"), std::string::npos);
  EXPECT_NE(p.html.find("table.listing{table-layout:fixed}"), std::string::npos);
  EXPECT_NE(p.html.find("rst_received ECONNREFUSED</td>"), std::string::npos);
  EXPECT_EQ(p.html.find("<script>"), std::string::npos);

  // A log of schema 3 says it has none.
  const Page old = page(kLog, with_dot("/nonexistent/dot"));
  EXPECT_NE(old.html.find("<h2>Connection lives (0)</h2>\n<p class=\"note\">No record into CLOSE carries a life: "
                          "logs of tcpfsm before schema 4 have none.</p>"),
            std::string::npos);
}

TEST(InlineSvg, DropsPrologCommentsAndNamespaces) {
  const std::string doc =
      "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
      "<!DOCTYPE svg PUBLIC \"-//W3C//DTD SVG 1.1//EN\"\n \"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd\">\n"
      "<!-- Generated by graphviz -->\n"
      "<svg width=\"62pt\" height=\"44pt\" viewBox=\"0 0 62 44\" xmlns=\"http://www.w3.org/2000/svg\" "
      "xmlns:xlink=\"http://www.w3.org/1999/xlink\">\n<!-- CLOSE -->\n<g><text>CLOSE</text></g>\n</svg>\n";
  EXPECT_EQ(inline_svg(doc),
            "<svg width=\"62pt\" height=\"44pt\" viewBox=\"0 0 62 44\">\n\n<g><text>CLOSE</text>"
            "</g>\n</svg>");
}

TEST(InlineSvg, RefusesAnythingThatReachesOut) {
  for (const char* inner : {"<a xlink:href=\"#x\">a</a>", "<image href=\"x.png\"/>", "<script>1</script>",
                            "<rect fill=\"url(#g)\"/>", "<foreignObject></foreignObject>", "<use href=\"#a\"/>",
                            "<text>HTTPS://x</text>", "<style>@import 'x'</style>", "<svg></svg>", "<!-- unterminated"})
    EXPECT_EQ(inline_svg(std::string("<svg>") + inner + "</svg>"), std::nullopt) << inner;
  EXPECT_EQ(inline_svg("no svg here"), std::nullopt);
  EXPECT_EQ(inline_svg("</svg><svg>"), std::nullopt);
}
