// What every option's help says: a default, said as one ("default: X"), for
// every option that takes a value, and an example only after "e.g.", so that
// no example reads as a default (as "--rotate-size ... (10M)" did).
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "cli/commands.h"

using namespace tcpfsm;

namespace {

struct Described {
  std::string where;  // "trace --rotate-size"
  std::string text;
};

// The description of every option of every command that takes a value.
std::vector<Described> value_options() {
  cli::Command run;
  auto app = cli::make_app(run);
  std::vector<Described> out;
  for (const CLI::App* sub : app->get_subcommands({}))
    for (const CLI::Option* o : sub->get_options())
      if (o->get_expected_max() != 0)  // not a flag (nor --help)
        out.push_back({sub->get_name() + " " + o->get_name(), o->get_description()});
  return out;
}

std::size_t count(const std::string& s, const std::string& part) {
  std::size_t n = 0;
  for (auto at = s.find(part); at != std::string::npos; at = s.find(part, at + 1)) ++n;
  return n;
}

// A parenthesis that holds only values ("(10M)", "(30, 30s, 5m, 1h)"): no
// word of three or more lower-case letters, no "e.g.", no "default:".
bool bare_values(const std::string& inside) {
  if (inside.starts_with("default: ") || inside.find("e.g.") != std::string::npos) return false;
  std::size_t run = 0;
  for (char c : inside) {
    run = std::islower(static_cast<unsigned char>(c)) ? run + 1 : 0;
    if (run >= 3) return false;
  }
  return true;
}

}  // namespace

TEST(HelpText, EveryOptionWithAValueSaysItsDefaultOnce) {
  const auto options = value_options();
  ASSERT_GE(options.size(), 40u);
  for (const auto& o : options) {
    EXPECT_EQ(count(o.text, "default: "), 1u) << o.where << ": " << o.text;
    EXPECT_TRUE(o.text.ends_with(")")) << o.where << ": the default ends the help: " << o.text;
    EXPECT_EQ(count(o.text, "default "), 0u) << o.where << ": write \"default: X\": " << o.text;
  }
}

TEST(HelpText, ExamplesAreSaidToBeExamples) {
  for (const auto& o : value_options())
    for (auto open = o.text.find('('); open != std::string::npos; open = o.text.find('(', open + 1)) {
      const auto close = o.text.find(')', open);
      ASSERT_NE(close, std::string::npos) << o.where << ": " << o.text;
      const std::string inside = o.text.substr(open + 1, close - open - 1);
      EXPECT_FALSE(bare_values(inside)) << o.where << ": \"(" << inside << ")\" reads as a default: " << o.text;
    }
}

TEST(HelpText, RotateSizeHasAnExampleAndNoDefaultSize) {
  for (const auto& o : value_options()) {
    if (o.where == "trace --rotate-size") {
      EXPECT_EQ(o.text, "with -o: rotate FILE -> FILE.1 ... at SIZE, e.g. 100M (default: no rotation)");
    } else if (o.where == "trace --duration") {
      EXPECT_EQ(o.text, "stop after DURATION, e.g. 30, 30s, 5m, 1h (default: run until Ctrl-C or SIGTERM)");
    } else if (o.where == "check --show") {
      EXPECT_EQ(o.text, "list at most N kinds of violations and N input errors, 0 for all (default: 50)");
    }
  }
}
