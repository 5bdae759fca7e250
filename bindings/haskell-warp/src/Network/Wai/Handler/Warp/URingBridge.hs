-- | Any WAI application served by Warp over uringbridge sockets: accepts,
-- receives and sends go through "System.IO.URingBridge" (io_uring, or the
-- library's fallback engine), while HTTP itself — parsing, timeouts, keep-alive,
-- graceful shutdown, every 'Settings' field — stays Warp's own, reached through
-- Warp's user-supplied connection API ('runSettingsConnectionMaker').
--
-- @
-- import Network.Wai.Handler.Warp (defaultSettings, setPort)
-- import qualified Network.Wai.Handler.Warp.URingBridge as UW
--
-- main = UW.runSettings (setPort 8080 defaultSettings) app
-- @
--
-- Differences from stock Warp: plain HTTP only (no TLS, which needs its own
-- connection maker); files are sent by reading them into the connection's
-- buffer ('readSendFile', Warp's portable path) rather than by @sendfile(2)@;
-- the graceful-close timeouts ('setGracefulCloseTimeout1') are not used, a
-- connection is closed at once, as stock Warp does by default.
module Network.Wai.Handler.Warp.URingBridge
  ( runSettings
  , runSettingsSocket
  , uringConnection
  ) where

import Control.Exception (fromException, throwIO, try)
import qualified Data.ByteString as B
import qualified Data.ByteString.Unsafe as BU
import Data.IORef
import Data.Word (Word8)
import Foreign.C.Error (eINVAL, errnoToIOError)
import Foreign.Ptr (Ptr, castPtr, plusPtr)
import GHC.IO.Exception (IOErrorType (..), IOException (..))
import Data.Streaming.Network (bindPortTCP)
import qualified Network.Socket as NS
import Network.Wai (Application)
import Network.Wai.Handler.Warp (InvalidRequest (ConnectionClosedByPeer), getHost, getPort)
import Network.Wai.Handler.Warp.Internal
import System.IO.Error (ioeGetErrorType)
import System.Posix.Types (Fd (..))

import qualified System.IO.URingBridge as U

-- | 'Network.Wai.Handler.Warp.runSettings' on uringbridge: listens on the
-- settings' host and port and serves until the shutdown handler
-- ('setInstallShutdownHandler') runs its action, then waits for the open
-- connections as 'setGracefulShutdownTimeout' says.
runSettings :: Settings -> Application -> IO ()
runSettings set app = NS.withSocketsDo $ do
  listener <- bindPortTCP (getPort set) (getHost set)
  runSettingsSocket set listener app `finallyClose` listener
  where
    finallyClose act s = do
      r <- try act
      NS.close s
      either (throwIO :: IOException -> IO a) pure r

-- | 'Network.Wai.Handler.Warp.runSettingsSocket' on uringbridge: serves the
-- connections of a listening socket (the caller closes it afterwards).
-- Stopping: the action given to 'settingsInstallShutdownHandler' shuts the
-- listener down, which ends the pending accept (with @EINVAL@, on both
-- engines); Warp then stops accepting and drains the open connections.
runSettingsSocket :: Settings -> NS.Socket -> Application -> IO ()
runSettingsSocket set listener app = do
  stopping <- newIORef False
  settingsInstallShutdownHandler set $ do
    writeIORef stopping True
    NS.shutdown listener NS.ShutdownBoth
  let quiet Nothing e
        | Just ioe <- fromException e, ioe_location ioe == stoppedLocation = pure ()
      quiet req e = settingsOnException set req e
  runSettingsConnectionMaker set {settingsOnException = quiet} (acceptOne stopping) app
  where
    acceptOne stopping = do
      r <- try (NS.withFdSocket listener (U.accept . Fd))
      case r of
        Right (Fd fd, peer) -> do
          s <- NS.mkSocket fd
          -- As stock Warp does; AF_UNIX refuses it, which does not matter.
          NS.setSocketOption s NS.NoDelay 1 `catchIO` \_ -> pure ()
          pure (uringConnection set s, peer)
        Left e -> do
          stopped <- readIORef stopping
          -- Warp's accept loop ends on any IOException but ECONNABORTED and
          -- EMFILE (which it retries) and reports it through
          -- settingsOnException: the one a shutdown causes is not news.
          if stopped
            then ioError (errnoToIOError stoppedLocation eINVAL Nothing Nothing)
            else throwIO (e :: IOException)

stoppedLocation :: String
stoppedLocation = "uringbridge-warp: listener shut down"

catchIO :: IO a -> (IOException -> IO a) -> IO a
catchIO act h = try act >>= either h pure

-- | A Warp 'Connection' whose receives and sends are uringbridge requests,
-- each tried on the calling thread; one that would wait waits for
-- readiness in GHC's I/O manager (the green thread sleeping meanwhile).
uringConnection :: Settings -> NS.Socket -> IO Connection
uringConnection _ s = do
  writeBuffer <- allocateBuffer bufferSize
  isH2 <- newIORef False
  pure
    Connection
      { connSendMany = sendAll s . B.concat
      , connSendAll = sendAll s
      , connSendFile = readSendFile writeBuffer bufferSize (sendAll s)
      , connClose = NS.close s
      , connFree = freeBuffer writeBuffer
      , connRecv = recvChunk s
      , connRecvBuf = recvExactly s
      , connWriteBuffer = writeBuffer
      , connBufferSize = bufferSize
      , connHTTP2 = isH2
      }

-- | The next bytes from the socket (up to 16 KiB), empty at end of stream.
-- 'U.recv' receives into its capability's scratch buffer and copies out
-- only the bytes that came, so an idle keep-alive connection holds no
-- receive buffer. A socket
-- Warp's timeout manager has closed meanwhile reads as the end of the
-- stream.
recvChunk :: NS.Socket -> IO B.ByteString
recvChunk s = do
  r <- try (U.recv s recvSize)
  case r of
    Left e
      | closedUnderUs e -> pure B.empty
      | otherwise -> throwIO e
    Right bs -> pure bs

recvSize :: Int
recvSize = 16384

-- | Fills the whole buffer; False if the stream ended first (HTTP/2's frames).
recvExactly :: NS.Socket -> Ptr Word8 -> Int -> IO Bool
recvExactly s p n
  | n <= 0 = pure True
  | otherwise = do
      got <- withFd s $ \fd -> U.recvBuf fd p n
      if got == 0 then pure False else recvExactly s (p `plusPtr` got) (n - got)

-- | Sends everything; a peer that went away is Warp's 'ConnectionClosedByPeer'.
sendAll :: NS.Socket -> B.ByteString -> IO ()
sendAll s bs = do
  r <- try $ BU.unsafeUseAsCStringLen bs $ \(p, n) -> withFd s $ \fd -> U.sendAllBuf fd (castPtr p) n
  case r of
    Left e
      | ioeGetErrorType e == ResourceVanished -> throwIO ConnectionClosedByPeer
      | otherwise -> throwIO e
    Right () -> pure ()

-- | The descriptor as of now (-1 once closed, which the library refuses).
withFd :: NS.Socket -> (Fd -> IO a) -> IO a
withFd s act = NS.withFdSocket s (act . Fd)

closedUnderUs :: IOException -> Bool
closedUnderUs e = ioeGetErrorType e == InvalidArgument
