{-# OPTIONS_GHC -Wno-deprecations #-}
-- | The former "backend" names, used on purpose (hence no deprecation
-- warnings in this module only): each gives what its new name gives.
module Names (namesSpec) where

import qualified System.IO.URingBridge as U
import qualified System.IO.URingBridge.Raw as Raw
import Test.Hspec

namesSpec :: Spec
namesSpec = describe "former names" $ do
  it "backendName is engineName" $
    U.backendName `shouldBe` U.engineName
  it "urb_backend_* hand out the urb_poller_* tables" $ do
    pollers <- sequence [Raw.c_poller_default, Raw.c_poller_io_uring, Raw.c_poller_epoll]
    formers <- sequence [Raw.c_backend_default, Raw.c_backend_io_uring, Raw.c_backend_epoll]
    formers `shouldBe` pollers
  it "urb_backend_name is urb_engine_name" $ do
    new <- Raw.c_engine_name
    old <- Raw.c_backend_name
    old `shouldBe` new
