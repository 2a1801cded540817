// tcpfsm command line: one subcommand per file (src/cmd_*.cpp) registers itself here.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "commands.h"
#include "tcpfsm/errors.h"

int main(int argc, char** argv) {
  CLI::App app{"tcpfsm: trace every TCP state transition, check it against the TCP state machine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", TCPFSM_VERSION);

  tcpfsm::cli::Command run;
  tcpfsm::cli::add_trace(app, run);
  tcpfsm::cli::add_features(app, run);
  tcpfsm::cli::add_stuck(app, run);
  tcpfsm::cli::add_check(app, run);
  tcpfsm::cli::add_states(app, run);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return static_cast<int>(tcpfsm::ExitCode::Usage);
  }
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
