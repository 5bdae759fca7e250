-- | Registered buffers and files on a ring of one's own, and the zero-copy
-- sends: read_fixed / write_fixed against a file's bytes, ranges outside
-- the registered buffer, unregistering while a request uses the
-- registration, a registered file outliving its descriptor, send_zc and
-- sendmsg_zc delivering one completion, and the per-thread face refusing
-- them all. test.sh runs the suite on both engines.
module Registered (registeredSpec) where

import Control.Concurrent
import Control.Exception
import Control.Monad
import qualified Data.ByteString as B
import qualified Data.ByteString.Char8 as BC
import qualified Data.ByteString.Unsafe as BU
import Data.Word (Word8)
import Foreign.C.Error (Errno, eBADF, eBUSY, eFAULT, eINVAL, eNXIO, eOPNOTSUPP)
import Foreign.C.Types (CSize)
import Foreign.ForeignPtr (withForeignPtr)
import Foreign.Marshal.Alloc (allocaBytes, callocBytes, free)
import Foreign.Ptr (Ptr, castPtr, plusPtr)
import Foreign.Storable (pokeByteOff)
import GHC.IO.Exception (IOException (..))
import qualified Network.Socket as NS
import qualified Network.Socket.ByteString as NSB
import System.Posix.IO (fdWrite)
import System.Posix.Types (Fd (..))
import System.Timeout (timeout)
import Test.Hspec

import qualified System.IO.URingBridge as U
import System.IO.URingBridge.Raw (MsgHdr, offIOVecBase, offIOVecLen, offMsgIov, offMsgIovLen, sizeOfIOVec, sizeOfMsgHdr)
import Operations

registeredSpec :: Spec
registeredSpec = describe "registered buffers and files, zero-copy sends (a ring of one's own)" $ do
  buffersSpec
  filesSpec
  zeroCopySpec
  blockingFaceSpec

-- | The file's contents: 8 KiB, no two neighbouring 16-byte rows alike.
content :: B.ByteString
content = BC.pack (concatMap (\i -> take 16 (show i ++ ":0123456789abcdef")) [1000 .. 1511 :: Int])

-- | A new file holding 'content'.
withContentFile :: (FilePath -> Fd -> IO a) -> IO a
withContentFile act = withNewFile $ \path fd -> do
  BU.unsafeUseAsCStringLen content $ \(p, n) -> U.writeBuf fd (castPtr p) n 0 `shouldReturn` B.length content
  act path fd

-- | The 'IOError' the action throws has this errno and location.
failsWith :: IO a -> Errno -> String -> Expectation
failsWith act e name = do
  r <- try act
  case r of
    Left err -> (ioe_errno err, ioe_location err) `shouldBe` (errnoOf e, name)
    Right _ -> expectationFailure (name ++ " succeeded")

-- | Waits (bounded) until the ring has @n@ requests in flight.
inFlight :: U.Ring -> Int -> IO ()
inFlight ring n = do
  ok <- timeout 5000000 $ let loop = U.ringInFlight ring >>= \k -> unless (fromIntegral k == n) (threadDelay 1000 >> loop) in loop
  ok `shouldBe` Just ()

