/* perfkit's guest-side disk benchmark: random and sequential reads and
   writes with O_DIRECT through Linux native AIO (the raw system calls, so it
   links statically with nothing but the C library), at a chosen block size
   and queue depth, for a chosen time; and a sector pattern to write or
   check, for data integrity. It runs inside the guest against /dev/vda, and
   on the host against the backing file as the ceiling.

     perfkit-guest-io DEVICE STEP[,STEP...]
       test:NAME:OP:BLOCK:DEPTH:SECONDS[:JOBS]
                                          OP: randread randwrite seqread seqwrite;
                                          JOBS processes, one per CPU, DEPTH each
       fill:FIRST_SECTOR:SECTORS:TAG       write the pattern
       verify:FIRST_SECTOR:SECTORS:TAG     read it back and check every sector

   One line per step on stdout:
     PERFKIT-RESULT name=.. op=.. bs=.. qd=.. jobs=.. ops=.. seconds=.. iops=.. mbps=..
       p50_us=.. p99_us=.. irqs=..   (virtio request interrupts during it)
     PERFKIT-VERIFY first=.. sectors=.. bad=.. first_bad=..
     PERFKIT-ERROR <what went wrong> */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 256
#define MAX_SAMPLES (4u << 20)
#define SECTOR 512
#define MAX_JOBS 8

static int64_t NowNs(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t Random(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 0x2545f4914f6cdd1dull;
}

/* Sum of the interrupts of virtio request queues, from /proc/interrupts. */
static long VirtioInterrupts(void) {
  FILE* f = fopen("/proc/interrupts", "r");
  if (!f) return -1;
  char line[1024];
  long total = 0;
  while (fgets(line, sizeof line, f)) {
    if (!strstr(line, "virtio") || !strstr(line, "req")) continue;
    char* p = strchr(line, ':');
    if (!p) continue;
    ++p;
    for (;;) {
      char* end;
      long v = strtol(p, &end, 10);
      if (end == p) break;
      total += v;
      p = end;
    }
  }
  fclose(f);
  return total;
}

static uint64_t DeviceBytes(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return 0;
  if (S_ISBLK(st.st_mode)) {
    uint64_t bytes = 0;
    return ioctl(fd, BLKGETSIZE64, &bytes) == 0 ? bytes : 0;
  }
  return (uint64_t)st.st_size;
}

static int CompareU32(const void* a, const void* b) {
  uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
  return x < y ? -1 : x > y;
}

/* What one job did: its operations, their latencies in microseconds (up to
 * `capacity`), its time and whether any failed. In shared memory when jobs
 * are processes. */
struct Job {
  uint64_t ops;
  uint32_t count, capacity;
  double elapsed;
  int failed;     /* requests that did not transfer the whole block */
  char error[96]; /* a system call that failed, or "" */
  uint32_t samples[];
};

static void RunJob(int fd, uint64_t device_bytes, const char* op, long bs, int depth,
                   double seconds, struct Job* job) {
  const int write = strstr(op, "write") != NULL;
  const int random = strncmp(op, "rand", 4) == 0;
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, depth, &ctx) != 0) {
    snprintf(job->error, sizeof job->error, "io_setup: %s", strerror(errno));
    return;
  }
  static struct iocb cbs[MAX_DEPTH];
  static int64_t started[MAX_DEPTH];
  static void* buffers[MAX_DEPTH];
  const uint64_t blocks = device_bytes / (uint64_t)bs;
  uint64_t next_block = 0;
  for (int i = 0; i < depth; ++i) {
    if (!buffers[i] && posix_memalign(&buffers[i], 4096, 1 << 20) != 0) {
      snprintf(job->error, sizeof job->error, "out of memory");
      return;
    }
    memset(buffers[i], 0x5a ^ i, (size_t)bs);
  }
  const int64_t start = NowNs(), deadline = start + (int64_t)(seconds * 1e9);
  int inflight = 0;
  for (int i = 0; i < depth; ++i) { /* fill the queue */
    struct iocb* cb = &cbs[i];
    memset(cb, 0, sizeof *cb);
    cb->aio_fildes = (uint32_t)fd;
    cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
    cb->aio_buf = (uint64_t)(uintptr_t)buffers[i];
    cb->aio_nbytes = (uint64_t)bs;
    cb->aio_data = (uint64_t)i;
    cb->aio_offset = (int64_t)((random ? Random() % blocks : next_block++ % blocks) * (uint64_t)bs);
    struct iocb* one = cb;
    started[i] = NowNs();
    if (syscall(SYS_io_submit, ctx, 1, &one) != 1) {
      snprintf(job->error, sizeof job->error, "io_submit: %s", strerror(errno));
      return;
    }
    ++inflight;
  }
  struct io_event events[MAX_DEPTH];
  int64_t now = start;
  while (inflight > 0) {
    const int n = (int)syscall(SYS_io_getevents, ctx, 1, depth, events, NULL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      snprintf(job->error, sizeof job->error, "io_getevents: %s", strerror(errno));
      return;
    }
    now = NowNs();
    for (int k = 0; k < n; ++k) {
      const int i = (int)events[k].data;
      --inflight;
      if (events[k].res != bs) ++job->failed;
      ++job->ops;
      const int64_t us = (now - started[i]) / 1000;
      if (job->count < job->capacity) {
        job->samples[job->count++] = (uint32_t)(us > UINT32_MAX ? UINT32_MAX : us);
      }
      if (now >= deadline) continue;
      struct iocb* cb = &cbs[i];
      cb->aio_offset =
          (int64_t)((random ? Random() % blocks : next_block++ % blocks) * (uint64_t)bs);
      struct iocb* one = cb;
      started[i] = now;
      if (syscall(SYS_io_submit, ctx, 1, &one) != 1) {
        snprintf(job->error, sizeof job->error, "io_submit: %s", strerror(errno));
        return;
      }
      ++inflight;
    }
  }
  job->elapsed = (double)(now - start) / 1e9;
  syscall(SYS_io_destroy, ctx);
}

