/* Bad input never crashes and is refused with the documented errno: the
 * shared vectors of tests/vectors/bad_input.tsv (the format is described in
 * tests/vectors/README.md), then NULL pointers on every entry point.
 *
 *   test_bad_input [VECTORS.tsv]     default: tests/vectors/bad_input.tsv,
 *                                    relative to the repository root */
#include "harness.h"
#include "fixtures.h"

#include <errno.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>

static const char *vectors_path = "tests/vectors/bad_input.tsv";

enum column { C_NAME, C_OPCODE, C_FD, C_BUF, C_LEN, C_OP_FLAGS, C_BUF2, C_OFFSET, C_MODE, C_FLAGS,
              C_RESERVED0, C_RESERVED1, C_RESERVED2, C_RESERVED2_1, C_EXPECT, C_COUNT };
static const char *const column_names[C_COUNT] = {
    "name", "opcode", "fd", "buf", "len", "op_flags", "buf2", "offset", "mode", "flags",
    "reserved0", "reserved1", "reserved2", "reserved2_1", "expect"};

struct named { const char *name; long long value; };

static const struct named opcodes[] = {
    {"nop", URB_OP_NOP}, {"read", URB_OP_READ}, {"write", URB_OP_WRITE}, {"readv", URB_OP_READV},
    {"writev", URB_OP_WRITEV}, {"fsync", URB_OP_FSYNC}, {"openat", URB_OP_OPENAT},
    {"close", URB_OP_CLOSE}, {"statx", URB_OP_STATX}, {"recv", URB_OP_RECV}, {"send", URB_OP_SEND},
    {"accept", URB_OP_ACCEPT}, {"connect", URB_OP_CONNECT}, {"shutdown", URB_OP_SHUTDOWN},
    {"poll", URB_OP_POLL}, {"timeout", URB_OP_TIMEOUT},
    {"unlinkat", URB_OP_UNLINKAT}, {"renameat", URB_OP_RENAMEAT}, {"mkdirat", URB_OP_MKDIRAT},
    {"symlinkat", URB_OP_SYMLINKAT}, {"linkat", URB_OP_LINKAT}, {"fallocate", URB_OP_FALLOCATE},
    {"ftruncate", URB_OP_FTRUNCATE}, {"fadvise", URB_OP_FADVISE}, {"madvise", URB_OP_MADVISE},
    {"sync_file_range", URB_OP_SYNC_FILE_RANGE}, {"splice", URB_OP_SPLICE}, {"tee", URB_OP_TEE},
    {"sendmsg", URB_OP_SENDMSG}, {"recvmsg", URB_OP_RECVMSG}, {"socket", URB_OP_SOCKET},
    {"bind", URB_OP_BIND}, {"listen", URB_OP_LISTEN},
    {"getxattr", URB_OP_GETXATTR}, {"setxattr", URB_OP_SETXATTR},
    {NULL, 0}};

static const struct named symbols[] = {
    {"POLLIN", POLLIN}, {"SHUT_RDWR", SHUT_RDWR}, {"STATX_BASIC_STATS", STATX_BASIC_STATS},
    {"O_RDONLY", O_RDONLY}, {"AT_FDCWD", AT_FDCWD}, {NULL, 0}};

static const struct named errnos[] = {
    {"EINVAL", EINVAL}, {"EBADF", EBADF}, {"ENOTSOCK", ENOTSOCK}, {"ENOENT", ENOENT},
    {"EISDIR", EISDIR}, {"EFAULT", EFAULT}, {"ENOSYS", ENOSYS}, {"ESPIPE", ESPIPE},
    {"ENOTDIR", ENOTDIR}, {"EOPNOTSUPP", EOPNOTSUPP}, {"ENOTCONN", ENOTCONN}, {"EPIPE", EPIPE},
    {"EAFNOSUPPORT", EAFNOSUPPORT}, {"EACCES", EACCES}, {"EPERM", EPERM}, {"EAGAIN", EAGAIN},
    {NULL, 0}};

static int lookup(const struct named *table, const char *name, long long *out) {
    for (; table->name; table++)
        if (strcmp(table->name, name) == 0) {
            *out = table->value;
            return 1;
        }
    return 0;
}

