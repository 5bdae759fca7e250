/* Registered buffers and files on async rings, and zero-copy sends, from C,
 * on both engines: the data moved, the errors io_uring gives (and the
 * fallback engine gives too), the in-flight rule, the blocking face's
 * refusal. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static urb_ring *new_ring(void) {
    urb_ring *r = NULL;
    CHECK_RES(urb_ring_new(NULL, &r), 0);
    return r;
}

/* The result of one request through the ring (bounded wait). */
static int32_t run(urb_ring *r, const urb_op *op) {
    int32_t rc = urb_ring_submit(r, op, 42);
    if (rc != 0) return rc;
    urb_completion c;
    for (int tries = 0; tries < 50; tries++) {
        int k = urb_ring_wait(r, &c, 1, 1, 200000000ull);
        if (k == 1) return c.token == 42 ? c.res : -9999;
        if (k < 0) return k;
    }
    return -ETIMEDOUT;
}

static int nothing_arrives(urb_ring *r, uint64_t ms) {
    urb_completion c;
    return urb_ring_wait(r, &c, 1, 1, ms * 1000000ull) == 0;
}

static int temp_file(const char *data, size_t n) {
    char path[] = "/tmp/urb-test-fixed-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    unlink(path);
    CHECK(pwrite(fd, data, n, 0) == (ssize_t)n);
    return fd;
}

static void test_fixed_buffers(void) {
    urb_ring *r = new_ring();
    char *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(mem != MAP_FAILED);
    int fd = temp_file("registered buffers, read and written", 37);
    struct iovec iov[2] = {{mem, 4096}, {mem + 4096, 4096}};
    urb_op op;

    CHECK_RES(urb_ring_unregister_buffers(r), -ENXIO);
    CHECK_RES(urb_ring_register_buffers(r, iov, 0), -EINVAL);
    CHECK_RES(urb_ring_register_buffers(r, NULL, 1), -EFAULT);
    struct iovec empty_len = {mem, 0};
    CHECK_RES(urb_ring_register_buffers(r, &empty_len, 1), -EFAULT);
    CHECK_RES(urb_ring_register_buffers(r, iov, 2), 0);
    CHECK_RES(urb_ring_register_buffers(r, iov, 2), -EBUSY);

    urb_prep_read_fixed(fd, mem + 4096 + 10, 10, 0, 1, &op);
    CHECK_RES(run(r, &op), 10);
    CHECK(memcmp(mem + 4096 + 10, "registered", 10) == 0);
    memcpy(mem, "WRITTEN", 7);
    urb_prep_write_fixed(fd, mem, 7, 30, 0, &op);
    CHECK_RES(run(r, &op), 7);
    char back[8] = {0};
    CHECK(pread(fd, back, 7, 30) == 7 && memcmp(back, "WRITTEN", 7) == 0);

    /* Outside the buffer its index names: -EFAULT, as io_uring gives. */
    urb_prep_read_fixed(fd, mem + 4090, 10, 0, 0, &op);
    CHECK_RES(run(r, &op), -EFAULT);
    urb_prep_read_fixed(fd, mem, 10, 0, 1, &op);
    CHECK_RES(run(r, &op), -EFAULT);
    urb_prep_read_fixed(fd, mem, 10, 0, 2, &op);
    CHECK_RES(run(r, &op), -EFAULT);

    /* In flight: unregistering waits for the caller to finish first. */
    int p[2];
    CHECK(pipe(p) == 0);
    urb_prep_read_fixed(p[0], mem, 16, URB_OFFSET_CURRENT, 0, &op);
    CHECK_RES(urb_ring_submit(r, &op, 1), 0);
    CHECK(nothing_arrives(r, 30));
    CHECK_RES(urb_ring_unregister_buffers(r), -EBUSY);
    CHECK(write(p[1], "late", 4) == 4);
    urb_completion c;
    CHECK_RES(urb_ring_wait(r, &c, 1, 1, 5000000000ull), 1);
    CHECK(c.token == 1 && c.res == 4 && memcmp(mem, "late", 4) == 0);
    CHECK_RES(urb_ring_unregister_buffers(r), 0);
    CHECK_RES(urb_ring_unregister_buffers(r), -ENXIO);

    /* The blocking face has no registered buffers. */
    urb_prep_read_fixed(fd, mem, 10, 0, 0, &op);
    CHECK_RES(urb_submit_blocking(&op), -EOPNOTSUPP);
    /* buf_index means nothing to other operations. */
    urb_prep_read(fd, mem, 10, 0, &op);
    op.buf_index = 1;
    CHECK_RES(urb_ring_submit(r, &op, 1), -EINVAL);

    close(p[0]);
    close(p[1]);
    close(fd);
    urb_ring_free(r);
    munmap(mem, 2 * 4096);
}

