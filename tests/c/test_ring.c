/* The async face from C, on both engines: pull (wait, reap, the eventfd),
 * push (callback), timeouts, cancel, chains, batches, multishot, submitters
 * that exit at once, a tiny CQ under a burst, and bad input. */
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

static urb_ring *new_ring(const urb_ring_config *cfg) {
    urb_ring *r = NULL;
    CHECK_RES(urb_ring_new(cfg, &r), 0);
    return r;
}

/* Waits for exactly n completions (bounded), storing them in out. */
static int wait_n(urb_ring *r, urb_completion *out, int n) {
    int got = 0;
    for (int tries = 0; got < n && tries < 100; tries++) {
        int k = urb_ring_wait(r, out + got, (uint32_t)(n - got), (uint32_t)(n - got), 200000000ull);
        if (k < 0) return k;
        got += k;
    }
    return got;
}

static void test_pull_face(void) {
    urb_ring *r = new_ring(NULL);
    int p[2];
    CHECK(pipe(p) == 0);
    char buf[16] = {0};
    urb_op op;
    urb_prep_read(p[0], buf, sizeof buf, 0, &op);
    CHECK_RES(urb_ring_submit(r, &op, 1), 0);
    int fd = urb_ring_fd(r);
    CHECK(fd >= 0);
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    CHECK(poll(&pfd, 1, 20) == 0); /* nothing finished yet */
    CHECK(write(p[1], "async", 5) == 5);
    CHECK(poll(&pfd, 1, 5000) == 1);
    urb_completion c[4];
    CHECK_RES(urb_ring_reap(r, c, 4), 1);
    CHECK(c[0].token == 1 && c[0].res == 5 && memcmp(buf, "async", 5) == 0);
    CHECK(poll(&pfd, 1, 0) == 0); /* reaped: not readable any more */
    CHECK_RES(urb_ring_reap(r, c, 4), 0);
    CHECK_RES(urb_ring_wait(r, c, 4, 1, 1000000), 0); /* times out empty */
    close(p[0]);
    close(p[1]);
    urb_ring_free(r);
}

static void test_timeout_cancel_chain_batch(void) {
    urb_ring *r = new_ring(NULL);
    int p[2];
    CHECK(pipe(p) == 0);
    char buf[8];
    urb_op op;
    urb_completion c[8];
    urb_prep_read(p[0], buf, sizeof buf, 0, &op);
    CHECK_RES(urb_ring_submit_timeout(r, &op, 10, 10000000), 0);
    CHECK_RES(wait_n(r, c, 1), 1);
    CHECK(c[0].token == 10 && c[0].res == -ETIME);

    CHECK_RES(urb_ring_submit(r, &op, 11), 0);
    usleep(5000);
    CHECK_RES(urb_ring_cancel(r, 11), 0);
    CHECK_RES(wait_n(r, c, 1), 1);
    CHECK(c[0].token == 11 && c[0].res == -ECANCELED);

    urb_op chain[3];
    uint64_t tokens[3] = {20, 21, 22};
    urb_prep_nop(&chain[0]);
    urb_prep_read(60000, buf, sizeof buf, 0, &chain[1]);
    urb_prep_nop(&chain[2]);
    CHECK_RES(urb_ring_submit_chain(r, chain, 3, tokens), 0);
    CHECK_RES(wait_n(r, c, 3), 3);
    for (int i = 0; i < 3; i++) {
        if (c[i].token == 20) CHECK_RES(c[i].res, 0);
        if (c[i].token == 21) CHECK_RES(c[i].res, -EBADF);
        if (c[i].token == 22) CHECK_RES(c[i].res, -ECANCELED);
    }

    urb_op nops[8];
    uint64_t toks[8];
    for (int i = 0; i < 8; i++) { urb_prep_nop(&nops[i]); toks[i] = 100 + (uint64_t)i; }
    CHECK_RES(urb_ring_submit_batch(r, nops, 8, toks), 0);
    CHECK_RES(wait_n(r, c, 8), 8);
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++) sum += c[i].token;
    CHECK(sum == 8 * 100 + 28);
    nops[3].opcode = 200; /* all or nothing */
    CHECK_RES(urb_ring_submit_batch(r, nops, 8, toks), -EINVAL);
    CHECK_RES(urb_ring_wait(r, c, 8, 1, 20000000), 0);

    urb_stats st;
    CHECK_RES(urb_ring_stats(r, &st), 0);
    CHECK(st.submitted == 2 + 3 + 8 && st.completions == 2 + 3 + 8 && st.cancels == 1 && st.in_flight == 0);
    close(p[0]);
    close(p[1]);
    urb_ring_free(r);
}

static atomic_ulong callback_sum, callback_count;

static void on_completion(void *ctx, uint64_t token, int32_t res, uint32_t flags) {
    (void)flags;
    if (res == 0 && ctx == (void *)&callback_sum) atomic_fetch_add(&callback_sum, token);
    atomic_fetch_add(&callback_count, 1);
}

