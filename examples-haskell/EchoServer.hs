-- | echo-server: echoes every byte back, one green thread per connection,
-- all I/O through uringbridge.   echo-server [--port N]   (127.0.0.1 only)
import Control.Concurrent (forkIO)
import Control.Exception (SomeException, finally, try)
import Control.Monad (forever, unless, void)
import qualified Data.ByteString as B
import qualified Network.Socket as NS
import System.Environment (getArgs)
import System.IO (hFlush, stdout)

import qualified System.IO.URingBridge as U

main :: IO ()
main = do
  args <- getArgs
  let port = maybe "7007" id (lookup "--port" (zip args (drop 1 args)))
  l <- NS.socket NS.AF_INET NS.Stream 0
  NS.setSocketOption l NS.ReuseAddr 1
  NS.bind l (NS.SockAddrInet (read port) (NS.tupleToHostAddress (127, 0, 0, 1)))
  NS.listen l 1024
  bound <- NS.socketPort l
  putStrLn ("listening on " ++ show bound ++ " (engine " ++ U.backendName ++ ")")
  hFlush stdout
  forever $ do
    (c, _) <- U.acceptSocket l
    void (forkIO (echo c `finally` NS.close c))

echo :: NS.Socket -> IO ()
echo c = do
  r <- try (U.recv c 65536)
  case r of
    Right bs -> unless (B.null bs) (U.sendAll c bs >> echo c)
    Left e -> void (pure (e :: SomeException))
