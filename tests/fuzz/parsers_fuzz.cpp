// The parsers behind command-line values: durations, sizes, ports, counts and
// state names. Each either throws std::invalid_argument or returns a value
// that agrees with its text; nothing else may happen.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "model/states.h"
#include "common/units.h"

namespace {

// The number the text spells, without its leading zeros ("0080" -> "80").
std::string without_leading_zeros(std::string_view digits) {
  const auto first = digits.find_first_not_of('0');
  return first == std::string_view::npos ? "0" : std::string(digits.substr(first));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 5) {
      case 0: {
        const auto d = tcpfsm::parse_duration(text);
        FUZZ_CHECK(d.count() >= 0 && d.count() <= 1'000'000'000'000'000'000);
        FUZZ_CHECK(!tcpfsm::format_duration(d).empty());
        break;
      }
      case 1:
        FUZZ_CHECK(tcpfsm::parse_size(text) <= 1'000'000'000'000'000ULL);
        break;
      case 2: {
        const auto port = tcpfsm::parse_port(text);
        FUZZ_CHECK(port >= 1 && std::to_string(port) == without_leading_zeros(text));
        break;
      }
      case 3: {
        const auto n = tcpfsm::parse_count(text, data[0] / 5 % 3, data[0] / 15 % 2 ? 1000 : UINT64_MAX);
        FUZZ_CHECK(std::to_string(n) == without_leading_zeros(text));
        break;
      }
      case 4:
        // A name is known exactly as the state table spells it, and no other way.
        if (const auto s = tcpfsm::state_from_name(text)) FUZZ_CHECK(tcpfsm::state_name(tcpfsm::number(*s)) == text);
        return 0;
    }
  } catch (const std::invalid_argument& e) {
    FUZZ_CHECK(std::string_view(e.what()).starts_with("invalid "));
  }
  return 0;
}
