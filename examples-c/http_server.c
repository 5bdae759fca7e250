/* http_server: the prior work's benchmark server — accept, read the request,
 * send a fixed 200 reply, keep the connection alive when the client asks,
 * close otherwise — on either of uringbridge's event-loop faces:
 *
 *   --face ring     the async completion face: multishot accept, then
 *                   recv -> send -> (recv | close) per connection on one
 *                   ring, completions taken in batches with urb_ring_wait.
 *                   The loop is one thread, so the ring is made
 *                   URB_RING_SINGLE_THREAD: this thread enters the kernel
 *                   itself (--owner-thread: a ring served by its library
 *                   thread instead, for comparison);
 *   --face vtable   the readiness face (urb_poller_default(): io_uring poll
 *                   requests, or epoll): non-blocking sockets, plain
 *                   recv/send when the poller reports them ready.
 *
 *   http_server [--port N] [--face ring|vtable] [--owner-thread] [--max-requests N]
 * Binds 127.0.0.1 only. Prints "listening on PORT" once ready. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uringbridge.h>

#include "http.h"
#include "loopback.h"

enum { MAX_FDS = 65536 };
static struct http_conn *conns[MAX_FDS]; /* the readiness face's, by descriptor */
static long served, max_requests = -1;

static bool more_wanted(void) { return max_requests < 0 || served < max_requests; }

static struct http_conn *new_conn(int fd) {
    if (fd >= MAX_FDS) return NULL;
    conns[fd] = calloc(1, sizeof(struct http_conn));
    conns[fd]->fd = fd;
    return conns[fd];
}

static void free_conn(int fd) {
    free(conns[fd]);
    conns[fd] = NULL;
}

/* ---- the completion face ---------------------------------------------- */

/* A token names the connection itself, not its descriptor: after a close the
 * number can come back from accept before the close's completion is seen. */
enum step { RECV = 1, SEND = 2, CLOSE = 3, ACCEPT = 4, STEP_MASK = 7 };
static urb_ring *ring;

static uint64_t token(struct http_conn *c, enum step s) { return (uint64_t)(uintptr_t)c | s; }

static void submit(urb_op *op, uint64_t tok) {
    int32_t r = urb_ring_submit(ring, op, tok);
    if (r < 0) {
        fprintf(stderr, "http_server: submit: %s\n", urb_strerror(r));
        exit(1);
    }
}

static void start_recv(struct http_conn *c) {
    urb_op op;
    urb_prep_recv(c->fd, c->buf + c->len, HTTP_BUF - c->len, 0, &op);
    submit(&op, token(c, RECV));
}

static void start_close(struct http_conn *c) {
    urb_op op;
    urb_prep_close(c->fd, &op);
    submit(&op, token(c, CLOSE));
}

/* Answers the next buffered request, or reads more. */
static void serve_next(struct http_conn *c) {
    uint32_t len;
    const char *reply = http_next_reply(c, &len);
    if (reply) {
        urb_op op;
        urb_prep_send(c->fd, reply, len, MSG_WAITALL, &op);
        submit(&op, token(c, SEND));
    } else if (c->len == HTTP_BUF) {
        start_close(c); /* a request head too large to serve */
    } else {
        start_recv(c);
    }
}

static void on_completion(const urb_completion *cq, int lfd) {
    struct http_conn *c = (struct http_conn *)(uintptr_t)(cq->token & ~(uint64_t)STEP_MASK);
    switch ((enum step)(cq->token & STEP_MASK)) {
    case ACCEPT:
        if (cq->res >= 0) {
            struct http_conn *k = calloc(1, sizeof *k);
            k->fd = cq->res;
            start_recv(k);
        }
        if (!(cq->flags & URB_CQE_F_MORE)) /* the kernel ended it: arm again */
            urb_ring_accept_multishot(ring, lfd, SOCK_CLOEXEC, token(NULL, ACCEPT));
        break;
    case RECV:
        if (cq->res <= 0) { start_close(c); break; }
        c->len += (uint32_t)cq->res;
        serve_next(c);
        break;
    case SEND:
        served++;
        if (cq->res < 0 || !c->keep_alive) start_close(c);
        else serve_next(c); /* pipelined requests first */
        break;
    case CLOSE:
        free(c);
        break;
    case STEP_MASK:
        break;
    }
}

