import Control.Concurrent
import Control.Exception
import Control.Monad
import qualified Data.ByteString as B
import qualified Data.ByteString.Char8 as BC
import Data.Bits ((.|.))
import Data.IORef
import Data.Word (Word8)
import Foreign.C.Error (Errno (..), eBADF)
import Foreign.C.String (withCString)
import Foreign.Marshal.Alloc (allocaBytes, free, mallocBytes)
import Foreign.Marshal.Array (peekArray, pokeArray)
import Foreign.Ptr (Ptr, castPtr, plusPtr)
import GHC.IO.Exception (IOException (..))
import qualified Network.Socket as NS
import System.IO.Error (isDoesNotExistError)
import System.Posix.IO (closeFd, createPipe, fdWrite)
import System.Posix.Process (getProcessID)
import System.Posix.Types (Fd (..))
import System.Timeout (timeout)
import GHC.Clock (getMonotonicTimeNSec)
import Test.Hspec

import Names (namesSpec)
import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Readiness as R
import Vectors (vectorsSpec)
import Operations (operationsSpec)
import NetOps (netOpsSpec)
import FsOps (fsOpsSpec)
import Cancellation (cancellationSpec)
import Registered (registeredSpec)


pad8 :: Int -> String
pad8 i = let s = show i in replicate (8 - length s) '0' ++ s

plusPtr' :: Ptr a -> Int -> Ptr a
plusPtr' = plusPtr

withTempFd :: (Fd -> IO a) -> IO a
withTempFd act = do
  -- per process: two suites running at once must not truncate each other's file
  pid <- getProcessID
  let path = "/tmp/urb-hs-test-" ++ show pid
  bracket (U.openFile path (U.oRDWR <> U.oCREAT <> U.oTRUNC) 0o600) U.closeFd act

