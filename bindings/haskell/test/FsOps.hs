-- | symlinkat, linkat, fallocate, ftruncate, fadvise, madvise,
-- sync_file_range, splice and tee: the requests through both blocking faces
-- against package unix's calls on identical files, the chain-end rule, and
-- the typed calls named as package unix names them (createSymbolicLink,
-- createLink, setFdSize, setFileSize, fileAllocate, fileAdvise) with their
-- errors, and ENOSYS where the engine lacks an operation (URB_PROBE_HIDE).
module FsOps (fsOpsSpec) where

import Control.Concurrent
import Control.Exception
import Control.Monad
import Data.Int (Int32)
import Foreign.C.Error (Errno (..), eBADF, eEXIST, eINVAL, eNODATA, eNOENT, eNOSYS, ePERM, eRANGE, eSPIPE)
import qualified Data.ByteString.Char8 as BC
import Foreign.C.String (withCString)
import Foreign.ForeignPtr (withForeignPtr)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Ptr (castPtr, nullPtr, plusPtr)
import GHC.ForeignPtr (mallocPlainForeignPtrAlignedBytes)
import GHC.IO.Exception (IOException (..))
import System.Environment (lookupEnv)
import qualified System.Posix.Files as P
import System.Posix.Fcntl (Advice (..))
import System.Posix.IO (closeFd, fdRead, fdWrite)
import System.Posix.Types (Fd (..), FileOffset)
import System.Timeout (timeout)
import Test.Hspec

import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Raw as Raw
import Operations

fsOpsSpec :: Spec
fsOpsSpec = describe "symlinkat, linkat, fallocate, ftruncate, fadvise, madvise, sync_file_range, splice, tee" $ do
  forM_ faces linkFaceSpec
  forM_ faces fileFaceSpec
  forM_ faces pipeFaceSpec
  forM_ faces chainEndSpec
  forM_ faces xattrFaceSpec
  rawFsSpec
  typedFsSpec

sizeOf :: FilePath -> IO FileOffset
sizeOf path = P.fileSize <$> P.getFileStatus path

-- | A file of @n@ bytes of "x" opened read-write, with its path.
withFileOf :: Int -> (FilePath -> Fd -> IO a) -> IO a
withFileOf n act = withNewFile $ \path fd -> do
  when (n > 0) $ void (fdWrite fd (replicate n 'x'))
  act path fd

linkFaceSpec :: Face -> Spec
linkFaceSpec face = describe (faceName face ++ ": symlinkat and linkat (compared with package unix on identical trees)") $ do
  let symlinkOp dir target name = withPaths dir [name] $ \[c] -> withCString target $ \t -> submit face (U.SymlinkAtOp t U.atFDCWD c)
      linkOp flags dir old new = withPaths dir [old, new] $ \[o, n] -> submit face (U.LinkAtOp U.atFDCWD o U.atFDCWD n flags)
      at dir name = dir ++ "/" ++ name
  sameAsSystem "symlink to a new name" 0 (\d -> P.createSymbolicLink "f" (at d "s")) (\d -> symlinkOp d "f" "s")
  sameAsSystem "symlink to a target that does not exist" 0 (\d -> P.createSymbolicLink "nothing" (at d "s")) (\d -> symlinkOp d "nothing" "s")
  sameAsSystem "symlink over a file" (failure eEXIST) (\d -> P.createSymbolicLink "f" (at d "d")) (\d -> symlinkOp d "f" "d")
  sameAsSystem "symlink under a missing parent" (failure eNOENT) (\d -> P.createSymbolicLink "f" (at d "missing/s")) (\d -> symlinkOp d "f" "missing/s")
  sameAsSystem "link of a file" 0 (\d -> P.createLink (at d "f") (at d "g")) (\d -> linkOp 0 d "f" "g")
  sameAsSystem "link over an existing name" (failure eEXIST) (\d -> P.createLink (at d "f") (at d "full/x")) (\d -> linkOp 0 d "f" "full/x")
  sameAsSystem "link of a missing name" (failure eNOENT) (\d -> P.createLink (at d "missing") (at d "g")) (\d -> linkOp 0 d "missing" "g")
  sameAsSystem "link of a directory" (failure ePERM) (\d -> P.createLink (at d "d") (at d "g")) (\d -> linkOp 0 d "d" "g")
  it "symlinkat stores the target as text; linkat's new name is the same file" $ withTempDir $ \d -> do
    makeTree d
    symlinkOp d "../somewhere/else" "s" `shouldReturn` 0
    P.readSymbolicLink (at d "s") `shouldReturn` "../somewhere/else"
    linkOp 0 d "f" "g" `shouldReturn` 0
    st1 <- P.getFileStatus (at d "f")
    st2 <- P.getFileStatus (at d "g")
    (P.fileID st2, P.linkCount st2) `shouldBe` (P.fileID st1, 2)
  it "linkat of a symbolic link: the link itself, or with atSYMLINKFOLLOW the file it names" $ withTempDir $ \d -> do
    makeTree d
    symlinkOp d "f" "s" `shouldReturn` 0
    linkOp 0 d "s" "plain" `shouldReturn` 0
    P.isSymbolicLink <$> P.getSymbolicLinkStatus (at d "plain") `shouldReturn` True
    linkOp U.atSYMLINKFOLLOW d "s" "followed" `shouldReturn` 0
    followed <- P.getSymbolicLinkStatus (at d "followed")
    f <- P.getFileStatus (at d "f")
    (P.isSymbolicLink followed, P.fileID followed) `shouldBe` (False, P.fileID f)
  it "linkat with an unknown flag: EINVAL; symlinkat relative to a closed descriptor: EBADF" $ withTempDir $ \d -> do
    makeTree d
    linkOp 0x1 d "f" "g" `shouldReturn` failure eINVAL
    withCString "f" $ \t -> withCString "s" $ \c -> submit face (U.SymlinkAtOp t badFd c) `shouldReturn` failure eBADF

