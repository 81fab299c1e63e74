/* The virtio suite's network measurement inside the guest, against a peer
 * (perfkit's reflecting device, or perfkit's endpoints on the host: see
 * qemu/net_lab.h), from one flow per CPU so the flows spread over the
 * card's queues. Every byte that comes back is checked.
 *
 *   perfkit-guest-net PEER STEP[,STEP...]
 *   STEP = KIND:NAME:PAYLOAD_BYTES:FLOWS:SECONDS, KIND one of
 *     udp        datagrams the peer sends back, a window of 32 per flow;
 *                each carries its flow, its sequence number and bytes
 *                derived from both
 *     tcprr      a request of PAYLOAD bytes, the same bytes back, the next
 *     tcpstream  the host's patterned stream read PAYLOAD bytes at a time
 *
 * Prints, per step:
 *   PERFKIT-NETRESULT name=... payload=... flows=... seconds=... packets=...
 *     pps=... mbps=... bad=... lost=... irqs=...
 *     kicks=...
 * where packets are the datagrams, responses or PAYLOAD-byte pieces of the
 * stream that came back intact, bad the ones that came back wrong (a
 * stream stops at its first), lost the UDP windows refilled after a 200 ms
 * silence, irqs the virtio interrupts the guest took meanwhile and kicks
 * the notifications its driver sent the device (each -1 if unknown); mbps
 * counts one direction's payload. A step with bad ones first says what was
 * wrong with the first:
 *   PERFKIT-NETBAD name=... flow=... (what it got and where it differs)
 * Errors are PERFKIT-ERROR lines. Static, so the initramfs needs no libraries. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 16
#define MAX_PAYLOAD 1472
#define MAX_READ 65536
#define WINDOW 32
#define BASE_LOCAL_PORT 40000
/* qemu/net_lab.h's ports */
#define UDP_ECHO_PORT 5001
#define TCP_ECHO_PORT 5101
#define TCP_STREAM_PORT 5201

enum Kind { kUdp, kTcpRr, kTcpStream };

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Byte i of datagram `seq` of flow `flow`, past its 16-byte header. */
static uint8_t PatternByte(uint64_t flow, uint64_t seq, size_t i) {
  return (uint8_t)(seq * 131 + flow * 17 + i * 7);
}

/* The host's TCP stream (qemu/net_lab.cc's StreamByte): little-endian
 * words, word k being (k + 1) * STREAM_STEP. */
#define STREAM_STEP 0x9E3779B97F4A7C15ull

static uint8_t StreamByte(uint64_t offset) {
  const uint64_t word = ((offset >> 3) + 1) * STREAM_STEP;
  return (uint8_t)(word >> ((offset & 7) * 8));
}

/* Whether the n bytes at d are the stream's from `offset`: a word at a
 * time where it can (the guest's CPU is the bound under TCG). */
static int StreamIntact(const uint8_t* d, size_t n, uint64_t offset) {
  size_t i = 0;
  for (; i < n && ((offset + i) & 7) != 0; ++i) {
    if (d[i] != StreamByte(offset + i)) return 0;
  }
  uint64_t expected = (((offset + i) >> 3) + 1) * STREAM_STEP;
  for (; i + 8 <= n; i += 8, expected += STREAM_STEP) {
    uint64_t w;
    memcpy(&w, d + i, 8);
    if (w != expected) return 0;
  }
  for (; i < n; ++i) {
    if (d[i] != StreamByte(offset + i)) return 0;
  }
  return 1;
}

static void Fill(uint8_t* d, size_t size, uint64_t flow, uint64_t seq) {
  memcpy(d, &flow, 8);
  memcpy(d + 8, &seq, 8);
  for (size_t i = 16; i < size; ++i) d[i] = PatternByte(flow, seq, i);
}

/* The first byte where `got` and `want` differ, for a report. */
static size_t FirstDifference(const uint8_t* got, const uint8_t* want, size_t n) {
  size_t i = 0;
  while (i < n && got[i] == want[i]) ++i;
  return i;
}

static int Intact(const uint8_t* d, size_t size, uint64_t flow) {
  uint64_t f, seq;
  memcpy(&f, d, 8);
  memcpy(&seq, d + 8, 8);
  if (f != flow) return 0;
  for (size_t i = 16; i < size; ++i) {
    if (d[i] != PatternByte(flow, seq, i)) return 0;
  }
  return 1;
}

