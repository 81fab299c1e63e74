#include "baselines/postgres_connection.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "baselines/libpq.h"
#include "baselines/location.h"
#include "subsystems/base/clock.h"

namespace perfkit::store::internal {
namespace {

// pg_type OIDs of the parameter types the store binds.
constexpr Oid kInt8 = 20;
constexpr Oid kFloat8 = 701;
constexpr Oid kText = 25;

// libpq's messages span lines ("ERROR:  ...\nDETAIL:  ..."); ours are one.
std::string OneLine(const char* message) {
  std::string out;
  std::string line;
  for (const char* p = message ? message : "";; ++p) {
    if (*p == '\n' || *p == '\0') {
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
      size_t start = line.find_first_not_of(" \t");
      if (start != std::string::npos) {
        line = line.substr(start);
        if (line.rfind("ERROR:  ", 0) == 0) line = line.substr(8);
        for (size_t at; (at = line.find(":  ")) != std::string::npos;) line.erase(at + 1, 1);
        out += (out.empty() ? "" : "; ") + line;
      }
      line.clear();
      if (*p == '\0') break;
    } else {
      line += *p;
    }
  }
  // libpq quotes a URI it cannot parse, password and all.
  return out.empty() ? "unknown error" : RedactPassword(out);
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string ReplaceWord(const std::string& text, const std::string& word, const std::string& by) {
  std::string out;
  size_t from = 0;
  for (size_t at; (at = text.find(word, from)) != std::string::npos; from = at + word.size()) {
    const bool starts = at == 0 || !IsWordChar(text[at - 1]);
    const bool ends = at + word.size() == text.size() || !IsWordChar(text[at + word.size()]);
    out += text.substr(from, at - from) + (starts && ends ? by : word);
  }
  return out + text.substr(from);
}

class PostgresConnection;

class PostgresQuery : public sql::Query {
 public:
  PostgresQuery(PostgresConnection& db, const std::string& sql);
  ~PostgresQuery() override;

  void Bind(int index, int64_t value) override { Set(index, kInt8, std::to_string(value)); }
  void Bind(int index, double value) override {
    if (std::isnan(value)) {
      Set(index, kFloat8, std::nullopt);
    } else {
      char text[32];
      snprintf(text, sizeof(text), "%.17g", value);
      Set(index, kFloat8, std::string(text));
    }
  }
  void Bind(int index, const std::string& value) override {
    if (value.find('\0') != std::string::npos && status_.ok()) {
      status_ = Status::Error("PostgreSQL text cannot hold a NUL byte (in '" +
                              value.substr(0, value.find('\0')) + "\\0...')");
    }
    Set(index, kText, value);
  }
  bool Next() override;
  Status status() const override { return status_; }
  int64_t Int(int col) const override { return std::strtoll(Value(col), nullptr, 10); }
  double Double(int col) const override;
  std::string Text(int col) const override;

 private:
  void Set(int index, Oid type, std::optional<std::string> value) {
    if (index < 1) return;
    if (params_.size() < static_cast<size_t>(index)) {
      params_.resize(index);
      types_.resize(index, kText);
    }
    params_[index - 1] = std::move(value);
    types_[index - 1] = type;
  }
  const char* Value(int col) const;

  PostgresConnection& db_;
  std::string sql_;
  std::vector<std::optional<std::string>> params_;
  std::vector<Oid> types_;
  PGresult* result_ = nullptr;
  bool executed_ = false;
  int row_ = -1;
  Status status_;
};

class PostgresConnection : public sql::Connection {
 public:
  PostgresConnection(const Libpq& pq, PGconn* conn, OpenMode mode)
      : pq_(pq), conn_(conn), mode_(mode) {}
  ~PostgresConnection() override { pq_.finish(conn_); }

  sql::Dialect dialect() const override { return sql::Dialect::kPostgres; }
  std::unique_ptr<sql::Query> Prepare(const std::string& sql) override {
    return std::make_unique<PostgresQuery>(*this, sql);
  }
  Status Exec(const std::string& sql) override {
    PGresult* r = pq_.exec(conn_, sql.c_str());
    Status s = Check(r);
    pq_.clear(r);
    return s;
  }
  Status Begin() override {
    Status s = Exec("BEGIN");
    return s.ok() ? s : s.WithPrefix("starting a transaction: ");
  }
  Status PrepareForWriting() override { return OkStatus(); }
  Result<int64_t> SchemaVersion() override {
    sql::Statement exists(*this, "SELECT to_regclass('perfkit_schema') IS NOT NULL");
    if (!exists.Next()) return exists.Missing("reading the schema version");
    if (exists.Text(0) != "t") return int64_t{0};
    sql::Statement q(*this, "SELECT version FROM perfkit_schema");
    if (!q.Next()) return q.Missing("reading the schema version");
    return q.Int(0);
  }
  Result<bool> HasForeignTables() override {
    sql::Statement q(
        *this, "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()");
    if (!q.Next()) return q.Missing("listing tables");
    return q.Int(0) > 0;
  }
  // Two runners starting at once against an empty database: the second
  // waits here, then finds the schema the first made. Taken outside the
  // transaction: one begun after the wait sees the first one's tables (a
  // session waiting inside a transaction kept its stale catalog cache and
  // migrated again).
  Status LockSchema() override {
    return Exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  }
  void UnlockSchema() override {
    (void)Exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
  }
  Status SetSchemaVersion(int version) override {
    return Exec(
        "CREATE TABLE IF NOT EXISTS perfkit_schema(version BIGINT NOT NULL); "
        "DELETE FROM perfkit_schema; INSERT INTO perfkit_schema VALUES(" +
        std::to_string(version) + ")");
  }
  std::string Translate(const std::string& migration) const override {
    return ToPostgresTypes(migration);
  }
  // The server keeps its own pages consistent; what perfkit can break is
  // its rows: repetitions whose benchmark or run is gone.
  Result<std::string> IntegrityCheck() override {
    sql::Statement q(*this,
                     "SELECT (SELECT COUNT(*) FROM samples s WHERE NOT EXISTS "
                     "(SELECT 1 FROM benchmarks b WHERE b.id = s.benchmark_id)) + "
                     "(SELECT COUNT(*) FROM benchmarks b WHERE NOT EXISTS "
                     "(SELECT 1 FROM runs r WHERE r.id = b.run_id))");
    if (!q.Next()) return q.Missing("checking rows");
    return q.Int(0) == 0 ? std::string("ok") : std::to_string(q.Int(0)) + " orphaned rows";
  }
  bool Lost() const override { return lost_; }
  Status Reconnect() override;

  // Whether a failed result means the connection is gone, though libpq may
  // not say so yet: an error libpq made itself (no SQLSTATE: "server closed
  // the connection unexpectedly" after an immediate shutdown), a connection
  // exception (08) or an operator's or a crash's shutdown (57P01-57P03).
  bool LostConnection(PGresult* r) const {
    if (r == nullptr) return true;
    const char* state = pq_.result_error_field(r, PG_DIAG_SQLSTATE);
    if (state == nullptr || *state == '\0') return true;
    const std::string code = state;
    return code.rfind("08", 0) == 0 || code == "57P01" || code == "57P02" || code == "57P03";
  }
  // A result's failure as a Status; notes a lost connection.
  Status Check(PGresult* r) {
    const ExecStatusType st = pq_.result_status(r);
    if (r != nullptr && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)) return OkStatus();
    if (pq_.status(conn_) == CONNECTION_BAD || LostConnection(r)) lost_ = true;
    return Status::Error(
        OneLine(r != nullptr ? pq_.result_error_message(r) : pq_.error_message(conn_)));
  }
  // A statement prepared once per connection, by its text.
  Result<std::string> Prepared(const std::string& sql, const std::vector<Oid>& types);
  const Libpq& pq() const { return pq_; }
  PGconn* conn() { return conn_; }
  Status Configure() {
    return mode_ == OpenMode::kReadOnly ? Exec("SET default_transaction_read_only = on")
                                        : OkStatus();
  }

 private:
  static constexpr int64_t kMigrationLock = 0x7065726b6974;  // "perkit" in ASCII

  const Libpq& pq_;
  PGconn* conn_;
  OpenMode mode_;
  bool lost_ = false;
  std::map<std::string, std::string> prepared_;
};

Result<std::string> PostgresConnection::Prepared(const std::string& sql,
                                                 const std::vector<Oid>& types) {
  auto it = prepared_.find(sql);
  if (it != prepared_.end()) return it->second;
  const std::string name = "perfkit_" + std::to_string(prepared_.size());
  PGresult* r =
      pq_.prepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data());
  Status s = Check(r);
  pq_.clear(r);
  if (!s.ok()) return s;
  prepared_[sql] = name;
  return name;
}

// Waits for a restarted server, as long as PERFKIT_DB_RECONNECT_SECONDS
// says (60 by default).
Status PostgresConnection::Reconnect() {
  double limit = 60;
  if (const char* env = std::getenv("PERFKIT_DB_RECONNECT_SECONDS"); env && *env) {
    limit = std::strtod(env, nullptr);
  }
  Clock& clock = LoopClock();
  const double deadline = clock.Now() + limit;
  for (;;) {
    pq_.reset(conn_);
    if (pq_.status(conn_) == CONNECTION_OK) {
      prepared_.clear();
      lost_ = false;
      return Configure();
    }
    if (clock.Now() >= deadline) {
      std::string why = OneLine(pq_.error_message(conn_));
      why = why.substr(0, why.find("; "));
      return Status::Error("the PostgreSQL server went away and did not come back within " +
                           std::to_string(static_cast<int>(limit)) + " s (" + why + ")");
    }
    clock.Sleep(0.25);
  }
}

PostgresQuery::PostgresQuery(PostgresConnection& db, const std::string& sql) : db_(db) {
  int parameters = 0;
  sql_ = ToDollarPlaceholders(sql, &parameters);
  params_.resize(parameters);
  types_.resize(parameters, kText);
}

PostgresQuery::~PostgresQuery() { db_.pq().clear(result_); }

bool PostgresQuery::Next() {
  if (!status_.ok()) return false;
  if (!executed_) {
    executed_ = true;
    auto name = db_.Prepared(sql_, types_);
    if (!name.ok()) {
      status_ = name.status();
      return false;
    }
    std::vector<const char*> values;
    for (const auto& p : params_) values.push_back(p ? p->c_str() : nullptr);
    result_ = db_.pq().exec_prepared(db_.conn(), name->c_str(), static_cast<int>(values.size()),
                                     values.data(), nullptr, nullptr, 0);
    status_ = db_.Check(result_);
    if (!status_.ok()) return false;
  }
  return ++row_ < db_.pq().ntuples(result_);
}

const char* PostgresQuery::Value(int col) const {
  if (result_ == nullptr || row_ < 0) return "";
  return db_.pq().getvalue(result_, row_, col);
}

double PostgresQuery::Double(int col) const {
  if (result_ == nullptr || db_.pq().getisnull(result_, row_, col)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return std::strtod(Value(col), nullptr);
}

std::string PostgresQuery::Text(int col) const {
  if (result_ == nullptr || row_ < 0) return "";
  return std::string(Value(col), static_cast<size_t>(db_.pq().getlength(result_, row_, col)));
}

void IgnoreNotice(void*, const char*) {}

}  // namespace

std::string ToDollarPlaceholders(const std::string& sql, int* parameters) {
  std::string out;
  int next = 0;
  int highest = 0;
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'') quoted = !quoted;
    if (c != '?' || quoted) {
      out += c;
      continue;
    }
    size_t end = i + 1;
    while (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) ++end;
    const int n = end > i + 1 ? std::atoi(sql.substr(i + 1, end - i - 1).c_str()) : ++next;
    highest = std::max(highest, n);
    out += "$" + std::to_string(n);
    i = end - 1;
  }
  *parameters = highest;
  return out;
}