fileFaceSpec :: Face -> Spec
fileFaceSpec face = describe (faceName face ++ ": ftruncate, fallocate, fadvise, sync_file_range, madvise") $ do
  it "FtruncateOp cuts and extends as package unix's setFdSize does" $ withFileOf 100 $ \path fd -> withFileOf 100 $ \path' fd' -> do
    forM_ [10, 0, 5000, 7] $ \n -> do
      P.setFdSize fd' n
      submit face (U.FtruncateOp fd (fromIntegral n)) `shouldReturn` 0
      (,) <$> sizeOf path <*> sizeOf path' `shouldReturn` (n, n)
  it "FtruncateOp to a negative length, and on a descriptor opened read-only: EINVAL, as the system call" $ withFileOf 10 $ \path fd -> do
    sys <- systemResult (P.setFdSize fd (-1))
    sys `shouldBe` failure eINVAL
    submit face (U.FtruncateOp fd (fromIntegral (-1 :: Int))) `shouldReturn` sys
    ro <- U.openFile path U.oRDONLY 0
    sysRo <- systemResult (P.setFdSize ro 0)
    submit face (U.FtruncateOp ro 0) `shouldReturn` sysRo
    sysRo `shouldBe` failure eINVAL
    U.closeFd ro
    sizeOf path `shouldReturn` 10
  it "FallocateOp allocates and extends (mode 0), or keeps the size (fallocKEEPSIZE); length 0: EINVAL" $ withFileOf 10 $ \path fd -> do
    submit face (U.FallocateOp fd 0 0 4096) `shouldReturn` 0
    sizeOf path `shouldReturn` 4096
    submit face (U.FallocateOp fd U.fallocKEEPSIZE 4096 65536) `shouldReturn` 0
    sizeOf path `shouldReturn` 4096
    submit face (U.FallocateOp fd 0 0 0) `shouldReturn` failure eINVAL
  it "FadviseOp and SyncFileRangeOp on a file: 0; bad advice or flags: EINVAL; on a pipe: ESPIPE" $ withFileOf 100 $ \_ fd -> withPipe $ \(r, _) -> do
    forM_ [AdviceNormal, AdviceRandom, AdviceSequential, AdviceWillNeed, AdviceDontNeed, AdviceNoReuse] $ \a -> submit face (U.FadviseOp fd 0 0 (U.adviceValue a)) `shouldReturn` 0
    submit face (U.FadviseOp fd 0 0 99) `shouldReturn` failure eINVAL
    submit face (U.FadviseOp r 0 0 (U.adviceValue AdviceNormal)) `shouldReturn` failure eSPIPE
    let all3 = U.syncFileRangeWAITBEFORE + U.syncFileRangeWRITE + U.syncFileRangeWAITAFTER
    submit face (U.SyncFileRangeOp fd 0 0 all3) `shouldReturn` 0
    submit face (U.SyncFileRangeOp fd 0 100 U.syncFileRangeWRITE) `shouldReturn` 0
    submit face (U.SyncFileRangeOp fd 0 0 0x80) `shouldReturn` failure eINVAL
    submit face (U.SyncFileRangeOp r 0 0 all3) `shouldReturn` failure eSPIPE
  it "MadviseOp on page-aligned memory: 0; an address that is not page-aligned: EINVAL" $ do
    mem <- mallocPlainForeignPtrAlignedBytes 16384 4096
    withForeignPtr mem $ \p -> do
      submit face (U.MadviseOp (castPtr p) 16384 U.madvWILLNEED) `shouldReturn` 0
      submit face (U.MadviseOp (castPtr p) 16384 U.madvNORMAL) `shouldReturn` 0
      submit face (U.MadviseOp (castPtr p `plusPtr` 1) 4096 U.madvWILLNEED) `shouldReturn` failure eINVAL
  it "on a closed descriptor: EBADF" $ do
    submit face (U.FtruncateOp badFd 0) `shouldReturn` failure eBADF
    submit face (U.FallocateOp badFd 0 0 10) `shouldReturn` failure eBADF
    submit face (U.FadviseOp badFd 0 0 0) `shouldReturn` failure eBADF
    submit face (U.SyncFileRangeOp badFd 0 0 0) `shouldReturn` failure eBADF

