/* Data buffers cross into C as integers (uintptr_t), not as pointers.
 *
 * cgo checks every Go pointer passed to C: the Go object it points into
 * must hold no unpinned Go pointers. For a byte buffer that is part of a
 * larger object (a [N]byte field of a struct that also holds pointers, as
 * net/http's connection reader has) that check fails and the call panics,
 * although C only ever touches the buffer's bytes. Passing the address as
 * an integer skips that check; what makes it safe is the same as for the
 * pointer: the caller keeps the buffer alive (runtime.KeepAlive) and in
 * place (heap objects never move; a goroutine's stack does not move while
 * it is inside a cgo call) for the duration of the call, or pins it with a
 * runtime.Pinner for as long as a request may use it. */
#ifndef GOURB_SHIM_H
#define GOURB_SHIM_H
#include <stdint.h>
#include "uringbridge.h"

static inline int32_t gourb_read(int32_t fd, uintptr_t buf, uint32_t len, uint64_t off) {
	return urb_read(fd, (void *)buf, len, off);
}
static inline int32_t gourb_write(int32_t fd, uintptr_t buf, uint32_t len, uint64_t off) {
	return urb_write(fd, (const void *)buf, len, off);
}
static inline int32_t gourb_recv(int32_t fd, uintptr_t buf, uint32_t len, int32_t flags) {
	return urb_recv(fd, (void *)buf, len, flags);
}
static inline int32_t gourb_send(int32_t fd, uintptr_t buf, uint32_t len, int32_t flags) {
	return urb_send(fd, (const void *)buf, len, flags);
}
static inline int32_t gourb_prep_read(int32_t fd, uintptr_t buf, uint32_t len, uint64_t off, urb_op *out) {
	return urb_prep_read(fd, (void *)buf, len, off, out);
}
static inline int32_t gourb_prep_write(int32_t fd, uintptr_t buf, uint32_t len, uint64_t off, urb_op *out) {
	return urb_prep_write(fd, (const void *)buf, len, off, out);
}
static inline int32_t gourb_prep_recv(int32_t fd, uintptr_t buf, uint32_t len, int32_t flags, urb_op *out) {
	return urb_prep_recv(fd, (void *)buf, len, flags, out);
}
static inline int32_t gourb_prep_send(int32_t fd, uintptr_t buf, uint32_t len, int32_t flags, urb_op *out) {
	return urb_prep_send(fd, (const void *)buf, len, flags, out);
}

/* urb_ring_submit_try's two results in one integer, so that Go passes no
 * pointer to its own memory (a pointer argument makes the result escape to
 * the heap): bits 32-33 say what happened, the low 32 bits carry the
 * value. GOURB_DONE: finished on the spot, the value is its result (no
 * completion follows). GOURB_QUEUED: the ring took it (one completion
 * follows). GOURB_REFUSED: the value is the -errno of the refusal. */
#define GOURB_REFUSED 0
#define GOURB_QUEUED 1
#define GOURB_DONE 2
static inline uint64_t gourb_try(const urb_ring *ring, const urb_op *op, uint64_t token) {
	int32_t res = 0;
	int32_t rc = urb_ring_submit_try(ring, op, token, &res);
	if (rc == 1) return ((uint64_t)GOURB_DONE << 32) | (uint32_t)res;
	if (rc == 0) return (uint64_t)GOURB_QUEUED << 32;
	return (uint32_t)rc;
}

/* urb_submit_nowait in the same encoding: GOURB_QUEUED here means "would
 * have to wait; nothing was done" (no ring is involved). */
static inline uint64_t gourb_nowait(const urb_op *op) {
	int32_t res = 0;
	int32_t rc = urb_submit_nowait(op, &res);
	if (rc == 1) return ((uint64_t)GOURB_DONE << 32) | (uint32_t)res;
	if (rc == 0) return (uint64_t)GOURB_QUEUED << 32;
	return (uint32_t)rc;
}

/* One cgo call (prepare, then try) for the socket I/O of the package's
 * connections and the reads and writes of a File on a ring; buf must stay
 * valid until the result is known (pinned by the caller when queued). */
static inline uint64_t gourb_try_sock(const urb_ring *ring, uint8_t code, int32_t fd,
                                      uintptr_t buf, uint32_t len, int32_t flags, uint64_t token) {
	urb_op op;
	int32_t res = code == URB_OP_RECV ? urb_prep_recv(fd, (void *)buf, len, flags, &op)
	                                  : urb_prep_send(fd, (const void *)buf, len, flags, &op);
	if (res < 0) return (uint32_t)res;
	return gourb_try(ring, &op, token);
}

static inline uint64_t gourb_try_rw(const urb_ring *ring, uint8_t code, int32_t fd,
                                    uintptr_t buf, uint32_t len, uint64_t off, uint64_t token) {
	urb_op op;
	int32_t res = code == URB_OP_READ ? urb_prep_read(fd, (void *)buf, len, off, &op)
	                                  : urb_prep_write(fd, (const void *)buf, len, off, &op);
	if (res < 0) return (uint32_t)res;
	return gourb_try(ring, &op, token);
}

/* One cgo call for a splice without offsets (the pipes and sockets of
 * Conn.ReadFrom and friends, and a regular file at its position). */
static inline uint64_t gourb_try_splice(const urb_ring *ring, int32_t fd_in, int32_t fd_out,
                                        uint32_t len, uint32_t flags, uint64_t token) {
	urb_op op;
	int32_t res = urb_prep_splice(fd_in, URB_OFFSET_CURRENT, fd_out, URB_OFFSET_CURRENT, len, flags, &op);
	if (res < 0) return (uint32_t)res;
	return gourb_try(ring, &op, token);
}
#endif
