// `tcpfsm check`: re-check the transitions of JSON-lines logs written by
// `tcpfsm trace`, streaming, and report what was found.
#pragma once

#include <chrono>
#include <cstddef>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "model/model.h"
#include "record/stuck_settings.h"

namespace tcpfsm {

enum class ReportFormat { Text, Json };

struct CheckOptions {
  std::vector<std::string> files;  // read in this order, as one stream; "-" (or none) is `in`
  int in_fd = 0;  // the file `in` reads (-1: none), so that no report is written over it
  Model model = Model::Linux;
  ReportFormat format = ReportFormat::Text;
  std::string dot_path;   // write the observed transition graph here, if set
  std::string html_path;  // write the report as an HTML page here, if set
  std::string dot_program = "dot";  // Graphviz, to lay out the page's graph
  std::size_t show = 50;  // kinds of violations and input errors listed; 0 lists all
  // Sockets in CLOSE_WAIT this long or longer at the end of the log are a
  // warning (the exit status stays 0).
  std::chrono::nanoseconds stuck_age = StuckSettings{}.age;
};

// Reads, checks, writes the report to `out` and input errors to `err`.
// Returns the exit status (tcpfsm::ExitCode): 0 clean (also with warnings);
// 1 violations, gaps or bad lines; 2 a file could not be read, or a report
// would go over an input or a log; 8 the --dot or --html file could not be
// written; 9 clean but a trace run has no end record.
int run_check(const CheckOptions& o, std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tcpfsm