static int RunTest(int fd, uint64_t device_bytes, const char* name, const char* op, long bs,
                   int depth, double seconds, int jobs) {
  if (bs < SECTOR || bs % SECTOR || depth < 1 || depth > MAX_DEPTH || seconds <= 0 ||
      (uint64_t)bs > device_bytes || jobs < 1 || jobs > MAX_JOBS) {
    printf("PERFKIT-ERROR %s: bad parameters\n", name);
    return 1;
  }
  /* Every job's record in one shared mapping, so that jobs can be
   * processes (each pinned to its CPU, so blk-mq gives each its own queue)
   * and the latencies still merge. */
  const uint32_t capacity = MAX_SAMPLES / (uint32_t)jobs;
  const size_t each = sizeof(struct Job) + (size_t)capacity * sizeof(uint32_t);
  uint8_t* shared =
      mmap(NULL, each * (size_t)jobs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) {
    printf("PERFKIT-ERROR %s: mmap: %s\n", name, strerror(errno));
    return 1;
  }
  const long irq_before = VirtioInterrupts();
  if (jobs == 1) {
    struct Job* job = (struct Job*)shared;
    job->capacity = capacity;
    RunJob(fd, device_bytes, op, bs, depth, seconds, job);
  } else {
    pid_t pids[MAX_JOBS];
    for (int j = 0; j < jobs; ++j) {
      struct Job* job = (struct Job*)(shared + each * (size_t)j);
      job->capacity = capacity;
      pids[j] = fork();
      if (pids[j] == 0) {
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(j, &cpus);
        sched_setaffinity(0, sizeof cpus, &cpus);
        rng_state += (uint64_t)j * 0x632be59bd9b4e019ull;
        RunJob(fd, device_bytes, op, bs, depth, seconds, job);
        _exit(0);
      }
      if (pids[j] < 0) snprintf(job->error, sizeof job->error, "fork: %s", strerror(errno));
    }
    for (int j = 0; j < jobs; ++j) {
      if (pids[j] > 0) waitpid(pids[j], NULL, 0);
    }
  }
  const long irq_after = VirtioInterrupts();
  uint64_t ops = 0;
  uint32_t count = 0;
  double elapsed = 0;
  int failed = 0;
  for (int j = 0; j < jobs; ++j) {
    const struct Job* job = (const struct Job*)(shared + each * (size_t)j);
    if (job->error[0] != 0) {
      printf("PERFKIT-ERROR %s: %s\n", name, job->error);
      munmap(shared, each * (size_t)jobs);
      return 1;
    }
    ops += job->ops;
    failed += job->failed;
    count += job->count;
    if (job->elapsed > elapsed) elapsed = job->elapsed;
  }
  uint32_t* all = malloc((size_t)count * sizeof(uint32_t) + 1);
  if (all == NULL) {
    printf("PERFKIT-ERROR %s: out of memory\n", name);
    munmap(shared, each * (size_t)jobs);
    return 1;
  }
  for (uint32_t j = 0, at = 0; j < (uint32_t)jobs; ++j) {
    const struct Job* job = (const struct Job*)(shared + each * j);
    memcpy(all + at, job->samples, (size_t)job->count * sizeof(uint32_t));
    at += job->count;
  }
  int status = 0;
  if (failed) {
    printf("PERFKIT-ERROR %s: %d of %llu requests failed\n", name, failed,
           (unsigned long long)ops);
    status = 1;
  } else {
    qsort(all, count, sizeof all[0], CompareU32);
    const uint32_t p50 = count ? all[count / 2] : 0;
    const uint32_t p99 = count ? all[(uint64_t)count * 99 / 100] : 0;
    printf(
        "PERFKIT-RESULT name=%s op=%s bs=%ld qd=%d jobs=%d ops=%llu seconds=%.4f iops=%.1f "
        "mbps=%.2f p50_us=%u p99_us=%u irqs=%ld\n",
        name, op, bs, depth, jobs, (unsigned long long)ops, elapsed, ops / elapsed,
        ops * (double)bs / elapsed / 1e6, p50, p99,
        irq_before >= 0 && irq_after >= 0 ? irq_after - irq_before : -1);
  }
  free(all);
  munmap(shared, each * (size_t)jobs);
  return status;
}