std::string ToPostgresTypes(const std::string& migration) {
  std::string out = migration;
  const std::string id = "  id INTEGER PRIMARY KEY";
  for (size_t at; (at = out.find(id)) != std::string::npos;) {
    out.replace(at, id.size(), "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY");
  }
  out = ReplaceWord(out, "INTEGER", "BIGINT");
  return ReplaceWord(out, "REAL", "DOUBLE PRECISION");
}

Result<std::unique_ptr<sql::Connection>> OpenPostgres(const std::string& uri, OpenMode mode) {
  std::string why;
  const Libpq* pq = LoadLibpq(&why);
  if (pq == nullptr) return Status::Error(why);
  // Later keywords win: the URI's own settings and PG* variables (which
  // libpq reads for what is not given) beat these defaults.
  std::vector<const char*> keys = {"fallback_application_name"};
  std::vector<const char*> values = {"perfkit"};
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  keys.push_back("dbname");
  values.push_back(uri.c_str());
  keys.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = pq->connectdb_params(keys.data(), values.data(), 1);
  if (conn == nullptr) return Status::Error("cannot connect to PostgreSQL: out of memory");
  if (pq->status(conn) != CONNECTION_OK) {
    Status s = Status::Error("cannot connect to PostgreSQL: " + OneLine(pq->error_message(conn)));
    pq->finish(conn);
    return s;
  }
  pq->set_notice_processor(conn, IgnoreNotice, nullptr);
  auto connection = std::make_unique<PostgresConnection>(*pq, conn, mode);
  if (Status s = connection->Configure(); !s.ok()) return s;
  return std::unique_ptr<sql::Connection>(std::move(connection));
}

}  // namespace perfkit::store::internal
