// Whole logs through `tcpfsm check`'s own entry point (run_check), as a log
// corrupted on disk or written by something else would arrive on stdin.
// The first byte picks the options a user could give; the rest is the log.
// Line by line, the log also goes to both parsers behind parse_record():
// simdjson may take a line only if nlohmann reads it to the same record.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "check/check.h"
#include "check/log_parsers.h"

namespace {

void parsers_agree(std::string_view log) {
  tcpfsm::LogRecord fast, reference;
  while (!log.empty()) {
    const std::size_t nl = log.find('\n');
    std::string_view line = log.substr(0, nl);
    log.remove_prefix(nl == std::string_view::npos ? log.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);    // as LineReader does
    if (line.find('\0') != std::string_view::npos) continue;  // check reports NUL itself
    if (tcpfsm::parse_record_simdjson(line, fast)) {
      FUZZ_CHECK(!tcpfsm::parse_record_nlohmann(line, reference));
      FUZZ_CHECK(fast == reference);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  tcpfsm::CheckOptions o;
  o.model = data[0] & 1 ? tcpfsm::Model::Rfc : tcpfsm::Model::Linux;
  o.format = data[0] & 2 ? tcpfsm::ReportFormat::Json : tcpfsm::ReportFormat::Text;
  o.show = (data[0] >> 2) & 3;  // 0 lists everything
  std::istringstream in(std::string(reinterpret_cast<const char*>(data) + 1, size - 1));
  std::ostringstream out, err;
  const int status = tcpfsm::run_check(o, in, out, err);

  // Only a file that cannot be read gives 2, and there are no files here.
  FUZZ_CHECK(status == 0 || status == 1 || status == 9);
  parsers_agree({reinterpret_cast<const char*>(data) + 1, size - 1});
  // Whatever bytes the log holds, the messages and the text report quote them escaped.
  FUZZ_CHECK(tcpfsm::fuzz::inert(err.str()));
  if (o.format == tcpfsm::ReportFormat::Text) FUZZ_CHECK(tcpfsm::fuzz::inert(out.str()));
  if (o.format == tcpfsm::ReportFormat::Json) {
    // Whatever the log held, the report is valid JSON that agrees with the exit status.
    const auto report = nlohmann::json::parse(out.str(), nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!report.is_discarded() && report.value("exit_status", -1) == status);
    const bool clean = report["input_errors"]["total"] == 0 && report["violations_not_listed"] == 0 &&
                       report["violations"].empty();
    const bool unfinished = !report["unfinished_runs"].empty();
    FUZZ_CHECK(status == (!clean ? 1 : unfinished ? 9 : 0));
  }
  return 0;
}
