/* Signals and the blocking face: a storm of SIGALRM (handler installed
 * without SA_RESTART, so interrupted system calls fail with EINTR) must
 * neither shorten a sleep nor let -EINTR reach a caller; and a signal
 * handler may itself call the library while its thread is blocked in it.
 * Its own binary: signal dispositions are process-wide. */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static void storm(long every_us) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval t = {{0, every_us}, {0, every_us}};
    setitimer(ITIMER_REAL, &t, NULL);
}

struct late_write { int fd; uint64_t after_ns; };

static void *write_late(void *arg) {
    struct late_write *w = arg;
    struct timespec ts = {0, (long)w->after_ns};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    if (write(w->fd, "late", 4) != 4) perror("write_late");
    return NULL;
}

static void test_storm_reaches_no_caller(void) {
    storm(100);
    for (int round = 0; round < 5; round++) {
        uint64_t t0 = fixture_now_ns();
        CHECK_RES(urb_sleep_ns(20 * 1000 * 1000), 0);
        CHECK(fixture_now_ns() - t0 >= 20 * 1000 * 1000);

        int p[2];
        CHECK(pipe2(p, O_CLOEXEC) == 0);
        pthread_t writer;
        struct late_write w = {p[1], 10 * 1000 * 1000};
        CHECK(pthread_create(&writer, NULL, write_late, &w) == 0);
        char buf[8] = {0};
        CHECK_RES(urb_read(p[0], buf, sizeof buf, URB_OFFSET_CURRENT), 4);
        CHECK(memcmp(buf, "late", 4) == 0);
        pthread_join(writer, NULL);

        urb_op op;
        urb_prep_read(p[0], buf, sizeof buf, 0, &op);
        t0 = fixture_now_ns();
        CHECK_RES(urb_submit_blocking_timeout(&op, 15 * 1000 * 1000), -ETIME);
        CHECK(fixture_now_ns() - t0 >= 15 * 1000 * 1000);

        urb_op chain[2];
        int32_t res[2];
        CHECK(write(p[1], "chain", 5) == 5);
        urb_prep_poll(p[0], POLLIN, &chain[0]);
        urb_prep_read(p[0], buf, 5, URB_OFFSET_CURRENT, &chain[1]);
        CHECK_RES(urb_submit_chain_blocking(chain, 2, res), 0);
        CHECK(memcmp(buf, "chain", 5) == 0);
        close(p[0]);
        close(p[1]);
    }
    storm(0);
    CHECK(alarms > 0); /* the storm did happen */
}

/* What the SIGUSR1 handler got from the library. */
static volatile int32_t handler_nop = 99, handler_write = 99;
static int handler_pipe_w;

static void on_usr1(int sig) {
    (void)sig;
    handler_nop = urb_nop();
    handler_write = urb_write(handler_pipe_w, "h", 1, URB_OFFSET_CURRENT);
}

struct poke { pthread_t target; int data_fd; };

static void *poke_then_feed(void *arg) {
    struct poke *p = arg;
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL); /* the target is blocked in urb_read by now */
    pthread_kill(p->target, SIGUSR1);
    nanosleep(&ts, NULL);
    if (write(p->data_fd, "data", 4) != 4) perror("feed");
    return NULL;
}

static void test_handler_may_call_the_library(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    int data[2], side[2];
    CHECK(pipe2(data, O_CLOEXEC) == 0 && pipe2(side, O_CLOEXEC) == 0);
    handler_pipe_w = side[1];
    struct poke poke = {pthread_self(), data[1]};
    pthread_t poker;
    CHECK(pthread_create(&poker, NULL, poke_then_feed, &poke) == 0);
    char buf[8] = {0};
    CHECK_RES(urb_read(data[0], buf, sizeof buf, URB_OFFSET_CURRENT), 4);
    CHECK(memcmp(buf, "data", 4) == 0);
    pthread_join(poker, NULL);
    CHECK_RES(handler_nop, 0);
    CHECK_RES(handler_write, 1);
    CHECK(read(side[0], buf, 1) == 1 && buf[0] == 'h');
    CHECK_RES(urb_nop(), 0); /* this thread's ring is still in order */
    CHECK_RES(urb_write(side[1], "after", 5, URB_OFFSET_CURRENT), 5);
    close(data[0]);
    close(data[1]);
    close(side[0]);
    close(side[1]);
}

int main(void) {
    harness_start("test_signals");
    RUN(test_storm_reaches_no_caller);
    RUN(test_handler_may_call_the_library);
    return harness_finish();
}
