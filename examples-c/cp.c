/* cp SRC DST: copies a file chunk by chunk, each chunk a linked chain
 * read(chunk at offset) -> write(chunk at offset) (IOSQE_IO_LINK on
 * io_uring): the write starts only once its read has filled the buffer, and
 * a short or failed read cancels it. Then re-reads both files to verify
 * size and content. Exit status 1 on any error or mismatch. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uringbridge.h>

enum { CHUNK = 128 * 1024 };

static int fail(const char *what, int32_t res) {
    fprintf(stderr, "cp: %s: %s\n", what, urb_strerror(res));
    return 1;
}

static int file_size(int fd, const char *name, uint64_t *size) {
    struct statx st;
    int32_t r = urb_statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &st);
    if (r < 0) return fail(name, r);
    *size = st.stx_size;
    return 0;
}

/* One chunk as one chain; `len` is CHUNK or, at the end, what is left. */
static int copy_chunk(int src, int dst, char *buf, uint32_t len, uint64_t off) {
    urb_op chain[2];
    int32_t res[2];
    urb_prep_read(src, buf, len, off, &chain[0]);
    urb_prep_write(dst, buf, len, off, &chain[1]);
    int32_t r = urb_submit_chain_blocking(chain, 2, res);
    if (res[0] < 0) return fail("read", res[0]);
    if ((uint32_t)res[0] != len) {
        fprintf(stderr, "cp: short read at %llu (%d of %u bytes): did the source shrink?\n",
                (unsigned long long)off, res[0], len);
        return 1;
    }
    if (res[1] < 0) return fail("write", res[1]);
    if ((uint32_t)res[1] != len) { /* a short last link is not an error to the chain */
        fprintf(stderr, "cp: short write at %llu (%d of %u bytes)\n", (unsigned long long)off, res[1], len);
        return 1;
    }
    return r < 0 ? fail("chain", r) : 0;
}

/* Compares both files to their ends, byte for byte. */
static int verify(int src, int dst, uint64_t want_size) {
    uint64_t dst_size;
    if (file_size(dst, "destination", &dst_size)) return 1;
    if (dst_size != want_size) {
        fprintf(stderr, "cp: size mismatch: %llu bytes copied into %llu\n",
                (unsigned long long)want_size, (unsigned long long)dst_size);
        return 1;
    }
    static char a[CHUNK], b[CHUNK];
    for (uint64_t off = 0;; off += CHUNK) {
        int32_t na = urb_read(src, a, CHUNK, off), nb = urb_read(dst, b, CHUNK, off);
        if (na < 0) return fail("verify: read source", na);
        if (nb < 0) return fail("verify: read destination", nb);
        if (na != nb || memcmp(a, b, (size_t)na) != 0) {
            fprintf(stderr, "cp: content mismatch in the chunk at %llu\n", (unsigned long long)off);
            return 1;
        }
        if (na == 0) break;
    }
    printf("cp: %llu bytes, verified\n", (unsigned long long)want_size);
    return 0;
}

static int copy(int src, int dst) {
    uint64_t size;
    if (file_size(src, "source", &size)) return 1;
    char *buf = malloc(CHUNK);
    if (!buf) {
        fprintf(stderr, "cp: out of memory\n");
        return 1;
    }
    int status = 0;
    for (uint64_t off = 0; off < size && status == 0; off += CHUNK) {
        uint32_t len = size - off < CHUNK ? (uint32_t)(size - off) : CHUNK;
        status = copy_chunk(src, dst, buf, len, off);
    }
    free(buf);
    return status ? status : verify(src, dst, size);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: cp SRC DST\n");
        return 2;
    }
    int src = urb_openat(AT_FDCWD, argv[1], O_RDONLY | O_CLOEXEC, 0);
    if (src < 0) return fail(argv[1], src);
    int dst = urb_openat(AT_FDCWD, argv[2], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (dst < 0) {
        urb_close(src);
        return fail(argv[2], dst);
    }
    int status = copy(src, dst);
    urb_close(src);
    int32_t r = urb_close(dst);
    if (r < 0 && status == 0) status = fail("close destination", r);
    return status;
}
