// Checks each transition against a model and follows per-socket lifecycles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "model/causes.h"
#include "model/model.h"

namespace tcpfsm {

enum class VerdictKind : std::uint8_t {
  Ok,
  Illegal,       // the model has no such edge
  Gap,           // old state is not the socket's last new state: events lost
  UnknownState,  // a state number the table does not know
};
std::string_view verdict_name(VerdictKind k);

struct Verdict {
  VerdictKind kind = VerdictKind::Ok;
  std::string reason;  // empty when ok
};

// How a lifecycle (a socket's events from its first one up to -> CLOSE) ended.
// The kernel's cause of the end (model/causes.h) decides first; without one
// (a log from before causes, a kernel without their sources) the edge does.
enum class LifecycleClass : std::uint8_t {
  Completed,      // normal close, or a listener closed
  Refused,        // SYN_SENT -> CLOSE by a reset: nothing listened
  TimedOut,       // ended by a timeout (SYN, retransmission, user, keepalive)
  Unreachable,    // ended by an ICMP error
  Reset,          // ended by a reset, received or sent
  Killed,         // aborted on this host (ss -K)
  FailedConnect,  // SYN_SENT -> CLOSE otherwise (closed before it connected)
  Aborted,        // -> CLOSE from a state where a normal close cannot end, cause unknown
  Truncated,      // a gap or an unknown state inside, or it began before tracing did
  Open,           // no -> CLOSE seen (yet)
};
inline constexpr std::size_t kLifecycleClasses = 10;
std::string_view lifecycle_class_name(LifecycleClass c);

struct Lifecycle {
  LifecycleClass cls = LifecycleClass::Open;
  bool listener = false;  // it entered LISTEN: a listening socket, not a connection
  int state = 0;          // the state it is in: its last event's new state
};

// A socket's lifecycle as the checker follows it. Whoever keeps sockets
// (the trace pipeline's socket table, check's map by cookie) keeps this.
struct Life {
  bool seen = false;        // an event of this lifecycle was observed
  int last = 0;             // new state of the last event
  bool broken = false;      // a gap or an unknown state inside
  bool from_start = false;  // first event began at CLOSE or was a child's LISTEN -> SYN_RECV
  bool listener = false;
};

// Whether an event begins a lifecycle: from CLOSE (connect, listen), or a
// child socket cloned from its listener.
bool is_lifecycle_start(int old_state, int new_state);

class Checker {
 public:
  explicit Checker(Model model) : model_(model) {}

  struct Result {
    Verdict verdict;
    std::optional<Lifecycle> ended;  // set when this event closed a lifecycle
  };

  // One transition of the socket whose lifecycle is `life` (not seen yet: its
  // first event). When the event ends the lifecycle, or repeats an end
  // (CLOSE -> CLOSE), `life` is left not seen: the caller may drop it.
  Result observe(Life& life, int old_state, int new_state, Cause cause = Cause::None);

  // The same, for a caller without a table of its own: the checker keeps the
  // lifecycles by `cookie` (tcpfsm check).
  Result observe(std::uint64_t cookie, int old_state, int new_state, Cause cause = Cause::None);

  // `events` were reported lost. Each lost event explains at most one gap: first
  // the gaps seen since the previous report (losses are noticed after the events
  // around them were delivered), then gaps still to come.
  void note_loss(std::uint64_t events);

  // Gaps explained by a reported loss, before or after the gap was seen.
  std::uint64_t gaps_explained() const { return gaps_explained_; }
  std::size_t open_lifecycles() const { return lives_.size(); }
  Model model() const { return model_; }

  // Visit every lifecycle kept by cookie that has not ended (class Open or Truncated).
  template <class F>
  void for_each_open(F&& f) const {
    for (const auto& [cookie, life] : lives_)
      f(cookie, Lifecycle{life.broken || !life.from_start ? LifecycleClass::Truncated : LifecycleClass::Open,
                          life.listener, life.last});
  }

 private:
  Verdict judge(const Life* life, int old_state, int new_state);

  Model model_;
  std::uint64_t loss_budget_ = 0;   // reported lost events not yet matched to a gap
  std::uint64_t gaps_pending_ = 0;  // gaps since the last loss report, not yet explained
  std::uint64_t gaps_explained_ = 0;
  std::unordered_map<std::uint64_t, Life> lives_;
};

}  // namespace tcpfsm
