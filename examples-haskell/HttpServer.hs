-- | The seeds' HTTP benchmark server: accept, read the request, send a fixed
-- reply, keep the connection alive when the client asks, close otherwise;
-- one green thread per connection. @--io uring@ serves through uringbridge,
-- @--io ghc@ through GHC's own I/O manager (plain network calls): the same
-- program either way, for comparisons.
--
--   http-server [--io uring|ghc] [--port N]     (127.0.0.1 only; 0 = any port)
import Control.Concurrent (forkIO)
import Control.Exception (SomeException, finally, try)
import Control.Monad (forever, void, when)
import qualified Data.ByteString as B
import qualified Data.ByteString.Char8 as BC
import qualified Network.Socket as NS
import qualified Network.Socket.ByteString as NSB
import System.Environment (getArgs)
import System.IO (hFlush, stdout)

import qualified System.IO.URingBridge as U

data IOImpl = IOImpl
  { ioAccept :: NS.Socket -> IO NS.Socket
  , ioRecv :: NS.Socket -> Int -> IO B.ByteString
  , ioSendAll :: NS.Socket -> B.ByteString -> IO ()
  }

uring, ghc :: IOImpl
uring = IOImpl (fmap fst . U.acceptSocket) U.recv U.sendAll
ghc = IOImpl (fmap fst . NS.accept) NSB.recv NSB.sendAll

reply, replyClose, reply10 :: B.ByteString
reply = BC.pack "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!"
replyClose = BC.pack "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: close\r\n\r\nHello, world!"
reply10 = BC.pack "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, world!"

main :: IO ()
main = do
  args <- getArgs
  let opt k d = maybe d id (lookup k (zip args (drop 1 args)))
      impl = if opt "--io" "uring" == "ghc" then ghc else uring
  l <- NS.socket NS.AF_INET NS.Stream 0
  NS.setSocketOption l NS.ReuseAddr 1
  NS.bind l (NS.SockAddrInet (read (opt "--port" "8080")) (NS.tupleToHostAddress (127, 0, 0, 1)))
  NS.listen l 4096
  port <- NS.socketPort l
  putStrLn ("listening on " ++ show port ++ " (io " ++ opt "--io" "uring" ++ ", engine " ++ U.backendName ++ ")")
  hFlush stdout
  forever $ do
    c <- ioAccept impl l
    void (forkIO (serve impl c B.empty `finally` NS.close c))

serve :: IOImpl -> NS.Socket -> B.ByteString -> IO ()
serve impl c pending = case B.breakSubstring (BC.pack "\r\n\r\n") pending of
  (headers, rest) | not (B.null rest) -> do
    let http10 = BC.pack "HTTP/1.0" `B.isInfixOf` headers
        lower = BC.map toLower headers
        keep = if http10 then BC.pack "connection: keep-alive" `B.isInfixOf` lower
                         else not (BC.pack "connection: close" `B.isInfixOf` lower)
    r <- try (ioSendAll impl c (if not keep then replyClose else if http10 then reply10 else reply))
    case r of
      Left e -> void (pure (e :: SomeException))
      Right () -> when keep (serve impl c (B.drop 4 rest))
  _ -> do
    more <- try (ioRecv impl c 4096)
    case more of
      Right bs | not (B.null bs) -> serve impl c (pending <> bs)
      Right _ -> pure ()
      Left e -> void (pure (e :: SomeException))
  where
    toLower ch = if ch >= 'A' && ch <= 'Z' then toEnum (fromEnum ch + 32) else ch
