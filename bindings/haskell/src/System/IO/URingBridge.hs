-- | io_uring for green threads, through the uringbridge C library.
--
-- @
-- import qualified System.IO.URingBridge as U
-- n <- U.recvBuf fd ptr 4096     -- the green thread sleeps; no OS thread is blocked
-- U.submitBlocking (U.SleepOp 1000000)
-- @
--
-- Every operation runs on io_uring where the kernel allows it and on the
-- library's fallback engine otherwise ('backendName' says which); results
-- are the same. Failures are 'IOError's carrying the errno and the
-- operation's name.
module System.IO.URingBridge
  ( -- * Engine
    supportsIOURing
  , backendName
  , version
    -- * Requests
  , Op (..)
  , submitBlocking
  , submitBlockingTimeout
  , submitChain
  , submitBlockingOS
  , strerror
  , offsetCurrent
    -- * Typed operations
  , readBuf
  , writeBuf
  , recvBuf
  , sendBuf
  , sendAllBuf
  , accept
  , connect
  , openFile
  , closeFd
  , fsync
  , sleep
    -- * Sockets and ByteStrings
  , recv
  , sendAll
  , acceptSocket
  ) where

import Control.Monad (when)
import qualified Data.ByteString as B
import qualified Data.ByteString.Internal as BI
import qualified Data.ByteString.Unsafe as BU
import Data.Int (Int32)
import Data.Word (Word32, Word64, Word8)
import Foreign.C.Error (Errno (..), errnoToIOError)
import Foreign.C.String (peekCString, withCString)
import Foreign.C.Types (CInt)
import Foreign.Ptr (Ptr, castPtr, plusPtr)
import qualified Network.Socket as NS
import System.IO.Unsafe (unsafePerformIO)
import System.IO.URingBridge.Manager
import System.IO.URingBridge.Op
import System.IO.URingBridge.Raw
import System.Posix.Types (Fd (..))

-- | True when requests in this process run on io_uring.
supportsIOURing :: Bool
supportsIOURing = unsafePerformIO c_supported
{-# NOINLINE supportsIOURing #-}

-- | @"io_uring"@ or @"fallback"@.
backendName :: String
backendName = unsafePerformIO (c_backend_name >>= peekCString)
{-# NOINLINE backendName #-}

version :: String
version = unsafePerformIO (c_version >>= peekCString)
{-# NOINLINE version #-}

-- | The library's text for a result (@"success"@ for @>= 0@).
strerror :: Int32 -> String
strerror r = unsafePerformIO (c_strerror r >>= peekCString)

-- | The same request on the calling OS thread's own ring, through a @safe@
-- call: the capability is released while the OS thread waits. For bound
-- threads and foreign callers; green threads want 'submitBlocking'.
submitBlockingOS :: Op -> IO Int32
submitBlockingOS op = withOp op c_submit_blocking

check :: String -> Int32 -> IO Int
check name r
  | r < 0 = ioError (errnoToIOError name (Errno (fromIntegral (negate r))) Nothing Nothing)
  | otherwise = pure (fromIntegral r)

run :: Op -> IO Int
run op = submitBlocking op >>= check (opName op)

len32 :: Int -> Word32
len32 = fromIntegral . min (fromIntegral (maxBound :: Int32))

-- | Reads up to @n@ bytes at @offset@ ('offsetCurrent': the file position).
-- Returns the bytes read, 0 at end of file.
readBuf :: Fd -> Ptr Word8 -> Int -> Word64 -> IO Int
readBuf fd p n off = run (ReadOp fd p (len32 n) off)

writeBuf :: Fd -> Ptr Word8 -> Int -> Word64 -> IO Int
writeBuf fd p n off = run (WriteOp fd p (len32 n) off)

recvBuf :: Fd -> Ptr Word8 -> Int -> IO Int
recvBuf fd p n = run (RecvOp fd p (len32 n) 0)

sendBuf :: Fd -> Ptr Word8 -> Int -> IO Int
sendBuf fd p n = run (SendOp fd p (len32 n) 0)

-- | Sends all @n@ bytes, however many sends it takes.
sendAllBuf :: Fd -> Ptr Word8 -> Int -> IO ()
sendAllBuf fd p n = when (n > 0) $ do
  sent <- sendBuf fd p n
  sendAllBuf fd (p `plusPtr` sent) (n - sent)

-- | Accepts a connection (close-on-exec). The new descriptor is the caller's.
accept :: Fd -> IO Fd
accept fd = fromIntegral <$> run (AcceptOp fd sockCloexec)
  where
    sockCloexec = 0o2000000 :: CInt

connect :: Fd -> Ptr () -> Int -> IO ()
connect fd addr n = () <$ run (ConnectOp fd addr (fromIntegral n))

-- | Opens a file (@O_*@ flags, mode for @O_CREAT@). The descriptor is the caller's.
openFile :: FilePath -> CInt -> Word32 -> IO Fd
openFile path flags mode = withCString path $ \c ->
  submitBlocking (OpenOp c flags mode) >>= fmap fromIntegral . check ("openat " ++ path)

closeFd :: Fd -> IO ()
closeFd fd = () <$ run (CloseOp fd)

fsync :: Fd -> IO ()
fsync fd = () <$ run (FsyncOp fd False)

-- | Sleeps on the engine's timer (microseconds, like 'threadDelay').
sleep :: Int -> IO ()
sleep us = () <$ run (SleepOp (fromIntegral us * 1000))

-- | Receives up to @n@ bytes from a socket; empty at end of stream.
recv :: NS.Socket -> Int -> IO B.ByteString
recv s n = NS.withFdSocket s $ \fd ->
  BI.createAndTrim n $ \p -> recvBuf (Fd fd) p n

-- | Sends the whole ByteString.
sendAll :: NS.Socket -> B.ByteString -> IO ()
sendAll s bs = NS.withFdSocket s $ \fd ->
  BU.unsafeUseAsCStringLen bs $ \(p, n) -> sendAllBuf (Fd fd) (castPtr p) n

-- | Accepts a connection on a listening socket as a 'NS.Socket'.
acceptSocket :: NS.Socket -> IO NS.Socket
acceptSocket s = NS.withFdSocket s $ \fd -> do
  Fd c <- accept (Fd fd)
  NS.mkSocket c