/* "-" or empty is 0; otherwise a number (decimal, 0x...) or a symbol. */
static int parse_number(const char *cell, long long *out) {
    if (cell[0] == '\0' || strcmp(cell, "-") == 0) {
        *out = 0;
        return 1;
    }
    char *end;
    errno = 0;
    if (cell[0] == '-') *out = strtoll(cell, &end, 0);
    else *out = (long long)strtoull(cell, &end, 0);
    if (errno == 0 && *end == '\0') return 1;
    return lookup(symbols, cell, out);
}

/* The descriptors the `fd` column may name, set up once. */
struct vector_fds { int devnull, file, socket, peer, pipe_r, pipe_w, dir, closed; };

static struct vector_fds vector_fds_open(char *file_path, char *dir_path) {
    struct vector_fds f;
    int sv[2], p[2];
    f.devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    f.file = fixture_file(file_path, "vector file contents", 20);
    fixture_dir(dir_path);
    f.dir = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0 || pipe2(p, O_CLOEXEC) != 0) {
        perror("vector descriptors");
        exit(2);
    }
    f.socket = sv[0];
    f.peer = sv[1];
    f.pipe_r = p[0];
    f.pipe_w = p[1];
    f.closed = fixture_closed_fd();
    return f;
}

static void vector_fds_close(struct vector_fds *f, const char *file_path, const char *dir_path) {
    int all[] = {f->devnull, f->file, f->socket, f->peer, f->pipe_r, f->pipe_w, f->dir};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) close(all[i]);
    unlink(file_path);
    rmdir(dir_path);
}

static int parse_fd(const char *cell, const struct vector_fds *f, int32_t *out) {
    const struct { const char *name; int fd; } names[] = {
        {"devnull", f->devnull}, {"file", f->file}, {"socket", f->socket}, {"pipe_r", f->pipe_r},
        {"pipe_w", f->pipe_w}, {"dir", f->dir}, {"closed", f->closed}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(cell, names[i].name) == 0) {
            *out = names[i].fd;
            return 1;
        }
    long long v;
    if (!parse_number(cell, &v)) return 0;
    *out = (int32_t)v;
    return 1;
}

/* `valid` memory is zeroed and reserved rather than committed, so a row may
 * name a length of gigabytes without costing it. */
