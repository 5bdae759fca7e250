-- | sendmsg, recvmsg, socket, bind and listen: the requests through both
-- blocking faces against what the system calls (package network's) give,
-- and the typed calls built on them: sendTo/recvFrom with addresses,
-- sendFd/recvFd over a socket pair, newSocket/bindSocket/listenSocket, their
-- errors, cancellation without lost datagrams or descriptors, and ENOSYS
-- where the engine lacks an operation (URB_PROBE_HIDE).
module NetOps (netOpsSpec) where

import Control.Concurrent
import Control.Exception
import Control.Monad
import Data.Bits ((.&.), (.|.))
import qualified Data.ByteString as B
import qualified Data.ByteString.Char8 as BC
import Data.Int (Int32)
import Data.IORef
import Data.List (sort)
import Data.Word (Word32, Word8)
import Foreign.C.Error (Errno (..), eADDRINUSE, eAFNOSUPPORT, eBADF, eINVAL, eNOSYS, eOPNOTSUPP)
import Foreign.C.Types (CInt, CSize)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Marshal.Utils (fillBytes)
import Foreign.Ptr (Ptr, castPtr, nullPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)
import GHC.IO.Exception (IOException (..))
import qualified Network.Socket as NS
import qualified Network.Socket.Address as NSA
import System.Environment (lookupEnv)
import System.IO.Error (isEOFError, isUserError)
import System.Posix.IO (FdOption (..), closeFd, createPipe, fdRead, fdWrite, queryFdOption, setFdOption)
import System.Posix.Types (Fd (..))
import System.Timeout (timeout)
import Test.Hspec

import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Raw as Raw
import System.IO.URingBridge.Raw (MsgHdr, offMsgControl, offMsgControlLen, offMsgFlags, offMsgIov, offMsgIovLen, offMsgName,
                                  offMsgNameLen, sizeOfMsgHdr)
import Operations

netOpsSpec :: Spec
netOpsSpec = describe "sendmsg, recvmsg, socket, bind, listen" $ do
  forM_ faces netFaceSpec
  datagramSpec
  descriptorSpec
  socketSpec
  rawCallsSpec
  netErrorsSpec
  netCancellationSpec

-- | A bound UDP socket on 127.0.0.1 and its address.
withUdp :: (NS.Socket -> NS.SockAddr -> IO a) -> IO a
withUdp act = bracket (NS.socket NS.AF_INET NS.Datagram NS.defaultProtocol) NS.close $ \s -> do
  NS.bind s (loopback 0)
  addr <- NS.getSocketName s
  act s addr

-- | A msghdr by hand (the test does not use the binding's own): the
-- address to send to (or room for the sender's), one buffer, no control
-- data. After a receive, the action may read the address back with
-- 'msgAddress'.
withMsg :: Maybe NS.SockAddr -> Ptr Word8 -> Int -> (Ptr MsgHdr -> IO a) -> IO a
withMsg addr buf n act = allocaBytes 128 $ \sa -> withIOVecs [(buf, n)] $ \iov k -> allocaBytes sizeOfMsgHdr $ \m -> do
  fillBytes sa 0 128
  fillBytes m 0 sizeOfMsgHdr
  len <- case addr of
    Just a -> NSA.pokeSocketAddress sa a >> pure (NSA.sizeOfSocketAddress a)
    Nothing -> pure 128
  pokeByteOff m offMsgName (castPtr sa :: Ptr ())
  pokeByteOff m offMsgNameLen (fromIntegral len :: Word32)
  pokeByteOff m offMsgIov iov
  pokeByteOff m offMsgIovLen (fromIntegral k :: CSize)
  pokeByteOff m offMsgControl nullPtr
  pokeByteOff m offMsgControlLen (0 :: CSize)
  act (castPtr m)

msgAddress :: Ptr MsgHdr -> IO NS.SockAddr
msgAddress m = peekByteOff m offMsgName >>= \sa -> NSA.peekSocketAddress (castPtr (sa :: Ptr ()))

msgFlags :: Ptr MsgHdr -> IO CInt
msgFlags m = peekByteOff m offMsgFlags

-- | What package network's call gives: 0 or -errno.
networkResult :: IO a -> IO Int32
networkResult act = systemResult (void act)

netFaceSpec :: Face -> Spec
netFaceSpec face = describe (faceName face) $ do
  it "SocketOp, BindOp and ListenOp make a listener that network's connect reaches" $ do
    fd <- submit face (U.SocketOp (NS.packFamily NS.AF_INET) (streamType .|. U.sockCLOEXEC .|. U.sockNONBLOCK) 0)
    fd `shouldSatisfy` (>= 0)
    let f = Fd (fromIntegral fd)
    l <- NS.mkSocket (fromIntegral fd)
    flip finally (NS.close l) $ do
      withSockAddr (loopback 0) $ \sa n -> submit face (U.BindOp f sa n) `shouldReturn` 0
      submit face (U.ListenOp f 4) `shouldReturn` 0
      port <- NS.socketPort l
      port `shouldSatisfy` (> 0)
      bracket (NS.socket NS.AF_INET NS.Stream NS.defaultProtocol) NS.close $ \c -> do
        NS.connect c (loopback port)
        (s, _) <- NS.accept l
        NS.close s
  it "BindOp to an address in use: EADDRINUSE, as network's bind" $ withUdp $ \_ addr ->
    bracket (NS.socket NS.AF_INET NS.Datagram NS.defaultProtocol) NS.close $ \s -> do
      fd <- sockFd s
      sys <- bracket (NS.socket NS.AF_INET NS.Datagram NS.defaultProtocol) NS.close $ \o -> networkResult (NS.bind o addr)
      sys `shouldBe` failure eADDRINUSE
      withSockAddr addr $ \sa n -> submit face (U.BindOp fd sa n) `shouldReturn` sys
  it "ListenOp on a datagram socket: EOPNOTSUPP, as network's listen" $ withUdp $ \s _ -> do
    fd <- sockFd s
    sys <- networkResult (NS.listen s 4)
    sys `shouldBe` failure eOPNOTSUPP
    submit face (U.ListenOp fd 4) `shouldReturn` sys
  it "SocketOp of a family nobody has: EAFNOSUPPORT; BindOp, ListenOp on a closed descriptor: EBADF" $ do
    submit face (U.SocketOp 4321 streamType 0) `shouldReturn` failure eAFNOSUPPORT
    withSockAddr (loopback 0) $ \sa n -> submit face (U.BindOp badFd sa n) `shouldReturn` failure eBADF
    submit face (U.ListenOp badFd 4) `shouldReturn` failure eBADF
  it "SendMsgOp sends a datagram to the msghdr's address; RecvMsgOp gives it with the sender's address and MSG_TRUNC" $
    withUdp $ \a aAddr -> withUdp $ \b bAddr -> allocaBytes 16 $ \p -> do
      fa <- sockFd a
      fb <- sockFd b
      pokeString p "datagram"
      withMsg (Just bAddr) p 8 $ \m -> submit face (U.SendMsgOp fa m 0) `shouldReturn` 8
      -- A 4-byte buffer for 8 bytes: the rest is discarded, msg_flags says so.
      fillBytes p 0 16
      withMsg Nothing p 4 $ \m -> do
        submit face (U.RecvMsgOp fb m 0) `shouldReturn` 4
        peekString p 4 `shouldReturn` "data"
        msgAddress m `shouldReturn` aAddr
        flags <- msgFlags m
        flags .&. U.msgTRUNC `shouldBe` U.msgTRUNC
      -- With MSG_TRUNC asked for, the result is the datagram's whole length.
      withMsg (Just bAddr) p 8 $ \m -> submit face (U.SendMsgOp fa m 0) `shouldReturn` 8
      withMsg Nothing p 4 $ \m -> submit face (U.RecvMsgOp fb m U.msgTRUNC) `shouldReturn` 8
  where
    streamType = case NS.Stream of NS.GeneralSocketType t -> t

-- | Datagrams through the typed calls on both faces of the binding's API.
datagramSpec :: Spec
datagramSpec = describe "sendTo, recvFrom, sendBufTo, recvBufFrom" $ do
  it "keep datagram boundaries and give the sender's address" $ withUdp $ \a aAddr -> withUdp $ \b bAddr -> do
    forM_ ["one", "two!", "", "three"] $ \m -> U.sendTo a (BC.pack m) bAddr `shouldReturn` length m
    forM_ ["one", "two!", "", "three"] $ \m -> U.recvFrom b 100 `shouldReturn` (BC.pack m, aAddr)
  it "a buffer shorter than the datagram takes its start and discards the rest, as recvfrom(2)" $
    withUdp $ \a _ -> withUdp $ \b bAddr -> do
      _ <- U.sendTo a (BC.pack "0123456789") bAddr
      _ <- U.sendTo a (BC.pack "next") bAddr
      fst <$> U.recvFrom b 4 `shouldReturn` BC.pack "0123"
      fst <$> U.recvFrom b 100 `shouldReturn` BC.pack "next"
  it "wait for a datagram without holding up other threads" $ withUdp $ \a aAddr -> withUdp $ \b bAddr -> do
    got <- newEmptyMVar
    _ <- forkIO (U.recvFrom b 100 >>= putMVar got)
    threadDelay 20000
    tryTakeMVar got `shouldReturn` Nothing
    _ <- U.sendTo a (BC.pack "late") bAddr
    timeout 5000000 (takeMVar got) `shouldReturn` Just (BC.pack "late", aAddr)
  it "on descriptors and pointers: sendBufTo and recvBufFrom" $ withUdp $ \a aAddr -> withUdp $ \b bAddr ->
    allocaBytes 16 $ \p -> do
      fa <- sockFd a
      fb <- sockFd b
      pokeString p "buf"
      U.sendBufTo fa p 3 bAddr `shouldReturn` 3
      fillBytes p 0 16
      U.recvBufFrom fb p 16 `shouldReturn` (3, Just aAddr)
      peekString p 3 `shouldReturn` "buf"
  it "recvFrom on a connected stream gives the bytes and the peer's address" $ withSocketPair $ \(a, b) -> do
    U.sendAll a (BC.pack "stream")
    U.recvFrom b 100 `shouldReturn` (BC.pack "stream", NS.SockAddrUnix "")
    fb <- sockFd b
    U.sendAll a (BC.pack "x")
    allocaBytes 4 $ \p -> U.recvBufFrom fb p 4 `shouldReturn` (1, Nothing)
  it "sendMsg and recvMsg carry several buffers, an address and MSG_TRUNC" $ withUdp $ \a aAddr -> withUdp $ \b bAddr ->
    allocaBytes 8 $ \p -> allocaBytes 8 $ \q -> do
      fa <- sockFd a
      fb <- sockFd b
      pokeString p "gath"
      pokeString q "ered"
      U.sendMsg fa (Just bAddr) [(p, 4), (q, 4)] [] 0 `shouldReturn` 8
      fillBytes p 0 8 >> fillBytes q 0 8
      (addr, n, cmsgs, flags) <- U.recvMsg fb [(q, 3), (p, 3)] 0 0
      (addr, n, cmsgs, flags .&. U.msgTRUNC) `shouldBe` (Just aAddr, 6, [], U.msgTRUNC)
      peekString q 3 `shouldReturn` "gat"
      peekString p 3 `shouldReturn` "her"

-- | A pipe's writing end passed over a Unix socket pair.
descriptorSpec :: Spec
descriptorSpec = describe "sendFd, recvFd (SCM_RIGHTS)" $ do
  it "pass a pipe's writing end: the received descriptor writes into the same pipe, and is close-on-exec" $
    withSocketPair $ \(a, b) -> withPipe $ \(r, w) -> do
      U.sendFd a w
      w' <- U.recvFd b
      w' `shouldNotBe` w
      queryFdOption w' CloseOnExec `shouldReturn` True
      _ <- fdWrite w' "through the copy"
      closeFd w'
      fst <$> fdRead r 16 `shouldReturn` "through the copy"
  it "two descriptors in one message (sendMsg): recvFd takes them one per call, in order" $
    withSocketPair $ \(a, b) -> withPipe $ \(r1, w1) -> withPipe $ \(r2, w2) -> do
      fa <- sockFd a
      let Fd n1 = w1
          Fd n2 = w2
          twoFds = NS.Cmsg NS.CmsgIdFd (B.concat (map (NS.cmsgData . NS.encodeCmsg . Fd) [n1, n2]))
      allocaBytes 1 $ \p -> do
        pokeString p "x"
        U.sendMsg fa Nothing [(p, 1)] [twoFds] 0 `shouldReturn` 1
      x1 <- U.recvFd b
      x2 <- U.recvFd b
      _ <- fdWrite x1 "first"
      _ <- fdWrite x2 "second"
      closeFd x1 >> closeFd x2
      fst <$> fdRead r1 16 `shouldReturn` "first"
      fst <$> fdRead r2 16 `shouldReturn` "second"
  it "recvMsg gives the descriptor as an SCM_RIGHTS item network's decodeCmsg reads" $
    withSocketPair $ \(a, b) -> withPipe $ \(r, w) -> do
      fb <- sockFd b
      U.sendFd a w
      (_, n, cmsgs, _) <- allocaBytes 1 $ \p -> U.recvMsg fb [(p, 1)] (U.controlSpace [4]) U.msgCMSGCLOEXEC
      n `shouldBe` 1
      case mapM NS.decodeCmsg cmsgs of
        Just [got] -> do
          _ <- fdWrite got "decoded"
          closeFd got
          fst <$> fdRead r 16 `shouldReturn` "decoded"
        other -> expectationFailure ("items: " ++ show (cmsgs, other :: Maybe [Fd]))
  it "a message without a descriptor is a userError; end of stream an EOF error" $ withSocketPair $ \(a, b) -> do
    U.sendAll a (BC.pack "y")
    r1 <- try (U.recvFd b)
    either (\e -> isUserError e `shouldBe` True) (\fd -> expectationFailure ("got " ++ show fd)) r1
    NS.shutdown a NS.ShutdownSend
    r2 <- try (U.recvFd b)
    either (\e -> isEOFError e `shouldBe` True) (\fd -> expectationFailure ("got " ++ show fd)) r2

socketSpec :: Spec
socketSpec = describe "newSocket, bindSocket, listenSocket, socket, bind, listen" $ do
  it "make a TCP listener that connectSocket and acceptSocket use; the sockets are non-blocking and close-on-exec" $
    bracket (U.newSocket NS.AF_INET NS.Stream NS.defaultProtocol) NS.close $ \l -> do
      U.bindSocket l (loopback 0)
      U.listenSocket l 8
      fl <- sockFd l
      queryFdOption fl NonBlockingRead `shouldReturn` True
      queryFdOption fl CloseOnExec `shouldReturn` True
      port <- NS.socketPort l
      bracket (U.newSocket NS.AF_INET NS.Stream NS.defaultProtocol) NS.close $ \c -> do
        _ <- forkIO (U.connectSocket c (loopback port) >> U.sendAll c (BC.pack "hello"))
        (s, peer) <- U.acceptSocket l
        NS.getSocketName c `shouldReturn` peer
        U.recv s 16 `shouldReturn` BC.pack "hello"
        NS.close s
  it "socket, bind and listen on descriptors" $ do
    fd <- U.socket NS.AF_INET NS.Datagram NS.defaultProtocol
    s <- NS.mkSocket (let Fd n = fd in n)
    flip finally (NS.close s) $ do
      U.bind fd (loopback 0)
      addr <- NS.getSocketName s
      withUdp $ \a _ -> void (U.sendTo a (BC.pack "to fd") addr)
      fst <$> U.recvFrom s 16 `shouldReturn` BC.pack "to fd"

-- | The C library's one-call functions, as Raw imports them.
rawCallsSpec :: Spec
rawCallsSpec = describe "Raw's urb_socket, urb_bind, urb_listen, urb_sendto, urb_recvfrom, urb_sendmsg, urb_recvmsg" $ do
  it "make a UDP pair and move datagrams with addresses" $ do
    let dgram = case NS.Datagram of NS.GeneralSocketType t -> t
    fa <- Raw.c_socket (NS.packFamily NS.AF_INET) (dgram .|. U.sockCLOEXEC) 0
    fb <- Raw.c_socket (NS.packFamily NS.AF_INET) (dgram .|. U.sockCLOEXEC) 0
    (fa, fb) `shouldSatisfy` (\(x, y) -> x >= 0 && y >= 0)
    a <- NS.mkSocket (fromIntegral fa)
    b <- NS.mkSocket (fromIntegral fb)
    flip finally (NS.close a >> NS.close b) $ allocaBytes 16 $ \p -> do
      withSockAddr (loopback 0) $ \sa n -> Raw.c_bind (fromIntegral fa) sa n `shouldReturn` 0
      withSockAddr (loopback 0) $ \sa n -> Raw.c_bind (fromIntegral fb) sa n `shouldReturn` 0
      Raw.c_listen (fromIntegral fb) 1 `shouldReturn` failure eOPNOTSUPP
      aAddr <- NS.getSocketName a
      bAddr <- NS.getSocketName b
      pokeString p "raw"
      withSockAddr bAddr $ \sa n -> Raw.c_sendto (fromIntegral fa) p 3 0 sa n `shouldReturn` 3
      allocaBytes 128 $ \from -> allocaBytes 4 $ \lenp -> do
        pokeByteOff lenp 0 (128 :: Word32)
        Raw.c_recvfrom (fromIntegral fb) p 16 0 from lenp `shouldReturn` 3
        NSA.peekSocketAddress (castPtr from) `shouldReturn` aAddr
      peekString p 3 `shouldReturn` "raw"
      withMsg (Just aAddr) p 3 $ \m -> Raw.c_sendmsg (fromIntegral fb) m 0 `shouldReturn` 3
      withMsg Nothing p 16 $ \m -> do
        Raw.c_recvmsg (fromIntegral fa) m 0 `shouldReturn` 3
        msgAddress m `shouldReturn` bAddr

netErrorsSpec :: Spec
netErrorsSpec = describe "errors of the typed socket calls" $ do
  let raises errno name act = do
        r <- try act
        case r of
          Left e -> (ioe_errno e, ioe_location e) `shouldBe` (errnoOf errno, name)
          Right _ -> expectationFailure (name ++ " succeeded")
  it "closed descriptors: EBADF, named after the call" $ allocaBytes 4 $ \p -> do
    raises eBADF "sendto" (U.sendBufTo badFd p 4 (loopback 9))
    raises eBADF "recvfrom" (U.recvBufFrom badFd p 4)
    raises eBADF "sendmsg" (U.sendMsg badFd Nothing [(p, 4)] [] 0)
    raises eBADF "recvmsg" (U.recvMsg badFd [(p, 4)] 0 0)
    raises eBADF "bind" (U.bind badFd (loopback 0))
    raises eBADF "listen" (U.listen badFd 4)
    (s, peer) <- NS.socketPair NS.AF_UNIX NS.Datagram 0
    NS.close s >> NS.close peer
    raises eBADF "recvfrom" (U.recvFrom s 4)
    raises eBADF "sendto" (U.sendTo s (BC.pack "x") (loopback 9))
  it "bind to an address in use: EADDRINUSE; listen on a datagram socket: EOPNOTSUPP; a bad family: EAFNOSUPPORT" $
    withUdp $ \s addr -> do
      bracket (U.newSocket NS.AF_INET NS.Datagram NS.defaultProtocol) NS.close $ \o -> raises eADDRINUSE "bind" (U.bindSocket o addr)
      raises eOPNOTSUPP "listen" (U.listenSocket s 4)
      raises eAFNOSUPPORT "socket" (U.socket (NS.GeneralFamily 4321) NS.Stream 0)
  it "a negative control room: EINVAL before anything is received" $ withSocketPair $ \(a, b) -> allocaBytes 4 $ \p -> do
    fb <- sockFd b
    U.sendAll a (BC.pack "kept")
    raises eINVAL "recvmsg" (U.recvMsg fb [(p, 4)] (-1) 0)
    U.recv b 4 `shouldReturn` BC.pack "kept"
  -- bindings/haskell/test.sh runs this case again with URB_PROBE_HIDE naming
  -- the five, on both engines (the fallback engine ignores it).
  it "unsupported by the engine (URB_PROBE_HIDE on io_uring): opSupported says so, the calls give ENOSYS" $ withUdp $ \s addr -> do
    hide <- maybe [] (splitOn ',') <$> lookupEnv "URB_PROBE_HIDE"
    fd <- sockFd s
    let ops = [ ("URB_OP_SENDMSG", U.SendMsgOp fd nullPtr 0, "sendto", void (U.sendTo s (BC.pack "x") addr))
              , ("URB_OP_RECVMSG", U.RecvMsgOp fd nullPtr 0, "recvfrom", void (U.recvFrom s 4))
              , ("URB_OP_SOCKET", U.SocketOp 2 2 0, "socket", void (U.socket NS.AF_INET NS.Datagram 0))
              , ("URB_OP_BIND", U.BindOp fd nullPtr 0, "bind", U.bind fd (loopback 0))
              , ("URB_OP_LISTEN", U.ListenOp fd 0, "listen", U.listen fd 4) ]
    forM_ ops $ \(name, op, call, act) -> do
      let hidden = name `elem` hide && U.backendName == "io_uring"
      when hidden $ U.opSupported op `shouldBe` False
      unless (U.opSupported op) $ raises eNOSYS call act

-- | Datagrams and descriptors are never lost to killThread: a sender
-- trickles numbered datagrams over a Unix datagram pair while the receiver
-- is interrupted again and again.
netCancellationSpec :: Spec
netCancellationSpec = describe "cancellation of recvFrom, recvFd and acceptSocket" $ do
  it "thousands of killThreads around recvFrom: every datagram arrives once, in order" $ do
    (a, b) <- NS.socketPair NS.AF_UNIX NS.Datagram 0
    let total = 3000 :: Int
    writer <- forkIO $ forM_ [1 .. total] $ \i -> do
      -- the pair is connected: send, one datagram each
      U.sendAll a (BC.pack (show i))
      -- gaps the receiver waits in, so that kills land in waits
      if i `mod` 10 == 0 then threadDelay 100 else when (i `mod` 3 == 0) yield
    got <- newIORef []
    kills <- newIORef (0 :: Int)
    let loop k = do
          n <- length <$> readIORef got
          when (n < total) $ do
            box <- newEmptyMVar
            t <- mask_ (forkIO (U.recvFrom b 16 >>= putMVar box . fst))
            replicateM_ (k `mod` 4) yield
            killThread t
            r <- tryTakeMVar box
            case r of
              -- a datagram out of order ends the loop: one was lost
              Just bs | bs /= BC.pack (show (n + 1)) -> modifyIORef' got (bs :)
              Just bs -> modifyIORef' got (bs :) >> loop (k + 1)
              Nothing -> modifyIORef' kills (+ 1) >> loop (k + 1)
    done <- timeout 60000000 (loop (0 :: Int))
    killThread writer
    done `shouldBe` Just ()
    received <- map (read . BC.unpack) . reverse <$> readIORef got
    -- the first datagram out of place, if any (the whole list is too long to show)
    take 1 [(want, seen) | (want, seen) <- zip [1 ..] received, want /= seen] `shouldBe` ([] :: [(Int, Int)])
    length received `shouldBe` total
    readIORef kills >>= (`shouldSatisfy` (> 30))
    NS.close a >> NS.close b
  it "killThreads around acceptSocket on a listener in blocking mode (the fallback engine's accepts then wait in the ring): every connection is accepted once" $
    bracket (NS.socket NS.AF_INET NS.Stream NS.defaultProtocol) NS.close $ \l -> do
      NS.bind l (loopback 0)
      NS.listen l 128
      fl <- sockFd l
      setFdOption fl NonBlockingRead False
      port <- NS.socketPort l
      let total = 100 :: Int
      clients <- newIORef []
      connector <- forkIO $ forM_ [1 .. total] $ \i -> do
        c <- NS.socket NS.AF_INET NS.Stream NS.defaultProtocol
        NS.connect c (loopback port)
        modifyIORef' clients (c :)
        if i `mod` 4 == 0 then threadDelay 300 else yield
      accepted <- newIORef (0 :: Int)
      kills <- newIORef (0 :: Int)
      let loop k = do
            n <- readIORef accepted
            when (n < total) $ do
              box <- newEmptyMVar
              t <- mask_ (forkIO (U.acceptSocket l >>= putMVar box))
              replicateM_ (k `mod` 5) yield
              killThread t
              r <- tryTakeMVar box
              case r of
                Just (s, _) -> NS.close s >> modifyIORef' accepted (+ 1)
                Nothing -> modifyIORef' kills (+ 1)
              loop (k + 1)
      done <- timeout 30000000 (loop (0 :: Int))
      killThread connector
      readIORef clients >>= mapM_ NS.close
      n <- readIORef accepted
      (done, n) `shouldBe` (Just (), total)
      readIORef kills >>= (`shouldSatisfy` (> 10))
  it "killThreads around recvFd: every descriptor passed arrives once" $ withPipe $ \(r, w) -> do
    (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
    let total = 300 :: Int
    -- gaps the receiver waits in, so that kills land in waits
    writer <- forkIO $ forM_ [1 .. total] $ \i -> U.sendFd a w >> if i `mod` 5 == 0 then threadDelay 200 else yield
    got <- newIORef []
    kills <- newIORef (0 :: Int)
    let loop k = do
          n <- length <$> readIORef got
          when (n < total) $ do
            box <- newEmptyMVar
            t <- mask_ (forkIO (U.recvFd b >>= putMVar box))
            replicateM_ (k `mod` 3) yield
            killThread t
            tryTakeMVar box >>= maybe (modifyIORef' kills (+ 1)) (\fd -> modifyIORef' got (fd :))
            loop (k + 1)
    done <- timeout 30000000 (loop (0 :: Int))
    killThread writer
    done `shouldBe` Just ()
    fds <- readIORef got
    length fds `shouldBe` total
    readIORef kills >>= (`shouldSatisfy` (> 30))
    -- each is a working copy of the pipe's writing end
    forM_ fds $ \fd -> fdWrite fd "." >> closeFd fd
    fst <$> fdRead r (fromIntegral total) `shouldReturn` replicate total '.'
    length (sort fds) `shouldBe` total
    NS.close a >> NS.close b
