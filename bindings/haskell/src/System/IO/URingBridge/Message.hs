-- | @struct msghdr@ for sendmsg and recvmsg, with addresses as package
-- network's 'NS.SockAddr' and ancillary data as its 'NS.Cmsg' (so
-- 'NS.encodeCmsg' / 'NS.decodeCmsg' work on what passes through here).
module System.IO.URingBridge.Message
  ( withSendMsgHdr
  , RecvMsgHdr (..)
  , withRecvMsgHdr
  , controlSpace
  ) where

import Control.Exception (SomeException, try)
import Control.Monad (when)
import qualified Data.ByteString as B
import qualified Data.ByteString.Unsafe as BU
import Data.Word (Word32, Word8)
import Foreign.C.Types (CInt, CSize)
import Foreign.Marshal.Alloc (allocaBytes)
import Foreign.Marshal.Utils (copyBytes, fillBytes)
import Foreign.Ptr (Ptr, castPtr, nullPtr, plusPtr)
import Foreign.Storable (peekByteOff, pokeByteOff)
import qualified Network.Socket as NS
import qualified Network.Socket.Address as NSA
import System.IO.URingBridge.Raw

-- | Rounded up to @CMSG_ALIGN@'s unit.
aligned :: Int -> Int
aligned n = (n + cmsgAlign - 1) `div` cmsgAlign * cmsgAlign

-- | Where an item's data starts (@CMSG_DATA@), from the item's start.
dataOffset :: Int
dataOffset = aligned sizeOfCmsgHdr

-- | Control buffer room for items of these data lengths (the sum of their
-- @CMSG_SPACE@s): @controlSpace [4]@ for one descriptor.
controlSpace :: [Int] -> Int
controlSpace = sum . map (\n -> dataOffset + aligned n)

-- | A msghdr for sending the iovecs (array and count), to the address
-- ('Nothing': the connected peer), with the ancillary data items; valid
-- for the action.
withSendMsgHdr :: Maybe NS.SockAddr -> Ptr IOVec -> Word32 -> [NS.Cmsg] -> (Ptr MsgHdr -> IO a) -> IO a
withSendMsgHdr addr iov n cmsgs act =
  withAddress addr $ \sa saLen ->
    allocaBytes (max 1 room) $ \ctl -> allocaBytes sizeOfMsgHdr $ \m -> do
      fillBytes ctl 0 room
      encode ctl 0 cmsgs
      fillBytes m 0 sizeOfMsgHdr
      pokeByteOff m offMsgName sa
      pokeByteOff m offMsgNameLen (fromIntegral saLen :: Word32)
      pokeByteOff m offMsgIov iov
      pokeByteOff m offMsgIovLen (fromIntegral n :: CSize)
      pokeByteOff m offMsgControl (if null cmsgs then nullPtr else ctl)
      pokeByteOff m offMsgControlLen (fromIntegral room :: CSize)
      act m
  where
    room = controlSpace [B.length (NS.cmsgData c) | c <- cmsgs]
    encode _ _ [] = pure ()
    encode ctl at (c : rest) = do
      let item = ctl `plusPtr` at :: Ptr Word8
          payload = NS.cmsgData c
          NS.CmsgId level kind = NS.cmsgId c
      pokeByteOff item offCmsgLen (fromIntegral (dataOffset + B.length payload) :: CSize)
      pokeByteOff item offCmsgLevel level
      pokeByteOff item offCmsgType kind
      BU.unsafeUseAsCStringLen payload $ \(src, len) ->
        copyBytes (item `plusPtr` dataOffset) (castPtr src) len
      encode ctl (at + dataOffset + aligned (B.length payload)) rest

withAddress :: Maybe NS.SockAddr -> (Ptr () -> Int -> IO a) -> IO a
withAddress Nothing act = act nullPtr 0
withAddress (Just a) act = allocaBytes size $ \p -> NSA.pokeSocketAddress p a >> act (castPtr p) size
  where
    size = NSA.sizeOfSocketAddress a

-- | A msghdr for receiving, with room for the sender's address and for
-- ancillary data.
data RecvMsgHdr = RecvMsgHdr
  { recvHdr :: Ptr MsgHdr
    -- ^ the header to hand to the request
  , recvReset :: IO ()
    -- ^ restores the lengths the kernel writes back (before each try)
  , recvPeek :: IO (Maybe NS.SockAddr, [NS.Cmsg], CInt)
    -- ^ after a receive: the sender's address ('Nothing' when none came or
    -- its family is one package network cannot read), the ancillary data
    -- items, and @msg_flags@
  }

-- | A 'RecvMsgHdr' for receiving into the iovecs (array and count) with
-- @control@ bytes for ancillary data; valid for the action.
withRecvMsgHdr :: Ptr IOVec -> Word32 -> Int -> (RecvMsgHdr -> IO a) -> IO a
withRecvMsgHdr iov n control act =
  allocaBytes sizeOfSockAddrStorage $ \sa -> allocaBytes (max 1 control) $ \ctl -> allocaBytes sizeOfMsgHdr $ \m -> do
    let reset = do
          fillBytes m 0 sizeOfMsgHdr
          fillBytes sa 0 sizeOfSockAddrStorage
          pokeByteOff m offMsgName sa
          pokeByteOff m offMsgNameLen (fromIntegral sizeOfSockAddrStorage :: Word32)
          pokeByteOff m offMsgIov iov
          pokeByteOff m offMsgIovLen (fromIntegral n :: CSize)
          when (control > 0) $ pokeByteOff m offMsgControl ctl
          pokeByteOff m offMsgControlLen (fromIntegral control :: CSize)
        peekAll = do
          nameLen <- peekByteOff m offMsgNameLen :: IO Word32
          addr <- if nameLen == 0 then pure Nothing else readAddress (castPtr sa)
          ctlLen <- peekByteOff m offMsgControlLen :: IO CSize
          items <- decode ctl (min control (fromIntegral ctlLen)) 0
          flags <- peekByteOff m offMsgFlags
          pure (addr, items, flags)
    reset
    act (RecvMsgHdr m reset peekAll)
  where
    readAddress p = either (const Nothing) Just <$> (try (NSA.peekSocketAddress p) :: IO (Either SomeException NS.SockAddr))
    decode :: Ptr Word8 -> Int -> Int -> IO [NS.Cmsg]
    decode ctl total at
      | at + sizeOfCmsgHdr > total = pure []
      | otherwise = do
          let item = ctl `plusPtr` at :: Ptr Word8
          len <- fromIntegral <$> (peekByteOff item offCmsgLen :: IO CSize)
          if len < dataOffset || at + len > total
            then pure []
            else do
              level <- peekByteOff item offCmsgLevel
              kind <- peekByteOff item offCmsgType
              payload <- B.packCStringLen (castPtr (item `plusPtr` dataOffset), len - dataOffset)
              (NS.Cmsg (NS.CmsgId level kind) payload :) <$> decode ctl total (at + aligned len)
