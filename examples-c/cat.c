/* cat: copies files (or stdin) to stdout with urb_read/urb_write at the
 * current file position. */
#include <fcntl.h>
#include <stdio.h>
#include <uringbridge.h>

static int copy(int in, const char *name) {
    char buf[64 * 1024];
    for (;;) {
        int32_t n = urb_read(in, buf, sizeof buf, URB_OFFSET_CURRENT);
        if (n < 0) {
            fprintf(stderr, "cat: %s: %s\n", name, urb_strerror(n));
            return 1;
        }
        if (n == 0) return 0;
        for (int32_t done = 0; done < n;) {
            int32_t w = urb_write(1, buf + done, (uint32_t)(n - done), URB_OFFSET_CURRENT);
            if (w < 0) {
                fprintf(stderr, "cat: stdout: %s\n", urb_strerror(w));
                return 1;
            }
            done += w;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return copy(0, "stdin");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        int fd = urb_openat(AT_FDCWD, argv[i], O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0) {
            fprintf(stderr, "cat: %s: %s\n", argv[i], urb_strerror(fd));
            status = 1;
            continue;
        }
        status |= copy(fd, argv[i]);
        urb_close(fd);
    }
    return status;
}
