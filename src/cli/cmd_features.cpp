#include <cstdio>

#include "cli/commands.h"
#include "common/errors.h"
#include "kernel/features.h"
#include "kernel/loader.h"

namespace tcpfsm::cli {

void add_features(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("features", "Show which kernel features tcpfsm can use here");
  cmd->footer(examples({
      {"tcpfsm features", "BTF, ring buffer, tp_btf, tracefs: can tcpfsm run here, and how"},
  }));
  cmd->callback([&run] {
    run = [] {
      std::fputs(describe(features()).c_str(), stdout);
      // What trace loads, found by loading it (not attached): the same
      // choices trace makes, so this cannot promise what the kernel refuses.
      // A port filter takes another path in the program (time kept per socket).
      LoadOptions plain, ports;
      ports.filters.ports.either = {1};
      for (const auto& [what, opts] : {std::pair{"trace", plain}, std::pair{"trace -p PORT", ports}}) {
        std::string line;
        try {
          line = features().bpf_denied ? kNeedsBpfPrivilege : describe(Tracer::probe(opts));
        } catch (const Error& e) {
          line = std::string("refused: ") + e.what();
        }
        std::printf("%s loads: %s\n", what, line.c_str());
      }
      return 0;
    };
  });
}

}  // namespace tcpfsm::cli
