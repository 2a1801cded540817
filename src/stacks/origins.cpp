#include "stacks/origins.h"

#include <signal.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

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
  for (std::size_t i = 0; i < k.frames; ++i) h = (h ^ k.ips[i]) * 0x100000001b3ULL;
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

// Frames with a name.
std::size_t named_frames(const CodePath& p) {
  return static_cast<std::size_t>(
      std::count_if(p.frames.begin(), p.frames.end(), [](const Frame& f) { return !f.symbol.empty(); }));
}

bool gone(std::uint32_t pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Gone, or a zombie: its mappings and files are gone already.
bool ended(std::uint32_t pid) {
  if (gone(pid)) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const std::size_t paren = line.rfind(") ");
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] == 'Z';
}

}  // namespace

void OriginTable::add(const tcpfsm_origin& o) {
  if (!o.ino) return;  // not a socket with a file: nothing will ask for it
  const std::size_t frames = std::min<std::size_t>(o.frames, TCPFSM_STACK_FRAMES);
  StackKey key{o.pid, o.kind, static_cast<std::uint8_t>(frames), {}};
  std::copy(o.ips, o.ips + frames, key.ips.begin());
  Entry entry;
  if (auto it = paths_.find(key); it != paths_.end()) {
    entry.path = it->second;
  } else {
    auto path = name(o, o.pid);
    if (named_frames(*path) < frames && ended(o.pid)) {
      // Frames left unnamed, and its process has ended (a zombie's mappings
      // and files are gone): a holder's mappings are tried once, when the
      // socket is shown (a forked child has its parent's).
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
  if (e.unnamed && !holders.empty()) {
    const tcpfsm_origin& o = *e.unnamed;
    for (const std::int32_t pid : holders) {
      if (pid <= 0 || static_cast<std::uint32_t>(pid) == o.pid) continue;
      auto path = name(o, static_cast<std::uint32_t>(pid));
      if (named_frames(*path) <= named_frames(*e.path)) continue;
      path->note += std::string(path->note.empty() ? "" : "; ") + "named with the mappings of pid " +
                    std::to_string(pid) + ", which holds it: pid " + std::to_string(o.pid) +
                    ", which opened it, had exited";
      e.path = std::move(path);
      break;
    }
    e.unnamed.reset();  // tried once: what no holder names stays as it is
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
