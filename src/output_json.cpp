// JSON lines: one object per record (schema: docs/json-schema.md).
#include "tcpfsm/json_writer.h"
#include "tcpfsm/output.h"
#include "tcpfsm/states.h"

namespace tcpfsm {
namespace {

void append_state(std::string& out, int n) {
  if (const StateInfo* s = find_state(n)) {
    out += '"';
    out += s->name;
    out += '"';
  } else {
    json::append_uint(out, static_cast<std::uint64_t>(n));  // unknown: the number itself
  }
}

void append_endpoint(std::string& out, std::string_view addr_key, std::string_view port_key,
                     bool ipv6, const Endpoint& ep) {
  char buf[kAddrTextMax];
  out += ",\"";
  out += addr_key;
  out += "\":\"";
  out.append(buf, format_addr(buf, ipv6, ep.addr));
  out += "\",\"";
  out += port_key;
  out += "\":";
  json::append_uint(out, ep.port);
}

class JsonFormatter final : public Formatter {
 public:
  void begin(std::string&) override {}

  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    out += R"({"type":"transition","ts":")";
    json::append_rfc3339(out, t.wall_ns);
    out += R"(","ktime_ns":)";
    json::append_uint(out, t.ktime_ns);
    out += R"(,"cpu":)";
    json::append_uint(out, t.cpu);
    out += R"(,"cookie":)";
    json::append_uint(out, t.cookie);
    out += t.ipv6 ? R"(,"family":"ipv6")" : R"(,"family":"ipv4")";
    append_endpoint(out, "laddr", "lport", t.ipv6, t.local);
    append_endpoint(out, "raddr", "rport", t.ipv6, t.remote);
    out += R"(,"old":)";
    append_state(out, t.old_state);
    out += R"(,"new":)";
    append_state(out, t.new_state);
    out += R"(,"old_ns":)";
    if (t.old_ns)
      json::append_uint(out, *t.old_ns);
    else
      out += "null";
    out += R"(,"pid":)";
    json::append_uint(out, t.pid);
    out += R"(,"tid":)";
    json::append_uint(out, t.tid);
    out += R"(,"comm":)";
    json::append_string(out, t.comm);
    out += R"(,"ino":)";
    json::append_uint(out, t.ino);
    out += R"(,"verdict":")";
    out += verdict_name(v.kind);
    out += '"';
    if (v.kind != VerdictKind::Ok) {
      out += R"(,"reason":)";
      json::append_string(out, v.reason);
    }
    out += "}\n";
  }

  void lost(std::string& out, std::uint64_t wall_ns, const Losses& l) override {
    out += R"({"type":"lost","ts":")";
    json::append_rfc3339(out, wall_ns);
    out += R"(","ringbuf":)";
    json::append_uint(out, l.ringbuf);
    out += R"(,"recursion":)";
    json::append_uint(out, l.recursion);
    out += R"(,"skstate":)";
    json::append_uint(out, l.skstate);
    out += "}\n";
  }
};

}  // namespace

std::unique_ptr<Formatter> make_json_formatter() { return std::make_unique<JsonFormatter>(); }

}  // namespace tcpfsm
