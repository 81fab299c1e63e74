// Text from runs (benchmark names, host fields, globs) is data, not markup:
// escaped so that markdown and GitHub's renderer show it as written, inside
// table cells too, and never pass raw HTML through.
#pragma once

#include <string>

namespace perfkit::report {

// Plain text: the characters markdown reads as emphasis, code, links,
// headings, strikethrough or table cell ends backslash-escaped; <, > and &
// as entities; line breaks as spaces.
std::string MarkdownText(const std::string& text);

// An inline code span holding `text` exactly (bar line breaks): a backtick
// fence longer than any run of backticks inside, '|' escaped for tables.
std::string MarkdownCode(const std::string& text);

}  // namespace perfkit::report
