#include "hs_uringbridge.h"

#include "Rts.h"

void hs_urb_wake(void *ctx, uint64_t token, int32_t res, uint32_t flags) {
    (void)ctx;
    struct hs_urb_wait *w = (struct hs_urb_wait *)(uintptr_t)token;
    w->res = res;
    w->flags = flags;
    hs_try_putmvar(w->capability, w->mvar);
}
