// What connections did, by how they ended, for `tcpfsm check`: each
// lifecycle class's distributions of duration, bytes and RTT over the lives
// its CLOSE records carry (logs of schema 4 on), and the connections that
// lasted longest or retransmitted most, with where their record is. Bounded:
// fixed histograms, and kLifeTop connections a listing.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "check/histogram.h"
#include "check/location.h"
#include "model/checker.h"
#include "record/connection_life.h"

namespace tcpfsm {

// The quantities distributed, in the order the reports show them.
enum class LifeQuantity : std::uint8_t { Duration, RxBytes, TxBytes, Srtt };
inline constexpr std::array kLifeQuantities{LifeQuantity::Duration, LifeQuantity::RxBytes, LifeQuantity::TxBytes,
                                            LifeQuantity::Srtt};
// "duration_ns", "rx_bytes", "tx_bytes", "srtt_us": the life's own names.
std::string_view life_quantity_name(LifeQuantity q);
// "duration", "rx bytes", "tx bytes", "srtt": as the reports label them.
std::string_view life_quantity_label(LifeQuantity q);
// A value of a time (the duration, or the RTT, told in us) in ns, to show as
// a duration; none for a count of bytes.
std::optional<std::uint64_t> life_time_ns(LifeQuantity q, std::uint64_t v);
// A quantile of a quantity as the reports show it, no more precise than it
// is (a histogram's: within 6.25%): "1.2ms", "15us"; bytes "500", "9.0K",
// "1.4M" (binary units, as --ringbuf-size takes them).
std::string life_quantile_text(LifeQuantity q, std::uint64_t v);
// The quantity in a life; none when the life does not tell it.
std::optional<std::uint64_t> life_quantity(const ConnectionLife& l, LifeQuantity q);

// One quantity over lives: the values told, and how many lives did not tell it.
struct LifeDistribution {
  Histogram known;
  std::uint64_t unknown = 0;
};

// The lives of the connections of one lifecycle class.
struct ClassLives {
  std::uint64_t count = 0;
  std::array<LifeDistribution, kLifeQuantities.size()> by_quantity;

  void add(const ConnectionLife& l);
  const LifeDistribution& of(LifeQuantity q) const { return by_quantity[static_cast<std::size_t>(q)]; }
};

// A connection listed for its life: its CLOSE record, as the log has it.
struct ListedLife {
  Location at;
  LifecycleClass cls = LifecycleClass::Completed;
  std::string owner;  // owner_label(): "nginx[812]", "-" when no record of it named one
  std::string family, laddr, raddr;
  std::uint16_t lport = 0, rport = 0;
  std::string cause, error;  // as written; empty when absent
  ConnectionLife life;
};

inline constexpr std::size_t kLifeTop = 5;  // connections a listing keeps

// The kLifeTop connections of the largest keys, the largest first; of equal
// keys, the one read first.
class LifeTop {
 public:
  // Whether a connection of this key would be listed: asked before its row is made.
  bool takes(std::uint64_t key) const { return keys_.size() < kLifeTop || key > keys_.back(); }
  void add(std::uint64_t key, ListedLife row);
  const std::vector<ListedLife>& rows() const { return rows_; }

 private:
  std::vector<std::uint64_t> keys_;  // rows_' keys
  std::vector<ListedLife> rows_;
};

}  // namespace tcpfsm
