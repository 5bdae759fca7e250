{-# LANGUAGE ForeignFunctionInterface #-}
-- | Cancellation, closing and GHC's worker threads (issues 10 and 12): no
-- byte lost to a timeout or a killThread, no BlockedIndefinitelyOnMVar, a
-- close wakes a blocked reader, requests survive worker threads exiting.
-- Each scenario runs with one capability and with two.
module Cancellation (cancellationSpec) where

import Control.Concurrent
import Control.Exception
import Control.Monad
import qualified Data.ByteString as B
import qualified Data.ByteString.Char8 as BC
import Data.IORef
import Data.Bits (shiftL, shiftR, xor)
import Data.Word (Word64, Word8)
import Foreign.C.Error (Errno (..), eBADF)
import Foreign.C.Types (CInt (..), CUInt (..))
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Storable (peek, poke)
import GHC.IO.Exception (IOException (..))
import qualified Network.Socket as NS
import System.Directory (listDirectory)
import System.Posix.IO (closeFd, createPipe, fdWrite)
import System.Posix.Types (Fd (..))
import System.Timeout (timeout)
import Test.Hspec

import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Readiness as R

foreign import ccall safe "usleep" c_usleep_safe :: CUInt -> IO CInt

-- | A small deterministic generator (xorshift), so a failure can be rerun.
newGen :: Int -> IO (Int -> IO Int)
newGen seed = do
  st <- newIORef (fromIntegral seed * 2654435761 + 1 :: Word64)
  pure $ \bound -> do
    x0 <- readIORef st
    let x1 = x0 `xor` (x0 `shiftL` 13)
        x2 = x1 `xor` (x1 `shiftR` 7)
        x3 = x2 `xor` (x2 `shiftL` 17)
    writeIORef st x3
    pure (fromIntegral (x3 `mod` fromIntegral (max 1 bound)))

-- | With one capability, then two (the suite's default).
onCaps :: String -> IO () -> Spec
onCaps what act = forM_ [1, 2] $ \n ->
  it (what ++ " (" ++ show n ++ " capabilit" ++ (if n == 1 then "y" else "ies") ++ ")") $ do
    old <- getNumCapabilities
    bracket_ (setNumCapabilities n) (setNumCapabilities old) act

errnoOf :: Errno -> Maybe CInt
errnoOf (Errno n) = Just n

pattern :: Int -> B.ByteString
pattern total = B.pack [fromIntegral (i `mod` 251) :: Word8 | i <- [0 .. total - 1]]

cancellationSpec :: Spec
cancellationSpec = describe "cancellation" $ do
  onCaps "a trickling peer, thousands of random timeouts and killThreads around recv: every byte arrives, in order" $ do
    (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
    let total = 30000
        expected = pattern total
    rnd <- newGen 12
    wrnd <- newGen 99
    writer <- forkIO $ do
      let go off = when (off < total) $ do
            k <- (+ 1) <$> wrnd 16
            U.sendAll a (B.take k (B.drop off expected))
            -- Mostly yields (a threadDelay sleeps a millisecond or more):
            -- bytes come in small bursts with gaps the reader waits in.
            d <- wrnd 3
            if d == 0 then threadDelay 100 else wrnd 20 >>= \y -> replicateM_ y yield
            go (off + k)
      go 0
    got <- newIORef []
    counts <- newIORef (0 :: Int, 0 :: Int, 0 :: Int) -- timeouts fired, kills that landed, receives
    let record bs = modifyIORef' got (bs :) >> modifyIORef' counts (\(t, k, r) -> (t, k, r + 1))
        received = sum . map B.length <$> readIORef got
        loop = do
          n <- received
          when (n < total) $ do
            k <- (+ 1) <$> rnd 40
            choice <- rnd 10
            if choice < 5
              then do
                us <- (+ 1) <$> rnd 50
                -- base's timeout can fire in the few instructions after recv
                -- returned and then discards the result it was handed (about
                -- once in 5,000 timeouts with two capabilities; rarely with
                -- one, and it then stalls this byte count for good: seen
                -- once in CI). No library can close that window, so the
                -- lossless bounded receive is recvWithin, which bounds only
                -- the wait; the timeout-around-recv case without a trickling
                -- byte count is in the green-threads spec.
                r <- U.recvWithin us b k
                case r of
                  Just bs -> record bs
                  Nothing -> modifyIORef' counts (\(t, kl, rc) -> (t + 1, kl, rc))
              else if choice < 9
                then do
                  box <- newEmptyMVar
                  -- Masked, so the kill can land only inside recv's wait,
                  -- never between its return and the putMVar.
                  t <- mask_ (forkIO (U.recv b k >>= putMVar box))
                  rnd 6 >>= \y -> replicateM_ y yield
                  killThread t
                  r <- tryTakeMVar box
                  case r of
                    Just bs -> record bs
                    Nothing -> modifyIORef' counts (\(tm, kl, rc) -> (tm, kl + 1, rc))
                else U.recv b k >>= record
            loop
    done <- timeout 60000000 loop
    killThread writer
    done `shouldBe` Just ()
    bytes <- B.concat . reverse <$> readIORef got
    B.length bytes `shouldBe` total
    bytes == expected `shouldBe` True
    (fired, killed, _) <- readIORef counts
    -- The test must have interrupted waits, or it proved nothing.
    fired `shouldSatisfy` (> 300)
    killed `shouldSatisfy` (> 300)
    NS.close a >> NS.close b

  onCaps "64 streams received at once (a capability's receives share one scratch buffer): each gets its own bytes, in order" $ do
    -- recv copies each receive out of the capability's scratch buffer; a
    -- buffer handed back before the copy, or taken by two receives at
    -- once, shows up here as another stream's bytes.
    let streams = 64
        perStream = 6000
        streamBytes i = B.pack [fromIntegral ((j * 7 + i * 31) `mod` 253) :: Word8 | j <- [0 .. perStream - 1]]
    pairs <- replicateM streams (NS.socketPair NS.AF_UNIX NS.Stream 0)
    results <- forM (zip [0 ..] pairs) $ \(i, (a, b)) -> do
      box <- newEmptyMVar
      wrnd <- newGen (1000 + i)
      _ <- forkIO $ do
        let go off = when (off < perStream) $ do
              k <- (+ 1) <$> wrnd 300
              U.sendAll a (B.take k (B.drop off (streamBytes i)))
              wrnd 4 >>= \y -> replicateM_ y yield
              go (off + k)
        go 0
      rrnd <- newGen (2000 + i)
      _ <- forkIO $ do
        let go acc n
              | n >= perStream = pure (B.concat (reverse acc))
              | otherwise = do
                  k <- (+ 1) <$> rrnd 500
                  bs <- U.recv b k
                  if B.null bs then pure (B.concat (reverse acc)) else go (bs : acc) (n + B.length bs)
        try (go [] 0) >>= putMVar box
      pure (i, box)
    forM_ results $ \(i, box) -> do
      r <- timeout 60000000 (takeMVar box)
      case r of
        Nothing -> expectationFailure ("stream " ++ show i ++ " hung")
        Just (Left e) -> expectationFailure ("stream " ++ show i ++ ": " ++ show (e :: SomeException))
        Just (Right bytes) -> (i, bytes == streamBytes i) `shouldBe` (i, True)
    forM_ pairs $ \(a, b) -> NS.close a >> NS.close b

  onCaps "2,000 timeouts around ring requests with data trickling in: never BlockedIndefinitelyOnMVar, never a hang" $ do
    (r, w) <- createPipe
    writer <- forkIO $ forever (void (fdWrite w "x") >> threadDelay 20)
    rnd <- newGen 5
    let one = allocaBytes 8 $ \p -> do
          us <- (+ 1) <$> rnd 50
          res <- try (timeout us (U.submitBlocking (U.ReadOp r p 8 U.offsetCurrent)))
          case res of
            Left e -> expectationFailure ("an exception other than the timeout: " ++ show (e :: SomeException))
            Right _ -> pure ()
    done <- timeout 60000000 (replicateM_ 2000 one)
    killThread writer
    done `shouldBe` Just ()
    closeFd r >> closeFd w

  onCaps "closing a socket while a green thread waits in recv wakes it with an error" $ do
    (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
    box <- newEmptyMVar
    _ <- forkIO (try (U.recv b 16) >>= putMVar box)
    threadDelay 50000
    NS.close b
    r <- timeout 5000000 (takeMVar box)
    case r of
      Just (Left e) -> ioe_errno e `shouldBe` errnoOf eBADF
      Just (Right bs) -> expectationFailure ("recv returned " ++ show bs ++ " from a closed socket")
      Nothing -> expectationFailure "the reader was still blocked 5 s after the close"
    NS.close a

  onCaps "after a timed-out Readiness.threadWaitRead the descriptor really closes (the peer sees EOF)" $ do
    (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
    fb <- NS.withFdSocket b (pure . Fd)
    timeout 20000 (R.threadWaitRead fb) `shouldReturn` Nothing
    NS.close b
    timeout 5000000 (U.recv a 16) `shouldReturn` Just B.empty
    NS.close a

  it "closed sockets and fd -1 give EBADF, as package network does" $ do
    (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
    NS.close b
    let badf act = do
          r <- try act
          case r of
            Left e -> ioe_errno e `shouldBe` errnoOf eBADF
            Right _ -> expectationFailure "succeeded on a closed socket"
    badf (void (U.recv b 16))
    badf (U.sendAll b (BC.pack "x"))
    badf (void (U.acceptSocket b))
    allocaBytes 4 $ \p -> do
      badf (void (U.recvBuf (Fd (-1)) p 4))
      badf (void (U.sendBuf (Fd (-1)) p 4))
    badf (void (U.accept (Fd (-1))))
    NS.close a

  onCaps "requests in flight survive GHC worker threads exiting (waves of concurrent safe calls)" $ do
    pipes <- replicateM 100 createPipe
    (sa, sb) <- NS.socketPair NS.AF_UNIX NS.Stream 0
    readers <- forM (zip [0 :: Int ..] pipes) $ \(i, (r, _)) -> do
      box <- newEmptyMVar
      _ <- forkIO $ allocaBytes 1 $ \p -> do
        n <- U.readBuf r p 1 U.offsetCurrent
        v <- peek p
        putMVar box (i, n, v)
      pure box
    sockReader <- newEmptyMVar
    _ <- forkIO (U.recv sb 16 >>= putMVar sockReader)
    threadDelay 20000
    -- Each wave needs a worker per call; when the calls return, the RTS
    -- keeps a few spare workers and lets the others exit.
    peak <- newIORef (0 :: Int)
    replicateM_ 6 $ do
      dones <- replicateM 48 $ do
        d <- newEmptyMVar
        _ <- forkIO (c_usleep_safe 3000 >> putMVar d ())
        pure d
      threadDelay 1000
      n <- length <$> listDirectory "/proc/self/task"
      modifyIORef' peak (max n)
      mapM_ takeMVar dones
      threadDelay 5000
    after <- length <$> listDirectory "/proc/self/task"
    top <- readIORef peak
    -- Worker threads did exit while the requests were in flight.
    after `shouldSatisfy` (< top)
    forM_ (zip [0 :: Int ..] pipes) $ \(i, (_, w)) ->
      allocaBytes 1 $ \p -> poke p (fromIntegral i :: Word8) >> void (U.writeBuf w p 1 U.offsetCurrent)
    U.sendAll sa (BC.pack "survived")
    results <- timeout 10000000 (mapM takeMVar readers)
    results `shouldBe` Just [(i, 1, fromIntegral i) | i <- [0 .. 99]]
    timeout 10000000 (takeMVar sockReader) `shouldReturn` Just (BC.pack "survived")
    forM_ pipes $ \(r, w) -> closeFd r >> closeFd w
    NS.close sa >> NS.close sb
