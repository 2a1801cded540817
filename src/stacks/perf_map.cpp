#include "stacks/perf_map.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

namespace tcpfsm {
namespace {

// A field of hex digits, with or without 0x; false when it is not one.
bool parse_hex(std::string_view s, std::uint64_t& v) {
  if (s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Splits off the text up to the first space or tab.
std::string_view next_field(std::string_view& line) {
  const auto end = line.find_first_of(" \t");
  const std::string_view field = line.substr(0, end);
  line = end == std::string_view::npos ? std::string_view{} : line.substr(end);
  while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
  return field;
}

// Calls add(entry) for each good line of text; returns the bytes up to the
// end of its last whole line (a line still being written is read next time).
template <class Add>
std::size_t parse_lines(std::string_view text, Add add) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto nl = text.find('\n', done);
    if (nl == std::string_view::npos) break;
    std::string_view line = text.substr(done, nl - done);
    done = nl + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    PerfMapEntry e;
    if (!parse_hex(next_field(line), e.start) || !parse_hex(next_field(line), e.size)) continue;
    if (e.size == 0 || line.empty()) continue;
    e.name = std::string(line);
    add(std::move(e));
  }
  return done;
}

}  // namespace

std::vector<PerfMapEntry> parse_perf_map(std::string_view text) {
  std::map<std::uint64_t, PerfMapEntry> by_start;
  std::string whole(text);
  if (!whole.empty() && whole.back() != '\n') whole += '\n';  // a last line without its newline
  parse_lines(whole, [&](PerfMapEntry e) { by_start[e.start] = std::move(e); });
  std::vector<PerfMapEntry> out;
  out.reserve(by_start.size());
  for (auto& [start, e] : by_start) out.push_back(std::move(e));
  return out;
}

std::uint32_t nspid_of_status(std::string_view status) {
  constexpr std::string_view kKey = "NSpid:";
  std::size_t at = status.starts_with(kKey) ? 0 : status.find("\n" + std::string(kKey));
  if (at == std::string_view::npos) return 0;
  if (at != 0) ++at;
  std::string_view line = status.substr(at + kKey.size());
  line = line.substr(0, line.find('\n'));
  std::uint32_t last = 0;
  while (!line.empty()) {
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.empty()) break;
    std::uint32_t v = 0;
    const auto r = std::from_chars(line.data(), line.data() + line.size(), v);
    if (r.ec != std::errc() || r.ptr == line.data()) return 0;
    last = v;
    line.remove_prefix(static_cast<std::size_t>(r.ptr - line.data()));
  }
  return last;
}

void PerfMap::clear() {
  entries_.clear();
  ino_ = dev_ = 0;
  size_ = -1;
  mtime_ = {};
  parsed_ = 0;
}

void PerfMap::refresh(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  struct stat st {};
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (fd >= 0) close(fd);
    clear();
    return;
  }
  const bool same_file = st.st_ino == ino_ && st.st_dev == dev_;
  if (same_file && st.st_size == size_ && st.st_mtim.tv_sec == mtime_.tv_sec && st.st_mtim.tv_nsec == mtime_.tv_nsec) {
    close(fd);
    return;
  }
  // Only a file that grew is read from where the last read stopped; one
  // replaced, shrunk or rewritten in place is read again from its start.
  if (!same_file || st.st_size <= size_) clear();
  std::string text(static_cast<std::size_t>(st.st_size - parsed_), '\0');
  std::size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = pread(fd, text.data() + got, text.size() - got, parsed_ + static_cast<off_t>(got));
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  text.resize(got);
  parsed_ += static_cast<std::int64_t>(parse_lines(text, [&](PerfMapEntry e) { entries_[e.start] = std::move(e); }));
  ino_ = st.st_ino;
  dev_ = st.st_dev;
  size_ = st.st_size;
  mtime_ = st.st_mtim;
}

const PerfMapEntry* PerfMap::find(std::uint64_t addr) const {
  auto it = entries_.upper_bound(addr);
  if (it == entries_.begin()) return nullptr;
  --it;
  const PerfMapEntry& e = it->second;
  return addr - e.start < e.size ? &e : nullptr;
}

}  // namespace tcpfsm
