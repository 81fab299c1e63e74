// jemalloc, a peer of the slab suite, is dlopen'ed and keeps 2.6 KiB of
// initial-exec TLS; glibc spares only 512 B of static TLS for dlopen unless
// told so at start-up. `perfkit bench` therefore re-executes itself once with
// GLIBC_TUNABLES raised, and puts the variable back as it was for children.
#pragma once

namespace perfkit::cli {

void ReserveStaticTlsForPeers(char** argv);

}  // namespace perfkit::cli
