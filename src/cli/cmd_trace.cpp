#include <sys/socket.h>
#include <unistd.h>

#include <limits>
#include <memory>
#include <stdexcept>

#include "cli/commands.h"
#include "common/units.h"
#include "kernel/cgroup.h"
#include "kernel/netns.h"
#include "kernel/privileges.h"
#include "tcpfsm/event.h"
#include "trace/trace.h"

namespace tcpfsm::cli {

void add_trace(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("trace", "Trace TCP state transitions live");
  auto opts = std::make_shared<TraceOptions>();
  auto format = std::make_shared<std::string>();
  auto model = std::make_shared<std::string>("linux");
  auto attach = std::make_shared<std::string>("auto");
  auto duration = std::make_shared<std::string>();
  auto ringbuf = std::make_shared<std::string>("8M");
  auto count = std::make_shared<std::uint64_t>(0);

  cmd->add_option("-f,--format", *format,
                  "table, json, or none (no records: metrics only); default: table on a terminal, json otherwise")
      ->check(CLI::IsMember({"table", "json", "none"}));
  auto* output = cmd->add_option("-o,--output", opts->output_path, "append to FILE instead of standard output")
                     ->check(file_validator());
  cmd->add_option("-p,--port", opts->load.ports.either, "only this port, either side (repeatable)")
      ->check(port_validator());
  cmd->add_option("--lport", opts->load.ports.local, "only this local port (repeatable)")->check(port_validator());
  cmd->add_option("--rport", opts->load.ports.remote, "only this remote port (repeatable)")->check(port_validator());
  auto states = std::make_shared<std::vector<std::string>>();
  auto netns = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--state", *states, "only transitions into or out of this state (repeatable)")
      ->transform(state_validator());
  cmd->add_option("--netns", *netns,
                  "only sockets of this network namespace: /var/run/netns/NAME, /proc/PID/ns/net or its inode "
                  "(repeatable)")
      ->check(netns_validator());
  auto cgroups = std::make_shared<std::vector<std::string>>();
  cmd->add_option("--cgroup", *cgroups,
                  "only sockets of this cgroup v2 or below it: a path under the cgroup2 mount (repeatable)")
      ->check(cgroup_validator());
  auto pid = std::make_shared<std::int32_t>(0);
  cmd->add_option("--pid", *pid, "only sockets this process holds (its owner, else the task on the CPU)")
      ->check(CLI::Range(1, std::numeric_limits<std::int32_t>::max()));
  auto* v4 = cmd->add_flag("-4,--ipv4")->description("only IPv4 sockets");
  auto* v6 = cmd->add_flag("-6,--ipv6")->description("only IPv6 sockets (including v4-mapped)");
  v4->excludes(v6);
  cmd->add_option("-d,--duration", *duration, "stop after DURATION (30, 30s, 5m, 1h)")
      ->check(duration_validator(std::chrono::nanoseconds(1)));
  cmd->add_option("-n,--count", *count, "stop after N transitions")->check(count_validator(1));
  cmd->add_option("--model", *model, "state machine to check against: linux or rfc")
      ->check(CLI::IsMember({"linux", "rfc"}));
  cmd->add_option("--attach", *attach, "auto (tp_btf, else tracepoint), tp_btf or tracepoint")
      ->check(CLI::IsMember({"auto", "tp_btf", "tracepoint"}));
  cmd->add_option("--ringbuf-size", *ringbuf, "BPF ring buffer size, a power of two (default 8M)")
      ->check(size_validator())
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            const auto n = parse_size(s);
            if (n < 4096 || n > (1ULL << 30) || (n & (n - 1)))
              return "ring buffer size must be a power of two from 4K to 1G, not " + s;
            return "";
          },
          "", "power of two"));
  auto rotate_size = std::make_shared<std::string>();
  auto flush_interval = std::make_shared<std::string>();
  auto stats_interval = std::make_shared<std::string>();
  auto* rotate = cmd->add_option("--rotate-size", *rotate_size, "with -o: rotate FILE -> FILE.1 ... at SIZE (10M)")
                     ->check(size_validator())
                     ->check(CLI::Validator(
                         [](std::string& s) -> std::string {
                           return parse_size(s) < 4096 ? "invalid size '" + s + "': must be at least 4K" : "";
                         },
                         "", "at least 4K"))
                     ->needs(output);
  cmd->add_option("--rotate-keep", opts->rotate_keep, "with --rotate-size: keep N rotated files (default 5)")
      ->check(count_validator(1, 1000))
      ->needs(rotate);
  cmd->add_option("--flush-interval", *flush_interval, "with -o: on disk within DURATION (default 1s)")
      ->check(duration_validator())
      ->needs(output);
  cmd->add_option("--stats-interval", *stats_interval, "write a stats record every DURATION (default off)")
      ->check(duration_validator(std::chrono::nanoseconds(1)));
  auto* socket_map = cmd->add_option("--socket-map-size", opts->load.socket_map_entries,
                                     "with --attach tracepoint and a port filter: sockets whose state is kept (default 65536)")
                         ->check(count_validator(1, 1u << 24));
  cmd->add_option("--user", opts->user, "once loaded, drop root and run as USER (keeps no capability)")
      ->check(CLI::Validator([](std::string& u) { return check_user(u); }, "USER", "user"));
  cmd->add_option("--max-sockets", opts->max_sockets,
                  "sockets tracked at once (default 262144); past it, new sockets are counted, not tracked")
      ->check(count_validator(1, 1u << 26));
  auto metrics = std::make_shared<std::string>();
  auto stuck_states = std::make_shared<std::vector<std::string>>();
  auto stuck_age = std::make_shared<std::string>();
  auto* metrics_opt = cmd->add_option("--metrics", *metrics,
                                      "serve Prometheus metrics at http://ADDR:PORT/metrics (127.0.0.1:9464, [::1]:9464)")
                          ->check(listen_address_validator());
  cmd->add_option("--stuck-state", *stuck_states,
                  "with --metrics: state counted by tcpfsm_stuck_sockets (repeatable; default CLOSE_WAIT)")
      ->transform(state_validator())
      ->needs(metrics_opt);
  cmd->add_option("--stuck-age", *stuck_age, "with --metrics: counted as stuck after DURATION in the state (default 30s)")
      ->check(duration_validator())
      ->needs(metrics_opt);
  cmd->add_flag("-w,--wide", opts->wide, "table: add each socket's network namespace and cgroup (or container)");
  auto* no_owners = cmd->add_flag("--no-owners")->description("do not look up socket owners");
  cmd->add_flag("-v,--verbose", opts->load.verbose, "show libbpf's own messages");

  cmd->footer(examples({
      {"tcpfsm trace", "every TCP state transition on the host, as a table"},
      {"tcpfsm trace -p 8080 -d 30s", "port 8080 (either side) for 30 seconds"},
      {"tcpfsm trace --state CLOSE_WAIT -w", "into or out of CLOSE_WAIT, with netns and cgroup"},
      {"tcpfsm trace -4 --rport 443 -n 100", "the first 100 transitions of IPv4 sockets to port 443"},
      {"tcpfsm trace --pid 1234 -f json", "the sockets process 1234 holds, as JSON lines"},
      {"tcpfsm trace --model rfc", "checked against RFC 9293 instead of Linux"},
      {"tcpfsm trace -o /var/log/tcpfsm.json --rotate-size 100M --stats-interval 1m",
       "a rotating log, to check later"},
      {"tcpfsm trace -f none --metrics 127.0.0.1:9464", "Prometheus metrics only, no records"},
  }));

  cmd->callback([=, &run] {
    if (format->empty())
      opts->format = (opts->output_path.empty() && isatty(STDOUT_FILENO)) ? Format::Table : Format::Json;
    else
      opts->format = *format == "table" ? Format::Table : *format == "none" ? Format::None : Format::Json;
    if (opts->format == Format::None && !opts->output_path.empty())
      throw CLI::ValidationError("--format none", "writes no records: not with -o");
    if (!metrics->empty()) {
      std::string why;
      opts->metrics = parse_listen_address(*metrics, why);
    }
    if (!stuck_states->empty()) opts->stuck_states = parse_states(*stuck_states);
    if (!stuck_age->empty()) opts->stuck_age = parse_duration(*stuck_age);
    opts->model = *model == "rfc" ? Model::Rfc : Model::Linux;
    opts->load.mode = *attach == "tp_btf"       ? AttachMode::TpBtf
                      : *attach == "tracepoint" ? AttachMode::Tracepoint
                                                : AttachMode::Auto;
    opts->load.family = v4->count() ? AF_INET : v6->count() ? AF_INET6 : 0;
    for (State s : parse_states(*states)) opts->load.states |= 1U << number(s);
    if (netns->size() > TCPFSM_MAX_NETNS_FILTERS)
      throw CLI::ValidationError("--netns", "at most " + std::to_string(TCPFSM_MAX_NETNS_FILTERS) + " namespaces");
    for (const auto& n : *netns) {
      std::string why;
      opts->load.netns.push_back(*netns_of_argument(n, why));
    }
    if (cgroups->size() > TCPFSM_MAX_CGROUP_FILTERS)
      throw CLI::ValidationError("--cgroup", "at most " + std::to_string(TCPFSM_MAX_CGROUP_FILTERS) + " cgroups");
    for (const auto& c : *cgroups) {
      std::string why;
      const auto named = cgroup_of_argument(c, why);
      if (named->level >= TCPFSM_MAX_CGROUP_LEVEL)
        throw CLI::ValidationError("--cgroup", c + " is nested too deep (at most " +
                                                   std::to_string(TCPFSM_MAX_CGROUP_LEVEL - 1) + " levels)");
      opts->load.cgroups.push_back({named->id, named->level});
      opts->cgroup_paths.push_back(named->path);
    }
    if (*pid) opts->pid = *pid;
    opts->load.ringbuf_bytes = static_cast<std::uint32_t>(parse_size(*ringbuf));
    if (!duration->empty()) opts->duration = parse_duration(*duration);
    if (*count) opts->count = *count;
    opts->owners = !no_owners->count();
    // tp_btf keeps per-socket state in socket-local storage: no map to size.
    if (socket_map->count() && opts->load.mode == AttachMode::TpBtf)
      throw CLI::ValidationError("--socket-map-size", "sizes the tracepoint's map: not with --attach tp_btf");
    if (!rotate_size->empty()) opts->rotate_size = parse_size(*rotate_size);
    if (!flush_interval->empty()) opts->flush_interval = parse_duration(*flush_interval);
    if (!stats_interval->empty()) opts->stats_interval = parse_duration(*stats_interval);
    run = [opts] { return run_trace(*opts); };
  });
}

}  // namespace tcpfsm::cli
