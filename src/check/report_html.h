// `tcpfsm check --html`: the report as one self-contained HTML page.
#pragma once

#include <cstddef>
#include <string>

#include "check/report.h"

namespace tcpfsm {

// Graphs with more edges than this are not laid out: the matrix shows them.
inline constexpr std::size_t kMaxGraphEdges = 200;

// The page: inline CSS and SVG, no script, nothing fetched (its Content-
// Security-Policy forbids it too). The transition graph is laid out by
// `dot_program` (Graphviz's dot, looked up on PATH) when it can be run; else
// the page shows a matrix and says why. Every string from the log is escaped.
std::string report_html(const CheckReport& r, const std::string& dot_program = "dot");

}  // namespace tcpfsm
