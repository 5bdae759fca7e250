-- | The shared bad-input catalogue (tests/vectors/bad_input.tsv, also read by
-- the C and Go suites): every vector through the blocking face, alone and as
-- a chain of one, must give the documented result.
module Vectors (vectorsSpec) where

import Control.Monad (filterM, forM_, unless, when)
import Data.Bits ((.|.))
import Data.Char (isDigit, toLower)
import Data.Int (Int32)
import Data.List (elemIndex, nub)
import Data.Maybe (fromMaybe)
import Data.Word (Word16, Word32, Word64, Word8)
import Foreign.C.Error (Errno (..), eBADF, eINVAL, eNOENT, eNOTSOCK, eNOTDIR, eISDIR, eNOTCONN, eOPNOTSUPP, eACCES, eFAULT, eAFNOSUPPORT, eNOSYS, eSPIPE, eEXIST, eNXIO, ePERM, eAGAIN, eDESTADDRREQ, eISCONN, eNAMETOOLONG)
import Foreign.Marshal.Alloc (allocaBytes, callocBytes, free)
import Foreign.Marshal.Array (allocaArray, peekArray)
import Foreign.Ptr (Ptr, nullPtr)
import Foreign.Storable (pokeByteOff)
import qualified Network.Socket as NS
import System.Directory (doesFileExist)
import System.IO.URingBridge.Raw
import System.Posix.IO (OpenMode (..), closeFd, createPipe, defaultFileFlags, dupTo, openFd)
import System.Posix.Process (getProcessID)
import System.Posix.Types (Fd (..))
import Test.Hspec

vectorsPath :: FilePath
vectorsPath = "../../tests/vectors/bad_input.tsv"

split :: Char -> String -> [String]
split c s = case break (== c) s of
  (a, _ : rest) -> a : split c rest
  (a, []) -> [a]

-- | The catalogue's opcode names with the header's @URB_OP_*@ values (from
-- hsc2hs); 'vectorsSpec' checks that they cover the header's opcodes (the
-- last one, and every number the engine says it performs).
opcodes :: [(String, Word8)]
opcodes =
  [ ("nop", opNop), ("read", opRead), ("write", opWrite), ("readv", opReadv), ("writev", opWritev)
  , ("fsync", opFsync), ("openat", opOpenat), ("close", opClose), ("statx", opStatx), ("recv", opRecv)
  , ("send", opSend), ("accept", opAccept), ("connect", opConnect), ("shutdown", opShutdown)
  , ("poll", opPoll), ("timeout", opTimeout), ("unlinkat", opUnlinkat), ("renameat", opRenameat)
  , ("mkdirat", opMkdirat), ("sendmsg", opSendmsg), ("recvmsg", opRecvmsg), ("socket", opSocket)
  , ("bind", opBind), ("listen", opListen), ("symlinkat", opSymlinkat), ("linkat", opLinkat)
  , ("fallocate", opFallocate), ("ftruncate", opFtruncate), ("fadvise", opFadvise), ("madvise", opMadvise)
  , ("sync_file_range", opSyncFileRange), ("splice", opSplice), ("tee", opTee), ("getxattr", opGetxattr)
  , ("setxattr", opSetxattr), ("read_fixed", opReadFixed), ("write_fixed", opWriteFixed)
  , ("send_zc", opSendZc), ("sendmsg_zc", opSendmsgZc) ]

errnos :: [(String, Errno)]
errnos =
  [ ("EBADF", eBADF), ("EINVAL", eINVAL), ("ENOENT", eNOENT), ("ENOTSOCK", eNOTSOCK), ("ENOTDIR", eNOTDIR)
  , ("EISDIR", eISDIR), ("ENOTCONN", eNOTCONN), ("EOPNOTSUPP", eOPNOTSUPP), ("EACCES", eACCES), ("EFAULT", eFAULT)
  , ("EAFNOSUPPORT", eAFNOSUPPORT), ("ENOSYS", eNOSYS), ("ESPIPE", eSPIPE), ("EEXIST", eEXIST), ("ENXIO", eNXIO)
  , ("EPERM", ePERM), ("EAGAIN", eAGAIN), ("EDESTADDRREQ", eDESTADDRREQ), ("EISCONN", eISCONN), ("ENAMETOOLONG", eNAMETOOLONG) ]

number :: String -> Maybe Integer
number "-" = Just 0
number s = case map toLower s of
  '0' : 'x' : hex -> Just (read ("0x" ++ hex))
  '-' : ds | all isDigit ds, not (null ds) -> Just (negate (read ds))
  ds | all isDigit ds, not (null ds) -> Just (read ds)
  _ -> lookup s symbols
  where
    symbols = [("POLLIN", 1), ("SHUT_RDWR", 2), ("STATX_BASIC_STATS", 0x7ff), ("O_RDONLY", 0), ("AT_FDCWD", -100)]

data Fixtures = Fixtures {fixtureFd :: String -> Maybe Int32}