buffersSpec :: Spec
buffersSpec = describe "registerBuffers" $ do
  it "read_fixed and write_fixed move a file's bytes through registered buffers; twice is EBUSY, none is ENXIO" $
    withContentFile $ \_ fd -> U.withRing $ \ring -> do
      U.unregisterBuffers ring `failsWith'` (eNXIO, "urb_ring_unregister_buffers")
      bufs <- U.registerBuffers ring [4096, 0, 4096]
      length bufs `shouldBe` 3
      let [a, _, b] = bufs
      U.registerBuffers ring [64] `failsWith'` (eBUSY, "urb_ring_register_buffers")
      withForeignPtr b $ \pb -> do
        U.submitRing ring (U.ReadFixedOp fd (pb `plusPtr` 10) 100 1000 2) `shouldReturn` 100
        B.packCStringLen (castPtr (pb `plusPtr` 10), 100) `shouldReturn` B.take 100 (B.drop 1000 content)
      withForeignPtr a $ \pa -> do
        pokeString pa "fixed!"
        U.submitRing ring (U.WriteFixedOp fd pa 6 0 0) `shouldReturn` 6
      allocaBytes 16 $ \q -> do
        U.readBuf fd q 16 0 `shouldReturn` 16
        peekString q 16 `shouldReturn` ("fixed!" ++ BC.unpack (B.take 10 (B.drop 6 content)))
      U.unregisterBuffers ring
      U.unregisterBuffers ring `failsWith'` (eNXIO, "urb_ring_unregister_buffers")

  it "a range outside the registered buffer, an empty slot, an index past the table, an unregistered ring: EFAULT" $
    withContentFile $ \_ fd -> U.withRing $ \ring -> do
      withForeignPtr' ring $ \pa -> do
        U.submitRing ring (U.ReadFixedOp fd (pa `plusPtr` 4090) 16 0 0) `shouldReturn` failure eFAULT
        U.submitRing ring (U.ReadFixedOp fd pa 16 0 1) `shouldReturn` failure eFAULT
        U.submitRing ring (U.ReadFixedOp fd pa 16 0 2) `shouldReturn` failure eFAULT
        U.submitRing ring (U.WriteFixedOp fd (pa `plusPtr` 4095) 2 0 0) `shouldReturn` failure eFAULT
        allocaBytes 16 $ \other -> U.submitRing ring (U.ReadFixedOp fd other 16 0 0) `shouldReturn` failure eFAULT
        -- Inside it, the same request succeeds.
        U.submitRing ring (U.ReadFixedOp fd (pa `plusPtr` 4080) 16 0 0) `shouldReturn` 16
        U.unregisterBuffers ring
        U.submitRing ring (U.ReadFixedOp fd pa 16 0 0) `shouldReturn` failure eFAULT

  it "refuses to unregister while a read_fixed waits on an empty pipe (EBUSY), then unregisters" $
    withPipe $ \(r, w) -> U.withRing $ \ring -> do
      [buf] <- U.registerBuffers ring [64]
      done <- newEmptyMVar
      _ <- forkIO $ withForeignPtr buf $ \p ->
        U.submitRing ring (U.ReadFixedOp r p 64 U.offsetCurrent 0) >>= putMVar done
      -- The byte is written whatever the checks say: closing the ring waits
      -- for the read.
      (inFlight ring 1 >> U.unregisterBuffers ring `failsWith'` (eBUSY, "urb_ring_unregister_buffers"))
        `finally` fdWrite w "z"
      takeMVar done `shouldReturn` 1
      withForeignPtr buf $ \p -> peekString p 1 `shouldReturn` "z"
      U.unregisterBuffers ring

  it "a negative size, no buffers: EINVAL; a closed ring: EBADF" $ do
    ring <- U.newRing
    U.registerBuffers ring [16, -1] `failsWith'` (eINVAL, "urb_ring_register_buffers")
    U.registerBuffers ring [] `failsWith'` (eINVAL, "urb_ring_register_buffers")
    U.closeRing ring
    U.closeRing ring
    U.registerBuffers ring [16] `failsWith'` (eBADF, "urb_ring_register_buffers")
    U.submitRing ring U.Nop `shouldReturn` failure eBADF
  where
    failsWith' act (e, name) = failsWith act e name
    withForeignPtr' ring act = do
      [a, _] <- U.registerBuffers ring [4096, 0]
      withForeignPtr a act

