#include "check/lives.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <utility>

#include "common/units.h"

namespace tcpfsm {

std::string_view life_quantity_name(LifeQuantity q) {
  switch (q) {
    case LifeQuantity::Duration: return "duration_ns";
    case LifeQuantity::RxBytes: return "rx_bytes";
    case LifeQuantity::TxBytes: return "tx_bytes";
    case LifeQuantity::Srtt: return "srtt_us";
  }
  return "?";
}

std::string_view life_quantity_label(LifeQuantity q) {
  switch (q) {
    case LifeQuantity::Duration: return "duration";
    case LifeQuantity::RxBytes: return "rx bytes";
    case LifeQuantity::TxBytes: return "tx bytes";
    case LifeQuantity::Srtt: return "srtt";
  }
  return "?";
}

std::optional<std::uint64_t> life_time_ns(LifeQuantity q, std::uint64_t v) {
  switch (q) {
    case LifeQuantity::Duration: return v;
    case LifeQuantity::Srtt: return v * 1000;
    case LifeQuantity::RxBytes:
    case LifeQuantity::TxBytes: break;
  }
  return std::nullopt;
}

std::string life_quantile_text(LifeQuantity q, std::uint64_t v) {
  if (const auto ns = life_time_ns(q, v)) return format_duration(std::chrono::nanoseconds(*ns));
  if (v < 1024) return std::to_string(v);
  constexpr const char* kUnits[] = {"K", "M", "G", "T", "P", "E"};
  double shown = static_cast<double>(v) / 1024;
  std::size_t unit = 0;
  for (; shown >= 1024 && unit + 1 < std::size(kUnits); ++unit) shown /= 1024;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%s", shown, kUnits[unit]);
  return buf;
}

std::optional<std::uint64_t> life_quantity(const ConnectionLife& l, LifeQuantity q) {
  switch (q) {
    case LifeQuantity::Duration: return l.duration_ns;
    case LifeQuantity::RxBytes: return l.rx_bytes;
    case LifeQuantity::TxBytes: return l.tx_bytes;
    case LifeQuantity::Srtt: return l.srtt_us;
  }
  return std::nullopt;
}

void ClassLives::add(const ConnectionLife& l) {
  ++count;
  for (auto q : kLifeQuantities) {
    LifeDistribution& d = by_quantity[static_cast<std::size_t>(q)];
    if (const auto v = life_quantity(l, q))
      d.known.add(*v);
    else
      ++d.unknown;
  }
}

void LifeTop::add(std::uint64_t key, ListedLife row) {
  if (!takes(key)) return;
  // After the rows of keys as large: those were read first.
  const auto at = std::upper_bound(keys_.begin(), keys_.end(), key, std::greater<>{}) - keys_.begin();
  keys_.insert(keys_.begin() + at, key);
  rows_.insert(rows_.begin() + at, std::move(row));
  if (keys_.size() > kLifeTop) {
    keys_.pop_back();
    rows_.pop_back();
  }
}

}  // namespace tcpfsm