static void test_fixed_files(void) {
    urb_ring *r = new_ring();
    int fd = temp_file("files by index", 14);
    char buf[16] = {0};
    urb_op op;
    CHECK_RES(urb_ring_unregister_files(r), -ENXIO);
    int bad[1] = {999999};
    CHECK_RES(urb_ring_register_files(r, bad, 1), -EBADF);
    CHECK_RES(urb_ring_register_files(r, NULL, 1), -EFAULT);
    int fds[2] = {-1, fd};
    CHECK_RES(urb_ring_register_files(r, fds, 0), -EINVAL);
    CHECK_RES(urb_ring_register_files(r, fds, 2), 0);
    CHECK_RES(urb_ring_register_files(r, fds, 2), -EBUSY);
    close(fd); /* the registered file stays usable */

    urb_prep_read(1, buf, 5, 9, &op);
    op.flags = URB_FLAG_FIXED_FILE;
    CHECK_RES(run(r, &op), 5);
    CHECK(memcmp(buf, "index", 5) == 0);
    op.fd = 0; /* an empty slot */
    CHECK_RES(run(r, &op), -EBADF);
    op.fd = 2; /* past the table */
    CHECK_RES(run(r, &op), -EBADF);
    CHECK_RES(urb_submit_blocking(&op), -EOPNOTSUPP);
    urb_prep_nop(&op);
    op.flags = URB_FLAG_FIXED_FILE;
    CHECK_RES(urb_ring_submit(r, &op, 1), -EINVAL);
    CHECK_RES(urb_ring_unregister_files(r), 0);
    urb_prep_read(1, buf, 5, 9, &op);
    op.flags = URB_FLAG_FIXED_FILE;
    CHECK_RES(run(r, &op), -EBADF);
    urb_ring_free(r);
}

static void test_send_zc(void) {
    urb_ring *r = new_ring();
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(l, (struct sockaddr *)&a, sizeof a) == 0 && listen(l, 1) == 0);
    socklen_t al = sizeof a;
    CHECK(getsockname(l, (struct sockaddr *)&a, &al) == 0);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    int s = accept(l, NULL, NULL);
    CHECK(s >= 0);
    static char data[32768];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (char)(i * 13);
    urb_op op;
    urb_prep_send_zc(c, data, sizeof data, 0, &op);
    CHECK_RES(run(r, &op), (int32_t)sizeof data);
    CHECK(nothing_arrives(r, 50)); /* one completion, not two */
    static char got[32768];
    size_t n = 0;
    while (n < sizeof got) {
        ssize_t k = recv(s, got + n, sizeof got - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
    }
    CHECK(n == sizeof got && memcmp(got, data, sizeof data) == 0);
    /* sendmsg_zc: two iovecs, one completion with the whole count. */
    struct iovec iov[2] = {{data, 1000}, {data + 1000, 3000}};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    urb_prep_sendmsg_zc(c, &msg, 0, &op);
    CHECK_RES(run(r, &op), 4000);
    CHECK(nothing_arrives(r, 50));
    n = 0;
    while (n < 4000) {
        ssize_t k = recv(s, got + n, 4000 - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
    }
    CHECK(n == 4000 && memcmp(got, data, 4000) == 0);
    CHECK_RES(urb_submit_blocking(&op), -EOPNOTSUPP);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    urb_prep_send_zc(sv[0], data, 10, 0, &op);
    CHECK_RES(run(r, &op), -EOPNOTSUPP);
    CHECK_RES(urb_submit_blocking(&op), -EOPNOTSUPP);
    close(sv[0]);
    close(sv[1]);
    close(s);
    close(c);
    close(l);
    urb_ring_free(r);
}

int main(void) {
    harness_start("test_fixed");
    RUN(test_fixed_buffers);
    RUN(test_fixed_files);
    RUN(test_send_zc);
    return harness_finish();
}
