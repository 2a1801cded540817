// JSON lines: one object per record (schema: docs/json-schema.md).
#include <sys/socket.h>

#include <optional>
#include <utility>

#include "common/json_text.h"
#include "output/formatter.h"
#include "output/json_keys.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

using json::Line;

void put_state(Line& l, int n, JsonNames names = JsonNames::Tcpfsm) {
  if (const StateInfo* s = find_state(n))
    l.raw('"').raw(names == JsonNames::OpenTelemetry ? s->otel_name : s->name).raw('"');
  else
    l.uint(static_cast<std::uint64_t>(n));  // unknown: the number itself
}

// The keys come with their punctuation: ,"laddr": and ,"lport":.
void put_endpoint(Line& l, std::string_view addr_key, std::string_view port_key, bool ipv6,
                  const Endpoint& ep) {
  char buf[kAddrTextMax];
  l.raw(addr_key).raw('"').raw(std::string_view(buf, format_addr(buf, ipv6, ep.addr))).raw('"');
  l.raw(port_key).uint(ep.port);
}

// ,"key":[n,...]
template <typename Numbers>
void put_numbers(Line& l, std::string_view key, const Numbers& numbers) {
  l.raw(key).raw('[');
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    if (i) l.raw(',');
    l.uint(numbers[i]);
  }
  l.raw(']');
}

// sep "key":n, where sep is ',' or, for an object's first member, '{'.
void put_count(Line& l, char sep, std::string_view key, std::uint64_t n) {
  l.raw(sep).raw('"').raw(key).raw("\":").uint(n);
}

// The lost record's members, as kLossCounters names them.
void put_losses(Line& l, const Losses& lost) {
  const Totals t = totals_of(lost);
  for (const TotalsCounter& c : kLossCounters) put_count(l, ',', c.key(), c.value(t));
}

// The counters as kTotalsCounters names them: "lost.ringbuf" is the key
// ringbuf of the object lost.
void put_totals(Line& l, const Totals& t) {
  std::string_view group;  // the object open, if any
  for (const TotalsCounter& c : kTotalsCounters) {
    char sep = ',';
    if (c.group() != group) {
      if (!group.empty()) l.raw('}');
      if (!c.group().empty()) {
        l.raw(",\"").raw(c.group()).raw("\":");
        sep = '{';
      }
      group = c.group();
    }
    put_count(l, sep, c.key(), c.value(t));
  }
  if (!group.empty()) l.raw('}');
}

// n after its key (with punctuation), or null when it is not known.
template <typename N>
void put_known(Line& l, std::string_view key, const std::optional<N>& n) {
  l.raw(key);
  if (n)
    l.uint(*n);
  else
    l.raw("null");
}

// What the connection did (a CLOSE that ends one): ,"life":{...}, or its
// members flat as OpenTelemetry's attributes are.
template <JsonNames Names>
void put_life(Line& l, const ConnectionLife& c) {
  constexpr auto key = [](TransitionKey k) { return json_key(Names, k); };
  l.raw(key(TransitionKey::LifeRole)).raw('"').raw(role_name(c.role)).raw('"');
  put_known(l, key(TransitionKey::LifeDuration), c.duration_ns);
  put_known(l, key(TransitionKey::LifeRx), c.rx_bytes);
  put_known(l, key(TransitionKey::LifeTx), c.tx_bytes);
  put_known(l, key(TransitionKey::LifeSegsIn), c.segs_in);
  put_known(l, key(TransitionKey::LifeSegsOut), c.segs_out);
  put_known(l, key(TransitionKey::LifeRetrans), c.retrans);
  put_known(l, key(TransitionKey::LifeSrtt), c.srtt_us);
  put_known(l, key(TransitionKey::LifeRttvar), c.rttvar_us);
  l.raw(key(TransitionKey::LifeEnd));
}

void put_head(Line& l, std::string_view type, std::uint64_t wall_ns) {
  l.raw(R"({"type":")").raw(type).raw(R"(","ts":")").rfc3339(wall_ns).raw('"');
}

void put_field(Line& l, std::string_view key, std::string_view value) {
  l.raw(",\"").raw(key).raw("\":").string(value);
}

// Names: the keys of transition records (output/json_keys.h); the run's
// own records (start, stats, lost, end) keep tcpfsm's.
template <JsonNames Names>
class JsonFormatter final : public Formatter {
 public:
  void start(std::string& out, const StartInfo& s) override {
    Line l(out);
    put_head(l, "start", s.wall_ns);
    l.raw(R"(,"schema":)").uint(kSchemaVersion);
    put_field(l, "cause", s.cause);
    put_field(l, "tcpfsm", s.version);
    l.text("host", s.host);
    put_field(l, "kernel", s.kernel);
    put_field(l, "boot_id", s.boot_id);
    put_field(l, "attach", s.attach);
    if (!s.buffer.empty()) put_field(l, "buffer", s.buffer);
    put_field(l, "model", s.model);
    l.raw(R"(,"filters":{"family":)");
    const Filters& f = s.filters;
    l.raw(f.family == AF_INET ? R"("ipv4")" : f.family == AF_INET6 ? R"("ipv6")" : R"("any")");
    const PortFilter& p = f.ports;
    put_numbers(l, R"(,"ports":)", p.either);
    put_numbers(l, R"(,"lports":)", p.local);
    put_numbers(l, R"(,"rports":)", p.remote);
    l.raw(R"(,"states":[)");
    bool first = true;
    for (int st = 0; st < 32; ++st)
      if ((f.states >> st) & 1U) {
        if (!std::exchange(first, false)) l.raw(',');
        put_state(l, st);
      }
    l.raw(']');
    put_numbers(l, R"(,"netns":)", f.netns);
    l.raw(R"(,"cgroups":[)");
    for (std::size_t i = 0; i < f.cgroups.size(); ++i) {
      if (i) l.raw(',');
      l.string(f.cgroups[i]);
    }
    l.raw(R"(],"pid":)");
    if (f.pid)
      l.uint(static_cast<std::uint64_t>(*f.pid));
    else
      l.raw("null");
    l.raw(R"(},"ringbuf_bytes":)").uint(s.ringbuf_bytes);
    l.raw(R"(,"clock":{"source":"CLOCK_MONOTONIC","mono_to_wall_ns":)");
    l.raw(std::to_string(s.mono_to_wall_ns)).raw("}}\n");
  }

