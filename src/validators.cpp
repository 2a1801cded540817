// Validators shared by subcommands: each parser's own message becomes CLI11's.
#include <stdexcept>

#include "commands.h"
#include "tcpfsm/units.h"

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

CLI::Validator duration_validator() { return from_parser(parse_duration, "DURATION", "duration"); }
CLI::Validator size_validator() { return from_parser(parse_size, "SIZE", "size"); }

}  // namespace tcpfsm::cli
