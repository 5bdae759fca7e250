-- | The readiness face, in the shape of GHC's event-manager @Backend@
-- (@new@, @poll@, @modifyFd@, @modifyFdOnce@, @delete@), over the library's
-- io_uring poll requests or epoll; and 'threadWaitRead' / 'threadWaitWrite'
-- built on it, so a Haskell event loop can run on io_uring polling.
module System.IO.URingBridge.Readiness
  ( Backend
  , Event
  , evtRead
  , evtWrite
  , evtError
  , new
  , newIoUring
  , newEpoll
  , name
  , poll
  , modifyFd
  , modifyFdOnce
  , delete
  , threadWaitRead
  , threadWaitWrite
  ) where

import Control.Concurrent (forkIO)
import Control.Concurrent.MVar
import Control.Exception (IOException, catch, onException, uninterruptibleMask_)
import Control.Monad (forM, forM_, forever, unless, void, when)
import Data.Bits ((.&.), (.|.))
import Data.IORef
import qualified Data.IntMap.Strict as IM
import Data.Int (Int32)
import Data.Word (Word32)
import Foreign.C.Error (Errno (..), errnoToIOError)
import Foreign.C.String (peekCString)
import Foreign.C.Types (CInt)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Ptr (FunPtr, Ptr, nullPtr, plusPtr)
import Foreign.Storable (peekByteOff)
import System.IO.Unsafe (unsafePerformIO)
import System.IO.URingBridge.Manager (requireThreaded)
import System.IO.URingBridge.Raw
import System.Posix.Types (Fd (..))

-- | @URB_EV_*@ bits: 'evtRead', 'evtWrite', 'evtError', combined with
-- 'Data.Bits..|.'.
type Event = Word32

evtRead, evtWrite, evtError :: Event
-- | Readable (data, a connection to accept, or the peer's end of stream).
evtRead = evRead
-- | Writable (room in the send buffer, or a connect that finished).
evtWrite = evWrite
-- | An error or hang-up; always reported, whatever was asked for.
evtError = evError

-- | One backend instance: an io_uring or epoll poller with its
-- registrations. Free it with 'delete'.
data Backend = Backend
  { name :: String
    -- ^ @"io_uring"@ or @"epoll"@
  , state :: Ptr ()
  , pollF :: PollFn
  , modifyF :: ModifyFn
  , onceF :: ModifyOnceFn
  , destroyF :: DestroyFn
  }

-- | The poller that suits the engine chosen at load (io_uring's, or epoll's).
new :: IO Backend
new = c_poller_default >>= fromTable

-- | The io_uring poller; 'Nothing' where io_uring is unavailable.
newIoUring :: IO (Maybe Backend)
newIoUring = do
  vt <- c_poller_io_uring
  if vt == nullPtr then pure Nothing else Just <$> fromTable vt

-- | The epoll poller (always available).
newEpoll :: IO Backend
newEpoll = c_poller_epoll >>= fromTable

fromTable :: Ptr Vtable -> IO Backend
fromTable vt = do
  n <- peekByteOff vt offVtName >>= peekCString
  create <- peekByteOff vt offVtCreate :: IO (FunPtr CreateFn)
  st <- callCreate create
  when (st == nullPtr) $ ioError (userError ("uringbridge: the " ++ n ++ " backend could not be created"))
  p <- peekByteOff vt offVtPoll
  m <- peekByteOff vt offVtModify
  o <- peekByteOff vt offVtModifyOnce
  d <- peekByteOff vt offVtDestroy
  pure (Backend n st (callPoll p) (callModify m) (callModifyOnce o) (callDestroy d))

check :: String -> Int32 -> IO Int
check what r
  | r < 0 = ioError (errnoToIOError what (Errno (fromIntegral (negate r))) Nothing Nothing)
  | otherwise = pure (fromIntegral r)

-- | Waits up to @timeoutUs@ microseconds (negative: forever, 0: not at
-- all), the binding's one time unit, and returns the ready descriptors with
-- their events, each at most once. The backends count whole milliseconds:
-- a time between two of them is rounded up, so a positive timeout never
-- becomes a poll that does not wait. A @safe@ call: other Haskell threads
-- keep running meanwhile. One thread at a time may poll an instance; any
-- thread may modify it meanwhile.
poll :: Backend -> Int -> IO [(Fd, Event)]
poll b timeoutUs = allocaBytes (sizeOfEvent * maxEvents) $ \out -> do
  n <- pollF b (state b) timeoutMs out (fromIntegral maxEvents) >>= check "poll"
  forM [0 .. n - 1] $ \i -> do
    let e = out `plusPtr` (i * sizeOfEvent)
    fd <- peekByteOff e offEventFd :: IO Int32
    ev <- peekByteOff e offEventEvents
    pure (Fd (fromIntegral fd), ev)
  where
    maxEvents = 256
    timeoutMs
      | timeoutUs < 0 = -1
      | otherwise = fromIntegral (min (toInteger (maxBound :: Int32)) ((toInteger timeoutUs + 999) `div` 1000))

-- | Changes the fd's persistent interest from @old@ to @new@ (0 removes the
-- fd's registration). Persistent means edge-triggered: the fd is reported
-- when it becomes ready, so read or write until @EAGAIN@. Remove the
-- registration before closing the fd (an io_uring poll holds the file
-- open). Throws an 'IOError' (@EBADF@ for a closed fd, @EINVAL@ for bad
-- bits).
modifyFd :: Backend -> Fd -> Event -> Event -> IO ()
modifyFd b (Fd fd) old new' = void (modifyF b (state b) fd old new' >>= check "modifyFd")

