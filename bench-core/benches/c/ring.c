/*
 * ring.c: a hand-written C single-producer single-consumer ring between two
 * processes, the reference for harness/benches/harness_vs_c.rs.
 *
 *   ring stream   PRODUCER_CORE CONSUMER_CORE MILLIS SLOTS [DESIGN]
 *   ring pingpong CORE_A CORE_B SAMPLES WARMUP SLOTS [DESIGN]
 *
 * DESIGN is `cached` (the default), `textbook` or `stamped`. All carry
 * 8-byte messages in SLOTS slots: 8 bytes each in the cached design, 16 (a
 * word before the message) in the other two.
 *
 * cached: the fast SPSC queue as in rigtorp's SPSCQueue or rtrb. SLOTS (a
 * power of two) slots; `head` (the next slot the producer writes, written
 * only by the producer) and `tail` (the next slot the consumer reads,
 * written only by the consumer) are free-running 64-bit counters, each on a
 * 128-byte line of its own, and the slots start on a line of their own after
 * them; slot = counter & (SLOTS - 1). Each side keeps a private copy of the
 * other side's counter and reads the shared one only when the copy says the
 * ring is full (producer) or empty (consumer), so a side that keeps up
 * touches the other's line once per lap, not once per message.
 *
 * textbook: the classic algorithm, as ringside's `shm-ring:textbook`
 * (bench-core/src/ring/lane.rs, "Classic"): SLOTS (any number from 2) is
 * BUFFER_SIZE; the indices `in` (the next slot the producer fills, written
 * only by the producer) and `out` (the next slot the consumer reads,
 * written only by the consumer) lie in 0..BUFFER_SIZE, side by side on ONE
 * 128-byte line, and the slots start on the next line. Full when
 * (in + 1) % BUFFER_SIZE == out (one slot is wasted, so at most SLOTS - 1
 * messages are in flight), empty when in == out; the index advances with a
 * plain modulo by the run-time BUFFER_SIZE, not a mask, as ringside's does.
 * Each side loads the other side's index on every operation (no cached
 * copy). ringside's `--capacity bounded:N` for this variant allocates N + 1
 * slots, so `ring ... 1024 textbook` matches its `bounded:1023`. A
 * textbook slot is ringside's: an 8-byte length word, then the 8-byte
 * message, 16 bytes in all (the consumer checks the length, as ringside's
 * does), so both move the same bytes through the same lines.
 *
 * stamped: ringside's own ring (`shm-ring`; bench-core/src/ring/lane.rs,
 * "Stamped"), written again in C. SLOTS (a power of two) slots of 16
 * bytes: a word `len << 32 | stamp`, then the message, where stamp is the
 * low 32 bits of position + 1 (positions are free-running 64-bit counts).
 * The producer writes the message, then stores the word with release; the
 * consumer polls the word of its next slot with acquire, so one line
 * carries both the data and "it is there". The producer publishes no
 * index. The consumer publishes its position (release, on a 128-byte line
 * of its own) once every PUBLISH_EVERY = clamp(SLOTS / 8, 1, 64) messages,
 * and before it waits after INLINE_SPINS failed polls; the producer keeps
 * limit = that position + SLOTS and reloads it (acquire) only when its
 * position reaches the limit. These are ringside's constants for
 * `bounded:SLOTS`.
 *
 * In the cached and textbook designs publication is one release store of the side's own index
 * after the slot is written (producer) or read (consumer); the peer reads it
 * with acquire.
 *
 * Waiting spins on the peer's index with the CPU's pause hint. When both
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
 * the CPU's time-stamp counter (rdtsc; two reads per round trip, a few ns
 * each, where clock_gettime costs tens of ns on a VM), as the harness's
 * clock (quanta) does, then sends the stop marker. Ticks become ns by a
 * calibration against CLOCK_MONOTONIC: the program reads (CLOCK_MONOTONIC,
 * TSC) just before the first warm-up round trip and again after the last
 * timed one (at least CALIBRATE_MS later; it waits if the loop was shorter)
 * and scales by the ratio of the two spans. On a CPU without a TSC (not
 * x86) the ticks are CLOCK_MONOTONIC ns. From the sorted samples (nearest
 * rank, as vocabulary::stats::quantile_ns) it prints
 *
 *   p50_ns <n>
 *   p99_ns <n>
 *   ns_per_tick <float>
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
#include <stddef.h>
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

#include "quantile.h"
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

/* The value that ends a run; never a sequence number. */
#define STOP UINT64_MAX
/* Stream producer: messages between clock reads. */
#define CLOCK_EVERY 4096
/* Two cores: failed polls between yields. */
#define YIELD_EVERY (1u << 16)
/* Pingpong: the shortest span the TSC is calibrated over, ms. */
#define CALIBRATE_MS 10
/* Watchdog: seconds a run may take beyond its sending time. */
#ifndef WATCHDOG_S
#define WATCHDOG_S 60
#endif
#define MAX_SLOTS (1ul << 24)
/* Stamped: polls of the next slot before the consumer publishes its
 * position and waits (ringside's INLINE_SPINS). */
