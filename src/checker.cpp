#include "tcpfsm/checker.h"

namespace tcpfsm {
namespace {

bool is_start(int old_state, int new_state) {
  return old_state == number(State::Close) ||
         (old_state == number(State::Listen) && new_state == number(State::SynRecv));
}

LifecycleClass classify_close(int old_state) {
  switch (static_cast<State>(old_state)) {
    case State::SynSent:
      return LifecycleClass::FailedConnect;
    case State::LastAck:
    case State::FinWait2:
    case State::Closing:
    case State::Listen:
      return LifecycleClass::Completed;
    default:
      return LifecycleClass::ResetAborted;
  }
}

}  // namespace

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
    case LifecycleClass::FailedConnect: return "failed_connect";
    case LifecycleClass::ResetAborted: return "reset_aborted";
    case LifecycleClass::Truncated: return "truncated";
    case LifecycleClass::Open: return "open";
  }
  return "?";
}

Verdict Checker::judge(const Life* life, int old_state, int new_state) const {
  if (!find_state(old_state) || !find_state(new_state))
    return {VerdictKind::UnknownState,
            "state number " + std::to_string(find_state(old_state) ? new_state : old_state) +
                " is not a known TCP state"};
  if (life && life->last != old_state)
    return {VerdictKind::Gap,
            "socket was last seen entering " + state_name(life->last) + ", not " +
                state_name(old_state) +
                (reported_lost_ ? ": events lost (reported)" : ": events missing with no reported loss")};
  if (allowed(model_, old_state, new_state)) return {};
  std::string edge = state_name(old_state) + " -> " + state_name(new_state);
  const Edge* e = find_edge(old_state, new_state);
  if (model_ == Model::Linux) return {VerdictKind::Illegal, edge + " is not a transition Linux makes"};
  return {VerdictKind::Illegal, edge + " is not in RFC 9293 Figure 5" +
                                    (e && e->linux ? " (Linux: " + std::string(e->label) + ")" : "")};
}

Checker::Result Checker::observe(std::uint64_t cookie, int old_state, int new_state) {
  auto it = lives_.find(cookie);
  Life* life = it == lives_.end() ? nullptr : &it->second;
  Result r{judge(life, old_state, new_state), std::nullopt};

  if (!life) {
    life = &lives_[cookie];
    life->from_start = is_start(old_state, new_state);
  }
  if (r.verdict.kind == VerdictKind::Gap) life->gap = true;
  life->last = static_cast<std::uint8_t>(new_state);

  // -> CLOSE ends the lifecycle; the same socket may start over (reconnect, listen again).
  if (new_state == number(State::Close)) {
    r.ended = life->gap || !life->from_start ? LifecycleClass::Truncated : classify_close(old_state);
    lives_.erase(cookie);
  }
  return r;
}

}  // namespace tcpfsm
