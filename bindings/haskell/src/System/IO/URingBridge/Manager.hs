-- | Green threads waiting on io_uring without blocking OS threads.
--
-- Each capability gets its own async ring, created on first use and owned by
-- a library thread, so GHC's worker threads may come and go while their
-- requests are in flight (a request whose submitting thread exits dies in the
-- kernel; the ring's owner never exits).
--
-- Every request goes through @urb_ring_submit_try@, one @unsafe@ call: what
-- can finish at once (a NOP, a receive with data waiting, a send with room,
-- an accept with a connection queued, a cached file read) finishes on this
-- OS thread and the call returns its result — no MVar, no stable pointer, no
-- other thread involved. Only what must wait is handed to the ring; the
-- green thread then arms a wait record (an MVar behind a stable pointer) and
-- sleeps on it, and the ring's completion callback wakes it with
-- @hs_try_putmvar@ straight from the owner thread. A completion that comes
-- before the waiter has armed leaves its result in the record (the record's
-- state word settles the race, see @cbits/hs_uringbridge.h@).
--
-- What was tried and not kept. A per-capability manager thread in the style
-- of GHC's event manager (@GHC.Event.Manager@): completions reaped with
-- @urb_ring_reap@ in an @unsafe@ call, waiters woken from Haskell, 'Control.Concurrent.yield',
-- reap again, block on the ring's eventfd with 'GHC.Conc.threadWaitRead'
-- only when idle; tokens were plain counters, waiters in an @IntMap@.
-- Measured against this push face with @urb-bench pingpong --pairs 100 --ms
-- 1000@ (every read waits on the ring; 3 interleaved rounds, medians,
-- 2026-12-01, 2 cores under a load average of 9):
--
-- >                     round trips/s      CPU per round trip
-- > push, +RTS -N1        55,262              7.1 us
-- > manager, +RTS -N1     29,269             10.6 us
-- > push, +RTS -N2        73,571              7.6 us
-- > manager, +RTS -N2     44,400             10.3 us
--
-- The manager's wake-up crosses more threads (owner → eventfd → GHC's I/O
-- manager → the manager thread → the waiter), where the push face goes from
-- the owner straight to the waiter's capability; on the HTTP example it was
-- no better (the package README has those figures). Sockets do not wait here
-- at all: the typed socket operations wait for readiness in GHC's own I/O
-- manager and then move the bytes with a request that finishes on the spot
-- (see "System.IO.URingBridge").
module System.IO.URingBridge.Manager
  ( submitBlocking
  , submitBlockingKeeping
  , submitBlockingTimeout
  , submitChain
  , submitBatch
  , requireThreaded
    -- * Rings of one's own
  , newAsyncRing
  , submitOnRing
  ) where

import Control.Concurrent (myThreadId, rtsSupportsBoundThreads, threadCapability)
import Control.Concurrent.MVar
import Control.Exception (mask_, onException, uninterruptibleMask_)
import Control.Monad (forM, forM_, when)
import Data.IORef
import Data.Int (Int32)
import qualified Data.IntMap.Strict as IM
import Data.Word (Word64)
import Foreign.C.Error (Errno (..), errnoToIOError)
import Foreign.Marshal.Alloc (alloca, allocaBytes)
import Foreign.Marshal.Array (allocaArray, pokeArray)
import Foreign.Ptr (Ptr, nullPtr, plusPtr, ptrToWordPtr)
import Foreign.StablePtr (freeStablePtr)
import Foreign.Storable (peek, peekByteOff)
import GHC.Conc (newStablePtrPrimMVar)
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
      fresh <- newAsyncRing
      (r, lost) <- atomicModifyIORef' rings $ \m -> case IM.lookup cap m of
        Just r' -> (m, (r', True))
        Nothing -> (IM.insert cap fresh m, (fresh, False))
      when lost (c_ring_free fresh)
      pure r

