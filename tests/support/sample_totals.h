// A run's totals with every counter a value of its own (1 to 15, and 100
// transitions), so that a counter read or written in another's place shows.
// A new counter of Totals gets the next value here (sample_totals_test checks
// that every row of kTotalsCounters reads one of its own).
#pragma once

#include "record/run_records.h"

namespace tcpfsm::test {

inline Totals sample_totals() {
  Totals t;
  t.transitions = 100;
  t.lost = {1, 2, 3};
  t.illegal = 4;
  t.gaps = 5;
  t.unknown_states = 6;
  t.sockets = {7, 8, 9, 10, 11};
  t.causes_lost = 12;
  t.causes_late = 13;
  t.log_open_failures = 14;
  t.journal_not_sent = 15;
  return t;
}

}  // namespace tcpfsm::test