#define INLINE_SPINS 64

/* Always inlined, so that a side's loop compiled for one design (a
 * constant argument) holds that design's code alone. */
#define INLINE static inline __attribute__((always_inline))

enum design { CACHED, TEXTBOOK, STAMPED };

/* One 128-byte line: a 64-byte line plus the adjacent-line prefetcher's
 * partner (as crossbeam-utils' CachePadded on x86_64). */
struct line {
    _Alignas(128) _Atomic uint64_t value;
};

/* The shared bytes of one cached ring. Invariant: tail <= head <= tail + slots. */
struct cached_shared {
    struct line head; /* next slot the producer writes; producer writes it */
    struct line tail; /* next slot the consumer reads; consumer writes it */
    uint64_t slot[];  /* starts at byte 256, on a line of its own */
};

/* The shared bytes of one textbook ring. Invariant: in, out < slots, and
 * (in - out) mod slots messages are in flight. */
struct textbook_shared {
    struct {
        _Alignas(128) _Atomic uint64_t in; /* next slot the producer fills; producer writes it */
        _Atomic uint64_t out;              /* next slot the consumer reads; consumer writes it */
    } index;                               /* both on one 128-byte line */
    uint64_t slot[];                       /* 2 words per slot (length, message), from byte 128 */
};

/* A slot of the textbook and stamped designs. */
struct wide_slot {
    _Atomic uint64_t word; /* textbook: the length; stamped: len << 32 | stamp */
    uint64_t value;
};

/* The shared bytes of one stamped ring. Invariant: the producer's position
 * minus the consumer's published one is at most slots. */
struct stamped_shared {
    struct line position;    /* the consumer's published position; consumer writes it */
    struct wide_slot slot[]; /* start at byte 128, on a line of their own */
};

_Static_assert(offsetof(struct stamped_shared, slot) == 128, "stamped slots start on a line of their own");
_Static_assert(offsetof(struct cached_shared, slot) == 256, "cached slots start on a line of their own");
_Static_assert(offsetof(struct textbook_shared, index.out) == 8, "textbook in and out side by side");
_Static_assert(offsetof(struct textbook_shared, slot) == 128, "textbook slots start on the next line");

/* Where one ring's words are, whichever the design. */
struct ring {
    _Atomic uint64_t *head; /* the producer's index: head (cached) or in (textbook) */
    _Atomic uint64_t *tail; /* the consumer's index: tail (cached) or out (textbook) */
    uint64_t *slot;
    struct wide_slot *wide; /* stamped only */
    uint64_t slots;
};

struct producer {
    struct ring r;
    uint64_t mask;        /* cached only: slots - 1 */
    uint64_t head;        /* our index (the shared one is a copy of it) */
    uint64_t cached_tail; /* cached only: the consumer's counter as last read */
    uint64_t limit;       /* stamped only: consumer's published position + slots */
};