static int parse_pointer(const char *cell, size_t size, void **out, size_t *mapped) {
    *out = NULL;
    *mapped = 0;
    if (cell[0] == '\0' || strcmp(cell, "-") == 0 || strcmp(cell, "null") == 0) return 1;
    if (strcmp(cell, "valid") != 0) return 0;
    *mapped = size < 4096 ? 4096 : size;
    *out = mmap(NULL, *mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (*out == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    return 1;
}

/* The expected result: `ok` (any success) sets *any_success. */
static int parse_expect(const char *cell, int *any_success, int32_t *res) {
    long long v;
    *any_success = strcmp(cell, "ok") == 0;
    if (*any_success) return 1;
    if (!lookup(errnos, cell, &v)) return 0;
    *res = -(int32_t)v;
    return 1;
}

static void split_tabs(char *line, char **cells, int max, int *n) {
    *n = 0;
    for (char *cell; (cell = strsep(&line, "\t")) != NULL && *n < max;) cells[(*n)++] = cell;
}

struct vector {
    urb_op op;
    int any_success;
    int32_t want;
    void *maps[2];
    size_t map_sizes[2];
};

static int build_vector(char **cell, const struct vector_fds *fds, struct vector *v) {
    long long n[C_COUNT];
    memset(v, 0, sizeof *v);
    if (!lookup(opcodes, cell[C_OPCODE], &n[C_OPCODE]) && !parse_number(cell[C_OPCODE], &n[C_OPCODE]))
        return 0;
    enum column numeric[] = {C_LEN, C_OP_FLAGS, C_OFFSET, C_MODE, C_FLAGS,
                             C_RESERVED0, C_RESERVED1, C_RESERVED2, C_RESERVED2_1};
    for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++)
        if (!parse_number(cell[numeric[i]], &n[numeric[i]])) return 0;
    v->op.opcode = (uint8_t)n[C_OPCODE];
    v->op.len = (uint32_t)n[C_LEN];
    v->op.op_flags = (uint32_t)n[C_OP_FLAGS];
    v->op.offset = (uint64_t)n[C_OFFSET];
    v->op.mode = (uint32_t)n[C_MODE];
    v->op.flags = (uint8_t)n[C_FLAGS];
    v->op.reserved0 = (uint16_t)n[C_RESERVED0];
    v->op.reserved1 = (uint32_t)n[C_RESERVED1];
    v->op.reserved2[0] = (uint64_t)n[C_RESERVED2];
    v->op.reserved2[1] = (uint64_t)n[C_RESERVED2_1];
    int iovecs = v->op.opcode == URB_OP_READV || v->op.opcode == URB_OP_WRITEV;
    size_t buf_size = (size_t)v->op.len * (iovecs ? sizeof(struct iovec) : 1);
    return parse_fd(cell[C_FD], fds, &v->op.fd) &&
           parse_pointer(cell[C_BUF], buf_size, &v->op.buf, &v->map_sizes[0]) &&
           parse_pointer(cell[C_BUF2], 4096, &v->op.buf2, &v->map_sizes[1]) &&
           parse_expect(cell[C_EXPECT], &v->any_success, &v->want);
}

static void free_vector(struct vector *v) {
    if (v->map_sizes[0]) munmap(v->op.buf, v->map_sizes[0]);
    if (v->map_sizes[1]) munmap(v->op.buf2, v->map_sizes[1]);
}

static int matches(const struct vector *v, int32_t res) { return v->any_success ? res >= 0 : res == v->want; }

/* Checks one vector on both faces and prints one line for it. */
static void check_vector(const char *name, int line, const struct vector *v) {
    int32_t single = urb_submit_blocking(&v->op);
    int32_t in_chain = 99, chain_ret = urb_submit_chain_blocking(&v->op, 1, &in_chain);
    int chain_ok = matches(v, in_chain) && chain_ret == (in_chain < 0 ? in_chain : 0);
    int ok = matches(v, single) && chain_ok;
    char what[256];
    snprintf(what, sizeof what, "%s:%d %s: urb_submit_blocking %d (%s), chain of one %d/%d, want %s%s",
             vectors_path, line, name, single, urb_strerror(single), chain_ret, in_chain,
             v->any_success ? "a success" : "", v->any_success ? "" : urb_strerror(v->want));
    printf("%s vector %s: %d (%s)\n", ok ? "ok  " : "FAIL", name, single, urb_strerror(single));
    harness_record(ok, __FILE__, __LINE__, what);
}

static void test_shared_vectors(void) {
    FILE *in = fopen(vectors_path, "r");
    if (!in) perror(vectors_path);
    CHECK(in != NULL);
    if (!in) return;
    char file_path[32], dir_path[32];
    struct vector_fds fds = vector_fds_open(file_path, dir_path);
    int column_of[C_COUNT], header_seen = 0, line_no = 0, rows = 0;
    char *line = NULL;
    size_t cap = 0;
    for (ssize_t len; (len = getline(&line, &cap, in)) > 0;) {
        line_no++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
        char *cells[64];
        int n;
        split_tabs(line, cells, 64, &n);
        if (!header_seen) {
            header_seen = 1;
            for (int c = 0; c < C_COUNT; c++) {
                column_of[c] = -1;
                for (int i = 0; i < n; i++)
                    if (strcmp(cells[i], column_names[c]) == 0) column_of[c] = i;
            }
            CHECK(column_of[C_NAME] >= 0 && column_of[C_OPCODE] >= 0 && column_of[C_EXPECT] >= 0);
            continue;
        }
        if (n == 1 && cells[0][0] == '\0') continue;
        char *by_column[C_COUNT];
        for (int c = 0; c < C_COUNT; c++) by_column[c] = column_of[c] >= 0 && column_of[c] < n ? cells[column_of[c]] : "";
        struct vector v;
        int understood = build_vector(by_column, &fds, &v);
        char what[160];
        snprintf(what, sizeof what, "%s:%d: a cell this test does not understand", vectors_path, line_no);
        harness_record(understood, __FILE__, __LINE__, what);
        if (understood) check_vector(by_column[C_NAME], line_no, &v);
        free_vector(&v);
        rows++;
    }
    free(line);
    fclose(in);
    CHECK(rows > 0);
    vector_fds_close(&fds, file_path, dir_path);
}

static void test_null_op_pointers(void) {
    int32_t res[1];
    CHECK_RES(urb_submit_blocking(NULL), -EINVAL);
    CHECK_RES(urb_submit_blocking_timeout(NULL, 1000000), -EINVAL);
    CHECK_RES(urb_submit_chain_blocking(NULL, 1, res), -EINVAL);
    urb_op op;
    urb_prep_nop(&op);
    CHECK_RES(urb_submit_chain_blocking(&op, 1, NULL), -EINVAL);
    CHECK_RES(urb_submit_blocking_sqe(NULL, NULL), -EINVAL);
}

static void test_prep_refuses_null_out(void) {
    char b[8];
    struct iovec iov = {b, sizeof b};
    uint32_t addrlen = sizeof b;
    CHECK_RES(urb_prep_nop(NULL), -EINVAL);
    CHECK_RES(urb_prep_read(0, b, 8, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_write(1, b, 8, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_readv(0, &iov, 1, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_writev(1, &iov, 1, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_fsync(1, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_openat(AT_FDCWD, "x", O_RDONLY, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_close(3, NULL), -EINVAL);
    CHECK_RES(urb_prep_statx(AT_FDCWD, "x", 0, STATX_SIZE, b, NULL), -EINVAL);
    CHECK_RES(urb_prep_recv(0, b, 8, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_send(1, b, 8, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_accept(3, b, &addrlen, 0, NULL), -EINVAL);
    CHECK_RES(urb_prep_connect(3, b, 8, NULL), -EINVAL);
    CHECK_RES(urb_prep_shutdown(3, SHUT_WR, NULL), -EINVAL);
    CHECK_RES(urb_prep_poll(0, POLLIN, NULL), -EINVAL);
    CHECK_RES(urb_prep_timeout(1, NULL), -EINVAL);
}

/* The convenience calls go through the same validation. */
static void test_convenience_calls_refuse_bad_input(void) {
    char b[8] = {0};
    int closed = fixture_closed_fd();
    CHECK_RES(urb_read(-1, b, sizeof b, 0), -EBADF);
    CHECK_RES(urb_read(0, NULL, 4, 0), -EFAULT);
    CHECK_RES(urb_read(0, b, 0x80000000u, 0), -EINVAL);
    CHECK_RES(urb_write(closed, b, sizeof b, 0), -EBADF);
    CHECK_RES(urb_readv(0, NULL, 2, 0), -EFAULT);
    CHECK_RES(urb_writev(1, NULL, 1025, 0), -EINVAL);
    CHECK_RES(urb_recv(-1, b, sizeof b, 0), -EBADF);
    CHECK_RES(urb_send(0, NULL, 1, 0), -EFAULT);
    CHECK_RES(urb_accept(0, b, NULL, 0), -EFAULT);
    CHECK_RES(urb_connect(0, NULL, 16), -EFAULT);
    CHECK_RES(urb_openat(AT_FDCWD, NULL, O_RDONLY, 0), -EFAULT);
    CHECK_RES(urb_close(-1), -EBADF);
    CHECK_RES(urb_close(closed), -EBADF);
    CHECK_RES(urb_fsync(0, 2), -EINVAL);
    CHECK_RES(urb_statx(AT_FDCWD, "/", 0, STATX_SIZE, NULL), -EFAULT);
    CHECK_RES(urb_statx(AT_FDCWD, NULL, 0, STATX_SIZE, b), -EFAULT);
    CHECK_RES(urb_shutdown(0, 7), -EINVAL);
    CHECK_RES(urb_poll(-1, 0), -EBADF); /* events 0 is poll(2)'s error-or-hang-up wait */
    CHECK_RES(urb_sleep_ns(UINT64_MAX), -EINVAL);
}

int main(int argc, char **argv) {
    if (argc > 1) vectors_path = argv[1];
    harness_start("test_bad_input");
    RUN(test_shared_vectors);
    RUN(test_null_op_pointers);
    RUN(test_prep_refuses_null_out);
    RUN(test_convenience_calls_refuse_bad_input);
    return harness_finish();
}
