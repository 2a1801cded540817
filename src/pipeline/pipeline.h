// The per-event path of `tcpfsm trace`, used by trace and by the
// microbenchmark alike: decode -> socket table -> check -> owners -> sink.
//
// on_event() runs inside the ring-buffer drain and only decodes, looks the
// socket up once and checks: it never reads /proc. The drained events wait
// in a batch; write_batch() then finds owners within a budget and hands the
// batch's records to the sink in order. A record so waits for its owner one
// poll at most.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "kernel/transition_stream.h"
#include "kernel/cgroup_names.h"
#include "kernel/rst_reasons.h"
#include "pipeline/owner_lookup.h"
#include "pipeline/socket_table.h"
#include "record/sink.h"
#include "record/transition.h"

namespace tcpfsm {

struct PipelineOptions {
  Model model = Model::Linux;
  bool owners = true;        // add owner_pid/owner_comm
  bool kernel_time = false;  // old_ns comes from the kernel (under a port filter); else from consecutive events
  SocketTable::Options table;
  std::optional<std::uint64_t> count;  // accept this many transitions, then read and drop the rest
  OwnerCache::Options owner_cache;
  // The kernel's task_file iterator for owners (loaded while privileged);
  // nothing: /proc.
  std::shared_ptr<SocketFiles> socket_files;
  // The kernel passes only some of a socket's events (a state filter): a
  // socket's events need not follow on from each other.
  bool partial_sockets = false;
  // Write only the records of sockets this process holds (--pid).
  std::optional<std::int32_t> pid;
  // Names of the kernel's reset reasons (nullptr: the running kernel's).
  const RstReasons* rst_reasons = nullptr;
  // The cgroup2 mount, to name each socket's cgroup and container; nothing:
  // records carry cgroup_id alone.
  std::optional<std::string> cgroup2_mount;
};

class Pipeline final : private TransitionStream::Reader {
 public:
  Pipeline(const PipelineOptions& options, Sink& sink);

  // One event from the ring buffer (life: a tcpfsm_close's).
  void on_event(const tcpfsm_event& e, const tcpfsm_life* life = nullptr) {
    if (!full()) stream_.on_event(e, life);  // past --count: read but not written
  }
  // A reset report from the ring buffer: joined to the transition it explains.
  void on_cause(const tcpfsm_cause& c) { stream_.on_cause(c); }
  // Owners for the batch's sockets, then the batch's records to the sink.
  // A transition into CLOSE younger than CauseJoin::kWindowNs may still get
  // its reset report: it and the records after it wait for the next batch,
  // unless this is the last one.
  void write_batch(bool last = false);

  // Events reported lost: explains gaps (see Checker::note_loss); a listen()
  // may be among them.
  void note_loss(std::uint64_t events) {
    checker_.note_loss(events);
    owners_.note_loss();
  }
  // Follows the wall clock (NTP steps); once per poll.
  void set_clock(const ClockMap& clock) { stream_.set_clock(clock); }
  // Once per poll: the owner lookups' budget and walk.
  void tick(std::chrono::steady_clock::time_point now);

  // All --count transitions written: the rest are read and dropped.
  bool full() const { return options_.count && totals_.transitions >= *options_.count; }
  // Totals so far, with the socket table's counts as of now.
  Totals totals() const;
  Totals& running_totals() { return totals_; }
  SocketTable& table() { return table_; }
  const OwnerLookup& owners() const { return owners_; }

 private:
  struct Pending {
    Transition t;
    Verdict v;
    std::uint64_t key = 0;  // the socket's key in the table
  };
  // The stream's transitions and late resets (TransitionStream::Reader).
  void transition(Transition& t) override;
  void late_cause(const tcpfsm_cause& c, std::optional<std::uint64_t> diag_key) override;
  void attach_owner(Pending& p);
  void write(Pending& p);
  // --pid: whether the socket `key` is that process's, by its owner, or
  // because an earlier record of it was (the end of a connection the
  // process closed has no owner: FIN_WAIT2, LAST_ACK, -> CLOSE).
  bool held_by_wanted_pid(const Transition& t, std::uint64_t key);
  void count_verdict(VerdictKind k);

  PipelineOptions options_;
  Sink& sink_;
  Checker checker_;
  OwnerLookup owners_;
  CgroupNames cgroups_;
  SocketTable table_;
  std::vector<Pending> batch_;
  TransitionStream stream_;
  const RstReasons& rst_reasons_;
  Totals totals_;
  // --pid: the sockets kept so far, until they reach CLOSE; at most
  // kMaxPidSockets (a process holds a bounded number).
  static constexpr std::size_t kMaxPidSockets = 1 << 16;
  std::unordered_set<std::uint64_t> pid_sockets_;
};

}  // namespace tcpfsm
