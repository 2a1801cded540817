#include "top/view_model.h"

#include <sys/socket.h>

#include <algorithm>

#include "model/states.h"

namespace tcpfsm::top {
namespace {

// The filters of a start record as they are given on the command line.
std::string filters_text(const StartInfo& s) {
  std::string out;
  auto add = [&out](std::string_view option, const std::string& value) {
    out += (out.empty() ? "" : " ") + std::string(option) + (value.empty() ? "" : " " + value);
  };
  const Filters& f = s.filters;
  if (f.family) add(f.family == AF_INET ? "-4" : "-6", "");
  for (std::uint16_t p : f.ports.either) add("-p", std::to_string(p));
  for (std::uint16_t p : f.ports.local) add("--lport", std::to_string(p));
  for (std::uint16_t p : f.ports.remote) add("--rport", std::to_string(p));
  for (int st = 0; st < 32; ++st)
    if ((f.states >> st) & 1U) add("--state", state_name(st));
  for (std::uint32_t n : f.netns) add("--netns", std::to_string(n));
  for (const std::string& c : f.cgroups) add("--cgroup", c);
  if (f.pid) add("--pid", std::to_string(*f.pid));
  return out;
}

}  // namespace

TopModel::TopModel(std::size_t history) : history_length_(std::max<std::size_t>(history, 1)) {}

void TopModel::start(const StartInfo& s) {
  attach_ = s.attach;
  model_ = s.model;
  filters_ = filters_text(s);
}

void TopModel::transition(const Transition& t, const Verdict& v) {
  edges_.add({t.old_state, t.new_state});
  verdicts_.add(v.kind);
}

void TopModel::lost(std::uint64_t, const Losses& l) {
  losses_.add(LossKind::Ringbuf, l.ringbuf);
  losses_.add(LossKind::Recursion, l.recursion);
  losses_.add(LossKind::Skstate, l.skstate);
}

void TopModel::close_interval(std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  edges_.close(seconds);
  verdicts_.close(seconds);
  losses_.close(seconds);
}

void TopModel::sockets(const SocketsNow& now) {
  samples_.push_back(now.by_state);
  while (samples_.size() > history_length_) samples_.pop_front();

  holders_.clear();
  for (const Group& g : group_sockets(now.stuck)) {
    const StuckSocket& oldest = *g.sockets.front();
    holders_.push_back({g.owner, g.holder.pid, g.holder.comm, oldest.place.container, g.state, g.netns,
                        g.sockets.size(), oldest.age});
  }
  stuck_sockets_ = now.stuck.size();
  stuck_younger_ = now.younger;
}

std::vector<std::uint64_t> TopModel::history(int state) const {
  std::vector<std::uint64_t> h;
  if (state < 0 || state >= kStateNumbers) return h;
  for (const auto& s : samples_) h.push_back(s[state]);
  return h;
}

std::uint64_t TopModel::sockets_now(int state) const {
  if (samples_.empty() || state < 0 || state >= kStateNumbers) return 0;
  return samples_.back()[state];
}

std::vector<HolderRow> TopModel::holders(HolderSort sort) const {
  std::vector<HolderRow> rows = holders_;  // most sockets first, then the oldest: ties keep it
  const auto container = [](const HolderRow& r) { return r.container ? container_label(*r.container) : ""; };
  std::stable_sort(rows.begin(), rows.end(), [&](const HolderRow& a, const HolderRow& b) {
    switch (sort) {
      case HolderSort::Sockets: return false;
      case HolderSort::Age: return a.oldest.value > b.oldest.value;
      // Containers first (by name), the host's processes after them.
      case HolderSort::Container: {
        const std::string ca = container(a), cb = container(b);
        if (ca.empty() != cb.empty()) return cb.empty();
        return ca < cb;
      }
      // Processes by pid; the ownerless (pid 0) after them.
      case HolderSort::Pid: return (a.pid == 0) != (b.pid == 0) ? b.pid == 0 : a.pid < b.pid;
    }
    return false;
  });
  return rows;
}

}  // namespace tcpfsm::top
