// tcpfsm trace --metrics against the real thing: Debian's Prometheus scrapes
// it, and its query API must give the exact numbers of what was done.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "sockets.h"

namespace tcpfsm::itest {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr std::uint16_t kTrafficPort = 20801, kStuckPort = 20802, kMetricsPort = 20803, kPrometheusPort = 20804;
constexpr std::uint16_t kExchangePort = 20841, kLivesMetricsPort = 20842, kLivesPrometheusPort = 20843;

std::string prometheus_skip_reason() {
  if (access("/usr/bin/prometheus", X_OK) != 0) return "/usr/bin/prometheus is not installed (apt-get install prometheus)";
  return "";
}

// A Prometheus server on `port` scraping tcpfsm on `metrics_port` every
// second, with the rules of deploy/prometheus/tcpfsm.rules.yml made to fire
// at once (for: 0s, and the leak alert's 600 s age threshold 1 s).
class Prometheus {
 public:
  explicit Prometheus(std::uint16_t metrics_port = kMetricsPort, std::uint16_t port = kPrometheusPort)
      : dir_(fs::temp_directory_path() / ("tcpfsm-prom-" + std::to_string(getpid()))), port_(port) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ifstream in(std::string(TCPFSM_SOURCE_DIR) + "/deploy/prometheus/tcpfsm.rules.yml");
    std::stringstream rules;
    rules << in.rdbuf();
    std::string text = std::regex_replace(rules.str(), std::regex("for: \\w+"), "for: 0s");
    text = std::regex_replace(text, std::regex("oldest_seconds\\{state=\"CLOSE_WAIT\"\\}\\) > 600"),
                              "oldest_seconds{state=\"CLOSE_WAIT\"}) > 1");
    std::ofstream(dir_ / "rules.yml") << text;
    std::ofstream(dir_ / "prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        << "rule_files: [" << (dir_ / "rules.yml") << "]\n"
        << "scrape_configs:\n  - job_name: tcpfsm\n    static_configs:\n      - targets: ['127.0.0.1:"
        << metrics_port << "']\n";
    // Its log goes to a file: a pipe nobody reads would fill and stop it.
    proc_.emplace(std::vector<std::string>{
        "sh", "-c",
        "exec prometheus --config.file=" + (dir_ / "prometheus.yml").string() +
            " --storage.tsdb.path=" + (dir_ / "data").string() + " --web.listen-address=127.0.0.1:" +
            std::to_string(port) + " >" + (dir_ / "log").string() + " 2>&1"});
  }
  ~Prometheus() {
    proc_.reset();  // SIGKILL
    fs::remove_all(dir_);
  }

  // The value of a query that returns one sample, or nothing yet.
  std::optional<double> value(const std::string& query) {
    httplib::Client api("127.0.0.1", port_);
    auto res = api.Get("/api/v1/query", httplib::Params{{"query", query}}, httplib::Headers{});
    if (!res || res->status != 200) return std::nullopt;
    const json j = json::parse(res->body);
    const auto& result = j["data"]["result"];
    if (result.size() != 1) return std::nullopt;
    return std::stod(result[0]["value"][1].get<std::string>());
  }
  // Waits until query gives want (or 30 s); returns what it gave last.
  std::optional<double> await(const std::string& query, double want) {
    std::optional<double> v;
    for (int i = 0; i < 150 && v != want; ++i) {
      std::this_thread::sleep_for(200ms);
      v = value(query);
    }
    return v;
  }
  // The firing alerts, as the API lists them.
  json alerts() {
    httplib::Client api("127.0.0.1", port_);
    auto res = api.Get("/api/v1/alerts");
    return res && res->status == 200 ? json::parse(res->body)["data"]["alerts"] : json::array();
  }
  std::string log() const {
    std::ifstream in(dir_ / "log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

 private:
  fs::path dir_;
  std::uint16_t port_;
  std::optional<Process> proc_;
};

std::size_t transitions_in(const std::string& log) {
  std::ifstream in(log);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);)
    if (json::parse(line)["type"] == "transition") ++n;
  return n;
}

// The lives the log's CLOSE records carry.
std::vector<json> lives_in(const std::string& log) {
  std::ifstream in(log);
  std::vector<json> lives;
  for (std::string line; std::getline(in, line);)
    if (const json r = json::parse(line); r["type"] == "transition" && r.contains("life")) lives.push_back(r["life"]);
  return lives;
}

}  // namespace

