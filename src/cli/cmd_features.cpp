#include <cstdio>

#include "cli/commands.h"
#include "kernel/features.h"

namespace tcpfsm::cli {

void add_features(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("features", "Show which kernel features tcpfsm can use here");
  cmd->footer(examples({
      {"tcpfsm features", "BTF, ring buffer, tp_btf, tracefs: can tcpfsm run here, and how"},
  }));
  cmd->callback([&run] {
    run = [] {
      std::fputs(describe(features()).c_str(), stdout);
      return 0;
    };
  });
}

}  // namespace tcpfsm::cli
