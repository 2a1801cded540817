#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "model/model_doc.h"

namespace tcpfsm::cli {

void add_states(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("states", "Show the TCP states and the transitions a model allows");
  auto model = std::make_shared<std::string>("linux");
  cmd->add_option("--model", *model, "state machine to show: linux or rfc (default: linux)")
      ->check(CLI::IsMember({"linux", "rfc"}));
  auto* dot = cmd->add_flag("--dot")->description("print the model's state diagram as Graphviz");

  cmd->footer(examples({
      {"tcpfsm states", "the states and every transition Linux makes"},
      {"tcpfsm states --model rfc", "the transitions of RFC 9293 Figure 5"},
      {"tcpfsm states --dot | dot -Tsvg > states.svg", "the linux model as a picture"},
  }));

  cmd->callback([=, &run] {
    const Model m = *model == "rfc" ? Model::Rfc : Model::Linux;
    const bool as_dot = dot->count() > 0;
    run = [m, as_dot] {
      std::fputs((as_dot ? model_dot(m) : states_text(m)).c_str(), stdout);
      return 0;
    };
  });
}

}  // namespace tcpfsm::cli
