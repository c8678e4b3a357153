/*
 * ring.c: a hand-written C single-producer single-consumer ring between two
 * processes, the reference for harness/benches/harness_vs_c.rs.
 *
 *   ring stream   PRODUCER_CORE CONSUMER_CORE MILLIS SLOTS
 *   ring pingpong CORE_A CORE_B SAMPLES WARMUP SLOTS
 *
 * The ring is the textbook fast SPSC queue (as in rigtorp's SPSCQueue or
 * rtrb): SLOTS (a power of two) 8-byte slots; `head` (the next slot the
 * producer writes, written only by the producer) and `tail` (the next slot
 * the consumer reads, written only by the consumer) are free-running 64-bit
 * counters, each on a 128-byte line of its own, and the slots start on a
 * line of their own after them. Each side keeps a private copy of the other
 * side's counter and reads the shared one only when the copy says the ring
 * is full (producer) or empty (consumer), so a side that keeps up touches
 * the other's line once per lap, not once per message. Publication is one
 * release store of the side's own counter; the peer reads it with acquire.
 *
 * Waiting spins on the peer's counter with the CPU's pause hint. When both
 * sides are pinned to the same core, spinning only delays the peer that must
 * run for the wait to end, so there every failed poll calls sched_yield();
 * on two cores a side yields once every YIELD_EVERY failed polls, in case
 * its peer was preempted.
 *
 * The parent maps the ring(s) MAP_SHARED|MAP_ANONYMOUS, forks both sides as
 * children (separate processes, as the harness's workers are), each pinned
 * with sched_setaffinity, and waits for them; if one fails the other is
 * killed. A watchdog (alarm) ends a run that hangs.
 *
 * stream: the producer sends the sequence numbers 0, 1, 2, ... for MILLIS
 * milliseconds (it reads the clock every 4096 messages), then the stop
 * marker UINT64_MAX. The consumer checks each value against the one
 * expected and times first message to the stop marker (which follows the
 * last message at once) with clock_gettime(CLOCK_MONOTONIC); two clock reads
 * per run, so the clock costs the rate nothing. It prints
 *
 *   msgs_per_s <float>      (messages - 1) / (time first -> stop marker)
 *   messages <n>
 *
 * and exits 1 if any value was not the one expected.
 *
 * pingpong: two rings, one each way. The initiator (on CORE_A) sends its
 * sequence number, the echo (on CORE_B) sends it back; the initiator checks
 * it and times each of SAMPLES round trips (after WARMUP untimed ones) with
 * CLOCK_MONOTONIC, then sends the stop marker. From the sorted samples
 * (nearest rank, as bench_core::stats::quantile_ns) it prints
 *
 *   p50_ns <n>
 *   p99_ns <n>
 *
 * Exit status: 0 measured, 1 a message was wrong, 2 bad arguments or a
 * failed system call, 3 the watchdog fired.
 *
 * Build: gcc -O2 -Wall -Wextra -o ring ring.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The value that ends a run; never a sequence number. */
#define STOP UINT64_MAX
/* Stream producer: messages between clock reads. */
#define CLOCK_EVERY 4096
/* Two cores: failed polls between yields. */
#define YIELD_EVERY (1u << 16)
/* Watchdog: seconds a run may take beyond its sending time. */
#ifndef WATCHDOG_S
#define WATCHDOG_S 60
#endif
#define MAX_SLOTS (1ul << 24)

/* One 128-byte line: a 64-byte line plus the adjacent-line prefetcher's
 * partner (as crossbeam-utils' CachePadded on x86_64). */
struct line {
    _Alignas(128) _Atomic uint64_t value;
};

/* The shared bytes of one ring. Invariant: tail <= head <= tail + slots. */
struct shared {
    struct line head; /* next slot the producer writes; producer writes it */
    struct line tail; /* next slot the consumer reads; consumer writes it */
    uint64_t slot[];  /* starts at byte 256, on a line of its own */
};

struct producer {
    struct shared *r;
    uint64_t size, mask;
    uint64_t head;        /* our counter (the shared one is a copy of it) */
    uint64_t cached_tail; /* the consumer's counter as last read */
};

struct consumer {
    struct shared *r;
    uint64_t mask;
    uint64_t tail;        /* our counter */
    uint64_t cached_head; /* the producer's counter as last read */
};

/* Failed polls before a yield: 0 when both sides share a core. */
static unsigned yield_after = YIELD_EVERY;
static volatile sig_atomic_t children[2];

