#include "pipeline/owner_lookup.h"

#include <algorithm>
#include <utility>

#include "common/clock.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

// The iterator's passes for unknown inodes take at most this share of the
// reader's time over a while: the time they may take grows at kPassShare of
// the time that passes, up to kPassBurst (after a quiet spell the next
// batches get theirs at once). A pass costs about as much as a few
// readlink()s per thousand open files on the host.
constexpr double kPassShare = 0.01;
constexpr auto kPassBurst = std::chrono::milliseconds(20);
// /proc: one-process scans a second, and how often the whole of /proc may be
// walked for the rest: a walk costs a readlink per open fd on the host. A
// budget per second, not per poll: under load the reader polls thousands of
// times a second, and 10 scans per poll cost more than the events themselves.
constexpr double kScansPerSecond = 100;
constexpr double kScanBurst = 10;
constexpr auto kWalkInterval = std::chrono::seconds(5);
// A process name read from /proc is used for this long; so many are kept.
constexpr auto kNameTtl = std::chrono::seconds(1);
constexpr std::size_t kMaxNames = 4096;
// Accepted sockets taken from the kernel and not asked about yet: kept for
// their first record with a file, so many at most (the oldest leave first;
// 2.5 MB at most, a second or more of a busy host's accept()s). They are
// taken at least this often: the kernel has room for 18724 between takes.
constexpr std::size_t kMaxAccepted = 32768;
constexpr auto kTakeInterval = std::chrono::milliseconds(50);

bool is(int state, State s) { return state == number(s); }

// connect() or listen(): run by a process holding a descriptor of the socket.
bool by_holder(const Transition& t) {
  return t.ino && is(t.old_state, State::Close) &&
         (is(t.new_state, State::SynSent) || is(t.new_state, State::Listen));
}

// A socket without a file in a state only a child not accepted yet has with
// none: close() moves a socket out of these states before it loses its file.
bool unaccepted_child(const Transition& t) {
  if (t.ino) return false;
  if (is(t.old_state, State::Listen)) return is(t.new_state, State::SynRecv);
  return is(t.old_state, State::SynRecv) || is(t.old_state, State::Established) ||
         is(t.old_state, State::CloseWait);
}

}  // namespace

OwnerLookup::OwnerLookup(Options options)
    : options_(std::move(options)), cache_(options_.proc), pass_allowance_(kPassBurst), scans_left_(kScanBurst) {
  // Every listener on the host, before the first child is to be named.
  if (options_.files) pass_listeners(Clock::now());
}

void OwnerLookup::want(const Transition& t) {
  if (!t.ino || t.owner_pid) return;
  // connect() or listen() will tell; the socket's later records in the
  // batch then need nothing looked up either.
  if (by_holder(t)) {
    told_.try_emplace(t.ino);
    return;
  }
  if (told_.contains(t.ino)) return;
  if (cache_.track(t.ino)) {
    pending_.push_back(t.ino);
    take_due_ = true;
  }
}

std::string OwnerLookup::process_name(const Transition& t) {
  // The main thread's name is the process's (/proc/PID/comm); another
  // thread's may differ, so the process's is read, once in a while.
  if (t.tid == t.pid) return std::string(t.comm);
  const auto now = last_tick_;  // close enough for kNameTtl, without a clock read per call
  auto it = names_.find(static_cast<std::int32_t>(t.pid));
  if (it == names_.end() || now - it->second.read_at >= kNameTtl) {
    if (names_.size() >= kMaxNames) names_.clear();
    Name& n = names_[static_cast<std::int32_t>(t.pid)];
    n.comm = read_comm(options_.proc.proc_root, static_cast<std::int32_t>(t.pid));
    n.read_at = now;
    it = names_.find(static_cast<std::int32_t>(t.pid));
  }
  // Gone already: the name of its thread that made the call.
  return it->second.comm.empty() ? std::string(t.comm) : it->second.comm;
}

std::optional<Owner> OwnerLookup::claim(const Transition& t) {
  if (!by_holder(t)) return std::nullopt;
  // A kernel thread (an io_uring worker before Linux 5.12, which the BPF
  // program tells by its PF_KTHREAD) holds no descriptor of its own.
  if (t.kernel_task || !t.pid) return std::nullopt;
  Owner o{static_cast<std::int32_t>(t.pid), process_name(t)};
  ++counts_.claimed;
  told_[t.ino] = o;
  return o;
}