/* Each sector: its number, the tag, then bytes derived from both. */
static void Pattern(uint8_t* s, uint64_t sector, uint64_t tag) {
  memcpy(s, &sector, 8);
  memcpy(s + 8, &tag, 8);
  for (int i = 16; i < SECTOR; ++i) s[i] = (uint8_t)(sector * 31 + tag + (uint64_t)i);
}

static int FillOrVerify(int fd, int verify, uint64_t first, uint64_t sectors, uint64_t tag) {
  enum { kChunk = 256 }; /* sectors per transfer */
  void* mem;
  if (posix_memalign(&mem, 4096, kChunk * SECTOR) != 0) return 1;
  uint8_t* buf = mem;
  uint8_t want[SECTOR];
  uint64_t bad = 0, first_bad = 0;
  for (uint64_t at = first; at < first + sectors; at += kChunk) {
    const uint64_t n = first + sectors - at < kChunk ? first + sectors - at : kChunk;
    if (!verify) {
      for (uint64_t i = 0; i < n; ++i) Pattern(buf + i * SECTOR, at + i, tag);
    }
    const ssize_t done = verify ? pread(fd, buf, n * SECTOR, (off_t)(at * SECTOR))
                                : pwrite(fd, buf, n * SECTOR, (off_t)(at * SECTOR));
    if (done != (ssize_t)(n * SECTOR)) {
      printf("PERFKIT-ERROR %s at sector %llu: %s\n", verify ? "read" : "write",
             (unsigned long long)at, done < 0 ? strerror(errno) : "short transfer");
      return 1;
    }
    for (uint64_t i = 0; verify && i < n; ++i) {
      Pattern(want, at + i, tag);
      if (memcmp(want, buf + i * SECTOR, SECTOR) != 0 && bad++ == 0) first_bad = at + i;
    }
  }
  if (!verify && fdatasync(fd) != 0) {
    printf("PERFKIT-ERROR fdatasync: %s\n", strerror(errno));
    return 1;
  }
  printf("PERFKIT-%s first=%llu sectors=%llu bad=%llu first_bad=%llu\n", verify ? "VERIFY" : "FILL",
         (unsigned long long)first, (unsigned long long)sectors, (unsigned long long)bad,
         (unsigned long long)first_bad);
  free(mem);
  return bad != 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s DEVICE STEP[,STEP...]\n", argv[0]);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  const int fd = open(argv[1], O_RDWR | O_DIRECT);
  if (fd < 0) {
    printf("PERFKIT-ERROR open %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  const uint64_t bytes = DeviceBytes(fd);
  int status = 0;
  for (char* step = strtok(argv[2], ","); step; step = strtok(NULL, ",")) {
    char kind[16], name[64], op[16];
    long bs;
    int depth;
    double seconds;
    unsigned long long first, sectors, tag;
    int jobs = 1;
    const int fields =
        sscanf(step, "test:%63[^:]:%15[^:]:%ld:%d:%lf:%d", name, op, &bs, &depth, &seconds, &jobs);
    if (fields == 5 || fields == 6) {
      status |= RunTest(fd, bytes, name, op, bs, depth, seconds, jobs);
    } else if (sscanf(step, "%15[a-z]:%llu:%llu:%llu", kind, &first, &sectors, &tag) == 4 &&
               (!strcmp(kind, "fill") || !strcmp(kind, "verify")) &&
               (first + sectors) * SECTOR <= bytes) {
      status |= FillOrVerify(fd, !strcmp(kind, "verify"), first, sectors, tag);
    } else {
      printf("PERFKIT-ERROR cannot run step '%s'\n", step);
      status = 1;
    }
  }
  return status;
}