static void die(const char *what) {
    fprintf(stderr, "ring: %s: %s\n", what, strerror(errno));
    exit(2);
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* One failed poll's wait. */
static inline void wait_step(unsigned *spins) {
    if (++*spins > yield_after) {
        *spins = 0;
        sched_yield();
    } else {
        cpu_relax();
    }
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct shared *map_ring(uint64_t slots) {
    size_t bytes = sizeof(struct shared) + slots * sizeof(uint64_t);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    return p; /* zero-filled: head = tail = 0 */
}

static struct producer producer_of(struct shared *r, uint64_t slots) {
    return (struct producer){.r = r, .size = slots, .mask = slots - 1, .head = 0, .cached_tail = 0};
}

static struct consumer consumer_of(struct shared *r, uint64_t slots) {
    return (struct consumer){.r = r, .mask = slots - 1, .tail = 0, .cached_head = 0};
}

static inline void push(struct producer *p, uint64_t v) {
    if (p->head - p->cached_tail == p->size) {
        unsigned spins = 0;
        /* Acquire: pairs with the consumer's release store of tail in pop(),
         * so its read of the slot we are about to reuse came first. */
        while ((p->cached_tail = atomic_load_explicit(&p->r->tail.value, memory_order_acquire)) == p->head - p->size)
            wait_step(&spins);
    }
    p->r->slot[p->head & p->mask] = v;
    p->head++;
    /* Release: pairs with the consumer's acquire load of head in pop(),
     * so the slot written above is visible before the new head. */
    atomic_store_explicit(&p->r->head.value, p->head, memory_order_release);
}

static inline uint64_t pop(struct consumer *c) {
    if (c->tail == c->cached_head) {
        unsigned spins = 0;
        /* Acquire: pairs with the producer's release store of head in push(). */
        while ((c->cached_head = atomic_load_explicit(&c->r->head.value, memory_order_acquire)) == c->tail)
            wait_step(&spins);
    }
    uint64_t v = c->r->slot[c->tail & c->mask];
    c->tail++;
    /* Release: pairs with the producer's acquire load of tail in push(),
     * so our read of the slot is done before the producer may reuse it. */
    atomic_store_explicit(&c->r->tail.value, c->tail, memory_order_release);
    return v;
}

static void pin(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

static void on_alarm(int sig) {
    (void)sig;
    for (int i = 0; i < 2; i++)
        if (children[i] > 0)
            kill(children[i], SIGKILL);
    static const char msg[] = "ring: the run did not finish in time (watchdog)\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(3);
}

/* Fork a child pinned to core that runs side(arg) and exits with its status. */
static pid_t spawn(int core, int (*side)(void *), void *arg) {
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the parent */
        if (getppid() != parent)
            _exit(2);
        pin(core);
        int status = side(arg);
        fflush(NULL);
        _exit(status);
    }
    return pid;
}

/* Wait for both children; if one fails, kill the other. 0 if both succeeded. */
static int wait_children(void) {
    int result = 0;
    for (int left = 2; left > 0;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            die("waitpid");
        }
        left--;
        for (int i = 0; i < 2; i++)
            if (children[i] == pid)
                children[i] = 0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            if (result == 0)
                result = WIFEXITED(status) ? WEXITSTATUS(status) : 2;
            for (int i = 0; i < 2; i++)
                if (children[i] > 0)
                    kill(children[i], SIGKILL);
        }
    }
    return result;
}

/* ---- stream ---- */

struct stream_args {
    struct shared *r;
    uint64_t slots;
    uint64_t millis;
};

static int stream_producer(void *arg) {
    struct stream_args *a = arg;
    struct producer p = producer_of(a->r, a->slots);
    uint64_t deadline = now_ns() + a->millis * 1000000u;
    for (uint64_t seq = 0;; seq++) {
        if (seq % CLOCK_EVERY == 0 && now_ns() >= deadline)
            break;
        push(&p, seq);
    }
    push(&p, STOP);
    return 0;
}

static int stream_consumer(void *arg) {
    struct stream_args *a = arg;
    struct consumer c = consumer_of(a->r, a->slots);
    uint64_t expected = 0, mismatches = 0, messages = 0;
    uint64_t v = pop(&c);
    uint64_t first = now_ns();
    while (v != STOP) {
        if (v != expected) {
            mismatches++;
            expected = v; /* resynchronise: count each break once */
        }
        expected++;
        messages++;
        v = pop(&c);
    }
    uint64_t last = now_ns();
    if (mismatches != 0) {
        fprintf(stderr, "ring: %llu of %llu messages were not the one expected\n", (unsigned long long)mismatches,
                (unsigned long long)messages);
        return 1;
    }
    if (messages < 2) {
        fprintf(stderr, "ring: only %llu messages arrived\n", (unsigned long long)messages);
        return 1;
    }
    double secs = (double)(last - first) / 1e9;
    printf("msgs_per_s %.1f\nmessages %llu\n", (double)(messages - 1) / secs, (unsigned long long)messages);
    return 0;
}

/* ---- pingpong ---- */

