#include "metrics/transition_counts.h"

#include "model/states.h"

namespace tcpfsm {
namespace {

bool counted(int state) { return state >= 0 && state < TransitionCounts::kStates; }

}  // namespace

void TransitionCounts::observe(int old_state, int new_state, std::optional<std::uint64_t> old_ns,
                               VerdictKind verdict, Cause cause) {
  if (counted(old_state) && counted(new_state))
    ++edges[old_state][new_state];
  else
    ++other_edges[{old_state, new_state}];
  ++verdicts[static_cast<std::size_t>(verdict)];
  if (new_state == number(State::Close)) ++closes[static_cast<std::size_t>(cause)];
  if (old_ns && counted(old_state)) time_in_state[old_state].observe(*old_ns);
}

std::uint64_t TransitionCounts::total() const {
  std::uint64_t n = 0;
  for (const auto& row : edges)
    for (std::uint64_t c : row) n += c;
  for (const auto& [edge, c] : other_edges) n += c;
  return n;
}

}  // namespace tcpfsm
