#include "kernel/rst_reasons.h"

#include <bpf/btf.h>

#include "kernel/vmlinux_btf.h"

namespace tcpfsm {
namespace {

constexpr std::string_view kPrefix = "SK_RST_REASON_";
// Values past this are not reasons (SK_RST_REASON_MAX and the like would be
// far below it); a bound keeps a corrupt BTF from sizing the table.
constexpr std::uint32_t kMaxValue = 4096;

std::vector<std::pair<std::uint32_t, std::string>> kernel_enumerators() {
  std::vector<std::pair<std::uint32_t, std::string>> out;
  const btf* b = vmlinux_btf();
  if (!b) return out;
  const int id = btf__find_by_name_kind(b, "sk_rst_reason", BTF_KIND_ENUM);
  if (id <= 0) return out;
  const btf_type* t = btf__type_by_id(b, static_cast<__u32>(id));
  const struct btf_enum* e = btf_enum(t);
  for (int i = 0; i < btf_vlen(t); ++i)
    if (const char* n = btf__name_by_offset(b, e[i].name_off))
      out.emplace_back(static_cast<std::uint32_t>(e[i].val), n);
  return out;
}

}  // namespace

const RstReasons& RstReasons::kernel() {
  static const RstReasons r(kernel_enumerators());
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