  void stats(std::string& out, const StatsInfo& s) override {
    Line l(out);
    put_head(l, "stats", s.wall_ns);
    put_totals(l, s.totals);
    put_count(l, ',', "interval_ns", s.interval_ns);
    put_count(l, ',', "transitions_per_s", static_cast<std::uint64_t>(s.transitions_per_s + 0.5));
    l.raw("}\n");
  }

  void end(std::string& out, const EndInfo& e) override {
    Line l(out);
    put_head(l, "end", e.wall_ns);
    put_totals(l, e.totals);
    put_count(l, ',', "kernel_matched", e.kernel_matched);
    put_count(l, ',', "duration_ns", e.duration_ns);
    put_field(l, "reason", e.reason);
    if (!e.signal.empty()) put_field(l, "signal", e.signal);
    l.raw("}\n");
  }

  // The per-event record: one Line, keys written with their punctuation,
  // each a constant of the table.
  void transition(std::string& out, const Transition& t, const Verdict& v) override {
    constexpr auto key = [](TransitionKey k) { return json_key(Names, k); };
    Line l(out);
    l.raw(key(TransitionKey::Head)).rfc3339(t.wall_ns).raw('"');
    l.raw(key(TransitionKey::Ktime)).uint(t.ktime_ns);
    l.raw(key(TransitionKey::Cpu)).uint(t.cpu);
    l.raw(key(TransitionKey::Cookie)).uint(t.cookie);
    l.raw(key(TransitionKey::Family)).raw(t.ipv6 ? R"("ipv6")" : R"("ipv4")");
    l.raw(key(TransitionKey::Transport));
    put_endpoint(l, key(TransitionKey::Laddr), key(TransitionKey::Lport), t.ipv6, t.local);
    put_endpoint(l, key(TransitionKey::Raddr), key(TransitionKey::Rport), t.ipv6, t.remote);
    l.raw(key(TransitionKey::Old));
    put_state(l, t.old_state, Names);
    l.raw(key(TransitionKey::New));
    put_state(l, t.new_state, Names);
    l.raw(key(TransitionKey::OldNs));
    if (t.old_ns)
      l.uint(*t.old_ns);
    else
      l.raw("null");
    l.raw(key(TransitionKey::Pid)).uint(t.pid);
    l.raw(key(TransitionKey::Tid)).uint(t.tid);
    l.text(key(TransitionKey::Comm), key(TransitionKey::CommBytes), t.comm);
    l.raw(key(TransitionKey::Ino)).uint(t.ino);
    l.raw(key(TransitionKey::Netns)).uint(t.netns);
    l.raw(key(TransitionKey::CgroupId)).uint(t.cgroup_id);
    if (!t.cgroup.empty()) l.text(key(TransitionKey::Cgroup), key(TransitionKey::CgroupBytes), t.cgroup);
    if (t.container) {
      l.text(key(TransitionKey::Container), key(TransitionKey::ContainerBytes), t.container->id);
      l.raw(key(TransitionKey::ContainerRuntime)).string(t.container->runtime);
      if (!t.container->pod_uid.empty()) l.raw(key(TransitionKey::PodUid)).string(t.container->pod_uid);
    }
    if (t.owner_pid) {
      l.raw(key(TransitionKey::OwnerPid)).uint(static_cast<std::uint64_t>(t.owner_pid));
      l.text(key(TransitionKey::OwnerComm), key(TransitionKey::OwnerCommBytes), t.owner_comm);
    }
    if (t.cause != Cause::None) l.raw(key(TransitionKey::Cause)).string(cause_name(t.cause));
    if (t.reported.kernel.error) l.raw(key(TransitionKey::Error)).string(errno_name(t.reported.kernel.error));
    if (!t.rst_reason.empty()) l.raw(key(TransitionKey::RstReason)).string(t.rst_reason);
    if (t.life) put_life<Names>(l, *t.life);
    l.raw(key(TransitionKey::Verdict)).raw('"').raw(verdict_name(v.kind)).raw('"');
    if (v.kind != VerdictKind::Ok) l.raw(key(TransitionKey::Reason)).string(v.reason);
    l.raw("}\n");
  }

  void lost(std::string& out, std::uint64_t wall_ns, const Losses& losses) override {
    Line l(out);
    put_head(l, "lost", wall_ns);
    put_losses(l, losses);
    l.raw("}\n");
  }
};

}  // namespace

std::unique_ptr<Formatter> make_json_formatter(JsonNames names) {
  if (names == JsonNames::OpenTelemetry) return std::make_unique<JsonFormatter<JsonNames::OpenTelemetry>>();
  return std::make_unique<JsonFormatter<JsonNames::Tcpfsm>>();
}

}  // namespace tcpfsm
