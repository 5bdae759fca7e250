-- | An async ring of one's own, for what belongs to a ring: registered
-- buffers ('ReadFixedOp', 'WriteFixedOp') and registered files
-- ('FixedFileOp'). The capabilities' rings that 'System.IO.URingBridge.submitBlocking'
-- uses are shared by every thread of the program, and a green thread may
-- move between capabilities, so registrations live on a 'Ring' the caller
-- made, and the requests that use them go to it with 'submitRing'.
--
-- @
-- 'withRing' $ \\ring -> do
--   [buf] <- 'registerBuffers' ring [65536]
--   n <- withForeignPtr buf $ \\p -> 'submitRing' ring ('ReadFixedOp' fd p 65536 0 0)
-- @
--
-- The zero-copy sends ('SendZcOp', 'SendmsgZcOp') need no registration and
-- work on every async ring, this one or 'System.IO.URingBridge.submitBlocking''s.
module System.IO.URingBridge.Ring
  ( Ring
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
  ) where

import Control.Concurrent (threadDelay)
import Control.Concurrent.MVar
import Control.Exception (bracket, finally, mask, mask_)
import Control.Monad (forM_, unless, when)
import Data.IORef
import Data.Int (Int32)
import Data.Word (Word64, Word8)
import Foreign.C.Error (Errno (..), eBADF, eINVAL, errnoToIOError)
import Foreign.C.Types (CSize)
import Foreign.ForeignPtr (ForeignPtr, touchForeignPtr, withForeignPtr)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Marshal.Array (withArrayLen)
import Foreign.Ptr (Ptr, nullPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)
import GHC.ForeignPtr (mallocPlainForeignPtrBytes)
import System.IO.URingBridge.Manager (newAsyncRing, submitOnRing)
import System.IO.URingBridge.Op
import System.IO.URingBridge.Raw
import System.Posix.Types (Fd (..))

-- | An async ring and what is registered on it. Its registered buffers'
-- memory is held here, so it stays alive (and, being pinned, in place)
-- for as long as the ring may use it.
data Ring = Ring
  { ringPtr :: !(Ptr URing)
  , ringUse :: !(IORef (Bool, Int))
    -- ^ open, and the calls using the ring right now ('closeRing' waits
    -- for them before freeing it)
  , ringBuffers :: !(IORef [ForeignPtr Word8])
  , ringRegistering :: !(MVar ())
    -- ^ one (un)registration at a time, so 'ringBuffers' is what the ring has
  }

-- | A new async ring (on the engine the process uses; needs the threaded
-- RTS, as every async ring does). Close it with 'closeRing', or use 'withRing'.
newRing :: IO Ring
newRing = mask_ $ do
  p <- newAsyncRing
  Ring p <$> newIORef (True, 0) <*> newIORef [] <*> newMVar ()

-- | Frees the ring: unregisters what is registered and releases the
-- buffers' memory to the garbage collector. It first waits until no call
-- uses the ring, so requests in flight on it must end first (a thread
-- killed in 'submitRing' cancels its request and waits for it). Calls on a
-- closed ring fail with @EBADF@; closing again does nothing.
closeRing :: Ring -> IO ()
closeRing ring = withMVar (ringRegistering ring) $ \() -> do
  wasOpen <- atomicModifyIORef' (ringUse ring) (\(open, n) -> ((False, n), open))
  when wasOpen $ do
    let drained = do
          (_, n) <- readIORef (ringUse ring)
          unless (n == 0) (threadDelay 1000 >> drained)
    drained
    c_ring_free (ringPtr ring)
    -- Only now may the garbage collector have the registered memory.
    readIORef (ringBuffers ring) >>= mapM_ touchForeignPtr
    writeIORef (ringBuffers ring) []

-- | 'newRing' and 'closeRing' around an action.
withRing :: (Ring -> IO a) -> IO a
withRing = bracket newRing closeRing

-- | The action with the ring counted as in use, or @Nothing@ on a closed ring.
using :: Ring -> IO a -> IO (Maybe a)
using ring act = mask $ \restore -> do
  ok <- atomicModifyIORef' (ringUse ring) $ \st@(open, n) ->
    if open then ((open, n + 1), True) else (st, False)
  if not ok
    then pure Nothing
    else (Just <$> restore act) `finally` atomicModifyIORef' (ringUse ring) (\(o, n) -> ((o, n - 1), ()))

-- | Performs the request on this ring, as 'System.IO.URingBridge.submitBlocking'
-- does on the capability's (the green thread sleeps; an asynchronous
-- exception cancels the request and waits for it). Returns the result
-- (@>= 0@, or @-errno@); @-EBADF@ on a closed ring.
submitRing :: Ring -> Op -> IO Int32
submitRing ring op = maybe closedResult id <$> using ring (submitOnRing (ringPtr ring) op)
  where
    Errno ebadf = eBADF
    closedResult = negate (fromIntegral ebadf)

-- | A registration call: its @-errno@ as an 'IOError' named after it.
registration :: String -> Ring -> IO Int32 -> IO ()
registration name ring act = do
  r <- using ring act
  case r of
    Nothing -> failWith eBADF
    Just rc -> when (rc < 0) (failWith (Errno (fromIntegral (negate rc))))
  where
    failWith e = ioError (errnoToIOError name e Nothing Nothing)

