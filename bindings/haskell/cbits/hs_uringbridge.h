#ifndef HS_URINGBRIDGE_H
#define HS_URINGBRIDGE_H

#include <stdint.h>
#include "HsFFI.h"

/* One green thread waiting for one request: the token of the request is the
 * address of this struct. The request is handed over first and the waiter
 * armed afterwards (so that a request finishing on the spot never costs a
 * stable pointer); `state` settles the race between the completion and the
 * arming: whoever comes second does the work. */
struct hs_urb_wait {
    int capability;
    HsStablePtr mvar; /* a PrimMVar; hs_try_putmvar frees it */
    int32_t res;
    uint32_t flags;
    uint32_t state; /* HS_URB_* below, accessed atomically */
};

#define HS_URB_EMPTY 0 /* handed over, neither completed nor armed */
#define HS_URB_ARMED 1 /* the waiter sleeps on mvar: the completion wakes it */
#define HS_URB_DONE 2  /* completed before the waiter armed: res is final */

/* Before the request is handed over. */
void hs_urb_wait_init(struct hs_urb_wait *w);

/* Arms the waiter: returns 1 when it is armed (a wake-up through `mvar`
 * follows), 0 when the completion came first (`res` holds the result,
 * `mvar` was not used and is still the caller's to free). */
int hs_urb_wait_arm(struct hs_urb_wait *w, int capability, HsStablePtr mvar);

/* The ring's completion callback: records the result and, if the waiter is
 * armed, wakes it without entering Haskell (runs on the ring's owner
 * thread). */
void hs_urb_wake(void *ctx, uint64_t token, int32_t res, uint32_t flags);

/* A socket receive or send tried on the spot (urb_submit_nowait), with the
 * urb_op built on this stack: one unsafe foreign call and no Haskell-side
 * allocation per try, the price package network pays for its recv(2).
 * Returns the call's result (>= 0 or -errno), or HS_URB_WOULD_WAIT when
 * it would have had to wait (nothing moved). INT32_MIN is never a result:
 * counts are below 2^31 and errors are small negative numbers. */
#define HS_URB_WOULD_WAIT INT32_MIN
int32_t hs_urb_try_recv(int32_t fd, void *buf, uint32_t len, int32_t flags);
int32_t hs_urb_try_send(int32_t fd, const void *buf, uint32_t len, int32_t flags);

#endif
