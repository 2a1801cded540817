// The options of the commands that run trace's pipeline (trace, top),
// registered once for both: which sockets' transitions reach it, how the
// program attaches and the pipeline checks, and what counts as stuck.
#include <sys/socket.h>

#include "cli/commands.h"
#include "common/units.h"
#include "kernel/cgroup.h"
#include "kernel/netns.h"
#include "tcpfsm/event.h"

namespace tcpfsm::cli {

Apply add_filter_options(CLI::App& cmd, const std::shared_ptr<TraceOptions>& opts) {
  cmd.add_option("-p,--port", opts->load.filters.ports.either, "only this port, either side (repeatable; default: every port)")
      ->check(port_validator());
  cmd.add_option("--lport", opts->load.filters.ports.local, "only this local port (repeatable; default: every port)")
      ->check(port_validator());
  cmd.add_option("--rport", opts->load.filters.ports.remote, "only this remote port (repeatable; default: every port)")
      ->check(port_validator());
  auto states = std::make_shared<std::vector<std::string>>();
  auto netns = std::make_shared<std::vector<std::string>>();
  cmd.add_option("--state", *states, "only transitions into or out of this state (repeatable; default: every state)")
      ->transform(traced_state_validator());
  cmd.add_option("--netns", *netns,
                 "only sockets of this network namespace: its name as ip netns gives it, a path "
                 "(/var/run/netns/NAME, /proc/PID/ns/net) or its inode (repeatable; default: every namespace)")
      ->check(netns_validator());
  auto cgroups = std::make_shared<std::vector<std::string>>();
  cmd.add_option("--cgroup", *cgroups,
                 "only sockets of this cgroup v2 or below it: a path under the cgroup2 mount, e.g. "
                 "/system.slice/nginx.service (repeatable; default: every cgroup)")
      ->check(cgroup_validator());
  auto pid = std::make_shared<std::int32_t>(0);
  cmd.add_option("--pid", *pid,
                 "only sockets this process holds: its owner, else the task on the CPU; below the kernel's "
                 "pid_max (default: every process)")
      ->check(pid_validator());
  auto* v4 = cmd.add_flag("-4,--ipv4")->description("only IPv4 sockets");
  auto* v6 = cmd.add_flag("-6,--ipv6")->description("only IPv6 sockets (including v4-mapped)");
  v4->excludes(v6);

  return [=] {
    opts->load.filters.family = v4->count() ? AF_INET : v6->count() ? AF_INET6 : 0;
    for (State s : parse_states(*states)) opts->load.filters.states |= 1U << number(s);
    if (netns->size() > TCPFSM_MAX_NETNS_FILTERS)
      throw CLI::ValidationError("--netns", "at most " + std::to_string(TCPFSM_MAX_NETNS_FILTERS) + " namespaces");
    for (const auto& n : *netns) {
      std::string why;
      opts->load.filters.netns.push_back(*netns_of_argument(n, why));
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
      opts->load.filters.cgroups.push_back(named->path);
    }
    if (*pid) opts->load.filters.pid = *pid;
  };
}

CLI::Option* add_buffer_option(CLI::App& cmd, std::string& buffer) {
  return cmd
      .add_option("--buffer", buffer,
                  "event transport: auto (the ring buffer where the kernel has it, else perf), ring (BPF ring "
                  "buffer, Linux 5.8+) or perf (a perf buffer per CPU) (default: auto)")
      ->check(CLI::IsMember({"auto", "ring", "perf"}));
}

BufferMode parse_buffer_mode(const std::string& s) {
  return s == "ring" ? BufferMode::Ring : s == "perf" ? BufferMode::Perf : BufferMode::Auto;
}

Apply add_pipeline_options(CLI::App& cmd, const std::shared_ptr<TraceOptions>& opts) {
  auto model = std::make_shared<std::string>("linux");
  auto attach = std::make_shared<std::string>("auto");
  auto ringbuf = std::make_shared<std::string>("8M");
  auto buffer = std::make_shared<std::string>("auto");
  cmd.add_option("--model", *model, "state machine to check against: linux or rfc (default: linux)")
      ->check(CLI::IsMember({"linux", "rfc"}));
  cmd.add_option("--attach", *attach,
                 "how to attach: auto (tp_btf, else tracepoint), tp_btf or tracepoint (default: auto)")
      ->check(CLI::IsMember({"auto", "tp_btf", "tracepoint"}));
  add_buffer_option(cmd, *buffer);
  cmd.add_option("--ringbuf-size", *ringbuf,
                 "event buffer size, a power of two: the ring buffer's, or the perf buffers' together "
                 "(default: 8M)")
      ->check(size_validator())
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            const auto n = parse_size(s);
            if (n < 4096 || n > (1ULL << 30) || (n & (n - 1)))
              return "ring buffer size must be a power of two from 4K to 1G, not " + s;
            return "";
          },
          "", "power of two"));
  auto* socket_map = cmd.add_option("--socket-map-size", opts->load.socket_map_entries,
                                    "with --attach tracepoint and a port filter: sockets whose state is kept (default: 65536)")
                         ->check(count_validator(1, 1u << 24));
  cmd.add_option("--max-sockets", opts->max_sockets,
                 "sockets tracked at once; past it, new sockets are counted, not tracked (default: 262144)")
      ->check(count_validator(1, 1u << 26));
  auto* no_owners = cmd.add_flag("--no-owners")->description("do not look up socket owners");
  cmd.add_flag("-v,--verbose", opts->load.verbose, "show libbpf's own messages");

  return [=] {
    opts->model = *model == "rfc" ? Model::Rfc : Model::Linux;
    opts->load.mode = *attach == "tp_btf"       ? AttachMode::TpBtf
                      : *attach == "tracepoint" ? AttachMode::Tracepoint
                                                : AttachMode::Auto;
    opts->load.ringbuf_bytes = static_cast<std::uint32_t>(parse_size(*ringbuf));
    opts->load.buffer = parse_buffer_mode(*buffer);
    opts->owners = !no_owners->count();
    // tp_btf keeps per-socket state in socket-local storage: no map to size.
    if (socket_map->count() && opts->load.mode == AttachMode::TpBtf)
      throw CLI::ValidationError("--socket-map-size", "sizes the tracepoint's map: not with --attach tp_btf");
  };
}

Apply add_stuck_options(CLI::App& cmd, const std::shared_ptr<TraceOptions>& opts, const StuckHelp& help) {
  auto stuck_states = std::make_shared<std::vector<std::string>>();
  auto stuck_age = std::make_shared<std::string>();
  auto* state = cmd.add_option("--stuck-state", *stuck_states,
                               std::string(help.state) + " (repeatable; default: " +
                                   StuckSettings::default_states_text() + ")")
                    ->transform(state_validator());
  auto* age = cmd.add_option("--stuck-age", *stuck_age,
                             std::string(help.age) + " (default: " + StuckSettings::default_age_text() + ")")
                  ->check(duration_validator());
  if (help.needs) {
    state->needs(help.needs);
    age->needs(help.needs);
  }
  return [=] {
    if (!stuck_states->empty()) opts->stuck.states = parse_states(*stuck_states);
    if (!stuck_age->empty()) opts->stuck.age = parse_duration(*stuck_age);
  };
}

}  // namespace tcpfsm::cli
