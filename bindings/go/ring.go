package uringbridge

import "time"

// The async ring's configuration and counters, shared by the real ring
// (ring_linux.go) and the stub, so code that names them builds everywhere.

// RingOptions configures [NewRing]; the zero value (or nil) gives the
// library's defaults.
type RingOptions struct {
	// Entries is the submission queue size (rounded up to a power of two,
	// at most 32768); 0 means 256. It also bounds the length of a chain.
	Entries uint32
	// CQEntries is the completion queue size (>= Entries); 0 means twice
	// Entries. A full completion queue loses nothing.
	CQEntries uint32
	// SQPoll asks for a kernel submission-polling thread (off by default:
	// it burns a core while busy). Ignored by the fallback engine.
	SQPoll bool
	// SQPollIdle is how long that thread spins before sleeping; 0 = 1s.
	SQPollIdle time.Duration
	// Fallback runs this ring on the fallback engine (plain system calls)
	// even where io_uring works.
	Fallback bool
}

// RingStats are a ring's counters since it was created (urb_ring_stats).
type RingStats struct {
	Submitted   uint64 // requests accepted (a chain counts each request)
	Completions uint64 // completions delivered
	Enters      uint64 // io_uring_enter calls by the owner thread (fallback: wake-ups)
	SQFullWaits uint64 // times the owner found the submission queue full
	CQOverflows uint64 // completion queue overflows the kernel reported (nothing lost)
	Cancels     uint64 // cancellations requested
	Wakeups     uint64 // times a submitter woke a sleeping owner thread
	InFlight    uint64 // requests in flight when the snapshot was taken
}