main :: IO ()
main = do
  putStrLn ("engine: " ++ U.engineName ++ " (uringbridge " ++ U.version ++ ")")
  hspec $ do
    vectorsSpec
    operationsSpec
    netOpsSpec
    fsOpsSpec
    cancellationSpec
    registeredSpec
    namesSpec
    describe "files" $ do
      it "writes, syncs, reads at offsets and at the file position" $ withTempFd $ \fd ->
        allocaBytes 16 $ \p -> do
          pokeArray p (map (fromIntegral . fromEnum) "0123456789")
          U.writeBuf fd p 10 0 `shouldReturn` 10
          U.fsync fd
          allocaBytes 4 $ \q -> do
            U.readBuf fd q 4 3 `shouldReturn` 4
            map (toEnum . fromIntegral) <$> peekArray 4 q `shouldReturn` "3456"
            U.readBuf fd q 4 100 `shouldReturn` 0
      it "reports errors as IOError with errno and the operation's name" $ do
        r <- try (U.openFile "/nonexistent/x" mempty 0)
        case r of
          Left e -> isDoesNotExistError e `shouldBe` True
          Right _ -> expectationFailure "opened a file that does not exist"
        Left e <- try (U.closeFd (Fd 60000)) :: IO (Either IOException ())
        ioe_errno e `shouldBe` Just (let Errno n = eBADF in n)
        ioe_location e `shouldBe` "close"

    describe "sockets" $ do
      it "sends and receives ByteStrings on a socket pair" $ do
        (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
        U.sendAll a (BC.pack "hello from haskell")
        U.recv b 100 `shouldReturn` BC.pack "hello from haskell"
        NS.close a
        U.recv b 100 `shouldReturn` B.empty
        NS.close b
      it "accepts and connects on loopback" $ do
        l <- NS.socket NS.AF_INET NS.Stream 0
        NS.bind l (NS.SockAddrInet 0 (NS.tupleToHostAddress (127, 0, 0, 1)))
        NS.listen l 16
        port <- NS.socketPort l
        _ <- forkIO $ do
          c <- NS.socket NS.AF_INET NS.Stream 0
          NS.connect c (NS.SockAddrInet port (NS.tupleToHostAddress (127, 0, 0, 1)))
          U.sendAll c (BC.pack "ping")
          NS.close c
        (s, _) <- U.acceptSocket l
        U.recv s 10 `shouldReturn` BC.pack "ping"
        NS.close s
        NS.close l

    describe "chains and timeouts" $ do
      it "runs a linked chain and cancels after a failure" $ withTempFd $ \fd ->
        allocaBytes 8 $ \p -> allocaBytes 8 $ \q -> do
          pokeArray p (map (fromIntegral . fromEnum) "chained!")
          U.submitChain [U.WriteOp fd p 8 0, U.FsyncOp fd False, U.ReadOp fd q 8 0] `shouldReturn` [8, 0, 8]
          map (toEnum . fromIntegral) <$> peekArray 8 q `shouldReturn` "chained!"
          U.submitChain [U.Nop, U.ReadOp (Fd 60000) q 8 0, U.Nop] `shouldReturn` [0, -9, -125]
      it "times out a read with nothing to read, not one with data" $ do
        (r, w) <- createPipe
        allocaBytes 8 $ \p -> do
          U.submitBlockingTimeout 10000 (U.ReadOp r p 8 0) `shouldReturn` (-62)
          _ <- fdWrite w "data"
          U.submitBlockingTimeout 5000000 (U.ReadOp r p 8 0) `shouldReturn` 4
        closeFd r >> closeFd w
      it "sleeps on the engine's timer" $ U.sleep 2000
      it "submitBatch: independent requests together, results in order, one failure stops nothing" $ do
        (r, w) <- createPipe
        allocaBytes 8 $ \p -> do
          _ <- forkIO (threadDelay 200000 >> void (fdWrite w "late"))
          t0 <- getMonotonicTimeNSec
          rs <- U.submitBatch [U.Nop, U.ReadOp r p 8 U.offsetCurrent, U.ReadOp (Fd 60000) p 8 0, U.SleepOp 300000, U.Nop]
          t1 <- getMonotonicTimeNSec
          rs `shouldBe` [0, 4, -9, 0, 0]
          map (toEnum . fromIntegral) <$> peekArray 4 p `shouldReturn` "late"
          -- The 300 ms sleep and the 200 ms wait for the pipe overlapped
          -- (one after the other: 500 ms). The margin is 150 ms: with 20 and
          -- 30 ms and 45 ms allowed, a loaded machine failed it (46.5 ms).
          (t1 - t0) `shouldSatisfy` (< 450000000)
          U.submitBatch [] `shouldReturn` []
        closeFd r >> closeFd w

    describe "green threads" $ do
      it "100 threads do blocking I/O concurrently" $ do
        done <- newIORef (0 :: Int)
        vars <- forM [1 .. 100 :: Int] $ \i -> do
          v <- newEmptyMVar
          _ <- forkIO $ do
            (r, w) <- createPipe
            allocaBytes 16 $ \p -> do
              _ <- forkIO (U.sleep 1000 >> void (fdWrite w (show i)))
              n <- U.readBuf r p 16 0
              s <- map (toEnum . fromIntegral) <$> peekArray n p
              when (s == show i) $ atomicModifyIORef' done (\x -> (x + 1, ()))
            closeFd r >> closeFd w
            putMVar v ()
          pure v
        mapM_ takeMVar vars
        readIORef done `shouldReturn` 100
      it "10,000 green threads each make 50 requests, every result checked" $ withTempFd $ \fd -> do
        -- a file of 8-byte records: record i holds i
        allocaBytes (8 * 512) $ \p -> do
          forM_ [0 .. 511 :: Int] $ \i -> pokeArray (p `plusPtr'` (8 * i)) (map (fromIntegral . fromEnum) (pad8 i))
          U.writeBuf fd p (8 * 512) 0 `shouldReturn` (8 * 512)
        bad <- newIORef (0 :: Int)
        vars <- forM [0 .. 9999 :: Int] $ \t -> do
          v <- newEmptyMVar
          _ <- forkIO $ allocaBytes 8 (\q -> forM_ [0 .. 49 :: Int] $ \k -> do
              let i = (t * 50 + k) `mod` 512
              n <- U.readBuf fd q 8 (fromIntegral (8 * i))
              s' <- map (toEnum . fromIntegral) <$> peekArray 8 q
              unless (n == 8 && s' == pad8 i) $ atomicModifyIORef' bad (\x -> (x + 1, ())))
            `finally` putMVar v ()
          pure v
        mapM_ takeMVar vars
        readIORef bad `shouldReturn` 0
      it "killThread cancels an in-flight recv and its buffer is never written after" $ do
        (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
        buf <- mallocBytes 8
        pokeArray buf (replicate 8 0xA5)
        finished <- newEmptyMVar
        t <- forkIO $ (NS.withFdSocket b $ \fd -> void (U.recvBuf (Fd fd) buf 8)) `finally` putMVar finished ()
        threadDelay 20000
        killThread t
        takeMVar finished
        -- The buffer is freed right away and its memory handed out again:
        -- the cancelled request must never write into it.
        free buf
        canaries <- replicateM 4 (mallocBytes 8) :: IO [Ptr Word8]
        forM_ canaries $ \c -> pokeArray c (replicate 8 0x5A)
        U.sendAll a (BC.pack "late")
        threadDelay 20000
        forM_ canaries $ \c -> peekArray 8 c `shouldReturn` replicate 8 0x5A
        U.recv b 8 `shouldReturn` BC.pack "late"
        mapM_ free canaries
        NS.close a >> NS.close b
      it "System.Timeout.timeout around a recv gives Nothing and leaves the data" $ do
        (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
        timeout 20000 (U.recv b 8) `shouldReturn` Nothing
        U.sendAll a (BC.pack "x")
        U.recv b 8 `shouldReturn` BC.pack "x"
        NS.close a >> NS.close b

    describe "readiness" $ do
      it "a one-shot registration reports a ready pipe once" $ do
        be <- R.new
        (r, w) <- createPipe
        R.modifyFdOnce be r R.evtRead
        R.poll be 20000 `shouldReturn` []
        _ <- fdWrite w "x"
        R.poll be 1000000 `shouldReturn` [(r, R.evtRead)]
        R.poll be 20000 `shouldReturn` []
        R.delete be
        closeFd r >> closeFd w
      it "poll's timeout is in microseconds, like every time in the binding (a part of a millisecond waits one)" $ do
        be <- R.new
        let elapsedMs act = do
              t0 <- getMonotonicTimeNSec
              _ <- act
              t1 <- getMonotonicTimeNSec
              pure (fromIntegral (t1 - t0) / 1e6 :: Double)
        ms <- elapsedMs (R.poll be 30000 `shouldReturn` [])
        ms `shouldSatisfy` (\t -> t >= 29 && t < 3000)
        short <- elapsedMs (R.poll be 1 `shouldReturn` [])
        short `shouldSatisfy` (\t -> t >= 0.9 && t < 3000)
        R.delete be
      it "threadWaitRead wakes when data arrives" $ do
        (r, w) <- createPipe
        woke <- newEmptyMVar
        _ <- forkIO (R.threadWaitRead r >> putMVar woke ())
        threadDelay 20000
        tryTakeMVar woke `shouldReturn` Nothing
        _ <- fdWrite w "x"
        timeout 5000000 (takeMVar woke) `shouldReturn` Just ()
        closeFd r >> closeFd w
  where
    _unused = (castPtr, withCString, throwIO :: IOException -> IO ())
