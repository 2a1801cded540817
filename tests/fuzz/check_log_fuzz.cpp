// Whole logs through `tcpfsm check`'s own entry point (run_check), as a log
// corrupted on disk or written by something else would arrive on stdin.
// The first byte picks the options a user could give; the rest is the log.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <sstream>
#include <string>

#include "fuzz_check.h"
#include "check/check.h"

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
  FUZZ_CHECK(status == 0 || status == 1);
  // Whatever bytes the log holds, the messages and the text report quote them escaped.
  FUZZ_CHECK(tcpfsm::fuzz::inert(err.str()));
  if (o.format == tcpfsm::ReportFormat::Text) FUZZ_CHECK(tcpfsm::fuzz::inert(out.str()));
  if (o.format == tcpfsm::ReportFormat::Json) {
    // Whatever the log held, the report is valid JSON that agrees with the exit status.
    const auto report = nlohmann::json::parse(out.str(), nullptr, /*allow_exceptions=*/false);
    FUZZ_CHECK(!report.is_discarded() && report.value("exit_status", -1) == status);
    const bool clean = report["input_errors"]["total"] == 0 && report["violations_not_listed"] == 0 &&
                       report["violations"].empty();
    FUZZ_CHECK(clean == (status == 0));
  }
  return 0;
}
