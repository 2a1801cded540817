#include "record/holder.h"

namespace tcpfsm {

std::string short_cmdline(std::string_view raw, std::size_t max_bytes) {
  while (!raw.empty() && raw.back() == '\0') raw.remove_suffix(1);
  std::string s(raw);
  for (char& c : s)
    if (c == '\0' || c == '\n' || c == '\t') c = ' ';
  if (s.size() > max_bytes) {
    std::size_t cut = max_bytes > 3 ? max_bytes - 3 : 0;
    // Never cut a UTF-8 sequence in half.
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    s.resize(cut);
    s += "...";
  }
  return s;
}

}  // namespace tcpfsm
