// Validators shared by subcommands: each parser's own message becomes CLI11's.
#include <stdexcept>

#include "cli/commands.h"
#include "common/units.h"

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

}  // namespace

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

CLI::Validator count_validator(std::uint64_t min, std::uint64_t max) {
  return from_parser([min, max](const std::string& s) { parse_count(s, min, max); }, "N", "count");
}

}  // namespace tcpfsm::cli
