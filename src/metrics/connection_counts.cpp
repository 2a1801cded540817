#include "metrics/connection_counts.h"

namespace tcpfsm {

void ConnectionCounts::observe(const ConnectionLife& life) {
  const auto role = static_cast<std::size_t>(life.role);
  if (life.duration_ns) duration[role].observe(*life.duration_ns);
  if (life.rx_bytes) bytes[role].rx.observe(*life.rx_bytes);
  if (life.tx_bytes) bytes[role].tx.observe(*life.tx_bytes);
  if (life.srtt_us) srtt.observe(*life.srtt_us);
  if (life.retrans) retransmits += *life.retrans;
}

}  // namespace tcpfsm
