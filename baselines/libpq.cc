#include "baselines/libpq.h"

#include "subsystems/base/shared_library.h"

namespace perfkit::store::internal {

const Libpq* LoadLibpq(std::string* why) {
  // A function-local static: loaded once, thread-safely, on first use.
  static const struct Loaded {
    Libpq lib{};
    std::string why;
    Loaded() {
      SharedLibrary so("libpq.so.5", "libpq5");
      Libpq& p = lib;
      const bool ok =
          so.Resolve("PQconnectdbParams", &p.connectdb_params) &&
          so.Resolve("PQstatus", &p.status) && so.Resolve("PQerrorMessage", &p.error_message) &&
          so.Resolve("PQfinish", &p.finish) && so.Resolve("PQreset", &p.reset) &&
          so.Resolve("PQexec", &p.exec) && so.Resolve("PQprepare", &p.prepare) &&
          so.Resolve("PQexecPrepared", &p.exec_prepared) &&
          so.Resolve("PQresultStatus", &p.result_status) &&
          so.Resolve("PQresultErrorMessage", &p.result_error_message) &&
          so.Resolve("PQresultErrorField", &p.result_error_field) &&
          so.Resolve("PQclear", &p.clear) && so.Resolve("PQntuples", &p.ntuples) &&
          so.Resolve("PQgetvalue", &p.getvalue) && so.Resolve("PQgetlength", &p.getlength) &&
          so.Resolve("PQgetisnull", &p.getisnull) &&
          so.Resolve("PQsetNoticeProcessor", &p.set_notice_processor) &&
          so.Resolve("PQconninfoParse", &p.conninfo_parse) &&
          so.Resolve("PQconninfoFree", &p.conninfo_free) && so.Resolve("PQfreemem", &p.freemem);
      if (!ok) why = "a PostgreSQL store needs libpq: " + so.why();
    }
  } loaded;
  if (!loaded.why.empty()) {
    if (why != nullptr) *why = loaded.why;
    return nullptr;
  }
  return &loaded.lib;
}

}  // namespace perfkit::store::internal
