// A property a fuzz target holds: when it fails, say which and abort, which
// libFuzzer reports as a crash and keeps the input for.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tcpfsm::fuzz {

[[noreturn]] inline void failed(const char* property, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, property);
  std::abort();
}

}  // namespace tcpfsm::fuzz

#define FUZZ_CHECK(property) ((property) ? void(0) : ::tcpfsm::fuzz::failed(#property, __FILE__, __LINE__))
