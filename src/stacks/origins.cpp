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

std::shared_ptr<CodePath> OriginTable::name(const tcpfsm_origin& o, std::uint32_t pid) {
  const std::size_t frames = std::min<std::size_t>(o.frames, TCPFSM_STACK_FRAMES);
  auto path = std::make_shared<CodePath>();
  path->kind = kind_of(o.kind);
  if (frames == 0) {
    path->note = o.stack_error ? "no user stack (the kernel could not read it)" : "no user stack";
    return path;
  }
  // __u64 is unsigned long long, std::uint64_t unsigned long: copied.
  const std::vector<std::uint64_t> ips(o.ips, o.ips + frames);
  std::array<std::uint64_t, TCPFSM_STACK_WORDS> words{};
  std::copy(std::begin(o.words), std::end(o.words), words.begin());
  const bool have_words = o.flags & TCPFSM_ORIGIN_F_WORDS;
  path->frames = symbolizer_.symbolize(
      pid, ips, o.sp, have_words ? std::span<const std::uint64_t>(words) : std::span<const std::uint64_t>(),
      &path->note);
  ++named_count_;
  pids_.insert(pid);
  return path;
}

namespace {

// Whether any frame was placed in a module: else the process's mappings
// could not be read (it had exited, or may not be read by tcpfsm).
bool placed(const CodePath& p) {
  return std::any_of(p.frames.begin(), p.frames.end(), [](const Frame& f) { return !f.module.empty(); });
}

bool gone(std::uint32_t pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

}  // namespace

void OriginTable::add(const tcpfsm_origin& o) {
  if (!o.ino) return;  // not a socket with a file: nothing will ask for it
  const std::size_t frames = std::min<std::size_t>(o.frames, TCPFSM_STACK_FRAMES);
  StackKey key{o.pid, o.kind, std::vector<std::uint64_t>(o.ips, o.ips + frames)};
  Entry entry;
  if (auto it = paths_.find(key); it != paths_.end()) {
    entry.path = it->second;
  } else {
    auto path = name(o, o.pid);
    if (frames && !placed(*path)) {
      // Its process had exited (a zombie has no mappings either), or may not
      // be read: named later with a holder's, if one can be.
      entry.unnamed = std::make_shared<const tcpfsm_origin>(o);
    } else {
      if (paths_.size() >= kPathsMax) paths_.clear();
      paths_.emplace(std::move(key), path);
    }
    entry.path = std::move(path);
  }
  by_ino_[o.ino] = std::move(entry);
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

std::shared_ptr<const CodePath> OriginTable::find(std::uint32_t ino, std::span<const std::int32_t> holders) {
  const auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return nullptr;
  Entry& e = it->second;
  if (e.unnamed) {
    const tcpfsm_origin& o = *e.unnamed;
    for (const std::int32_t pid : holders) {
      if (pid <= 0 || static_cast<std::uint32_t>(pid) == o.pid) continue;
      auto path = name(o, static_cast<std::uint32_t>(pid));
      if (!placed(*path)) continue;
      path->note += std::string(path->note.empty() ? "" : "; ") + "named with the mappings of pid " +
                    std::to_string(pid) + ", which holds it: pid " + std::to_string(o.pid) +
                    ", which opened it, had exited";
      e.path = std::move(path);
      e.unnamed.reset();
      break;
    }
  }
  return e.path;
}

void OriginTable::forget_exited() {
  for (auto it = pids_.begin(); it != pids_.end();) {
    if (gone(*it)) {
      symbolizer_.forget(*it);
      it = pids_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace tcpfsm
