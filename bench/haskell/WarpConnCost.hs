{-# LANGUAGE BangPatterns #-}
-- | A diagnostic, never a test: the socket path one keep-alive HTTP request
-- costs a Warp server, without HTTP and without waiting, Connection against
-- Connection. Three loopback TCP connections; per pair the peer sends 40
-- bytes (a request's size), the server side's connRecv takes them (they
-- are queued: no wait), its connSendAll sends 130 bytes, the peer reads
-- them. Sides, interleaved in slices of MS ms (the order reversing every
-- round):
--
--   warp   stock Warp's own Connection (socketConnection: package
--          network's sendAll, Warp's per-connection buffer pool and recv(2))
--   uring  Network.Wai.Handler.Warp.URingBridge.uringConnection
--   pool   uringConnection with connRecv replaced by stock Warp's receive
--          design over U.recvBuf (a per-connection 16 KiB buffer, slices of
--          it returned: no copy, no capability's scratch buffer), what that
--          design would save
--
-- Prints per side the process's CPU ns per pair (every capability: at -N2
-- the idle one's spinning too) and bytes allocated per pair (+RTS -T),
-- medians [min-max] over rounds. The peer's work is the same on every side.
--
--   bench/haskell/warp-conn-cost [ROUNDS [MS [SIDE]]]   (SIDE: warp, uring, pool, all)
module Main (main) where

import Control.Monad (forM, forM_, replicateM_, when)
import qualified Data.ByteString as B
import qualified Data.ByteString.Internal as BI
import qualified Data.ByteString.Unsafe as BU
import Data.IORef
import Data.List (sort)
import Foreign.ForeignPtr (withForeignPtr)
import Foreign.Marshal.Alloc (mallocBytes)
import Foreign.Ptr (plusPtr)
import GHC.Clock (getMonotonicTimeNSec)
import GHC.ForeignPtr (mallocPlainForeignPtrBytes)
import GHC.Stats (allocated_bytes, getRTSStats, getRTSStatsEnabled)
import qualified Network.Socket as NS
import qualified Network.Socket.ByteString as NSB
import Network.Wai.Handler.Warp (defaultSettings)
import Network.Wai.Handler.Warp.Internal (Connection (..), socketConnection)
import qualified Network.Wai.Handler.Warp.URingBridge as UW
import System.CPUTime (getCPUTime)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)
import System.Posix.Types (Fd (..))
import Text.Printf (printf)

import qualified System.IO.URingBridge as U

-- | uringConnection with stock Warp's receive: a per-connection buffer that
-- receives go into, each returning a slice of it; a new 16 KiB buffer once
-- less than 2 KiB is left (Warp's bufferSize and minBufferSize).
pooled :: NS.Socket -> IO Connection
pooled s = do
  c <- UW.uringConnection defaultSettings s
  ref <- newIORef B.empty
  let recv = do
        cur <- readIORef ref
        buf <-
          if B.length cur >= 2048
            then pure cur
            else (\fp -> BI.fromForeignPtr fp 0 16384) <$> mallocPlainForeignPtrBytes 16384
        let (fp, off, len) = BI.toForeignPtr buf
        k <- withForeignPtr fp $ \p -> NS.withFdSocket s $ \fd -> U.recvBuf (Fd fd) (p `plusPtr` off) len
        writeIORef ref (BU.unsafeDrop k buf)
        pure (BU.unsafeTake k buf)
  pure c {connRecv = recv}

main :: IO ()
main = do
  args <- getArgs
  let arg i d = if length args > i then args !! i else d
      rounds = read (arg 0 "15") :: Int
      ms = read (arg 1 "100") :: Double
      only = arg 2 "all"
  enabled <- getRTSStatsEnabled
  when (not enabled) $ hPutStrLn stderr "warp-conn-cost: run with +RTS -T" >> exitFailure
  listener <- NS.socket NS.AF_INET NS.Stream NS.defaultProtocol
  NS.bind listener (NS.SockAddrInet 0 (NS.tupleToHostAddress (127, 0, 0, 1)))
  NS.listen listener 8
  port <- NS.socketPort listener
  let connection make = do
        peer <- NS.socket NS.AF_INET NS.Stream NS.defaultProtocol
        NS.connect peer (NS.SockAddrInet port (NS.tupleToHostAddress (127, 0, 0, 1)))
        (s, _) <- NS.accept listener
        NS.setSocketOption s NS.NoDelay 1
        NS.setSocketOption peer NS.NoDelay 1
        c <- make s
        pure (peer, c)
  everySide <-
    mapM
      (\(name, make) -> (,) name <$> connection make)
      [("warp", socketConnection defaultSettings), ("uring", UW.uringConnection defaultSettings), ("pool", pooled)]
  let sides = [x | x@(name, _) <- everySide, only == "all" || only == name]
  buf <- mallocBytes 4096
  let request = B.replicate 40 65
      response = B.replicate 130 66
      pair (peer, c) = do
        NSB.sendAll peer request
        got <- connRecv c
        when (B.length got /= 40) $ hPutStrLn stderr ("warp-conn-cost: received " ++ show (B.length got)) >> exitFailure
        connSendAll c response
        k <- NS.recvBuf peer buf 4096
        when (k /= 130) $ hPutStrLn stderr ("warp-conn-cost: the peer received " ++ show k) >> exitFailure
      slice side = do
        a0 <- allocated_bytes <$> getRTSStats
        c0 <- getCPUTime
        w0 <- getMonotonicTimeNSec
        let limit = w0 + round (ms * 1e6)
            go !n = do
              pair side
              w <- getMonotonicTimeNSec
              if w < limit then go (n + 1) else pure n
        n <- go (1 :: Int)
        c1 <- getCPUTime
        a1 <- allocated_bytes <$> getRTSStats
        let per x = fromIntegral x / fromIntegral n :: Double
        pure (per (c1 - c0) / 1000, per (a1 - a0))
  forM_ sides $ \(_, side) -> replicateM_ 2000 (pair side)
  results <- forM [1 .. rounds] $ \r ->
    forM (if odd r then sides else reverse sides) $ \(name, side) -> (,) name <$> slice side
  let med xs = sort xs !! (length xs `div` 2)
  forM_ sides $ \(name, _) -> do
    let mine = [v | rs <- results, (n, v) <- rs, n == name]
        cpu = map fst mine
    printf "side=%s cpu_ns_per_pair=%.0f [%.0f-%.0f] alloc_bytes_per_pair=%.0f rounds=%d ms=%.0f engine=%s\n"
      name (med cpu) (minimum cpu) (maximum cpu) (med (map snd mine)) rounds ms U.engineName
