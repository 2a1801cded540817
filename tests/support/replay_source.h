// An event source that replays records from memory, as the kernel would hand
// them on: run_trace (trace/trace.h) takes it in place of the BPF program, and
// the run goes through the same dispatch by kind byte (kernel/dispatch.h),
// Session, pipeline and sinks, without privilege. Only the tests replay, so
// it lives here, beside them.
//
// The records come in batches: each wait() makes the next batch readable
// (the kernel's wakeup) and adds its counters, so a batch's losses are in the
// counters the run reads before it drains that batch. Once every batch is
// out, wait() sleeps its timeout, as an idle kernel's would.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "kernel/dispatch.h"
#include "kernel/event_source.h"
#include "trace/trace.h"

namespace tcpfsm::test {

struct ReplayBatch {
  std::vector<std::variant<tcpfsm_event, tcpfsm_cause>> records;
  // What the kernel counted with this batch besides the records, its
  // losses: ringbuf_full, recursion, skstate_full; causes_full, and
  // causes_lost (causes_full among them, as the kernel counts). The source
  // adds matched and causes itself: one per record, and one per record lost
  // to a full buffer (matched = read + ringbuf_full).
  KernelCounters counted;
};

struct ReplayScript {
  std::vector<ReplayBatch> batches;
  AttachMode mode = AttachMode::TpBtf;
  BufferMode buffer = BufferMode::Ring;
  bool socket_keys = false;
  std::vector<std::string> causes_missing;
};

// What a replay did, kept past the run for the test to read.
struct ReplayProgress {
  std::size_t batches_out = 0;  // made readable by a wait()
  std::size_t waits = 0;
  bool detached = false;
  // Records the dispatch refused (their kind byte unknown), as it names them.
  std::vector<std::string> refused;
};

class ReplaySource final : public EventSource {
 public:
  ReplaySource(ReplayScript script, EventHandler& handler, ReplayProgress* progress = nullptr)
      : script_(std::move(script)), handler_(handler), progress_(progress ? progress : &own_) {}

  AttachMode mode() const override { return script_.mode; }
  BufferMode buffer() const override { return script_.buffer; }
  bool socket_keys() const override { return script_.socket_keys; }
  const std::string& fallback_reason() const override { return none_; }
  const std::string& keys_reason() const override { return none_; }
  const std::vector<std::string>& causes_missing() const override { return script_.causes_missing; }

  void wait(int timeout_ms) override {
    ++progress_->waits;
    if (progress_->detached || next_ == script_.batches.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
      return;
    }
    const ReplayBatch& b = script_.batches[next_++];
    progress_->batches_out = next_;
    for (const auto& r : b.records) {
      waiting_.push_back(r);
      if (std::holds_alternative<tcpfsm_event>(r)) ++counters_.matched;
      else ++counters_.causes;
    }
    const KernelCounters& k = b.counted;
    counters_.matched += k.ringbuf_full;
    counters_.ringbuf_full += k.ringbuf_full;
    counters_.recursion += k.recursion;
    counters_.skstate_full += k.skstate_full;
    counters_.causes += k.causes_full;
    counters_.causes_full += k.causes_full;
    counters_.causes_lost += k.causes_lost;
  }

  bool drain(std::size_t limit = SIZE_MAX) override {
    std::size_t n = 0;
    while (n < limit && !waiting_.empty()) {
      const auto r = waiting_.front();
      waiting_.pop_front();
      ++n;
      const RecordHead head =
          std::visit([this](const auto& rec) { return dispatch_record(&rec, sizeof rec, handler_); }, r);
      if (!head.ok()) progress_->refused.push_back(head.rejection());
    }
    return n == limit;
  }

  void detach() override { progress_->detached = true; }
  KernelCounters counters() const override { return counters_; }

 private:
  ReplayScript script_;
  EventHandler& handler_;
  ReplayProgress own_;
  ReplayProgress* progress_;
  std::deque<std::variant<tcpfsm_event, tcpfsm_cause>> waiting_;
  KernelCounters counters_;
  std::size_t next_ = 0;
  const std::string none_;
};

// run_trace's source maker for a replay of `script`, reporting to `progress`
// if given.
inline EventSourceMaker replay(ReplayScript script, ReplayProgress* progress = nullptr) {
  return [script = std::move(script), progress](const LoadOptions&, EventHandler& handler) {
    return std::unique_ptr<EventSource>(std::make_unique<ReplaySource>(script, handler, progress));
  };
}

}  // namespace tcpfsm::test
