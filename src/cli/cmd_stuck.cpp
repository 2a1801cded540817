#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "cli/commands.h"
#include "common/units.h"
#include "kernel/netns.h"
#include "record/stuck_settings.h"
#include "stuck_scan/run.h"

namespace tcpfsm::cli {

void add_stuck(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("stuck", "Find sockets stuck in a state (CLOSE_WAIT, ...) and who holds them");
  auto opts = std::make_shared<StuckOptions>();
  auto states = std::make_shared<std::vector<std::string>>();
  auto min_age = std::make_shared<std::string>(StuckSettings::default_age_text());
  auto interval = std::make_shared<std::string>("2s");
  auto format = std::make_shared<std::string>();

  cmd->add_option("--state", *states,
                  "state to look for (repeatable; default: " + StuckSettings::default_states_text() + ")")
      ->transform(state_validator());
  cmd->add_option("--min-age", *min_age, "report sockets in the state for at least DURATION (default: " + *min_age + ")")
      ->check(duration_validator());
  cmd->add_option("-p,--port", opts->query.filters.ports.either,
                  "only sockets with this port, either side (repeatable; default: every port)")
      ->check(port_validator());
  auto netns = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--netns", *netns,
                  "only sockets of this network namespace: its name as ip netns gives it, a path "
                  "(/var/run/netns/NAME, /proc/PID/ns/net) or its inode (repeatable; default: every namespace of "
                  "the host)")
      ->check(netns_validator());
  auto* v4 = cmd->add_flag("-4,--ipv4")->description("only IPv4 sockets");
  auto* v6 = cmd->add_flag("-6,--ipv6")->description("only IPv6 sockets (including v4-mapped)");
  v4->excludes(v6);
  auto* once = cmd->add_flag("--once", opts->once,
                             "print what is stuck now and exit: 1 if anything is, 0 if not; needs no BPF "
                             "(without it: watch)");
  cmd->add_option("--interval", *interval, "watch: refresh every DURATION (default: 2s)")
      ->check(duration_validator(std::chrono::milliseconds(100)))
      ->excludes(once);
  auto buffer = std::make_shared<std::string>("auto");
  add_buffer_option(*cmd, *buffer)->excludes(once);
  cmd->add_flag("--stacks", opts->stacks,
                "watch: take the user stack of every connect(), listen() and accept(), and show the code path "
                "each stuck socket was opened at (about 1 us per connection; docs/stacks.md)")
      ->excludes(once);
  cmd->add_option("-f,--format", *format, "table or json (default: table on a terminal, json otherwise)")
      ->check(CLI::IsMember({"table", "json"}));

  cmd->footer(examples({
      {"tcpfsm stuck --once", "who holds sockets 30 s or more in CLOSE_WAIT, now"},
      {"tcpfsm stuck --once --min-age 0 -p 8080", "every CLOSE_WAIT socket with port 8080"},
      {"tcpfsm stuck", "watch: the view refreshed every 2 s (loads BPF)"},
      {"tcpfsm stuck --state FIN_WAIT2 --min-age 5m", "FIN_WAIT2 sockets older than 5 minutes"},
      {"tcpfsm stuck --stacks", "watch, with the code path each stuck socket was opened at"},
      {"tcpfsm stuck --once -f json", "for a script: exit status 1 when anything is stuck"},
  }));

  cmd->callback([=, &run] {
    if (!states->empty()) opts->query.states = parse_states(*states);
    opts->query.min_age = parse_duration(*min_age);
    opts->interval = parse_duration(*interval);
    opts->buffer = parse_buffer_mode(*buffer);
    opts->query.filters.family = v4->count() ? AF_INET : v6->count() ? AF_INET6 : 0;
    opts->query.all_netns = true;
    for (const auto& n : *netns) {
      std::string why;
      opts->query.filters.netns.push_back(*netns_of_argument(n, why));  // checked by the validator
    }
    if (format->empty())
      opts->format = isatty(STDOUT_FILENO) ? Format::Table : Format::Json;
    else
      opts->format = *format == "table" ? Format::Table : Format::Json;
    run = [opts] { return run_stuck(*opts); };
  });
}

}  // namespace tcpfsm::cli
