-- | Copies stdin to stdout through System.IO.URingBridge and says on stderr
-- which engine did it: the smallest program a user of the installed package
-- writes.
import Control.Monad (unless)
import qualified Data.ByteString as B
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Ptr (castPtr)
import System.IO (hPutStrLn, stderr)
import System.Posix.Types (Fd (..))

import qualified System.IO.URingBridge as U

main :: IO ()
main = do
  hPutStrLn stderr ("engine " ++ U.engineName ++ ", uringbridge " ++ U.version)
  allocaBytes chunk $ \buf -> do
    let loop = do
          n <- U.readBuf (Fd 0) buf chunk U.offsetCurrent
          unless (n == 0) $ do
            B.packCStringLen (castPtr buf, n) >>= B.putStr
            loop
    loop
  where
    chunk = 65536
