#include "pipeline/owner_lookup.h"

#include <algorithm>

#include "common/clock.h"
#include "model/states.h"

namespace tcpfsm {
namespace {

// The iterator's passes for unknown inodes take at most this share of the
// reader's time (a pass that took d waits d / kPassShare), and never run
// more often than kMinPassInterval. A pass costs about as much as a few
// readlink()s per thousand open files on the host.
constexpr double kPassShare = 0.01;
constexpr auto kMinPassInterval = std::chrono::milliseconds(10);
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
    : options_(std::move(options)), cache_(options_.proc), scans_left_(kScanBurst) {
  // Every listener on the host, before the first child is to be named.
  if (options_.files) pass_listeners(Clock::now());
}

void OwnerLookup::want(const Transition& t) {
  if (!t.ino || t.owner_pid || by_holder(t)) return;
  cache_.lookup(t.ino);  // tracks it
  if (cache_.wanted(t.ino)) pending_.push_back(t.ino);
}

std::string OwnerLookup::process_name(const Transition& t, bool& kernel_thread) {
  kernel_thread = false;
  // The main thread's name is the process's (/proc/PID/comm); another
  // thread's may differ, so the process's is read, once in a while.
  if (t.tid == t.pid && !options_.io_kernel_threads) return std::string(t.comm);
  const auto now = Clock::now();
  auto it = names_.find(static_cast<std::int32_t>(t.pid));
  if (it == names_.end() || now - it->second.read_at >= kNameTtl) {
    if (names_.size() >= kMaxNames) names_.clear();
    Name& n = names_[static_cast<std::int32_t>(t.pid)];
    const auto pid = static_cast<std::int32_t>(t.pid);
    n.comm = read_comm(options_.proc.proc_root, pid);
    n.kernel_thread = options_.io_kernel_threads && is_kernel_thread(options_.proc.proc_root, pid) != false;
    n.read_at = now;
    it = names_.find(pid);
  }
  kernel_thread = it->second.kernel_thread;
  // Gone already: the name of its thread that made the call.
  return it->second.comm.empty() ? std::string(t.comm) : it->second.comm;
}

std::optional<Owner> OwnerLookup::claim(const Transition& t) {
  if (!by_holder(t)) return std::nullopt;
  bool kernel_thread = false;
  Owner o{static_cast<std::int32_t>(t.pid), process_name(t, kernel_thread)};
  // A kernel thread (an io_uring worker before 5.12; or one that could not
  // be told apart, being gone) holds no descriptor of its own.
  if (kernel_thread || !o.pid) return std::nullopt;
  ++counts_.claimed;
  cache_.set(t.ino, {Holder{o.pid, -1, o.comm, {}}});
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
  const auto* holders = cache_.lookup(t.ino);
  if (cache_.wanted(t.ino)) {
    pending_.push_back(t.ino);
    holders = options_.files ? look_in_kernel(t.ino) : look_in_proc(t);
  }
  if (!holders || holders->empty()) return std::nullopt;
  return Owner{holders->front().pid, holders->front().comm};
}

const std::vector<Holder>* OwnerLookup::look_in_kernel(std::uint32_t ino) {
  const auto start = Clock::now();
  if (start < next_pass_) return nullptr;
  std::sort(pending_.begin(), pending_.end());
  pending_.erase(std::unique(pending_.begin(), pending_.end()), pending_.end());
  std::erase_if(pending_, [&](std::uint32_t i) { return !cache_.wanted(i); });
  if (pending_.empty()) return nullptr;
  const auto found = options_.files->holding(pending_);
  const auto took = Clock::now() - start;
  next_pass_ = start + std::max(std::chrono::duration_cast<Clock::duration>(took / kPassShare),
                                std::chrono::duration_cast<Clock::duration>(kMinPassInterval));
  ++counts_.passes;
  if (found) {  // a failed pass says nothing: the inodes stay unknown
    std::unordered_map<std::uint32_t, std::vector<Holder>> held;
    for (const tcpfsm_holder& h : *found)
      held[h.ino].push_back(Holder{static_cast<std::int32_t>(h.pid), static_cast<int>(h.fd),
                                   comm_of(h), {}});
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

void OwnerLookup::tick(Clock::time_point now) {
  listeners_.sweep();
  if (options_.files) {
    if (listeners_.pass_due(now)) pass_listeners(now);
    return;
  }
  const std::chrono::duration<double> since = now - last_tick_;
  scans_left_ = std::min(kScanBurst, scans_left_ + since.count() * kScansPerSecond);
  last_tick_ = now;
  if (now - last_walk_ >= kWalkInterval && cache_.resolve_pending()) last_walk_ = now;
}

}  // namespace tcpfsm
