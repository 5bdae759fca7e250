-- | Requests as Haskell values. An 'Op' names memory by 'Ptr': that memory
-- must stay alive until the request completes (the submitting functions wait
-- for completion even when interrupted, so 'allocaBytes' scopes are enough).
module System.IO.URingBridge.Op
  ( Op (..)
  , opName
  , opcode
  , withOp
  , withOps
  , usToNs
    -- * Flags for removing and renaming
  , atFDCWD
  , atREMOVEDIR
  , renameNOREPLACE, renameEXCHANGE, renameWHITEOUT
    -- * Flags and advice for files and memory
  , atSYMLINKFOLLOW, atEMPTYPATH
  , fallocKEEPSIZE, fallocPUNCHHOLE, fallocZERORANGE
  , adviceValue
  , madvNORMAL, madvRANDOM, madvSEQUENTIAL, madvWILLNEED, madvDONTNEED
  , syncFileRangeWAITBEFORE, syncFileRangeWRITE, syncFileRangeWAITAFTER
  , spliceFMOVE, spliceFNONBLOCK, spliceFMORE, spliceFGIFT
  , xattrCREATE, xattrREPLACE
    -- * Flags for sockets
  , sockNONBLOCK, sockCLOEXEC
  , msgPEEK, msgWAITALL, msgOOB, msgDONTWAIT, msgTRUNC, msgCTRUNC, msgCMSGCLOEXEC
    -- * Flags for opening files
  , OpenFlags (..)
  , oRDONLY, oWRONLY, oRDWR, oCREAT, oEXCL, oTRUNC, oAPPEND, oNONBLOCK, oCLOEXEC
  , oDIRECT, oDSYNC, oSYNC, oDIRECTORY, oNOFOLLOW, oNOATIME, oPATH, oTMPFILE, oNOCTTY
  ) where

import Control.Monad (void)
import Data.Bits ((.|.))
import Data.Int (Int32)
import Data.Word (Word16, Word32, Word64, Word8)
import Foreign.C.String (CString)
import Foreign.C.Types (CInt)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Ptr (Ptr, nullPtr, plusPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)
import System.IO.URingBridge.Raw
import System.Posix.Fcntl (Advice (..))
import System.Posix.Types (Fd (..))