withFixtures :: (Fixtures -> IO a) -> IO a
withFixtures act = do
  devnull <- openFd "/dev/null" ReadWrite Nothing defaultFileFlags
  pid <- getProcessID
  file <- openFd ("/tmp/urb-hs-vectors-" ++ show pid) ReadWrite (Just 0o600) defaultFileFlags
  (pr, pw) <- createPipe
  (sa, sb) <- NS.socketPair NS.AF_UNIX NS.Stream 0
  sfd <- NS.unsafeFdSocket sa
  dir <- openFd "/tmp" ReadOnly Nothing defaultFileFlags
  -- A number that names nothing: moved high before it is closed, so that
  -- descriptors opened later (the rings the first request creates) cannot
  -- take it back; a read on a reused number would wait forever.
  low <- openFd "/dev/null" ReadOnly Nothing defaultFileFlags
  closed <- dupTo low (Fd 900)
  closeFd low >> closeFd closed
  let fds = [("devnull", devnull), ("file", file), ("pipe_r", pr), ("pipe_w", pw), ("socket", Fd sfd), ("dir", dir), ("closed", closed)]
      lookupFd name = case lookup name fds of
        Just (Fd n) -> Just (fromIntegral n)
        Nothing -> fromIntegral <$> number name
  r <- act (Fixtures lookupFd)
  mapM_ closeFd [devnull, file, pr, pw, dir]
  NS.close sa >> NS.close sb
  pure r

vectorsSpec :: Spec
vectorsSpec = describe "shared bad-input vectors" $ do
  it "name every opcode of the header, each once: the last one (URB_OP_COUNT - 1), and every number the engine performs" $ do
    let known = map snd opcodes
    length known `shouldBe` length (nub known)
    maximum known `shouldBe` opCount - 1
    -- numbers may be unallocated (the header's gaps); those are never supported
    unnamed <- filterM (fmap (/= 0) . c_op_supported) [n | n <- [0 .. opCount - 1], n `notElem` known]
    unnamed `shouldBe` []
  it "every vector gives its documented result, alone and as a chain of one" everyVector

everyVector :: Expectation
everyVector = do
  present <- doesFileExist vectorsPath
  unless present $ pendingWith ("no " ++ vectorsPath)
  header : rows <- filter (not . null) . lines <$> readFile vectorsPath
  let cols = split '\t' header
      col row name = fromMaybe "-" (elemIndex name cols >>= \i -> if i < length row then Just (row !! i) else Nothing)
  failures <- withFixtures $ \fx -> fmap concat $ mapM (check fx col . split '\t') rows
  failures `shouldBe` []
  where
    check fx col row = allocaBytes sizeOfOp $ \op -> do
      buf <- callocBytes 65536
      buf2 <- callocBytes 65536
      mapM_ (\o -> pokeByteOff op o (0 :: Word8)) [0 .. sizeOfOp - 1]
      let field name = col row name
          num name = fromMaybe (error ("bad number in " ++ field "name" ++ ": " ++ field name)) (number (field name))
          ptr name p = if field name == "valid" then p else nullPtr :: Ptr ()
          code = fromMaybe (fromIntegral (num "opcode")) (lookup (field "opcode") opcodes)
          fd = fromMaybe (error ("unknown fd " ++ field "fd")) (fixtureFd fx (field "fd"))
      pokeByteOff op offOpOpcode code
      pokeByteOff op offOpFlags (fromIntegral (num "flags") :: Word8)
      pokeByteOff op offOpReserved0 (fromIntegral (num "reserved0") :: Word16)
      pokeByteOff op offOpFd fd
      pokeByteOff op offOpOffset (fromIntegral (num "offset") :: Word64)
      pokeByteOff op offOpBuf (ptr "buf" buf)
      pokeByteOff op offOpLen (fromIntegral (num "len") :: Word32)
      pokeByteOff op offOpOpFlags (fromIntegral (num "op_flags") :: Word32)
      pokeByteOff op offOpBuf2 (ptr "buf2" buf2)
      pokeByteOff op offOpMode (fromIntegral (num "mode") :: Word32)
      pokeByteOff op offOpReserved1 (fromIntegral (num "reserved1") :: Word32)
      pokeByteOff op offOpReserved2 (fromIntegral (num "reserved2") :: Word64)
      pokeByteOff op (offOpReserved2 + 8) (fromIntegral (num "reserved2_1") :: Word64)
      alone <- c_submit_blocking op
      chained <- allocaArray 1 $ \res -> c_submit_chain_blocking op 1 res >> head <$> peekArray 1 res
      when (code == 6 && alone >= 0) $ closeFdNum alone
      when (code == 6 && chained >= 0) $ closeFdNum chained
      free buf >> free buf2
      let want = field "expect"
          ok r = if want == "ok" then r >= 0 else Just (Errno (fromIntegral (negate r))) == lookup want errnos
      pure [field "name" ++ ": got " ++ show (alone, chained) ++ ", want " ++ want | not (ok alone && ok chained)]
    closeFdNum n = closeFd (Fd (fromIntegral n))