pipeFaceSpec :: Face -> Spec
pipeFaceSpec face = describe (faceName face ++ ": splice and tee") $ do
  it "SpliceOp moves a file's bytes at an offset into a pipe and from the pipe into another file at an offset" $
    withFileOf 0 $ \_ src -> withFileOf 0 $ \dstPath dst -> withPipe $ \(r, w) -> do
      _ <- fdWrite src "0123456789"
      submit face (U.SpliceOp src 2 w U.offsetCurrent 5 0) `shouldReturn` 5
      submit face (U.SpliceOp r U.offsetCurrent dst 3 5 0) `shouldReturn` 5
      readFile dstPath `shouldReturn` ("\0\0\0" ++ "23456")
  it "SpliceOp with an offset for the pipe: ESPIPE; between two files: EINVAL; at the input's end: 0" $
    withFileOf 4 $ \_ src -> withFileOf 0 $ \_ dst -> withPipe $ \(_, w) -> do
      submit face (U.SpliceOp src 0 w 0 4 0) `shouldReturn` failure eSPIPE
      submit face (U.SpliceOp src 0 dst 0 4 0) `shouldReturn` failure eINVAL
      submit face (U.SpliceOp src 4 w U.offsetCurrent 4 0) `shouldReturn` 0
  it "TeeOp copies a pipe's bytes into another pipe without taking them" $ withPipe $ \(r1, w1) -> withPipe $ \(r2, w2) -> do
    _ <- fdWrite w1 "shared"
    submit face (U.TeeOp r1 w2 6 0) `shouldReturn` 6
    fst <$> fdRead r2 16 `shouldReturn` "shared"
    fst <$> fdRead r1 16 `shouldReturn` "shared"
  it "TeeOp from a file: EINVAL" $ withFileOf 4 $ \_ f -> withPipe $ \(_, w) ->
    submit face (U.TeeOp f w 4 0) `shouldReturn` failure eINVAL

xattrFaceSpec :: Face -> Spec
xattrFaceSpec face = describe (faceName face ++ ": getxattr and setxattr") $
  it "SetXattrOp sets what GetXattrOp reads (size 0 asks for the length); ERANGE, EEXIST, ENODATA as the system calls give them" $
    withFileOf 0 $ \path _ -> withCString path $ \p -> withCString "user.urb" $ \n -> withCString "user.none" $ \none ->
      allocaBytes 16 $ \v -> do
        pokeString v "value"
        submit face (U.SetXattrOp p n v 5 0) `shouldReturn` 0
        submit face (U.GetXattrOp p n nullPtr 0) `shouldReturn` 5
        pokeString v "xxxxx"
        submit face (U.GetXattrOp p n v 16) `shouldReturn` 5
        peekString v 5 `shouldReturn` "value"
        submit face (U.GetXattrOp p n v 2) `shouldReturn` failure eRANGE
        submit face (U.SetXattrOp p n v 5 U.xattrCREATE) `shouldReturn` failure eEXIST
        submit face (U.GetXattrOp p none v 16) `shouldReturn` failure eNODATA
        submit face (U.SetXattrOp p none v 5 U.xattrREPLACE) `shouldReturn` failure eNODATA
        withCString (path ++ "-missing") $ \m -> submit face (U.GetXattrOp m n v 16) `shouldReturn` failure eNOENT

