#include "output/formatter.h"

namespace tcpfsm {

std::unique_ptr<Formatter> make_table_formatter(bool wide, bool owners);  // table.cpp
std::unique_ptr<Formatter> make_json_formatter(JsonNames names);  // json.cpp

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

std::unique_ptr<Formatter> make_formatter(Format f, bool wide, bool owners, JsonNames names) {
  switch (f) {
    case Format::Json: return make_json_formatter(names);
    case Format::Table: return make_table_formatter(wide, owners);
    case Format::None: return std::make_unique<NoneFormatter>();
  }
  return nullptr;
}

}  // namespace tcpfsm
