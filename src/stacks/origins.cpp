#include "stacks/origins.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <iterator>
#include <span>
#include <string>

namespace tcpfsm {
namespace {

OriginKind kind_of(std::uint8_t k) {
  switch (k) {
    case TCPFSM_ORIGIN_LISTEN: return OriginKind::Listen;
    case TCPFSM_ORIGIN_ACCEPT: return OriginKind::Accept;
    default: return OriginKind::Connect;
  }
}

// Distinct stacks kept named: one per call site per process, so the bound
// is met only by many processes; then they are named again.
constexpr std::size_t kPathsMax = 16384;

}  // namespace

std::size_t OriginTable::StackKeyHash::operator()(const StackKey& k) const {
  std::size_t h = (static_cast<std::size_t>(k.pid) << 8) ^ k.kind;
  for (std::uint64_t ip : k.ips) h = (h ^ ip) * 0x100000001b3ULL;
  return h;
}

OriginTable::OriginTable(std::size_t capacity, Symbolizer::Options symbolizer)
    : capacity_(capacity), symbolizer_(std::move(symbolizer)) {}

void OriginTable::add(const tcpfsm_origin& o) {
  if (!o.ino) return;  // not a socket with a file: nothing will ask for it
  const std::size_t frames = std::min<std::size_t>(o.frames, TCPFSM_STACK_FRAMES);
  StackKey key{o.pid, o.kind, std::vector<std::uint64_t>(o.ips, o.ips + frames)};
  auto it = paths_.find(key);
  if (it == paths_.end()) {
    if (paths_.size() >= kPathsMax) paths_.clear();
    auto path = std::make_shared<CodePath>();
    path->kind = kind_of(o.kind);
    if (frames == 0) {
      path->note = "no user stack (" + std::string(o.stack_error ? "the kernel could not read it" : "none") + ")";
    } else {
      // __u64 is unsigned long long, std::uint64_t unsigned long: copied.
      std::array<std::uint64_t, TCPFSM_STACK_WORDS> words{};
      std::copy(std::begin(o.words), std::end(o.words), words.begin());
      const bool have_words = o.flags & TCPFSM_ORIGIN_F_WORDS;
      path->frames = symbolizer_.symbolize(o.pid, key.ips, o.sp,
                                           have_words ? std::span<const std::uint64_t>(words)
                                                      : std::span<const std::uint64_t>(),
                                           &path->note);
    }
    ++named_count_;
    pids_.insert(o.pid);
    it = paths_.emplace(std::move(key), std::move(path)).first;
  }
  by_ino_[o.ino] = it->second;
  order_.push_back(o.ino);
  // Past the bound: the oldest inodes go, those closed since cost nothing.
  while (by_ino_.size() > capacity_ && !order_.empty()) {
    by_ino_.erase(order_.front());
    order_.pop_front();
  }
  if (order_.size() > 2 * capacity_ + 1024) {  // mostly closed ones: keep the live in order
    std::deque<std::uint32_t> live;
    for (std::uint32_t ino : order_)
      if (by_ino_.contains(ino)) live.push_back(ino);
    order_ = std::move(live);
  }
}

void OriginTable::closed(std::uint32_t ino) {
  if (ino) by_ino_.erase(ino);
}

std::shared_ptr<const CodePath> OriginTable::find(std::uint32_t ino) const {
  const auto it = by_ino_.find(ino);
  return it == by_ino_.end() ? nullptr : it->second;
}

void OriginTable::forget_exited() {
  for (auto it = pids_.begin(); it != pids_.end();) {
    if (::kill(static_cast<pid_t>(*it), 0) != 0 && errno == ESRCH) {
      symbolizer_.forget(*it);
      it = pids_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace tcpfsm
