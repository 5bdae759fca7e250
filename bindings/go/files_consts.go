package uringbridge

// Flags of [Linkat], [(*File).Fallocate], [(*File).Fadvise],
// [SyncFileRange], [Splice]/[Tee] and [Setxattr] (Linux values; the cgo
// build checks them against the C headers at compile time).
const (
	// AtSymlinkFollow makes [Linkat] link what a symbolic link names.
	AtSymlinkFollow = 0x400

	// FallocKeepSize allocates without changing the file's length.
	FallocKeepSize = 0x01
	// FallocPunchHole frees the range (with FallocKeepSize).
	FallocPunchHole = 0x02
	// FallocZeroRange zeroes the range.
	FallocZeroRange = 0x10

	FadvNormal     = 0
	FadvRandom     = 1
	FadvSequential = 2
	FadvWillneed   = 3
	FadvDontneed   = 4
	FadvNoreuse    = 5

	SyncFileRangeWaitBefore = 1
	SyncFileRangeWrite      = 2
	SyncFileRangeWaitAfter  = 4

	SpliceFMove     = 1
	SpliceFNonblock = 2
	SpliceFMore     = 4
	SpliceFGift     = 8

	// XattrCreate makes [Setxattr] fail with EEXIST if the attribute exists.
	XattrCreate = 1
	// XattrReplace makes [Setxattr] fail with ENODATA unless it exists.
	XattrReplace = 2
)

// NoOffset as an offset of [Splice] means "none" (splice(2)'s NULL): the
// descriptor's own position, and the only value a pipe accepts.
const NoOffset int64 = -1
