// tcpfsm command line: one subcommand per file (src/cli/cmd_*.cpp), all registered in src/cli/app.cpp.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "common/errors.h"

int main(int argc, char** argv) {
  tcpfsm::cli::Command run;
  const auto app = tcpfsm::cli::make_app(run);
  if (const auto status = tcpfsm::cli::parse(*app, argc, argv, std::cout, std::cerr)) return *status;
  try {
    return run();
  } catch (const tcpfsm::Error& e) {
    std::fprintf(stderr, "tcpfsm: %s\n", e.what());
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tcpfsm: %s\n", e.what());
    return static_cast<int>(tcpfsm::ExitCode::Failure);
  }
}
