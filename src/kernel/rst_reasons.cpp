#include "kernel/rst_reasons.h"

#include "kernel/kernel_btf.h"

namespace tcpfsm {
namespace {

constexpr std::string_view kPrefix = "SK_RST_REASON_";
// Values past this are not reasons (SK_RST_REASON_MAX and the like would be
// far below it); a bound keeps a corrupt BTF from sizing the table.
constexpr std::uint32_t kMaxValue = 4096;

}  // namespace

const RstReasons& RstReasons::kernel() {
  static const RstReasons r(kernel_btf().rst_reasons);
  return r;
}

RstReasons::RstReasons(const std::vector<std::pair<std::uint32_t, std::string>>& enumerators) {
  for (const auto& [value, name] : enumerators) {
    if (value >= kMaxValue) continue;
    std::string_view n = name;
    if (!n.starts_with(kPrefix)) continue;
    n.remove_prefix(kPrefix.size());
    if (names_.size() <= value) names_.resize(value + 1);
    names_[value] = n;
  }
}

std::string_view RstReasons::name(std::uint32_t value) const {
  return value < names_.size() ? std::string_view(names_[value]) : std::string_view();
}

}  // namespace tcpfsm
