/*
 * pingpong.c: the plain C reference for bench-core/benches/kernel_vs_c.rs.
 *
 *   pingpong MECH CORE_A CORE_B WARMUP SAMPLES MSG_SIZE [watchdog]
 *
 * MECH is one of pipe, unix-stream, posix-mq, sysv-mq. The program forks:
 * the parent is pinned to CORE_A and sends MSG_SIZE bytes, the child is
 * pinned to CORE_B and sends them back. Two kernel objects, one per
 * direction, as the Rust channels use them:
 *
 *   pipe         two pipes;
 *   unix-stream  two socketpair(AF_UNIX, SOCK_STREAM), each used one way;
 *   posix-mq     two queues /ringside-<pid>-c-N (mq_maxmsg 1, mq_msgsize
 *                MSG_SIZE), created by the parent, opened by name in the
 *                child, unlinked as soon as the child has opened both;
 *   sysv-mq      two msgget(IPC_PRIVATE) queues, removed with IPC_RMID at
 *                the end, at exit and on SIGINT/SIGTERM/SIGHUP/SIGCHLD.
 *
 * Streams carry the framing of bench-core/src/transport/framing.rs: a
 * 4-byte little-endian length, then the payload, written with one write();
 * the reader reads until a whole frame is in. A zero-length frame (an empty
 * message on the queues) is the clean end. Each message carries its
 * sequence number in its first bytes and the parent checks every echo.
 *
 * The parent times each of SAMPLES round trips (after WARMUP untimed ones)
 * with clock_gettime(CLOCK_MONOTONIC) and prints, from the sorted samples
 * (nearest rank, as vocabulary::stats::quantile_ns):
 *
 *   p50_ns=<n> p99_ns=<n>
 *
 * With `watchdog`, each process starts, once pinned, a second thread that
 * sleeps in 50 ms slices and does nothing else: the shape of ringside's
 * message-queue ends, whose StallWatch thread parks in slices of 50 ms
 * (bench-core/src/transport/peer.rs). It is there because the shape
 * matters: on the KVM guest this was written on, a process with a second,
 * sleeping thread was woken about 10% faster cross-core than a
 * single-threaded one (pipe and both queues alike), so a single-threaded C
 * program is not "the same thing" as a ringside queue end.
 *
 * Build: gcc -O2 -o pingpong pingpong.c -lrt -lpthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "quantile.h"

enum mech { PIPE, UNIX_STREAM, POSIX_MQ, SYSV_MQ };

#define HEADER 4
#define READ_BUFFER (64 * 1024)

/* Objects to remove; touched by the signal handler, so plain globals. */
static volatile sig_atomic_t owner_pid;
static volatile sig_atomic_t finishing;
static int sysv_ids[2] = {-1, -1};
static char mq_names[2][64];
static volatile sig_atomic_t mq_linked;
static volatile sig_atomic_t child_pid;

static void cleanup(void) {
    if (getpid() != owner_pid)
        return;
    for (int i = 0; i < 2; i++)
        if (sysv_ids[i] >= 0) {
            msgctl(sysv_ids[i], IPC_RMID, NULL);
            sysv_ids[i] = -1;
        }
    if (mq_linked) {
        mq_unlink(mq_names[0]);
        mq_unlink(mq_names[1]);
        mq_linked = 0;
    }
}

static void on_signal(int sig) {
    /* SIGCHLD is expected once the parent has sent the end marker. */
    if (sig == SIGCHLD && finishing)
        return;
    cleanup(); /* msgctl, mq_unlink, kill and waitpid are async-signal-safe */
    if (child_pid > 0 && getpid() == owner_pid) {
        finishing = 1;            /* its SIGCHLD is now expected */
        kill(child_pid, SIGKILL); /* reap it: no zombie left behind */
        waitpid(child_pid, NULL, 0);
    }
    _exit(sig == SIGCHLD ? 3 : 130);
}

static void die(const char *what) {
    fprintf(stderr, "pingpong: %s: %s\n", what, strerror(errno));
    exit(2); /* runs cleanup() through atexit in the parent */
}

