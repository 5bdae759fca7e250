-- | udp-echo: sends every datagram back to its sender, with the socket made,
-- bound and used through uringbridge (newSocket, bindSocket, recvFrom,
-- sendTo).   udp-echo [--port N]   (127.0.0.1 only)
import Control.Monad (forever, void)
import qualified Network.Socket as NS
import System.Environment (getArgs)
import System.IO (hFlush, stdout)

import qualified System.IO.URingBridge as U

main :: IO ()
main = do
  args <- getArgs
  let port = maybe "7008" id (lookup "--port" (zip args (drop 1 args)))
  s <- U.newSocket NS.AF_INET NS.Datagram NS.defaultProtocol
  U.bindSocket s (NS.SockAddrInet (read port) (NS.tupleToHostAddress (127, 0, 0, 1)))
  bound <- NS.socketPort s
  putStrLn ("listening on " ++ show bound ++ " (engine " ++ U.backendName ++ ")")
  hFlush stdout
  forever $ do
    (datagram, sender) <- U.recvFrom s 65536
    void (U.sendTo s datagram sender)
