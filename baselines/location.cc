#include "baselines/location.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>

#include "baselines/libpq.h"

namespace perfkit::store {
namespace {

constexpr const char* kSchemes[] = {"postgresql://", "postgres://"};

size_t SchemeLength(const std::string& text, size_t at) {
  for (const char* scheme : kSchemes) {
    if (text.compare(at, std::char_traits<char>::length(scheme), scheme) == 0) {
      return std::char_traits<char>::length(scheme);
    }
  }
  return 0;
}

std::string PercentDecoded(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Passwords of the locations seen so far: masked in any text, as a second
// line of defence behind reading each URI.
struct Secrets {
  std::mutex mu;
  std::vector<std::string> values;
};
Secrets& KnownSecrets() {
  static Secrets* secrets = new Secrets;
  return *secrets;
}

void Remember(const std::vector<std::string>& passwords) {
  Secrets& s = KnownSecrets();
  std::lock_guard<std::mutex> lock(s.mu);
  for (const std::string& p : passwords) {
    // Masking a one- or two-letter password would garble every message;
    // the URIs themselves are still read without it.
    if (p.size() >= 3 && std::find(s.values.begin(), s.values.end(), p) == s.values.end()) {
      s.values.push_back(p);
    }
  }
}

// Without libpq, or for a URI libpq refuses: no user information but the
// user, and no query parameter that might be a password (whatever the case
// or encoding of its key).
ParsedUri ParseByHand(const std::string& uri, size_t scheme_length) {
  ParsedUri out;
  std::string rest = uri.substr(scheme_length);
  std::string user;
  if (const size_t at = rest.rfind('@'); at != std::string::npos) {
    const std::string info = rest.substr(0, at);
    const size_t colon = info.find(':');
    user = info.substr(0, colon);
    if (colon != std::string::npos) {
      out.passwords = {info.substr(colon + 1), PercentDecoded(info.substr(colon + 1))};
    }
    rest = rest.substr(at + 1);
  }
  const size_t query = rest.find('?');
  out.shown =
      uri.substr(0, scheme_length) + (user.empty() ? "" : user + "@") + rest.substr(0, query);
  if (query == std::string::npos) return out;
  std::string kept;
  for (size_t from = query + 1; from <= rest.size();) {
    size_t amp = rest.find('&', from);
    if (amp == std::string::npos) amp = rest.size();
    const std::string param = rest.substr(from, amp - from);
    const size_t eq = param.find('=');
    if (Lower(PercentDecoded(param.substr(0, eq))).find("pass") == std::string::npos) {
      if (!param.empty()) kept += (kept.empty() ? "" : "&") + param;
    } else if (eq != std::string::npos) {
      out.passwords.push_back(param.substr(eq + 1));
      out.passwords.push_back(PercentDecoded(param.substr(eq + 1)));
    }
    from = amp + 1;
  }
  if (!kept.empty()) out.shown += "?" + kept;
  return out;
}

// From libpq's reading: every option it found, but those it marks secret.
ParsedUri FromOptions(const std::string& scheme, const PQconninfoOption* options) {
  ParsedUri out;
  std::string user, host, port, dbname, query;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string key = o->keyword;
    if (key == "password" || (o->dispchar != nullptr && std::string(o->dispchar) == "*")) {
      out.passwords.push_back(o->val);
    } else if (key == "user") {
      user = o->val;
    } else if (key == "host" && o->val[0] != '/' && o->val[0] != '@') {
      host = o->val;
    } else if (key == "port") {
      // "h1,h2" without ports reads as port ","; several ports stay in the query.
      const std::string ports = o->val;
      if (ports.find_first_not_of(',') == std::string::npos) continue;
      if (ports.find(',') == std::string::npos) {
        port = ports;
      } else {
        query += (query.empty() ? "?" : "&") + key + "=" + ports;
      }
    } else if (key == "dbname") {
      dbname = o->val;
    } else {
      query += (query.empty() ? "?" : "&") + key + "=" + o->val;
    }
  }
  out.shown = scheme + (user.empty() ? "" : user + "@") + host + (port.empty() ? "" : ":" + port) +
              (dbname.empty() ? "" : "/" + dbname) + query;
  return out;
}

}  // namespace

bool IsPostgresUri(const std::string& location) { return SchemeLength(location, 0) > 0; }

ParsedUri ParsePostgresUri(const std::string& uri) {
  const size_t scheme_length = SchemeLength(uri, 0);
  ParsedUri by_hand = ParseByHand(uri, scheme_length);
  const internal::Libpq* pq = internal::LoadLibpq(nullptr);
  char* error = nullptr;
  PQconninfoOption* options = pq != nullptr ? pq->conninfo_parse(uri.c_str(), &error) : nullptr;
  if (error != nullptr) pq->freemem(error);
  if (options == nullptr) return by_hand;
  ParsedUri out = FromOptions(uri.substr(0, scheme_length), options);
  pq->conninfo_free(options);
  // With several '@' libpq ends the password at the first, and takes the
  // rest of what the user meant as a password for host and port: show only
  // what follows the last.
  if (std::count(uri.begin(), uri.end(), '@') > 1) out.shown = by_hand.shown;
  // What reading by hand took for a password is masked too.
  out.passwords.insert(out.passwords.end(), by_hand.passwords.begin(), by_hand.passwords.end());
  return out;
}

std::string ShownLocation(const std::string& location) {
  if (!IsPostgresUri(location)) return location;
  ParsedUri parsed = ParsePostgresUri(location);
  Remember(parsed.passwords);
  return parsed.shown;
}

std::string RedactPassword(const std::string& text) {
  std::string masked = text;
  {
    Secrets& s = KnownSecrets();
    std::lock_guard<std::mutex> lock(s.mu);
    for (const std::string& secret : s.values) {
      for (size_t at; (at = masked.find(secret)) != std::string::npos;) {
        masked.replace(at, secret.size(), "***");
      }
    }
  }
  std::string out;
  for (size_t from = 0; from < masked.size();) {
    size_t at = from;
    while (at < masked.size() && SchemeLength(masked, at) == 0) ++at;
    out += masked.substr(from, at - from);
    if (at == masked.size()) break;
    // In free text a URI ends at the first blank or quote.
    size_t end = masked.find_first_of(" \t\n\"'", at);
    if (end == std::string::npos) end = masked.size();
    out += ParsePostgresUri(masked.substr(at, end - at)).shown;
    from = end;
  }
  return out;
}

std::string RedactArgument(const std::string& arg) {
  for (size_t at = 0; at < arg.size(); ++at) {
    if (SchemeLength(arg, at) > 0) {
      return RedactPassword(arg.substr(0, at)) + ShownLocation(arg.substr(at));
    }
  }
  return RedactPassword(arg);
}

StoreLocation::StoreLocation(std::string location)
    : full_(std::move(location)),
      shown_(ShownLocation(full_)),
      kind_(IsPostgresUri(full_) ? Kind::kPostgres : Kind::kSqlite) {}

bool StoreLocation::MayHoldRuns() const {
  std::error_code ec;
  return postgres() || (!empty() && std::filesystem::exists(full_, ec));
}

}  // namespace perfkit::store
