// Validators shared by subcommands: each parser's own message becomes CLI11's.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "cli/commands.h"
#include "common/units.h"
#include "kernel/cgroup.h"
#include "kernel/netns.h"
#include "metrics/server.h"
#include "model/model.h"

namespace tcpfsm::cli {
namespace {

template <class Parse>
CLI::Validator from_parser(Parse parse, const std::string& type, const std::string& name) {
  return CLI::Validator(
      [parse](std::string& s) -> std::string {
        try {
          parse(s);
          return "";
        } catch (const std::invalid_argument& e) {
          return e.what();
        }
      },
      type, name);
}

// "close-wait", "Close_Wait" -> "CLOSE_WAIT": ss and netstat spellings both work.
std::string canonical_state_name(std::string s) {
  for (char& c : s) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string unknown_state(const std::string& s) {
  std::string known;
  for (const auto& info : all_states()) known += (known.empty() ? "" : ", ") + std::string(info.name);
  return "unknown TCP state '" + s + "' (one of " + known + ")";
}

// The kernel's pid_max: every process id is below it. Nothing when it
// cannot be read.
std::optional<std::uint64_t> pid_max() {
  std::ifstream f("/proc/sys/kernel/pid_max");
  std::uint64_t n = 0;
  if (f >> n && n > 1) return n;
  return std::nullopt;
}

}  // namespace

CLI::Validator state_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const std::string name = canonical_state_name(s);
        if (!state_from_name(name)) return unknown_state(s);
        s = name;
        return "";
      },
      "STATE", "TCP state");
}

CLI::Validator traced_state_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const std::string name = canonical_state_name(s);
        const auto state = state_from_name(name);
        if (!state) return unknown_state(s);
        if (const auto why = never_reported(*state); !why.empty())
          return name + " never matches: Linux reports no transition into or out of it; " + std::string(why);
        s = name;
        return "";
      },
      "STATE", "TCP state");
}

std::vector<State> parse_states(const std::vector<std::string>& names) {
  std::vector<State> states;
  for (const auto& name : names)
    if (auto s = state_from_name(name); s && std::find(states.begin(), states.end(), *s) == states.end())
      states.push_back(*s);
  return states;
}

// A validator from a function that says why an argument is wrong.
template <class Parse>
CLI::Validator from_why(Parse parse, const std::string& type, const std::string& name) {
  return CLI::Validator(
      [parse](std::string& s) -> std::string {
        std::string why;
        return parse(s, why) ? "" : why;
      },
      type, name);
}

CLI::Validator cgroup_validator() {
  return from_why([](const std::string& s, std::string& why) { return cgroup_of_argument(s, why).has_value(); },
                  "CGROUP", "cgroup");
}

CLI::Validator netns_validator() {
  return from_why([](const std::string& s, std::string& why) { return netns_of_argument(s, why).has_value(); },
                  "NETNS", "network namespace");
}

CLI::Validator listen_address_validator() {
  return from_why([](const std::string& s, std::string& why) { return parse_listen_address(s, why).has_value(); },
                  "ADDR:PORT", "listen address");
}

CLI::Validator duration_validator(std::chrono::nanoseconds min) {
  return from_parser(
      [min](const std::string& s) {
        if (parse_duration(s) >= min) return;
        throw std::invalid_argument("invalid duration '" + s + "': must be " +
                                    (min == std::chrono::nanoseconds(1) ? "more than 0"
                                                                        : "at least " + format_duration(min)));
      },
      "DURATION", "duration");
}

CLI::Validator size_validator() { return from_parser(parse_size, "SIZE", "size"); }

CLI::Validator port_validator() { return from_parser(parse_port, "PORT", "port"); }

CLI::Validator file_validator() {
  return CLI::Validator([](std::string& s) -> std::string { return s.empty() ? "empty file name" : ""; }, "FILE",
                        "file");
}

CLI::Validator pid_validator() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const auto max = pid_max();
        const std::uint64_t below = max.value_or(std::uint64_t{1} << 31);  // else what an int32 holds
        const std::string quoted = "invalid pid '" + s + "': ";
        std::uint64_t n = 0;
        try {
          n = parse_count(s, 1);
        } catch (const std::invalid_argument&) {
          return quoted + "expected a process id from 1 to " + std::to_string(below - 1);
        }
        if (n < below) return "";
        return quoted + (max ? "process ids are below the kernel's pid_max, " + std::to_string(*max) +
                                   " (/proc/sys/kernel/pid_max)"
                             : "must be from 1 to " + std::to_string(below - 1));
      },
      "PID", "process id");
}

CLI::Validator count_validator(std::uint64_t min, std::uint64_t max) {
  return from_parser([min, max](const std::string& s) { parse_count(s, min, max); }, "N", "count");
}

}  // namespace tcpfsm::cli
