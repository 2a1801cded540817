// Splits a byte stream into lines in bounded memory: a line longer than the
// limit is skipped and reported, never held whole.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <string_view>

namespace tcpfsm {

class LineReader {
 public:
  static constexpr std::size_t kMaxLine = std::size_t{1} << 20;  // 1 MiB

  explicit LineReader(std::istream& in, std::size_t max_line = kMaxLine);

  struct Line {
    std::string_view text;      // without "\n" or "\r\n"; empty when too_long
    std::uint64_t number = 0;   // 1-based
    std::uint64_t length = 0;   // bytes before the "\n" (also when too_long)
    bool too_long = false;
    bool crlf = false;          // ended with "\r\n"
    bool unterminated = false;  // the input's last line, with no "\n" after it
  };

  // The next line; false at the end of the input or on a read error. `text`
  // is valid until the next call.
  bool next(Line& line);
  bool read_failed() const { return in_.bad(); }

 private:
  bool fill();
  void skip_long_line(Line& line);
  void emit(Line& line, std::size_t len, bool terminated);

  std::istream& in_;
  std::size_t max_line_;
  std::size_t capacity_;
  std::unique_ptr<char[]> buf_;
  std::size_t begin_ = 0, scan_ = 0, end_ = 0;  // unread data: [begin_, end_); no '\n' in [begin_, scan_)
  std::uint64_t number_ = 0;
  bool eof_ = false;
};

}  // namespace tcpfsm
