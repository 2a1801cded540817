// What `tcpfsm top` shows, gathered without a terminal: the records of a
// trace run (it is a Sink of the run: every transition, verdict and loss
// the pipeline writes comes here) and, once per refresh, the socket gauges.
// Counts per edge and their rates, violations and losses, sockets per state
// with a minute of history, and the holders of stuck sockets, each pane in
// the order asked for. Pure: records and refreshes in, rows out; the caller
// measures the time between refreshes.
#pragma once

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/container.h"
#include "record/sink.h"
#include "stuck/stuck.h"
#include "model/states.h"

namespace tcpfsm::top {

enum class TallySort { Rate, Total, Key };  // most per second, most in all, by key

// How often records of each key came: since the start, and in the last
// interval as a rate. Each pane that counts records by some key is one:
// transitions by edge, verdicts, losses by kind. (A count of the causes of
// abnormal ends is one more, added in TopModel::transition() once
// transitions carry their cause.)
template <class Key>
class Tally {
 public:
  void add(const Key& k, std::uint64_t n = 1) {
    if (n) entries_[k].pending += n;
  }
  // Ends an interval that lasted `seconds`: what was added since the last
  // close is its count.
  void close(double seconds) {
    seconds_ = seconds;
    for (auto& [k, e] : entries_) {
      e.total += e.pending;
      e.last = e.pending;
      e.pending = 0;
    }
  }

  struct Row {
    Key key{};
    std::uint64_t total = 0;  // up to the last close
    std::uint64_t last = 0;   // in the last interval
    double per_second = 0;    // last over the interval's length
  };
  // Every key ever added, in the order asked for; ties go by key.
  std::vector<Row> rows(TallySort sort) const {
    std::vector<Row> rows;
    for (const auto& [k, e] : entries_) rows.push_back({k, e.total, e.last, rate(e.last)});
    std::stable_sort(rows.begin(), rows.end(), [sort](const Row& a, const Row& b) {
      if (sort == TallySort::Rate && a.last != b.last) return a.last > b.last;
      if (sort != TallySort::Key && a.total != b.total) return a.total > b.total;
      return false;  // the map's key order stands
    });
    return rows;
  }
  std::uint64_t total(const Key& k) const { return find(k, &Entry::total); }
  std::uint64_t last(const Key& k) const { return find(k, &Entry::last); }
  std::uint64_t total() const { return sum(&Entry::total); }
  std::uint64_t last() const { return sum(&Entry::last); }
  double per_second() const { return rate(last()); }

 private:
  struct Entry {
    std::uint64_t total = 0, last = 0, pending = 0;
  };
  double rate(std::uint64_t n) const { return seconds_ > 0 ? static_cast<double>(n) / seconds_ : 0; }
  std::uint64_t find(const Key& k, std::uint64_t Entry::*field) const {
    const auto it = entries_.find(k);
    return it == entries_.end() ? 0 : it->second.*field;
  }
  std::uint64_t sum(std::uint64_t Entry::*field) const {
    std::uint64_t n = 0;
    for (const auto& [k, e] : entries_) n += e.*field;
    return n;
  }

  std::map<Key, Entry> entries_;
  double seconds_ = 0;
};

struct EdgeKey {
  int old_state = 0, new_state = 0;
  auto operator<=>(const EdgeKey&) const = default;
};

enum class LossKind { Ringbuf, Recursion, Skstate };

enum class HolderSort { Sockets, Age, Container, Pid };

// The sockets one process holds in one stuck state and network namespace
// (or the ownerless ones of one kind), as `tcpfsm stuck` groups them.
struct HolderRow {
  Ownership owner = Ownership::Unknown;
  std::int32_t pid = 0;  // owner == Process
  std::string comm;      // as the process named itself: escape before showing
  std::optional<ContainerRef> container;  // of its oldest socket's cgroup
  int state = 0;
  std::uint32_t netns = 0;
  std::size_t sockets = 0;
  Age oldest;
};

class TopModel final : public Sink {
 public:
  // history: samples of sockets per state kept (one per refresh).
  explicit TopModel(std::size_t history);

  // The trace run's records.
  void start(const StartInfo& s) override;
  void transition(const Transition& t, const Verdict& v) override;
  void lost(std::uint64_t wall_ns, const Losses& l) override;

  // A refresh, in two parts. The interval since the previous refresh (or
  // the start) ends: it lasted `elapsed`.
  void close_interval(std::chrono::nanoseconds elapsed);
  // The sockets as the gauges see them now (when they could be read: a
  // refresh without them leaves no sample).
  void sockets(const SocketsNow& now);

  // Sockets in `state` at each refresh, oldest first (at most `history`).
  std::vector<std::uint64_t> history(int state) const;
  std::uint64_t sockets_now(int state) const;

  const Tally<EdgeKey>& edges() const { return edges_; }
  const Tally<VerdictKind>& verdicts() const { return verdicts_; }
  const Tally<LossKind>& losses() const { return losses_; }

  std::vector<HolderRow> holders(HolderSort sort) const;
  std::size_t stuck_sockets() const { return stuck_sockets_; }
  std::size_t stuck_younger() const { return stuck_younger_; }

  // From the start record: how the run attached, which model checks, and
  // the filters as they were given ("-p 8080 -4"; "" for none).
  const std::string& attach() const { return attach_; }
  const std::string& model() const { return model_; }
  const std::string& filters() const { return filters_; }

 private:
  std::size_t history_length_;
  std::deque<std::array<std::uint64_t, kStateNumbers>> samples_;
  Tally<EdgeKey> edges_;
  Tally<VerdictKind> verdicts_;
  Tally<LossKind> losses_;
  std::vector<HolderRow> holders_;  // most sockets first, then the oldest
  std::size_t stuck_sockets_ = 0, stuck_younger_ = 0;
  std::string attach_, model_, filters_;
};

}  // namespace tcpfsm::top
