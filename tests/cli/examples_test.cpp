// The "Examples:" that end every --help: there for every command, and each
// one a command line tcpfsm accepts (parsed as main() parses, not run).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"

using namespace tcpfsm;

namespace {

// What `tcpfsm WORDS... --help` prints.
std::string help(std::vector<std::string> words) {
  words.insert(words.begin(), "tcpfsm");
  words.push_back("--help");
  std::vector<const char*> argv;
  for (const auto& w : words) argv.push_back(w.c_str());
  cli::Command run;
  auto app = cli::make_app(run);
  std::ostringstream out, err;
  EXPECT_EQ(cli::parse(*app, static_cast<int>(argv.size()), argv.data(), out, err), 0) << err.str();
  return out.str();
}

// The command lines of the Examples section, each part of a pipeline that
// runs tcpfsm as its own line, without a redirection.
std::vector<std::string> example_commands(const std::string& help_text) {
  const auto section = help_text.find("\nExamples:\n");
  if (section == std::string::npos) return {};
  std::vector<std::string> commands;
  std::istringstream lines(help_text.substr(section + 11));
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("  tcpfsm ") && line != "  tcpfsm") continue;
    line = line.substr(2, line.find("  #") - 2);
    std::istringstream parts(line);
    for (std::string part; std::getline(parts, part, '|');) {
      part = part.substr(0, part.find('>'));
      part.erase(0, part.find_first_not_of(' '));
      part.erase(part.find_last_not_of(' ') + 1);
      if (part.starts_with("tcpfsm")) commands.push_back(part);
    }
  }
  return commands;
}

std::vector<std::string> subcommands() {
  cli::Command run;
  auto app = cli::make_app(run);
  std::vector<std::string> names;
  for (const auto* sub : app->get_subcommands({})) names.push_back(sub->get_name());
  return names;
}

}  // namespace

TEST(HelpExamples, EveryCommandEndsItsHelpWithExamples) {
  const auto names = subcommands();
  ASSERT_GE(names.size(), 5u);
  const std::string top = help({});
  for (const auto& name : names) {
    const std::string text = help({name});
    std::size_t own = 0;  // examples of this command (a pipeline may hold another)
    for (const auto& c : example_commands(text)) own += c == "tcpfsm " + name || c.starts_with("tcpfsm " + name + " ");
    EXPECT_GE(own, 1u) << "tcpfsm " << name << " --help has no example of it:\n" << text;
    // The last section: nothing but examples after it.
    EXPECT_EQ(text.find("\nOptions:", text.find("\nExamples:")), std::string::npos) << text;
    EXPECT_NE(top.find("\n  tcpfsm " + name), std::string::npos) << "no top-level example of " << name;
  }
}

TEST(HelpExamples, EachExampleIsACommandLineTcpfsmAccepts) {
  std::vector<std::vector<std::string>> helps{{}};
  for (const auto& name : subcommands()) helps.push_back({name});
  std::size_t checked = 0;
  for (const auto& words : helps)
    for (const auto& command : example_commands(help(words))) {
      std::vector<std::string> argv_words;
      std::istringstream split(command);
      for (std::string w; split >> w;) argv_words.push_back(w);
      std::vector<const char*> argv;
      for (const auto& w : argv_words) argv.push_back(w.c_str());
      cli::Command run;
      auto app = cli::make_app(run);
      std::ostringstream out, err;
      EXPECT_EQ(cli::parse(*app, static_cast<int>(argv.size()), argv.data(), out, err), std::nullopt)
          << command << ": " << err.str();
      EXPECT_TRUE(run) << command << ": nothing to run";
      ++checked;
    }
  EXPECT_GE(checked, 25u);
}
