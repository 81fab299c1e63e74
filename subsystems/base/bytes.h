// Sizes for people: "32 KiB", "16 MiB", "100 B".
#pragma once

#include <cstdint>
#include <string>

namespace perfkit {

std::string FormatBytes(int64_t bytes);

}  // namespace perfkit