/* Interrupts of every virtio line in /proc/interrupts, all CPUs. */
static long long VirtioInterrupts(void) {
  FILE* f = fopen("/proc/interrupts", "r");
  if (f == NULL) return -1;
  char line[4096];
  long long total = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strstr(line, "virtio") == NULL) continue;
    char* p = strchr(line, ':');
    if (p == NULL) continue;
    for (++p;;) {
      char* end;
      long long v = strtoll(p, &end, 10);
      if (end == p) break;
      total += v;
      p = end;
    }
  }
  fclose(f);
  return total;
}

/* The kicks virtio_net sent the device on every queue of eth0 (init.sh's
 * card), from its ethtool statistics ("tx_queue_0_kicks", ...). */
static long long VirtioKicks(void) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
  struct {
    struct ethtool_sset_info info;
    uint32_t count;
  } sset = {{.cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ull << ETH_SS_STATS}, 0};
  ifr.ifr_data = (void*)&sset;
  long long total = -1;
  if (ioctl(fd, SIOCETHTOOL, &ifr) == 0 && sset.info.sset_mask != 0 && sset.count > 0) {
    const uint32_t n = sset.count;
    struct ethtool_gstrings* names = calloc(1, sizeof *names + (size_t)n * ETH_GSTRING_LEN);
    struct ethtool_stats* stats = calloc(1, sizeof *stats + (size_t)n * sizeof(uint64_t));
    if (names != NULL && stats != NULL) {
      names->cmd = ETHTOOL_GSTRINGS;
      names->string_set = ETH_SS_STATS;
      names->len = n;
      stats->cmd = ETHTOOL_GSTATS;
      stats->n_stats = n;
      ifr.ifr_data = (void*)names;
      const int got_names = ioctl(fd, SIOCETHTOOL, &ifr) == 0;
      ifr.ifr_data = (void*)stats;
      if (got_names && ioctl(fd, SIOCETHTOOL, &ifr) == 0) {
        total = 0;
        for (uint32_t i = 0; i < n; ++i) {
          char name[ETH_GSTRING_LEN + 1] = {0};
          memcpy(name, names->data + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
          const size_t len = strlen(name);
          if (len > 6 && strcmp(name + len - 6, "_kicks") == 0) total += (long long)stats->data[i];
        }
      }
    }
    free(names);
    free(stats);
  }
  close(fd);
  return total;
}

struct Flow {
  int index;
  enum Kind kind;
  const char* peer;
  size_t payload;
  double seconds;
  uint64_t packets, bad, lost;
  char first_bad[160]; /* what was wrong with the first bad one */
  char error[160];
};

static void Pin(int cpu) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(cpu, &cpus);
  /* On its own CPU, so the kernel's transmit steering (XPS) puts each
   * flow on its own queue. Without that CPU it runs where it can. */
  sched_setaffinity(0, sizeof cpus, &cpus);
}

/* A socket of `type` from this flow's port to the peer's `port`, or -1
 * with the flow's error set. */
