#include "model/checker.h"

#include <algorithm>

namespace tcpfsm {
namespace {

LifecycleClass classify_close(int old_state, Cause cause) {
  switch (cause) {
    case Cause::Killed: return LifecycleClass::Killed;
    case Cause::Timeout: return LifecycleClass::TimedOut;
    case Cause::Unreachable: return LifecycleClass::Unreachable;
    case Cause::RstReceived:
      return old_state == number(State::SynSent) ? LifecycleClass::Refused : LifecycleClass::Reset;
    case Cause::RstSent: return LifecycleClass::Reset;
    default: break;
  }
  switch (static_cast<State>(old_state)) {
    case State::SynSent:
      return LifecycleClass::FailedConnect;
    case State::LastAck:
    case State::FinWait2:
    case State::Closing:
    case State::Listen:
      return LifecycleClass::Completed;
    default:
      return LifecycleClass::Aborted;
  }
}

}  // namespace

bool is_lifecycle_start(int old_state, int new_state) {
  return old_state == number(State::Close) ||
         (old_state == number(State::Listen) && new_state == number(State::SynRecv));
}

std::string_view verdict_name(VerdictKind k) {
  switch (k) {
    case VerdictKind::Ok: return "ok";
    case VerdictKind::Illegal: return "illegal";
    case VerdictKind::Gap: return "gap";
    case VerdictKind::UnknownState: return "unknown_state";
  }
  return "?";
}

std::string_view lifecycle_class_name(LifecycleClass c) {
  switch (c) {
    case LifecycleClass::Completed: return "completed";
    case LifecycleClass::Refused: return "refused";
    case LifecycleClass::TimedOut: return "timed_out";
    case LifecycleClass::Unreachable: return "unreachable";
    case LifecycleClass::Reset: return "reset";
    case LifecycleClass::Killed: return "killed";
    case LifecycleClass::FailedConnect: return "failed_connect";
    case LifecycleClass::Aborted: return "aborted";
    case LifecycleClass::Truncated: return "truncated";
    case LifecycleClass::Open: return "open";
  }
  return "?";
}

void Checker::note_loss(std::uint64_t events) {
  const std::uint64_t now = std::min(events, gaps_pending_);
  gaps_explained_ += now;
  loss_budget_ += events - now;
  // Older gaps were seen before the previous report: these losses came later.
  gaps_pending_ = 0;
}

Verdict Checker::judge(const Life* life, int old_state, int new_state) {
  // Every reason names the event's edge, so it reads on its own; built only
  // for a violation, as this runs for every event.
  const auto edge = [&] { return state_name(old_state) + " -> " + state_name(new_state); };
  if (!find_state(old_state) || !find_state(new_state))
    return {VerdictKind::UnknownState,
            edge() + ": state " + std::to_string(find_state(old_state) ? new_state : old_state) +
                " is not a known TCP state"};
  if (life && life->last != old_state) {
    std::string why = edge() + ", but the socket last entered " + state_name(life->last);
    if (loss_budget_) {
      --loss_budget_;
      ++gaps_explained_;
      return {VerdictKind::Gap, why + ": events lost (reported)"};
    }
    ++gaps_pending_;
    return {VerdictKind::Gap, why + ": events missing, no loss reported (yet)"};
  }
  if (allowed(model_, old_state, new_state)) return {};
  const Edge* e = find_edge(old_state, new_state);
  if (model_ == Model::Linux) return {VerdictKind::Illegal, edge() + " is not a transition Linux makes"};
  return {VerdictKind::Illegal, edge() + " is not in RFC 9293 Figure 5" +
                                    (e && e->linux ? " (Linux: " + std::string(e->label) + ")" : "")};
}

Checker::Result Checker::observe(Life& life, int old_state, int new_state, Cause cause) {
  Result r{judge(life.seen ? &life : nullptr, old_state, new_state), std::nullopt};

  const int close = number(State::Close);
  // An abort sets CLOSE twice (tcp_abort, then tcp_done): the second one
  // repeats the end of a lifecycle rather than beginning one.
  if (!life.seen && old_state == close && new_state == close) return r;

  if (!life.seen) life = Life{true, 0, false, is_lifecycle_start(old_state, new_state), false};
  if (r.verdict.kind == VerdictKind::Gap || r.verdict.kind == VerdictKind::UnknownState) life.broken = true;
  if (new_state == number(State::Listen)) life.listener = true;
  life.last = new_state;

  // -> CLOSE ends the lifecycle; the same socket may start over (reconnect, listen again).
  if (new_state == close) {
    r.ended = Lifecycle{life.broken || !life.from_start ? LifecycleClass::Truncated : classify_close(old_state, cause),
                        life.listener, close};
    life = Life{};
  }
  return r;
}

Checker::Result Checker::observe(std::uint64_t cookie, int old_state, int new_state, Cause cause) {
  auto it = lives_.try_emplace(cookie).first;
  Result r = observe(it->second, old_state, new_state, cause);
  if (!it->second.seen) lives_.erase(it);
  return r;
}

}  // namespace tcpfsm
