#include "output/formatter.h"

namespace tcpfsm {

std::unique_ptr<Formatter> make_table_formatter(bool wide, bool owners);                    // table.cpp
std::unique_ptr<Formatter> make_json_formatter(JsonNames names);                            // json.cpp
std::unique_ptr<Formatter> make_lifetimes_formatter(bool owners);                           // lifetimes.cpp
std::unique_ptr<Formatter> make_connection_ends_formatter(std::unique_ptr<Formatter> all);  // lifetimes.cpp

namespace {

// --format none: the records go nowhere (the run is watched through its metrics).
class NoneFormatter final : public Formatter {
 public:
  void start(std::string&, const StartInfo&) override {}
  void transition(std::string&, const Transition&, const Verdict&) override {}
  void lost(std::string&, std::uint64_t, const Losses&) override {}
  void stats(std::string&, const StatsInfo&) override {}
  void end(std::string&, const EndInfo&) override {}
};

}  // namespace

std::unique_ptr<Formatter> make_formatter(Format f, const FormatterOptions& o) {
  switch (f) {
    case Format::Json:
      return o.lifetimes ? make_connection_ends_formatter(make_json_formatter(o.names)) : make_json_formatter(o.names);
    case Format::Table: return o.lifetimes ? make_lifetimes_formatter(o.owners) : make_table_formatter(o.wide, o.owners);
    case Format::None: return std::make_unique<NoneFormatter>();
  }
  return nullptr;
}

}  // namespace tcpfsm
