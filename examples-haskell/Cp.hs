-- | cp SRC DST: copies with linked read->write chains (the write of a chunk
-- starts only after its read succeeded), then verifies size and content.
import Control.Monad (forM_, unless, when)
import Data.Bits ((.|.))
import qualified Data.ByteString as B
import Foreign.Marshal.Alloc (allocaBytes)
import System.Environment (getArgs)
import System.Exit (exitFailure)
import System.IO (IOMode (ReadMode), hFileSize, withFile)

import qualified System.IO.URingBridge as U

chunk :: Int
chunk = 128 * 1024

main :: IO ()
main = do
  [src, dst] <- getArgs
  size <- withFile src ReadMode hFileSize
  i <- U.openFile src 0o2000000 0
  o <- U.openFile dst (0o1 .|. 0o100 .|. 0o1000 .|. 0o2000000) 0o644
  allocaBytes chunk $ \buf ->
    forM_ [0, fromIntegral chunk .. size - 1] $ \off -> do
      let n = fromIntegral (min (fromIntegral chunk) (size - off))
          o64 = fromIntegral off
      rs <- U.submitChain [U.ReadOp i buf n o64, U.WriteOp o buf n o64]
      when (any (< 0) rs) $ putStrLn ("cp: chain failed: " ++ show rs) >> exitFailure
  U.closeFd i >> U.closeFd o
  a <- B.readFile src
  b <- B.readFile dst
  unless (a == b) $ putStrLn "cp: copy differs" >> exitFailure
  putStrLn ("cp: " ++ show size ++ " bytes, verified")
