{-# LANGUAGE BangPatterns #-}
-- | urb-bench: the Haskell side of bench/haskell/run. A benchmark, not a
-- test: it prints one line of @key=value@ figures per run.
--
--   urb-bench nop1 --side S [--ms MS]
--       one green thread (forkIO, not the bound main thread) makes NOP round
--       trips in a loop for MS ms after 2,000 warm-up calls; S is
--         async       System.IO.URingBridge.submitBlocking Nop
--                     (this capability's async ring; the thread sleeps on an MVar)
--         os          submitBlockingOS Nop (the OS thread's own ring, safe call)
--         ffi-safe    urb_nop() through a @safe@ import (this module)
--         ffi-unsafe  urb_nop() through an @unsafe@ import (this module)
--   urb-bench nopmany --side async|os [--threads N] [--warm-ms W] [--ms MS]
--       N green threads (default 1,000) each make NOPs in a loop; after W ms
--       of warm-up the NOPs started in the next MS ms are counted. Also reports
--       process CPU time and context switches (getrusage) per NOP, heap
--       allocation and GC CPU time per NOP (with +RTS -T), the OS threads
--       alive at the end and how many green threads made a NOP in the window.
--   urb-bench pingpong [--pairs P] [--ms MS]
--       P pairs of green threads (default 100) pass one byte back and forth
--       over two pipes with submitBlocking ReadOp/WriteOp: every read must
--       wait, so every round trip goes through the ring and the wake-up face
--       (URB_HS_WAIT=push or the default manager loop). Reports round trips
--       per second and process CPU time per round trip.
--   urb-bench transfer [--ms MS] [--rounds R] [--batch B]
--       the socket path one HTTP request costs, without the network stack's
--       waiting: on an AF_UNIX datagram socketpair, B (default 8) 100-byte
--       sends with sendAll, then B receives of up to 4,096 bytes with recv
--       (each finds its datagram queued: every transfer finishes on the
--       spot). Sides, interleaved in one process in slices of MS ms (order
--       rotating each of R rounds): network (package network's recv and
--       sendAll), uringbridge (System.IO.URingBridge's), before (this
--       module's replica of the binding's path before the one-call tries:
--       an allocated urb_op and result word, urb_prep_* and
--       urb_submit_nowait, createAndTrim's 4 KiB buffer). Prints each side's
--       CPU and wall ns per send+recv pair and bytes allocated per pair
--       (+RTS -T) for every slice ("slice ..." lines), then per side the
--       medians [min-max] over rounds ("transfer ..." lines).
module Main (main) where

import Control.Concurrent
import Control.Monad
import Data.IORef
import Data.Int (Int32, Int64)
import Data.Maybe (isNothing)
import Data.Word (Word64)
import Foreign.C.Types (CInt (..))
import Foreign.Marshal.Array (allocaArray, peekArray)
import Foreign.Ptr (Ptr)
import GHC.Clock (getMonotonicTimeNSec)
import GHC.Stats (RTSStats (..), getRTSStats, getRTSStatsEnabled)
import System.Directory (listDirectory)
import System.Environment (getArgs)
import System.Exit (exitFailure, exitSuccess)
import System.Posix.IO (createPipe)
import Foreign.Marshal.Alloc (allocaBytes)
import System.IO (hPutStrLn, stderr)
import Text.Printf (printf)

import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Op as UO
import qualified System.IO.URingBridge.Raw as UR
import Control.Exception (mask, mask_, onException)
import qualified Data.ByteString as B
import qualified Data.ByteString.Internal as BI
import qualified Data.ByteString.Unsafe as BU
import Data.List (sort)
import Foreign.Ptr (castPtr, plusPtr)
import Foreign.Storable (peekByteOff)
import qualified Network.Socket as NS
import qualified Network.Socket.ByteString as NSB
import System.Posix.Types (Fd (..))

foreign import ccall safe "urb_nop" c_nop_safe :: IO Int32
foreign import ccall unsafe "urb_nop" c_nop_unsafe :: IO Int32
foreign import ccall unsafe "getrusage" c_getrusage :: CInt -> Ptr Int64 -> IO CInt

data Usage = Usage {uCpuNs :: !Int64, uCtxsw :: !Int64}

-- | Process-wide CPU time and context switches (getrusage counts threads that
-- have exited too). struct rusage on 64-bit Linux: two timevals (ru_utime,
-- ru_stime: 2 longs each), then 14 longs, ru_nvcsw and ru_nivcsw the last two.
usage :: IO Usage
usage = allocaArray 18 $ \p -> do
  rc <- c_getrusage 0 p -- RUSAGE_SELF
  when (rc /= 0) $ hPutStrLn stderr "urb-bench: getrusage failed" >> exitFailure
  v <- peekArray 18 p
  let at i = v !! i
  pure (Usage ((at 0 + at 2) * 1000000000 + (at 1 + at 3) * 1000) (at 16 + at 17))

-- | The action under test, chosen once: behind a constructor, so that GHC's
-- state hack cannot push the string comparison into every call.
data Action = Action (IO Int32)

sideOp :: String -> Maybe Action
sideOp s = case s of
  "async" -> Just (Action (U.submitBlocking U.Nop))
  "os" -> Just (Action (U.submitBlockingOS U.Nop))
  "ffi-safe" -> Just (Action c_nop_safe)
  "ffi-unsafe" -> Just (Action c_nop_unsafe)
  _ -> Nothing

main :: IO ()
main = do
  args <- getArgs
  let opt k d = maybe d id (lookup k (zip args (drop 1 args)))
      side = opt "--side" "async"
  when (take 1 args == ["transfer"]) $ do
    transferBench (read (opt "--ms" "100")) (read (opt "--rounds" "15")) (read (opt "--batch" "8"))
    exitSuccess
  when (take 1 args == ["pingpong"]) $ do
    pingPong (read (opt "--pairs" "100")) (read (opt "--ms" "1000"))
    exitSuccess
  Action op <- case sideOp side of
    Just a -> pure a
    Nothing -> hPutStrLn stderr ("urb-bench: unknown side " ++ side) >> exitFailure
  case args of
    ("nop1" : _) -> nop1 side op (read (opt "--ms" "200"))
    ("nopmany" : _) ->
      nopMany side op (read (opt "--threads" "1000")) (read (opt "--warm-ms" "200")) (read (opt "--ms" "1000"))
    _ -> hPutStrLn stderr "usage: urb-bench nop1|nopmany --side S [--ms MS] [--threads N] [--warm-ms W]" >> exitFailure

check :: Int32 -> IO ()
check r = when (r /= 0) $ hPutStrLn stderr ("urb-bench: NOP returned " ++ show r) >> exitFailure

nop1 :: String -> IO Int32 -> Double -> IO ()
nop1 side op ms = do
  done <- newEmptyMVar
  _ <- forkIO $ do
    replicateM_ 2000 (op >>= check)
    t0 <- getMonotonicTimeNSec
    let limit = t0 + round (ms * 1e6)
        chunk :: Int -> IO ()
        chunk 0 = pure ()
        chunk k = op >>= check >> chunk (k - 1)
        go !ops = do
          chunk 256
          t <- getMonotonicTimeNSec
          if t < limit then go (ops + 256) else putMVar done (ops + 256, t - t0)
    go (0 :: Int)
  (ops, ns) <- takeMVar done
  printf "side=%s ns_per_op=%.1f ops=%d backend=%s\n" side (fromIntegral ns / fromIntegral ops :: Double) ops U.backendName

-- | The window is kept by the worker threads themselves, not by the main
-- thread: a thread that the scheduler preempts (with submitBlockingOS each
-- thread keeps its capability for a whole 20 ms time slice, so the run queue
-- of 1,000 threads takes seconds to come round) would read the counters and
-- the clock seconds apart. Each thread reads the clock before every chunk of
-- 8 requests, counts the requests it starts inside [warm-up end, window end)
-- and exits at the first look past the end; the first thread to cross each
-- boundary snapshots CPU time, context switches and RTS stats.
nopMany :: String -> IO Int32 -> Int -> Int -> Int -> IO ()
nopMany side op nthreads warmMs ms = do
  -- Every thread waits at the gate until all are forked: each forkIO asks
  -- for a context switch, and the main thread would otherwise queue behind
  -- every busy thread forked so far, once per fork.
  gate <- newEmptyMVar
  markWarm <- newIORef Nothing
  markEnd <- newIORef Nothing
  dones <- replicateM nthreads $ do
    done <- newEmptyMVar
    _ <- forkIO $ do
      (tWarm, tEnd) <- readMVar gate
      let chunk :: Int -> IO ()
          chunk 0 = pure ()
          chunk k = op >>= check >> chunk (k - 1)
          go !n !base = do
            t <- getMonotonicTimeNSec
            if t >= tEnd
              then mark markEnd t >> putMVar done (if base < 0 then 0 else n - base, n)
              else do
                base' <- if base < 0 && t >= tWarm then mark markWarm t >> pure n else pure base
                chunk 8
                go (n + 8) base'
      go (0 :: Int) (-1)
    pure done
  now <- getMonotonicTimeNSec
  let tWarm = now + fromIntegral warmMs * 1000000
      tEnd = tWarm + fromIntegral ms * 1000000
  putMVar gate (tWarm, tEnd)
  results <- mapM takeMVar dones
  tDone <- getMonotonicTimeNSec
  osThreads <- length <$> listDirectory "/proc/self/task"
  Just (Mark _ u0 s0) <- readIORef markWarm
  Just (Mark _ u1 s1) <- readIORef markEnd
  let ops = fromIntegral (sum (map fst results)) :: Double
      secs = fromIntegral (tEnd - tWarm) / 1e9 :: Double
  -- Allocation is counted at each GC: an approximation over many GCs.
  let perOp :: (RTSStats -> Double) -> String
      perOp f = maybe "n/a" (\(a, b) -> printf "%.1f" ((f b - f a) / ops)) ((,) <$> s0 <*> s1)
  printf "side=%s threads=%d ops_per_s=%.0f cpu_ns_per_op=%.1f ctxsw_per_op=%.4f alloc_bytes_per_op=%s gc_cpu_ns_per_op=%s os_threads=%d ops_total=%d threads_in_window=%d stop_ms=%.1f backend=%s\n"
    side nthreads (ops / secs)
    (fromIntegral (uCpuNs u1 - uCpuNs u0) / ops)
    (fromIntegral (uCtxsw u1 - uCtxsw u0) / ops)
    (perOp (fromIntegral . allocated_bytes))
    (perOp (fromIntegral . gc_cpu_ns))
    osThreads (sum (map snd results)) (length (filter ((> 0) . fst) results))
    (fromIntegral (tDone - tEnd) / 1e6 :: Double) U.backendName

data Mark = Mark !Word64 !Usage !(Maybe RTSStats)

-- | The first thread to cross a boundary records the snapshot.
mark :: IORef (Maybe Mark) -> Word64 -> IO ()
mark ref t = do
  seen <- readIORef ref
  when (isNothing seen) $ do
    m <- Mark t <$> usage <*> rtsStats
    atomicModifyIORef' ref (\old -> (maybe (Just m) Just old, ()))

rtsStats :: IO (Maybe RTSStats)
rtsStats = do
  on <- getRTSStatsEnabled
  if on then Just <$> getRTSStats else pure Nothing

pingPong :: Int -> Int -> IO ()
pingPong pairs ms = do
  stop <- newIORef False
  counts <- forM [1 .. pairs] $ \_ -> do
    (r1, w1) <- createPipe
    (r2, w2) <- createPipe
    count <- newIORef (0 :: Int)
    finished <- newEmptyMVar
    let io what act = act >>= \r -> when (r /= 1) (hPutStrLn stderr ("urb-bench: " ++ what ++ " gave " ++ show r) >> exitFailure)
        echo = allocaBytes 1 $ \p -> forever $ do
          io "read" (U.submitBlocking (U.ReadOp r1 p 1 U.offsetCurrent))
          io "write" (U.submitBlocking (U.WriteOp w2 p 1 U.offsetCurrent))
        ask = allocaBytes 1 $ \p -> do
          let go = do
                io "write" (U.submitBlocking (U.WriteOp w1 p 1 U.offsetCurrent))
                io "read" (U.submitBlocking (U.ReadOp r2 p 1 U.offsetCurrent))
                modifyIORef' count (+ 1)
                done <- readIORef stop
                if done then putMVar finished () else go
          go
    _ <- forkIO echo
    _ <- forkIO ask
    pure (count, finished)
  threadDelay 200000 -- warm-up
  c0 <- sum <$> mapM (readIORef . fst) counts
  u0 <- usage
  t0 <- getMonotonicTimeNSec
  threadDelay (ms * 1000)
  c1 <- sum <$> mapM (readIORef . fst) counts
  u1 <- usage
  t1 <- getMonotonicTimeNSec
  writeIORef stop True
  mapM_ (takeMVar . snd) counts
  let rts = fromIntegral (c1 - c0) :: Double
  printf "pairs=%d round_trips_per_s=%.0f cpu_ns_per_round_trip=%.0f ctxsw_per_round_trip=%.3f backend=%s\n"
    pairs (rts / (fromIntegral (t1 - t0) / 1e9)) (fromIntegral (uCpuNs u1 - uCpuNs u0) / rts)
    (fromIntegral (uCtxsw u1 - uCtxsw u0) / rts) U.backendName

-- | One side of @transfer@: a send of the whole ByteString, a receive.
data Transfer = Transfer String (B.ByteString -> IO ()) (IO B.ByteString)

transferBench :: Double -> Int -> Int -> IO ()
transferBench ms rounds batch = do
  (a, b) <- NS.socketPair NS.AF_UNIX NS.Datagram 0
  let msg = B.replicate 100 120
      sides =
        [ Transfer "network" (NSB.sendAll a) (NSB.recv b 4096)
        , Transfer "uringbridge" (U.sendAll a) (U.recv b 4096)
        , Transfer "before" (beforeSendAll a) (beforeRecv b 4096)
        ]
      pairs (Transfer _ send recv) = do
        replicateM_ batch (send msg)
        replicateM_ batch $ recv >>= \bs -> when (B.length bs /= 100) $
          hPutStrLn stderr ("urb-bench transfer: received " ++ show (B.length bs) ++ " bytes") >> exitFailure
      slice t = do
        s0 <- rtsStats
        u0 <- usage
        w0 <- getMonotonicTimeNSec
        let limit = w0 + round (ms * 1e6)
            go !n = do
              pairs t
              w <- getMonotonicTimeNSec
              if w < limit then go (n + batch) else pure (n + batch, w)
        (n, w1) <- go 0
        u1 <- usage
        s1 <- rtsStats
        let per x = fromIntegral x / fromIntegral n :: Double
            alloc = case (s0, s1) of
              (Just x, Just y) -> per (allocated_bytes y - allocated_bytes x)
              _ -> 0 / 0
        pure (per (uCpuNs u1 - uCpuNs u0), per (w1 - w0), alloc)
  forM_ sides $ \t -> replicateM_ 200 (pairs t) -- warm-up
  results <- forM [0 .. rounds - 1] $ \r -> do
    let k = r `mod` length sides
    forM (drop k sides ++ take k sides) $ \t@(Transfer name _ _) -> do
      v@(c, w, x) <- slice t
      printf "slice side=%s round=%d cpu_ns_per_pair=%.1f wall_ns_per_pair=%.1f alloc_bytes_per_pair=%.1f\n" name r c w x
      pure (name, v)
  let med xs = let ys = sort xs in ys !! (length ys `div` 2)
      fig xs = printf "%.0f [%.0f-%.0f]" (med xs) (minimum xs) (maximum xs) :: String
  forM_ sides $ \(Transfer name _ _) -> do
    let mine = [v | rs <- results, (n, v) <- rs, n == name]
        cpu = [c | (c, _, _) <- mine]
        wall = [w | (_, w, _) <- mine]
        alloc = [x | (_, _, x) <- mine]
    printf "transfer side=%s cpu_ns_per_pair=%s wall_ns_per_pair=%s alloc_bytes_per_pair=%s rounds=%d ms=%.0f batch=%d backend=%s\n"
      name (fig cpu) (fig wall) (fig alloc) rounds ms batch U.backendName

-- | The binding's send before the one-call tries, as it was: a urb_op and a
-- result word allocated per try, filled by urb_prep_send, then
-- urb_submit_nowait; readiness in GHC's I/O manager when it would wait.
beforeSendAll :: NS.Socket -> B.ByteString -> IO ()
beforeSendAll s bs = NS.withFdSocket s $ \fd -> BU.unsafeUseAsCStringLen bs $ \(p, n) ->
  let go q k = when (k > 0) $ do
        r <- beforeTry False (Fd fd) (UO.SendOp (Fd fd) q (fromIntegral k) 0)
        when (r < 0) $ ioError (userError ("send: " ++ show r))
        go (q `plusPtr` fromIntegral r) (k - fromIntegral r)
   in go (castPtr p) n

-- | The binding's recv before: createAndTrim's buffer of @n@ bytes, held for
-- the wait, and the same allocated urb_op per try.
beforeRecv :: NS.Socket -> Int -> IO B.ByteString
beforeRecv s n = mask $ \restore -> do
  bs <- NS.withFdSocket s $ \fd -> BI.createAndTrim n $ \p -> do
    r <- beforeTry True (Fd fd) (UO.RecvOp (Fd fd) p (fromIntegral n) 0)
    when (r < 0) $ ioError (userError ("recv: " ++ show r))
    pure (fromIntegral r)
  restore (pure ()) `onException` pure ()
  pure bs

beforeTry :: Bool -> Fd -> UO.Op -> IO Int32
beforeTry reading fd op = UO.withOp op $ \p -> allocaBytes 4 $ \out -> mask_ (again p out)
  where
    again p out = do
      done <- UR.c_submit_nowait p out
      if done == 1
        then peekByteOff out 0
        else (if reading then threadWaitRead else threadWaitWrite) fd >> again p out
