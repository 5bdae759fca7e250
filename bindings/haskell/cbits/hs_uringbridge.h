#ifndef HS_URINGBRIDGE_H
#define HS_URINGBRIDGE_H

#include <stdint.h>
#include "HsFFI.h"

/* One green thread waiting for one request: the token of the request is the
 * address of this struct. */
struct hs_urb_wait {
    int capability;
    HsStablePtr mvar; /* a PrimMVar; hs_try_putmvar frees it */
    int32_t res;
    uint32_t flags;
};

/* The ring's completion callback: records the result and wakes the waiting
 * Haskell thread without entering Haskell (runs on the ring's owner thread). */
void hs_urb_wake(void *ctx, uint64_t token, int32_t res, uint32_t flags);

#endif
