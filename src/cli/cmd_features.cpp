#include <cstdio>

#include "cli/commands.h"
#include "kernel/features.h"

namespace tcpfsm::cli {

void add_features(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("features", "Show which kernel features tcpfsm can use here");
  cmd->callback([&run] {
    run = [] {
      std::fputs(describe(features()).c_str(), stdout);
      return 0;
    };
  });
}

}  // namespace tcpfsm::cli