/* Whether each process starts a sleeping second thread (`watchdog`). */
static int with_watchdog;

static void *watchdog(void *arg) {
    (void)arg;
    for (;;)
        usleep(50000);
    return NULL;
}

/* Start the sleeping thread if asked; after pin(), so it shares the core. */
static void start_watchdog(void) {
    pthread_t t;
    if (with_watchdog && pthread_create(&t, NULL, watchdog, NULL) != 0) {
        fprintf(stderr, "pingpong: pthread_create failed\n");
        exit(2);
    }
}

static void pin(int core) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        die("sched_setaffinity");
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- byte streams: one write per frame, read until a whole frame is in ---- */

struct reader {
    int fd;
    unsigned char buf[READ_BUFFER];
    size_t start, end;
};

static void write_all(int fd, const unsigned char *p, size_t len, int sock) {
    while (len > 0) {
        ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += n;
        len -= (size_t)n;
    }
}

/* The next frame's payload into out (at most max bytes); its length, 0 for
 * the end marker, -1 for end of stream without it. */
static long read_frame(struct reader *r, unsigned char *out, size_t max) {
    for (;;) {
        size_t have = r->end - r->start;
        if (have >= HEADER) {
            const unsigned char *h = r->buf + r->start;
            size_t len = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16 | (size_t)h[3] << 24;
            if (len > max) {
                fprintf(stderr, "pingpong: frame of %zu bytes, buffer %zu\n", len, max);
                exit(2);
            }
            if (have >= HEADER + len) {
                memcpy(out, h + HEADER, len);
                r->start += HEADER + len;
                return (long)len;
            }
        }
        if (r->start == r->end) {
            r->start = r->end = 0;
        } else if (sizeof r->buf - r->end < READ_BUFFER / 4) {
            memmove(r->buf, r->buf + r->start, have);
            r->start = 0;
            r->end = have;
        }
        ssize_t n = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read");
        }
        if (n == 0)
            return -1;
        r->end += (size_t)n;
    }
}

/* ---- one direction of any mechanism ---- */

struct end {
    enum mech mech;
    int fd;           /* pipe, unix-stream */
    struct reader *r; /* receiving stream end */
    mqd_t mq;         /* posix-mq */
    int msqid;        /* sysv-mq */
    unsigned char *frame; /* header + payload for streams, mtype + payload for sysv */
};

static struct end make_end(enum mech mech, size_t size) {
    struct end e = {.mech = mech, .fd = -1, .r = NULL, .mq = (mqd_t)-1, .msqid = -1};
    e.frame = malloc(sizeof(long) + HEADER + size);
    if (!e.frame)
        die("malloc");
    return e;
}

static void send_msg(struct end *e, const unsigned char *msg, size_t len) {
    switch (e->mech) {
    case PIPE:
    case UNIX_STREAM:
        e->frame[0] = (unsigned char)len;
        e->frame[1] = (unsigned char)(len >> 8);
        e->frame[2] = (unsigned char)(len >> 16);
        e->frame[3] = (unsigned char)(len >> 24);
        memcpy(e->frame + HEADER, msg, len);
        write_all(e->fd, e->frame, HEADER + len, e->mech == UNIX_STREAM);
        break;
    case POSIX_MQ:
        while (mq_send(e->mq, (const char *)msg, len, 0) != 0)
            if (errno != EINTR)
                die("mq_send");
        break;
    case SYSV_MQ: {
        long mtype = 1;
        memcpy(e->frame, &mtype, sizeof mtype);
        memcpy(e->frame + sizeof mtype, msg, len);
        while (msgsnd(e->msqid, e->frame, len, 0) != 0)
            if (errno != EINTR)
                die("msgsnd");
        break;
    }
    }
}

/* The next message into buf (size bytes); its length, 0 at the clean end,
 * -1 when the stream ended without the end marker or the queue vanished. */
