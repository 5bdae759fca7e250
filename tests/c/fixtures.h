/* Real resources for the C tests: temp files and directories, loopback
 * sockets, a clock, descriptor counting. Set up with plain libc calls, so a
 * test of the library never depends on the library to build its fixture. */
#ifndef URB_FIXTURES_H
#define URB_FIXTURES_H

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Creates a temp file holding `len` bytes of `content` and returns it open
 * read-write; `path` (at least 32 bytes) receives its name. */
static inline int fixture_file(char *path, const void *content, size_t len) {
    strcpy(path, "/tmp/urb-c-test-XXXXXX");
    int fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        perror("mkostemp");
        exit(2);
    }
    if (len > 0 && write(fd, content, len) != (ssize_t)len) {
        perror("write fixture");
        exit(2);
    }
    return fd;
}

/* Creates an empty temp directory; `path` needs at least 32 bytes. */
static inline void fixture_dir(char *path) {
    strcpy(path, "/tmp/urb-c-dir-XXXXXX");
    if (!mkdtemp(path)) {
        perror("mkdtemp");
        exit(2);
    }
}

/* A descriptor number that names nothing: opened, moved high (so nothing the
 * process opens meanwhile takes the number back), then closed. */
static inline int fixture_closed_fd(void) {
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 900);
    close(fd);
    close(high);
    return high;
}

/* A TCP listener on 127.0.0.1 with a port the kernel picked; `addr`
 * receives its address. */
static inline int fixture_listener(struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof *addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)addr, &len) != 0) {
        perror("loopback listener");
        exit(2);
    }
    return fd;
}

static inline uint64_t fixture_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* How many descriptors the process has open (entries of /proc/self/fd,
 * not counting the one this listing uses). */
static inline int fixture_open_fds(void) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int n = 0;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (e->d_name[0] != '.') n++;
    closedir(dir);
    return n - 1;
}

#endif
