// Each subcommand adds its options to the app and sets what to run.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "model/states.h"
#include "trace/trace.h"

namespace tcpfsm::cli {

using Command = std::function<int()>;

// Every subcommand registered; parsing sets `run` to what the one given does.
std::unique_ptr<CLI::App> make_app(Command& run);
// Parses argv: nothing when there is a command to run; else the exit status,
// after --help, --version or a usage error (2) is written to out or err.
std::optional<int> parse(CLI::App& app, int argc, const char* const* argv, std::ostream& out, std::ostream& err);

// The "Examples:" section that ends a --help (a CLI11 footer), as bcc and
// libbpf-tools end theirs: each command line, then what it does after "#".
struct Example {
  std::string_view command, does;
};
std::string examples(std::initializer_list<Example> list);

void add_trace(CLI::App& app, Command& run);
void add_features(CLI::App& app, Command& run);
void add_stuck(CLI::App& app, Command& run);
void add_check(CLI::App& app, Command& run);
void add_states(CLI::App& app, Command& run);
void add_top(CLI::App& app, Command& run);

// Options shared by the commands that run trace's pipeline (trace, top),
// in trace_options.cpp. Each add_* registers its options on cmd and returns
// what fills opts from them once parsed: call it in the command's callback.
using Apply = std::function<void()>;
// Which transitions reach the pipeline: ports, state, netns, cgroup, pid, family.
Apply add_filter_options(CLI::App& cmd, const std::shared_ptr<TraceOptions>& opts);
// How it attaches and runs: model, attach mode, event buffer, socket map and
// table sizes, owners, libbpf's messages.
Apply add_pipeline_options(CLI::App& cmd, const std::shared_ptr<TraceOptions>& opts);
// --buffer auto|ring|perf alone (stuck's watch starts the tracer too).
CLI::Option* add_buffer_option(CLI::App& cmd, std::string& buffer);
BufferMode parse_buffer_mode(const std::string& s);
// --stuck-state and --stuck-age, described for the command; needs: an
// option they only make sense with (trace's --metrics), or none.
// What --stuck-state and --stuck-age do here; their defaults are added.
struct StuckHelp {
  std::string_view state, age;
  CLI::Option* needs = nullptr;
};
Apply add_stuck_options(CLI::App& cmd, const std::shared_ptr<TraceOptions>& opts, const StuckHelp& help);

// Validators shared by subcommands (tcpfsm/units.h parses; its message is shown).
CLI::Validator duration_validator(std::chrono::nanoseconds min = std::chrono::nanoseconds(0));
CLI::Validator size_validator();
CLI::Validator port_validator();  // 1 to 65535
CLI::Validator count_validator(std::uint64_t min = 0, std::uint64_t max = UINT64_MAX);
CLI::Validator file_validator();  // a file name to create: not empty
CLI::Validator pid_validator();   // 1 to below the kernel's pid_max (/proc/sys/kernel/pid_max)
// A TCP state name, any case, '-' for '_' (close-wait): made canonical.
CLI::Validator state_validator();
// The same, for a filter on traced transitions: a state Linux never reports
// a transition into or out of (TIME_WAIT, ...) is refused, with the reason.
CLI::Validator traced_state_validator();
std::vector<State> parse_states(const std::vector<std::string>& canonical_names);  // in order, once each
CLI::Validator listen_address_validator();  // 127.0.0.1:9464, [::1]:9464, localhost:9464, :9464
CLI::Validator netns_validator();   // NAME (ip netns), /var/run/netns/NAME, /proc/PID/ns/net, an inode
CLI::Validator cgroup_validator();  // a cgroup2 directory, below the mount or with it

}  // namespace tcpfsm::cli
