// Text for a terminal. Whatever comes from outside the program (a process
// name or command line, bytes quoted from a log line) is escaped before it is
// shown, as ps and ss do: any local user can name a process
// "\x1b]0;owned\x07\x1b[2J" and retitle or clear the terminal of whoever runs
// tcpfsm. Also the column and clock helpers the text views share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace tcpfsm {

// Length of the well-formed UTF-8 sequence at s[i] (1 for ASCII), or 0 if
// there is none (RFC 3629: no overlong forms, no surrogates, nothing above
// U+10FFFF).
std::size_t utf8_len(std::string_view s, std::size_t i);

// Appends s with printable ASCII and well-formed printable UTF-8 as they are,
// a backslash as "\\", and every other byte as "\xHH" (lowercase, like ss):
// C0 controls, DEL, C1 controls (U+0080-U+009F, which some terminals obey
// like ESC sequences), bytes that are not part of well-formed UTF-8, and
// each byte of a Unicode format character (category Cf: the bidirectional
// controls such as U+202E RIGHT-TO-LEFT OVERRIDE, U+2066-2069, U+200E/F,
// U+061C; zero-width U+200B-200D, U+2060, U+FEFF; ...) or a line or
// paragraph separator (U+2028/2029), which would make text read as other
// text: U+202E is "\xe2\x80\xae".
void append_escaped(std::string& out, std::string_view s);
std::string escaped(std::string_view s);

// The longest start of s of at most max bytes that does not cut a well-formed
// UTF-8 sequence in half.
std::string_view cut_at(std::string_view s, std::size_t max);

// Input quoted in a message: "<s escaped>", and "..." after the quote when s
// is longer than max bytes.
std::string quote(std::string_view s, std::size_t max = 64);

// Columns a terminal gives s: one per character, two for an East Asian wide
// or fullwidth one. For escaped text, or any ASCII, that is its length.
std::size_t display_width(std::string_view s);

// The longest start of s that a terminal shows in at most `columns` columns,
// not cutting a UTF-8 sequence in half.
std::string_view cut_to_width(std::string_view s, std::size_t columns);

// The same for escaped text (what escaped() gives): "\xHH" and "\\" are
// cut whole or not at all, so a cut name never ends in half an escape.
std::string_view cut_escaped_to_width(std::string_view escaped_text, std::size_t columns);

// s, then spaces up to width columns (none when s is wider).
void pad(std::string& out, std::string_view s, std::size_t width);
// A table row's fixed columns: each text padded to its width, then a space.
void pad_cells(std::string& out, std::initializer_list<std::pair<std::string_view, std::size_t>> cells);
// Spaces up to width columns, then s.
void pad_left(std::string& out, std::string_view s, std::size_t width);

// Local time of day: "09:25:49", and "09:25:49.047508" with microseconds.
std::string clock_text(std::uint64_t wall_ns);
std::string clock_text_us(std::uint64_t wall_ns);

}  // namespace tcpfsm
