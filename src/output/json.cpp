// JSON lines: one object per record (schema: docs/json-schema.md).
#include <utility>

#include "common/json_text.h"
#include "output/formatter.h"
#include "model/states.h"

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

void append_ports(std::string& out, std::string_view key, const std::vector<std::uint16_t>& ports) {
  out += ",\"";
  out += key;
  out += "\":[";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (i) out += ',';
    json::append_uint(out, ports[i]);
  }
  out += ']';
}

// sep "key":n, where sep is ',' or, for an object's first member, '{'.
void append_count(std::string& out, char sep, std::string_view key, std::uint64_t n) {
  out += sep;
  out += '"';
  out += key;
  out += "\":";
  json::append_uint(out, n);
}

// The members of a loss count; sep before the first.
void append_losses(std::string& out, char sep, const Losses& l) {
  append_count(out, sep, "ringbuf", l.ringbuf);
  append_count(out, ',', "recursion", l.recursion);
  append_count(out, ',', "skstate", l.skstate);
}

void append_totals(std::string& out, const Totals& t) {
  append_count(out, ',', "transitions", t.transitions);
  out += R"(,"lost":)";
  append_losses(out, '{', t.lost);
  out += R"(},"violations":)";
  append_count(out, '{', "illegal", t.illegal);
  append_count(out, ',', "gap", t.gaps);
  append_count(out, ',', "unknown_state", t.unknown_states);
  out += '}';
  append_count(out, ',', "sockets_tracked", t.sockets.tracked);
  append_count(out, ',', "sockets_untracked", t.sockets.untracked);
  append_count(out, ',', "sockets_stale", t.sockets.stale);
  append_count(out, ',', "crosscheck_errors", t.sockets.crosscheck_errors);
  append_count(out, ',', "owners_unresolved", t.sockets.owners_unresolved);
  append_count(out, ',', "causes_lost", t.causes_lost);
  append_count(out, ',', "causes_late", t.causes_late);
}

void append_head(std::string& out, std::string_view type, std::uint64_t wall_ns) {
  out += R"({"type":")";
  out += type;
  out += R"(","ts":")";
  json::append_rfc3339(out, wall_ns);
  out += '"';
}

void append_field(std::string& out, std::string_view key, std::string_view value) {
  out += ",\"";
  out += key;
  out += "\":";
  json::append_string(out, value);
}

class JsonFormatter final : public Formatter {
 public:
  void start(std::string& out, const StartInfo& s) override {
    append_head(out, "start", s.wall_ns);
    out += R"(,"schema":)";
    json::append_uint(out, kSchemaVersion);
    append_field(out, "cause", s.cause);
    append_field(out, "tcpfsm", s.version);
    append_field(out, "host", s.host);
    append_field(out, "kernel", s.kernel);
    append_field(out, "boot_id", s.boot_id);
    append_field(out, "attach", s.attach);
    append_field(out, "model", s.model);
    out += R"(,"filters":{"family":)";
    out += s.family == 4 ? R"("ipv4")" : s.family == 6 ? R"("ipv6")" : R"("any")";
    static const PortFilter kNone;
    const PortFilter& p = s.ports ? *s.ports : kNone;
    append_ports(out, "ports", p.either);
    append_ports(out, "lports", p.local);
    append_ports(out, "rports", p.remote);
    out += R"(,"states":[)";
    bool first = true;
    for (int st = 0; st < 32; ++st)
      if ((s.states >> st) & 1U) {
        if (!std::exchange(first, false)) out += ',';
        append_state(out, st);
      }
    out += R"(],"netns":[)";
    for (std::size_t i = 0; i < s.netns.size(); ++i) {
      if (i) out += ',';
      json::append_uint(out, s.netns[i]);
    }
    out += R"(],"cgroups":[)";
    for (std::size_t i = 0; i < s.cgroups.size(); ++i) {
      if (i) out += ',';
      json::append_string(out, s.cgroups[i]);
    }
    out += R"(],"pid":)";
    if (s.pid)
      json::append_uint(out, static_cast<std::uint64_t>(s.pid));
    else
      out += "null";
    out += R"(},"ringbuf_bytes":)";
    json::append_uint(out, s.ringbuf_bytes);
    out += R"(,"clock":{"source":"CLOCK_MONOTONIC","mono_to_wall_ns":)";
    out += std::to_string(s.mono_to_wall_ns);
    out += "}}\n";
  }

  void stats(std::string& out, const StatsInfo& s) override {
    append_head(out, "stats", s.wall_ns);
    append_totals(out, s.totals);
    append_count(out, ',', "interval_ns", s.interval_ns);
    append_count(out, ',', "transitions_per_s", static_cast<std::uint64_t>(s.transitions_per_s + 0.5));
    out += "}\n";
  }

  void end(std::string& out, const EndInfo& e) override {
    append_head(out, "end", e.wall_ns);
    append_totals(out, e.totals);
    append_count(out, ',', "kernel_matched", e.kernel_matched);
    append_count(out, ',', "duration_ns", e.duration_ns);
    append_field(out, "reason", e.reason);
    if (!e.signal.empty()) append_field(out, "signal", e.signal);
    out += "}\n";
  }

  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    append_head(out, "transition", t.wall_ns);
    out += R"(,"ktime_ns":)";
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
    out += R"(,"netns":)";
    json::append_uint(out, t.netns);
    out += R"(,"cgroup_id":)";
    json::append_uint(out, t.cgroup_id);
    if (!t.cgroup.empty()) {
      out += R"(,"cgroup":)";
      json::append_string(out, t.cgroup);
    }
    if (t.container) {
      out += R"(,"container":)";
      json::append_string(out, t.container->id);
      out += R"(,"container_runtime":)";
      json::append_string(out, t.container->runtime);
      if (!t.container->pod_uid.empty()) {
        out += R"(,"pod_uid":)";
        json::append_string(out, t.container->pod_uid);
      }
    }
    if (t.owner_pid) {
      out += R"(,"owner_pid":)";
      json::append_uint(out, static_cast<std::uint64_t>(t.owner_pid));
      out += R"(,"owner_comm":)";
      json::append_string(out, t.owner_comm);
    }
    if (t.cause != Cause::None) append_field(out, "cause", cause_name(t.cause));
    if (t.reported.kernel.error) append_field(out, "error", errno_name(t.reported.kernel.error));
    if (!t.rst_reason.empty()) append_field(out, "rst_reason", t.rst_reason);
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
    append_head(out, "lost", wall_ns);
    append_losses(out, ',', l);
    out += "}\n";
  }
};

}  // namespace

std::unique_ptr<Formatter> make_json_formatter() { return std::make_unique<JsonFormatter>(); }

}  // namespace tcpfsm
