// Where `tcpfsm check` writes its --dot and --html reports. Nothing is
// truncated before the whole input was read: a report is written at the end,
// to a temporary file in its directory renamed over it, so a check that fails
// or is interrupted leaves what was there whole. And no report goes over a
// log: an input (by any path: the same file, so through a symbolic or a hard
// link too), the other report, or a file whose first line is a tcpfsm record
// (`check --dot v.json` with v.json meant as the input: no file was named, so
// standard input is read, and v.json is no input).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/errors.h"

namespace tcpfsm {

struct ReportFile {
  std::string_view option;  // "--dot", "--html": how the message names it
  std::string path;
};

struct Refusal {
  ExitCode code;        // Usage: refused; OutputError: cannot be written
  std::string message;  // for the user, file names escaped
};

// Why the reports cannot go where they are asked to, or nothing; before any
// input is read. inputs: the files read ("-" among them is skipped); in_fd:
// what "-" reads, when it is among them, else -1.
std::optional<Refusal> check_report_files(const std::vector<ReportFile>& reports,
                                          const std::vector<std::string>& inputs, int in_fd);

// Writes text to path through a temporary file renamed over it (with the
// mode of the file it replaces, or 0666 less the umask; a symbolic link is
// written through). A path that names no regular file (a FIFO, /dev/null)
// is written directly. Why it failed, or nothing.
std::optional<std::string> write_report_file(const std::string& path, std::string_view text);

}  // namespace tcpfsm