std::optional<Owner> OwnerLookup::find(const Transition& t) {
  if (!t.ino) {
    if (!unaccepted_child(t)) return std::nullopt;  // orphaned, or a kernel socket: nobody holds it
    auto o = listeners_.owner_of_child(t);
    if (o) ++counts_.children;
    return o;
  }
  if (auto o = claim(t)) return o;
  if (auto it = told_.find(t.ino); it != told_.end())  // a later record of a socket claimed above
    return it->second.pid ? std::optional<Owner>(it->second) : std::nullopt;
  const auto* holders = cache_.lookup(t.ino);
  if (!holders || (holders->empty() && cache_.wanted(t.ino))) {
    pending_.push_back(t.ino);
    holders = options_.files ? look_in_kernel(t.ino) : look_in_proc(t);
  }
  if (!holders || holders->empty()) return std::nullopt;
  return Owner{holders->front().pid, holders->front().comm};
}

void OwnerLookup::take_accepted() {
  last_take_ = Clock::now();
  for (const tcpfsm_holder& h : options_.files->accepted()) {
    if (accepted_.insert_or_assign(h.ino, h).second)
      accepted_order_.push_back(h.ino);
    if (accepted_order_.size() > kMaxAccepted) {
      accepted_.erase(accepted_order_.front());
      accepted_order_.pop_front();
    }
  }
  // The accepted ones among the wanted: their acceptor holds them (or held
  // them: accept() gave it a descriptor), asked of no one else. What is no
  // longer wanted (connect() told it since; its socket left) leaves too.
  std::erase_if(pending_, [&](std::uint32_t i) {
    if (!cache_.wanted(i)) return true;
    auto it = accepted_.find(i);
    if (it == accepted_.end()) return false;
    ++counts_.accepted;
    cache_.set(i, {holder_of(it->second)});
    accepted_.erase(it);
    return true;
  });
}

const std::vector<Holder>* OwnerLookup::look_in_kernel(std::uint32_t ino) {
  if (std::exchange(take_due_, false)) take_accepted();  // once per batch
  if (!cache_.wanted(ino)) return cache_.lookup(ino);
  const auto start = Clock::now();
  pass_allowance_ = std::min<Clock::duration>(
      kPassBurst, pass_allowance_ + std::chrono::duration_cast<Clock::duration>((start - allowance_at_) * kPassShare));
  allowance_at_ = start;
  if (pass_allowance_ <= Clock::duration::zero()) return nullptr;
  std::sort(pending_.begin(), pending_.end());
  pending_.erase(std::unique(pending_.begin(), pending_.end()), pending_.end());
  if (pending_.empty()) return nullptr;
  const auto found = options_.files->holding(pending_);
  pass_allowance_ -= Clock::now() - start;
  ++counts_.passes;
  if (found) {  // a failed pass says nothing: the inodes stay unknown
    std::unordered_map<std::uint32_t, std::vector<Holder>> held;
    for (const tcpfsm_holder& h : *found)
      held[h.ino].push_back(holder_of(h));
    for (std::uint32_t i : pending_) {
      auto it = held.find(i);
      cache_.set(i, it == held.end() ? std::vector<Holder>{} : std::move(it->second));
    }
  }
  pending_.clear();
  return cache_.lookup(ino);
}

const std::vector<Holder>* OwnerLookup::look_in_proc(const Transition& t) {
  const std::vector<Holder>* holders = nullptr;
  for (std::int32_t pid : {static_cast<std::int32_t>(t.pid), listeners_.likely_acceptor(t)}) {
    if (pid <= 0 || scans_left_ < 1) continue;
    scans_left_ -= 1;
    if (cache_.resolve_in(pid) && (holders = cache_.lookup(t.ino))) break;
  }
  return holders;
}

void OwnerLookup::written(const Transition& t) {
  if (!t.ino) return;  // a kernel socket's: no process holds it
  if (is(t.old_state, State::Close) && is(t.new_state, State::Listen))
    listeners_.opened(t, Owner{t.owner_pid, t.owner_pid ? t.owner_comm : std::string()});
  else if (is(t.old_state, State::Listen) && is(t.new_state, State::Close))
    listeners_.closed(t.ino);
}

void OwnerLookup::pass_listeners(Clock::time_point now) {
  ++counts_.listener_passes;
  listeners_.refresh(options_.files->listening(), mono_now_ns(), now);
}

void OwnerLookup::tick(Clock::time_point now, bool records_held) {
  const std::chrono::duration<double> since = now - last_tick_;
  last_tick_ = now;
  // The pipeline keeps their owners with the sockets, but not for a socket
  // whose record ended in the batch that claimed it (a listener opened and
  // closed between two polls): its last records, held for a reset report,
  // find their owner here. Kept while records are held, within a bound.
  if (!records_held || told_.size() > kMaxTold) told_.clear();
  listeners_.sweep();
  if (options_.files) {
    if (listeners_.pass_due(now)) pass_listeners(now);
    if (now - last_take_ >= kTakeInterval) take_accepted();
    return;
  }
  scans_left_ = std::min(kScanBurst, scans_left_ + since.count() * kScansPerSecond);
  if (now - last_walk_ >= kWalkInterval && cache_.resolve_pending()) last_walk_ = now;
}

}  // namespace tcpfsm
