/* The ABI and the informational calls: urb_op's layout (checked by the
 * compiler against the header's table), where each urb_prep_* puts its
 * arguments, urb_strerror, urb_version, urb_op_supported, the engine name. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

_Static_assert(sizeof(urb_op) == 64, "urb_op is 64 bytes");
_Static_assert(_Alignof(urb_op) == 8, "urb_op is 8-aligned");
_Static_assert(offsetof(urb_op, opcode) == 0, "opcode");
_Static_assert(offsetof(urb_op, flags) == 1, "flags");
_Static_assert(offsetof(urb_op, buf_index) == 2, "buf_index");
_Static_assert(offsetof(urb_op, fd) == 4, "fd");
_Static_assert(offsetof(urb_op, offset) == 8, "offset");
_Static_assert(offsetof(urb_op, buf) == 16, "buf");
_Static_assert(offsetof(urb_op, len) == 24, "len");
_Static_assert(offsetof(urb_op, op_flags) == 28, "op_flags");
_Static_assert(offsetof(urb_op, buf2) == 32, "buf2");
_Static_assert(offsetof(urb_op, mode) == 40, "mode");
_Static_assert(offsetof(urb_op, reserved1) == 44, "reserved1");
_Static_assert(offsetof(urb_op, reserved2) == 48, "reserved2");
_Static_assert(sizeof(((urb_op *)0)->reserved2) == 16, "reserved2 is two u64");

/* The fields a prep call is expected to set; flags and reserved fields must
 * be 0. The other fields of an opcode are unused, so their value is free, but
 * these checks want 0 there too except for fd (nop and timeout have none). */
struct expected_op {
    uint8_t opcode;
    int32_t fd;
    uint64_t offset;
    const void *buf;
    uint32_t len, op_flags;
    const void *buf2;
    uint32_t mode;
};

static int op_is(const urb_op *op, struct expected_op want) {
    return op->opcode == want.opcode && op->flags == 0 && op->buf_index == 0 && op->fd == want.fd &&
           op->offset == want.offset && op->buf == want.buf && op->len == want.len &&
           op->op_flags == want.op_flags && op->buf2 == want.buf2 && op->mode == want.mode &&
           op->reserved1 == 0 && op->reserved2[0] == 0 && op->reserved2[1] == 0;
}

/* Garbage first, so a field prep forgets to set shows. */
static urb_op *dirty(urb_op *op) {
    memset(op, 0x5A, sizeof *op);
    return op;
}

static void test_prep_fills_the_documented_fields(void) {
    urb_op op;
    char b[8], b2[8];
    struct iovec iov[2];
    CHECK(urb_prep_nop(dirty(&op)) == 0 && op_is(&op, (struct expected_op){.opcode = URB_OP_NOP, .fd = op.fd}));
    CHECK(urb_prep_read(3, b, 5, 77, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_READ, 3, 77, b, 5, 0, NULL, 0}));
    CHECK(urb_prep_write(4, b, 6, URB_OFFSET_CURRENT, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_WRITE, 4, URB_OFFSET_CURRENT, b, 6, 0, NULL, 0}));
    CHECK(urb_prep_readv(5, iov, 2, 9, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_READV, 5, 9, iov, 2, 0, NULL, 0}));
    CHECK(urb_prep_writev(6, iov, 1, 10, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_WRITEV, 6, 10, iov, 1, 0, NULL, 0}));
    CHECK(urb_prep_fsync(7, URB_FSYNC_DATASYNC, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_FSYNC, 7, 0, NULL, 0, URB_FSYNC_DATASYNC, NULL, 0}));
    CHECK(urb_prep_openat(AT_FDCWD, "p", O_RDWR | O_CREAT, 0600, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_OPENAT, AT_FDCWD, 0, op.buf, 0, O_RDWR | O_CREAT, NULL, 0600}) &&
          strcmp(op.buf, "p") == 0);
    CHECK(urb_prep_close(8, dirty(&op)) == 0 && op_is(&op, (struct expected_op){.opcode = URB_OP_CLOSE, .fd = 8}));
    CHECK(urb_prep_statx(9, b, AT_EMPTY_PATH, STATX_SIZE, b2, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_STATX, 9, 0, b, 0, AT_EMPTY_PATH, b2, STATX_SIZE}));
    CHECK(urb_prep_recv(10, b, 8, MSG_PEEK, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_RECV, 10, 0, b, 8, MSG_PEEK, NULL, 0}));
    CHECK(urb_prep_send(11, b, 7, MSG_MORE, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_SEND, 11, 0, b, 7, MSG_MORE, NULL, 0}));
    uint32_t addrlen = sizeof b;
    CHECK(urb_prep_accept(12, b, &addrlen, SOCK_CLOEXEC, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_ACCEPT, 12, 0, b, 0, SOCK_CLOEXEC, &addrlen, 0}));
    CHECK(urb_prep_connect(13, b, 8, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_CONNECT, 13, 0, b, 8, 0, NULL, 0}));
    CHECK(urb_prep_shutdown(14, SHUT_WR, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_SHUTDOWN, 14, 0, NULL, 0, SHUT_WR, NULL, 0}));
    CHECK(urb_prep_poll(15, POLLIN | POLLOUT, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){URB_OP_POLL, 15, 0, NULL, 0, POLLIN | POLLOUT, NULL, 0}));
    CHECK(urb_prep_timeout(123456789, dirty(&op)) == 0 &&
          op_is(&op, (struct expected_op){.opcode = URB_OP_TIMEOUT, .fd = op.fd, .offset = 123456789}));
}

