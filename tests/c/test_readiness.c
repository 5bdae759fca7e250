/* The readiness pollers from C: the same checks on every table the engine
 * offers (io_uring's and epoll's, or epoll's alone on the fallback). */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void nonblocking_pipe(int p[2]) {
    CHECK(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
}

static int poll_n(const urb_poller_vtable *vt, void *st, int timeout, urb_event *out, uint32_t max) {
    int n = vt->poll(st, timeout, out, max);
    CHECK(n >= 0);
    return n;
}

struct late_writer { int fd; };

static void *write_later(void *arg) {
    struct late_writer *w = arg;
    usleep(30000);
    if (write(w->fd, "!", 1) != 1) return (void *)1;
    return NULL;
}

struct registration { const urb_poller_vtable *vt; void *st; int fd; int32_t rc; };

static void *register_once_and_exit(void *arg) {
    struct registration *r = arg;
    r->rc = r->vt->modify_fd_once(r->st, r->fd, URB_EV_READ);
    return NULL;
}

/* io_uring cancels a request when the thread that submitted it exits; the
 * registration must stand anyway. And each registration replaces the last. */
static void check_lifetimes(const urb_poller_vtable *vt) {
    void *st = vt->create();
    CHECK(st != NULL);
    int p[2];
    nonblocking_pipe(p);
    urb_event ev[8];
    struct registration r = {vt, st, p[0], -1};
    pthread_t t;
    pthread_create(&t, NULL, register_once_and_exit, &r);
    pthread_join(t, NULL);
    CHECK_RES(r.rc, 0);
    usleep(20000);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK_RES(poll_n(vt, st, 1000, ev, 8), 1);
    CHECK(ev[0].fd == p[0] && ev[0].events == URB_EV_READ);

    /* persistent write, replaced by one-shot read: no write event follows */
    CHECK_RES(vt->modify_fd(st, p[1], 0, URB_EV_WRITE), 0);
    CHECK_RES(vt->modify_fd_once(st, p[1], URB_EV_READ), 0);
    CHECK_RES(poll_n(vt, st, 30, ev, 8), 0);

    /* a child after fork is refused, without harm to the parent */
    CHECK_RES(vt->modify_fd_once(st, p[0], URB_EV_READ), 0);
    pid_t pid = fork();
    if (pid == 0) {
        urb_event cev[2];
        _exit(vt->poll(st, 0, cev, 2) == -ECHILD && vt->modify_fd(st, p[0], 0, URB_EV_READ) == -ECHILD ? 0 : 1);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK_RES(poll_n(vt, st, 1000, ev, 8), 1);
    CHECK(ev[0].fd == p[0]);

    vt->destroy(st);
    close(p[0]);
    close(p[1]);
}

static void check_table(const urb_poller_vtable *vt) {
    printf("  poller %s\n", vt->name);
    void *st = vt->create();
    CHECK(st != NULL);
    int p[2];
    nonblocking_pipe(p);
    urb_event ev[8];

    /* persistent read interest: reported when data arrives, once */
    CHECK_RES(vt->modify_fd(st, p[0], 0, URB_EV_READ), 0);
    CHECK_RES(poll_n(vt, st, 20, ev, 8), 0);
    CHECK(write(p[1], "x", 1) == 1);
    CHECK_RES(poll_n(vt, st, 1000, ev, 8), 1);
    CHECK(ev[0].fd == p[0] && ev[0].events == URB_EV_READ);
    CHECK_RES(poll_n(vt, st, 20, ev, 8), 0);
    /* modify to nothing removes it */
    CHECK_RES(vt->modify_fd(st, p[0], URB_EV_READ, 0), 0);
    CHECK(write(p[1], "y", 1) == 1);
    CHECK_RES(poll_n(vt, st, 20, ev, 8), 0);

    /* one-shot: data already there is reported, exactly once */
    CHECK_RES(vt->modify_fd_once(st, p[0], URB_EV_READ), 0);
    CHECK_RES(poll_n(vt, st, 1000, ev, 8), 1);
    CHECK_RES(poll_n(vt, st, 20, ev, 8), 0);

    /* write interest on an empty pipe is immediate */
    CHECK_RES(vt->modify_fd_once(st, p[1], URB_EV_WRITE), 0);
    CHECK_RES(poll_n(vt, st, 1000, ev, 8), 1);
    CHECK(ev[0].fd == p[1] && (ev[0].events & URB_EV_WRITE));

    /* a poller asleep is woken by data arriving from another thread */
    char drain[16];
    while (read(p[0], drain, sizeof drain) > 0) {}
    CHECK_RES(vt->modify_fd_once(st, p[0], URB_EV_READ), 0);
    pthread_t t;
    struct late_writer w = {p[1]};
    pthread_create(&t, NULL, write_later, &w);
    CHECK_RES(poll_n(vt, st, 5000, ev, 8), 1);
    pthread_join(t, NULL);

    /* hang-up */
    while (read(p[0], drain, sizeof drain) > 0) {}
    CHECK_RES(vt->modify_fd_once(st, p[0], URB_EV_READ), 0);
    close(p[1]);
    CHECK_RES(poll_n(vt, st, 1000, ev, 8), 1);
    CHECK(ev[0].events & URB_EV_ERROR);

    /* bad input */
    CHECK_RES(vt->poll(NULL, 0, ev, 8), -EINVAL);
    CHECK_RES(vt->poll(st, 0, NULL, 8), -EINVAL);
    CHECK_RES(vt->modify_fd(st, -1, 0, URB_EV_READ), -EINVAL);
    CHECK_RES(vt->modify_fd(st, 60000, 0, URB_EV_READ), -EBADF);
    CHECK_RES(vt->modify_fd_once(st, p[0], 0), -EINVAL);

    /* destroy with a registration outstanding */
    CHECK_RES(vt->modify_fd(st, p[0], 0, URB_EV_READ), 0);
    vt->destroy(st);
    vt->destroy(NULL);
    close(p[0]);

    check_lifetimes(vt);
}

int main(void) {
    harness_start("test_readiness");
    const urb_poller_vtable *uring = urb_poller_io_uring(), *epoll = urb_poller_epoll();
    CHECK(epoll != NULL && strcmp(epoll->name, "epoll") == 0);
    CHECK((uring != NULL) == urb_supported());
    CHECK(strcmp(urb_poller_default()->name, urb_supported() ? "io_uring" : "epoll") == 0);
    /* The former names: the same tables, and the former type name. */
    const urb_backend_vtable *old_default = urb_backend_default();
    CHECK(old_default == urb_poller_default());
    CHECK(urb_backend_io_uring() == uring && urb_backend_epoll() == epoll);
    check_table(epoll);
    if (uring) check_table(uring);
    return harness_finish();
}
