// Graphviz text for a graph of TCP states.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tcpfsm {

struct DotEdge {
  int from = 0, to = 0;  // state numbers; an unknown one is drawn as its number
  std::string label;
  bool red = false;  // an edge the model does not allow
};

// A "digraph" titled `title`, with a node for every state an edge touches.
std::string dot_graph(std::string_view title, std::span<const DotEdge> edges);

}  // namespace tcpfsm
