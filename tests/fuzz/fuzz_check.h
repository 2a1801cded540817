// A property a fuzz target holds: when it fails, say which and abort, which
// libFuzzer reports as a crash and keeps the input for.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "common/text.h"

namespace tcpfsm::fuzz {

[[noreturn]] inline void failed(const char* property, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, property);
  std::abort();
}

// Text that cannot drive a terminal: well-formed UTF-8 with no control but
// the newline, no DEL and no C1 control (U+0080-U+009F).
inline bool inert(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_len(s, i);
    const auto c = static_cast<unsigned char>(s[i]);
    if (n == 0 || (n == 1 && ((c < 0x20 && c != '\n') || c == 0x7F))) return false;
    if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return false;
    i += n;
  }
  return true;
}

}  // namespace tcpfsm::fuzz

#define FUZZ_CHECK(property) ((property) ? void(0) : ::tcpfsm::fuzz::failed(#property, __FILE__, __LINE__))