-- | A new async ring whose completions wake the green threads waiting on
-- it (as every capability's ring does); 'c_ring_free' frees it.
newAsyncRing :: IO (Ptr URing)
newAsyncRing = alloca $ \out -> do
  requireThreaded
  rc <- c_ring_new nullPtr out
  when (rc < 0) $ throwErrno "urb_ring_new" rc
  r <- peek out
  _ <- c_ring_set_callback r p_hs_urb_wake nullPtr
  pure r

-- | The binding needs GHC's threaded RTS (@ghc -threaded@): completions
-- arrive on the ring's owner thread, which wakes Haskell threads with
-- @hs_try_putmvar@, and the non-threaded RTS cannot be entered from another
-- OS thread. Without it, every request on the async rings (and the socket
-- calls and "System.IO.URingBridge.Readiness"'s @threadWaitRead@, whose
-- poller would stop the whole program) fails with this 'IOError'
-- ('userError') instead of corrupting or hanging the RTS. The per-OS-thread
-- face (@submitBlockingOS@, @submitChainOS@) works there.
requireThreaded :: IO ()
requireThreaded =
  when (not rtsSupportsBoundThreads) $
    ioError (userError "uringbridge: this program was linked without -threaded; System.IO.URingBridge needs GHC's threaded RTS (link with ghc -threaded)")

throwErrno :: String -> Int32 -> IO a
throwErrno name rc = ioError (errnoToIOError name (Errno (fromIntegral (negate rc))) Nothing Nothing)

-- | The capability the calling thread runs on, and its ring.
myRing :: IO (Int, Ptr URing)
myRing = do
  (cap, _) <- threadCapability =<< myThreadId
  r <- ringFor cap
  pure (cap, r)

tokenOf :: Ptr Wait -> Word64
tokenOf w = fromIntegral (ptrToWordPtr w)

-- | A request the ring took, and how to take its result: arms the wait
-- record and returns the blocking take (interruptible; the callers run
-- masked, so an asynchronous exception can arrive only while it blocks,
-- never after it took the result).
data Pending = Pending !Word64 (IO Int32)

armed :: Int -> Ptr Wait -> IO Pending
armed cap w = do
  mv <- newEmptyMVar
  sp <- newStablePtrPrimMVar mv
  ok <- c_wait_arm w (fromIntegral cap) sp
  let result = peekByteOff w offWaitRes
  if ok == 1
    then pure (Pending (tokenOf w) (takeMVar mv >> result))
    else freeStablePtr sp >> pure (Pending (tokenOf w) result)

-- | Takes every result in order. If interrupted, cancels every request not
-- yet taken and still waits for their completions, uninterruptibly: the
-- kernel must be done with the requests' memory before the exception goes
-- on. Runs masked, so no exception can fall between a take that returned
-- and the next step (an exception landing there was what made the handler
-- wait on an emptied MVar: BlockedIndefinitelyOnMVar, or a hang with -I0).
--
-- @completedAnyway@ gets the result of each request that an interruption
-- cancelled too late (it completed with @>= 0@ before the cancellation
-- reached it), before the exception goes on.
awaitAll :: Ptr URing -> (Int32 -> IO ()) -> [Pending] -> IO [Int32]
awaitAll ring completedAnyway = go []
  where
    go acc [] = pure (reverse acc)
    go acc ps@(Pending _ takeRes : rest) = do
      r <- takeRes `onException` uninterruptibleMask_ (do
        forM_ ps $ \(Pending tok _) -> c_ring_cancel ring tok
        forM_ ps $ \(Pending _ t) -> t >>= \late -> when (late >= 0) (completedAnyway late))
      go (r : acc) rest

-- | For results nobody needs once interrupted.
dropLate :: Int32 -> IO ()
dropLate _ = pure ()

-- | Performs the request and returns its result (@>= 0@, or @-errno@); the
-- calling green thread sleeps, no OS thread waits. An asynchronous exception
-- ('Control.Concurrent.killThread', 'System.Timeout.timeout') cancels the request and waits for
-- its completion before propagating, so buffers are never written after the
-- call has returned. A request that completed anyway is then lost to the
-- caller (a read's bytes, an accepted connection): for sockets, the typed
-- operations of "System.IO.URingBridge" wait for readiness instead, which
-- takes nothing when interrupted.
submitBlocking :: Op -> IO Int32
submitBlocking = submitBlockingKeeping dropLate

-- | 'submitBlocking' for a request whose success must not be lost to an
-- interruption: when an asynchronous exception cancels it too late (it
-- had completed, e.g. an accept had taken a connection), @completedAnyway@
-- runs with its result (@>= 0@; masked, before the exception goes on), so
-- the caller can keep or release what the request made.
submitBlockingKeeping :: (Int32 -> IO ()) -> Op -> IO Int32
submitBlockingKeeping completedAnyway = submitTo myRing completedAnyway

-- | 'submitBlocking' on the given ring rather than the capability's (a
-- ring with registered buffers or files: "System.IO.URingBridge.Ring").
submitOnRing :: Ptr URing -> Op -> IO Int32
submitOnRing ring = submitTo (myCapability >>= \cap -> pure (cap, ring)) dropLate
  where
    myCapability = fst <$> (threadCapability =<< myThreadId)

submitTo :: IO (Int, Ptr URing) -> (Int32 -> IO ()) -> Op -> IO Int32
submitTo which completedAnyway op = withOp op $ \p -> allocaBytes sizeOfWait $ \w -> alloca $ \out -> mask_ $ do
  (cap, ring) <- which
  c_wait_init w
  rc <- c_ring_submit_try ring p (tokenOf w) out
  case rc of
    1 -> peek out
    0 -> armed cap w >>= \pd -> head <$> awaitAll ring completedAnyway [pd]
    _ -> pure rc

-- | Like 'submitBlocking', bounded by a timeout in microseconds: @-ETIME@
-- when the time ran out and the request was cancelled. (Always handed to
-- the ring, whose timer bounds it.)
submitBlockingTimeout :: Word64 -> Op -> IO Int32
submitBlockingTimeout us op = withOp op $ \p -> allocaBytes sizeOfWait $ \w -> mask_ $ do
  (cap, ring) <- myRing
  c_wait_init w
  rc <- c_ring_submit_timeout ring p (tokenOf w) (usToNs us)
  if rc < 0 then pure rc else armed cap w >>= \pd -> head <$> awaitAll ring dropLate [pd]

-- | A linked chain (@IOSQE_IO_LINK@): each request starts after the previous
-- one succeeded; after a failure the rest complete with @-ECANCELED@. Returns
-- every request's result. Throws an 'IOError' if the chain is refused as a
-- whole (bad request, too long).
submitChain :: [Op] -> IO [Int32]
submitChain [] = pure []
submitChain ops = withOps ops $ \p n ->
  allocaBytes (sizeOfWait * n) $ \ws -> allocaArray n $ \toks -> mask_ $ do
    (cap, ring) <- myRing
    let slots = [ws `plusPtr` (i * sizeOfWait) | i <- [0 .. n - 1]]
    mapM_ c_wait_init slots
    pokeArray toks (map tokenOf slots)
    rc <- c_ring_submit_chain ring p (fromIntegral n) toks
    when (rc < 0) $ throwErrno "submitChain" rc
    mapM (armed cap) slots >>= awaitAll ring dropLate

-- | Many independent requests at once (the model is blockio-uring's
-- @submitIO@): each is tried on the spot, the rest are in flight together,
-- and the call returns when all have completed, with every result in the
-- order of the requests (@>= 0@, or @-errno@: one request's failure does not
-- affect the others; a request the library refuses shows its @-errno@). An
-- asynchronous exception cancels those still in flight and waits for them,
-- as 'submitBlocking' does.
submitBatch :: [Op] -> IO [Int32]
submitBatch [] = pure []
submitBatch ops = withOps ops $ \p n -> allocaBytes (sizeOfWait * n) $ \ws -> alloca $ \out -> mask_ $ do
  (cap, ring) <- myRing
  -- Left: finished (or refused) at once; Right: in flight.
  states <- forM [0 .. n - 1] $ \i -> do
    let w = ws `plusPtr` (i * sizeOfWait)
    c_wait_init w
    rc <- c_ring_submit_try ring (p `plusPtr` (i * sizeOfOp)) (tokenOf w) out
    case rc of
      1 -> Left <$> peek out
      0 -> pure (Right w)
      _ -> pure (Left rc)
  -- Armed only after every request is in flight, so they run together.
  results <- mapM (armed cap) [w | Right w <- states] >>= awaitAll ring dropLate
  pure (merge states results)
  where
    merge (Left r : rest) rs = r : merge rest rs
    merge (Right _ : rest) (r : rs) = r : merge rest rs
    merge _ _ = []
