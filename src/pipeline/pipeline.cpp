#include "pipeline/pipeline.h"

#include "common/clock.h"
#include "kernel/features.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

// How far back a reset reported after its transition looks for it. It comes
// microseconds after it, from the same call on the same CPU: only the other
// CPU's events can come between.
constexpr std::size_t kCauseLookback = 256;

}  // namespace

Pipeline::Pipeline(const PipelineOptions& options, Sink& sink)
    : options_(options),
      sink_(sink),
      checker_(options.model),
      owners_({options.owner_cache, options.socket_files}),
      cgroups_(options.cgroup2_mount),
      table_(options.table, [this](const SocketRecord& r) {
        if (r.ino) owners_.forget(r.ino);
      }),
      stream_(*this),
      rst_reasons_(options.rst_reasons ? *options.rst_reasons : RstReasons::kernel()) {
  stream_.use_socket_keys(options.table.keys);
}

void Pipeline::transition(Transition& decoded) {
  Pending& p = batch_.emplace_back();
  Transition& t = p.t;
  t = std::move(decoded);
  p.key = t.cookie;

  SocketRecord* rec = table_.find_or_add(p.key, is_lifecycle_start(t.old_state, t.new_state));
  Life untracked;
  Life& life = rec ? rec->life : untracked;
  // Under a state filter a socket's events between its visits to the state
  // never come: the next one starts over rather than showing a gap.
  if (options_.partial_sockets && life.seen && life.last != t.old_state) life = Life{};
  const bool first = !life.seen;
  p.v = checker_.observe(life, t.old_state, t.new_state, cause_of(t.old_state, t.new_state, t.reported.kernel))
            .verdict;
  t.cookie = rec ? rec->id : table_.untracked_id(p.key);
  if (!rec) return;

  // Unfiltered, the kernel keeps no per-socket time: the socket entered its
  // old state at its previous event (not across a gap: events are missing).
  if (!options_.kernel_time && !first && p.v.kind != VerdictKind::Gap && t.ktime_ns >= rec->last_ktime_ns)
    t.old_ns = t.ktime_ns - rec->last_ktime_ns;
  rec->last_ktime_ns = t.ktime_ns;
  if (is_lifecycle_start(t.old_state, t.new_state)) {
    rec->born_ktime_ns = t.ktime_ns;
    rec->role = t.new_state == number(State::SynSent) ? Role::Client
                : t.old_state == number(State::Listen) ? Role::Server
                                                        : Role::Unknown;
  }
  // The kernel kept no per-socket state: the start is this run's to know.
  if (t.life && !t.life->duration_ns && rec->born_ktime_ns && rec->born_ktime_ns <= t.ktime_ns)
    t.life->duration_ns = t.ktime_ns - rec->born_ktime_ns;
  if (t.life && t.life->role == Role::Unknown) t.life->role = rec->role;
  rec->netns = t.netns;
  rec->pid = t.pid;
  rec->ipv6 = t.ipv6;
  rec->local = t.local;
  rec->remote = t.remote;
  if (t.ino != rec->ino) {  // it got its file (accept), or lost it (close: orphan)
    if (rec->ino) owners_.forget(rec->ino);
    rec->ino = t.ino;
    rec->owner = {};
  }
  if (rec->owner.pid) {
    t.owner_pid = rec->owner.pid;
    t.owner_comm = rec->owner.comm;
  }
  if (!life.seen) table_.remove(p.key);  // the lifecycle ended (or its end repeated)
}

void Pipeline::attach_owner(Pending& p) {
  Transition& t = p.t;
  if (!t.owner_pid) {
    SocketRecord* rec = table_.find(p.key);
    // Kept with the socket only while it has this file (a child's owner
    // before accept() is its listener's, not the acceptor's).
    const bool same = rec && t.ino && rec->ino == t.ino;
    if (same && rec->owner.pid) {  // found for an earlier record of this batch
      t.owner_pid = rec->owner.pid;
      t.owner_comm = rec->owner.comm;
    } else if (auto owner = owners_.find(t)) {
      t.owner_pid = owner->pid;
      t.owner_comm = owner->comm;
      if (same) rec->owner = std::move(*owner);
    } else if (t.ino) {
      ++totals_.sockets.owners_unresolved;
    }
  }
  owners_.written(t);
}

