#include "output/table_cells.h"

#include <cstdio>

#include "common/text.h"

namespace tcpfsm {
std::string cause_text(const Transition& t) {
  if (t.cause == Cause::None) return "-";
  std::string s(cause_name(t.cause));
  if (t.reported.kernel.error) s += " " + errno_name(t.reported.kernel.error);
  if (!t.rst_reason.empty()) s += " " + std::string(t.rst_reason);  // a name from kernel BTF
  return s;
}

std::string ms_text(const std::optional<std::uint64_t>& ns) {
  if (!ns) return "-";
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3f", static_cast<double>(*ns) / 1e6);
  return ms;
}

std::string life_text(const ConnectionLife& l) {
  const auto bytes = [](const std::optional<std::uint64_t>& n) { return n ? std::to_string(*n) + "B" : "-"; };
  std::string s = "rx=" + bytes(l.rx_bytes) + " tx=" + bytes(l.tx_bytes) + " retrans=" + (l.retrans ? std::to_string(*l.retrans) : "-");
  s += " rtt=" + (l.srtt_us ? std::to_string(*l.srtt_us) + "us" : std::string("-"));
  s += " dur=" + (l.duration_ns ? ms_text(l.duration_ns) + "ms" : std::string("-"));
  return s;
}

}  // namespace tcpfsm
