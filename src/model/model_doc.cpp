#include "model/model_doc.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "common/text.h"
#include "model/dot.h"

namespace tcpfsm {
namespace {

std::size_t name_width() {
  std::size_t w = 0;
  for (const auto& s : all_states()) w = std::max(w, s.name.size());
  return w;
}

bool in_model(Model m, State s) {
  return std::any_of(all_edges().begin(), all_edges().end(),
                     [&](const Edge& e) { return allowed(m, e) && (e.from == s || e.to == s); });
}

void edge_rows(std::string& out, Model m, bool in) {
  const std::size_t w = name_width();
  for (const auto& e : all_edges()) {
    if (allowed(m, e) != in) continue;
    out += "  ";
    pad(out, state_name(number(e.from)), w);
    out += " -> ";
    pad(out, state_name(number(e.to)), w);
    out += "  ";
    out += e.label;
    out += '\n';
  }
}

std::size_t edge_count(Model m, bool in) {
  return static_cast<std::size_t>(std::count_if(all_edges().begin(), all_edges().end(),
                                                [&](const Edge& e) { return allowed(m, e) == in; }));
}

}  // namespace

std::string states_text(Model m) {
  const Model other = m == Model::Linux ? Model::Rfc : Model::Linux;
  const std::size_t w = name_width();
  std::string out = "TCP states (kernel number, name, meaning)\n";
  for (const auto& s : all_states()) {
    char num[8];
    std::snprintf(num, sizeof num, "%4d  ", number(s.state));
    out += num;
    pad(out, s.name, w);
    out += "  ";
    out += s.meaning;
    if (!in_model(m, s.state)) out += " [not in the " + std::string(model_name(m)) + " model]";
    out += '\n';
  }
  out += "\nTransitions of the " + std::string(model_name(m)) + " model, " +
         std::string(model_description(m)) + " (" + std::to_string(edge_count(m, true)) + ")\n";
  edge_rows(out, m, true);
  out += "\nOnly in the " + std::string(model_name(other)) + " model (" +
         std::to_string(edge_count(m, false)) + ")\n";
  edge_rows(out, m, false);
  return out;
}

std::string model_dot(Model m) {
  std::vector<DotEdge> edges;
  for (const auto& e : all_edges())
    if (allowed(m, e)) edges.push_back({number(e.from), number(e.to), std::string(e.label), false});
  return dot_graph("tcpfsm " + std::string(model_name(m)) + " model: " + std::string(model_description(m)),
                   edges);
}

}  // namespace tcpfsm