-- | One request, named after the system call it performs; its result is
-- that call's (a count or @0@, or @-errno@). Lengths are 32-bit; offsets
-- are bytes from the start of the file ('offsetCurrent': the file
-- position); times are microseconds.
data Op
  = Nop                                   -- ^ does nothing; completes with 0
  | ReadOp Fd (Ptr Word8) Word32 Word64   -- ^ buffer, length, offset ('offsetCurrent' = file position)
  | WriteOp Fd (Ptr Word8) Word32 Word64  -- ^ buffer, length, offset
  | RecvOp Fd (Ptr Word8) Word32 CInt     -- ^ MSG_* flags
  | SendOp Fd (Ptr Word8) Word32 CInt     -- ^ MSG_* flags (@MSG_NOSIGNAL@ is always added)
  | AcceptOp Fd CInt                      -- ^ SOCK_* flags; the peer address is not kept
  | AcceptAddrOp Fd (Ptr ()) (Ptr Word32) CInt -- ^ room for the peer's sockaddr, its length (in: room, out: the address's size), SOCK_* flags
  | ConnectOp Fd (Ptr ()) Word32          -- ^ sockaddr and its length
  | ReadvOp Fd (Ptr IOVec) Word32 Word64  -- ^ iovec array, its length, offset
  | WritevOp Fd (Ptr IOVec) Word32 Word64 -- ^ iovec array, its length, offset
  | OpenOp CString OpenFlags Word32       -- ^ path (relative to the cwd), flags, mode (for 'oCREAT')
  | OpenAtOp Fd CString OpenFlags Word32  -- ^ directory, path, flags, mode
  | StatxOp Fd CString CInt Word32 (Ptr Statx) -- ^ directory, path, AT_* flags, STATX_* mask, result
  | CloseOp Fd                            -- ^ closes the descriptor
  | FsyncOp Fd Bool                       -- ^ True: data only (fdatasync)
  | ShutdownOp Fd CInt                    -- ^ SHUT_RD (0), SHUT_WR (1), SHUT_RDWR (2)
  | PollOp Fd Word32                      -- ^ poll(2) events
  | SleepOp Word64                        -- ^ microseconds (like threadDelay)
  | UnlinkAtOp Fd CString CInt            -- ^ directory ('atFDCWD': the cwd), path, 0 or 'atREMOVEDIR'; in a chain only last (else @-EINVAL@)
  | RenameAtOp Fd CString Fd CString Word32 -- ^ old directory, old path, new directory, new path, RENAME_* flags; in a chain only last
  | MkdirAtOp Fd CString Word32           -- ^ directory, path, mode (before the umask); in a chain only last
  | SendMsgOp Fd (Ptr MsgHdr) CInt        -- ^ @struct msghdr@ (address, iovecs, ancillary data, all alive until completion), MSG_* flags (@MSG_NOSIGNAL@ is always added)
  | RecvMsgOp Fd (Ptr MsgHdr) CInt        -- ^ @struct msghdr@ to fill (the kernel writes @msg_namelen@, @msg_controllen@, @msg_flags@ back), MSG_* flags
  | SocketOp CInt CInt CInt               -- ^ domain (@AF_*@), type (@SOCK_*@, or'ed with 'sockNONBLOCK' / 'sockCLOEXEC'), protocol; result: the new descriptor
  | BindOp Fd (Ptr ()) Word32             -- ^ sockaddr and its length
  | ListenOp Fd CInt                      -- ^ backlog (capped by the kernel at @net.core.somaxconn@)
  | SymlinkAtOp CString Fd CString        -- ^ target (the link's text, never resolved), new directory, link path; in a chain only last
  | LinkAtOp Fd CString Fd CString CInt   -- ^ old directory, old path, new directory, new path, 'atSYMLINKFOLLOW' / 'atEMPTYPATH'; in a chain only last
  | FallocateOp Fd CInt Word64 Word64     -- ^ mode (0 or @FALLOC_FL_*@: 'fallocKEEPSIZE'...), offset, length; in a chain only last
  | FtruncateOp Fd Word64                 -- ^ the new length; in a chain only last
  | FadviseOp Fd Word64 Word32 CInt       -- ^ offset, length (0: to the end of the file), @POSIX_FADV_*@ ('adviceValue')
  | MadviseOp (Ptr ()) Word32 CInt        -- ^ page-aligned address in this process, length, @MADV_*@ ('madvWILLNEED'...); in a chain only last
  | SyncFileRangeOp Fd Word64 Word32 Word32 -- ^ offset, length (0: to the end), 'syncFileRangeWAITBEFORE' / 'syncFileRangeWRITE' / 'syncFileRangeWAITAFTER'; in a chain only last
  | SpliceOp Fd Word64 Fd Word64 Word32 Word32 -- ^ input, its offset, output, its offset ('offsetCurrent': none, the only value for a pipe), length, @SPLICE_F_*@; one of the two is a pipe
  | TeeOp Fd Fd Word32 Word32             -- ^ input pipe, output pipe, length, @SPLICE_F_*@: copies without consuming
  | GetXattrOp CString CString (Ptr Word8) Word32 -- ^ path (links followed), attribute name, value buffer, its size (0: ask for the length); in a chain only last
  | SetXattrOp CString CString (Ptr Word8) Word32 CInt -- ^ path, attribute name, value, its length, 0 / 'xattrCREATE' / 'xattrREPLACE'; in a chain only last
  | ReadFixedOp Fd (Ptr Word8) Word32 Word64 Word16 -- ^ buffer, length, offset, registered buffer index: @pread@ into memory inside that registered buffer (@-EFAULT@ outside it); only on a ring with buffers registered ("System.IO.URingBridge.Ring"; @-EOPNOTSUPP@ from 'System.IO.URingBridge.submitBlockingOS')
  | WriteFixedOp Fd (Ptr Word8) Word32 Word64 Word16 -- ^ buffer, length, offset, registered buffer index: @pwrite@ from a registered buffer, as 'ReadFixedOp'
  | SendZcOp Fd (Ptr Word8) Word32 CInt   -- ^ MSG_* flags: a send without copying (TCP and UDP only, else @-EOPNOTSUPP@); ONE completion, once the kernel has let go of the buffer, with the bytes sent; async rings only
  | SendmsgZcOp Fd (Ptr MsgHdr) CInt      -- ^ @struct msghdr@, MSG_* flags: a sendmsg without copying, one completion as 'SendZcOp'; async rings only
  | FixedFileOp Op                        -- ^ the request with its descriptor read as an index into the files registered on the ring (@URB_FLAG_FIXED_FILE@): @-EBADF@ for an index with no file, @-EINVAL@ for requests without a descriptor and close, @-EOPNOTSUPP@ from 'System.IO.URingBridge.submitBlockingOS'
  deriving (Show)

-- | The operation's name, for error messages.
opName :: Op -> String
opName op = case op of
  Nop -> "nop"
  ReadOp {} -> "read"
  WriteOp {} -> "write"
  RecvOp {} -> "recv"
  SendOp {} -> "send"
  AcceptOp {} -> "accept"
  AcceptAddrOp {} -> "accept"
  ConnectOp {} -> "connect"
  ReadvOp {} -> "readv"
  WritevOp {} -> "writev"
  OpenOp {} -> "openat"
  OpenAtOp {} -> "openat"
  StatxOp {} -> "statx"
  CloseOp {} -> "close"
  FsyncOp {} -> "fsync"
  ShutdownOp {} -> "shutdown"
  PollOp {} -> "poll"
  SleepOp {} -> "sleep"
  UnlinkAtOp {} -> "unlinkat"
  RenameAtOp {} -> "renameat"
  MkdirAtOp {} -> "mkdirat"
  SendMsgOp {} -> "sendmsg"
  RecvMsgOp {} -> "recvmsg"
  SocketOp {} -> "socket"
  BindOp {} -> "bind"
  ListenOp {} -> "listen"
  SymlinkAtOp {} -> "symlinkat"
  LinkAtOp {} -> "linkat"
  FallocateOp {} -> "fallocate"
  FtruncateOp {} -> "ftruncate"
  FadviseOp {} -> "fadvise"
  MadviseOp {} -> "madvise"
  SyncFileRangeOp {} -> "sync_file_range"
  SpliceOp {} -> "splice"
  TeeOp {} -> "tee"
  GetXattrOp {} -> "getxattr"
  SetXattrOp {} -> "setxattr"
  ReadFixedOp {} -> "read_fixed"
  WriteFixedOp {} -> "write_fixed"
  SendZcOp {} -> "send_zc"
  SendmsgZcOp {} -> "sendmsg_zc"
  FixedFileOp inner -> opName inner

-- | The @URB_OP_*@ value the request is submitted as.
opcode :: Op -> Word8
opcode op = case op of
  Nop -> opNop
  ReadOp {} -> opRead
  WriteOp {} -> opWrite
  RecvOp {} -> opRecv
  SendOp {} -> opSend
  AcceptOp {} -> opAccept
  AcceptAddrOp {} -> opAccept
  ConnectOp {} -> opConnect
  ReadvOp {} -> opReadv
  WritevOp {} -> opWritev
  OpenOp {} -> opOpenat
  OpenAtOp {} -> opOpenat
  StatxOp {} -> opStatx
  CloseOp {} -> opClose
  FsyncOp {} -> opFsync
  ShutdownOp {} -> opShutdown
  PollOp {} -> opPoll
  SleepOp {} -> opTimeout
  UnlinkAtOp {} -> opUnlinkat
  RenameAtOp {} -> opRenameat
  MkdirAtOp {} -> opMkdirat
  SendMsgOp {} -> opSendmsg
  RecvMsgOp {} -> opRecvmsg
  SocketOp {} -> opSocket
  BindOp {} -> opBind
  ListenOp {} -> opListen
  SymlinkAtOp {} -> opSymlinkat
  LinkAtOp {} -> opLinkat
  FallocateOp {} -> opFallocate
  FtruncateOp {} -> opFtruncate
  FadviseOp {} -> opFadvise
  MadviseOp {} -> opMadvise
  SyncFileRangeOp {} -> opSyncFileRange
  SpliceOp {} -> opSplice
  TeeOp {} -> opTee
  GetXattrOp {} -> opGetxattr
  SetXattrOp {} -> opSetxattr
  ReadFixedOp {} -> opReadFixed
  WriteFixedOp {} -> opWriteFixed
  SendZcOp {} -> opSendZc
  SendmsgZcOp {} -> opSendmsgZc
  FixedFileOp inner -> opcode inner

-- | Fills a @urb_op@ through the library's own constructor.
prep :: Op -> Ptr UrbOp -> IO Int32
prep op p = case op of
  Nop -> c_prep_nop p
  ReadOp (Fd fd) b n off -> c_prep_read fd b n off p
  WriteOp (Fd fd) b n off -> c_prep_write fd b n off p
  RecvOp (Fd fd) b n fl -> c_prep_recv fd b n fl p
  SendOp (Fd fd) b n fl -> c_prep_send fd b n fl p
  AcceptOp (Fd fd) fl -> c_prep_accept fd nullPtr nullPtr fl p
  AcceptAddrOp (Fd fd) sa len fl -> c_prep_accept fd sa len fl p
  ConnectOp (Fd fd) a n -> c_prep_connect fd a n p
  ReadvOp (Fd fd) iov n off -> c_prep_readv fd iov n off p
  WritevOp (Fd fd) iov n off -> c_prep_writev fd iov n off p
  OpenOp path (OpenFlags fl) mode -> c_prep_openat atFdCwd path fl mode p
  OpenAtOp (Fd dir) path (OpenFlags fl) mode -> c_prep_openat dir path fl mode p
  StatxOp (Fd dir) path fl mask out -> c_prep_statx dir path fl mask out p
  CloseOp (Fd fd) -> c_prep_close fd p
  FsyncOp (Fd fd) dataOnly -> c_prep_fsync fd (if dataOnly then fsyncDatasync else 0) p
  ShutdownOp (Fd fd) how -> c_prep_shutdown fd how p
  PollOp (Fd fd) ev -> c_prep_poll fd ev p
  SleepOp us -> c_prep_timeout (usToNs us) p
  UnlinkAtOp (Fd dir) path fl -> c_prep_unlinkat dir path fl p
  RenameAtOp (Fd old) oldPath (Fd new) newPath fl -> c_prep_renameat old oldPath new newPath fl p
  MkdirAtOp (Fd dir) path mode -> c_prep_mkdirat dir path mode p
  SendMsgOp (Fd fd) m fl -> c_prep_sendmsg fd m fl p
  RecvMsgOp (Fd fd) m fl -> c_prep_recvmsg fd m fl p
  SocketOp domain kind protocol -> c_prep_socket domain kind protocol p
  BindOp (Fd fd) a n -> c_prep_bind fd a n p
  ListenOp (Fd fd) backlog -> c_prep_listen fd backlog p
  SymlinkAtOp target (Fd dir) path -> c_prep_symlinkat target dir path p
  LinkAtOp (Fd old) oldPath (Fd new) newPath fl -> c_prep_linkat old oldPath new newPath fl p
  FallocateOp (Fd fd) mode off len -> c_prep_fallocate fd mode off len p
  FtruncateOp (Fd fd) len -> c_prep_ftruncate fd len p
  FadviseOp (Fd fd) off len advice -> c_prep_fadvise fd off len advice p
  MadviseOp addr len advice -> c_prep_madvise addr len advice p
  SyncFileRangeOp (Fd fd) off len fl -> c_prep_sync_file_range fd off len fl p
  SpliceOp (Fd i) offIn (Fd o) offOut len fl -> c_prep_splice i offIn o offOut len fl p
  TeeOp (Fd i) (Fd o) len fl -> c_prep_tee i o len fl p
  GetXattrOp path name v n -> c_prep_getxattr path name v n p
  SetXattrOp path name v n fl -> c_prep_setxattr path name v n fl p
  ReadFixedOp (Fd fd) b n off index -> c_prep_read_fixed fd b n off index p
  WriteFixedOp (Fd fd) b n off index -> c_prep_write_fixed fd b n off index p
  SendZcOp (Fd fd) b n fl -> c_prep_send_zc fd b n fl p
  SendmsgZcOp (Fd fd) m fl -> c_prep_sendmsg_zc fd m fl p
  -- The flag goes onto what the inner constructor filled.
  FixedFileOp inner -> do
    rc <- prep inner p
    fl <- peekByteOff p offOpFlags :: IO Word8
    pokeByteOff p offOpFlags (fl .|. flagFixedFile)
    pure rc

-- | A filled @urb_op@ for the duration of the action. (The constructors only
-- fail for a NULL output pointer, which 'allocaBytes' never gives.)
withOp :: Op -> (Ptr UrbOp -> IO a) -> IO a
withOp op act = allocaBytes sizeOfOp $ \p -> prep op p >> act p

-- | An array of filled @urb_op@s for the duration of the action.
withOps :: [Op] -> (Ptr UrbOp -> Int -> IO a) -> IO a
withOps ops act = allocaBytes (sizeOfOp * max 1 n) $ \p -> do
  mapM_ (\(i, op) -> void (prep op (p `plusPtr` (i * sizeOfOp)))) (zip [0 ..] ops)
  act p n
  where
    n = length ops

-- | The library counts time in nanoseconds, the binding (like
-- 'Control.Concurrent.threadDelay' and 'System.Timeout.timeout') in
-- microseconds; times beyond the 64-bit nanosecond range are clamped.
usToNs :: Word64 -> Word64
usToNs us
  | us > maxBound `div` 1000 = maxBound
  | otherwise = us * 1000

-- | As a directory for the @*AtOp@ requests: paths relative to the current
-- directory (@AT_FDCWD@).
atFDCWD :: Fd
atFDCWD = Fd atFdCwd

-- | For 'UnlinkAtOp': remove a directory (it must be empty), as @rmdir(2)@;
-- without it, anything but a directory, as @unlink(2)@.
atREMOVEDIR :: CInt
atREMOVEDIR = atRemovedir

-- | For 'RenameAtOp' (@renameat2(2)@'s flags, combined with @.|.@): fail
-- with @EEXIST@ rather than replace the new path; swap the two paths
-- atomically (both must exist); leave a whiteout at the old path (overlay
-- filesystems). Flags the filesystem does not support give @-EINVAL@.
renameNOREPLACE, renameEXCHANGE, renameWHITEOUT :: Word32
renameNOREPLACE = renameNoreplace
renameEXCHANGE = renameExchange
renameWHITEOUT = renameWhiteout

-- | For 'LinkAtOp' (combined with @.|.@): link the file a symbolic link
-- old path names, not the link (@link(2)@ on Linux does not); the old
-- path is @""@ and the old directory descriptor is the file itself.
atSYMLINKFOLLOW, atEMPTYPATH :: CInt
atSYMLINKFOLLOW = atSymlinkFollow
atEMPTYPATH = atEmptyPath

-- | For 'FallocateOp' (0 allocates and extends the file): allocate without
-- changing the size; free the range (with 'fallocKEEPSIZE'); zero it.
-- A mode the filesystem lacks gives @-EOPNOTSUPP@.
fallocKEEPSIZE, fallocPUNCHHOLE, fallocZERORANGE :: CInt
fallocKEEPSIZE = fallocKeepSize
fallocPUNCHHOLE = fallocPunchHole
fallocZERORANGE = fallocZeroRange

-- | Package unix's 'Advice' as @posix_fadvise(2)@'s @POSIX_FADV_*@ value,
-- for 'FadviseOp'.
adviceValue :: Advice -> CInt
adviceValue a = case a of
  AdviceNormal -> fadvNormal
  AdviceRandom -> fadvRandom
  AdviceSequential -> fadvSequential
  AdviceWillNeed -> fadvWillneed
  AdviceDontNeed -> fadvDontneed
  AdviceNoReuse -> fadvNoreuse

-- | For 'MadviseOp': @madvise(2)@'s @MADV_NORMAL@, @_RANDOM@, @_SEQUENTIAL@,
-- @_WILLNEED@, @_DONTNEED@ (the last frees private anonymous pages: they
-- read back as zeros).
madvNORMAL, madvRANDOM, madvSEQUENTIAL, madvWILLNEED, madvDONTNEED :: CInt
madvNORMAL = madvNormal
madvRANDOM = madvRandom
madvSEQUENTIAL = madvSequential
madvWILLNEED = madvWillneed
madvDONTNEED = madvDontneed

-- | For 'SyncFileRangeOp' (combined with @.|.@): wait for writes of the range
-- already under way; start writing its dirty pages; wait for those writes.
-- All three: the range's data is on storage (not its metadata: that is
-- 'FsyncOp').
syncFileRangeWAITBEFORE, syncFileRangeWRITE, syncFileRangeWAITAFTER :: Word32
syncFileRangeWAITBEFORE = syncFileRangeWaitBefore
syncFileRangeWRITE = syncFileRangeWrite
syncFileRangeWAITAFTER = syncFileRangeWaitAfter

-- | For 'SpliceOp' and 'TeeOp' (combined with @.|.@): move pages rather than
-- copy (a hint); do not wait (@-EAGAIN@); more data follows; gift the
-- pages (vmsplice only, ignored here).
spliceFMOVE, spliceFNONBLOCK, spliceFMORE, spliceFGIFT :: Word32
spliceFMOVE = spliceFMove
spliceFNONBLOCK = spliceFNonblock
spliceFMORE = spliceFMore
spliceFGIFT = spliceFGift

-- | For 'SetXattrOp': fail with @EEXIST@ if the attribute exists; fail with
-- @ENODATA@ unless it exists (0: either way).
xattrCREATE, xattrREPLACE :: CInt
xattrCREATE = xattrCreate
xattrREPLACE = xattrReplace

-- | For 'SocketOp', or'ed into the type: the new socket is in @O_NONBLOCK@
-- mode (as package network's sockets are, which GHC's I/O manager needs);
-- it is closed on @exec@.
sockNONBLOCK, sockCLOEXEC :: CInt
sockNONBLOCK = sockNonblock
sockCLOEXEC = sockCloexec

-- | @MSG_*@ flags, combined with @.|.@: for receiving, look without taking
-- ('msgPEEK'), wait for the whole length on a stream ('msgWAITALL'),
-- out-of-band data ('msgOOB'), never wait ('msgDONTWAIT': @EAGAIN@
-- instead), received descriptors closed on @exec@ ('msgCMSGCLOEXEC');
-- reported in a received message's flags, or asked for: the datagram was
-- longer than the buffers ('msgTRUNC'; as a receive flag, the result is
-- the datagram's whole length), the ancillary data did not fit
-- ('msgCTRUNC').
msgPEEK, msgWAITALL, msgOOB, msgDONTWAIT, msgTRUNC, msgCTRUNC, msgCMSGCLOEXEC :: CInt
msgPEEK = msgPeek
msgWAITALL = msgWaitall
msgOOB = msgOob
msgDONTWAIT = msgDontwait
msgTRUNC = msgTrunc
msgCTRUNC = msgCtrunc
msgCMSGCLOEXEC = msgCmsgCloexec

-- | @open(2)@ flags: combine with '<>' (bitwise or), e.g.
-- @'oWRONLY' <> 'oCREAT' <> 'oTRUNC'@; 'mempty' is 'oRDONLY'.
newtype OpenFlags = OpenFlags {openFlagsBits :: CInt}
  deriving (Eq, Show)

instance Semigroup OpenFlags where
  OpenFlags a <> OpenFlags b = OpenFlags (a .|. b)

instance Monoid OpenFlags where
  mempty = OpenFlags 0

oRDONLY, oWRONLY, oRDWR, oCREAT, oEXCL, oTRUNC, oAPPEND, oNONBLOCK, oCLOEXEC, oDIRECT,
  oDSYNC, oSYNC, oDIRECTORY, oNOFOLLOW, oNOATIME, oPATH, oTMPFILE, oNOCTTY :: OpenFlags
-- | Open for reading only (0: the access mode when nothing else is given).
oRDONLY = OpenFlags oRdonly
-- | Open for writing only.
oWRONLY = OpenFlags oWronly
-- | Open for reading and writing.
oRDWR = OpenFlags oRdwr
-- | Create the file if it does not exist (with the mode given).
oCREAT = OpenFlags oCreat
-- | With 'oCREAT': fail with @EEXIST@ if the file exists.
oEXCL = OpenFlags oExcl
-- | Truncate an existing regular file to length 0.
oTRUNC = OpenFlags oTrunc
-- | Every write appends at the end of the file.
oAPPEND = OpenFlags oAppend
-- | Non-blocking mode (the requests still wait as described at the header's
-- @urb_op@: the engine, not the descriptor, decides).
oNONBLOCK = OpenFlags oNonblock
-- | Close the descriptor on @exec@ (advisable in threaded programs).
oCLOEXEC = OpenFlags oCloexec
-- | Bypass the page cache (buffers, lengths and offsets must be aligned).
oDIRECT = OpenFlags oDirect
-- | Writes complete once the data (not all metadata) is on storage.
oDSYNC = OpenFlags oDsync
-- | Writes complete once data and metadata are on storage.
oSYNC = OpenFlags oSync
-- | Fail with @ENOTDIR@ unless the path is a directory.
oDIRECTORY = OpenFlags oDirectory
-- | Fail with @ELOOP@ if the last component is a symbolic link.
oNOFOLLOW = OpenFlags oNofollow
-- | Do not update the access time.
oNOATIME = OpenFlags oNoatime
-- | A descriptor that only names the file (no reads or writes).
oPATH = OpenFlags oPath
-- | An unnamed temporary file in the directory given (with 'oWRONLY' or 'oRDWR').
oTMPFILE = OpenFlags oTmpfile
-- | A terminal opened does not become the controlling terminal.
oNOCTTY = OpenFlags oNoctty
