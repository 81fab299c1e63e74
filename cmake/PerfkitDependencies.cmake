# Every dependency is a Debian package; a missing one stops configuration with
# the apt-get line that fixes it.

macro(perfkit_require_package pkg apt)
  find_package(${pkg} ${ARGN} QUIET)
  if(NOT ${pkg}_FOUND)
    message(FATAL_ERROR "perfkit needs ${pkg}: apt-get install ${apt}")
  endif()
endmacro()

# Start-up: every shared library costs the loader symbol look-ups on every
# run (`perfkit --version` took three times /bin/true with 16 of them), so
# where a -dev package ships the static archive perfkit links that instead.
# The price: a library's security fix reaches perfkit with its next build.
set(ZLIB_USE_STATIC_LIBS ON)
set(Protobuf_USE_STATIC_LIBS ON)
find_library(SQLite3_LIBRARY NAMES libsqlite3.a sqlite3)

# Finds a C library without a CMake package and wraps it in an imported target.
function(perfkit_require_library target lib header apt)
  find_library(${target}_LIBRARY NAMES lib${lib}.a ${lib})
  find_path(${target}_INCLUDE_DIR NAMES ${header})
  if(NOT ${target}_LIBRARY OR NOT ${target}_INCLUDE_DIR)
    message(FATAL_ERROR "perfkit needs ${lib} (${header}): apt-get install ${apt}")
  endif()
  add_library(perfkit_dep_${target} INTERFACE IMPORTED GLOBAL)
  target_link_libraries(perfkit_dep_${target} INTERFACE ${${target}_LIBRARY})
  target_include_directories(perfkit_dep_${target} INTERFACE ${${target}_INCLUDE_DIR})
endfunction()

perfkit_require_package(CLI11 libcli11-dev)
perfkit_require_package(fmt libfmt-dev)
perfkit_require_package(benchmark libbenchmark-dev)
perfkit_require_package(SQLite3 libsqlite3-dev)
perfkit_require_package(nlohmann_json nlohmann-json3-dev)
perfkit_require_package(ZLIB zlib1g-dev)
find_package(Threads REQUIRED)

# libpfm4 is dlopen'ed on first use (subsystems/profiler/libpfm.h): only its
# headers are needed to build.
find_path(PERFKIT_PFM_INCLUDE perfmon/pfmlib_perf_event.h)
if(NOT PERFKIT_PFM_INCLUDE)
  message(FATAL_ERROR "perfkit needs libpfm4's headers: apt-get install libpfm4-dev")
endif()
# libpq likewise (baselines/libpq.h): only a PostgreSQL store loads it.
find_path(PERFKIT_PQ_INCLUDE libpq-fe.h PATH_SUFFIXES postgresql)
if(NOT PERFKIT_PQ_INCLUDE)
  message(FATAL_ERROR "perfkit needs libpq's headers: apt-get install libpq-dev")
endif()
perfkit_require_library(deflate deflate libdeflate.h libdeflate-dev)
perfkit_require_library(isal isal isa-l/crc.h libisal-dev)
perfkit_require_library(elf elf libelf.h libelf-dev)
perfkit_require_library(dw dw elfutils/libdwfl.h libdw-dev)
if(dw_LIBRARY MATCHES "\\.a$")
  # libdw's archive needs what its shared object records: libelf and the
  # decompressors it reads debug sections with.
  find_library(PERFKIT_LZMA_A liblzma.a)
  find_library(PERFKIT_BZ2_A libbz2.a)
  if(NOT PERFKIT_LZMA_A OR NOT PERFKIT_BZ2_A)
    message(FATAL_ERROR "perfkit needs liblzma.a and libbz2.a: apt-get install liblzma-dev libbz2-dev")
  endif()
  target_link_libraries(perfkit_dep_dw INTERFACE ${elf_LIBRARY} ${PERFKIT_LZMA_A} ${PERFKIT_BZ2_A} ${ZLIB_LIBRARY_RELEASE})
endif()
perfkit_require_library(uring uring liburing.h liburing-dev)
perfkit_require_package(Protobuf "libprotobuf-dev protobuf-compiler")
perfkit_require_library(flatbuffers flatbuffers flatbuffers/flatbuffers.h libflatbuffers-dev)

if(PERFKIT_BUILD_TESTS)
  perfkit_require_package(GTest "googletest libgtest-dev libgmock-dev")
endif()

set(PERFKIT_BENCHMARK_VERSION "${benchmark_VERSION}")

# Allocator peers of the slab suite. They are dlopen'ed at run time, never
# linked: each exports `malloc` and would replace glibc's for the whole
# process. A missing one is skipped with its apt line.
find_library(PERFKIT_MIMALLOC_SO mimalloc)
find_library(PERFKIT_JEMALLOC_SO jemalloc)
find_library(PERFKIT_TCMALLOC_SO tcmalloc_minimal)

# Peers of the rings suite, header-only or inline: Boost.Lockfree
# (libboost-dev), moodycamel's ConcurrentQueue (libconcurrentqueue-dev) and
# DPDK's rte_ring, whose fast path is inline in its headers (libdpdk-dev; the
# library itself, librte-ring23, is dlopen'ed like the jit suite's rte_bpf).
# A missing one is skipped with its apt line.
find_path(PERFKIT_BOOST_LOCKFREE_INCLUDE boost/lockfree/spsc_queue.hpp)
find_path(PERFKIT_MOODYCAMEL_INCLUDE concurrentqueue/concurrentqueue.h)
find_path(PERFKIT_DPDK_INCLUDE rte_ring.h PATH_SUFFIXES dpdk)
find_path(PERFKIT_DPDK_CONFIG_INCLUDE rte_config.h PATH_SUFFIXES x86_64-linux-gnu/dpdk dpdk)
