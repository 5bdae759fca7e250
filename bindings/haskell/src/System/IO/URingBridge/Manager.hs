{-# LANGUAGE RankNTypes #-}
-- | Green threads waiting on io_uring without blocking OS threads.
--
-- Each capability gets its own async ring, created on first use and owned by
-- a library thread, so GHC's worker threads may come and go while their
-- requests are in flight. A request is handed over with an @unsafe@ call (no
-- system call while the ring's owner is awake); the green thread then sleeps
-- on an MVar that the ring's completion callback fills with @hs_try_putmvar@
-- from the owner thread — no Haskell code runs there and no OS thread waits.
--
-- Why the push face and not the ring's eventfd with 'threadWaitRead': the
-- eventfd path wakes the IO manager, which wakes a reaping thread, which then
-- wakes each waiter — two extra hand-overs per batch; @hs_try_putmvar@ goes
-- straight from the owner thread to the waiting thread's capability.
-- Measured (HTTP example, +RTS -N1, ab -n 20000 -c 50 -k, 7 interleaved
-- rounds, 2026-11-23): a pull variant — a Haskell thread per capability
-- draining the ring with an unsafe call that ran hs_try_putmvar on the
-- capability's own OS thread, sleeping on the ring's fd through
-- threadWaitRead — served 0.95x the requests/s of this push face, so it
-- was not kept.
module System.IO.URingBridge.Manager
  ( submitBlocking
  , submitBlockingTimeout
  , submitChain
  ) where

import Control.Concurrent (myThreadId, threadCapability)
import Control.Concurrent.MVar
import Control.Exception (mask, onException, uninterruptibleMask_)
import Control.Monad (forM, forM_, when)
import Data.IORef
import Data.Int (Int32)
import qualified Data.IntMap.Strict as IM
import Data.Word (Word64)
import Foreign.C.Error (Errno (..), errnoToIOError)
import Foreign.C.Types (CInt)
import Foreign.Marshal.Alloc (alloca, allocaBytes)
import Foreign.Marshal.Array (allocaArray, pokeArray)
import Foreign.Ptr (Ptr, nullPtr, plusPtr, ptrToWordPtr)
import Foreign.StablePtr (StablePtr, freeStablePtr)
import Foreign.Storable (peek, peekByteOff, pokeByteOff)
import GHC.Conc (PrimMVar, newStablePtrPrimMVar)
import System.IO.Unsafe (unsafePerformIO)
import System.IO.URingBridge.Op
import System.IO.URingBridge.Raw

{-# NOINLINE rings #-}
-- | One ring per capability, for the life of the process.
rings :: IORef (IM.IntMap (Ptr URing))
rings = unsafePerformIO (newIORef IM.empty)

ringFor :: Int -> IO (Ptr URing)
ringFor cap = do
  known <- IM.lookup cap <$> readIORef rings
  case known of
    Just r -> pure r
    Nothing -> do
      fresh <- newRing
      (r, lost) <- atomicModifyIORef' rings $ \m -> case IM.lookup cap m of
        Just r' -> (m, (r', True))
        Nothing -> (IM.insert cap fresh m, (fresh, False))
      when lost (c_ring_free fresh)
      pure r

newRing :: IO (Ptr URing)
newRing = alloca $ \out -> do
  rc <- c_ring_new nullPtr out
  when (rc < 0) $ throwErrno "urb_ring_new" rc
  r <- peek out
  _ <- c_ring_set_callback r p_hs_urb_wake nullPtr
  pure r

throwErrno :: String -> Int32 -> IO a
throwErrno name rc = ioError (errnoToIOError name (Errno (fromIntegral (negate rc))) Nothing Nothing)

-- | Arms one wait record and returns the request token naming it.
arm :: Int -> Ptr Wait -> IO (Word64, MVar ())
arm cap w = do
  mv <- newEmptyMVar
  sp <- newStablePtrPrimMVar mv
  pokeByteOff w offWaitCapability (fromIntegral cap :: CInt)
  pokeByteOff w offWaitMVar sp
  pure (fromIntegral (ptrToWordPtr w), mv)

-- | Frees the stable pointer of a request that was never submitted (on
-- completion, @hs_try_putmvar@ frees it).
disarm :: Ptr Wait -> IO ()
disarm w = (peekByteOff w offWaitMVar :: IO (StablePtr PrimMVar)) >>= freeStablePtr

-- | Waits for every MVar in order. If interrupted, cancels every token and
-- still waits for all completions: the kernel must be done with the
-- requests' memory before the exception goes on.
awaitAll :: Ptr URing -> [(Word64, MVar ())] -> (forall a. IO a -> IO a) -> IO ()
awaitAll ring waits restore = do
  taken <- newIORef (0 :: Int)
  let waitAll = forM_ waits $ \(_, mv) -> takeMVar mv >> modifyIORef' taken (+ 1)
  restore waitAll `onException` uninterruptibleMask_ (do
    forM_ waits $ \(tok, _) -> c_ring_cancel ring tok
    done <- readIORef taken
    forM_ (drop done waits) $ \(_, mv) -> takeMVar mv)

-- | The URingManager's @submitBlocking@: performs the request on this
-- capability's ring; the calling green thread sleeps until it completes and
-- gets the CQE's result (@>= 0@, or @-errno@). An asynchronous exception
-- ('killThread', 'System.Timeout.timeout') cancels the request and waits for
-- its completion before propagating, so buffers are never written after the
-- call has returned.
submitBlocking :: Op -> IO Int32
submitBlocking op = withOp op $ \p -> nowOrLater p (submitOne (\ring tok -> c_ring_submit ring p tok))

-- | Like 'submitBlocking', bounded by a timeout in nanoseconds: @-ETIME@ when
-- the time ran out and the request was cancelled.
submitBlockingTimeout :: Word64 -> Op -> IO Int32
submitBlockingTimeout ns op = withOp op $ \p -> nowOrLater p (submitOne (\ring tok -> c_ring_submit_timeout ring p tok ns))

-- | Tries the request on the spot first, as GHC's own I/O manager tries the
-- system call before 'threadWaitRead': a receive with data waiting or a
-- send with room finishes in one @unsafe@ call on this OS thread (one
-- @io_uring_enter@, about the cost of C's @urb_nop@), where the trip through
-- the capability's ring costs two cross-thread wake-ups (several
-- microseconds). Only what would wait takes that trip. The C side never
-- leaves the request in flight, so a worker thread exiting later loses
-- nothing.
nowOrLater :: Ptr UrbOp -> IO Int32 -> IO Int32
nowOrLater p later = alloca $ \out -> do
  done <- c_submit_nowait p out
  if done == 1 then peek out else later

submitOne :: (Ptr URing -> Word64 -> IO Int32) -> IO Int32
submitOne submit = allocaBytes sizeOfWait $ \w -> mask $ \restore -> do
  (cap, _) <- threadCapability =<< myThreadId
  ring <- ringFor cap
  (tok, mv) <- arm cap w
  rc <- submit ring tok
  if rc < 0
    then disarm w >> pure rc
    else awaitAll ring [(tok, mv)] restore >> peekByteOff w offWaitRes

-- | A linked chain (@IOSQE_IO_LINK@): each request starts after the previous
-- one succeeded; after a failure the rest complete with @-ECANCELED@. Returns
-- every request's result. Throws an 'IOError' if the chain is refused as a
-- whole (bad request, too long).
submitChain :: [Op] -> IO [Int32]
submitChain [] = pure []
submitChain ops = withOps ops $ \p n ->
  allocaBytes (sizeOfWait * n) $ \ws -> allocaArray n $ \toks -> mask $ \restore -> do
    (cap, _) <- threadCapability =<< myThreadId
    ring <- ringFor cap
    let slots = [ws `plusPtr` (i * sizeOfWait) | i <- [0 .. n - 1]]
    waits <- mapM (arm cap) slots
    pokeArray toks (map fst waits)
    rc <- c_ring_submit_chain ring p (fromIntegral n) toks
    if rc < 0
      then mapM_ disarm slots >> throwErrno "submitChain" rc
      else do
        awaitAll ring waits restore
        forM slots $ \w -> peekByteOff w offWaitRes
