#include "report/markdown_escape.h"

#include <algorithm>
#include <cstring>

namespace perfkit::report {
namespace {

bool IsLineBreak(char c) { return c == '\n' || c == '\r'; }

}  // namespace

std::string MarkdownText(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (IsLineBreak(c)) {
      out += ' ';
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '&') {
      out += "&amp;";
    } else if (c != '\0' && std::strchr("\\`*_[]#|~", c) != nullptr) {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out;
}

std::string MarkdownCode(const std::string& text) {
  std::string body;
  size_t run = 0, longest = 0;
  for (char c : text) {
    run = c == '`' ? run + 1 : 0;
    longest = std::max(longest, run);
    if (IsLineBreak(c)) {
      body += ' ';
    } else if (c == '|') {
      body += "\\|";  // GitHub ends a table cell at '|' even in a code span
    } else {
      body += c;
    }
  }
  const std::string fence(longest + 1, '`');
  // A span that starts or ends with a backtick needs a space inside the fence.
  const bool pad = !body.empty() && (body.front() == '`' || body.back() == '`');
  return fence + (pad ? " " : "") + body + (pad ? " " : "") + fence;
}

}  // namespace perfkit::report
