// The one table of reference transitions, and the two models built from it.
#pragma once

#include <span>
#include <string_view>

#include "model/states.h"

namespace tcpfsm {

enum class Model {
  Linux,  // exactly what Linux emits at sock:inet_sock_set_state
  Rfc,    // strict RFC 9293 Figure 5
};

std::string_view model_name(Model m);         // "linux", "rfc"
std::string_view model_description(Model m);  // what the model holds, one line

struct Edge {
  State from;
  State to;
  bool rfc;    // drawn in RFC 9293 Figure 5
  bool linux;  // emitted by Linux at the tracepoint
  std::string_view label;
};

// Every edge either model knows, one row each.
std::span<const Edge> all_edges();

// The row for (from, to), or nullptr if neither model has it.
const Edge* find_edge(int from, int to);

// "" when Linux reports transitions into or out of `s` at
// sock:inet_sock_set_state (an edge of the linux model has it at one end);
// else why it never does, as a clause: a filter on `s` can match nothing.
std::string_view never_reported(State s);

// Whether `m` allows from -> to.
bool allowed(Model m, int from, int to);
inline bool allowed(Model m, const Edge& e) { return m == Model::Linux ? e.linux : e.rfc; }

}  // namespace tcpfsm
