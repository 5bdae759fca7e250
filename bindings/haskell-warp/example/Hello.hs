-- | One WAI application, served by stock Warp or by Warp on uringbridge:
-- the example of Network.Wai.Handler.Warp.URingBridge, the server its tests
-- drive with real clients, and both sides of its benchmark.
--
--   urb-warp-hello [--io uring|warp] [--port N] [--timeout S]
--     127.0.0.1; port 0 = any; S: Warp's idle timeout (default 30 s)
--
--   GET  /            a short text reply (what the benchmark measures)
--   POST /echo        the request body back (any length, chunked or not)
--   GET  /slow?ms=N   the reply after N milliseconds (graceful shutdown)
--   GET  /big         1 MiB (sends that take many system calls)
--
-- SIGTERM or SIGINT stops accepting; open requests finish (up to 10 s),
-- then the program prints "stopped" and exits 0.
{-# LANGUAGE OverloadedStrings #-}
import Control.Concurrent (threadDelay)
import Control.Monad (join, void)
import qualified Data.ByteString.Char8 as BC
import qualified Data.ByteString.Lazy as BL
import qualified Network.HTTP.Types as H
import qualified Network.Socket as NS
import Network.Wai
import qualified Network.Wai.Handler.Warp as Warp
import qualified Network.Wai.Handler.Warp.URingBridge as UW
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (hFlush, hPutStrLn, stderr, stdout)
import System.Posix.Signals (Handler (CatchOnce), installHandler, sigINT, sigTERM)

import qualified System.IO.URingBridge as U

app :: Application
app req respond = case (requestMethod req, pathInfo req) of
  ("GET", []) -> respond (responseLBS H.status200 plain "hello, world\n")
  ("POST", ["echo"]) -> strictRequestBody req >>= respond . responseLBS H.status200 plain
  ("GET", ["slow"]) -> do
    let ms = maybe 100 fst (BC.readInt =<< join (lookup "ms" (queryString req)))
    threadDelay (ms * 1000)
    respond (responseLBS H.status200 plain "slow\n")
  ("GET", ["big"]) -> respond (responseLBS H.status200 ((H.hContentLength, "1048576") : plain) big)
  _ -> respond (responseLBS H.status404 plain "not found\n")
  where
    plain = [(H.hContentType, "text/plain")]
    big = BL.fromChunks (replicate 1024 (BC.replicate 1024 'x'))

main :: IO ()
main = do
  (io, port, idle) <- parse "uring" 0 30 =<< getArgs
  serve <- case io of
    "uring" -> pure UW.runSettingsSocket
    "warp" -> pure Warp.runSettingsSocket
    _ -> usage
  listener <- NS.socket NS.AF_INET NS.Stream NS.defaultProtocol
  NS.setSocketOption listener NS.ReuseAddr 1
  NS.bind listener (NS.SockAddrInet (fromIntegral port) (NS.tupleToHostAddress (127, 0, 0, 1)))
  NS.listen listener 1024
  bound <- NS.socketPort listener
  putStrLn ("listening on " ++ show bound ++ " (" ++ io ++ ", engine " ++ U.engineName ++ ")")
  hFlush stdout
  let settings =
        Warp.setPort (fromIntegral bound) $
          Warp.setTimeout idle $
          Warp.setGracefulShutdownTimeout (Just 10) $
            Warp.setInstallShutdownHandler
              (\stop -> mapM_ (\sig -> void (installHandler sig (CatchOnce stop) Nothing)) [sigTERM, sigINT])
              Warp.defaultSettings
  serve settings listener app
  NS.close listener
  putStrLn "stopped"
  where
    parse _ port idle ("--io" : v : rest) = parse v port idle rest
    parse io _ idle ("--port" : v : rest) = parse io (read v :: Int) idle rest
    parse io port _ ("--timeout" : v : rest) = parse io port (read v :: Int) rest
    parse io port idle [] = pure (io, port, idle)
    parse _ _ _ _ = usage
    usage = hPutStrLn stderr "usage: urb-warp-hello [--io uring|warp] [--port N] [--timeout S]" >> exitFailure
