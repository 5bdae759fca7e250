/* The seeds' HTTP benchmark protocol, shared by the example servers and the
 * benchmark anchors: a fixed 200 reply, keep-alive when the client asks
 * (HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive). */
#ifndef EXAMPLES_HTTP_H
#define EXAMPLES_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define HTTP_BODY "Hello, world!"

static const char HTTP_REPLY_KEEP[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\n" HTTP_BODY;
static const char HTTP_REPLY_CLOSE[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\n" HTTP_BODY;
static const char HTTP_REPLY_KEEP_10[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\n" HTTP_BODY;

enum { HTTP_BUF = 8192 };

struct http_conn {
    int fd;
    uint32_t len;
    bool keep_alive;
    char buf[HTTP_BUF];
};

/* Case-insensitive search for a header line in the request head. */
static inline bool http_has(const char *head, uint32_t len, const char *needle) {
    size_t n = strlen(needle);
    for (uint32_t i = 0; i + n <= len; i++)
        if (strncasecmp(head + i, needle, n) == 0) return true;
    return false;
}

/* If a whole request head is buffered: decides keep-alive, returns the reply
 * to send and removes the request from the buffer. NULL while incomplete. */
static inline const char *http_next_reply(struct http_conn *c, uint32_t *reply_len) {
    char *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end) return NULL;
    uint32_t head = (uint32_t)(end - c->buf) + 4;
    bool http10 = memmem(c->buf, head, "HTTP/1.0", 8) != NULL;
    c->keep_alive = http10 ? http_has(c->buf, head, "Connection: keep-alive")
                           : !http_has(c->buf, head, "Connection: close");
    memmove(c->buf, c->buf + head, c->len - head);
    c->len -= head;
    const char *reply = !c->keep_alive ? HTTP_REPLY_CLOSE : http10 ? HTTP_REPLY_KEEP_10 : HTTP_REPLY_KEEP;
    *reply_len = (uint32_t)strlen(reply);
    return reply;
}

#endif