-- | The operations io_uring does not cancel links after may only end a chain.
chainEndSpec :: Face -> Spec
chainEndSpec face = describe ("symlinkat, linkat, fallocate, ftruncate, madvise, sync_file_range in a chain, " ++ faceName face) $ do
  let refusedInTheMiddle ops slot = do
        r <- try (chain face ops)
        case r of
          Left e -> ioe_errno e `shouldBe` errnoOf eINVAL
          Right rs -> rs `shouldBe` [if i == slot then failure eINVAL else canceled | i <- [0 .. length ops - 1]]
  it "end a chain: it runs; elsewhere: EINVAL, and nothing runs" $ withFileOf 10 $ \path fd -> withTempDir $ \d ->
    withPaths d ["s", "l"] $ \[s, l] -> withCString path $ \target -> do
      chain face [U.Nop, U.FtruncateOp fd 4] `shouldReturn` [0, 0]
      chain face [U.Nop, U.FallocateOp fd 0 0 8] `shouldReturn` [0, 0]
      chain face [U.Nop, U.SyncFileRangeOp fd 0 0 U.syncFileRangeWRITE] `shouldReturn` [0, 0]
      chain face [U.Nop, U.SymlinkAtOp target U.atFDCWD s] `shouldReturn` [0, 0]
      chain face [U.Nop, U.LinkAtOp U.atFDCWD target U.atFDCWD l 0] `shouldReturn` [0, 0]
      refusedInTheMiddle [U.FtruncateOp fd 1, U.Nop] 0
      refusedInTheMiddle [U.Nop, U.FallocateOp fd 0 0 100, U.Nop] 1
      refusedInTheMiddle [U.SyncFileRangeOp fd 0 0 0, U.Nop] 0
      refusedInTheMiddle [U.MadviseOp nullPtr 0 U.madvNORMAL, U.Nop] 0
      refusedInTheMiddle [U.SymlinkAtOp target U.atFDCWD s, U.Nop] 0
      refusedInTheMiddle [U.LinkAtOp U.atFDCWD target U.atFDCWD l 0, U.Nop] 0
      sizeOf path `shouldReturn` 8

-- | The C library's one-call functions, as Raw imports them.
rawFsSpec :: Spec
rawFsSpec = describe "Raw's urb_symlinkat, urb_linkat, urb_ftruncate, urb_fallocate, urb_fadvise, urb_sync_file_range, urb_madvise, urb_splice, urb_tee" $
  it "do what they name" $ withTempDir $ \d -> withFileOf 0 $ \path f@(Fd fd) -> withPipe $ \(r@(Fd rn), Fd wn) -> withPipe $ \(r2, Fd wn2) -> do
    makeTree d
    withCString "f" $ \t -> withCString (d ++ "/s") $ \c -> Raw.c_symlinkat t Raw.atFdCwd c `shouldReturn` 0
    withCString (d ++ "/f") $ \o -> withCString (d ++ "/g") $ \n -> Raw.c_linkat Raw.atFdCwd o Raw.atFdCwd n 0 `shouldReturn` 0
    P.readSymbolicLink (d ++ "/s") `shouldReturn` "f"
    readFile (d ++ "/g") `shouldReturn` "data"
    Raw.c_fallocate fd 0 0 100 `shouldReturn` 0
    sizeOf path `shouldReturn` 100
    Raw.c_ftruncate fd 10 `shouldReturn` 0
    sizeOf path `shouldReturn` 10
    Raw.c_fadvise fd 0 0 (U.adviceValue AdviceRandom) `shouldReturn` 0
    Raw.c_sync_file_range fd 0 0 U.syncFileRangeWRITE `shouldReturn` 0
    mem <- mallocPlainForeignPtrAlignedBytes 4096 4096
    withForeignPtr mem $ \p -> Raw.c_madvise (castPtr p) 4096 U.madvNORMAL `shouldReturn` 0
    _ <- fdWrite f "abc"
    Raw.c_splice fd 0 wn U.offsetCurrent 3 0 `shouldReturn` 3
    Raw.c_tee rn wn2 3 0 `shouldReturn` 3
    fst <$> fdRead r 8 `shouldReturn` "abc"
    fst <$> fdRead r2 8 `shouldReturn` "abc"

