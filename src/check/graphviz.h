// Graphviz's dot, run as a child process to lay out a graph as SVG that can
// be inlined in an HTML page.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tcpfsm {

struct GraphLayout {
  std::string svg;      // inline SVG; empty when there is none
  std::string missing;  // then why, in words for the reader of the page
};

// Runs `program -Tsvg` (looked up on PATH unless it holds a '/') with
// `dot_text` as its input, within 10 s, and cleans its SVG with inline_svg().
GraphLayout layout_svg(const std::string& dot_text, const std::string& program);

// dot's SVG document as an element to put in HTML: no XML prolog, DOCTYPE,
// comments or namespace declarations (HTML gives <svg> its namespace), so no
// URL is left. Nothing when the SVG refers outside itself (a link, an image,
// a script, url()) or is not one <svg> element.
std::optional<std::string> inline_svg(std::string_view svg);

}  // namespace tcpfsm
