#include <memory>

#include "cli/commands.h"
#include "common/units.h"
#include "cli/top_run.h"

namespace tcpfsm::cli {

void add_top(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand(
      "top", "Live full-screen view: sockets per state, transitions per second, who holds stuck sockets, losses");
  auto opts = std::make_shared<TopOptions>();
  auto trace = std::shared_ptr<TraceOptions>(opts, &opts->trace);
  auto interval = std::make_shared<std::string>("1s");

  cmd->add_option("--interval", *interval, "refresh every DURATION (default: 1s)")
      ->check(duration_validator(std::chrono::milliseconds(100)));
  const Apply filters = add_filter_options(*cmd, trace);
  const Apply stuck = add_stuck_options(
      *cmd, trace,
      {"state whose sockets' holders are listed", "list sockets in the state for DURATION or more"});
  const Apply pipeline = add_pipeline_options(*cmd, trace);
  cmd->add_option("-o,--output", trace->output_path,
                  "also append the records to FILE as JSON lines, as tcpfsm trace -o FILE writes them "
                  "(default: none)")
      ->check(file_validator());
  cmd->footer(
      "Keys: q quits (so do Ctrl-C and SIGTERM); e sorts the transitions by rate, total or edge; s sorts the "
      "holders of stuck sockets by sockets, age, container or pid.\n"
      "Needs a terminal: for a pipe or a log, use tcpfsm trace; for monitoring, tcpfsm trace --metrics.\n\n" +
      examples({
          {"tcpfsm top", "the whole host, every second"},
          {"tcpfsm top -p 443 --interval 2s", "connections on port 443, every 2 seconds"},
          {"tcpfsm top --stuck-age 5s", "CLOSE_WAIT holders after 5 seconds, not 30"},
          {"tcpfsm top --stuck-state FIN_WAIT2", "who holds FIN_WAIT2 sockets 30 s or more"},
          {"tcpfsm top -o /tmp/t.json", "watch, and keep the log for tcpfsm check"},
      }));

  cmd->callback([=, &run] {
    opts->interval = parse_duration(*interval);
    filters();
    stuck();
    pipeline();
    run = [opts] { return run_top(*opts); };
  });
}

}  // namespace tcpfsm::cli
