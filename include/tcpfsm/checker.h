// Checks each transition against a model and follows per-socket lifecycles.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tcpfsm/model.h"

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
enum class LifecycleClass : std::uint8_t {
  Completed,      // normal close, or a listener closed
  FailedConnect,  // SYN_SENT -> CLOSE
  ResetAborted,   // -> CLOSE from a state where a normal close cannot end
  Truncated,      // a gap inside, or it began before tracing did
  Open,           // no -> CLOSE seen (yet)
};
std::string_view lifecycle_class_name(LifecycleClass c);

class Checker {
 public:
  explicit Checker(Model model) : model_(model) {}

  struct Result {
    Verdict verdict;
    std::optional<LifecycleClass> ended;  // set when this event closed a lifecycle
  };

  // One transition of the socket identified by `cookie`.
  Result observe(std::uint64_t cookie, int old_state, int new_state);

  // Events were reported lost: later gaps are attributed to that.
  void note_loss(std::uint64_t events) { reported_lost_ += events; }

  std::size_t open_lifecycles() const { return lives_.size(); }
  Model model() const { return model_; }

  // Visit every lifecycle that has not ended, with its class (Open or Truncated).
  template <class F>
  void for_each_open(F&& f) const {
    for (const auto& [cookie, life] : lives_)
      f(cookie, life.gap || !life.from_start ? LifecycleClass::Truncated : LifecycleClass::Open);
  }

 private:
  struct Life {
    std::uint8_t last = 0;    // new state of the last event
    bool gap = false;         // a gap happened inside
    bool from_start = false;  // first event began at CLOSE or was a child's LISTEN -> SYN_RECV
  };
  Verdict judge(const Life* life, int old_state, int new_state) const;

  Model model_;
  std::uint64_t reported_lost_ = 0;
  std::unordered_map<std::uint64_t, Life> lives_;
};

}  // namespace tcpfsm
