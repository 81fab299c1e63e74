// perfkit tune's choices, one row per host.
#include <cstdint>
#include <optional>
#include <string>

#include "baselines/sql.h"
#include "baselines/store.h"

namespace perfkit::store {

using sql::Statement;

namespace {
constexpr int kTuningSchema = 7;
constexpr int kRepMovsbSchema = 8;
constexpr int kRepStosbSchema = 9;

std::string FastStringsFrom(const std::optional<uint64_t>& from) {
  return from ? FormatStreamFrom(*from) : "";
}
}  // namespace

Status Store::SaveTuning(const Tuning& t) {
  return InTransaction([&] {
    Statement upsert(*db_,
                     "INSERT INTO tunings(host_fingerprint, created_at, run_id, crc32, crc32c, "
                     "copy_stream_from, set_stream_from, copy_rep_movsb_from, set_rep_stosb_from) "
                     "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?) "
                     "ON CONFLICT(host_fingerprint) DO UPDATE SET created_at = "
                     "excluded.created_at, run_id = excluded.run_id, crc32 = excluded.crc32, "
                     "crc32c = excluded.crc32c, copy_stream_from = excluded.copy_stream_from, "
                     "set_stream_from = excluded.set_stream_from, "
                     "copy_rep_movsb_from = excluded.copy_rep_movsb_from, "
                     "set_rep_stosb_from = excluded.set_rep_stosb_from");
    upsert.Bind(1, t.host_fingerprint)
        .Bind(2, t.created_at)
        .Bind(3, t.run_id)
        .Bind(4, FormatBands(t.crc32))
        .Bind(5, FormatBands(t.crc32c))
        .Bind(6, FormatStreamFrom(t.copy_stream_from))
        .Bind(7, FormatStreamFrom(t.set_stream_from))
        .Bind(8, FastStringsFrom(t.copy_rep_movsb_from))
        .Bind(9, FastStringsFrom(t.set_rep_stosb_from));
    return upsert.Run();
  });
}

Result<std::optional<Tuning>> Store::LoadTuning(const std::string& host_fingerprint) {
  if (schema_version_ < kTuningSchema) return std::optional<Tuning>();
  // A store opened read-only may be older than the rep movsb and stosb columns.
  const bool rep = schema_version_ >= kRepMovsbSchema;
  const bool stosb = schema_version_ >= kRepStosbSchema;
  Statement q(*db_, std::string("SELECT created_at, run_id, crc32, crc32c, copy_stream_from, "
                                "set_stream_from") +
                        (rep ? ", copy_rep_movsb_from" : "") +
                        (stosb ? ", set_rep_stosb_from" : "") +
                        " FROM tunings WHERE host_fingerprint = ?");
  q.Bind(1, host_fingerprint);
  if (!q.Next()) {
    if (!q.status().ok()) return q.status().WithPrefix("reading the tuning: ");
    return std::optional<Tuning>();
  }
  Tuning t;
  t.host_fingerprint = host_fingerprint;
  t.created_at = q.Text(0);
  t.run_id = q.Int(1);
  auto crc32 = ParseBands(q.Text(2));
  auto crc32c = ParseBands(q.Text(3));
  auto copy = ParseStreamFrom(q.Text(4));
  auto set = ParseStreamFrom(q.Text(5));
  for (const Status* s : {&crc32.status(), &crc32c.status(), &copy.status(), &set.status()}) {
    if (!s->ok()) return s->WithPrefix("the stored tuning of host " + host_fingerprint + ": ");
  }
  t.crc32 = std::move(*crc32);
  t.crc32c = std::move(*crc32c);
  t.copy_stream_from = *copy;
  t.set_stream_from = *set;
  // '' in a tuning from before tune measured it: the CPU's rule stands.
  const auto fast_strings = [&](bool has, int column, std::optional<uint64_t>& out) {
    if (!has || q.Text(column).empty()) return OkStatus();
    auto from = ParseStreamFrom(q.Text(column));
    if (!from.ok()) {
      return from.status().WithPrefix("the stored tuning of host " + host_fingerprint + ": ");
    }
    out = *from;
    return OkStatus();
  };
  if (Status s = fast_strings(rep, 6, t.copy_rep_movsb_from); !s.ok()) return s;
  if (Status s = fast_strings(stosb, 7, t.set_rep_stosb_from); !s.ok()) return s;
  return std::optional<Tuning>(std::move(t));
}

Result<bool> Store::DeleteTuning(const std::string& host_fingerprint) {
  auto existing = LoadTuning(host_fingerprint);
  if (!existing.ok()) return existing.status();
  if (!existing->has_value()) return false;
  Status s = InTransaction([&] {
    Statement del(*db_, "DELETE FROM tunings WHERE host_fingerprint = ?");
    del.Bind(1, host_fingerprint);
    return del.Run();
  });
  if (!s.ok()) return s;
  return true;
}

}  // namespace perfkit::store