struct consumer {
    struct ring r;
    uint64_t mask;        /* cached only */
    uint64_t tail;        /* our index */
    uint64_t cached_head; /* cached only: the producer's counter as last read */
    uint64_t published;   /* stamped only: the position last published */
    uint64_t every;       /* stamped only: PUBLISH_EVERY */
};

/* Failed polls before a yield: 0 when both sides share a core. */
static unsigned yield_after = YIELD_EVERY;
static volatile sig_atomic_t children[2];

static void die(const char *what) {
    fprintf(stderr, "ring: %s: %s\n", what, strerror(errno));
    exit(2);
}

INLINE void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/* One failed poll's wait. */
INLINE void wait_step(unsigned *spins) {
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

/* The pingpong clock: the TSC where there is one, else CLOCK_MONOTONIC ns. */
INLINE uint64_t ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return now_ns();
#endif
}

static struct ring map_ring(enum design d, uint64_t slots) {
    size_t header = d == TEXTBOOK  ? sizeof(struct textbook_shared)
                    : d == STAMPED ? sizeof(struct stamped_shared)
                                   : sizeof(struct cached_shared);
    size_t words = d == CACHED ? slots : 2 * slots;
    void *p = mmap(NULL, header + words * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap");
    /* Zero-filled: every index starts at 0, the ring empty. */
    if (d == TEXTBOOK) {
        struct textbook_shared *t = p;
        return (struct ring){.head = &t->index.in, .tail = &t->index.out, .slot = t->slot, .slots = slots};
    }
    if (d == STAMPED) {
        struct stamped_shared *st = p;
        return (struct ring){.tail = &st->position.value, .wide = st->slot, .slots = slots};
    }
    struct cached_shared *c = p;
    return (struct ring){.head = &c->head.value, .tail = &c->tail.value, .slot = c->slot, .slots = slots};
}

static struct producer producer_of(struct ring r) {
    return (struct producer){.r = r, .mask = r.slots - 1, .head = 0, .cached_tail = 0, .limit = r.slots};
}

static struct consumer consumer_of(struct ring r) {
    uint64_t every = r.slots / 8 < 1 ? 1 : r.slots / 8 > 64 ? 64 : r.slots / 8;
    return (struct consumer){.r = r, .mask = r.slots - 1, .tail = 0, .cached_head = 0, .published = 0, .every = every};
}

/* The stamp of position `pos`: never 0, so a zero-filled slot is empty. */
INLINE uint64_t stamp_of(uint64_t pos) { return (uint32_t)(pos + 1); }

INLINE void push(struct producer *p, uint64_t v, enum design d) {
    if (d == STAMPED) {
        if (p->head >= p->limit) {
            unsigned spins = 0;
            /* Acquire: pairs with the consumer's release store of its
             * position in pop(); its reads of the slots we reuse are done. */
            while (p->head >= (p->limit = atomic_load_explicit(p->r.tail, memory_order_acquire) + p->r.slots))
                wait_step(&spins);
        }
        struct wide_slot *s = &p->r.wide[p->head & p->mask];
        s->value = v;
        /* Release: pairs with the consumer's acquire load of the word in
         * pop(); the message written above is visible with it. */
        atomic_store_explicit(&s->word, (uint64_t)sizeof v << 32 | stamp_of(p->head), memory_order_release);
        p->head++;
        return;
    }
    if (d == TEXTBOOK) {
        unsigned spins = 0;
        /* Acquire: pairs with the consumer's release store of out in pop(),
         * so its read of the slot we are about to reuse came first. Loaded
         * on every push, as the textbook does. */
        while ((p->head + 1) % p->r.slots == atomic_load_explicit(p->r.tail, memory_order_acquire))
            wait_step(&spins);
        p->r.slot[2 * p->head] = sizeof v; /* the length word, as ringside's slot */
        p->r.slot[2 * p->head + 1] = v;
        p->head = (p->head + 1) % p->r.slots;
    } else {
        if (p->head - p->cached_tail == p->r.slots) {
            unsigned spins = 0;
            /* Acquire: as above. */
            while ((p->cached_tail = atomic_load_explicit(p->r.tail, memory_order_acquire)) == p->head - p->r.slots)
                wait_step(&spins);
        }
        p->r.slot[p->head & p->mask] = v;
        p->head++;
    }
    /* Release: pairs with the consumer's acquire load of head/in in pop(),
     * so the slot written above is visible before the new index. */
    atomic_store_explicit(p->r.head, p->head, memory_order_release);
}

/* Stamped: publish the consumer's position (release: pairs with the
 * producer's acquire load in push(); our reads of the slots are done). */
INLINE void publish(struct consumer *c) {
    c->published = c->tail;
    atomic_store_explicit(c->r.tail, c->tail, memory_order_release);
}

INLINE uint64_t pop(struct consumer *c, enum design d) {
    uint64_t v;
    if (d == STAMPED) {
        struct wide_slot *s = &c->r.wide[c->tail & c->mask];
        uint64_t stamp = stamp_of(c->tail);
        /* Acquire: pairs with the producer's release store of the word in push(). */
        uint64_t w = atomic_load_explicit(&s->word, memory_order_acquire);
        if ((uint32_t)w != stamp) {
            unsigned polls = 0, spins = 0;
            while ((uint32_t)(w = atomic_load_explicit(&s->word, memory_order_acquire)) != stamp) {
                if (polls < INLINE_SPINS) {
                    polls++;
                    cpu_relax();
                    continue;
                }
                if (polls++ == INLINE_SPINS && c->published != c->tail)
                    publish(c); /* before waiting on: the producer may be waiting for the room */
                wait_step(&spins);
            }
        }
        if (w >> 32 != sizeof v) {
            fprintf(stderr, "ring: slot %llu holds length %llu, not 8\n", (unsigned long long)(c->tail & c->mask),
                    (unsigned long long)(w >> 32));
            exit(1);
        }
        v = s->value;
        c->tail++;
        if (c->tail - c->published >= c->every)
            publish(c);
        return v;
    }
    if (d == TEXTBOOK) {
        unsigned spins = 0;
        /* Acquire: pairs with the producer's release store of in in push().
         * Loaded on every pop, as the textbook does. */
        while (atomic_load_explicit(c->r.head, memory_order_acquire) == c->tail)
            wait_step(&spins);
        if (c->r.slot[2 * c->tail] != sizeof v) {
            fprintf(stderr, "ring: slot %llu holds length %llu, not 8\n", (unsigned long long)c->tail,
                    (unsigned long long)c->r.slot[2 * c->tail]);
            exit(1);
        }
        v = c->r.slot[2 * c->tail + 1];
        c->tail = (c->tail + 1) % c->r.slots;
    } else {
        if (c->tail == c->cached_head) {
            unsigned spins = 0;
            /* Acquire: pairs with the producer's release store of head in push(). */
            while ((c->cached_head = atomic_load_explicit(c->r.head, memory_order_acquire)) == c->tail)
                wait_step(&spins);
        }
        v = c->r.slot[c->tail & c->mask];
        c->tail++;
    }
    /* Release: pairs with the producer's acquire load of tail/out in push(),
     * so our read of the slot is done before the producer may reuse it. */
    atomic_store_explicit(c->r.tail, c->tail, memory_order_release);
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

/* Each side is written once, generic over the design, and compiled twice:
 * SIDE(f) defines f_cached and f_textbook, f with the design fixed. */
#define SIDE(f)                                                                                                        \
    static int f##_cached(void *arg) { return f(arg, CACHED); }                                                        \
    static int f##_textbook(void *arg) { return f(arg, TEXTBOOK); }                                                    \
    static int f##_stamped(void *arg) { return f(arg, STAMPED); }

/* ---- stream ---- */

struct stream_args {
    struct ring r;
    uint64_t millis;
};

INLINE int stream_producer(void *arg, enum design d) {
    struct stream_args *a = arg;
    struct producer p = producer_of(a->r);
    uint64_t deadline = now_ns() + a->millis * 1000000u;
    for (uint64_t seq = 0;; seq++) {
        if (seq % CLOCK_EVERY == 0 && now_ns() >= deadline)
            break;
        push(&p, seq, d);
    }
    push(&p, STOP, d);
    return 0;
}
SIDE(stream_producer)

INLINE int stream_consumer(void *arg, enum design d) {
    struct stream_args *a = arg;
    struct consumer c = consumer_of(a->r);
    uint64_t expected = 0, mismatches = 0, messages = 0;
    uint64_t v = pop(&c, d);
    uint64_t first = now_ns();
    while (v != STOP) {
        if (v != expected) {
            mismatches++;
            expected = v; /* resynchronise: count each break once */
        }
        expected++;
        messages++;
        v = pop(&c, d);
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
SIDE(stream_consumer)

/* ---- pingpong ---- */

struct pingpong_args {
    struct ring ping, pong;
    long samples, warmup;
};

/* One calibration point: CLOCK_MONOTONIC and the ticks at the same moment
 * (the midpoint of two tick reads around the clock read). */
struct calibration {
    uint64_t ns, tick;
};

static struct calibration calibration_point(void) {
    uint64_t t0 = ticks();
    uint64_t ns = now_ns();
    uint64_t t1 = ticks();
    return (struct calibration){.ns = ns, .tick = t0 + (t1 - t0) / 2};
}

INLINE int pingpong_initiator(void *arg, enum design d) {
    struct pingpong_args *a = arg;
    struct producer tx = producer_of(a->ping);
    struct consumer rx = consumer_of(a->pong);
    uint64_t *t = malloc((size_t)a->samples * sizeof *t);
    if (!t)
        die("malloc");
    struct calibration start = calibration_point();
    for (long i = -a->warmup; i < a->samples; i++) {
        uint64_t seq = (uint64_t)(i + a->warmup);
        uint64_t t0 = ticks();
        push(&tx, seq, d);
        uint64_t back = pop(&rx, d);
        uint64_t t1 = ticks();
        if (back != seq) {
            fprintf(stderr, "ring: round trip %llu came back as %llu\n", (unsigned long long)seq,
                    (unsigned long long)back);
            push(&tx, STOP, d);
            return 1;
        }
        if (i >= 0)
            t[i] = t1 - t0;
    }
    push(&tx, STOP, d);
    struct calibration end;
    do
        end = calibration_point();
    while (end.ns - start.ns < CALIBRATE_MS * 1000000u);
    if (end.tick <= start.tick) {
        fprintf(stderr, "ring: the tick counter did not advance over %llu ns\n",
                (unsigned long long)(end.ns - start.ns));
        return 2;
    }
    double ns_per_tick = (double)(end.ns - start.ns) / (double)(end.tick - start.tick);
    qsort(t, (size_t)a->samples, sizeof *t, cmp_u64);
    double p50 = (double)quantile(t, (size_t)a->samples, 0.50) * ns_per_tick;
    double p99 = (double)quantile(t, (size_t)a->samples, 0.99) * ns_per_tick;
    printf("p50_ns %.0f\np99_ns %.0f\nns_per_tick %.6f\n", p50, p99, ns_per_tick);
    free(t);
    return 0;
}
SIDE(pingpong_initiator)

INLINE int pingpong_echo(void *arg, enum design d) {
    struct pingpong_args *a = arg;
    struct consumer rx = consumer_of(a->ping);
    struct producer tx = producer_of(a->pong);
    for (;;) {
        uint64_t v = pop(&rx, d);
        if (v == STOP)
            return 0;
        push(&tx, v, d);
    }
}
SIDE(pingpong_echo)

/* ---- main ---- */

static void usage(void) {
    fprintf(stderr,
            "usage: ring stream PRODUCER_CORE CONSUMER_CORE MILLIS SLOTS [DESIGN]\n"
            "       ring pingpong CORE_A CORE_B SAMPLES WARMUP SLOTS [DESIGN]\n"
            "DESIGN: cached (the default), textbook or stamped\n"
            "SLOTS: cached and stamped, a power of two from 1 to %lu; textbook, 2 to %lu (one slot stays empty)\n",
            MAX_SLOTS, MAX_SLOTS);
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
    /* Index of SLOTS; DESIGN, if given, follows it. */
    int slots_at = stream ? 5 : 6;
    if (!stream && strcmp(argv[1], "pingpong") != 0)
        usage();
    if (argc != slots_at + 1 && argc != slots_at + 2)
        usage();
    enum design d = CACHED;
    if (argc == slots_at + 2) {
        if (strcmp(argv[slots_at + 1], "textbook") == 0) {
            d = TEXTBOOK;
        } else if (strcmp(argv[slots_at + 1], "stamped") == 0) {
            d = STAMPED;
        } else if (strcmp(argv[slots_at + 1], "cached") != 0) {
            fprintf(stderr, "ring: DESIGN '%s' is not cached, textbook or stamped\n", argv[slots_at + 1]);
            usage();
        }
    }
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    long last_core = ncpu > 0 && ncpu < CPU_SETSIZE ? ncpu - 1 : CPU_SETSIZE - 1;
    int core_a = (int)number("first core", argv[2], last_core);
    int core_b = (int)number("second core", argv[3], last_core);
    uint64_t slots = (uint64_t)number("SLOTS", argv[slots_at], (long)MAX_SLOTS);
    if (d != TEXTBOOK && (slots == 0 || (slots & (slots - 1)) != 0)) {
        fprintf(stderr, "ring: SLOTS %llu is not a power of two (the cached and stamped designs mask)\n",
                (unsigned long long)slots);
        usage();
    }
    if (d == TEXTBOOK && slots < 2) {
        fprintf(stderr, "ring: SLOTS %llu is below 2 (the textbook design leaves one slot empty)\n",
                (unsigned long long)slots);
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
        sa = (struct stream_args){.r = map_ring(d, slots), .millis = (uint64_t)number("MILLIS", argv[4], 3600000)};
        alarm((unsigned)(sa.millis / 1000) + WATCHDOG_S);
        side_a = d == TEXTBOOK ? stream_producer_textbook : d == STAMPED ? stream_producer_stamped : stream_producer_cached;
        side_b = d == TEXTBOOK ? stream_consumer_textbook : d == STAMPED ? stream_consumer_stamped : stream_consumer_cached;
        args = &sa;
    } else {
        pa = (struct pingpong_args){.ping = map_ring(d, slots),
                                    .pong = map_ring(d, slots),
                                    .samples = number("SAMPLES", argv[4], 100000000),
                                    .warmup = number("WARMUP", argv[5], 100000000)};
        if (pa.samples < 1) {
            fprintf(stderr, "ring: SAMPLES must be at least 1\n");
            usage();
        }
        alarm(WATCHDOG_S + (unsigned)((pa.samples + pa.warmup) / 100000));
        side_a = d == TEXTBOOK  ? pingpong_initiator_textbook
                 : d == STAMPED ? pingpong_initiator_stamped
                                : pingpong_initiator_cached;
        side_b = d == TEXTBOOK ? pingpong_echo_textbook : d == STAMPED ? pingpong_echo_stamped : pingpong_echo_cached;
        args = &pa;
    }
    /* The receiving side first, so it is waiting when the first message goes. */
    children[1] = spawn(core_b, side_b, args);
    children[0] = spawn(core_a, side_a, args);
    return wait_children();
}