static void test_callback_face(void) {
    urb_ring *r = new_ring(NULL);
    CHECK_RES(urb_ring_set_callback(r, on_completion, &callback_sum), 0);
    urb_op op;
    urb_prep_nop(&op);
    for (uint64_t t = 1; t <= 200; t++) CHECK_RES(urb_ring_submit(r, &op, t), 0);
    for (int i = 0; i < 5000 && atomic_load(&callback_count) < 200; i++) usleep(1000);
    CHECK(atomic_load(&callback_count) == 200);
    CHECK(atomic_load(&callback_sum) == 200 * 201 / 2);
    urb_completion c[4];
    CHECK_RES(urb_ring_reap(r, c, 4), 0);
    urb_ring_free(r);
}

struct burst { urb_ring *ring; int first, count; };

static void *submit_and_exit(void *arg) {
    struct burst *b = arg;
    urb_op op;
    urb_prep_nop(&op);
    for (int i = b->first; i < b->first + b->count; i++) urb_ring_submit(b->ring, &op, (uint64_t)i);
    return NULL; /* the thread exits with its requests still in flight */
}

static void test_exiting_submitters_and_tiny_cq(void) {
    urb_ring_config cfg = {.entries = 8, .cq_entries = 8};
    urb_ring *r = new_ring(&cfg);
    enum { THREADS = 8, EACH = 12500, TOTAL = THREADS * EACH };
    pthread_t th[THREADS];
    struct burst b[THREADS];
    for (int i = 0; i < THREADS; i++) {
        b[i] = (struct burst){r, i * EACH, EACH};
        pthread_create(&th[i], NULL, submit_and_exit, &b[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    unsigned char *seen = calloc(TOTAL, 1);
    int got = 0, dup = 0, bad = 0;
    urb_completion c[256];
    for (int tries = 0; got < TOTAL && tries < 2000; tries++) {
        int n = urb_ring_wait(r, c, 256, 1, 100000000);
        for (int i = 0; i < n; i++) {
            if (c[i].res != 0 || c[i].token >= TOTAL) { bad++; continue; }
            if (seen[c[i].token]++) dup++;
            got++;
        }
    }
    CHECK(got == TOTAL);
    CHECK(dup == 0 && bad == 0);
    free(seen);
    urb_ring_free(r);
}

static void test_multishot_accept(void) {
    urb_ring *r = new_ring(NULL);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    CHECK(bind(lfd, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(lfd, 16) == 0);
    getsockname(lfd, (struct sockaddr *)&addr, &len);
    CHECK_RES(urb_ring_accept_multishot(r, lfd, SOCK_CLOEXEC, 77), 0);
    int clients[3];
    for (int i = 0; i < 3; i++) {
        clients[i] = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(connect(clients[i], (struct sockaddr *)&addr, sizeof addr) == 0);
    }
    urb_completion c[4];
    CHECK_RES(wait_n(r, c, 3), 3);
    for (int i = 0; i < 3; i++) {
        CHECK(c[i].token == 77 && c[i].res >= 0 && (c[i].flags & URB_CQE_F_MORE));
        close(c[i].res);
    }
    CHECK_RES(urb_ring_cancel(r, 77), 0);
    CHECK_RES(wait_n(r, c, 1), 1);
    CHECK(c[0].res == -ECANCELED && !(c[0].flags & URB_CQE_F_MORE));
    for (int i = 0; i < 3; i++) close(clients[i]);
    close(lfd);
    urb_ring_free(r);
}

static void test_bad_input(void) {
    urb_ring *r = NULL;
    CHECK_RES(urb_ring_new(NULL, NULL), -EINVAL);
    urb_ring_config cfg = {.reserved = {1}};
    CHECK_RES(urb_ring_new(&cfg, &r), -EINVAL);
    CHECK(r == NULL);
    urb_op op;
    urb_prep_nop(&op);
    CHECK_RES(urb_ring_submit(NULL, &op, 0), -EINVAL);
    r = new_ring(NULL);
    CHECK_RES(urb_ring_submit(r, NULL, 0), -EINVAL);
    CHECK_RES(urb_ring_reap(r, NULL, 1), -EINVAL);
    CHECK_RES(urb_ring_recv_multishot(r, 0, 0, 1), -EINVAL); /* no provided buffers */
    CHECK_RES(urb_ring_poll_multishot(r, 0, 0, 1), -EINVAL);
    CHECK_RES(urb_ring_buffer_release(r, 0), -EINVAL);
    uint8_t only_nop = URB_OP_NOP;
    urb_ring_config allow = {.allowed_ops = &only_nop, .n_allowed_ops = 1};
    urb_ring *restricted = new_ring(&allow);
    char buf[4];
    urb_prep_read(0, buf, 4, 0, &op);
    CHECK_RES(urb_ring_submit(restricted, &op, 1), -EACCES);
    urb_ring_free(restricted);
    urb_ring_free(r);
    urb_ring_free(NULL);
}

int main(void) {
    harness_start("test_ring");
    RUN(test_pull_face);
    RUN(test_timeout_cancel_chain_batch);
    RUN(test_callback_face);
    RUN(test_exiting_submitters_and_tiny_cq);
    RUN(test_multishot_accept);
    RUN(test_bad_input);
    return harness_finish();
}
