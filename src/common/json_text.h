// Small, allocation-free JSON writing helpers for the per-event hot path.
//
// The put_* functions write at p, which has room for their bound, and return
// the end of what they wrote; Line builds a record with them. The append_*
// functions write the same text at the end of a string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpfsm::json {

// Room put_string needs for s: every byte may become "\u00XX" (invalid
// UTF-8 bytes, 1 each, become the 6-byte "\ufffd"), plus the quotes.
constexpr std::size_t string_bound(std::size_t n) { return 6 * n + 2; }
constexpr std::size_t kUintMax = 20;  // digits of UINT64_MAX
constexpr std::size_t kRfc3339Len = sizeof "2026-11-21T07:42:31.123456789Z" - 1;

// s as a JSON string literal; control characters are escaped and invalid
// UTF-8 bytes become U+FFFD, so any comm yields valid JSON.
char* put_string(char* p, std::string_view s);
// Whether s is well-formed UTF-8 all through: what a JSON string can hold.
bool utf8(std::string_view s);
// s's bytes as a JSON string of lowercase hex digits, two a byte: "ff41".
constexpr std::size_t hex_bound(std::size_t n) { return 2 * n + 2; }
char* put_hex(char* p, std::string_view s);
char* put_uint(char* p, std::uint64_t v);
// "2026-11-21T07:42:31.123456789Z"
char* put_rfc3339(char* p, std::uint64_t wall_ns);

void append_string(std::string& out, std::string_view s);
void append_hex(std::string& out, std::string_view s);
// Text from outside tcpfsm (a process's name or command line, a cgroup's
// path) as members of an object: ,"key":"text", and when the text is not
// well-formed UTF-8, whose bytes a JSON string cannot keep (put_string has
// U+FFFD for them), ,"key_bytes":"<hex>" after it with its exact bytes.
void append_text(std::string& out, std::string_view key, std::string_view text);
void append_uint(std::string& out, std::uint64_t v);
void append_rfc3339(std::string& out, std::uint64_t wall_ns);

// One JSON line built in a buffer of its own and appended to out in one
// piece when it fills or the Line ends. Appending a record to a string piece
// by piece cost a capacity check and a length update per piece: a third of
// the reader's time in profiles of `trace --format json`. Its pieces are
// inlined so that a literal key is copied by a few moves of known size.
class Line {
 public:
  explicit Line(std::string& out) : out_(out) {}
  ~Line() { flush(); }
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  [[gnu::always_inline]] Line& raw(std::string_view s) {  // copied as it is
    if (room(s.size())) {
      s.copy(p_, s.size());
      p_ += s.size();
    } else {
      out_.append(s);
    }
    return *this;
  }
  [[gnu::always_inline]] Line& raw(char c) {
    if (room(1)) *p_++ = c;
    return *this;
  }
  [[gnu::always_inline]] Line& uint(std::uint64_t v) {
    if (room(kUintMax)) p_ = put_uint(p_, v);
    return *this;
  }
  [[gnu::always_inline]] Line& string(std::string_view s) {
    if (room(string_bound(s.size())))
      p_ = put_string(p_, s);
    else
      append_string(out_, s);
    return *this;
  }
  // Text from outside as members, as append_text writes them.
  Line& text(std::string_view key, std::string_view s) {
    raw(",\"").raw(key).raw("\":").string(s);
    if (!utf8(s)) raw(",\"").raw(key).raw("_bytes\":").hex(s);
    return *this;
  }
  // The same, its two keys given with their punctuation (,"comm": and
  // ,"comm_bytes":), as raw copies them.
  Line& text(std::string_view member, std::string_view bytes_member, std::string_view s) {
    raw(member).string(s);
    if (!utf8(s)) raw(bytes_member).hex(s);
    return *this;
  }
  Line& hex(std::string_view s) {  // as put_hex writes it
    if (room(hex_bound(s.size())))
      p_ = put_hex(p_, s);
    else
      append_hex(out_, s);
    return *this;
  }
  [[gnu::always_inline]] Line& rfc3339(std::uint64_t wall_ns) {
    if (room(kRfc3339Len)) p_ = put_rfc3339(p_, wall_ns);
    return *this;
  }
  // Whatever comes next goes to out, after what is here.
  void flush() {
    out_.append(buf_, static_cast<std::size_t>(p_ - buf_));
    p_ = buf_;
  }

 private:
  // Whether n more bytes fit here, flushing what is here to make room;
  // false only for a piece longer than the whole buffer.
  [[gnu::always_inline]] bool room(std::size_t n) {
    if (static_cast<std::size_t>(buf_ + sizeof buf_ - p_) >= n) return true;
    flush();
    return n <= sizeof buf_;
  }

  std::string& out_;
  char buf_[1024];
  char* p_ = buf_;
};
// What append_rfc3339 writes, read back: "YYYY-MM-DDTHH:MM:SS[.F]Z" with 1 to
// 9 fraction digits -> ns since the epoch. Nothing for any other text, a date
// that does not exist, or a time before 1970 or past 2554 (uint64 ns).
std::optional<std::uint64_t> parse_rfc3339(std::string_view text);
// What put_hex writes, read back (without the quotes): the bytes. Nothing
// for an odd number of digits or anything but hex digits (of either case).
std::optional<std::string> parse_hex(std::string_view hex);

}  // namespace tcpfsm::json
