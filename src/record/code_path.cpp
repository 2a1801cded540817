#include "record/code_path.h"

#include <cinttypes>
#include <cstdio>

namespace tcpfsm {
namespace {

std::string hex(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// A path's last component: a frame's line is read on a terminal, where
// "../sysdeps/unix/sysv/linux/connect.c" says no more than "connect.c".
std::string_view basename_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string_view origin_phrase(OriginKind k) {
  switch (k) {
    case OriginKind::Connect: return "connected at";
    case OriginKind::Listen: return "listening at";
    case OriginKind::Accept: return "accepted at";
  }
  return "opened at";
}

std::string_view origin_name(OriginKind k) {
  switch (k) {
    case OriginKind::Connect: return "connect";
    case OriginKind::Listen: return "listen";
    case OriginKind::Accept: return "accept";
  }
  return "unknown";
}

std::string frame_text(const Frame& f) {
  if (f.symbol.empty()) {
    if (f.module.empty()) return "[unknown] " + hex(f.addr);
    return "[unknown] (" + std::string(basename_of(f.module)) + "+" + hex(f.module_offset) + ")";
  }
  std::string s = f.symbol;
  if (f.module == kPerfMapModule) return s + " (JIT)";
  if (f.symbol_offset != 0) s += "+" + hex(f.symbol_offset);
  if (f.line > 0 && !f.file.empty())
    s += " (" + std::string(basename_of(f.file)) + ":" + std::to_string(f.line) + ")";
  else if (!f.module.empty())
    s += " (" + std::string(basename_of(f.module)) + ")";
  return s;
}

}  // namespace tcpfsm
