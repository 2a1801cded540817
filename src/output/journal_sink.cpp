#include "output/journal_sink.h"

#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#define SD_JOURNAL_SUPPRESS_LOCATION  // no CODE_FILE/LINE/FUNC: they would name this file
#include <systemd/sd-journal.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <system_error>

#include "common/endpoint.h"
#include "common/json_text.h"
#include "common/text.h"
#include "common/units.h"
#include "model/causes.h"
#include "model/states.h"
#include "output/formatter.h"

namespace tcpfsm {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kMaxQueued = 8192;  // entries waiting for journald; past it, dropped
constexpr auto kEndWait = 2s;             // for journald to take the last entries

// Reasons a record did not reach the journal besides a send's errno.
constexpr int kQueueFull = -1;
constexpr int kGaveUp = -2;
constexpr int kNoThread = -3;  // the sending thread could not be started

std::string reason_words(int reason) {
  if (reason == kQueueFull)
    return "journald falls behind (more than " + std::to_string(kMaxQueued) + " records waiting)";
  if (reason == kGaveUp) return "journald did not take them within 2 s of the end";
  if (reason == kNoThread) return "the thread that sends them could not be started";
  const std::string what = std::string(JournalSink::kSocket) + " (" + std::strerror(reason) + ")";
  if (reason == ENOENT || reason == ECONNREFUSED) return "no systemd-journald listens at " + what;
  return "cannot send to " + what;
}

std::string_view state_text(int n, std::string& scratch) {
  if (const StateInfo* s = find_state(n)) return s->name;
  scratch = std::to_string(n);
  return scratch;
}

// A JSON key or path as a journal field: "lost.ringbuf" is LOST_RINGBUF.
std::string field_name(std::string_view path) {
  std::string name(path);
  for (char& ch : name) ch = ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

// Each counter as the JSON names it.
void add_totals(JournalEntry& e, const Totals& t) {
  for (const TotalsCounter& c : kTotalsCounters) e.add(field_name(c.name), c.value(t));
}

// TCPFSM_TYPE and TS first, as the JSON log's "type" and "ts".
JournalEntry head(std::string_view type, std::uint64_t wall_ns) {
  JournalEntry e;
  e.add("TCPFSM_TYPE", type);
  std::string ts;
  json::append_rfc3339(ts, wall_ns);
  e.add("TS", ts);
  return e;
}

void tail(JournalEntry& e, std::string_view message, int priority) {
  e.add("MESSAGE", message);
  e.add("PRIORITY", static_cast<std::uint64_t>(priority));
  e.add("SYSLOG_IDENTIFIER", "tcpfsm");
}

}  // namespace

void JournalEntry::add(std::string_view name, std::string_view value) {
  bytes_.append(name).append(1, '=').append(value);
  ends_.push_back(bytes_.size());
}

void JournalEntry::add(std::string_view name, std::uint64_t value) {
  char buf[20];
  const auto r = std::to_chars(buf, buf + sizeof buf, value);
  add(name, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

std::string_view JournalEntry::field(std::size_t i) const {
  const std::size_t begin = i ? ends_[i - 1] : 0;
  return std::string_view(bytes_).substr(begin, ends_[i] - begin);
}

std::optional<std::string_view> JournalEntry::get(std::string_view name) const {
  for (std::size_t i = 0; i < size(); ++i) {
    const std::string_view f = field(i);
    if (f.size() > name.size() && f.starts_with(name) && f[name.size()] == '=') return f.substr(name.size() + 1);
  }
  return std::nullopt;
}

int journal_priority(VerdictKind k) {
  switch (k) {
    case VerdictKind::Ok: return 6;
    case VerdictKind::Gap: return 5;
    case VerdictKind::Illegal:
    case VerdictKind::UnknownState: return 4;
  }
  return 4;
}

JournalEntry journal_start_entry(const StartInfo& s) {
  JournalEntry e = head("start", s.wall_ns);
  e.add("SCHEMA", static_cast<std::uint64_t>(kSchemaVersion));
  e.add("CAUSE", s.cause);
  e.add("TCPFSM", s.version);
  e.add("HOST", s.host);
  e.add("KERNEL", s.kernel);
  e.add("BOOT_ID", s.boot_id);
  e.add("ATTACH", s.attach);
  if (!s.buffer.empty()) e.add("BUFFER", s.buffer);
  e.add("MODEL", s.model);
  const Filters& f = s.filters;
  e.add("FILTERS_FAMILY", f.family == AF_INET ? "ipv4" : f.family == AF_INET6 ? "ipv6" : "any");
  for (std::uint16_t p : f.ports.either) e.add("FILTERS_PORTS", p);
  for (std::uint16_t p : f.ports.local) e.add("FILTERS_LPORTS", p);
  for (std::uint16_t p : f.ports.remote) e.add("FILTERS_RPORTS", p);
  std::string scratch;
  for (int st = 0; st < 32; ++st)
    if ((f.states >> st) & 1U) e.add("FILTERS_STATES", state_text(st, scratch));
  for (std::uint32_t n : f.netns) e.add("FILTERS_NETNS", n);
  for (const std::string& c : f.cgroups) e.add("FILTERS_CGROUPS", c);
  if (f.pid) e.add("FILTERS_PID", static_cast<std::uint64_t>(*f.pid));
  e.add("RINGBUF_BYTES", s.ringbuf_bytes);
  e.add("CLOCK_SOURCE", "CLOCK_MONOTONIC");
  e.add("CLOCK_MONO_TO_WALL_NS", std::to_string(s.mono_to_wall_ns));
  std::string msg = "tcpfsm " + s.version + " tracing TCP state transitions (" + s.attach;
  if (!s.buffer.empty()) msg += ", " + s.buffer + " buffer";
  msg += "), model " + s.model;
  tail(e, msg, 6);
  return e;
}

JournalEntry journal_transition_entry(const Transition& t, const Verdict& v) {
  JournalEntry e = head("transition", t.wall_ns);
  e.add("KTIME_NS", t.ktime_ns);
  e.add("CPU", t.cpu);
  e.add("COOKIE", t.cookie);
  e.add("FAMILY", t.ipv6 ? "ipv6" : "ipv4");
  char addr[kAddrTextMax];
  e.add("LADDR", std::string_view(addr, format_addr(addr, t.ipv6, t.local.addr)));
  e.add("LPORT", t.local.port);
  e.add("RADDR", std::string_view(addr, format_addr(addr, t.ipv6, t.remote.addr)));
  e.add("RPORT", t.remote.port);
  std::string old_scratch, new_scratch;
  const std::string_view old_name = state_text(t.old_state, old_scratch);
  const std::string_view new_name = state_text(t.new_state, new_scratch);
  e.add("OLD", old_name);
  e.add("NEW", new_name);
  if (t.old_ns) e.add("OLD_NS", *t.old_ns);  // the JSON's null: not written
  e.add("PID", t.pid);
  e.add("TID", t.tid);
  e.add("COMM", t.comm.view());  // the bytes as the process named itself
  e.add("INO", t.ino);
  e.add("NETNS", t.netns);
  e.add("CGROUP_ID", t.cgroup_id);
  if (!t.cgroup.empty()) e.add("CGROUP", t.cgroup);
  if (t.container) {
    e.add("CONTAINER", t.container->id);
    e.add("CONTAINER_RUNTIME", t.container->runtime);
    if (!t.container->pod_uid.empty()) e.add("POD_UID", t.container->pod_uid);
  }
  if (t.owner_pid) {
    e.add("OWNER_PID", static_cast<std::uint64_t>(t.owner_pid));
    e.add("OWNER_COMM", t.owner_comm);
  }
  const std::string_view cause = cause_name(t.cause);
  const std::string error = t.reported.kernel.error ? errno_name(t.reported.kernel.error) : "";
  if (!cause.empty()) e.add("CAUSE", cause);
  if (!error.empty()) e.add("ERROR", error);
  if (!t.rst_reason.empty()) e.add("RST_REASON", t.rst_reason);
  if (const auto& l = t.life) {  // the JSON's life.x as LIFE_X; a null is not written
    e.add("LIFE_ROLE", role_name(l->role));
    if (l->duration_ns) e.add("LIFE_DURATION_NS", *l->duration_ns);
    if (l->rx_bytes) e.add("LIFE_RX_BYTES", *l->rx_bytes);
    if (l->tx_bytes) e.add("LIFE_TX_BYTES", *l->tx_bytes);
    if (l->segs_in) e.add("LIFE_SEGS_IN", *l->segs_in);
    if (l->segs_out) e.add("LIFE_SEGS_OUT", *l->segs_out);
    if (l->retrans) e.add("LIFE_RETRANS", *l->retrans);
    if (l->srtt_us) e.add("LIFE_SRTT_US", *l->srtt_us);
    if (l->rttvar_us) e.add("LIFE_RTTVAR_US", *l->rttvar_us);
  }
  e.add("VERDICT", verdict_name(v.kind));
  if (v.kind != VerdictKind::Ok) e.add("REASON", v.reason);

  // "ESTABLISHED -> CLOSE_WAIT 127.0.0.1:8080 <-> 127.0.0.1:40000 (python3[1890]) fin_received"
  std::string msg;
  msg.reserve(160);
  msg.append(old_name).append(" -> ").append(new_name).append(1, ' ');
  msg.append(endpoint_text(t.ipv6, t.local)).append(" <-> ").append(endpoint_text(t.ipv6, t.remote));
  if (t.owner_pid) {
    msg.append(" (");
    append_escaped(msg, t.owner_comm);
    msg.append("[").append(std::to_string(t.owner_pid)).append("])");
  } else {
    msg.append(" (task ");
    append_escaped(msg, t.comm.view());
    msg.append("[").append(std::to_string(t.pid)).append("])");
  }
  if (!cause.empty()) msg.append(1, ' ').append(cause);
  if (!error.empty()) msg.append(1, ' ').append(error);
  else if (!t.rst_reason.empty()) append_escaped(msg.append(1, ' '), t.rst_reason);
  if (v.kind != VerdictKind::Ok) {
    msg.append(1, ' ').append(verdict_name(v.kind)).append(": ");
    append_escaped(msg, v.reason);
  }
  tail(e, msg, journal_priority(v.kind));
  return e;
}

JournalEntry journal_lost_entry(std::uint64_t wall_ns, const Losses& l) {
  JournalEntry e = head("lost", wall_ns);
  const Totals t = totals_of(l);
  for (const TotalsCounter& c : kLossCounters) e.add(field_name(c.key()), c.value(t));
  tail(e, describe(l), 4);
  return e;
}

JournalEntry journal_stats_entry(const StatsInfo& s) {
  JournalEntry e = head("stats", s.wall_ns);
  add_totals(e, s.totals);
  e.add("INTERVAL_NS", s.interval_ns);
  e.add("TRANSITIONS_PER_S", static_cast<std::uint64_t>(s.transitions_per_s + 0.5));
  tail(e, "stats: " + describe(s.totals), 6);
  return e;
}

JournalEntry journal_end_entry(const EndInfo& end) {
  JournalEntry e = head("end", end.wall_ns);
  add_totals(e, end.totals);
  e.add("KERNEL_MATCHED", end.kernel_matched);
  e.add("DURATION_NS", end.duration_ns);
  e.add("REASON", end.reason);
  if (!end.signal.empty()) e.add("SIGNAL", end.signal);
  std::string msg = "tcpfsm ended (";
  msg.append(end.signal.empty() ? end.reason : end.signal).append(") after ");
  msg += format_duration(std::chrono::nanoseconds(end.duration_ns)) + ": " + describe(end.totals);
  tail(e, msg, 6);
  return e;
}

// The queue between the trace thread and the sending thread, and what did
// not reach the journal, by reason (an errno, kQueueFull, kGaveUp).
struct JournalSink::Shared {
  std::mutex m;
  std::condition_variable wake;  // an entry queued, or stop
  std::condition_variable idle;  // the queue emptied and nothing in flight
  std::deque<JournalEntry> queue;
  bool in_flight = false;
  bool stop = false;       // send what is queued, then end
  bool abandoned = false;  // the end's wait ran out: counted, send nothing more
  int no_sender = 0;       // kNoThread when the thread could not be started (every record counted)
  std::uint64_t records = 0;
  std::map<int, std::uint64_t> failed;

  // Counts n records not sent; true the first time for this reason.
  bool fail(int reason, std::uint64_t n = 1) {
    if (!n) return false;
    auto [it, first] = failed.try_emplace(reason, 0);
    it->second += n;
    return first;
  }
  std::uint64_t not_sent() const {
    std::uint64_t n = 0;
    for (const auto& [reason, count] : failed) n += count;
    return n;
  }
};

namespace {

void say_once(int reason) {
  std::fprintf(stderr, "tcpfsm: --journal: records are not reaching the journal: %s; counted, tracing goes on\n",
               reason_words(reason).c_str());
}

// The sending thread: one entry at a time, so that the end's wait can tell
// what was sent from what was not.
void send_queued(std::shared_ptr<JournalSink::Shared> s) {
  std::vector<iovec> iov;
  std::unique_lock lock(s->m);
  for (;;) {
    s->wake.wait(lock, [&] { return s->stop || !s->queue.empty(); });
    if (s->queue.empty() || s->abandoned) break;
    JournalEntry e = std::move(s->queue.front());
    s->queue.pop_front();
    s->in_flight = true;
    lock.unlock();

    // libsystemd counts a missing socket as sent (it "fails silently"):
    // look for it first. A socket file with no journald behind it is
    // ECONNREFUSED from the send itself.
    int error = 0;
    struct stat st;
    if (stat(JournalSink::kSocket, &st) != 0) {
      error = errno;
    } else {
      iov.resize(e.size());
      for (std::size_t i = 0; i < e.size(); ++i) {
        const std::string_view f = e.field(i);
        iov[i] = {const_cast<char*>(f.data()), f.size()};
      }
      const int r = sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
      if (r < 0) error = -r;
    }

    lock.lock();
    if (s->abandoned) break;  // counted by the end's wait
    s->in_flight = false;
    const bool first = error && s->fail(error);
    if (s->queue.empty()) s->idle.notify_all();
    if (first) {  // said outside the lock: a slow standard error holds up no push
      lock.unlock();
      say_once(error);
      lock.lock();
    }
  }
  s->in_flight = false;
  s->idle.notify_all();
}

}  // namespace

JournalSink::JournalSink() : shared_(std::make_shared<Shared>()) {}

JournalSink::~JournalSink() {
  if (sender_.joinable()) close(kEndWait);
}

void JournalSink::start(const StartInfo& s) {
  if (!sender_.joinable() && !shared_->no_sender) {
    // Signals stay with the trace thread: one taken here would not end its
    // poll, and would cut a send short (EINTR).
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    try {
      sender_ = std::thread(send_queued, shared_);
    } catch (const std::system_error&) {
      shared_->no_sender = kNoThread;
      say_once(kNoThread);
    }
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  push(journal_start_entry(s));
}

void JournalSink::transition(const Transition& t, const Verdict& v) { push(journal_transition_entry(t, v)); }

void JournalSink::lost(std::uint64_t wall_ns, const Losses& l) { push(journal_lost_entry(wall_ns, l)); }

void JournalSink::stats(const StatsInfo& s) { push(journal_stats_entry(s)); }

void JournalSink::end(const EndInfo& e) {
  push(journal_end_entry(e));
  close(kEndWait);
  std::string by;
  std::uint64_t n = 0, records = 0;
  {
    std::lock_guard lock(shared_->m);
    n = shared_->not_sent();
    records = shared_->records;
    for (const auto& [reason, count] : shared_->failed)
      by += (by.empty() ? "" : "; ") + std::to_string(count) + ": " + reason_words(reason);
  }
  if (n)
    std::fprintf(stderr, "tcpfsm: --journal: %llu of %llu records were not sent to the journal: %s\n",
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(records), by.c_str());
}

std::uint64_t JournalSink::not_sent() const {
  std::lock_guard lock(shared_->m);
  return shared_->not_sent();
}

void JournalSink::push(JournalEntry e) {
  int first = 0;  // a reason to say, the first time it happens
  {
    std::lock_guard lock(shared_->m);
    Shared& q = *shared_;
    ++q.records;
    if (q.no_sender) {
      q.fail(q.no_sender);
    } else if (q.stop || q.abandoned) {
      q.fail(kGaveUp);  // after the end: nothing sends it
    } else if (q.queue.size() >= kMaxQueued) {
      if (q.fail(kQueueFull)) first = kQueueFull;
    } else {
      q.queue.push_back(std::move(e));
      if (q.queue.size() == 1) q.wake.notify_one();
    }
  }
  if (first) say_once(first);
}

void JournalSink::close(std::chrono::milliseconds wait) {
  std::unique_lock lock(shared_->m);
  shared_->stop = true;
  shared_->wake.notify_all();
  if (!sender_.joinable()) {  // never started: nothing was sent
    shared_->fail(shared_->no_sender ? shared_->no_sender : kGaveUp, shared_->queue.size());
    shared_->queue.clear();
    return;
  }
  const bool drained = shared_->idle.wait_for(lock, wait, [&] {
    return shared_->abandoned || (shared_->queue.empty() && !shared_->in_flight);
  });
  if (!drained) {
    // journald is not taking them (the send blocks): count what is left and
    // leave the thread to its send; it ends after it, sending nothing more.
    shared_->abandoned = true;
    shared_->fail(kGaveUp, shared_->queue.size() + (shared_->in_flight ? 1 : 0));
    shared_->queue.clear();
  }
  lock.unlock();
  if (drained)
    sender_.join();
  else
    sender_.detach();
}

}  // namespace tcpfsm