filesSpec :: Spec
filesSpec = describe "registerFiles" $ do
  it "reads a registered file by its index after its descriptor was closed; empty slot and past the table: EBADF" $
    withNewFile $ \path fd0 -> do
      pokeFile fd0 "registered files stay usable"
      U.withRing $ \ring -> do
        fd <- U.openFile path U.oRDONLY 0
        U.registerFiles ring [Fd (-1), fd] `onException` U.closeFd fd
        U.closeFd fd -- the registered file outlives the descriptor (closed once, here)
        allocaBytes 16 $ \p -> do
          U.submitRing ring (U.FixedFileOp (U.ReadOp (Fd 1) p 10 0)) `shouldReturn` 10
          peekString p 10 `shouldReturn` "registered"
          U.submitRing ring (U.FixedFileOp (U.ReadOp (Fd 0) p 10 0)) `shouldReturn` failure eBADF
          U.submitRing ring (U.FixedFileOp (U.ReadOp (Fd 2) p 10 0)) `shouldReturn` failure eBADF
        U.submitRing ring (U.FixedFileOp U.Nop) `shouldReturn` failure eINVAL
        U.registerFiles ring [fd0] `failsWith'` (eBUSY, "urb_ring_register_files")
        U.unregisterFiles ring
        U.unregisterFiles ring `failsWith'` (eNXIO, "urb_ring_unregister_files")

  it "read_fixed into a registered buffer from a registered file" $
    withContentFile $ \_ fd -> U.withRing $ \ring -> do
      U.registerFiles ring [fd]
      [buf] <- U.registerBuffers ring [256]
      withForeignPtr buf $ \p -> do
        U.submitRing ring (U.FixedFileOp (U.ReadFixedOp (Fd 0) p 32 64 0)) `shouldReturn` 32
        B.packCStringLen (castPtr p, 32) `shouldReturn` B.take 32 (B.drop 64 content)

  it "refuses to unregister files while a request by index waits on an empty pipe (EBUSY)" $
    withPipe $ \(r, w) -> U.withRing $ \ring -> do
      U.registerFiles ring [r]
      done <- newEmptyMVar
      _ <- forkIO $ allocaBytes 8 $ \p -> U.submitRing ring (U.FixedFileOp (U.ReadOp (Fd 0) p 8 U.offsetCurrent)) >>= putMVar done
      (inFlight ring 1 >> U.unregisterFiles ring `failsWith'` (eBUSY, "urb_ring_unregister_files"))
        `finally` fdWrite w "ab"
      takeMVar done `shouldReturn` 2
      U.unregisterFiles ring

  it "an empty list: EINVAL; a descriptor that is not open: EBADF" $ U.withRing $ \ring -> do
    U.registerFiles ring [] `failsWith'` (eINVAL, "urb_ring_register_files")
    U.registerFiles ring [badFd] `failsWith'` (eBADF, "urb_ring_register_files")
  where
    failsWith' act (e, name) = failsWith act e name
    pokeFile fd s = allocaBytes (length s) $ \p -> do
      pokeString p s
      U.writeBuf fd p (length s) 0 `shouldReturn` length s

-- | A connected TCP pair on 127.0.0.1 (zero-copy needs TCP or UDP).
withTcpPair :: ((NS.Socket, NS.Socket) -> IO a) -> IO a
withTcpPair act = bracket (NS.socket NS.AF_INET NS.Stream NS.defaultProtocol) NS.close $ \l -> do
  NS.bind l (loopback 0)
  NS.listen l 1
  port <- NS.socketPort l
  bracket (NS.socket NS.AF_INET NS.Stream NS.defaultProtocol) NS.close $ \c -> do
    NS.connect c (loopback port)
    bracket (fst <$> NS.accept l) NS.close $ \s -> act (c, s)

recvExactly :: NS.Socket -> Int -> IO B.ByteString
recvExactly s = go []
  where
    go acc 0 = pure (B.concat (reverse acc))
    go acc n = do
      chunk <- NSB.recv s n
      when (B.null chunk) $ expectationFailure "the peer closed early"
      go (chunk : acc) (n - B.length chunk)

