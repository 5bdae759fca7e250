{-# LANGUAGE MagicHash, UnboxedTuples #-}
-- | io_uring for green threads, through the uringbridge C library.
--
-- @
-- import qualified System.IO.URingBridge as U
-- n <- U.recvBuf fd ptr 4096     -- the green thread sleeps; no OS thread is blocked
-- U.submitBlocking (U.SleepOp 1000000)
-- @
--
-- Every operation runs on io_uring where the kernel allows it and on the
-- library's fallback engine otherwise ('engineName' says which); results
-- are the same. Failures are 'IOError's carrying the errno ('ioe_errno') and
-- the operation's name ('ioe_location').
--
-- Two ways to wait for a request:
--
-- * 'submitBlocking' and everything typed here: the request goes to the
--   calling capability's async ring and the green thread sleeps on an MVar;
--   no OS thread waits.
-- * 'submitBlockingOS': the calling OS thread's own ring, through a @safe@
--   foreign call; the capability is released but the OS thread waits (GHC
--   starts another worker for the capability meanwhile). For bound threads,
--   foreign callers, and as the plain reference the async path must match.
module System.IO.URingBridge
  ( -- * Engine
    supportsIOURing
  , engineName
  , backendName
  , version
  , opSupported
    -- * Requests
  , Op (..)
  , opName
  , submitBlocking
  , submitBlockingTimeout
  , submitChain
  , submitBlockingOS
  , submitBlockingOSTimeout
  , submitChainOS
  , chainMax
  , offsetCurrent
  , submitBatch
    -- * Rings of one's own: registered buffers and files
  , Ring
  , newRing
  , closeRing
  , withRing
  , submitRing
  , registerBuffers
  , unregisterBuffers
  , registerFiles
  , unregisterFiles
  , ringCompletions
  , ringInFlight
    -- * Flags for opening files
  , OpenFlags (..)
  , oRDONLY, oWRONLY, oRDWR, oCREAT, oEXCL, oTRUNC, oAPPEND, oNONBLOCK, oCLOEXEC
  , oDIRECT, oDSYNC, oSYNC, oDIRECTORY, oNOFOLLOW, oNOATIME, oPATH, oTMPFILE, oNOCTTY
    -- * Flags and advice for files and memory
  , atSYMLINKFOLLOW, atEMPTYPATH
  , fallocKEEPSIZE, fallocPUNCHHOLE, fallocZERORANGE
  , adviceValue
  , madvNORMAL, madvRANDOM, madvSEQUENTIAL, madvWILLNEED, madvDONTNEED
  , syncFileRangeWAITBEFORE, syncFileRangeWRITE, syncFileRangeWAITAFTER
  , spliceFMOVE, spliceFNONBLOCK, spliceFMORE, spliceFGIFT
  , xattrCREATE, xattrREPLACE
    -- * Flags for sockets and messages
  , sockNONBLOCK, sockCLOEXEC
  , msgPEEK, msgWAITALL, msgOOB, msgDONTWAIT, msgTRUNC, msgCTRUNC, msgCMSGCLOEXEC
    -- * Flags for removing and renaming
  , atFDCWD
  , atREMOVEDIR
  , renameNOREPLACE, renameEXCHANGE, renameWHITEOUT
    -- * Results
  , strerror
  , throwIfNegative
    -- * Typed operations
  , readBuf
  , writeBuf
  , readv
  , writev
  , recvBuf
  , sendBuf
  , sendAllBuf
  , accept
  , connect
  , openFile
  , closeFd
  , fsync
  , fdatasync
  , shutdownFd
  , pollFd
  , fileSize
  , removeLink
  , removeDirectory
  , rename
  , createDirectory
  , createSymbolicLink
  , createLink
  , setFdSize
  , setFileSize
  , fileAllocate
  , fileAdvise
  , syncFileRange
  , memoryAdvise
  , splice
  , tee
  , getXattr
  , setXattr
  , sleep
    -- * Datagrams, messages, sockets
  , sendBufTo
  , recvBufFrom
  , sendMsg
  , recvMsg
  , controlSpace
  , socket
  , bind
  , listen
    -- * Sockets and ByteStrings
  , recv
  , recvWithin
  , sendAll
  , acceptSocket
  , connectSocket
  , sendTo
  , recvFrom
  , sendFd
  , recvFd
  , newSocket
  , bindSocket
  , listenSocket
  ) where

import Control.Exception (SomeException, bracket, mask, mask_, onException, try)
import GHC.IO.Exception (IOException (..))
import Control.Monad (forM_, unless, void, when)
import Data.IORef
import qualified Data.IntMap.Strict as IM
import qualified Data.ByteString as B
import qualified Data.ByteString.Internal as BI
import qualified Data.ByteString.Unsafe as BU
import Data.Int (Int32)
import Data.Word (Word32, Word64, Word8)
import Data.Bits ((.|.))
import Foreign.C.Error (Errno (..), eAGAIN, eBADF, eINVAL, errnoToIOError)
import Foreign.C.String (peekCString, withCString)
import Foreign.C.Types (CInt, CSize)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Marshal.Array (allocaArray, peekArray, pokeArray)
import System.IO.Error (mkIOError, eofErrorType)
import Foreign.Ptr (Ptr, castPtr, nullPtr, plusPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)
import qualified Network.Socket as NS
import qualified Network.Socket.Address as NSA
import Control.Concurrent (rtsSupportsBoundThreads)
import GHC.Conc (threadWaitRead, threadWaitWrite)
import GHC.Clock (getMonotonicTimeNSec)
import System.Environment (lookupEnv)
import System.Timeout (timeout)
import Foreign.ForeignPtr (ForeignPtr, withForeignPtr)
import GHC.ForeignPtr (mallocPlainForeignPtrBytes)
import qualified GHC.Arr as Arr
import GHC.Exts (casMutVar#, readMutVar#)
import GHC.IO (IO (..))
import GHC.IORef (IORef (..))
import GHC.STRef (STRef (..))
import GHC.Conc (getNumCapabilities, myThreadId, threadCapability)
import System.IO.Unsafe (unsafePerformIO)
import System.IO.URingBridge.Manager
import System.IO.URingBridge.Message
import System.IO.URingBridge.Op
import System.IO.URingBridge.Raw
import System.IO.URingBridge.Ring
import System.Posix.Fcntl (Advice)
import System.Posix.Files (FileStatus, getFdStatus, isCharacterDevice, isNamedPipe, isSocket)
import System.Posix.Types (CMode (..), Fd (..), FileOffset)

-- | True when requests in this process run on io_uring.
supportsIOURing :: Bool
supportsIOURing = unsafePerformIO ((/= 0) <$> c_supported)
{-# NOINLINE supportsIOURing #-}

-- | @"io_uring"@ or @"fallback"@ (@"none"@ when @URB_ENGINE=io_uring@ was
-- forced on a kernel that refuses io_uring).
engineName :: String
engineName = unsafePerformIO (c_engine_name >>= peekCString)
{-# NOINLINE engineName #-}

-- | The former name of 'engineName' (the same string).
backendName :: String
backendName = engineName
{-# DEPRECATED backendName "use engineName" #-}

-- | The C library's version (@"0.1.0"@…).
version :: String
version = unsafePerformIO (c_version >>= peekCString)
{-# NOINLINE version #-}

-- | Whether the engine in use can perform this kind of request (the engine
-- is chosen once, when the library is loaded). Submitting one it cannot
-- gives @-ENOSYS@.
opSupported :: Op -> Bool
opSupported op = unsafePerformIO ((/= 0) <$> c_op_supported (opcode op))

-- | The library's text for a result (@"success"@ for @>= 0@).
strerror :: Int32 -> String
strerror r = unsafePerformIO (c_strerror r >>= peekCString)

-- | The request on the calling OS thread's own ring, through a @safe@ call:
-- the capability is released while the OS thread waits for the completion.
-- Returns the CQE's result (@>= 0@, or @-errno@).
submitBlockingOS :: Op -> IO Int32
submitBlockingOS op = withOp op c_submit_blocking

-- | 'submitBlockingOS' bounded by a timeout in microseconds: @-ETIME@ when
-- the time ran out first (the request was then cancelled).
submitBlockingOSTimeout :: Word64 -> Op -> IO Int32
submitBlockingOSTimeout us op = withOp op $ \p -> c_submit_blocking_timeout p (usToNs us)

-- | A linked chain on the calling OS thread's ring: each request starts after
-- the previous one succeeded (a short read or write counts as a failure);
-- after a failure the rest complete with @-ECANCELED@. Returns every
-- request's result; a request the library refuses (bad arguments) shows its
-- reason in its own slot and nothing is submitted. Throws an 'IOError'
-- (@EINVAL@) only for a chain longer than 'chainMax'.
--
-- Unlike 'submitChain', whose ring refuses an invalid chain as a whole with
-- an 'IOError', this reports a refusal per request, as the C call does.
submitChainOS :: [Op] -> IO [Int32]
submitChainOS [] = pure []
submitChainOS ops
  | length ops > chainMax = ioError (errnoToIOError "submitChainOS" eINVAL Nothing Nothing)
  | otherwise = withOps ops $ \p n -> allocaArray n $ \results -> do
      -- A slot the library never wrote means the call was refused as a whole.
      pokeArray results (replicate n unwritten)
      rc <- c_submit_chain_blocking p (fromIntegral n) results
      rs <- peekArray n results
      if any (== unwritten) rs then throwResult "submitChainOS" Nothing rc else pure rs
  where
    unwritten = minBound :: Int32

throwResult :: String -> Maybe FilePath -> Int32 -> IO a
throwResult name path r = ioError (errnoToIOError name (Errno (fromIntegral (negate r))) Nothing path)

-- | The result as a count, or an 'IOError' named after the operation (its
-- 'ioe_errno' is the errno) when it is negative.
throwIfNegative :: String -> Int32 -> IO Int
throwIfNegative name r
  | r < 0 = throwResult name Nothing r
  | otherwise = pure (fromIntegral r)

run :: Op -> IO Int
run op = submitBlocking op >>= throwIfNegative (opName op)

-- | A caller's byte count as the library's 32-bit length: negative counts are
-- refused (they would wrap to 4 GiB), counts beyond 2 GiB are clamped (a
-- read or write may always move fewer bytes than asked).
len32 :: String -> Int -> IO Word32
len32 name n
  | n < 0 = ioError (errnoToIOError name eINVAL Nothing Nothing)
  | otherwise = pure (fromIntegral (min (fromIntegral (maxBound :: Int32)) n))

-- | Reads up to @n@ bytes at @offset@ ('offsetCurrent': the file position).
-- Returns the bytes read, 0 at end of file.
readBuf :: Fd -> Ptr Word8 -> Int -> Word64 -> IO Int
readBuf fd p n off = len32 "read" n >>= \l -> run (ReadOp fd p l off)

-- | Writes up to @n@ bytes at @offset@. Returns the bytes written.
writeBuf :: Fd -> Ptr Word8 -> Int -> Word64 -> IO Int
writeBuf fd p n off = len32 "write" n >>= \l -> run (WriteOp fd p l off)

-- | An array of @struct iovec@ for the duration of the action.
withIOVecs :: String -> [(Ptr Word8, Int)] -> (Ptr IOVec -> Word32 -> IO a) -> IO a
withIOVecs name bufs act = allocaBytes (sizeOfIOVec * max 1 n) $ \iov -> do
  forM_ (zip [0 ..] bufs) $ \(i, (p, len)) -> do
    l <- len32 name len
    pokeByteOff iov (i * sizeOfIOVec + offIOVecBase) p
    pokeByteOff iov (i * sizeOfIOVec + offIOVecLen) (fromIntegral l :: CSize)
  act iov (fromIntegral n)
  where
    n = length bufs

-- | Scatter read: fills the buffers in order from @offset@. Returns the bytes read.
readv :: Fd -> [(Ptr Word8, Int)] -> Word64 -> IO Int
readv fd bufs off = withIOVecs "readv" bufs $ \iov n -> run (ReadvOp fd iov n off)

-- | Gather write: writes the buffers in order at @offset@. Returns the bytes written.
writev :: Fd -> [(Ptr Word8, Int)] -> Word64 -> IO Int
writev fd bufs off = withIOVecs "writev" bufs $ \iov n -> run (WritevOp fd iov n off)

-- | How socket transfers wait, chosen once per process.
data SocketWait
  = -- | Wait for readiness through GHC's own I/O manager
    -- ('GHC.Conc.threadWaitRead' / 'GHC.Conc.threadWaitWrite'), then move
    -- the bytes with a request that finishes on the spot. The default: the
    -- cancellable part of the wait consumes nothing, so a timed-out or
    -- killed 'recv' never loses bytes, and 'NS.close' wakes a blocked
    -- reader with an error, as package network does.
    SocketReadiness
  | -- | Hand the transfer to the capability's ring when it must wait
    -- (@URB_HS_SOCKET=ring@, for comparisons only: a receive cancelled after
    -- it completed loses its bytes).
    SocketRing
  deriving (Eq, Show)

{-# NOINLINE socketWait #-}
-- | The socket face in use: @URB_HS_SOCKET=ring@ selects 'SocketRing',
-- anything else 'SocketReadiness'.
socketWait :: SocketWait
socketWait = unsafePerformIO $ do
  v <- lookupEnv "URB_HS_SOCKET"
  pure (if v == Just "ring" then SocketRing else SocketReadiness)

-- | A socket transfer: tried on the spot; if it would wait, the green
-- thread waits for readiness in GHC's I/O manager and tries again. A
-- negative descriptor (a socket 'NS.close'd already) is @EBADF@, as the
-- system call gives. Each try is one unsafe foreign call with nothing
-- allocated ('c_try_recv' / 'c_try_send' build the request on the C stack),
-- which is what package network's own recv and send cost.
transfer :: Bool -> Fd -> Ptr Word8 -> Word32 -> IO Int32
transfer reading fd@(Fd cfd) p l
  | not rtsSupportsBoundThreads = requireThreaded >> pure 0
  | fd < 0 = pure eBADFResult
  | socketWait == SocketRing = submitBlocking (if reading then RecvOp fd p l 0 else SendOp fd p l 0)
  | otherwise = mask_ again
  where
    -- Masked: the only point where an asynchronous exception can arrive is
    -- the readiness wait (interruptible), before any byte has moved.
    again = do
      r <- (if reading then c_try_recv else c_try_send) cfd p l 0
      if r /= wouldWait
        then pure r
        else readiness (if reading then threadWaitRead else threadWaitWrite) fd >>= maybe again pure

-- | @-EBADF@, the result a system call gives for a closed descriptor.
eBADFResult :: Int32
eBADFResult = negate (fromIntegral n)
  where
    Errno n = eBADF

-- | Waits in GHC's I/O manager. Its errors become results: a descriptor
-- closed while a thread waits here ('NS.close' wakes the waiters) or one
-- the I/O manager cannot watch gives that errno (@EBADF@), named after the
-- operation by the caller, as a failing system call would.
readiness :: (Fd -> IO ()) -> Fd -> IO (Maybe Int32)
readiness wait fd = do
  r <- try (wait fd)
  pure $ case r of
    Right () -> Nothing
    Left e -> Just (negate (maybe eBADFn fromIntegral (ioe_errno e)))
  where
    Errno eBADFn' = eBADF
    eBADFn = fromIntegral eBADFn'

-- | Receives up to @n@ bytes from a socket; 0 once the peer has shut down.
-- Waiting is cancellable without loss: after an asynchronous exception
-- ('System.Timeout.timeout', 'Control.Concurrent.killThread') no byte has
-- been taken from the socket. Closing the socket ('NS.close') while a
-- thread waits here wakes that thread with an 'IOError'.
recvBuf :: Fd -> Ptr Word8 -> Int -> IO Int
recvBuf fd p n = len32 "recv" n >>= transfer True fd p >>= throwIfNegative "recv"

-- | Sends up to @n@ bytes on a socket (never raises @SIGPIPE@: a closed peer
-- gives @EPIPE@). Returns the bytes sent. Cancellable like 'recvBuf': an
-- interrupted wait has sent nothing.
sendBuf :: Fd -> Ptr Word8 -> Int -> IO Int
sendBuf fd p n = len32 "send" n >>= transfer False fd p >>= throwIfNegative "send"

-- | Sends all @n@ bytes, however many sends it takes.
sendAllBuf :: Fd -> Ptr Word8 -> Int -> IO ()
sendAllBuf fd p n = when (n > 0) $ do
  sent <- sendBuf fd p n
  sendAllBuf fd (p `plusPtr` sent) (n - sent)

-- | Accepts a connection (close-on-exec): the new descriptor (the caller's
-- to close) and the peer's address. Waits for a connection like 'recvBuf'
-- waits for data (readiness through GHC's I/O manager, then an accept that
-- finishes at once), so an interrupted accept has taken no connection. (On
-- the fallback engine a listener without @O_NONBLOCK@ cannot be tried
-- without waiting; its accept goes to the ring.)
--
-- Where the ring waits instead, a connection it accepted just as an
-- asynchronous exception cancelled the wait is closed, never leaked (its
-- peer sees the connection end); 'acceptSocket' keeps it for the next
-- 'acceptSocket' on the listener instead.
accept :: Fd -> IO (Fd, NS.SockAddr)
accept = acceptKeeping (\(Fd c, _) -> void (c_close c))

-- | 'accept' that hands a connection accepted as an exception interrupted
-- the ring's wait to @late@ (masked) before the exception goes on.
acceptKeeping :: ((Fd, NS.SockAddr) -> IO ()) -> Fd -> IO (Fd, NS.SockAddr)
acceptKeeping late fd = allocaBytes sockAddrRoom $ \sa -> allocaBytes 4 $ \lenp -> do
  pokeByteOff lenp 0 (fromIntegral sockAddrRoom :: Word32)
  let peer = NSA.peekSocketAddress (castPtr sa)
      lateConnection r = do
        addr <- try peer :: IO (Either SomeException NS.SockAddr)
        late (Fd (fromIntegral r), either (const (NS.SockAddrUnix "")) id addr)
  r <- acceptWaiting lateConnection fd (AcceptAddrOp fd sa lenp sockCloexec) >>= throwIfNegative "accept"
  -- The peer's address is read before anything else can fail.
  addr <- peer
  pure (Fd (fromIntegral r), addr)
  where
    sockAddrRoom = sizeOfSockAddrStorage

acceptWaiting :: (Int32 -> IO ()) -> Fd -> Op -> IO Int32
acceptWaiting late fd op
  | not rtsSupportsBoundThreads = requireThreaded >> pure 0
  | fd < 0 = pure (negate (fromIntegral eBADFn))
  | socketWait == SocketRing = submitBlockingKeeping late op
  | otherwise = withOp op $ \p -> allocaBytes 4 $ \out -> mask_ $ do
      done <- c_submit_nowait p out
      if done == 1
        then peekByteOff out 0
        else readiness threadWaitRead fd >>= \failed -> case failed of
          Just err -> pure err
          Nothing -> do
            again <- c_submit_nowait p out
            -- Ready, and still it would wait: another thread took the
            -- connection, or the engine cannot try this descriptor. The
            -- ring waits for the next one.
            if again == 1 then peekByteOff out 0 else submitBlockingKeeping late op
  where
    Errno eBADFn = eBADF

-- | Connects a socket to the @struct sockaddr@ of @n@ bytes at @addr@.
connect :: Fd -> Ptr () -> Int -> IO ()
connect fd addr n = len32 "connect" n >>= \l -> () <$ run (ConnectOp fd addr l)

-- | Opens a file relative to the current directory with 'OpenFlags' (e.g.
-- @'oWRONLY' <> 'oCREAT' <> 'oTRUNC'@) and a mode for 'oCREAT' (e.g.
-- @0o644@). The descriptor is the caller's. Errors carry the path.
openFile :: FilePath -> OpenFlags -> Word32 -> IO Fd
openFile path flags mode = withCString path $ \c ->
  submitBlocking (OpenOp c flags mode) >>= \r ->
    if r < 0 then throwResult "openat" (Just path) r else pure (fromIntegral r)

-- | Closes a descriptor (@close(2)@ on the engine). For a socket that other
-- threads may be waiting on, use 'Network.Socket.close', which wakes them.
closeFd :: Fd -> IO ()
closeFd fd = () <$ run (CloseOp fd)

-- | Flushes data and metadata to storage.
fsync :: Fd -> IO ()
fsync fd = () <$ run (FsyncOp fd False)

-- | Flushes data (and the metadata needed to read it back) to storage.
fdatasync :: Fd -> IO ()
fdatasync fd = () <$ run (FsyncOp fd True)

-- | Shuts down one or both directions of a connection.
shutdownFd :: Fd -> NS.ShutdownCmd -> IO ()
shutdownFd fd cmd = () <$ run (ShutdownOp fd how)
  where
    how = case cmd of
      NS.ShutdownReceive -> 0
      NS.ShutdownSend -> 1
      NS.ShutdownBoth -> 2

-- | Waits until @fd@ has one of the @poll(2)@ events (@POLLIN@ = 1,
-- @POLLOUT@ = 4, ...) and returns the ready ones (error and hang-up always
-- included).
pollFd :: Fd -> Word32 -> IO Word32
pollFd fd events = fromIntegral <$> run (PollOp fd events)

-- | The size in bytes of the file at @path@ (@statx@, following symlinks).
fileSize :: FilePath -> IO Word64
fileSize path = withCString path $ \c -> allocaBytes sizeOfStatx $ \stx -> do
  r <- submitBlocking (StatxOp (Fd (fromIntegral atFdCwd)) c 0 statxBasicStats stx)
  when (r < 0) $ throwResult "statx" (Just path) r
  peekByteOff stx offStatxSize

-- | The request at its path, or an 'IOError' naming the operation and the
-- path, with the errno.
runAtPath :: FilePath -> Op -> IO ()
runAtPath path op = submitBlocking op >>= \r -> when (r < 0) (throwResult (opName op) (Just path) r)

-- | Removes a name that is not a directory (@unlinkat(2)@ without flags, as
-- 'System.Posix.Files.removeLink'); a relative path is relative to the
-- current directory. Errors name @unlinkat@ and the path: @ENOENT@,
-- @EISDIR@ for a directory (use 'removeDirectory'), @ENOTDIR@ for a path
-- through a non-directory, @EACCES@...; @ENOSYS@ on io_uring before
-- Linux 5.11 (see 'opSupported').
removeLink :: FilePath -> IO ()
removeLink path = withCString path $ \c -> runAtPath path (UnlinkAtOp atFDCWD c 0)

-- | Removes an empty directory (@unlinkat(2)@ with @AT_REMOVEDIR@, as
-- 'System.Posix.Directory.removeDirectory'); a relative path is relative
-- to the current directory. Errors name @unlinkat@ and the path:
-- @ENOENT@, @ENOTEMPTY@, @ENOTDIR@ for a file, @EBUSY@...; @ENOSYS@ on
-- io_uring before Linux 5.11.
removeDirectory :: FilePath -> IO ()
removeDirectory path = withCString path $ \c -> runAtPath path (UnlinkAtOp atFDCWD c atREMOVEDIR)

-- | Renames the old path to the new one as @rename(2)@ does (and
-- 'System.Posix.Files.rename'): an existing new path is replaced, a
-- directory only by a directory and only when empty. Relative paths are
-- relative to the current directory. Errors name @renameat@ and the old
-- path: @ENOENT@, @EISDIR@ (a file over a directory), @ENOTDIR@ (a
-- directory over a file), @ENOTEMPTY@, @EXDEV@, @EINVAL@ (a directory into
-- itself)...; @ENOSYS@ on io_uring before Linux 5.11. Unlike the Go
-- binding's @Rename@ (package os's choice) an empty directory as the new
-- path is replaced, as the system call does. For renameat2(2)'s flags,
-- submit a 'RenameAtOp'.
rename :: FilePath -> FilePath -> IO ()
rename old new = withCString old $ \o -> withCString new $ \n ->
  runAtPath old (RenameAtOp atFDCWD o atFDCWD n 0)

-- | Creates a directory with the permission bits given, less the umask
-- (@mkdirat(2)@, as 'System.Posix.Directory.createDirectory'); a relative
-- path is relative to the current directory. Errors name @mkdirat@ and the
-- path: @EEXIST@ (whatever the name is), @ENOENT@ (a missing parent),
-- @ENOTDIR@... On io_uring before Linux 5.15: @ENOSYS@ (see 'opSupported').
createDirectory :: FilePath -> CMode -> IO ()
createDirectory path (CMode mode) = withCString path $ \c -> runAtPath path (MkdirAtOp atFDCWD c mode)

-- | Creates a symbolic link at the second path holding the first, the
-- target (@symlinkat(2)@, as 'System.Posix.Files.createSymbolicLink'; the
-- target is text, never resolved: it may name nothing). A relative link
-- path is relative to the current directory. Errors name @symlinkat@ and
-- the link's path: @EEXIST@ (whatever is there), @ENOENT@ (a missing
-- parent), @ENOTDIR@...; @ENOSYS@ on io_uring before Linux 5.15 (see
-- 'opSupported').
createSymbolicLink :: FilePath -> FilePath -> IO ()
createSymbolicLink target path = withCString target $ \t -> withCString path $ \c ->
  runAtPath path (SymlinkAtOp t atFDCWD c)

-- | Gives the file at the first path a second name (@linkat(2)@ without
-- flags, as 'System.Posix.Files.createLink': a symbolic link gets a new
-- name itself, not what it points to; 'LinkAtOp' with 'atSYMLINKFOLLOW'
-- follows it). Errors name @linkat@ and the existing path: @ENOENT@,
-- @EEXIST@ (the new name is taken), @EPERM@ for a directory, @EXDEV@
-- across filesystems...; @ENOSYS@ on io_uring before Linux 5.15.
createLink :: FilePath -> FilePath -> IO ()
createLink old new = withCString old $ \o -> withCString new $ \n ->
  runAtPath old (LinkAtOp atFDCWD o atFDCWD n 0)

-- | Sets the length of an open file, cutting it or extending it with zeros
-- (@ftruncate(2)@, as 'System.Posix.Files.setFdSize'). Errors name
-- @ftruncate@: @EINVAL@ for a negative length or a descriptor not open for
-- writing, @EBADF@...; @ENOSYS@ on io_uring before Linux 6.9 (see
-- 'opSupported').
setFdSize :: Fd -> FileOffset -> IO ()
setFdSize fd size = () <$ run (FtruncateOp fd (fromIntegral size))

-- | Sets the length of the file at a path (as
-- 'System.Posix.Files.setFileSize'): opened for writing, 'setFdSize',
-- closed. Errors name the call that failed (@openat@: @ENOENT@,
-- @EISDIR@, @EACCES@...; @ftruncate@) and the path.
setFileSize :: FilePath -> FileOffset -> IO ()
setFileSize path size = bracket (openFile path (oWRONLY <> oCLOEXEC) 0) closeFd $ \fd ->
  submitBlocking (FtruncateOp fd (fromIntegral size)) >>= \r -> when (r < 0) (throwResult "ftruncate" (Just path) r)

-- | A range given as offset and length for a request that carries a 32-bit
-- length: negative values are refused with @EINVAL@ (as the system calls
-- do), length 0 (to the end of the file) is one request, longer ranges
-- are several requests of at most 2 GiB in order.
ranges :: String -> FileOffset -> FileOffset -> IO [(Word64, Word32)]
ranges name off len
  | off < 0 || len < 0 = ioError (errnoToIOError name eINVAL Nothing Nothing)
  | len == 0 = pure [(fromIntegral off, 0)]
  | otherwise = pure (go (fromIntegral off) (fromIntegral len))
  where
    step = 2 ^ (31 :: Int) :: Word64
    go :: Word64 -> Word64 -> [(Word64, Word32)]
    go o l
      | l <= step = [(o, fromIntegral l)]
      | otherwise = (o, fromIntegral step) : go (o + step) (l - step)

-- | Allocates storage for a range of an open file (@fallocate(2)@ with
-- mode 0, as 'System.Posix.Fcntl.fileAllocate'): the file grows to cover
-- it, and bytes never written read as zeros. Errors name @fallocate@:
-- @EINVAL@ (a length of 0, a negative value), @ENOSPC@, @ESPIPE@ (a pipe),
-- @EOPNOTSUPP@, @EBADF@...; other modes through 'FallocateOp'.
fileAllocate :: Fd -> FileOffset -> FileOffset -> IO ()
fileAllocate fd off len
  | off < 0 || len < 0 = ioError (errnoToIOError "fallocate" eINVAL Nothing Nothing)
  | otherwise = () <$ run (FallocateOp fd 0 (fromIntegral off) (fromIntegral len))

-- | Advice about how a range of an open file will be read
-- (@posix_fadvise(2)@, as 'System.Posix.Fcntl.fileAdvise'; length 0: to
-- the end of the file; 'Advice' is package unix's, from
-- "System.Posix.Fcntl"). Errors name @fadvise@: @EINVAL@ for a negative
-- offset or length, @ESPIPE@ for a pipe, @EBADF@...
fileAdvise :: Fd -> FileOffset -> FileOffset -> Advice -> IO ()
fileAdvise fd off len advice =
  ranges "fadvise" off len >>= mapM_ (\(o, l) -> run (FadviseOp fd o l (adviceValue advice)))

-- | Writes a range of an open file's data to storage as the flags say
-- (@sync_file_range(2)@: 'syncFileRangeWAITBEFORE', 'syncFileRangeWRITE',
-- 'syncFileRangeWAITAFTER'; all three: the range's data is on storage,
-- not the metadata needed to find it, which is 'fdatasync''s; length 0:
-- to the end of the file). Errors name @sync_file_range@: @EINVAL@ for a
-- negative offset or length or an unknown flag, @ESPIPE@ for a pipe,
-- @EBADF@...
syncFileRange :: Fd -> FileOffset -> FileOffset -> Word32 -> IO ()
syncFileRange fd off len flags =
  ranges "sync_file_range" off len >>= mapM_ (\(o, l) -> run (SyncFileRangeOp fd o l flags))

-- | Advice about this process's memory at a page-aligned address
-- (@madvise(2)@ with 'madvWILLNEED', 'madvDONTNEED'...; the memory must stay
-- mapped until it returns). Errors name @madvise@: @EINVAL@ for an
-- address that is not page-aligned, a negative length or an unknown
-- advice, @ENOMEM@ for memory not mapped.
memoryAdvise :: Ptr a -> Int -> CInt -> IO ()
memoryAdvise p len advice
  | len < 0 = ioError (errnoToIOError "madvise" eINVAL Nothing Nothing)
  | otherwise = mapM_ (\(o, l) -> run (MadviseOp (p `plusPtr` o) l advice)) (pieces 0 len)
  where
    step = 2 ^ (31 :: Int) :: Int
    pieces o l
      | l <= step = [(o, fromIntegral l)]
      | otherwise = (o, fromIntegral step) : pieces (o + step) (l - step)

-- | Moves up to @n@ bytes from the input to the output without copying
-- them through this process (@splice(2)@; one of the two is a pipe, whose
-- offset must be 'offsetCurrent'; a file's offset is where to read or
-- write, 'offsetCurrent' its position, which then advances). Returns the
-- bytes moved, 0 at the end of the input. It never waits in the kernel
-- (io_uring cannot cancel a splice that waits for a pipe: a timeout or
-- 'Control.Concurrent.killThread' around one would wait until data came):
-- each try has @SPLICE_F_NONBLOCK@, and while a pipe is empty (or full)
-- the green thread waits for the input to be readable and the output
-- writable in GHC's I/O manager, interruptible with nothing moved, also for
-- pipes in @O_NONBLOCK@ mode. Errors name @splice@: @ESPIPE@ (an offset
-- for a pipe), @EINVAL@ (neither is a pipe), @EBADF@...; for other
-- @SPLICE_F_*@ flags, submit a 'SpliceOp'.
splice :: Fd -> Word64 -> Fd -> Word64 -> Int -> IO Int
splice input offIn output offOut n =
  len32 "splice" n >>= \l -> pipeTransfer "splice" input output (SpliceOp input offIn output offOut l spliceFNONBLOCK)

-- | Copies up to @n@ bytes from one pipe into another without consuming
-- them (@tee(2)@). Returns the bytes copied. Waits like 'splice'. Errors
-- name @tee@: @EINVAL@ if either is not a pipe (or both are the same
-- pipe), @EBADF@...
tee :: Fd -> Fd -> Int -> IO Int
tee input output n = len32 "tee" n >>= \l -> pipeTransfer "tee" input output (TeeOp input output l spliceFNONBLOCK)

-- | The value of a file's extended attribute (@getxattr(2)@ on the path,
-- symbolic links followed; names carry their namespace: @"user.mime"@).
-- Asks for the length first, then reads; a value that grew in between is
-- asked for again. Errors name @getxattr@ and the path: @ENODATA@ for an
-- attribute the file lacks, @ENOENT@, @EOPNOTSUPP@ where the file system
-- keeps none...; @ENOSYS@ on io_uring before Linux 5.19.
getXattr :: FilePath -> String -> IO B.ByteString
getXattr path name = withCString path $ \p -> withCString name $ \n -> do
  let ask = submitBlocking (GetXattrOp p n nullPtr 0) >>= \r -> if r < 0 then throwResult "getxattr" (Just path) r else pure r
      attempt size = do
        (bs, r) <- BI.createAndTrim' (max 1 (fromIntegral size)) $ \v -> do
          r <- submitBlocking (GetXattrOp p n v size)
          pure (0, max 0 (fromIntegral r), r)
        if r == eRANGEResult then ask >>= attempt . fromIntegral
          else if r < 0 then throwResult "getxattr" (Just path) r else pure bs
  ask >>= attempt . fromIntegral
  where
    eRANGEResult = negate 34

-- | Sets a file's extended attribute (@setxattr(2)@ on the path) with 0,
-- 'xattrCREATE' or 'xattrREPLACE'. Errors name @setxattr@ and the path:
-- @EEXIST@, @ENODATA@, @E2BIG@ (values beyond 64 KiB), @EOPNOTSUPP@...;
-- @ENOSYS@ on io_uring before Linux 5.19.
setXattr :: FilePath -> String -> B.ByteString -> CInt -> IO ()
setXattr path name value flags = withCString path $ \p -> withCString name $ \n ->
  BU.unsafeUseAsCStringLen value $ \(v, len) -> do
    l <- len32 "setxattr" len
    runAtPath path (SetXattrOp p n (castPtr v) l flags)

-- | A splice or tee with @SPLICE_F_NONBLOCK@, repeated after readiness
-- waits while it gives @EAGAIN@. Only pipes, sockets and character devices
-- are waited for: a regular file is always ready, and GHC's I/O manager
-- must never be asked to watch one (epoll refuses it, and the manager's
-- table can keep the refused number, which then breaks the waits of the
-- next descriptor given that number).
pipeTransfer :: String -> Fd -> Fd -> Op -> IO Int
pipeTransfer name input output op = again
  where
    again = do
      r <- submitBlocking op
      if r == eAGAINResult
        then ready threadWaitRead input >> ready threadWaitWrite output >> again
        else throwIfNegative name r
    ready wait fd = do
      st <- try (getFdStatus fd) :: IO (Either IOException FileStatus)
      case st of
        Right s | isNamedPipe s || isSocket s || isCharacterDevice s -> () <$ (try (wait fd) :: IO (Either IOException ()))
        _ -> pure ()
    eAGAINResult = let Errno e = eAGAIN in negate (fromIntegral e)

-- | Sleeps on the engine's timer (microseconds, like 'Control.Concurrent.threadDelay';
-- a negative time does not sleep).
sleep :: Int -> IO ()
sleep us = () <$ run (SleepOp (fromIntegral (max 0 us)))

-- | Receives up to @n@ bytes from a socket; empty at end of stream.
--
-- An asynchronous exception never takes bytes with it: while recv waits,
-- nothing has been received; one that arrives while the bytes move is
-- raised only afterwards, and those bytes are kept for the next 'recv' on
-- the socket. (What no function can prevent: 'System.Timeout.timeout'
-- discards a result that was already returned to it when its timer fires
-- before it has cleaned up, a window of a few instructions.)
--
-- The ByteString holds exactly the bytes received: up to 16 KiB are
-- received into a buffer of the capability's and copied out, so a thread
-- waiting here holds no buffer (package network's recv holds all @n@
-- bytes while it waits).
recv :: NS.Socket -> Int -> IO B.ByteString
recv s n = do
  _ <- len32 "recv" n
  mask $ \restore -> do
    early <- if n == 0 then pure Nothing else takeKept s n
    case early of
      Just bs -> pure bs
      Nothing -> do
        bs <- NS.withFdSocket s $ \fd -> receiveBytes (Fd fd) n
        -- An exception that came while the bytes moved is raised here, and
        -- the bytes wait for the next recv.
        restore (pure ()) `onException` keep s bs
        pure bs

-- | One receive of up to @n@ bytes, as a ByteString of exactly the bytes
-- received. Up to 'scratchSize' bytes are received into the capability's
-- scratch buffer, taken only for the try itself, and copied out: a reader
-- waiting for data holds no buffer (network's recv holds its @n@ bytes for
-- the whole wait, 2 MB for 500 idle keep-alive connections), and a 4 KiB
-- receive costs no large-object allocation. Larger receives, and the
-- comparison face ('SocketRing'), receive into a buffer of their own.
receiveBytes :: Fd -> Int -> IO B.ByteString
receiveBytes fd@(Fd cfd) n
  | n == 0 || n > scratchSize || fd < 0 || socketWait == SocketRing || not rtsSupportsBoundThreads =
      BI.createAndTrim n $ \p -> recvBuf fd p n
  | otherwise = mask_ again
  where
    again = do
      slot <- scratchSlot
      r <- withScratch slot $ \scratch -> withForeignPtr scratch $ \p -> do
        k <- c_try_recv cfd p (fromIntegral n) 0
        -- Copied before the buffer goes back: another green thread on this
        -- capability may take it as soon as it is in the slot.
        if k > 0 then Right <$> BI.create (fromIntegral k) (\d -> BI.memcpy d p (fromIntegral k)) else pure (Left k)
      case r of
        Right bs -> pure bs
        Left k
          | k == wouldWait -> readiness threadWaitRead fd >>= maybe again (throwResult "recv" Nothing)
          | otherwise -> B.empty <$ throwIfNegative "recv" k

-- | The largest receive that goes through a scratch buffer.
scratchSize :: Int
scratchSize = 16384

-- | One scratch buffer slot per capability (empty while a receive uses its
-- buffer, or before the first one). A thread that moved to another
-- capability between taking and putting back, or capabilities added later
-- ('GHC.Conc.setNumCapabilities'), share slots: taking is a compare-and-swap,
-- so the worst case is a fresh buffer.
{-# NOINLINE scratchSlots #-}
scratchSlots :: Arr.Array Int (IORef (Maybe (ForeignPtr Word8)))
scratchSlots = unsafePerformIO $ do
  caps <- max 1 <$> getNumCapabilities
  slots <- mapM (const (newIORef Nothing)) [1 .. caps]
  pure (Arr.listArray (0, caps - 1) slots)

-- | Runs the action with the slot's buffer (a fresh one when the slot is
-- empty), the slot empty meanwhile, then puts the buffer back. Taking is one
-- compare-and-swap that allocates nothing, and the slot's own 'Just' goes
-- back: base 4.15's 'GHC.IORef.atomicSwapIORef' is an
-- @atomicModifyMutVar2#@, two thunks a call, one of them left in the slot
-- for the next taker to evaluate. A swap lost to another thread (one that
-- moved here from another capability meanwhile) counts as an empty slot:
-- the worst case is a fresh buffer, as the slots' comment says. Called
-- masked, with an action that cannot be interrupted.
withScratch :: IORef (Maybe (ForeignPtr Word8)) -> (ForeignPtr Word8 -> IO a) -> IO a
withScratch slot@(IORef (STRef var)) act = do
  held <- IO takeSlot
  case held of
    Just scratch -> act scratch <* writeIORef slot held
    Nothing -> do
      scratch <- mallocPlainForeignPtrBytes scratchSize
      act scratch <* writeIORef slot (Just scratch)
  where
    takeSlot s = case readMutVar# var s of
      (# s1, cur #) -> case cur of
        Nothing -> (# s1, Nothing #)
        Just _ -> case casMutVar# var cur Nothing s1 of
          (# s2, 0#, _ #) -> (# s2, cur #)
          (# s2, _, _ #) -> (# s2, Nothing #)

scratchSlot :: IO (IORef (Maybe (ForeignPtr Word8)))
scratchSlot = do
  (cap, _) <- threadCapability =<< myThreadId
  pure (Arr.unsafeAt scratchSlots (cap `rem` Arr.numElements scratchSlots))

-- | 'recv' bounded by a time in microseconds: 'Nothing' when no byte came in
-- time. Unlike @'System.Timeout.timeout' us ('recv' s n)@ it can never
-- lose bytes, even in the few instructions after a receive: only the wait
-- for readiness is bounded, and the receive that follows it finishes at
-- once.
recvWithin :: Int -> NS.Socket -> Int -> IO (Maybe B.ByteString)
recvWithin us s n = do
  requireThreaded
  _ <- len32 "recv" n
  start <- getMonotonicTimeNSec
  let deadline = start + fromIntegral (max 0 us) * 1000
      attempt = do
        early <- if n == 0 then pure Nothing else mask_ (takeKept s n)
        case early of
          Just bs -> pure (Just bs)
          Nothing -> do
            got <- mask_ $ NS.withFdSocket s $ \fd -> receiveNow (Fd fd)
            case got of
              Just bs -> pure (Just bs)
              Nothing -> do
                now <- getMonotonicTimeNSec
                if now >= deadline
                  then pure Nothing
                  else do
                    fd <- NS.withFdSocket s pure
                    ready <- timeout (fromIntegral ((deadline - now + 999) `div` 1000)) (threadWaitRead (Fd fd))
                    maybe (pure Nothing) (const attempt) ready
      receiveNow fd
        | fd < 0 = throwResult "recv" Nothing (negate (fromIntegral eBADFn))
        | otherwise = do
            fp <- BI.mallocByteString n
            r <- withForeignPtr fp $ \p -> withOp (RecvOp fd p (fromIntegral n) 0) $ \op -> allocaBytes 4 $ \out -> do
              done <- c_submit_nowait op out
              if done == 1 then Just <$> peekByteOff out 0 else pure Nothing
            case r of
              Nothing -> pure Nothing
              Just res -> do
                k <- throwIfNegative "recv" res
                pure (Just (BI.fromForeignPtr fp 0 k))
      Errno eBADFn = eBADF
  attempt

-- | Bytes received for a 'recv' that an exception interrupted, by
-- descriptor; kept with their 'NS.Socket' (compared by identity), so a new
-- socket that reuses the number never sees them.
{-# NOINLINE keptBytes #-}
keptBytes :: IORef (IM.IntMap (NS.Socket, B.ByteString))
keptBytes = unsafePerformIO (newIORef IM.empty)

-- | How many sockets have kept bytes: the common case reads one word.
{-# NOINLINE keptCount #-}
keptCount :: IORef Int
keptCount = unsafePerformIO (newIORef 0)

keep :: NS.Socket -> B.ByteString -> IO ()
keep s bs = unless (B.null bs) $ NS.withFdSocket s $ \fd -> do
  fresh <- atomicModifyIORef' keptBytes $ \m -> case IM.lookup (fromIntegral fd) m of
    Just (s', old) | s' == s -> (IM.insert (fromIntegral fd) (s, old <> bs) m, False)
    _ -> (IM.insert (fromIntegral fd) (s, bs) m, True)
  when fresh $ atomicModifyIORef' keptCount (\c -> (c + 1, ()))

takeKept :: NS.Socket -> Int -> IO (Maybe B.ByteString)
takeKept s n = do
  c <- readIORef keptCount
  if c == 0
    then pure Nothing
    else NS.withFdSocket s $ \fd -> do
      (r, gone) <- atomicModifyIORef' keptBytes $ \m -> case IM.lookup (fromIntegral fd) m of
        Just (s', bs)
          | s' == s ->
              let (now, rest) = B.splitAt n bs
               in if B.null rest
                    then (IM.delete (fromIntegral fd) m, (Just now, True))
                    else (IM.insert (fromIntegral fd) (s, rest) m, (Just now, False))
          -- Another socket's leftovers under a reused number: drop them.
          | otherwise -> (IM.delete (fromIntegral fd) m, (Nothing, True))
        Nothing -> (m, (Nothing, False))
      when gone $ atomicModifyIORef' keptCount (\k -> (k - 1, ()))
      pure r

-- | Sends the whole ByteString.
sendAll :: NS.Socket -> B.ByteString -> IO ()
sendAll s bs = NS.withFdSocket s $ \fd ->
  BU.unsafeUseAsCStringLen bs $ \(p, n) -> sendAllBuf (Fd fd) (castPtr p) n

-- | Accepts a connection on a listening socket: the new 'NS.Socket' and the
-- peer's address, like 'NS.accept'.
--
-- A connection accepted as an asynchronous exception interrupted the wait
-- (where the ring waits: see 'accept') is kept for the next
-- 'acceptSocket' on this listener, never lost.
acceptSocket :: NS.Socket -> IO (NS.Socket, NS.SockAddr)
acceptSocket s = mask_ $ do
  early <- takeKeptItem keptConnections s
  (Fd c, addr) <- maybe (NS.withFdSocket s $ \fd -> acceptKeeping (keepItems keptConnections s . pure) (Fd fd)) pure early
  sock <- NS.mkSocket c
  pure (sock, addr)

-- | Connects a socket to an address.
connectSocket :: NS.Socket -> NS.SockAddr -> IO ()
connectSocket s addr = NS.withFdSocket s $ \fd ->
  allocaBytes size $ \p -> do
    NSA.pokeSocketAddress p addr
    connect (Fd fd) (castPtr p) size
  where
    size = NSA.sizeOfSocketAddress addr

-- | A socket request with a msghdr (sendmsg, recvmsg), waited for as
-- 'transfer' waits: tried on the spot (@urb_submit_nowait@, which sends
-- both with @MSG_DONTWAIT@); when it would wait, the green thread waits for
-- readiness in GHC's I/O manager and tries again, so an interrupted wait
-- has moved nothing. @reset@ runs before each try.
messageTransfer :: Bool -> Fd -> IO () -> Op -> IO Int32
messageTransfer reading fd reset op
  | not rtsSupportsBoundThreads = requireThreaded >> pure 0
  | fd < 0 = pure eBADFResult
  | socketWait == SocketRing = reset >> submitBlocking op
  | otherwise = withOp op $ \p -> allocaBytes 4 $ \out -> mask_ (again p out)
  where
    again p out = do
      reset
      done <- c_submit_nowait p out
      case done of
        1 -> peekByteOff out 0
        0 -> readiness (if reading then threadWaitRead else threadWaitWrite) fd >>= maybe (again p out) pure
        _ -> pure done

sendMsgAs :: String -> Fd -> Maybe NS.SockAddr -> [(Ptr Word8, Int)] -> [NS.Cmsg] -> CInt -> IO Int
sendMsgAs name fd addr bufs cmsgs flags = withIOVecs name bufs $ \iov n -> withSendMsgHdr addr iov n cmsgs $ \m ->
  messageTransfer False fd (pure ()) (SendMsgOp fd m flags) >>= throwIfNegative name

recvMsgAs :: String -> Fd -> [(Ptr Word8, Int)] -> Int -> CInt -> IO (Maybe NS.SockAddr, Int, [NS.Cmsg], CInt)
recvMsgAs name fd bufs control flags
  | control < 0 = ioError (errnoToIOError name eINVAL Nothing Nothing)
  | otherwise = withIOVecs name bufs $ \iov n -> withRecvMsgHdr iov n control $ \h -> do
      k <- messageTransfer True fd (recvReset h) (RecvMsgOp fd (recvHdr h) flags) >>= throwIfNegative name
      (addr, items, got) <- recvPeek h
      pure (addr, k, items, got)

-- | Sends the @n@ bytes at @p@ to the address (@sendto(2)@: one datagram
-- on a datagram socket; a connected stream socket ignores the address or
-- refuses it with @EISCONN@, as the system call does). Returns the bytes
-- sent. Waits for room like 'sendBuf' (readiness in GHC's I/O manager,
-- then a send that finishes at once), so an interrupted wait has sent
-- nothing. Errors name @sendto@: @EMSGSIZE@ for a datagram too long,
-- @EAFNOSUPPORT@ for an address of another family...
sendBufTo :: Fd -> Ptr Word8 -> Int -> NS.SockAddr -> IO Int
sendBufTo fd p n addr = sendMsgAs "sendto" fd (Just addr) [(p, n)] [] 0

-- | Receives up to @n@ bytes into @p@ (@recvfrom(2)@: one datagram on a
-- datagram socket, its excess discarded) with the sender's address
-- ('Nothing' where none comes: a connected stream, an unbound Unix
-- sender). Waits like 'recvBuf': an interrupted wait has taken nothing.
-- Errors name @recvfrom@.
recvBufFrom :: Fd -> Ptr Word8 -> Int -> IO (Int, Maybe NS.SockAddr)
recvBufFrom fd p n = do
  (addr, k, _, _) <- recvMsgAs "recvfrom" fd [(p, n)] 0 0
  pure (k, addr)

-- | @sendmsg(2)@: sends the buffers in order, to the address ('Nothing' on
-- a connected socket), with ancillary data (package network's 'NS.Cmsg':
-- @'NS.encodeCmsg' (fd :: 'Fd')@ passes a descriptor, as @SCM_RIGHTS@) and
-- @MSG_*@ flags ('msgOOB'...; @MSG_NOSIGNAL@ is always added). Returns the
-- bytes sent. Waits like 'sendBuf'. Errors name @sendmsg@.
sendMsg :: Fd -> Maybe NS.SockAddr -> [(Ptr Word8, Int)] -> [NS.Cmsg] -> CInt -> IO Int
sendMsg = sendMsgAs "sendmsg"

-- | @recvmsg(2)@: receives into the buffers in order, with room for
-- @control@ bytes of ancillary data (@'controlSpace' [4]@ for one
-- descriptor, 0 for none) and @MSG_*@ flags ('msgPEEK', 'msgWAITALL',
-- 'msgCMSGCLOEXEC'...). Returns the sender's address ('Nothing' where none
-- comes), the bytes received (0 once a stream's peer has shut down), the
-- ancillary data items (read them with 'NS.decodeCmsg'; descriptors
-- received are the caller's to close) and the message's flags
-- ('msgTRUNC': a datagram longer than the buffers, 'msgCTRUNC': ancillary
-- data that did not fit, whose descriptors the kernel closed). Waits like
-- 'recvBuf'. Errors name @recvmsg@.
recvMsg :: Fd -> [(Ptr Word8, Int)] -> Int -> CInt -> IO (Maybe NS.SockAddr, Int, [NS.Cmsg], CInt)
recvMsg = recvMsgAs "recvmsg"

-- | A new socket (@socket(2)@ on the engine) of package network's family,
-- type and protocol (0: the default), in 'sockNONBLOCK' and 'sockCLOEXEC'
-- mode like network's sockets; the descriptor is the caller's. Errors
-- name @socket@: @EAFNOSUPPORT@, @EPROTONOSUPPORT@, @EINVAL@...; @ENOSYS@
-- on io_uring before Linux 5.19 (see 'opSupported').
socket :: NS.Family -> NS.SocketType -> NS.ProtocolNumber -> IO Fd
socket family (NS.GeneralSocketType kind) protocol =
  Fd . fromIntegral <$> run (SocketOp (NS.packFamily family) (kind .|. sockNONBLOCK .|. sockCLOEXEC) protocol)

-- | Gives the socket an address (@bind(2)@). Errors name @bind@:
-- @EADDRINUSE@, @EACCES@, @EINVAL@ (bound already)...; @ENOSYS@ on io_uring
-- before Linux 6.11 (see 'opSupported').
bind :: Fd -> NS.SockAddr -> IO ()
bind fd addr = allocaBytes size $ \p -> do
  NSA.pokeSocketAddress p addr
  () <$ run (BindOp fd (castPtr p) (fromIntegral size))
  where
    size = NSA.sizeOfSocketAddress addr

-- | Makes the socket accept connections, with up to @backlog@ waiting
-- (@listen(2)@, capped at @net.core.somaxconn@). Errors name @listen@:
-- @EOPNOTSUPP@ for a datagram socket...; @ENOSYS@ on io_uring before
-- Linux 6.11.
listen :: Fd -> Int -> IO ()
listen fd backlog = () <$ run (ListenOp fd (fromIntegral (max 0 (min (fromIntegral (maxBound :: CInt)) backlog))))

-- | Sends the whole ByteString to the address as 'sendBufTo' does; the
-- bytes sent (all of a datagram, or @EMSGSIZE@), like network's
-- @Network.Socket.ByteString.sendTo@.
sendTo :: NS.Socket -> B.ByteString -> NS.SockAddr -> IO Int
sendTo s bs addr = NS.withFdSocket s $ \fd ->
  BU.unsafeUseAsCStringLen bs $ \(p, n) -> sendBufTo (Fd fd) (castPtr p) n addr

-- | Receives up to @n@ bytes and the sender's address, like network's
-- @Network.Socket.ByteString.recvFrom@ (one datagram on a datagram socket;
-- where no address comes, the connected peer's, and for an unbound Unix
-- sender the unnamed @'NS.SockAddrUnix' ""@). An asynchronous exception
-- never takes a datagram with it: one that arrives while it is received is
-- raised afterwards and the datagram waits for the next 'recvFrom' on the
-- socket, as 'recv' keeps bytes.
recvFrom :: NS.Socket -> Int -> IO (B.ByteString, NS.SockAddr)
recvFrom s n = do
  _ <- len32 "recvfrom" n
  mask $ \restore -> do
    early <- takeKeptItem keptDatagrams s
    case early of
      Just d -> pure d
      Nothing -> do
        (bs, addr) <- NS.withFdSocket s $ \fd -> BI.createAndTrim' n $ \p -> do
          (k, a) <- recvBufFrom (Fd fd) p n
          pure (0, k, a)
        sender <- maybe (either (const (NS.SockAddrUnix "")) id <$> tryPeer) pure addr
        let d = (bs, sender)
        restore (pure ()) `onException` keepItems keptDatagrams s [d]
        pure d
  where
    tryPeer = try (NS.getPeerName s) :: IO (Either SomeException NS.SockAddr)

-- | Passes a descriptor over a Unix socket (@SCM_RIGHTS@ with one byte of
-- data, as network's @sendFd@); the receiver gets its own descriptor for
-- the same open file, the sender's stays the sender's to close.
sendFd :: NS.Socket -> Fd -> IO ()
sendFd s fd = NS.withFdSocket s $ \sfd -> allocaBytes 1 $ \p -> do
  pokeByteOff p 0 (0 :: Word8)
  () <$ sendMsgAs "sendFd" (Fd sfd) Nothing [(p, 1)] [NS.encodeCmsg fd] 0

-- | Receives a descriptor passed with 'sendFd' (or any @SCM_RIGHTS@
-- message of up to 'maxFdsPerMessage' descriptors: the rest of them wait
-- for the next 'recvFd' on the socket), close-on-exec; it is the
-- caller's to close. Throws an 'IOError': end of file once the peer has
-- shut down, @userError@ for a message without a descriptor (its byte is
-- consumed). Interrupted like 'recvFrom': a descriptor received when the
-- exception came waits for the next 'recvFd'.
recvFd :: NS.Socket -> IO Fd
recvFd s = mask $ \restore -> do
  early <- takeKeptItem keptFds s
  case early of
    Just fd -> pure fd
    Nothing -> do
      (k, items) <- NS.withFdSocket s $ \sfd -> allocaBytes 1 $ \p -> do
        (_, k, items, _) <- recvMsgAs "recvFd" (Fd sfd) [(p, 1)] (controlSpace [4 * maxFdsPerMessage]) msgCMSGCLOEXEC
        pure (k, items)
      fds <- concat <$> mapM descriptors [c | c <- items, NS.cmsgId c == NS.CmsgIdFd]
      case fds of
        [] | k == 0 -> ioError (mkIOError eofErrorType "recvFd" Nothing Nothing)
           | otherwise -> ioError (userError "recvFd: the message carried no descriptor")
        first : rest -> do
          keepItems keptFds s rest
          restore (pure ()) `onException` keepItems keptFds s [first]
          pure first
  where
    descriptors c = BU.unsafeUseAsCStringLen (NS.cmsgData c) $ \(p, len) ->
      map (Fd . fromIntegral) <$> (peekArray (len `div` 4) (castPtr p) :: IO [Int32])

-- | The most descriptors 'recvFd' takes from one message (the kernel
-- closes those beyond it and reports 'msgCTRUNC').
maxFdsPerMessage :: Int
maxFdsPerMessage = 64

-- | A new 'NS.Socket' as 'socket' makes one (non-blocking, close-on-exec:
-- the same as network's @socket@ gives), created on the engine.
newSocket :: NS.Family -> NS.SocketType -> NS.ProtocolNumber -> IO NS.Socket
newSocket family kind protocol = mask_ $ do
  Fd fd <- socket family kind protocol
  NS.mkSocket fd

-- | 'bind' on a 'NS.Socket', like network's @bind@.
bindSocket :: NS.Socket -> NS.SockAddr -> IO ()
bindSocket s addr = NS.withFdSocket s $ \fd -> bind (Fd fd) addr

-- | 'listen' on a 'NS.Socket', like network's @listen@.
listenSocket :: NS.Socket -> Int -> IO ()
listenSocket s backlog = NS.withFdSocket s $ \fd -> listen (Fd fd) backlog

-- | Results an exception interrupted, by descriptor, with their
-- 'NS.Socket' (compared by identity, so a new socket that reuses the
-- number never sees them), for the next call of the same kind.
type KeptItems a = IORef (IM.IntMap (NS.Socket, [a]))

{-# NOINLINE keptDatagrams #-}
keptDatagrams :: KeptItems (B.ByteString, NS.SockAddr)
keptDatagrams = unsafePerformIO (newIORef IM.empty)

{-# NOINLINE keptConnections #-}
keptConnections :: KeptItems (Fd, NS.SockAddr)
keptConnections = unsafePerformIO (newIORef IM.empty)

{-# NOINLINE keptFds #-}
keptFds :: KeptItems Fd
keptFds = unsafePerformIO (newIORef IM.empty)

keepItems :: KeptItems a -> NS.Socket -> [a] -> IO ()
keepItems _ _ [] = pure ()
keepItems ref s xs = NS.withFdSocket s $ \fd -> atomicModifyIORef' ref $ \m ->
  (IM.alter (Just . add) (fromIntegral fd) m, ())
  where
    add (Just (s', old)) | s' == s = (s, old ++ xs)
    add _ = (s, xs)

takeKeptItem :: KeptItems a -> NS.Socket -> IO (Maybe a)
takeKeptItem ref s = do
  none <- IM.null <$> readIORef ref
  if none
    then pure Nothing
    else NS.withFdSocket s $ \fd -> atomicModifyIORef' ref $ \m -> case IM.lookup (fromIntegral fd) m of
      Just (s', x : rest)
        | s' == s -> (if null rest then IM.delete (fromIntegral fd) m else IM.insert (fromIntegral fd) (s, rest) m, Just x)
      -- Another socket's leftovers under a reused number: dropped.
      Just _ -> (IM.delete (fromIntegral fd) m, Nothing)
      Nothing -> (m, Nothing)
