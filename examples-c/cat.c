/* cat [FILE...]: copies each FILE ("-" or none: stdin) to stdout with
 * urb_read / urb_write at the current file position (URB_OFFSET_CURRENT), so
 * it works on pipes and terminals as well as regular files. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <uringbridge.h>

static int write_all(const char *buf, int32_t n) {
    for (int32_t done = 0; done < n;) {
        int32_t w = urb_write(1, buf + done, (uint32_t)(n - done), URB_OFFSET_CURRENT);
        if (w <= 0) {
            fprintf(stderr, "cat: stdout: %s\n", w < 0 ? urb_strerror(w) : "wrote nothing");
            return 1;
        }
        done += w;
    }
    return 0;
}

static int copy(int in, const char *name) {
    static char buf[64 * 1024];
    for (;;) {
        int32_t n = urb_read(in, buf, sizeof buf, URB_OFFSET_CURRENT);
        if (n < 0) {
            fprintf(stderr, "cat: %s: %s\n", name, urb_strerror(n));
            return 1;
        }
        if (n == 0) return 0;
        if (write_all(buf, n)) return 1;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return copy(0, "stdin");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            status |= copy(0, "stdin");
            continue;
        }
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