TEST(Metrics, PrometheusScrapesExactCountsAndTheLeakAlertFires) {
  REQUIRE_BPF();
  if (auto why = prometheus_skip_reason(); !why.empty()) {
    if (must_not_skip()) FAIL() << "CI must run this test: " << why;
    GTEST_SKIP() << "SKIPPED: " << why;
  }
  const std::string log = "/tmp/tcpfsm-metrics-" + std::to_string(getpid()) + ".json";
  std::remove(log.c_str());
  TraceRun run({"-o", log, "--flush-interval", "100ms", "-p", std::to_string(kTrafficPort), "-p",
                std::to_string(kStuckPort), "--metrics", "127.0.0.1:" + std::to_string(kMetricsPort), "--stuck-age",
                "1s"});
  Prometheus prometheus;

  run_connections(Family::V4, kTrafficPort, 5);  // 52 transitions
  auto leaky = plant_close_wait("leaky", kStuckPort);  // 25 transitions, 3 sockets left in CLOSE_WAIT
  constexpr double kTransitions = 52 + 25;

  EXPECT_EQ(prometheus.await("sum(tcpfsm_transitions_total)", kTransitions), kTransitions) << prometheus.log();
  EXPECT_EQ(transitions_in(log), kTransitions);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_transitions_total{old="ESTABLISHED",new="CLOSE_WAIT"})", 5 + 3), 8);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_verdicts_total{verdict="ok"})", kTransitions), kTransitions);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_stuck_sockets{state="CLOSE_WAIT",owner="leaky",role="server",port=")" +
                                 std::to_string(kStuckPort) + R"("})",
                             3),
            3);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_sockets{state="CLOSE_WAIT"})", 3), 3);
  // Every SYN_SENT left was timed: 5 + 3 clients.
  EXPECT_EQ(prometheus.await(R"(tcpfsm_state_duration_seconds_count{state="SYN_SENT"})", 8), 8);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_build_info{attach="tp_btf"})", 1), 1);
  // How they closed: 5 + 3 active closers handed to TIME_WAIT, 5 passive ones
  // acked, one listener closed; nothing abnormal.
  EXPECT_EQ(prometheus.await(R"(tcpfsm_closes_total{cause="time_wait"})", 8), 8);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_closes_total{cause="fin_acked"})", 5), 5);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_closes_total{cause="close"})", 1), 1);
  EXPECT_EQ(prometheus.await("sum(tcpfsm_closes_total)", 14), 14);

  // The example alert of docs/metrics.md fires, for the process that leaks.
  bool fired = false;
  for (int i = 0; i < 100 && !fired; ++i) {
    for (const json& a : prometheus.alerts())
      fired |= a["labels"]["alertname"] == "TcpfsmCloseWaitLeak" && a["labels"]["owner"] == "leaky" &&
               a["labels"]["port"] == std::to_string(kStuckPort) && a["labels"]["role"] == "server" &&
               a["labels"].value("container", "") == "" && a["state"] == "firing";
    if (!fired) std::this_thread::sleep_for(200ms);
  }
  EXPECT_TRUE(fired) << prometheus.alerts().dump();

  // The exposition passes promtool's lint.
  httplib::Client scrape("127.0.0.1", kMetricsPort);
  auto res = scrape.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  // The probes' endpoint: alive, without a socket dump.
  auto health = scrape.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(health->body, "ok\n");
  const std::string exposition_file = log + ".prom";
  std::ofstream(exposition_file) << res->body;
  Process lint({"sh", "-c", "promtool check metrics < " + exposition_file});
  EXPECT_EQ(lint.wait(), 0) << lint.out() << lint.err();
  std::remove(exposition_file.c_str());
  // Every family served is in the docs' list of metrics.
  std::ifstream docs_file(std::string(TCPFSM_SOURCE_DIR) + "/docs/metrics.md");
  std::stringstream docs;
  docs << docs_file.rdbuf();
  std::istringstream lines(res->body);
  std::size_t families = 0;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("# HELP ")) continue;
    const std::string family = line.substr(7, line.find(' ', 7) - 7);
    ++families;
    EXPECT_NE(docs.str().find("`" + family + "`"), std::string::npos) << family << " is not in docs/metrics.md";
  }
  EXPECT_GE(families, 25u) << res->body;  // 27 while kernel.bpf_stats_enabled=1

  // A scraper that sends garbage, or hangs up mid-request, changes nothing.
  for (const char* junk : {"\x16\x03\x01garbage\r\n\r\n", "GET /metr"}) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kMetricsPort);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_GT(write(fd, junk, std::strlen(junk)), 0);
    close(fd);
  }
  res = scrape.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(run.stop(), 0) << run.process().err();
  // The scraper's own connections to tcpfsm are not in the port filter: the
  // log still holds exactly what was done.
  EXPECT_EQ(transitions_in(log), kTransitions);
  std::remove(log.c_str());
}