typedFsSpec :: Spec
typedFsSpec = describe "createSymbolicLink, createLink, setFdSize, setFileSize, fileAllocate, fileAdvise, syncFileRange, memoryAdvise, splice, tee" $ do
  let raises errno name path act = do
        r <- try act
        case r of
          Left e -> (ioe_errno e, ioe_location e, ioe_filename e) `shouldBe` (errnoOf errno, name, path)
          Right _ -> expectationFailure (name ++ " succeeded")
  it "do what package unix's namesakes do" $ withTempDir $ \d -> do
    makeTree d
    U.createSymbolicLink "f" (d ++ "/s")
    P.readSymbolicLink (d ++ "/s") `shouldReturn` "f"
    U.createLink (d ++ "/f") (d ++ "/g")
    readFile (d ++ "/g") `shouldReturn` "data"
    U.setFileSize (d ++ "/g") 2
    readFile (d ++ "/f") `shouldReturn` "da"
    fd <- U.openFile (d ++ "/f") U.oRDWR 0
    U.setFdSize fd 6
    sizeOf (d ++ "/f") `shouldReturn` 6
    U.fileAllocate fd 0 8192
    sizeOf (d ++ "/f") `shouldReturn` 8192
    U.fileAdvise fd 0 0 AdviceSequential
    U.syncFileRange fd 0 0 (U.syncFileRangeWAITBEFORE + U.syncFileRangeWRITE + U.syncFileRangeWAITAFTER)
    -- ranges beyond the 32-bit length of one request: several requests
    U.fileAdvise fd 0 (5 * 2 ^ (30 :: Int)) AdviceWillNeed
    U.syncFileRange fd 4096 (5 * 2 ^ (30 :: Int)) U.syncFileRangeWRITE
    U.closeFd fd
  it "memoryAdvise, splice and tee" $ withPipe $ \(r1, w1) -> withPipe $ \(r2, w2) -> withFileOf 0 $ \_ f -> do
    mem <- mallocPlainForeignPtrAlignedBytes 8192 4096
    withForeignPtr mem $ \p -> U.memoryAdvise p 8192 U.madvWILLNEED
    _ <- fdWrite f "spliced"
    U.splice f 0 w1 U.offsetCurrent 7 `shouldReturn` 7
    U.tee r1 w2 7 `shouldReturn` 7
    fst <$> fdRead r2 16 `shouldReturn` "spliced"
    fst <$> fdRead r1 16 `shouldReturn` "spliced"
  it "a killThread around a splice or tee waiting for an empty pipe ends it at once, having moved nothing" $
    withPipe $ \(r, w) -> withPipe $ \(r2, w2) -> withFileOf 0 $ \path f -> do
      let killedSoon act = do
            t <- forkIO (void act)
            threadDelay 20000
            timeout 2000000 (killThread t)
      killedSoon (U.splice r U.offsetCurrent f 0 16) `shouldReturn` Just ()
      killedSoon (U.tee r w2 16) `shouldReturn` Just ()
      _ <- fdWrite w "later"
      U.splice r U.offsetCurrent f 0 16 `shouldReturn` 5
      readFile path `shouldReturn` "later"
      -- a waiting splice wakes when data comes
      got <- newEmptyMVar
      _ <- forkIO (U.splice r U.offsetCurrent f 5 16 >>= putMVar got)
      threadDelay 20000
      _ <- fdWrite w "!"
      timeout 5000000 (takeMVar got) `shouldReturn` Just 1
      void (pure r2)
  it "getXattr and setXattr: values of any length, flags, errors with the path" $ withFileOf 0 $ \path _ -> do
    -- ext4 keeps a file's attributes in one block: 1.7 kB fits
    let big = BC.pack (concatMap show [1 .. 600 :: Int])
    U.setXattr path "user.big" big 0
    U.getXattr path "user.big" `shouldReturn` big
    U.setXattr path "user.empty" BC.empty U.xattrCREATE
    U.getXattr path "user.empty" `shouldReturn` BC.empty
    raises eEXIST "setxattr" (Just path) (U.setXattr path "user.big" big U.xattrCREATE)
    raises eNODATA "getxattr" (Just path) (void (U.getXattr path "user.none"))
    raises eNODATA "setxattr" (Just path) (U.setXattr path "user.none" big U.xattrREPLACE)
  it "throw IOErrors with the errno, the call's name and the path" $ withTempDir $ \d -> do
    makeTree d
    raises eEXIST "symlinkat" (Just (d ++ "/d")) (U.createSymbolicLink "f" (d ++ "/d"))
    raises eNOENT "linkat" (Just (d ++ "/missing")) (U.createLink (d ++ "/missing") (d ++ "/g"))
    raises ePERM "linkat" (Just (d ++ "/d")) (U.createLink (d ++ "/d") (d ++ "/g"))
    raises eNOENT "openat" (Just (d ++ "/missing")) (U.setFileSize (d ++ "/missing") 0)
    raises eINVAL "ftruncate" (Just (d ++ "/f")) (U.setFileSize (d ++ "/f") (-1))
    raises eBADF "ftruncate" Nothing (U.setFdSize badFd 0)
    raises eINVAL "fallocate" Nothing (withFileOf 0 $ \_ fd -> U.fileAllocate fd 0 0)
    raises eINVAL "fadvise" Nothing (withFileOf 0 $ \_ fd -> U.fileAdvise fd (-1) 0 AdviceNormal)
    raises eINVAL "sync_file_range" Nothing (withFileOf 0 $ \_ fd -> U.syncFileRange fd 0 (-5) 0)
    raises eINVAL "madvise" Nothing (allocaBytes 16 $ \p -> U.memoryAdvise (p `plusPtr` 1) 16 U.madvWILLNEED)
    raises eSPIPE "splice" Nothing (withPipe $ \(_, w) -> withFileOf 4 $ \_ f -> void (U.splice f 0 w 0 4))
    raises eINVAL "tee" Nothing (withFileOf 4 $ \_ f -> withPipe $ \(_, w) -> void (U.tee f w 4))
    treeOf d `shouldReturn` [("d", []), ("f", []), ("full", ["x"])]
  -- bindings/haskell/test.sh runs this case again with URB_PROBE_HIDE naming
  -- them, on both engines (the fallback engine ignores it).
  it "unsupported by the engine (URB_PROBE_HIDE on io_uring): opSupported says so, the calls give ENOSYS" $
    withTempDir $ \d -> withFileOf 8 $ \_ fd -> withPipe $ \(r, w) -> do
      makeTree d
      hide <- maybe [] (splitOn ',') <$> lookupEnv "URB_PROBE_HIDE"
      mem <- mallocPlainForeignPtrAlignedBytes 4096 4096
      let ops = [ ("URB_OP_SYMLINKAT", U.SymlinkAtOp nullPtr U.atFDCWD nullPtr, "symlinkat", U.createSymbolicLink "f" (d ++ "/s"))
                , ("URB_OP_LINKAT", U.LinkAtOp U.atFDCWD nullPtr U.atFDCWD nullPtr 0, "linkat", U.createLink (d ++ "/f") (d ++ "/g"))
                , ("URB_OP_FALLOCATE", U.FallocateOp fd 0 0 0, "fallocate", U.fileAllocate fd 0 10)
                , ("URB_OP_FTRUNCATE", U.FtruncateOp fd 0, "ftruncate", U.setFdSize fd 0)
                , ("URB_OP_FADVISE", U.FadviseOp fd 0 0 0, "fadvise", U.fileAdvise fd 0 0 AdviceNormal)
                , ("URB_OP_MADVISE", U.MadviseOp nullPtr 0 0, "madvise", withForeignPtr mem $ \p -> U.memoryAdvise p 4096 U.madvNORMAL)
                , ("URB_OP_SYNC_FILE_RANGE", U.SyncFileRangeOp fd 0 0 0, "sync_file_range", U.syncFileRange fd 0 0 U.syncFileRangeWRITE)
                , ("URB_OP_SPLICE", U.SpliceOp fd 0 w U.offsetCurrent 0 0, "splice", void (U.splice fd 0 w U.offsetCurrent 4))
                , ("URB_OP_TEE", U.TeeOp r w 0 0, "tee", void (U.tee r w 4))
                , ("URB_OP_GETXATTR", U.GetXattrOp nullPtr nullPtr nullPtr 0, "getxattr", void (U.getXattr (d ++ "/f") "user.x"))
                , ("URB_OP_SETXATTR", U.SetXattrOp nullPtr nullPtr nullPtr 0 0, "setxattr", U.setXattr (d ++ "/f") "user.x" BC.empty 0) ]
      forM_ ops $ \(name, op, call, act) -> do
        let hidden = name `elem` hide && U.backendName == "io_uring"
        when hidden $ U.opSupported op `shouldBe` False
        unless (U.opSupported op) $ do
          r <- try act
          case r of
            Left e -> (ioe_errno e, ioe_location e) `shouldBe` (errnoOf eNOSYS, call)
            Right () -> expectationFailure (call ++ " succeeded where unsupported")
