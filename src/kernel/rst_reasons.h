// Names of the kernel's reset reasons (enum sk_rst_reason, Linux 6.10+), read
// from the running kernel's BTF: the numbers change between kernels.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tcpfsm {

class RstReasons {
 public:
  // From the running kernel's BTF; empty when it has no enum sk_rst_reason.
  static const RstReasons& kernel();
  // From (value, enumerator) pairs, as BTF lists them (tests).
  explicit RstReasons(const std::vector<std::pair<std::uint32_t, std::string>>& enumerators);

  // "TCP_ABORT_ON_CLOSE" for SK_RST_REASON_TCP_ABORT_ON_CLOSE; "" when the
  // value has no name (or is TCPFSM_RST_REASON_NONE).
  std::string_view name(std::uint32_t value) const;
  bool empty() const { return names_.empty(); }

 private:
  std::vector<std::string> names_;  // by value
};

}  // namespace tcpfsm
