#include "bpf_runtime/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <vector>

namespace tcpfsm {
namespace {

bool g_verbose = false;
// The capture messages go to: libbpf prints on the thread that called it.
thread_local LibbpfLog* t_current = nullptr;

int print(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (g_verbose) return std::vfprintf(stderr, fmt, args);
  if (level == LIBBPF_DEBUG || !t_current) return 0;
  va_list copy;
  va_copy(copy, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, copy);
  va_end(copy);
  if (n <= 0) return 0;
  std::string message(static_cast<std::size_t>(n), '\0');
  std::vsnprintf(message.data(), message.size() + 1, fmt, args);
  t_current->add(message);
  return 0;
}

// Installed before libbpf is first used through this layer, and again by
// set_libbpf_verbose(): libbpf's default prints warnings to stderr.
void install() {
  static const bool installed = [] {
    libbpf_set_print(print);
    return true;
  }();
  (void)installed;
}

}  // namespace

void set_libbpf_verbose(bool verbose) {
  install();
  g_verbose = verbose;
}

bool libbpf_verbose() { return g_verbose; }

LibbpfLog::LibbpfLog() : outer_(t_current) {
  install();
  t_current = this;
}

LibbpfLog::~LibbpfLog() { t_current = outer_; }

void LibbpfLog::add(std::string_view message) {
  text_ += message;
  if (text_.size() > kKeep) text_.erase(0, text_.size() - kKeep);
}

std::string LibbpfLog::hint() const {
  if (g_verbose) return "";
  const std::string_view why = load_failure_line(text_);
  if (why.empty()) return "";
  return " (the kernel said: \"" + std::string(why) + "\"; -v shows libbpf's whole log)";
}

std::string_view load_failure_line(std::string_view log) {
  std::vector<std::string_view> lines;
  while (!log.empty()) {
    const auto nl = log.find('\n');
    if (const std::string_view line = log.substr(0, nl); !line.empty()) lines.push_back(line);
    log = nl == std::string_view::npos ? std::string_view() : log.substr(nl + 1);
  }
  // The verifier's last words come just before its statistics.
  for (std::size_t i = 1; i < lines.size(); ++i)
    if (lines[i].starts_with("processed ") && lines[i].find(" insns") != std::string_view::npos) return lines[i - 1];
  // libbpf's own complaint: a CO-RE relocation this kernel cannot resolve.
  for (const std::string_view line : lines)
    if (line.find("failed to resolve CO-RE") != std::string_view::npos) return line;
  for (std::size_t i = lines.size(); i-- > 0;)
    if (lines[i].find("failed to load") == std::string_view::npos) return lines[i];
  return {};
}

}  // namespace tcpfsm
