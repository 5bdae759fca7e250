-- | cp SRC DST: copies a file chunk by chunk, each chunk as one linked
-- read->write chain (the write of a chunk starts only after its read moved
-- the whole chunk; a short read cancels the write and stops the copy).
import Control.Monad (forM_, when)
import Foreign.Marshal.Alloc (allocaBytes)
import System.Environment (getArgs, getProgName)
import System.Exit (exitFailure)
import System.IO (hPutStrLn, stderr)

import qualified System.IO.URingBridge as U

chunk :: Int
chunk = 128 * 1024

main :: IO ()
main = do
  args <- getArgs
  case args of
    [src, dst] -> copy src dst
    _ -> getProgName >>= \me -> hPutStrLn stderr ("usage: " ++ me ++ " SRC DST") >> exitFailure

copy :: FilePath -> FilePath -> IO ()
copy src dst = do
  size <- U.fileSize src
  i <- U.openFile src (U.oRDONLY <> U.oCLOEXEC) 0
  o <- U.openFile dst (U.oWRONLY <> U.oCREAT <> U.oTRUNC <> U.oCLOEXEC) 0o644
  allocaBytes chunk $ \buf ->
    forM_ (takeWhile (< size) [0, fromIntegral chunk ..]) $ \off -> do
      let n = fromIntegral (min (fromIntegral chunk) (size - off))
      rs <- U.submitChain [U.ReadOp i buf n off, U.WriteOp o buf n off]
      when (rs /= [fromIntegral n, fromIntegral n]) $ do
        hPutStrLn stderr ("cp: chunk at " ++ show off ++ ": read, write = " ++ show rs
                          ++ " (" ++ unwords (map U.strerror (filter (< 0) rs)) ++ ")")
        exitFailure
  U.closeFd i
  U.closeFd o
