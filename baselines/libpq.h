// libpq, loaded when a PostgreSQL store is first opened. Linking it would
// make every start of perfkit relocate libpq and the TLS, Kerberos and LDAP
// libraries behind it, though most runs use the embedded SQLite store.
#pragma once

#include <libpq-fe.h>

#include <string>

namespace perfkit::store::internal {

struct Libpq {
  decltype(&PQconnectdbParams) connectdb_params;
  decltype(&PQstatus) status;
  decltype(&PQerrorMessage) error_message;
  decltype(&PQfinish) finish;
  decltype(&PQreset) reset;
  decltype(&PQexec) exec;
  decltype(&PQprepare) prepare;
  decltype(&PQexecPrepared) exec_prepared;
  decltype(&PQresultStatus) result_status;
  decltype(&PQresultErrorMessage) result_error_message;
  decltype(&PQresultErrorField) result_error_field;
  decltype(&PQclear) clear;
  decltype(&PQntuples) ntuples;
  decltype(&PQgetvalue) getvalue;
  decltype(&PQgetlength) getlength;
  decltype(&PQgetisnull) getisnull;
  decltype(&PQsetNoticeProcessor) set_notice_processor;
  decltype(&PQconninfoParse) conninfo_parse;
  decltype(&PQconninfoFree) conninfo_free;
  decltype(&PQfreemem) freemem;
};

// The library, loaded once; nullptr with the reason in *why when it is
// missing.
const Libpq* LoadLibpq(std::string* why);

}  // namespace perfkit::store::internal
