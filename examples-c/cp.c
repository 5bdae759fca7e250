/* cp SRC DST: copies with linked read->write chains (IOSQE_IO_LINK), several
 * chunks per submission, then verifies size and content. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uringbridge.h>

enum { CHUNK = 128 * 1024, PAIRS = 8 };

static int fail(const char *what, int32_t res) {
    fprintf(stderr, "cp: %s: %s\n", what, urb_strerror(res));
    return 1;
}

static int verify(int src, int dst, uint64_t size) {
    struct stat st;
    if (fstat(dst, &st) != 0 || (uint64_t)st.st_size != size) {
        fprintf(stderr, "cp: size mismatch\n");
        return 1;
    }
    static char a[CHUNK], b[CHUNK];
    for (uint64_t off = 0; off < size; off += CHUNK) {
        int32_t na = urb_read(src, a, CHUNK, off), nb = urb_read(dst, b, CHUNK, off);
        if (na < 0 || na != nb || memcmp(a, b, (size_t)na) != 0) {
            fprintf(stderr, "cp: content mismatch at %llu\n", (unsigned long long)off);
            return 1;
        }
    }
    printf("cp: %llu bytes, verified\n", (unsigned long long)size);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: cp SRC DST\n");
        return 2;
    }
    int src = urb_openat(AT_FDCWD, argv[1], O_RDONLY | O_CLOEXEC, 0);
    if (src < 0) return fail(argv[1], src);
    int dst = urb_openat(AT_FDCWD, argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (dst < 0) return fail(argv[2], dst);
    struct statx st;
    int32_t r = urb_statx(src, "", AT_EMPTY_PATH, STATX_SIZE, &st);
    if (r < 0) return fail("statx", r);
    uint64_t size = st.stx_size;
    char *bufs = malloc((size_t)CHUNK * PAIRS);
    if (!bufs) return fail("malloc", -12);

    /* Each chunk is read->write linked so the write never starts before its
     * data is in; each chain of PAIRS chunks is one submission. */
    for (uint64_t off = 0; off < size;) {
        urb_op ops[2 * PAIRS];
        int32_t res[2 * PAIRS];
        size_t n = 0;
        for (int p = 0; p < PAIRS && off < size; p++) {
            uint32_t len = size - off < CHUNK ? (uint32_t)(size - off) : CHUNK;
            char *buf = bufs + (size_t)p * CHUNK;
            urb_prep_read(src, buf, len, off, &ops[n++]);
            urb_prep_write(dst, buf, len, off, &ops[n++]);
            off += len;
        }
        r = urb_submit_chain_blocking(ops, n, res);
        if (r < 0) return fail("chain", r);
    }
    free(bufs);
    int status = verify(src, dst, size);
    urb_close(src);
    urb_close(dst);
    return status;
}
