-- | cat FILE...: copies files to stdout through uringbridge (reads at the
-- file position, writes to fd 1).
import Control.Monad (unless)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Ptr (Ptr, plusPtr)
import Data.Word (Word8)
import System.Environment (getArgs)
import System.Posix.Types (Fd (..))

import qualified System.IO.URingBridge as U

main :: IO ()
main = getArgs >>= mapM_ catFile

catFile :: FilePath -> IO ()
catFile path = do
  fd <- U.openFile path (U.oRDONLY <> U.oCLOEXEC) 0
  allocaBytes chunk $ \buf -> loop fd buf
  U.closeFd fd
  where
    chunk = 65536
    loop fd buf = do
      n <- U.readBuf fd buf chunk U.offsetCurrent
      unless (n == 0) $ writeAll buf n >> loop fd buf

writeAll :: Ptr Word8 -> Int -> IO ()
writeAll p n = unless (n == 0) $ do
  w <- U.writeBuf (Fd 1) p n U.offsetCurrent
  writeAll (p `plusPtr` w) (n - w)
