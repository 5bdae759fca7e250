/* epoll_http_server: the anchor for uringbridge's HTTP comparisons. A plain,
 * single-threaded, level-triggered epoll server doing what the prior work's
 * benchmark server does: accept, read the request head (up to "\r\n\r\n"),
 * send a fixed 200 reply, keep the connection alive when the client asks
 * (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with
 * "Connection: keep-alive", as ab -k sends), close otherwise. Its replies are
 * byte for byte those of examples-c/http_server.c, so ab sees the same
 * documents from both.
 *
 *   epoll_http_server [--port N] [--max-requests N]
 * Binds 127.0.0.1 only; --port 0 (the default is 8080) picks a free port.
 * Prints "listening on PORT" once ready. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* accept4, memmem */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static const char REPLY[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";
static const char REPLY_CLOSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, world!";
static const char REPLY_KEEP_ALIVE_10[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world!";

enum { REQUEST_MAX = 8192, EVENTS_PER_WAIT = 256 };

struct conn {
    int fd;
    uint32_t in_len;        /* bytes of request data in `in` */
    const char *out;        /* reply still being sent, or NULL */
    size_t out_len, out_sent;
    bool close_after_reply;
    char in[REQUEST_MAX];
};

static int epfd;
static long served, max_requests = -1;

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* Does the head carry header `name` whose value contains `token`? Both
 * compared without regard to case, as HTTP wants. */
static bool header_has(const char *head, size_t len, const char *name, const char *token) {
    size_t name_len = strlen(name), token_len = strlen(token);
    const char *end = head + len;
    const char *line = memchr(head, '\n', len); /* skip the request line */
    while (line && ++line < end) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) break;
        if ((size_t)(eol - line) > name_len && line[name_len] == ':' && !strncasecmp(line, name, name_len))
            for (const char *v = line + name_len + 1; v + token_len <= eol; v++)
                if (!strncasecmp(v, token, token_len)) return true;
        line = eol;
    }
    return false;
}

/* Length of the complete request head at the start of c->in, or 0. */
static size_t complete_head(const struct conn *c) {
    const char *end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
    return end ? (size_t)(end - c->in) + 4 : 0;
}

static const char *reply_for(const char *head, size_t len, bool *close_after) {
    const char *line_end = memchr(head, '\r', len);
    bool http10 = line_end && memmem(head, (size_t)(line_end - head), "HTTP/1.0", 8);
    bool keep_alive = http10 ? header_has(head, len, "Connection", "keep-alive")
                             : !header_has(head, len, "Connection", "close");
    *close_after = !keep_alive;
    return !keep_alive ? REPLY_CLOSE : http10 ? REPLY_KEEP_ALIVE_10 : REPLY;
}

static void close_conn(struct conn *c) {
    close(c->fd); /* also removes it from the epoll set */
    free(c);
}

static void watch(struct conn *c, uint32_t events) {
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl MOD");
}

/* Sends what is left of c->out. False when the connection is finished
 * (error, or a reply that ends it went out). */
static bool flush(struct conn *c) {
    while (c->out_sent < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            watch(c, EPOLLOUT); /* stop reading until the reply is out */
            return true;
        }
        if (n < 0) return false;
        c->out_sent += (size_t)n;
    }
    c->out = NULL;
    served++;
    return !c->close_after_reply;
}

/* Answers every complete request in c->in (a client may pipeline).
 * False when the connection is finished. */
static bool serve_requests(struct conn *c) {
    size_t head;
    while (!c->out && (head = complete_head(c))) {
        c->out = reply_for(c->in, head, &c->close_after_reply);
        c->out_len = strlen(c->out);
        c->out_sent = 0;
        memmove(c->in, c->in + head, c->in_len - head);
        c->in_len -= (uint32_t)head;
        if (!flush(c)) return false;
    }
    return true;
}

static bool on_readable(struct conn *c) {
    for (;;) {
        if (c->in_len == REQUEST_MAX) return false; /* head too large */
        ssize_t n = recv(c->fd, c->in + c->in_len, REQUEST_MAX - c->in_len, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return true;
        if (n <= 0) return false; /* error, or the peer is done */
        c->in_len += (uint32_t)n;
        if (!serve_requests(c)) return false;
        if (c->out) return true; /* waiting for EPOLLOUT */
    }
}

static bool on_writable(struct conn *c) {
    if (!flush(c)) return false;
    if (c->out) return true;
    watch(c, EPOLLIN);
    return serve_requests(c);
}

static void accept_all(int listen_fd) {
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EAGAIN) return;
            if (errno == EMFILE || errno == ENFILE) return; /* retried on the next wake-up */
            die("accept4");
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn *c = calloc(1, sizeof *c);
        if (!c) { close(fd); return; }
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl ADD");
    }
}

static int listen_loopback(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(fd, 4096) < 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(fd, (struct sockaddr *)&addr, &len);
    printf("listening on %d (epoll)\n", ntohs(addr.sin_port));
    fflush(stdout);
    return fd;
}

int main(int argc, char **argv) {
    int port = 8080;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-requests") && i + 1 < argc) max_requests = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: epoll_http_server [--port N] [--max-requests N]\n");
            return 2;
        }
    }
    if (port < 0 || port > 65535) {
        fprintf(stderr, "epoll_http_server: bad port %d\n", port);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    int listen_fd = listen_loopback(port);
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0) die("epoll_create1");
    /* data.ptr NULL marks the listening socket. */
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &lev) < 0) die("epoll_ctl ADD listen");

    struct epoll_event events[EVENTS_PER_WAIT];
    while (max_requests < 0 || served < max_requests) {
        int n = epoll_wait(epfd, events, EVENTS_PER_WAIT, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("epoll_wait");
        for (int i = 0; i < n; i++) {
            struct conn *c = events[i].data.ptr;
            if (!c) {
                accept_all(listen_fd);
                continue;
            }
            /* A connection with a reply in flight waits only for EPOLLOUT
             * (or an error, which the send in flush reports). */
            bool alive = c->out ? on_writable(c) : on_readable(c);
            if (!alive) close_conn(c);
        }
    }
    printf("served %ld requests\n", served);
    return 0;
}
