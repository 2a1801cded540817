// The command line as a whole: main() and the command-line fuzz target
// (tests/fuzz) parse through the same code.
#include <algorithm>
#include <string>

#include "cli/commands.h"
#include "common/errors.h"
#include "common/text.h"

namespace tcpfsm::cli {
namespace {

// CLI11 says "A subcommand is required" for `tcpfsm`, `tcpfsm trcae` and
// `tcpfsm -p 80`: say which commands there are, and what came instead.
// Nothing when a command was given (its own error stands).
std::optional<std::string> command_error(CLI::App& app) {
  if (!app.get_subcommands().empty()) return std::nullopt;
  std::string known;
  for (const auto* sub : app.get_subcommands({}))
    known += (known.empty() ? "" : ", ") + sub->get_name();
  const auto rest = app.remaining();
  const std::string what = rest.empty()                     ? "missing command"
                           : rest.front().starts_with('-') ? "missing command before '" + rest.front() + "'"
                                                           : "unknown command '" + rest.front() + "'";
  return what + " (one of " + known + ")";
}

// A usage error quotes what it was given, and an argument can be a file name
// or come from a script: any bytes, terminal controls too. Every message is
// escaped here (common/text.h), line by line, CLI11's own as much as the
// validators', so no parser need escape what it quotes.
std::string failure_message(const CLI::App* app, const CLI::Error& e) {
  const std::string text = CLI::FailureMessage::simple(app, e);
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = std::min(text.find('\n', at), text.size());
    append_escaped(out, std::string_view(text).substr(at, end - at));
    if (end < text.size()) out += '\n';
    at = end + 1;
  }
  return out;
}

}  // namespace

std::string examples(std::initializer_list<Example> list) {
  // The comments line up in a column after the commands; a command too long
  // for it has its comment on the next line, in the column.
  constexpr std::size_t kLongest = 44;
  std::size_t width = 0;
  for (const auto& e : list)
    if (e.command.size() <= kLongest) width = std::max(width, e.command.size());
  std::string out = "Examples:";
  for (const auto& e : list) {
    out += "\n  " + std::string(e.command);
    if (e.command.size() > width) out += "\n  ";
    const std::size_t used = e.command.size() > width ? 0 : e.command.size();
    out += std::string(width - used, ' ') + "  # " + std::string(e.does);
  }
  return out;
}

std::unique_ptr<CLI::App> make_app(Command& run) {
  auto app = std::make_unique<CLI::App>(
      "tcpfsm: trace every TCP state transition, check it against the TCP state machine");
  app->require_subcommand(1);
  app->failure_message(failure_message);
  app->set_version_flag("--version", TCPFSM_VERSION);
  add_trace(*app, run);
  add_top(*app, run);
  add_check(*app, run);
  add_states(*app, run);
  add_stuck(*app, run);
  add_features(*app, run);
  // Set after the subcommands: a subcommand starts with its parent's footer.
  app->footer(examples({
                  {"tcpfsm trace", "every TCP state transition on the host, live"},
                  {"tcpfsm trace -p 443 -o /var/log/tcpfsm.json", "port 443 to a log, for tcpfsm check"},
                  {"tcpfsm top", "the host live, full screen: states, rates, who holds CLOSE_WAIT"},
                  {"tcpfsm check /var/log/tcpfsm.json", "re-check a log: violations with file:line"},
                  {"tcpfsm stuck --once", "who holds sockets stuck in CLOSE_WAIT"},
                  {"tcpfsm states", "the state machine transitions are checked against"},
                  {"tcpfsm features", "what this kernel offers tcpfsm"},
              }) +
              "\nEach command's --help lists its options and ends with more examples.");
  return app;
}

std::optional<int> parse(CLI::App& app, int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" that exit 0.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e, out, err);
    if (auto what = command_error(app))
      app.exit(CLI::ExtrasError(*what, CLI::ExitCodes::ExtrasError), out, err);
    else
      app.exit(e, out, err);
    return static_cast<int>(ExitCode::Usage);
  }
}

}  // namespace tcpfsm::cli