static long recv_msg(struct end *e, unsigned char *buf, size_t size) {
    switch (e->mech) {
    case PIPE:
    case UNIX_STREAM:
        return read_frame(e->r, buf, size);
    case POSIX_MQ:
        for (;;) {
            ssize_t n = mq_receive(e->mq, (char *)buf, size, NULL);
            if (n >= 0)
                return (long)n;
            if (errno != EINTR)
                die("mq_receive");
        }
    case SYSV_MQ:
        for (;;) {
            ssize_t n = msgrcv(e->msqid, e->frame, size, 0, 0);
            if (n >= 0) {
                memcpy(buf, e->frame + sizeof(long), (size_t)n);
                return (long)n;
            }
            if (errno == EIDRM || errno == EINVAL)
                return -1;
            if (errno != EINTR)
                die("msgrcv");
        }
    }
    return -1;
}

static void usage(void) {
    fprintf(stderr, "usage: pingpong pipe|unix-stream|posix-mq|sysv-mq CORE_A CORE_B WARMUP SAMPLES MSG_SIZE "
                    "[watchdog]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8)
        usage();
    if (argc == 8) {
        if (strcmp(argv[7], "watchdog") != 0)
            usage();
        with_watchdog = 1;
    }
    enum mech mech;
    if (strcmp(argv[1], "pipe") == 0)
        mech = PIPE;
    else if (strcmp(argv[1], "unix-stream") == 0)
        mech = UNIX_STREAM;
    else if (strcmp(argv[1], "posix-mq") == 0)
        mech = POSIX_MQ;
    else if (strcmp(argv[1], "sysv-mq") == 0)
        mech = SYSV_MQ;
    else
        usage();
    int core_a = atoi(argv[2]), core_b = atoi(argv[3]);
    long warmup = atol(argv[4]), samples = atol(argv[5]);
    size_t size = (size_t)atol(argv[6]);
    if (samples < 1 || warmup < 0 || size < 1 || size > 1 << 20)
        usage();

    owner_pid = getpid();
    atexit(cleanup);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL); /* a child that dies early: clean up, fail */
    signal(SIGPIPE, SIG_IGN);     /* as in a Rust binary: a closed reader is EPIPE */
    /* Started by the bench, which may be killed mid-run: go (and clean up) with it. */
    prctl(PR_SET_PDEATHSIG, SIGTERM);

    /* ping: parent -> child; pong: child -> parent. [0] read end, [1] write end. */
    int ping[2] = {-1, -1}, pong[2] = {-1, -1};
    switch (mech) {
    case PIPE:
        if (pipe(ping) != 0 || pipe(pong) != 0)
            die("pipe");
        break;
    case UNIX_STREAM:
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, ping) != 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, pong) != 0)
            die("socketpair");
        break;
    case POSIX_MQ: {
        struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = (long)size};
        for (int i = 0; i < 2; i++)
            snprintf(mq_names[i], sizeof mq_names[i], "/ringside-%d-c-%d", (int)getpid(), i);
        mq_linked = 1;
        for (int i = 0; i < 2; i++) {
            mqd_t q = mq_open(mq_names[i], O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
            if (q == (mqd_t)-1)
                die("mq_open (see /proc/sys/fs/mqueue/msgsize_max)");
            mq_close(q); /* each side opens its own ends by name */
        }
        break;
    }
    case SYSV_MQ:
        for (int i = 0; i < 2; i++)
            if ((sysv_ids[i] = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) < 0)
                die("msgget");
        break;
    }

    struct end tx = make_end(mech, size), rx = make_end(mech, size);
    unsigned char *msg = malloc(size), *buf = malloc(size);
    if (!msg || !buf)
        die("malloc");
    memset(msg, 0xab, size);

    pid_t child = fork();
    if (child < 0)
        die("fork");
    child_pid = child;
    if (child == 0) {
        /* The echo: receive on ping, send back on pong, until the end marker. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != owner_pid)
            _exit(1);
        pin(core_b);
        start_watchdog();
        switch (mech) {
        case PIPE:
        case UNIX_STREAM:
            close(ping[1]);
            close(pong[0]);
            rx.fd = ping[0];
            tx.fd = pong[1];
            break;
        case POSIX_MQ:
            rx.mq = mq_open(mq_names[0], O_RDONLY);
            tx.mq = mq_open(mq_names[1], O_WRONLY);
            if (rx.mq == (mqd_t)-1 || tx.mq == (mqd_t)-1)
                die("mq_open in the child");
            send_msg(&tx, msg, 1); /* opened: the parent may unlink the names */
            break;
        case SYSV_MQ:
            rx.msqid = sysv_ids[0];
            tx.msqid = sysv_ids[1];
            break;
        }
        if (rx.fd >= 0) {
            rx.r = malloc(sizeof *rx.r);
            if (!rx.r)
                die("malloc");
            rx.r->fd = rx.fd;
            rx.r->start = rx.r->end = 0;
        }
        for (;;) {
            long n = recv_msg(&rx, buf, size);
            if (n <= 0) {
                if (mech == PIPE || mech == UNIX_STREAM)
                    send_msg(&tx, buf, 0); /* pass the end on */
                _exit(n == 0 ? 0 : 1);
            }
            send_msg(&tx, buf, (size_t)n);
        }
    }

    /* The parent: time round trips. */
    pin(core_a);
    start_watchdog();
    switch (mech) {
    case PIPE:
    case UNIX_STREAM:
        close(ping[0]);
        close(pong[1]);
        tx.fd = ping[1];
        rx.fd = pong[0];
        rx.r = malloc(sizeof *rx.r);
        if (!rx.r)
            die("malloc");
        rx.r->fd = rx.fd;
        rx.r->start = rx.r->end = 0;
        break;
    case POSIX_MQ:
        tx.mq = mq_open(mq_names[0], O_WRONLY);
        rx.mq = mq_open(mq_names[1], O_RDONLY);
        if (rx.mq == (mqd_t)-1 || tx.mq == (mqd_t)-1)
            die("mq_open");
        if (recv_msg(&rx, buf, size) != 1) { /* the child has both open */
            fprintf(stderr, "pingpong: no ready message from the child\n");
            exit(2);
        }
        mq_unlink(mq_names[0]);
        mq_unlink(mq_names[1]);
        mq_linked = 0;
        break;
    case SYSV_MQ:
        tx.msqid = sysv_ids[0];
        rx.msqid = sysv_ids[1];
        break;
    }

    uint64_t *t = malloc((size_t)samples * sizeof *t);
    if (!t)
        die("malloc");
    for (long i = -warmup; i < samples; i++) {
        uint64_t seq = (uint64_t)(i + warmup);
        memcpy(msg, &seq, size < sizeof seq ? size : sizeof seq);
        uint64_t t0 = now_ns();
        send_msg(&tx, msg, size);
        long n = recv_msg(&rx, buf, size);
        uint64_t t1 = now_ns();
        if (n != (long)size || memcmp(buf, msg, size) != 0) {
            fprintf(stderr, "pingpong: round trip %lld: echo of %ld bytes does not match\n", (long long)seq, n);
            exit(2);
        }
        if (i >= 0)
            t[i] = t1 - t0;
    }

    /* Clean end: the end marker, the child's reply to it, its exit status. */
    finishing = 1;
    send_msg(&tx, msg, 0);
    if (mech == PIPE || mech == UNIX_STREAM)
        if (recv_msg(&rx, buf, size) != 0) {
            fprintf(stderr, "pingpong: the child did not end cleanly\n");
            exit(2);
        }
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR)
            die("waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pingpong: the child failed (status %d)\n", status);
        exit(2);
    }
    cleanup();

    qsort(t, (size_t)samples, sizeof *t, cmp_u64);
    printf("p50_ns=%llu p99_ns=%llu\n", (unsigned long long)quantile(t, (size_t)samples, 0.50),
           (unsigned long long)quantile(t, (size_t)samples, 0.99));
    return 0;
}
