#include "model/dot.h"

#include <algorithm>
#include <vector>

#include "model/states.h"

namespace tcpfsm {
namespace {

std::string quoted(std::string_view s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + '"';
}

}  // namespace

std::string dot_graph(std::string_view title, std::span<const DotEdge> edges) {
  std::string out = "digraph tcpfsm {\n";
  out += "  label=" + quoted(title) + ";\n  labelloc=t;\n  fontname=\"Helvetica\";\n";
  out += "  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=10];\n";
  // Nodes in the order the edges first name them: the layout follows it.
  std::vector<int> nodes;
  for (const auto& e : edges)
    for (int n : {e.from, e.to})
      if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
  for (int n : nodes) out += "  " + quoted(state_name(n)) + ";\n";
  for (const auto& e : edges) {
    out += "  " + quoted(state_name(e.from)) + " -> " + quoted(state_name(e.to)) + " [label=" + quoted(e.label);
    if (e.red) out += ", color=red, fontcolor=red, penwidth=2";
    out += "];\n";
  }
  return out + "}\n";
}

}  // namespace tcpfsm