zeroCopySpec :: Spec
zeroCopySpec = describe "SendZcOp, SendmsgZcOp" $ do
  let payload = BC.pack (concat (replicate 3000 "zero-copy "))
  it "send_zc delivers ONE completion, with the byte count, and the bytes arrive" $
    withTcpPair $ \(c, s) -> U.withRing $ \ring -> do
      cfd <- sockFd c
      -- What a Nop counts (0 when it finishes on the calling thread).
      nop0 <- U.ringCompletions ring
      U.submitRing ring U.Nop `shouldReturn` 0
      before <- U.ringCompletions ring
      let nopCount = before - nop0
      r <- BU.unsafeUseAsCStringLen payload $ \(p, n) ->
        U.submitRing ring (U.SendZcOp cfd (castPtr p) (fromIntegral n) 0)
      r `shouldBe` fromIntegral (B.length payload)
      got <- recvExactly s (B.length payload)
      got `shouldBe` payload
      -- A Nop after it: had the kernel's notification come as a completion
      -- of its own, it would have been counted by now.
      U.submitRing ring U.Nop `shouldReturn` 0
      U.ringInFlight ring `shouldReturn` 0
      after <- U.ringCompletions ring
      after - before `shouldBe` 1 + nopCount

  it "sendmsg_zc sends the iovecs' bytes, one completion" $
    withTcpPair $ \(c, s) -> U.withRing $ \ring -> do
      cfd <- sockFd c
      r <- BU.unsafeUseAsCStringLen payload $ \(p, n) -> withMsg [(castPtr p, 1000), (castPtr p `plusPtr` 1000, n - 1000)] $ \m -> do
        before <- U.ringCompletions ring
        res <- U.submitRing ring (U.SendmsgZcOp cfd m 0)
        after <- U.ringCompletions ring
        (after - before) `shouldSatisfy` (<= 1)
        pure res
      r `shouldBe` fromIntegral (B.length payload)
      recvExactly s (B.length payload) `shouldReturn` payload

  it "on the capability's ring too (submitBlocking)" $
    withTcpPair $ \(c, s) -> do
      cfd <- sockFd c
      BU.unsafeUseAsCStringLen payload $ \(p, n) ->
        U.submitBlocking (U.SendZcOp cfd (castPtr p) (fromIntegral n) 0) `shouldReturn` fromIntegral n
      recvExactly s (B.length payload) `shouldReturn` payload

  it "a Unix socket pair cannot send without copying: EOPNOTSUPP on both engines" $
    withSocketPair $ \(a, _) -> U.withRing $ \ring -> do
      afd <- sockFd a
      allocaBytes 4 $ \p -> U.submitRing ring (U.SendZcOp afd p 4 0) `shouldReturn` failure eOPNOTSUPP

-- | A msghdr naming the buffers (no address, no control data).
withMsg :: [(Ptr Word8, Int)] -> (Ptr MsgHdr -> IO a) -> IO a
withMsg bufs act = allocaBytes (sizeOfIOVec * length bufs) $ \iov -> bracket (callocBytes sizeOfMsgHdr) free $ \m -> do
  forM_ (zip [0 ..] bufs) $ \(i, (p, n)) -> do
    pokeByteOff iov (i * sizeOfIOVec + offIOVecBase) p
    pokeByteOff iov (i * sizeOfIOVec + offIOVecLen) (fromIntegral n :: CSize)
  pokeByteOff m offMsgIov iov
  pokeByteOff m offMsgIovLen (fromIntegral (length bufs) :: CSize)
  act m

blockingFaceSpec :: Spec
blockingFaceSpec = describe "the per-thread face (submitBlockingOS)" $
  it "refuses read_fixed, write_fixed, send_zc, sendmsg_zc and registered files with EOPNOTSUPP" $
    withContentFile $ \_ fd -> withTcpPair $ \(c, _) -> allocaBytes 64 $ \p -> withMsg [(p, 8)] $ \m -> do
      cfd <- sockFd c
      forM_ [ U.ReadFixedOp fd p 16 0 0, U.WriteFixedOp fd p 16 0 0, U.SendZcOp cfd p 8 0, U.SendmsgZcOp cfd m 0
            , U.FixedFileOp (U.ReadOp (Fd 0) p 16 0) ] $ \op ->
        (,) (U.opName op) <$> U.submitBlockingOS op `shouldReturn` (U.opName op, failure eOPNOTSUPP)