void Pipeline::late_cause(const tcpfsm_cause& c, std::optional<std::uint64_t>) {
  // The socket's transition into CLOSE was just drained, or waits from the
  // last batch (see write_batch); or it was written already.
  const std::size_t stop = batch_.size() > kCauseLookback ? batch_.size() - kCauseLookback : 0;
  for (std::size_t i = batch_.size(); i-- > stop;) {
    Pending& p = batch_[i];
    if (p.key != c.cookie || p.t.new_state != number(State::Close)) continue;
    if (c.ktime_ns - p.t.ktime_ns <= CauseJoin::kWindowNs) p.t.reported.add(c);
    return;
  }
  ++totals_.causes_late;
}

void Pipeline::write_batch(bool last) {
  // The records up to the first young transition into CLOSE go now.
  std::size_t ready = batch_.size();
  if (!last) {
    const std::uint64_t now = mono_now_ns();
    for (std::size_t i = 0; i < batch_.size(); ++i)
      if (batch_[i].t.new_state == number(State::Close) && now - batch_[i].t.ktime_ns < CauseJoin::kWindowNs) {
        ready = i;
        break;
      }
  }
  const auto first = batch_.begin(), end = batch_.begin() + static_cast<std::ptrdiff_t>(ready);
  if (options_.owners)
    for (auto it = first; it != end; ++it) owners_.want(it->t);
  for (auto it = first; it != end; ++it) {
    if (full()) break;  // --count reached within this batch
    write(*it);
  }
  // Inodes looked up for sockets the table no longer holds with them (closed
  // in this batch, or never tracked) are wanted no more.
  if (options_.owners)
    for (auto it = first; it != end; ++it)
      if (it->t.ino) {
        const SocketRecord* rec = table_.find(it->key);
        if (!rec || rec->ino != it->t.ino) owners_.forget(it->t.ino);
      }
  batch_.erase(first, end);
}

void Pipeline::write(Pending& p) {
  Transition& t = p.t;
  if (options_.owners) attach_owner(p);
  if (!held_by_wanted_pid(t, p.key)) return;
  ++totals_.transitions;
  count_verdict(p.v.kind);
  if (const CgroupName* c = cgroups_.find(t.cgroup_id)) {
    t.cgroup = c->path;
    t.container = c->container ? &*c->container : nullptr;
  }
  t.cause = cause_of(t.old_state, t.new_state, t.reported.kernel);
  t.rst_reason = rst_reasons_.name(t.reported.rst_reason);
  sink_.transition(t, p.v);
}

void Pipeline::tick(std::chrono::steady_clock::time_point now) {
  if (options_.owners) owners_.tick(now, !batch_.empty());
}

Totals Pipeline::totals() const {
  Totals t = totals_;
  t.sockets.tracked = table_.size();
  t.sockets.untracked = table_.stats().untracked;
  t.sockets.stale = table_.stats().stale;
  return t;
}

bool Pipeline::held_by_wanted_pid(const Transition& t, std::uint64_t key) {
  if (!options_.pid) return true;
  const bool ends = t.new_state == number(State::Close);
  if (auto it = pid_sockets_.find(key); it != pid_sockets_.end()) {
    if (ends) pid_sockets_.erase(it);
    return true;
  }
  // The owner when known (for a child not accepted yet: its listener's).
  // Else, for a socket with a file, the task on the CPU: its holder for
  // connect(), listen() and close().
  const std::int32_t holder = t.owner_pid ? t.owner_pid : t.ino ? static_cast<std::int32_t>(t.pid) : 0;
  if (holder != *options_.pid) return false;
  if (!ends && pid_sockets_.size() < kMaxPidSockets) pid_sockets_.insert(key);
  return true;
}

void Pipeline::count_verdict(VerdictKind k) {
  if (k == VerdictKind::Illegal) ++totals_.illegal;
  else if (k == VerdictKind::Gap) ++totals_.gaps;
  else if (k == VerdictKind::UnknownState) ++totals_.unknown_states;
}

}  // namespace tcpfsm
