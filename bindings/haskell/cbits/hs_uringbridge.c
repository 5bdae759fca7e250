#include "hs_uringbridge.h"

#include "Rts.h"
#include <uringbridge.h>

void hs_urb_wait_init(struct hs_urb_wait *w) {
    __atomic_store_n(&w->state, HS_URB_EMPTY, __ATOMIC_RELAXED);
}

int hs_urb_wait_arm(struct hs_urb_wait *w, int capability, HsStablePtr mvar) {
    w->capability = capability;
    w->mvar = mvar;
    uint32_t expected = HS_URB_EMPTY;
    /* Release: the callback that sees ARMED sees capability and mvar;
     * acquire: a waiter that sees DONE sees res and flags. */
    return __atomic_compare_exchange_n(&w->state, &expected, HS_URB_ARMED, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE)
               ? 1
               : 0;
}

void hs_urb_wake(void *ctx, uint64_t token, int32_t res, uint32_t flags) {
    (void)ctx;
    struct hs_urb_wait *w = (struct hs_urb_wait *)(uintptr_t)token;
    w->res = res;
    w->flags = flags;
    uint32_t expected = HS_URB_EMPTY;
    if (__atomic_compare_exchange_n(&w->state, &expected, HS_URB_DONE, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        return; /* the waiter has not armed yet: it finds the result */
    /* Armed: after this, the record may be gone (the waiter returns). */
    hs_try_putmvar(w->capability, w->mvar);
}

/* urb_prep_* fails only for a NULL output, and urb_submit_nowait returns a
 * negative value only for NULL pointers: neither can happen here, so the
 * request's own validation (EBADF, EINVAL, EFAULT) is the only refusal, and
 * it comes back as the result. */
static int32_t try_now(const struct urb_op *op) {
    int32_t res = 0;
    return urb_submit_nowait(op, &res) == 1 ? res : HS_URB_WOULD_WAIT;
}

int32_t hs_urb_try_recv(int32_t fd, void *buf, uint32_t len, int32_t flags) {
    struct urb_op op;
    urb_prep_recv(fd, buf, len, flags, &op);
    return try_now(&op);
}

int32_t hs_urb_try_send(int32_t fd, const void *buf, uint32_t len, int32_t flags) {
    struct urb_op op;
    urb_prep_send(fd, buf, len, flags, &op);
    return try_now(&op);
}