-- | Allocates one pinned buffer of each size given (in bytes) and registers
-- them with the ring (@urb_ring_register_buffers@): 'ReadFixedOp' and
-- 'WriteFixedOp' name them by their place in the list, and their memory
-- (from 'withForeignPtr') must lie inside the buffer named. A size of 0
-- is an empty slot (requests naming it get @-EFAULT@).
--
-- Lifetime: the ring keeps the buffers alive (the memory is pinned: the
-- garbage collector never moves it) until 'unregisterBuffers' succeeds or
-- the ring is closed, whatever the caller does with the 'ForeignPtr's
-- returned; after that they are ordinary memory, which a request can no
-- longer use (@-EFAULT@).
--
-- Errors ('IOError', named @urb_ring_register_buffers@, on both engines):
-- @EBUSY@ (buffers are registered already: unregister first), @EINVAL@ (no
-- buffers, more than 16384, a negative size), @EFAULT@ (a buffer above 1
-- GiB), @ENOMEM@ (the locked-memory limit), @EBADF@ (a closed ring).
registerBuffers :: Ring -> [Int] -> IO [ForeignPtr Word8]
registerBuffers ring sizes = withMVar (ringRegistering ring) $ \() -> do
  when (any (< 0) sizes) $ ioError (errnoToIOError name eINVAL Nothing Nothing)
  bufs <- mapM mallocPlainForeignPtrBytes sizes
  registration name ring $ allocaBytes (sizeOfIOVec * max 1 n) $ \iov -> withAll bufs $ \ptrs -> do
    forM_ (zip3 [0 ..] sizes ptrs) $ \(i, size, p) -> do
      pokeByteOff iov (i * sizeOfIOVec + offIOVecBase) (if size == 0 then nullPtr else p)
      pokeByteOff iov (i * sizeOfIOVec + offIOVecLen) (fromIntegral size :: CSize)
    c_ring_register_buffers (ringPtr ring) iov (fromIntegral n)
  writeIORef (ringBuffers ring) bufs
  pure bufs
  where
    name = "urb_ring_register_buffers"
    n = length sizes
    withAll [] act = act []
    withAll (b : bs) act = withForeignPtr b $ \p -> withAll bs (act . (p :))

-- | Unregisters the ring's buffers (@urb_ring_unregister_buffers@); the
-- ring no longer holds their memory. Errors ('IOError'): @EBUSY@ while a
-- 'ReadFixedOp' or 'WriteFixedOp' of the ring is in flight (wait for it or
-- cancel it first: the kernel would otherwise still write into memory the
-- caller was told it got back), @ENXIO@ (none registered), @EBADF@ (a
-- closed ring).
unregisterBuffers :: Ring -> IO ()
unregisterBuffers ring = withMVar (ringRegistering ring) $ \() -> do
  registration "urb_ring_unregister_buffers" ring (c_ring_unregister_buffers (ringPtr ring))
  writeIORef (ringBuffers ring) []

-- | Registers descriptors with the ring (@urb_ring_register_files@): a
-- 'FixedFileOp' names one by its place in the list. The ring holds its own
-- reference to each file, so closing a descriptor once it is registered
-- leaves the registered file usable until 'unregisterFiles' or
-- 'closeRing'. @Fd (-1)@ is an empty slot (@-EBADF@ for requests naming
-- it). Errors ('IOError', on both engines): @EBUSY@ (files are registered
-- already), @EINVAL@ (an empty list), @EBADF@ (a descriptor that is not
-- open, or a closed ring), @EMFILE@ (more than @RLIMIT_NOFILE@).
registerFiles :: Ring -> [Fd] -> IO ()
registerFiles ring fds = withMVar (ringRegistering ring) $ \() ->
  registration "urb_ring_register_files" ring $
    withArrayLen (if null fds then [-1] else map (\(Fd fd) -> fromIntegral fd :: Int32) fds) $ \_ arr ->
      c_ring_register_files (ringPtr ring) arr (fromIntegral (length fds))

-- | Drops the ring's registered files (@urb_ring_unregister_files@).
-- Errors ('IOError'): @EBUSY@ while a 'FixedFileOp' of the ring is in
-- flight, @ENXIO@ (none registered), @EBADF@ (a closed ring).
unregisterFiles :: Ring -> IO ()
unregisterFiles ring = withMVar (ringRegistering ring) $ \() ->
  registration "urb_ring_unregister_files" ring (c_ring_unregister_files (ringPtr ring))

-- | A counter of @urb_ring_stats@ (0 on a closed ring).
statsField :: Int -> Ring -> IO Word64
statsField off ring = maybe 0 id <$> using ring (allocaBytes sizeOfStats $ \st -> do
  _ <- c_ring_stats (ringPtr ring) st
  peekByteOff st off)

-- | The completions the ring has delivered so far (a zero-copy send counts
-- once: the library folds the kernel's notification into its completion).
ringCompletions :: Ring -> IO Word64
ringCompletions = statsField offStatsCompletions

-- | The ring's requests in flight right now.
ringInFlight :: Ring -> IO Word64
ringInFlight = statsField offStatsInFlight
