{-# LANGUAGE ForeignFunctionInterface #-}
-- | Every C entry point of uringbridge, one to one. Calls that never block
-- are @unsafe@ (cheap, hold the capability for nanoseconds); calls that can
-- wait in the kernel are @safe@, so the capability is released meanwhile.
-- Struct sizes and offsets come from the header through hsc2hs.
module System.IO.URingBridge.Raw where

import Data.Int (Int32)
import Data.Word (Word8, Word16, Word32, Word64)
import Foreign.C.String (CString)
import Foreign.C.Types (CBool (..), CInt (..), CSize (..))
import Foreign.Ptr (FunPtr, Ptr)
import Foreign.StablePtr (StablePtr)
import GHC.Conc (PrimMVar)

#define _GNU_SOURCE 1
#include <uringbridge.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <linux/fs.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <linux/falloc.h>
#include <linux/xattr.h>
#include "hs_uringbridge.h"

-- | A @urb_op@ (opaque; filled by the @urb_prep_*@ functions).
data UrbOp
-- | A @urb_ring@.
data URing
-- | A @urb_ring_config@.
data RingConfig
-- | A @struct hs_urb_wait@ (see cbits).
data Wait
-- | A @urb_poller_vtable@ (formerly @urb_backend_vtable@).
data Vtable
-- | A @urb_event@.
data UrbEvent

-- | Sizes of @urb_op@, @struct hs_urb_wait@, @urb_event@, @urb_ring_config@.
sizeOfOp, sizeOfWait, sizeOfEvent, sizeOfConfig :: Int
sizeOfOp = #{size urb_op}
sizeOfWait = #{size struct hs_urb_wait}
sizeOfEvent = #{size urb_event}
sizeOfConfig = #{size urb_ring_config}

-- | Field offsets of @urb_op@, for callers that fill one by hand (the shared
-- test vectors do; everyone else uses the @urb_prep_*@ constructors).
offOpOpcode, offOpFlags, offOpReserved0, offOpFd, offOpOffset, offOpBuf, offOpLen,
  offOpOpFlags, offOpBuf2, offOpMode, offOpReserved1, offOpReserved2 :: Int
offOpOpcode = #{offset urb_op, opcode}
offOpFlags = #{offset urb_op, flags}
offOpReserved0 = #{offset urb_op, buf_index}
offOpFd = #{offset urb_op, fd}
offOpOffset = #{offset urb_op, offset}
offOpBuf = #{offset urb_op, buf}
offOpLen = #{offset urb_op, len}
offOpOpFlags = #{offset urb_op, op_flags}
offOpBuf2 = #{offset urb_op, buf2}
offOpMode = #{offset urb_op, mode}
offOpReserved1 = #{offset urb_op, reserved1}
offOpReserved2 = #{offset urb_op, reserved2}

-- | Field offsets of @struct hs_urb_wait@ (the result is read at 'offWaitRes').
offWaitCapability, offWaitMVar, offWaitRes, offWaitFlags :: Int
offWaitCapability = #{offset struct hs_urb_wait, capability}
offWaitMVar = #{offset struct hs_urb_wait, mvar}
offWaitRes = #{offset struct hs_urb_wait, res}
offWaitFlags = #{offset struct hs_urb_wait, flags}

-- | Field offsets of @urb_event@ (a readiness backend's poll output).
offEventFd, offEventEvents :: Int
offEventFd = #{offset urb_event, fd}
offEventEvents = #{offset urb_event, events}

-- | Field offsets of @urb_backend_vtable@ (its function pointers and name).
offVtName, offVtCreate, offVtPoll, offVtModify, offVtModifyOnce, offVtDestroy :: Int
offVtName = #{offset urb_poller_vtable, name}
offVtCreate = #{offset urb_poller_vtable, create}
offVtPoll = #{offset urb_poller_vtable, poll}
offVtModify = #{offset urb_poller_vtable, modify_fd}
offVtModifyOnce = #{offset urb_poller_vtable, modify_fd_once}
offVtDestroy = #{offset urb_poller_vtable, destroy}

-- | The @URB_OP_*@ opcodes, from the header.
opNop, opRead, opWrite, opReadv, opWritev, opFsync, opOpenat, opClose, opStatx,
  opRecv, opSend, opAccept, opConnect, opShutdown, opPoll, opTimeout, opUnlinkat,
  opRenameat, opMkdirat, opSendmsg, opRecvmsg, opSocket, opBind, opListen, opSymlinkat,
  opLinkat, opFallocate, opFtruncate, opFadvise, opMadvise, opSyncFileRange, opSplice, opTee,
  opGetxattr, opSetxattr, opReadFixed, opWriteFixed, opSendZc, opSendmsgZc, opCount :: Word8
opNop = #{const URB_OP_NOP}
opRead = #{const URB_OP_READ}
opWrite = #{const URB_OP_WRITE}
opReadv = #{const URB_OP_READV}
opWritev = #{const URB_OP_WRITEV}
opFsync = #{const URB_OP_FSYNC}
opOpenat = #{const URB_OP_OPENAT}
opClose = #{const URB_OP_CLOSE}
opStatx = #{const URB_OP_STATX}
opRecv = #{const URB_OP_RECV}
opSend = #{const URB_OP_SEND}
opAccept = #{const URB_OP_ACCEPT}
opConnect = #{const URB_OP_CONNECT}
opShutdown = #{const URB_OP_SHUTDOWN}
opPoll = #{const URB_OP_POLL}
opTimeout = #{const URB_OP_TIMEOUT}
opUnlinkat = #{const URB_OP_UNLINKAT}
opRenameat = #{const URB_OP_RENAMEAT}
opMkdirat = #{const URB_OP_MKDIRAT}
opSendmsg = #{const URB_OP_SENDMSG}
opRecvmsg = #{const URB_OP_RECVMSG}
opSocket = #{const URB_OP_SOCKET}
opBind = #{const URB_OP_BIND}
opListen = #{const URB_OP_LISTEN}
opSymlinkat = #{const URB_OP_SYMLINKAT}
opLinkat = #{const URB_OP_LINKAT}
opFallocate = #{const URB_OP_FALLOCATE}
opFtruncate = #{const URB_OP_FTRUNCATE}
opFadvise = #{const URB_OP_FADVISE}
opMadvise = #{const URB_OP_MADVISE}
opSyncFileRange = #{const URB_OP_SYNC_FILE_RANGE}
opSplice = #{const URB_OP_SPLICE}
opTee = #{const URB_OP_TEE}
opGetxattr = #{const URB_OP_GETXATTR}
opSetxattr = #{const URB_OP_SETXATTR}
opReadFixed = #{const URB_OP_READ_FIXED}
opWriteFixed = #{const URB_OP_WRITE_FIXED}
opSendZc = #{const URB_OP_SEND_ZC}
opSendmsgZc = #{const URB_OP_SENDMSG_ZC}
opCount = #{const URB_OP_COUNT}

-- | Longest chain the chain calls accept.
chainMax :: Int
chainMax = #{const URB_CHAIN_MAX}

-- | A @struct iovec@ (readv/writev take an array of them).
data IOVec
-- | Size and field offsets of @struct iovec@.
sizeOfIOVec, offIOVecBase, offIOVecLen :: Int
sizeOfIOVec = #{size struct iovec}
offIOVecBase = #{offset struct iovec, iov_base}
offIOVecLen = #{offset struct iovec, iov_len}

-- | A @struct msghdr@ (sendmsg/recvmsg's argument).
data MsgHdr
-- | Size and field offsets of @struct msghdr@.
sizeOfMsgHdr, offMsgName, offMsgNameLen, offMsgIov, offMsgIovLen, offMsgControl,
  offMsgControlLen, offMsgFlags :: Int
sizeOfMsgHdr = #{size struct msghdr}
offMsgName = #{offset struct msghdr, msg_name}
offMsgNameLen = #{offset struct msghdr, msg_namelen}
offMsgIov = #{offset struct msghdr, msg_iov}
offMsgIovLen = #{offset struct msghdr, msg_iovlen}
offMsgControl = #{offset struct msghdr, msg_control}
offMsgControlLen = #{offset struct msghdr, msg_controllen}
offMsgFlags = #{offset struct msghdr, msg_flags}

-- | Size of @struct cmsghdr@ (an ancillary data item's header), its field
-- offsets, and the alignment of items and their data (@CMSG_ALIGN@'s unit,
-- @sizeof (size_t)@).
sizeOfCmsgHdr, offCmsgLen, offCmsgLevel, offCmsgType, cmsgAlign :: Int
sizeOfCmsgHdr = #{size struct cmsghdr}
offCmsgLen = #{offset struct cmsghdr, cmsg_len}
offCmsgLevel = #{offset struct cmsghdr, cmsg_level}
offCmsgType = #{offset struct cmsghdr, cmsg_type}
cmsgAlign = #{size size_t}

-- | @sizeof (struct sockaddr_storage)@: room for any socket address.
sizeOfSockAddrStorage :: Int
sizeOfSockAddrStorage = #{size struct sockaddr_storage}

-- | @MSG_*@ flags, from @<sys/socket.h>@.
msgCmsgCloexec, msgTrunc, msgCtrunc, msgPeek, msgWaitall, msgOob, msgDontwait :: CInt
msgCmsgCloexec = #{const MSG_CMSG_CLOEXEC}
msgTrunc = #{const MSG_TRUNC}
msgCtrunc = #{const MSG_CTRUNC}
msgPeek = #{const MSG_PEEK}
msgWaitall = #{const MSG_WAITALL}
msgOob = #{const MSG_OOB}
msgDontwait = #{const MSG_DONTWAIT}

-- | @SOL_SOCKET@ and @SCM_RIGHTS@: the ancillary data that passes descriptors.
solSocket, scmRights :: CInt
solSocket = #{const SOL_SOCKET}
scmRights = #{const SCM_RIGHTS}

-- | @SOCK_NONBLOCK@ and @SOCK_CLOEXEC@, or'ed into a socket type.
sockNonblock, sockCloexec :: CInt
sockNonblock = #{const SOCK_NONBLOCK}
sockCloexec = #{const SOCK_CLOEXEC}

-- | A @struct statx@ (filled by @URB_OP_STATX@); only the fields the binding reads.
data Statx
-- | Size of @struct statx@ and the offsets of @stx_size@ and @stx_mode@.
sizeOfStatx, offStatxSize, offStatxMode :: Int
sizeOfStatx = #{size struct statx}
offStatxSize = #{offset struct statx, stx_size}
offStatxMode = #{offset struct statx, stx_mode}

-- | @STATX_BASIC_STATS@, the mask asking for every basic field.
statxBasicStats :: Word32
statxBasicStats = #{const STATX_BASIC_STATS}

-- | @AT_FDCWD@: a directory argument meaning the current directory.
atFdCwd :: CInt
atFdCwd = #{const AT_FDCWD}

-- | @unlinkat(2)@'s flag for removing a directory, from @<fcntl.h>@.
atRemovedir :: CInt
atRemovedir = #{const AT_REMOVEDIR}

-- | @linkat(2)@'s flags, from @<fcntl.h>@: link what a symbolic link names;
-- the path is empty and the directory descriptor is the file.
atSymlinkFollow, atEmptyPath :: CInt
atSymlinkFollow = #{const AT_SYMLINK_FOLLOW}
atEmptyPath = #{const AT_EMPTY_PATH}

-- | @setxattr(2)@'s flags, from @<linux/xattr.h>@: fail if the attribute
-- exists; fail unless it exists.
xattrCreate, xattrReplace :: CInt
xattrCreate = #{const XATTR_CREATE}
xattrReplace = #{const XATTR_REPLACE}

-- | @fallocate(2)@'s modes, from @<linux/falloc.h>@.
fallocKeepSize, fallocPunchHole, fallocZeroRange :: CInt
fallocKeepSize = #{const FALLOC_FL_KEEP_SIZE}
fallocPunchHole = #{const FALLOC_FL_PUNCH_HOLE}
fallocZeroRange = #{const FALLOC_FL_ZERO_RANGE}

-- | @posix_fadvise(2)@'s advice, from @<fcntl.h>@.
fadvNormal, fadvRandom, fadvSequential, fadvWillneed, fadvDontneed, fadvNoreuse :: CInt
fadvNormal = #{const POSIX_FADV_NORMAL}
fadvRandom = #{const POSIX_FADV_RANDOM}
fadvSequential = #{const POSIX_FADV_SEQUENTIAL}
fadvWillneed = #{const POSIX_FADV_WILLNEED}
fadvDontneed = #{const POSIX_FADV_DONTNEED}
fadvNoreuse = #{const POSIX_FADV_NOREUSE}

-- | @madvise(2)@'s advice, from @<sys/mman.h>@.
madvNormal, madvRandom, madvSequential, madvWillneed, madvDontneed :: CInt
madvNormal = #{const MADV_NORMAL}
madvRandom = #{const MADV_RANDOM}
madvSequential = #{const MADV_SEQUENTIAL}
madvWillneed = #{const MADV_WILLNEED}
madvDontneed = #{const MADV_DONTNEED}

-- | @sync_file_range(2)@'s flags, from @<fcntl.h>@.
syncFileRangeWaitBefore, syncFileRangeWrite, syncFileRangeWaitAfter :: Word32
syncFileRangeWaitBefore = #{const SYNC_FILE_RANGE_WAIT_BEFORE}
syncFileRangeWrite = #{const SYNC_FILE_RANGE_WRITE}
syncFileRangeWaitAfter = #{const SYNC_FILE_RANGE_WAIT_AFTER}

-- | @splice(2)@ and @tee(2)@'s flags, from @<fcntl.h>@.
spliceFMove, spliceFNonblock, spliceFMore, spliceFGift :: Word32
spliceFMove = #{const SPLICE_F_MOVE}
spliceFNonblock = #{const SPLICE_F_NONBLOCK}
spliceFMore = #{const SPLICE_F_MORE}
spliceFGift = #{const SPLICE_F_GIFT}

-- | @renameat2(2)@'s flags, from @<linux/fs.h>@ (the kernel judges them).
renameNoreplace, renameExchange, renameWhiteout :: Word32
renameNoreplace = #{const RENAME_NOREPLACE}
renameExchange = #{const RENAME_EXCHANGE}
renameWhiteout = #{const RENAME_WHITEOUT}

-- | @open(2)@ flags, from @<fcntl.h>@.
oRdonly, oWronly, oRdwr, oCreat, oExcl, oTrunc, oAppend, oNonblock, oCloexec, oDirect,
  oDsync, oSync, oDirectory, oNofollow, oNoatime, oPath, oTmpfile, oNoctty :: CInt
oRdonly = #{const O_RDONLY}
oWronly = #{const O_WRONLY}
oRdwr = #{const O_RDWR}
oCreat = #{const O_CREAT}
oExcl = #{const O_EXCL}
oTrunc = #{const O_TRUNC}
oAppend = #{const O_APPEND}
oNonblock = #{const O_NONBLOCK}
oCloexec = #{const O_CLOEXEC}
oDirect = #{const O_DIRECT}
oDsync = #{const O_DSYNC}
oSync = #{const O_SYNC}
oDirectory = #{const O_DIRECTORY}
oNofollow = #{const O_NOFOLLOW}
oNoatime = #{const O_NOATIME}
oPath = #{const O_PATH}
oTmpfile = #{const O_TMPFILE}
oNoctty = #{const O_NOCTTY}

-- | As an offset: read or write at the file position (which then
-- advances), like @read(2)@ / @write(2)@ instead of @pread(2)@ / @pwrite(2)@.
offsetCurrent :: Word64
offsetCurrent = #{const URB_OFFSET_CURRENT}

-- | @URB_FSYNC_DATASYNC@: the fsync flag for @fdatasync(2)@.
fsyncDatasync :: Word32
fsyncDatasync = #{const URB_FSYNC_DATASYNC}

-- | @URB_EV_READ@, @URB_EV_WRITE@, @URB_EV_ERROR@: readiness event bits.
evRead, evWrite, evError :: Word32
evRead = #{const URB_EV_READ}
evWrite = #{const URB_EV_WRITE}
evError = #{const URB_EV_ERROR}

-- | @URB_CQE_F_MORE@: a multishot request's completion flag, more to come.
cqeMore :: Word32
cqeMore = #{const URB_CQE_F_MORE}

-- information (never blocks)
-- The C functions return @bool@, which the x86-64 ABI defines in the low
-- byte only (the library sets it with @sete %al@); Haskell's 'Bool' result
-- is a whole machine word, so it is read as 'CBool' (one byte) instead.
-- | @urb_supported@: whether this process runs requests on io_uring.
foreign import ccall unsafe "urb_supported" c_supported :: IO CBool
-- | @urb_engine_name@: the engine's name (a static C string).
foreign import ccall unsafe "urb_engine_name" c_engine_name :: IO CString
-- | The former name of 'c_engine_name' (the same string).
foreign import ccall unsafe "urb_backend_name" c_backend_name :: IO CString
-- | @urb_op_supported@: whether the engine can perform an opcode.
foreign import ccall unsafe "urb_op_supported" c_op_supported :: Word8 -> IO CBool
-- | @urb_strerror@: the text for a result (a static C string).
foreign import ccall unsafe "urb_strerror" c_strerror :: Int32 -> IO CString
-- | @urb_version@: the library's version (a static C string).
foreign import ccall unsafe "urb_version" c_version :: IO CString

-- request constructors (never block)
-- | @urb_prep_nop@: fills a @urb_op@ for @URB_OP_NOP@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_nop" c_prep_nop :: Ptr UrbOp -> IO Int32
-- | @urb_prep_read@: fills a @urb_op@ for @URB_OP_READ@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_read" c_prep_read :: CInt -> Ptr Word8 -> Word32 -> Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_write@: fills a @urb_op@ for @URB_OP_WRITE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_write" c_prep_write :: CInt -> Ptr Word8 -> Word32 -> Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_readv@: fills a @urb_op@ for @URB_OP_READV@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_readv" c_prep_readv :: CInt -> Ptr IOVec -> Word32 -> Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_writev@: fills a @urb_op@ for @URB_OP_WRITEV@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_writev" c_prep_writev :: CInt -> Ptr IOVec -> Word32 -> Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_statx@: fills a @urb_op@ for @URB_OP_STATX@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_statx" c_prep_statx :: CInt -> CString -> CInt -> Word32 -> Ptr Statx -> Ptr UrbOp -> IO Int32
-- | @urb_prep_fsync@: fills a @urb_op@ for @URB_OP_FSYNC@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_fsync" c_prep_fsync :: CInt -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_openat@: fills a @urb_op@ for @URB_OP_OPENAT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_openat" c_prep_openat :: CInt -> CString -> CInt -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_close@: fills a @urb_op@ for @URB_OP_CLOSE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_close" c_prep_close :: CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_recv@: fills a @urb_op@ for @URB_OP_RECV@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_recv" c_prep_recv :: CInt -> Ptr Word8 -> Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_send@: fills a @urb_op@ for @URB_OP_SEND@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_send" c_prep_send :: CInt -> Ptr Word8 -> Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_accept@: fills a @urb_op@ for @URB_OP_ACCEPT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_accept" c_prep_accept :: CInt -> Ptr () -> Ptr Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_connect@: fills a @urb_op@ for @URB_OP_CONNECT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_connect" c_prep_connect :: CInt -> Ptr () -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_shutdown@: fills a @urb_op@ for @URB_OP_SHUTDOWN@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_shutdown" c_prep_shutdown :: CInt -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_poll@: fills a @urb_op@ for @URB_OP_POLL@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_poll" c_prep_poll :: CInt -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_timeout@: fills a @urb_op@ for @URB_OP_TIMEOUT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_timeout" c_prep_timeout :: Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_unlinkat@: fills a @urb_op@ for @URB_OP_UNLINKAT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_unlinkat" c_prep_unlinkat :: CInt -> CString -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_renameat@: fills a @urb_op@ for @URB_OP_RENAMEAT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_renameat" c_prep_renameat :: CInt -> CString -> CInt -> CString -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_mkdirat@: fills a @urb_op@ for @URB_OP_MKDIRAT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_mkdirat" c_prep_mkdirat :: CInt -> CString -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_symlinkat@: fills a @urb_op@ for @URB_OP_SYMLINKAT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_symlinkat" c_prep_symlinkat :: CString -> CInt -> CString -> Ptr UrbOp -> IO Int32
-- | @urb_prep_linkat@: fills a @urb_op@ for @URB_OP_LINKAT@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_linkat" c_prep_linkat :: CInt -> CString -> CInt -> CString -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_fallocate@: fills a @urb_op@ for @URB_OP_FALLOCATE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_fallocate" c_prep_fallocate :: CInt -> CInt -> Word64 -> Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_ftruncate@: fills a @urb_op@ for @URB_OP_FTRUNCATE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_ftruncate" c_prep_ftruncate :: CInt -> Word64 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_fadvise@: fills a @urb_op@ for @URB_OP_FADVISE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_fadvise" c_prep_fadvise :: CInt -> Word64 -> Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_madvise@: fills a @urb_op@ for @URB_OP_MADVISE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_madvise" c_prep_madvise :: Ptr () -> Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_sync_file_range@: fills a @urb_op@ for @URB_OP_SYNC_FILE_RANGE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_sync_file_range" c_prep_sync_file_range :: CInt -> Word64 -> Word32 -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_splice@: fills a @urb_op@ for @URB_OP_SPLICE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_splice" c_prep_splice :: CInt -> Word64 -> CInt -> Word64 -> Word32 -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_tee@: fills a @urb_op@ for @URB_OP_TEE@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_tee" c_prep_tee :: CInt -> CInt -> Word32 -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_getxattr@: fills a @urb_op@ for @URB_OP_GETXATTR@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_getxattr" c_prep_getxattr :: CString -> CString -> Ptr Word8 -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_setxattr@: fills a @urb_op@ for @URB_OP_SETXATTR@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_setxattr" c_prep_setxattr :: CString -> CString -> Ptr Word8 -> Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_sendmsg@: fills a @urb_op@ for @URB_OP_SENDMSG@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_sendmsg" c_prep_sendmsg :: CInt -> Ptr MsgHdr -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_recvmsg@: fills a @urb_op@ for @URB_OP_RECVMSG@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_recvmsg" c_prep_recvmsg :: CInt -> Ptr MsgHdr -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_socket@: fills a @urb_op@ for @URB_OP_SOCKET@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_socket" c_prep_socket :: CInt -> CInt -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_bind@: fills a @urb_op@ for @URB_OP_BIND@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_bind" c_prep_bind :: CInt -> Ptr () -> Word32 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_listen@: fills a @urb_op@ for @URB_OP_LISTEN@ (never blocks; -EINVAL for a NULL output).
foreign import ccall unsafe "urb_prep_listen" c_prep_listen :: CInt -> CInt -> Ptr UrbOp -> IO Int32

-- the request done on the spot, or not at all (never waits: unsafe)
-- | @urb_submit_nowait@: performs the request only if it can finish without
-- waiting: 1 = finished (its result written), 0 = it would wait (nothing
-- was done), @-EINVAL@ for NULL pointers.
foreign import ccall unsafe "urb_submit_nowait" c_submit_nowait :: Ptr UrbOp -> Ptr Int32 -> IO Int32

-- | A socket receive / send tried on the spot (cbits: the @urb_op@ is
-- built on the C stack and handed to @urb_submit_nowait@): the result, or
-- 'wouldWait' when nothing moved because it would have had to wait.
foreign import ccall unsafe "hs_urb_try_recv" c_try_recv :: CInt -> Ptr Word8 -> Word32 -> CInt -> IO Int32
-- | The send counterpart of 'c_try_recv'.
foreign import ccall unsafe "hs_urb_try_send" c_try_send :: CInt -> Ptr Word8 -> Word32 -> CInt -> IO Int32

-- | What 'c_try_recv' and 'c_try_send' return when the transfer would wait.
wouldWait :: Int32
wouldWait = #{const HS_URB_WOULD_WAIT}

-- the blocking face on the calling OS thread's ring (may wait: safe)
-- | @urb_submit_blocking@: performs the request on the calling OS thread's ring and waits for its result.
foreign import ccall safe "urb_submit_blocking" c_submit_blocking :: Ptr UrbOp -> IO Int32
-- | @urb_submit_blocking_timeout@: 'c_submit_blocking' bounded by nanoseconds (-ETIME, the request cancelled).
foreign import ccall safe "urb_submit_blocking_timeout" c_submit_blocking_timeout :: Ptr UrbOp -> Word64 -> IO Int32
-- | @urb_submit_chain_blocking@: a linked chain on the calling OS thread's ring; every result into the array.
foreign import ccall safe "urb_submit_chain_blocking" c_submit_chain_blocking :: Ptr UrbOp -> CSize -> Ptr Int32 -> IO Int32

-- | A raw-SQE filler: @fill(ctx, sqe)@ returns 0 to submit.
type SqeFillFn = Ptr () -> Ptr () -> IO Int32
-- | @urb_submit_blocking_sqe@: a raw SQE filled by the callback, on the calling OS thread's ring (io_uring only).
foreign import ccall safe "urb_submit_blocking_sqe" c_submit_blocking_sqe :: FunPtr SqeFillFn -> Ptr () -> IO Int32

-- one call per operation on the calling OS thread's ring (may wait: safe)
-- | @urb_nop@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_nop" c_nop :: IO Int32
-- | @urb_read@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_read" c_read :: CInt -> Ptr Word8 -> Word32 -> Word64 -> IO Int32
-- | @urb_write@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_write" c_write :: CInt -> Ptr Word8 -> Word32 -> Word64 -> IO Int32
-- | @urb_readv@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_readv" c_readv :: CInt -> Ptr IOVec -> Word32 -> Word64 -> IO Int32
-- | @urb_writev@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_writev" c_writev :: CInt -> Ptr IOVec -> Word32 -> Word64 -> IO Int32
-- | @urb_recv@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_recv" c_recv :: CInt -> Ptr Word8 -> Word32 -> CInt -> IO Int32
-- | @urb_send@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_send" c_send :: CInt -> Ptr Word8 -> Word32 -> CInt -> IO Int32
-- | @urb_accept@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_accept" c_accept :: CInt -> Ptr () -> Ptr Word32 -> CInt -> IO Int32
-- | @urb_connect@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_connect" c_connect :: CInt -> Ptr () -> Word32 -> IO Int32
-- | @urb_openat@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_openat" c_openat :: CInt -> CString -> CInt -> Word32 -> IO Int32
-- | @urb_close@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_close" c_close :: CInt -> IO Int32
-- | @urb_fsync@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_fsync" c_fsync :: CInt -> Word32 -> IO Int32
-- | @urb_statx@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_statx" c_statx :: CInt -> CString -> CInt -> Word32 -> Ptr Statx -> IO Int32
-- | @urb_shutdown@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_shutdown" c_shutdown :: CInt -> CInt -> IO Int32
-- | @urb_poll@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_poll" c_poll :: CInt -> Word32 -> IO Int32
-- | @urb_sleep_ns@: sleeps on the engine's timer for nanoseconds.
foreign import ccall safe "urb_sleep_ns" c_sleep_ns :: Word64 -> IO Int32
-- | @urb_unlinkat@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_unlinkat" c_unlinkat :: CInt -> CString -> CInt -> IO Int32
-- | @urb_renameat@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_renameat" c_renameat :: CInt -> CString -> CInt -> CString -> Word32 -> IO Int32
-- | @urb_mkdirat@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_mkdirat" c_mkdirat :: CInt -> CString -> Word32 -> IO Int32
-- | @urb_symlinkat@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_symlinkat" c_symlinkat :: CString -> CInt -> CString -> IO Int32
-- | @urb_linkat@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_linkat" c_linkat :: CInt -> CString -> CInt -> CString -> CInt -> IO Int32
-- | @urb_fallocate@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_fallocate" c_fallocate :: CInt -> CInt -> Word64 -> Word64 -> IO Int32
-- | @urb_ftruncate@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_ftruncate" c_ftruncate :: CInt -> Word64 -> IO Int32
-- | @urb_fadvise@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_fadvise" c_fadvise :: CInt -> Word64 -> Word32 -> CInt -> IO Int32
-- | @urb_madvise@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_madvise" c_madvise :: Ptr () -> Word32 -> CInt -> IO Int32
-- | @urb_sync_file_range@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_sync_file_range" c_sync_file_range :: CInt -> Word64 -> Word32 -> Word32 -> IO Int32
-- | @urb_splice@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_splice" c_splice :: CInt -> Word64 -> CInt -> Word64 -> Word32 -> Word32 -> IO Int32
-- | @urb_tee@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_tee" c_tee :: CInt -> CInt -> Word32 -> Word32 -> IO Int32
-- | @urb_getxattr@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_getxattr" c_getxattr :: CString -> CString -> Ptr Word8 -> Word32 -> IO Int32
-- | @urb_setxattr@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_setxattr" c_setxattr :: CString -> CString -> Ptr Word8 -> Word32 -> CInt -> IO Int32
-- | @urb_sendmsg@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_sendmsg" c_sendmsg :: CInt -> Ptr MsgHdr -> CInt -> IO Int32
-- | @urb_recvmsg@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_recvmsg" c_recvmsg :: CInt -> Ptr MsgHdr -> CInt -> IO Int32
-- | @urb_sendto@: @sendto(2)@ as one sendmsg on the calling OS thread's ring (a @safe@ call).
foreign import ccall safe "urb_sendto" c_sendto :: CInt -> Ptr Word8 -> Word32 -> CInt -> Ptr () -> Word32 -> IO Int32
-- | @urb_recvfrom@: @recvfrom(2)@ as one recvmsg on the calling OS thread's ring (a @safe@ call).
foreign import ccall safe "urb_recvfrom" c_recvfrom :: CInt -> Ptr Word8 -> Word32 -> CInt -> Ptr () -> Ptr Word32 -> IO Int32
-- | @urb_socket@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_socket" c_socket :: CInt -> CInt -> CInt -> IO Int32
-- | @urb_bind@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_bind" c_bind :: CInt -> Ptr () -> Word32 -> IO Int32
-- | @urb_listen@: the operation on the calling OS thread's ring, waiting for its result (a @safe@ call).
foreign import ccall safe "urb_listen" c_listen :: CInt -> CInt -> IO Int32

-- registered buffers and files, zero-copy sends (async rings only)
-- | @urb_prep_read_fixed@: @pread@ into registered buffer number @buf_index@ (the range must lie inside it).
foreign import ccall unsafe "urb_prep_read_fixed" c_prep_read_fixed :: CInt -> Ptr Word8 -> Word32 -> Word64 -> Word16 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_write_fixed@: @pwrite@ from registered buffer number @buf_index@.
foreign import ccall unsafe "urb_prep_write_fixed" c_prep_write_fixed :: CInt -> Ptr Word8 -> Word32 -> Word64 -> Word16 -> Ptr UrbOp -> IO Int32
-- | @urb_prep_send_zc@: a send without copying; one completion, once the buffer may be reused.
foreign import ccall unsafe "urb_prep_send_zc" c_prep_send_zc :: CInt -> Ptr Word8 -> Word32 -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_prep_sendmsg_zc@: a sendmsg without copying; one completion, as 'c_prep_send_zc'.
foreign import ccall unsafe "urb_prep_sendmsg_zc" c_prep_sendmsg_zc :: CInt -> Ptr MsgHdr -> CInt -> Ptr UrbOp -> IO Int32
-- | @urb_ring_register_buffers@: registers an iovec array's buffers with the
-- ring (the memory must stay valid until unregistered or the ring is freed;
-- safe: the ring's owner thread makes the registration and the caller waits).
foreign import ccall safe "urb_ring_register_buffers" c_ring_register_buffers :: Ptr URing -> Ptr IOVec -> Word32 -> IO Int32
-- | @urb_ring_unregister_buffers@: 0, @-ENXIO@ (none), @-EBUSY@ (a request using them in flight).
foreign import ccall safe "urb_ring_unregister_buffers" c_ring_unregister_buffers :: Ptr URing -> IO Int32
-- | @urb_ring_register_files@: registers descriptors (the ring keeps its own reference to each file; -1: an empty slot).
foreign import ccall safe "urb_ring_register_files" c_ring_register_files :: Ptr URing -> Ptr Int32 -> Word32 -> IO Int32
-- | @urb_ring_unregister_files@: 0, @-ENXIO@ (none), @-EBUSY@ (a request using them in flight).
foreign import ccall safe "urb_ring_unregister_files" c_ring_unregister_files :: Ptr URing -> IO Int32
-- | @URB_FLAG_FIXED_FILE@, in @urb_op.flags@: the descriptor is an index into the registered files.
flagFixedFile :: Word8
flagFixedFile = #{const URB_FLAG_FIXED_FILE}

-- async rings
-- | @urb_ring_new@: creates an async ring (NULL config: the defaults) and its owner thread.
foreign import ccall safe "urb_ring_new" c_ring_new :: Ptr RingConfig -> Ptr (Ptr URing) -> IO Int32
-- | @urb_ring_free@: cancels what is in flight, waits for it, frees the ring.
foreign import ccall safe "urb_ring_free" c_ring_free :: Ptr URing -> IO ()
-- | @urb_ring_submit@: hands a request to the ring under a token (a lock and, at
-- most, one eventfd write).
foreign import ccall unsafe "urb_ring_submit" c_ring_submit :: Ptr URing -> Ptr UrbOp -> Word64 -> IO Int32
-- | @urb_ring_submit_try@: tries the request on this thread first (one system
-- call, never waits); 1 = finished (result in the pointer), 0 = the ring
-- took it, or @-errno@.
foreign import ccall unsafe "urb_ring_submit_try" c_ring_submit_try :: Ptr URing -> Ptr UrbOp -> Word64 -> Ptr Int32 -> IO Int32
-- | @urb_ring_submit_timeout@: hands a request to the ring bounded by nanoseconds.
foreign import ccall unsafe "urb_ring_submit_timeout" c_ring_submit_timeout :: Ptr URing -> Ptr UrbOp -> Word64 -> Word64 -> IO Int32
-- | @urb_ring_submit_chain@: hands a linked chain to the ring, one token per request.
foreign import ccall unsafe "urb_ring_submit_chain" c_ring_submit_chain :: Ptr URing -> Ptr UrbOp -> CSize -> Ptr Word64 -> IO Int32
-- | @urb_ring_submit_batch@: hands independent requests to the ring, one token per request.
foreign import ccall unsafe "urb_ring_submit_batch" c_ring_submit_batch :: Ptr URing -> Ptr UrbOp -> CSize -> Ptr Word64 -> IO Int32
-- | @urb_ring_cancel@: cancels the request with this token (its completion still comes).
foreign import ccall unsafe "urb_ring_cancel" c_ring_cancel :: Ptr URing -> Word64 -> IO Int32
-- | @urb_ring_accept_multishot@: accepts connections until cancelled, one completion each (F_MORE while it goes on).
foreign import ccall unsafe "urb_ring_accept_multishot" c_ring_accept_multishot :: Ptr URing -> CInt -> CInt -> Word64 -> IO Int32
-- | @urb_ring_recv_multishot@: receives into the ring's buffers until cancelled (F_MORE while it goes on).
foreign import ccall unsafe "urb_ring_recv_multishot" c_ring_recv_multishot :: Ptr URing -> CInt -> CInt -> Word64 -> IO Int32
-- | @urb_ring_poll_multishot@: reports readiness until cancelled (F_MORE while it goes on).
foreign import ccall unsafe "urb_ring_poll_multishot" c_ring_poll_multishot :: Ptr URing -> CInt -> Word32 -> Word64 -> IO Int32
-- | A @urb_completion@.
data Completion
-- | Size of @urb_completion@.
sizeOfCompletion :: Int
sizeOfCompletion = #{size urb_completion}
-- | Field offsets of @urb_completion@: the request's token, its result, @URB_CQE_F_*@ flags.
offCompletionToken, offCompletionRes, offCompletionFlags :: Int
offCompletionToken = #{offset urb_completion, token}
offCompletionRes = #{offset urb_completion, res}
offCompletionFlags = #{offset urb_completion, flags}
-- | @urb_ring_reap@: takes the completions that are there, without waiting.
foreign import ccall unsafe "urb_ring_reap" c_ring_reap :: Ptr URing -> Ptr Completion -> Word32 -> IO Int32
-- | @urb_ring_wait@: waits for at least a number of completions, bounded by nanoseconds.
foreign import ccall safe "urb_ring_wait" c_ring_wait :: Ptr URing -> Ptr Completion -> Word32 -> Word32 -> Word64 -> IO Int32
-- | @urb_ring_fd@: the ring's eventfd, readable when completions wait to be reaped.
foreign import ccall unsafe "urb_ring_fd" c_ring_fd :: Ptr URing -> IO CInt
-- | A @urb_stats@.
data Stats
-- | Size of @urb_stats@.
sizeOfStats :: Int
sizeOfStats = #{size urb_stats}
-- | Field offsets of @urb_stats@: completions delivered, requests in flight.
offStatsCompletions, offStatsInFlight :: Int
offStatsCompletions = #{offset urb_stats, completions}
offStatsInFlight = #{offset urb_stats, in_flight}
-- | @urb_ring_stats@: the ring's counters.
foreign import ccall unsafe "urb_ring_stats" c_ring_stats :: Ptr URing -> Ptr Stats -> IO Int32
-- | @urb_ring_buffer@: the address of provided buffer number @bid@ (a multishot
-- receive's), returning its size.
foreign import ccall unsafe "urb_ring_buffer" c_ring_buffer :: Ptr URing -> Word32 -> Ptr (Ptr ()) -> IO Int32
-- | @urb_ring_buffer_release@: gives a multishot receive's buffer back to the ring.
foreign import ccall unsafe "urb_ring_buffer_release" c_ring_buffer_release :: Ptr URing -> Word32 -> IO Int32
-- | @urb_ring_set_callback@: a function the owner thread calls for every completion (instead of reaping).
foreign import ccall unsafe "urb_ring_set_callback" c_ring_set_callback
  :: Ptr URing -> FunPtr (Ptr () -> Word64 -> Int32 -> Word32 -> IO ()) -> Ptr () -> IO Int32

-- | A wait record's arming protocol (cbits/hs_uringbridge.h).
foreign import ccall unsafe "hs_urb_wait_init" c_wait_init :: Ptr Wait -> IO ()
-- | @hs_urb_wait_arm@: arms a wait record with the waiter's MVar: 1 = armed, 0 = the result is already there.
foreign import ccall unsafe "hs_urb_wait_arm" c_wait_arm :: Ptr Wait -> CInt -> StablePtr PrimMVar -> IO CInt

-- | The C callback that wakes a Haskell thread (cbits/hs_uringbridge.c).
foreign import ccall "&hs_urb_wake" p_hs_urb_wake :: FunPtr (Ptr () -> Word64 -> Int32 -> Word32 -> IO ())

-- readiness pollers
-- | @urb_poller_default@: the readiness poller of the engine chosen at load.
foreign import ccall unsafe "urb_poller_default" c_poller_default :: IO (Ptr Vtable)
-- | @urb_poller_io_uring@: the io_uring readiness poller (NULL where io_uring is unavailable).
foreign import ccall unsafe "urb_poller_io_uring" c_poller_io_uring :: IO (Ptr Vtable)
-- | @urb_poller_epoll@: the epoll readiness poller.
foreign import ccall unsafe "urb_poller_epoll" c_poller_epoll :: IO (Ptr Vtable)
-- the pollers' former names (the same tables)
-- | The former name of 'c_poller_default'.
foreign import ccall unsafe "urb_backend_default" c_backend_default :: IO (Ptr Vtable)
-- | @urb_backend_io_uring@: the io_uring readiness backend (NULL where io_uring is unavailable).
foreign import ccall unsafe "urb_backend_io_uring" c_backend_io_uring :: IO (Ptr Vtable)
-- | @urb_backend_epoll@: the epoll readiness backend.
foreign import ccall unsafe "urb_backend_epoll" c_backend_epoll :: IO (Ptr Vtable)

-- | A backend's @create@: a new poller state (NULL on failure).
type CreateFn = IO (Ptr ())
-- | A backend's @poll(state, timeout_ms, events, max)@: ready descriptors into @events@, their count or @-errno@.
type PollFn = Ptr () -> Int32 -> Ptr UrbEvent -> Word32 -> IO Int32
-- | A backend's @modify_fd(state, fd, old, new)@: changes a registration's events.
type ModifyFn = Ptr () -> CInt -> Word32 -> Word32 -> IO Int32
-- | A backend's @modify_fd_once(state, fd, events)@: a one-shot registration.
type ModifyOnceFn = Ptr () -> CInt -> Word32 -> IO Int32
-- | A backend's @destroy(state)@.
type DestroyFn = Ptr () -> IO ()

-- | Calls a backend's @create@.
foreign import ccall safe "dynamic" callCreate :: FunPtr CreateFn -> CreateFn
-- poll waits for readiness: safe
-- | Calls a backend's @poll@ (waits for readiness).
foreign import ccall safe "dynamic" callPoll :: FunPtr PollFn -> PollFn
-- | Calls a backend's @modify_fd@.
foreign import ccall unsafe "dynamic" callModify :: FunPtr ModifyFn -> ModifyFn
-- | Calls a backend's @modify_fd_once@.
foreign import ccall unsafe "dynamic" callModifyOnce :: FunPtr ModifyOnceFn -> ModifyOnceFn
-- | Calls a backend's @destroy@.
foreign import ccall safe "dynamic" callDestroy :: FunPtr DestroyFn -> DestroyFn