-- | Interest in @events@ for one report: an fd already ready is reported by
-- the next 'poll', otherwise as soon as it becomes ready; then the
-- registration is gone. Replaces the fd's previous registration.
modifyFdOnce :: Backend -> Fd -> Event -> IO ()
modifyFdOnce b (Fd fd) ev = void (onceF b (state b) fd ev >>= check "modifyFdOnce")

-- | Frees the instance and its registrations. Do not use it afterwards.
delete :: Backend -> IO ()
delete b = destroyF b (state b)

-- The waiters of threadWaitRead/Write: per fd, what each waits for.
data Waiters = Waiters
  { backend :: Backend
  , table :: IORef (IM.IntMap [(Event, MVar Event)])
  , regLock :: MVar ()
    -- ^ held while the table and the fd's registration change together, so
    -- a waiter leaving cannot remove the registration a new one just made
  }

-- | Held for one table change and one registration call (microseconds), so
-- uninterruptibly: an exception handler takes it too.
locked :: Waiters -> IO a -> IO a
locked w act = uninterruptibleMask_ $ do
  takeMVar (regLock w)
  r <- act `onException` putMVar (regLock w) ()
  putMVar (regLock w) ()
  pure r

{-# NOINLINE waiters #-}
waiters :: Waiters
waiters = unsafePerformIO $ do
  b <- new
  t <- newIORef IM.empty
  l <- newMVar ()
  let w = Waiters b t l
  _ <- forkIO (forever (poll b (-1) >>= mapM_ (wake w)))
  pure w

wake :: Waiters -> (Fd, Event) -> IO ()
wake w (Fd fd, ev) = locked w $ do
  (ready, rest) <- atomicModifyIORef' (table w) $ \m ->
    let ws = IM.findWithDefault [] (fromIntegral fd) m
        hit (want, _) = want .&. ev /= 0 || ev .&. evtError /= 0
        (r, k) = (filter hit ws, filter (not . hit) ws)
     in (if null k then IM.delete (fromIntegral fd) m else IM.insert (fromIntegral fd) k m, (r, k))
  forM_ ready $ \(_, mv) -> void (tryPutMVar mv ev)
  -- A one-shot registration covers every waiter of the fd: re-arm the rest.
  -- If that fails (the fd was closed meanwhile), they wake now and their
  -- next read or write reports why; the polling thread goes on.
  unless (null rest) $ rearm w (Fd fd) `catch` \e -> do
    let _ = e :: IOException
    atomicModifyIORef' (table w) $ \m -> (IM.delete (fromIntegral fd) m, ())
    forM_ rest $ \(_, mv) -> tryPutMVar mv evtError

rearm :: Waiters -> Fd -> IO ()
rearm w (Fd fd) = do
  ws <- IM.findWithDefault [] (fromIntegral fd) <$> readIORef (table w)
  let want = foldr ((.|.) . fst) 0 ws
  when (want /= 0) $ modifyFdOnce (backend w) (Fd fd) want

threadWait :: Event -> Fd -> IO ()
threadWait want (Fd fd) = do
  -- The polling thread waits in a safe call, which in the non-threaded RTS
  -- stops every Haskell thread, the one that would make the fd ready too.
  requireThreaded
  let w = waiters
  mv <- newEmptyMVar
  locked w $ do
    atomicModifyIORef' (table w) $ \m -> (IM.insertWith (++) (fromIntegral fd) [(want, mv)] m, ())
    rearm w (Fd fd) `onException` forgetLocked w fd mv
  -- On error or hang-up it returns too: the next read or write reports it.
  void (takeMVar mv `onException` forget w fd mv)

-- | Drops an interrupted waiter. When it was the fd's last one, the fd's
-- registration goes too: an armed io_uring poll holds the open file, so the
-- descriptor could never really close (the peer would never see EOF).
forget :: Waiters -> CInt -> MVar Event -> IO ()
forget w fd mv = locked w (forgetLocked w fd mv)

forgetLocked :: Waiters -> CInt -> MVar Event -> IO ()
forgetLocked w fd mv = do
  remaining <- atomicModifyIORef' (table w) $ \m ->
    let rest = filter ((/= mv) . snd) (IM.findWithDefault [] (fromIntegral fd) m)
     in (if null rest then IM.delete (fromIntegral fd) m else IM.insert (fromIntegral fd) rest m, rest)
  if null remaining
    then void (modifyF (backend w) (state (backend w)) fd 0 0)
    else rearm w (Fd fd)

-- | Blocks the calling green thread until @fd@ is readable (or in error or
-- hung up: the next read reports it), via one process-wide instance of the
-- engine's backend polled by one Haskell thread. No OS thread waits per
-- caller. Interruptible ('System.Timeout.timeout', 'Control.Concurrent.killThread'): an
-- interrupted last waiter removes the fd's registration, so the fd can be
-- closed afterwards. Throws an 'IOError' for an fd the backend cannot watch
-- (@EBADF@ for a closed one), and in a program linked without @-threaded@
-- (see 'System.IO.URingBridge.Manager.requireThreaded').
threadWaitRead :: Fd -> IO ()
threadWaitRead = threadWait evtRead

-- | Like 'threadWaitRead', until @fd@ is writable.
threadWaitWrite :: Fd -> IO ()
threadWaitWrite = threadWait evtWrite
