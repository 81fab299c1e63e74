// What the carry-less multiply unit allows the folding CRC engines: one
// benchmark per vector width that runs only the multiplies folding 64 KiB
// takes, and a claim line per engine saying how close it comes.
#pragma once

#include "suites/suite.h"

namespace perfkit::suites {

void AddClmulBounds(SuiteSpec& suite);

}  // namespace perfkit::suites
