#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "check/check.h"
#include "common/units.h"
#include "record/stuck_settings.h"

namespace tcpfsm::cli {

void add_check(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("check", "Check the transitions in JSON logs written by tcpfsm trace");
  auto opts = std::make_shared<CheckOptions>();
  auto model = std::make_shared<std::string>("linux");
  auto format = std::make_shared<std::string>("text");
  auto stuck_age = std::make_shared<std::string>(StuckSettings::default_age_text());

  cmd->add_option("files", opts->files,
                  "logs to read in order, as one stream; - is standard input (default: standard input)")
      ->type_name("FILE");
  cmd->add_option("--model", *model, "state machine to check against: linux or rfc (default: linux)")
      ->check(CLI::IsMember({"linux", "rfc"}));
  cmd->add_option("-f,--format", *format, "report format: text or json (default: text)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--dot", opts->dot_path,
                  "also write the observed transition graph (Graphviz) to FILE (default: none)")
      ->check(file_validator());
  cmd->add_option("--html", opts->html_path,
                  "also write the report as one self-contained HTML page to FILE, its graph laid out by Graphviz's "
                  "dot when on PATH (default: none)")
      ->check(file_validator());
  cmd->add_option("--show", opts->show,
                  "list at most N kinds of violations and N input errors, 0 for all (default: " +
                      std::to_string(opts->show) + ")")
      ->check(count_validator());
  cmd->add_option("--stuck-age", *stuck_age,
                  "warn of sockets in CLOSE_WAIT this long or longer when the log ends; a warning: the exit "
                  "status stays 0 (default: " + *stuck_age + ")")
      ->check(duration_validator());

  cmd->footer(examples({
      {"tcpfsm check /var/log/tcpfsm.json", "totals, violations with file:line, time in states"},
      {"tcpfsm check t.json.2 t.json.1 t.json", "rotated files, oldest first, as one stream"},
      {"tcpfsm check --html report.html t.json", "one page: graph, charts, violations"},
      {"tcpfsm check --model rfc -f json t.json", "against RFC 9293, as JSON"},
      {"tcpfsm check --dot g.dot t.json", "the observed graph (dot -Tsvg g.dot > g.svg)"},
      {"tcpfsm check --stuck-age 5m t.json", "warn only of sockets in CLOSE_WAIT 5 min or more at the end"},
      {"tcpfsm trace -n 1000 -f json | tcpfsm check", "check 1000 live transitions from stdin"},
  }));

  cmd->callback([=, &run] {
    opts->model = *model == "rfc" ? Model::Rfc : Model::Linux;
    opts->format = *format == "json" ? ReportFormat::Json : ReportFormat::Text;
    opts->stuck_age = parse_duration(*stuck_age);
    run = [opts] {
      std::ios::sync_with_stdio(false);  // std::cin is read in large blocks
      const int status = run_check(*opts, std::cin, std::cout, std::cerr);
      std::cout.flush();
      return status;
    };
  });
}

}  // namespace tcpfsm::cli
