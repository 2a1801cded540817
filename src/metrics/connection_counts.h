// What the metrics count of the connections that ended: their durations,
// payload bytes and RTTs as distributions, their retransmits as one sum,
// from the life each written CLOSE record carries. No label says which
// connection: the log has each one; the metrics have the shape of them all.
#pragma once

#include <array>
#include <cstdint>

#include "metrics/histogram.h"
#include "record/connection_life.h"

namespace tcpfsm {

// Connection durations, in ns: a millisecond (a request on a LAN) to an
// hour (a pooled or streaming connection), a decade apart up to 10 s, then
// a minute, ten minutes and an hour, as tcpfsm_state_duration_seconds.
inline constexpr HistogramBounds<8> kConnectionDurationBounds{
    {1'000'000, 10'000'000, 100'000'000, 1'000'000'000, 10'000'000'000, 60'000'000'000, 600'000'000'000,
     3'600'000'000'000},
    1'000'000'000};
// Payload bytes each way: a decade apart, 100 B (a probe, a refused
// connection's 0) to 1 GB (a bulk transfer).
inline constexpr HistogramBounds<8> kConnectionBytesBounds{
    {100, 1'000, 10'000, 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000}, 1};
// Smoothed RTT, in us: a decade each for loopback (10 us), a LAN (100 us,
// 1 ms) and a region (10 ms); finer across the WAN (50, 100, 250 ms), where
// a change of path shows; 1 s and past it, a path in trouble.
inline constexpr HistogramBounds<8> kConnectionSrttBounds{
    {10, 100, 1'000, 10'000, 50'000, 100'000, 250'000, 1'000'000}, 1'000'000};

struct ConnectionCounts {
  static constexpr std::size_t kRoles = 3;  // by Role: unknown, client, server

  struct Bytes {
    Histogram<kConnectionBytesBounds> rx, tx;
  };

  // Each observed only where the life knows it (none is never 0).
  std::array<Histogram<kConnectionDurationBounds>, kRoles> duration{};  // ns
  std::array<Bytes, kRoles> bytes{};
  Histogram<kConnectionSrttBounds> srtt{};  // us
  std::uint64_t retransmits = 0;

  void observe(const ConnectionLife& life);
};

}  // namespace tcpfsm