// What the connections that ended did, as a real Prometheus has it: exactly
// kConnections exchanges of kRequest bytes answered by kResponse, alone in
// the trace's port filter. Their RTTs and retransmits are the kernel's to
// say: those are checked against the log of the same run.
TEST(Metrics, PrometheusScrapesExactConnectionLives) {
  REQUIRE_BPF();
  if (auto why = prometheus_skip_reason(); !why.empty()) {
    if (must_not_skip()) FAIL() << "CI must run this test: " << why;
    GTEST_SKIP() << "SKIPPED: " << why;
  }
  const std::string log = "/tmp/tcpfsm-metrics-lives-" + std::to_string(getpid()) + ".json";
  std::remove(log.c_str());
  TraceRun run({"-o", log, "--flush-interval", "100ms", "-p", std::to_string(kExchangePort), "--metrics",
                "127.0.0.1:" + std::to_string(kLivesMetricsPort)});
  Prometheus prometheus(kLivesMetricsPort, kLivesPrometheusPort);

  constexpr int kConnections = 4;
  constexpr std::size_t kRequest = 3'000, kResponse = 70'000;
  run_exchanges(Family::V4, kExchangePort, kConnections, kRequest, kResponse);

  auto bytes = [](const char* what, const char* role, const char* direction) {
    return std::string("tcpfsm_connection_bytes_") + what + "{role=\"" + role + "\",direction=\"" + direction + "\"}";
  };
  constexpr double kCount = kConnections;
  EXPECT_EQ(prometheus.await(bytes("count", "client", "tx"), kCount), kCount) << prometheus.log();
  EXPECT_EQ(prometheus.await(bytes("sum", "client", "tx"), kCount * kRequest), kCount * kRequest);
  EXPECT_EQ(prometheus.await(bytes("count", "client", "rx"), kCount), kCount);
  EXPECT_EQ(prometheus.await(bytes("sum", "client", "rx"), kCount * kResponse), kCount * kResponse);
  EXPECT_EQ(prometheus.await(bytes("count", "server", "rx"), kCount), kCount);
  EXPECT_EQ(prometheus.await(bytes("sum", "server", "rx"), kCount * kRequest), kCount * kRequest);
  EXPECT_EQ(prometheus.await(bytes("count", "server", "tx"), kCount), kCount);
  EXPECT_EQ(prometheus.await(bytes("sum", "server", "tx"), kCount * kResponse), kCount * kResponse);
  // 3000 bytes: above 1000, within 10000; 70000 within 100000.
  EXPECT_EQ(prometheus.await(R"(tcpfsm_connection_bytes_bucket{role="client",direction="tx",le="1000"})", 0), 0);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_connection_bytes_bucket{role="client",direction="tx",le="10000"})", kCount),
            kCount);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_connection_bytes_bucket{role="server",direction="tx",le="10000"})", 0), 0);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_connection_bytes_bucket{role="server",direction="tx",le="100000"})", kCount),
            kCount);
  // Both ends of each were seen from their start.
  EXPECT_EQ(prometheus.await(R"(tcpfsm_connection_duration_seconds_count{role="client"})", kCount), kCount);
  EXPECT_EQ(prometheus.await(R"(tcpfsm_connection_duration_seconds_count{role="server"})", kCount), kCount);
  EXPECT_EQ(prometheus.await(R"(count(tcpfsm_connection_bytes_count))", 4), 4);  // no unknown role

  // The log of the same run (on disk within 100 ms), before tcpfsm stops:
  // Prometheus marks a target's series stale once it is gone.
  std::vector<json> lives;
  for (int i = 0; i < 50 && lives.size() < 2u * kConnections; ++i) {
    std::this_thread::sleep_for(100ms);
    lives = lives_in(log);
  }
  ASSERT_EQ(lives.size(), 2u * kConnections);
  double srtt_known = 0, retransmits = 0, duration_s = 0;
  for (const json& l : lives) {
    srtt_known += !l["srtt_us"].is_null();
    retransmits += l["retrans"].get<double>();
    duration_s += l["duration_ns"].get<double>() / 1e9;
  }
  EXPECT_EQ(prometheus.await("tcpfsm_connection_srtt_seconds_count", srtt_known), srtt_known);
  EXPECT_EQ(prometheus.await("tcpfsm_retransmits_total", retransmits), retransmits);
  const auto scraped_duration = prometheus.value("sum(tcpfsm_connection_duration_seconds_sum)");
  ASSERT_TRUE(scraped_duration);
  EXPECT_NEAR(*scraped_duration, duration_s, duration_s * 1e-6);
  EXPECT_EQ(run.stop(), 0) << run.process().err();
  std::remove(log.c_str());
}

TEST(Metrics, AnAddressInUseFailsBeforeTracing) {
  REQUIRE_BPF();
  Socket taken = listen_on(Family::V4, kMetricsPort);
  Process p({binary(), "trace", "--metrics", "127.0.0.1:" + std::to_string(kMetricsPort), "-d", "1"});
  EXPECT_EQ(p.wait(), 1);
  EXPECT_EQ(p.err(), "tcpfsm: --metrics: cannot listen on 127.0.0.1:" + std::to_string(kMetricsPort) +
                         ": Address already in use (another process uses the port)\n");
}

}  // namespace tcpfsm::itest
