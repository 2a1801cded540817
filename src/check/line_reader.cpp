#include "check/line_reader.h"

#include <cstring>

namespace tcpfsm {
namespace {

constexpr std::size_t kChunk = 256 * 1024;  // bytes asked of the stream at a time

}  // namespace

LineReader::LineReader(std::istream& in, std::size_t max_line)
    : in_(in), max_line_(max_line), capacity_(max_line + 1 + kChunk), buf_(new char[capacity_]) {}

// Moves the unread bytes to the front and reads more; false at the end or on error.
bool LineReader::fill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    scan_ -= begin_;
    begin_ = 0;
  }
  in_.read(buf_.get() + end_, static_cast<std::streamsize>(capacity_ - end_));
  const auto got = static_cast<std::size_t>(in_.gcount());
  end_ += got;
  if (got == 0) eof_ = true;
  return got > 0;
}

void LineReader::emit(Line& line, std::size_t len, bool terminated) {
  line = Line{};
  line.number = ++number_;
  line.length = len;
  line.unterminated = !terminated;
  if (len > max_line_) {
    line.too_long = true;
  } else {
    std::string_view text(buf_.get() + begin_, len);
    if (terminated && !text.empty() && text.back() == '\r') {
      text.remove_suffix(1);
      line.crlf = true;
    }
    line.text = text;
  }
  begin_ = scan_ = begin_ + len + (terminated ? 1 : 0);
}

// The line at begin_ has no '\n' within the limit: drop it up to its end.
void LineReader::skip_long_line(Line& line) {
  std::uint64_t len = end_ - begin_;
  begin_ = scan_ = end_ = 0;
  bool terminated = false;
  while (fill()) {
    if (const void* nl = std::memchr(buf_.get(), '\n', end_)) {
      const auto at = static_cast<std::size_t>(static_cast<const char*>(nl) - buf_.get());
      len += at;
      begin_ = scan_ = at + 1;
      terminated = true;
      break;
    }
    len += end_;
    begin_ = scan_ = end_ = 0;
  }
  line = Line{};
  line.number = ++number_;
  line.length = len;
  line.too_long = true;
  line.unterminated = !terminated;
}

bool LineReader::next(Line& line) {
  for (;;) {
    if (const void* nl = std::memchr(buf_.get() + scan_, '\n', end_ - scan_)) {
      const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - (buf_.get() + begin_));
      emit(line, len, true);
      return true;
    }
    scan_ = end_;
    if (end_ - begin_ > max_line_) break;
    if (!fill()) {
      if (begin_ == end_) return false;
      emit(line, end_ - begin_, false);
      return true;
    }
  }
  skip_long_line(line);
  return true;
}

}  // namespace tcpfsm
