// Where in `tcpfsm check`'s input a record is: what its reports cite as file:line.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpfsm {

// An index into CheckReport::files, and a 1-based line.
struct Location {
  std::size_t file = 0;
  std::uint64_t line = 0;
};

}  // namespace tcpfsm
