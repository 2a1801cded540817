// Command lines parsed as main() parses them (nothing is run): what the
// options accept, and each refusal's message.
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"

using namespace tcpfsm;

namespace {

struct Parsed {
  std::optional<int> status;  // none: there is a command to run
  std::string err;
};

Parsed parse(std::vector<std::string> words) {
  words.insert(words.begin(), "tcpfsm");
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  cli::Command run;
  auto app = cli::make_app(run);
  std::ostringstream out, err;
  Parsed p{cli::parse(*app, static_cast<int>(argv.size()), argv.data(), out, err), err.str()};
  if (!p.status) {
    EXPECT_TRUE(run);
  }
  return p;
}

constexpr std::string_view kHint = "Run with --help for more information.\n";

}  // namespace

TEST(MetricsAddress, AcceptsPortAloneAndHostNames) {
  for (const char* a : {":9464", "localhost:9464", "127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464"})
    EXPECT_EQ(parse({"trace", "-f", "none", "--metrics", a}).status, std::nullopt) << a;
}

TEST(MetricsAddress, NamesTheProblem) {
  const Parsed p = parse({"trace", "--metrics", "9464"});
  EXPECT_EQ(p.status, 2);
  EXPECT_EQ(p.err,
            "--metrics: '9464' is not HOST:PORT (127.0.0.1:9464, [::1]:9464, localhost:9464, or :9464 for every "
            "address)\n" +
                std::string(kHint));
}