struct pingpong_args {
    struct shared *ping, *pong;
    uint64_t slots;
    long samples, warmup;
};

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank, as bench_core::stats::quantile_ns. */
static uint64_t quantile(const uint64_t *sorted, size_t n, double q) {
    double r = q * (double)n;
    size_t rank = (size_t)r;
    if ((double)rank < r)
        rank++;
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static int pingpong_initiator(void *arg) {
    struct pingpong_args *a = arg;
    struct producer tx = producer_of(a->ping, a->slots);
    struct consumer rx = consumer_of(a->pong, a->slots);
    uint64_t *t = malloc((size_t)a->samples * sizeof *t);
    if (!t)
        die("malloc");
    for (long i = -a->warmup; i < a->samples; i++) {
        uint64_t seq = (uint64_t)(i + a->warmup);
        uint64_t t0 = now_ns();
        push(&tx, seq);
        uint64_t back = pop(&rx);
        uint64_t t1 = now_ns();
        if (back != seq) {
            fprintf(stderr, "ring: round trip %llu came back as %llu\n", (unsigned long long)seq,
                    (unsigned long long)back);
            push(&tx, STOP);
            return 1;
        }
        if (i >= 0)
            t[i] = t1 - t0;
    }
    push(&tx, STOP);
    qsort(t, (size_t)a->samples, sizeof *t, cmp_u64);
    printf("p50_ns %llu\np99_ns %llu\n", (unsigned long long)quantile(t, (size_t)a->samples, 0.50),
           (unsigned long long)quantile(t, (size_t)a->samples, 0.99));
    free(t);
    return 0;
}

static int pingpong_echo(void *arg) {
    struct pingpong_args *a = arg;
    struct consumer rx = consumer_of(a->ping, a->slots);
    struct producer tx = producer_of(a->pong, a->slots);
    for (;;) {
        uint64_t v = pop(&rx);
        if (v == STOP)
            return 0;
        push(&tx, v);
    }
}

/* ---- main ---- */

static void usage(void) {
    fprintf(stderr, "usage: ring stream PRODUCER_CORE CONSUMER_CORE MILLIS SLOTS\n"
                    "       ring pingpong CORE_A CORE_B SAMPLES WARMUP SLOTS\n"
                    "SLOTS: a power of two, 1 to %lu\n",
            MAX_SLOTS);
    exit(2);
}

/* A decimal number from 0 to max, or a message naming what and usage(). */
static long number(const char *what, const char *s, long max) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max) {
        fprintf(stderr, "ring: %s '%s' is not a number from 0 to %ld\n", what, s, max);
        usage();
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc < 2)
        usage();
    int stream = strcmp(argv[1], "stream") == 0;
    if (!(stream && argc == 6) && !(strcmp(argv[1], "pingpong") == 0 && argc == 7))
        usage();
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    long last_core = ncpu > 0 && ncpu < CPU_SETSIZE ? ncpu - 1 : CPU_SETSIZE - 1;
    int core_a = (int)number("first core", argv[2], last_core);
    int core_b = (int)number("second core", argv[3], last_core);
    uint64_t slots = (uint64_t)number("SLOTS", argv[argc - 1], (long)MAX_SLOTS);
    if (slots == 0 || (slots & (slots - 1)) != 0) {
        fprintf(stderr, "ring: SLOTS %llu is not a power of two\n", (unsigned long long)slots);
        usage();
    }
    if (core_a == core_b)
        yield_after = 0;

    prctl(PR_SET_PDEATHSIG, SIGTERM); /* started by a bench that may be killed */
    signal(SIGALRM, on_alarm);
    int (*side_a)(void *), (*side_b)(void *);
    void *args;
    struct stream_args sa;
    struct pingpong_args pa;
    if (stream) {
        sa = (struct stream_args){.r = map_ring(slots), .slots = slots, .millis = (uint64_t)number("MILLIS", argv[4], 3600000)};
        alarm((unsigned)(sa.millis / 1000) + WATCHDOG_S);
        side_a = stream_producer;
        side_b = stream_consumer;
        args = &sa;
    } else {
        pa = (struct pingpong_args){.ping = map_ring(slots),
                                    .pong = map_ring(slots),
                                    .slots = slots,
                                    .samples = number("SAMPLES", argv[4], 100000000),
                                    .warmup = number("WARMUP", argv[5], 100000000)};
        if (pa.samples < 1) {
            fprintf(stderr, "ring: SAMPLES must be at least 1\n");
            usage();
        }
        alarm(WATCHDOG_S + (unsigned)((pa.samples + pa.warmup) / 100000));
        side_a = pingpong_initiator;
        side_b = pingpong_echo;
        args = &pa;
    }
    /* The receiving side first, so it is waiting when the first message goes. */
    children[1] = spawn(core_b, side_b, args);
    children[0] = spawn(core_a, side_a, args);
    return wait_children();
}
