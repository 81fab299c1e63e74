/* The virtio suite's network measurement inside the guest: UDP datagrams
 * sent to a peer that sends each one back (perfkit's reflecting device, or
 * an echo endpoint on the host), from one flow per CPU so the flows spread
 * over the card's queues. Every datagram carries its flow, its sequence
 * number and bytes derived from both; every one that comes back is checked.
 *
 *   perfkit-guest-net PEER STEP[,STEP...]
 *   STEP = udp:NAME:PAYLOAD_BYTES:FLOWS:SECONDS
 *
 * Prints, per step:
 *   PERFKIT-NETRESULT name=... payload=... flows=... seconds=... packets=...
 *     pps=... mbps=... bad=... lost=... irqs=...
 * where packets are the datagrams that came back intact, bad the ones that
 * came back wrong, lost the windows refilled after a 200 ms silence, and
 * irqs the virtio interrupts the guest took meanwhile (-1 if unknown).
 * Errors are PERFKIT-ERROR lines. Static, so the initramfs needs no libraries. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_FLOWS 16
#define MAX_PAYLOAD 1472
#define WINDOW 32
#define BASE_LOCAL_PORT 40000
#define BASE_PEER_PORT 5001

static double Now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Byte i of datagram `seq` of flow `flow`, past its 16-byte header. */
static uint8_t PatternByte(uint64_t flow, uint64_t seq, size_t i) {
  return (uint8_t)(seq * 131 + flow * 17 + i * 7);
}

static void Fill(uint8_t* d, size_t size, uint64_t flow, uint64_t seq) {
  memcpy(d, &flow, 8);
  memcpy(d + 8, &seq, 8);
  for (size_t i = 16; i < size; ++i) d[i] = PatternByte(flow, seq, i);
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

struct Flow {
  int index;
  const char* peer;
  size_t payload;
  double seconds;
  uint64_t packets, bad, lost;
  char error[160];
};

static void* RunFlow(void* arg) {
  struct Flow* fl = arg;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(fl->index, &cpus);
  /* On its own CPU, so the kernel's transmit steering (XPS) puts each
   * flow on its own queue. Without that CPU it runs where it can. */
  sched_setaffinity(0, sizeof cpus, &cpus);
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in local = {0}, peer = {0};
  local.sin_family = AF_INET;
  local.sin_port = htons((uint16_t)(BASE_LOCAL_PORT + fl->index));
  peer.sin_family = AF_INET;
  peer.sin_port = htons((uint16_t)(BASE_PEER_PORT + fl->index));
  if (fd < 0 || inet_pton(AF_INET, fl->peer, &peer.sin_addr) != 1 ||
      bind(fd, (struct sockaddr*)&local, sizeof local) != 0 ||
      connect(fd, (struct sockaddr*)&peer, sizeof peer) != 0) {
    snprintf(fl->error, sizeof fl->error, "flow %d: socket: %s", fl->index, strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
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
    } else {
      ++fl->bad;
    }
    Fill(out, fl->payload, (uint64_t)fl->index, seq++);
    send(fd, out, fl->payload, 0);
  }
  close(fd);
  return NULL;
}

static int RunStep(const char* peer, char* step) {
  char* fields[5];
  int n = 0;
  for (char* s = strtok(step, ":"); s != NULL && n < 5; s = strtok(NULL, ":")) fields[n++] = s;
  if (n != 5 || strcmp(fields[0], "udp") != 0) {
    printf("PERFKIT-ERROR bad step (want udp:NAME:PAYLOAD:FLOWS:SECONDS)\n");
    return 1;
  }
  const size_t payload = (size_t)atol(fields[2]);
  const int flows = atoi(fields[3]);
  const double seconds = atof(fields[4]);
  if (payload < 16 || payload > MAX_PAYLOAD || flows < 1 || flows > MAX_FLOWS || seconds <= 0) {
    printf("PERFKIT-ERROR step %s: payload 16-%d, flows 1-%d, seconds > 0\n", fields[1],
           MAX_PAYLOAD, MAX_FLOWS);
    return 1;
  }
  struct Flow fl[MAX_FLOWS];
  pthread_t threads[MAX_FLOWS];
  memset(fl, 0, sizeof fl);
  const long long irqs_before = VirtioInterrupts();
  const double start = Now();
  for (int i = 0; i < flows; ++i) {
    fl[i] = (struct Flow){.index = i, .peer = peer, .payload = payload, .seconds = seconds};
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
  const long long irqs_after = VirtioInterrupts();
  const double pps = (double)packets / took;
  printf("PERFKIT-NETRESULT name=%s payload=%zu flows=%d seconds=%.3f packets=%llu pps=%.1f "
         "mbps=%.2f bad=%llu lost=%llu irqs=%lld\n",
         fields[1], payload, flows, took, (unsigned long long)packets, pps,
         pps * (double)payload * 8 / 1e6, (unsigned long long)bad, (unsigned long long)lost,
         irqs_before < 0 || irqs_after < 0 ? -1LL : irqs_after - irqs_before);
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
