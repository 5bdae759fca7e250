/* no_io_uring ERRNO COMMAND [ARGS...]: runs COMMAND in a process where
 * io_uring_setup(2) fails with ERRNO (ENOSYS as under Docker's default
 * seccomp profile, EPERM as with kernel.io_uring_disabled=2), installed before
 * the library is loaded, so the library's own probe meets the refusal. */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define THIS_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define THIS_ARCH AUDIT_ARCH_AARCH64
#else
#error "add this architecture's AUDIT_ARCH_* value"
#endif

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: no_io_uring ENOSYS|EPERM COMMAND [ARGS...]\n");
        return 2;
    }
    int err = !strcmp(argv[1], "EPERM") ? EPERM : !strcmp(argv[1], "ENOSYS") ? ENOSYS : 0;
    if (!err) {
        fprintf(stderr, "no_io_uring: ERRNO must be ENOSYS or EPERM\n");
        return 2;
    }
    struct sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, THIS_ARCH, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW), /* other arches: leave alone */
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("no_io_uring: seccomp");
        return 1;
    }
    execvp(argv[2], argv + 2);
    perror("no_io_uring: exec");
    return 127;
}
