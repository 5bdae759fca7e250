#include "hs_uringbridge.h"

#include "Rts.h"

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