static int run_ring_face(int lfd, bool owner_thread) {
    urb_ring_config cfg = {.flags = owner_thread ? 0 : URB_RING_SINGLE_THREAD};
    int32_t r = urb_ring_new(&cfg, &ring);
    if (r < 0) { fprintf(stderr, "http_server: ring: %s\n", urb_strerror(r)); return 1; }
    r = urb_ring_accept_multishot(ring, lfd, SOCK_CLOEXEC, token(NULL, ACCEPT));
    if (r < 0) { fprintf(stderr, "http_server: accept: %s\n", urb_strerror(r)); return 1; }
    urb_completion batch[256];
    while (more_wanted()) {
        int n = urb_ring_wait(ring, batch, 256, 1, URB_WAIT_FOREVER);
        if (n < 0) { fprintf(stderr, "http_server: wait: %s\n", urb_strerror(n)); return 1; }
        for (int i = 0; i < n; i++) on_completion(&batch[i], lfd);
    }
    urb_stats st;
    urb_ring_stats(ring, &st);
    printf("served %ld requests; %llu submitted in %llu io_uring_enter calls\n", served,
           (unsigned long long)st.submitted, (unsigned long long)st.enters);
    urb_ring_free(ring);
    return 0;
}

/* ---- the readiness face ----------------------------------------------- */

static const urb_poller_vtable *vt;
static void *poller;

static void drop_conn(struct http_conn *c) {
    vt->modify_fd(poller, c->fd, URB_EV_READ, 0);
    close(c->fd);
    free_conn(c->fd);
}

/* Persistent interest reports a socket when it becomes ready: read until
 * EAGAIN, answering every complete request. Replies are small; a reply the
 * socket cannot take at once ends the connection (never seen on loopback). */
static void on_readable(struct http_conn *c) {
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, HTTP_BUF - c->len, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) { drop_conn(c); return; }
        c->len += (uint32_t)n;
        uint32_t len;
        const char *reply;
        while ((reply = http_next_reply(c, &len))) {
            bool sent = send(c->fd, reply, len, MSG_NOSIGNAL) == (ssize_t)len;
            served++;
            if (!sent || !c->keep_alive) { drop_conn(c); return; }
        }
        if (c->len == HTTP_BUF) { drop_conn(c); return; }
    }
}

static int run_vtable_face(int lfd) {
    vt = urb_poller_default();
    poller = vt->create();
    if (!poller) { fprintf(stderr, "http_server: %s poller refused\n", vt->name); return 1; }
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    int32_t r = vt->modify_fd(poller, lfd, 0, URB_EV_READ);
    if (r < 0) { fprintf(stderr, "http_server: register: %s\n", urb_strerror(r)); return 1; }
    urb_event events[256];
    while (more_wanted()) {
        int n = vt->poll(poller, -1, events, 256);
        if (n < 0) { fprintf(stderr, "http_server: poll: %s\n", urb_strerror(n)); return 1; }
        for (int i = 0; i < n; i++) {
            int fd = events[i].fd;
            if (fd == lfd) {
                int s;
                while ((s = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    struct http_conn *c = new_conn(s);
                    if (!c) { close(s); continue; }
                    vt->modify_fd(poller, s, 0, URB_EV_READ);
                    on_readable(c); /* data may have come with the connection */
                }
            } else if (conns[fd]) {
                on_readable(conns[fd]);
            }
        }
    }
    printf("served %ld requests on the %s readiness poller\n", served, vt->name);
    vt->destroy(poller);
    return 0;
}

int main(int argc, char **argv) {
    int port = 8080;
    const char *face = "ring";
    bool owner_thread = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-requests") && i + 1 < argc) max_requests = atol(argv[++i]);
        else if (!strcmp(argv[i], "--face") && i + 1 < argc) face = argv[++i];
        else if (!strcmp(argv[i], "--owner-thread")) owner_thread = true;
        else { fprintf(stderr, "usage: http_server [--port N] [--face ring|vtable] [--owner-thread] [--max-requests N]\n"); return 2; }
    }
    if (strcmp(face, "ring") && strcmp(face, "vtable")) { fprintf(stderr, "http_server: --face ring|vtable\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    int bound_port;
    int lfd = listen_loopback(port, 4096, &bound_port);
    if (lfd < 0) return 1;
    bool vtable = !strcmp(face, "vtable");
    printf("listening on %d (engine %s, %s face%s%s)\n", bound_port, urb_engine_name(), face,
           vtable ? ", poller " : "", vtable ? urb_poller_default()->name : "");
    fflush(stdout);
    int status = vtable ? run_vtable_face(lfd) : run_ring_face(lfd, owner_thread);
    for (int fd = 0; fd < MAX_FDS; fd++) if (conns[fd]) { close(fd); free_conn(fd); }
    close(lfd);
    return status;
}