static void test_strerror(void) {
    CHECK(strcmp(urb_strerror(0), "success") == 0);
    CHECK(strcmp(urb_strerror(12345), "success") == 0);
    CHECK(strcmp(urb_strerror(-EINVAL), "Invalid argument") == 0);
    CHECK(strcmp(urb_strerror(-ETIME), strerror(ETIME)) == 0);
    CHECK(strcmp(urb_strerror(-1000000), "unknown error") == 0);
    CHECK(strcmp(urb_strerror(INT32_MIN), "unknown error") == 0);
}

static void test_version(void) {
    const char *v = urb_version();
    unsigned major, minor, patch;
    int end = 0;
    CHECK(v != NULL && strlen(v) > 0);
    CHECK(sscanf(v, "%u.%u.%u%n", &major, &minor, &patch, &end) == 3 && v[end] == '\0');
}

static void test_op_supported(void) {

    for (int code = 0; code < URB_OP_COUNT; code++) {
        /* 35-36 name no operation (a gap between families). */
        if (code > URB_OP_SETXATTR && code < URB_OP_READ_FIXED) continue;
        if (!urb_op_supported((uint8_t)code)) printf("  opcode %d not supported\n", code);
        CHECK(urb_op_supported((uint8_t)code));
    }
    CHECK(!urb_op_supported(URB_OP_COUNT));
    CHECK(!urb_op_supported(255));
}

/* URB_ENGINE decides; its former name URB_BACKEND counts when it is unset
 * or empty. */
static const char *engine_asked_for(void) {
    const char *engine = getenv("URB_ENGINE");
    return engine && *engine ? engine : getenv("URB_BACKEND");
}

static void test_engine_name_matches_support(void) {
    const char *name = urb_engine_name();
    const char *forced = engine_asked_for();
    CHECK(name == urb_backend_name()); /* the former name: the same string */
    CHECK(strcmp(name, "io_uring") == 0 || strcmp(name, "fallback") == 0);
    CHECK(urb_supported() == (strcmp(name, "io_uring") == 0));
    if (forced && strcmp(forced, "fallback") == 0) CHECK(strcmp(name, "fallback") == 0);
}

/* This program's path as it was started: under valgrind /proc/self/exe
 * is valgrind's own binary. */
static const char *self_path;

/* The engine a fresh copy of this program picks with URB_ENGINE and
 * URB_BACKEND set as given (NULL: unset), written into `name`. */
static void engine_of_child(const char *engine, const char *backend, char *name, size_t size) {
    int p[2];
    CHECK(pipe(p) == 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 1);
        int quiet = open("/dev/null", O_WRONLY); /* the "is ignored" note */
        if (quiet >= 0) dup2(quiet, 2);
        if (engine) setenv("URB_ENGINE", engine, 1); else unsetenv("URB_ENGINE");
        if (backend) setenv("URB_BACKEND", backend, 1); else unsetenv("URB_BACKEND");
        execl(self_path, "test_info", "--print-engine", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    ssize_t n = read(p[0], name, size - 1);
    close(p[0]);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    name[n > 0 ? n : 0] = 0;
}

static void test_urb_engine_decides_over_urb_backend(void) {
    char insisted[32], name[32];
    engine_of_child("io_uring", NULL, insisted, sizeof insisted);
    /* "none" where the kernel refuses io_uring: not the fallback either way. */
    CHECK(strcmp(insisted, "io_uring") == 0 || strcmp(insisted, "none") == 0);
    engine_of_child("fallback", NULL, name, sizeof name);
    CHECK(strcmp(name, "fallback") == 0);
    engine_of_child(NULL, "fallback", name, sizeof name);
    CHECK(strcmp(name, "fallback") == 0);
    engine_of_child(NULL, "io_uring", name, sizeof name);
    CHECK(strcmp(name, insisted) == 0);
    engine_of_child("fallback", "io_uring", name, sizeof name);
    CHECK(strcmp(name, "fallback") == 0);
    engine_of_child("io_uring", "fallback", name, sizeof name);
    CHECK(strcmp(name, insisted) == 0);
    engine_of_child("", "fallback", name, sizeof name);
    CHECK(strcmp(name, "fallback") == 0);
}

int main(int argc, char **argv) {
    self_path = argv[0];
    if (argc == 2 && strcmp(argv[1], "--print-engine") == 0) {
        fputs(urb_engine_name(), stdout);
        return 0;
    }
    harness_start("test_info");
    RUN(test_prep_fills_the_documented_fields);
    RUN(test_strerror);
    RUN(test_version);
    RUN(test_op_supported);
    RUN(test_engine_name_matches_support);
    RUN(test_urb_engine_decides_over_urb_backend);
    return harness_finish();
}
