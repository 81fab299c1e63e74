#include "baselines/location.h"

#include <algorithm>

namespace perfkit::store {
namespace {

constexpr const char* kSchemes[] = {"postgresql://", "postgres://"};

// Where the URI starting at `from` ends: at the first space.
size_t UriEnd(const std::string& text, size_t from) {
  const size_t space = text.find_first_of(" \t\n", from);
  return space == std::string::npos ? text.size() : space;
}

std::string RedactUri(const std::string& uri, size_t scheme_length) {
  const size_t authority_end = uri.find_first_of("/?", scheme_length);
  std::string authority = uri.substr(scheme_length, authority_end - scheme_length);
  const size_t at = authority.rfind('@');
  if (at != std::string::npos) {
    const size_t colon = authority.find(':');
    if (colon < at) authority.erase(colon, at - colon);
  }
  std::string out = uri.substr(0, scheme_length) + authority;
  if (authority_end == std::string::npos) return out;
  const size_t query = uri.find('?', authority_end);
  out += uri.substr(authority_end, query - authority_end);
  if (query == std::string::npos) return out;
  std::string kept;
  for (size_t from = query + 1; from <= uri.size();) {
    size_t amp = uri.find('&', from);
    if (amp == std::string::npos) amp = uri.size();
    const std::string param = uri.substr(from, amp - from);
    if (param.rfind("password=", 0) != 0 && !param.empty()) {
      kept += (kept.empty() ? "" : "&") + param;
    }
    from = amp + 1;
  }
  return kept.empty() ? out : out + "?" + kept;
}

}  // namespace

bool IsPostgresUri(const std::string& location) {
  for (const char* scheme : kSchemes) {
    if (location.rfind(scheme, 0) == 0) return true;
  }
  return false;
}

std::string RedactPassword(const std::string& text) {
  std::string out;
  size_t from = 0;
  while (from < text.size()) {
    size_t best = std::string::npos;
    size_t scheme_length = 0;
    for (const char* scheme : kSchemes) {
      const size_t at = text.find(scheme, from);
      if (at < best) {
        best = at;
        scheme_length = std::char_traits<char>::length(scheme);
      }
    }
    if (best == std::string::npos) break;
    const size_t end = UriEnd(text, best);
    out += text.substr(from, best - from) + RedactUri(text.substr(best, end - best), scheme_length);
    from = end;
  }
  return out + text.substr(std::min(from, text.size()));
}

}  // namespace perfkit::store
