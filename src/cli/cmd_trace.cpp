#include <unistd.h>

#include <memory>

#include "cli/commands.h"
#include "common/units.h"
#include "kernel/privileges.h"
#include "output/journal_sink.h"
#include "trace/trace.h"

namespace tcpfsm::cli {
namespace {

// What --lifetimes cannot mean: each refused with the reason.
void refuse_with_lifetimes(const TraceOptions& o, std::uint64_t count) {
  if (o.format == Format::None) throw CLI::ValidationError("--lifetimes", "writes connections' ends: not with -f none");
  if (o.wide) throw CLI::ValidationError("--lifetimes", "has columns of its own: not with -w");
  // A connection's end is one of its transitions into CLOSE, and who held it
  // is on the others: a state filter would drop some of both.
  if (o.load.filters.states)
    throw CLI::ValidationError("--lifetimes", "needs every transition of a connection: not with --state");
  if (count) throw CLI::ValidationError("--lifetimes", "-n counts transitions, not connections: not with -n (use -d)");
}

}  // namespace

void add_trace(CLI::App& app, Command& run) {
  auto* cmd = app.add_subcommand("trace", "Trace TCP state transitions live");
  auto opts = std::make_shared<TraceOptions>();
  auto format = std::make_shared<std::string>();
  auto duration = std::make_shared<std::string>();
  auto count = std::make_shared<std::uint64_t>(0);

  cmd->add_option("-f,--format", *format,
                  "table, json, or none (no records: metrics only) (default: table on a terminal, json "
                  "otherwise and with -o)")
      ->check(CLI::IsMember({"table", "json", "none"}));
  auto* output = cmd->add_option("-o,--output", opts->output_path, "append to FILE (default: standard output)")
                     ->check(file_validator());
  const Apply filters = add_filter_options(*cmd, opts);
  cmd->add_option("-d,--duration", *duration,
                  "stop after DURATION, e.g. 30, 30s, 5m, 1h (default: run until Ctrl-C or SIGTERM)")
      ->check(duration_validator(std::chrono::nanoseconds(1)));
  cmd->add_option("-n,--count", *count, "stop after N transitions (default: no limit)")->check(count_validator(1));
  const Apply pipeline = add_pipeline_options(*cmd, opts);
  auto rotate_size = std::make_shared<std::string>();
  auto flush_interval = std::make_shared<std::string>();
  auto stats_interval = std::make_shared<std::string>();
  auto* rotate = cmd->add_option("--rotate-size", *rotate_size,
                                 "with -o: rotate FILE -> FILE.1 ... at SIZE, e.g. 100M (default: no rotation)")
                     ->check(size_validator())
                     ->check(CLI::Validator(
                         [](std::string& s) -> std::string {
                           return parse_size(s) < 4096 ? "invalid size '" + s + "': must be at least 4K" : "";
                         },
                         "", "at least 4K"))
                     ->needs(output);
  cmd->add_option("--rotate-keep", opts->rotate_keep, "with --rotate-size: keep N rotated files (default: 5)")
      ->check(count_validator(1, 1000))
      ->needs(rotate);
  cmd->add_option("--flush-interval", *flush_interval, "with -o: on disk within DURATION (default: 1s)")
      ->check(duration_validator())
      ->needs(output);
  cmd->add_option("--stats-interval", *stats_interval, "write a stats record every DURATION, e.g. 1m (default: none)")
      ->check(duration_validator(std::chrono::nanoseconds(1)));
  cmd->add_option("--user", opts->user,
                  "once loaded, drop root and run as USER, a name or a numeric id, keeping no capability "
                  "(default: stay the user that started it)")
      ->check(CLI::Validator([](std::string& u) { return check_user(u); }, "USER", "user"));
  auto metrics = std::make_shared<std::string>();
  auto* metrics_opt = cmd->add_option("--metrics", *metrics,
                                      "serve Prometheus metrics at http://ADDR:PORT/metrics, e.g. 127.0.0.1:9464, "
                                      "[::1]:9464, localhost:9464, or :9464 for every address, IPv4 and IPv6 "
                                      "(default: none)")
                          ->check(listen_address_validator());
  const Apply stuck = add_stuck_options(
      *cmd, opts,
      {"with --metrics: state counted by tcpfsm_stuck_sockets", "with --metrics: counted as stuck after DURATION in the state",
       metrics_opt});
  cmd->add_flag("-w,--wide", opts->wide,
                "table: add each socket's network namespace and cgroup (or container), and to a connection's "
                "end what it did (bytes, retransmits, RTT, duration)");
  cmd->add_flag("--lifetimes", opts->lifetimes,
                "connections' ends alone: the table is one line per connection as it ends, as bcc's tcplife "
                "(owner, container, addresses, TX_KB, RX_KB, retransmits, RTT, duration, cause); JSON, the "
                "records of the transitions that end them");
  auto* otel_names = cmd->add_flag("--otel-names")
                          ->description("JSON: name the members of transition records as OpenTelemetry's semantic "
                                        "conventions do (network.peer.address, ...; docs/opentelemetry.md)");
  auto journal = std::make_shared<bool>(false);
  cmd->add_flag("--journal", *journal,
                "also send each record to the systemd journal, as fields named like the JSON keys "
                "(default: not sent)");

  cmd->footer(examples({
      {"tcpfsm trace", "every TCP state transition on the host, as a table"},
      {"tcpfsm trace -p 8080 -d 30s", "port 8080 (either side) for 30 seconds"},
      {"tcpfsm trace --state CLOSE_WAIT -w", "into or out of CLOSE_WAIT, with netns and cgroup"},
      {"tcpfsm trace -4 --rport 443 -n 100", "the first 100 transitions of IPv4 sockets to port 443"},
      {"tcpfsm trace --pid 1234 -f json", "the sockets process 1234 holds, as JSON lines"},
      {"tcpfsm trace --model rfc", "checked against RFC 9293 instead of Linux"},
      {"tcpfsm trace --lifetimes -p 443", "a line per connection to or from port 443 as it ends, as tcplife"},
      {"tcpfsm trace -o /var/log/tcpfsm.json --rotate-size 100M --stats-interval 1m",
       "a rotating log, to check later"},
      {"tcpfsm trace -f none --metrics 127.0.0.1:9464", "Prometheus metrics only, no records"},
      {"tcpfsm trace -f json --otel-names", "JSON lines keyed as OpenTelemetry names them"},
      {"tcpfsm trace -f none --journal -p 8080", "port 8080 to the systemd journal only (journalctl -t tcpfsm)"},
  }));

  cmd->callback([=, &run] {
    if (format->empty())
      opts->format = (opts->output_path.empty() && isatty(STDOUT_FILENO)) ? Format::Table : Format::Json;
    else
      opts->format = *format == "table" ? Format::Table : *format == "none" ? Format::None : Format::Json;
    if (opts->format == Format::None && !opts->output_path.empty())
      throw CLI::ValidationError("--format none", "writes no records: not with -o");
    if (otel_names->count()) {
      if (opts->format != Format::Json)
        throw CLI::ValidationError("--otel-names", "names the keys of JSON records: only with JSON output (-f json)");
      opts->json_names = JsonNames::OpenTelemetry;
    }
    if (!metrics->empty()) {
      std::string why;
      opts->metrics = parse_listen_address(*metrics, why);
    }
    filters();
    pipeline();
    stuck();
    if (opts->lifetimes) refuse_with_lifetimes(*opts, *count);
    if (!duration->empty()) opts->duration = parse_duration(*duration);
    if (*count) opts->count = *count;
    if (!rotate_size->empty()) opts->rotate_size = parse_size(*rotate_size);
    if (!flush_interval->empty()) opts->flush_interval = parse_duration(*flush_interval);
    if (!stats_interval->empty()) opts->stats_interval = parse_duration(*stats_interval);
    if (*journal) opts->sinks.push_back([] { return std::make_unique<JournalSink>(); });
    run = [opts] { return run_trace(*opts); };
  });
}

}  // namespace tcpfsm::cli