static int Connect(struct Flow* fl, int type, int port) {
  const int fd = socket(AF_INET, type, 0);
  struct sockaddr_in local = {0}, peer = {0};
  local.sin_family = AF_INET;
  local.sin_port = htons((uint16_t)(BASE_LOCAL_PORT + fl->index));
  peer.sin_family = AF_INET;
  peer.sin_port = htons((uint16_t)port);
  /* UDP flows have fixed ports; a TCP flow takes any, since the last
   * step's connection from a fixed one would still be in TIME_WAIT. */
  if (fd < 0 || inet_pton(AF_INET, fl->peer, &peer.sin_addr) != 1 ||
      (type == SOCK_DGRAM && bind(fd, (struct sockaddr*)&local, sizeof local) != 0) ||
      connect(fd, (struct sockaddr*)&peer, sizeof peer) != 0) {
    snprintf(fl->error, sizeof fl->error, "flow %d: %s to port %d: %s", fl->index,
             type == SOCK_DGRAM ? "udp" : "tcp", port, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

static void RunUdp(struct Flow* fl, int fd) {
  struct timeval quiet = {0, 200000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
  int big = 1 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  uint8_t out[MAX_PAYLOAD], in[MAX_PAYLOAD + 1];
  uint64_t seq = 0;
  const double end = Now() + fl->seconds;
  for (int i = 0; i < WINDOW; ++i) {
    Fill(out, fl->payload, (uint64_t)fl->index, seq++);
    send(fd, out, fl->payload, 0);
  }
  while (Now() < end) {
    const ssize_t n = recv(fd, in, sizeof in, 0);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) break;
      ++fl->lost;  /* the window went quiet: start it again */
      for (int i = 0; i < WINDOW; ++i) {
        Fill(out, fl->payload, (uint64_t)fl->index, seq++);
        send(fd, out, fl->payload, 0);
      }
      continue;
    }
    if ((size_t)n == fl->payload && Intact(in, fl->payload, (uint64_t)fl->index)) {
      ++fl->packets;
    } else if (fl->bad++ == 0) {
      uint64_t f = 0, s = 0;
      memcpy(&f, in, 8);
      memcpy(&s, in + 8, 8);
      uint8_t want[MAX_PAYLOAD];
      Fill(want, fl->payload, (uint64_t)fl->index, s);
      snprintf(fl->first_bad, sizeof fl->first_bad,
               "flow=%d bytes=%zd want=%zu its_flow=%llu seq=%llu first_wrong_byte=%zu", fl->index,
               n, fl->payload, (unsigned long long)f, (unsigned long long)s,
               FirstDifference(in, want, (size_t)n < fl->payload ? (size_t)n : fl->payload));
    }
    Fill(out, fl->payload, (uint64_t)fl->index, seq++);
    send(fd, out, fl->payload, 0);
  }
}

/* Reads exactly `size` bytes; 0 on EOF, an error or a 5 s silence. */
static int ReadFull(int fd, uint8_t* d, size_t size) {
  for (size_t got = 0; got < size;) {
    const ssize_t n = recv(fd, d + got, size - got, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return 0;
    }
    got += (size_t)n;
  }
  return 1;
}

static void RunTcpRr(struct Flow* fl, int fd) {
  uint8_t out[MAX_PAYLOAD], in[MAX_PAYLOAD];
  uint64_t seq = 0;
  const double end = Now() + fl->seconds;
  while (Now() < end) {
    Fill(out, fl->payload, (uint64_t)fl->index, seq++);
    if (send(fd, out, fl->payload, MSG_NOSIGNAL) != (ssize_t)fl->payload ||
        !ReadFull(fd, in, fl->payload)) {
      snprintf(fl->error, sizeof fl->error, "flow %d: request %llu got no response", fl->index,
               (unsigned long long)seq);
      return;
    }
    if (memcmp(in, out, fl->payload) == 0) {
      ++fl->packets;
    } else if (fl->bad++ == 0) {
      snprintf(fl->first_bad, sizeof fl->first_bad, "flow=%d request=%llu first_wrong_byte=%zu",
               fl->index, (unsigned long long)seq, FirstDifference(in, out, fl->payload));
    }
  }
}

static void RunTcpStream(struct Flow* fl, int fd) {
  static __thread uint8_t in[MAX_READ];
  uint64_t offset = 0, piece = 0;
  const double end = Now() + fl->seconds;
  while (Now() < end) {
    const ssize_t n = recv(fd, in, fl->payload, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      snprintf(fl->error, sizeof fl->error, "flow %d: the stream ended at byte %llu", fl->index,
               (unsigned long long)offset);
      return;
    }
    if (!StreamIntact(in, (size_t)n, offset)) {
      ++fl->bad;
      snprintf(fl->first_bad, sizeof fl->first_bad, "flow=%d read_at=%llu bytes=%zd", fl->index,
               (unsigned long long)offset, n);
      return;
    }
    offset += (uint64_t)n;
    piece += (uint64_t)n;
    for (; piece >= fl->payload; piece -= fl->payload) ++fl->packets;
  }
}

static void* RunFlow(void* arg) {
  struct Flow* fl = arg;
  Pin(fl->index);
  const int port = fl->kind == kUdp      ? UDP_ECHO_PORT + fl->index
                   : fl->kind == kTcpRr ? TCP_ECHO_PORT
                                        : TCP_STREAM_PORT;
  const int fd = Connect(fl, fl->kind == kUdp ? SOCK_DGRAM : SOCK_STREAM, port);
  if (fd < 0) return NULL;
  if (fl->kind != kUdp) {
    struct timeval silence = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &silence, sizeof silence);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (fl->kind == kUdp) RunUdp(fl, fd);
  if (fl->kind == kTcpRr) RunTcpRr(fl, fd);
  if (fl->kind == kTcpStream) RunTcpStream(fl, fd);
  close(fd);
  return NULL;
}

static int RunStep(const char* peer, char* step) {
  char* fields[5];
  int n = 0;
  for (char* s = strtok(step, ":"); s != NULL && n < 5; s = strtok(NULL, ":")) fields[n++] = s;
  const enum Kind kind = n != 5                           ? -1
                         : strcmp(fields[0], "udp") == 0       ? kUdp
                         : strcmp(fields[0], "tcprr") == 0     ? kTcpRr
                         : strcmp(fields[0], "tcpstream") == 0 ? kTcpStream
                                                               : -1;
  if ((int)kind < 0) {
    printf("PERFKIT-ERROR bad step (want udp|tcprr|tcpstream:NAME:PAYLOAD:FLOWS:SECONDS)\n");
    return 1;
  }
  const size_t payload = (size_t)atol(fields[2]);
  const size_t max_payload = kind == kTcpStream ? MAX_READ : MAX_PAYLOAD;
  const int flows = atoi(fields[3]);
  const double seconds = atof(fields[4]);
  if (payload < 16 || payload > max_payload || flows < 1 || flows > MAX_FLOWS || seconds <= 0) {
    printf("PERFKIT-ERROR step %s: payload 16-%zu, flows 1-%d, seconds > 0\n", fields[1],
           max_payload, MAX_FLOWS);
    return 1;
  }
  struct Flow fl[MAX_FLOWS];
  pthread_t threads[MAX_FLOWS];
  memset(fl, 0, sizeof fl);
  const long long irqs_before = VirtioInterrupts(), kicks_before = VirtioKicks();
  const double start = Now();
  for (int i = 0; i < flows; ++i) {
    fl[i] = (struct Flow){
        .index = i, .kind = kind, .peer = peer, .payload = payload, .seconds = seconds};
    pthread_create(&threads[i], NULL, RunFlow, &fl[i]);
  }
  uint64_t packets = 0, bad = 0, lost = 0;
  for (int i = 0; i < flows; ++i) {
    pthread_join(threads[i], NULL);
    if (fl[i].error[0] != 0) {
      printf("PERFKIT-ERROR %s\n", fl[i].error);
      return 1;
    }
    packets += fl[i].packets;
    bad += fl[i].bad;
    lost += fl[i].lost;
  }
  const double took = Now() - start;
  for (int i = 0; i < flows; ++i) {
    if (fl[i].first_bad[0] != 0) {
      printf("PERFKIT-NETBAD name=%s %s\n", fields[1], fl[i].first_bad);
      break;
    }
  }
  const long long irqs_after = VirtioInterrupts(), kicks_after = VirtioKicks();
  const double pps = (double)packets / took;
  printf("PERFKIT-NETRESULT name=%s payload=%zu flows=%d seconds=%.3f packets=%llu pps=%.1f "
         "mbps=%.2f bad=%llu lost=%llu irqs=%lld kicks=%lld\n",
         fields[1], payload, flows, took, (unsigned long long)packets, pps,
         pps * (double)payload * 8 / 1e6, (unsigned long long)bad, (unsigned long long)lost,
         irqs_before < 0 || irqs_after < 0 ? -1LL : irqs_after - irqs_before,
         kicks_before < 0 || kicks_after < 0 ? -1LL : kicks_after - kicks_before);
  fflush(stdout);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: perfkit-guest-net PEER STEP[,STEP...]\n");
    return 2;
  }
  int failed = 0;
  for (char* save = NULL, *step = strtok_r(argv[2], ",", &save); step != NULL;
       step = strtok_r(NULL, ",", &save)) {
    failed |= RunStep(argv[1], step);
  }
  return failed;
}
