-- | The binding in a program linked without @-threaded@ (this suite is):
-- everything that waits on an async ring or on the readiness poller refuses
-- with the documented 'IOError' at once, instead of corrupting the RTS or
-- hanging it; the per-OS-thread face and the engine queries work.
module Main (main) where

import Control.Concurrent (rtsSupportsBoundThreads)
import Control.Exception (try)
import Control.Monad (when)
import qualified Data.ByteString.Char8 as BC
import Data.List (isInfixOf)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Marshal.Array (peekArray, pokeArray)
import qualified Network.Socket as NS
import System.Exit (exitFailure)
import System.IO.Error (ioeGetErrorString, isUserError)
import System.Posix.IO (closeFd, createPipe)
import Test.Hspec

import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Readiness as R

-- | The action fails with the binding's "linked without -threaded" error.
refused :: IO a -> Expectation
refused act = do
  r <- try act
  case r of
    Left e -> (isUserError e, "-threaded" `isInfixOf` ioeGetErrorString e) `shouldBe` (True, True)
    Right _ -> expectationFailure "ran on the non-threaded RTS"

main :: IO ()
main = do
  when rtsSupportsBoundThreads $ putStrLn "this suite must be linked without -threaded" >> exitFailure
  hspec $ describe "without -threaded" $ do
    it "the async ring's calls refuse" $ do
      refused (U.submitBlocking U.Nop)
      refused (U.submitBlockingTimeout 1000 (U.SleepOp 10))
      refused (U.submitChain [U.Nop, U.Nop])
      refused (U.submitBatch [U.Nop])
      refused (U.sleep 10)
      refused (U.openFile "/dev/null" U.oRDONLY 0)
    it "the socket calls refuse, whether or not they would wait" $ do
      (a, b) <- NS.socketPair NS.AF_UNIX NS.Stream 0
      refused (U.sendAll a (BC.pack "x"))
      refused (U.recv b 10)
      refused (U.recvWithin 1000 b 10)
      refused (U.acceptSocket a)
      NS.close a >> NS.close b
    it "Readiness.threadWaitRead and threadWaitWrite refuse (their poller would stop the whole RTS)" $ do
      (r, w) <- createPipe
      refused (R.threadWaitRead r)
      refused (R.threadWaitWrite w)
      closeFd r >> closeFd w
    it "the per-OS-thread face works (each call holds the program while it waits)" $ do
      U.submitBlockingOS U.Nop `shouldReturn` 0
      (r, w) <- createPipe
      allocaBytes 4 $ \p -> do
        pokeArray p [1, 2, 3]
        U.submitChainOS [U.WriteOp w p 3 U.offsetCurrent, U.ReadOp r p 3 U.offsetCurrent] `shouldReturn` [3, 3]
        peekArray 3 p `shouldReturn` [1, 2, 3]
        -- an empty pipe: the time runs out (ETIME)
        U.submitBlockingOSTimeout 1000 (U.ReadOp r p 1 U.offsetCurrent) `shouldReturn` (-62)
      closeFd r >> closeFd w
    it "the engine queries work" $ do
      U.backendName `shouldSatisfy` (`elem` ["io_uring", "fallback"])
      U.opSupported U.Nop `shouldBe` True
      U.version `shouldSatisfy` (not . null)
