/* The example servers' listening socket: 127.0.0.1 only (they are load
 * targets for tests and benchmarks, never for the outside). */
#ifndef EXAMPLES_LOOPBACK_H
#define EXAMPLES_LOOPBACK_H

#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

/* Returns the listening socket and stores the bound port (port 0 picks a
 * free one), or returns -1 after printing why. */
static inline int listen_loopback(int port, int backlog, int *bound_port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) || listen(fd, backlog) ||
        getsockname(fd, (struct sockaddr *)&addr, &len)) {
        perror("listen on 127.0.0.1");
        if (fd >= 0) close(fd);
        return -1;
    }
    *bound_port = ntohs(addr.sin_port);
    return fd;
}

#endif
