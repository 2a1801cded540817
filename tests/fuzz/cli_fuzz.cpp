// The command line, parsed by the same code as main() (src/app.cpp): any
// arguments end in a command to run, --help/--version, or a usage error
// (status 2) with a message that cannot drive a terminal; never an exception
// or a crash. Nothing is run.
//
// --metrics resolves a host name (getaddrinfo): the fuzzer runs in a network
// namespace of its own, with no network, so that what it makes up is never
// sent to a DNS server and fails at once instead of timing out.
#include <sched.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // As root a network namespace alone; else inside a user namespace. If
  // neither is allowed, lookups go out as they would for tcpfsm itself.
  if (unshare(CLONE_NEWNET) != 0) unshare(CLONE_NEWUSER | CLONE_NEWNET);
  return 0;
}

// Input: the arguments after "tcpfsm", separated by NUL bytes.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kMaxArgs = 32;
  std::vector<std::string> args{"tcpfsm"};
  std::string current;
  for (std::size_t i = 0; i < size && args.size() <= kMaxArgs; ++i) {
    if (data[i] == 0) {
      args.push_back(std::move(current));
      current.clear();
    } else {
      current += static_cast<char>(data[i]);
    }
  }
  if (!current.empty() && args.size() <= kMaxArgs) args.push_back(std::move(current));
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  tcpfsm::cli::Command run;
  const auto app = tcpfsm::cli::make_app(run);
  std::ostringstream out, err;
  const auto status = tcpfsm::cli::parse(*app, static_cast<int>(argv.size()), argv.data(), out, err);
  if (!status)
    FUZZ_CHECK(run);  // parsed: there is a command to run
  else if (*status == 2)
    FUZZ_CHECK(!err.str().empty() && tcpfsm::fuzz::inert(err.str()));  // says what is wrong, escaped
  else
    FUZZ_CHECK(*status == 0 && !out.str().empty());  // --help and --version print and exit 0
  return 0;
}
