"""Constant tables used by the crypto instructions (AES, SM4)."""

from __future__ import annotations

import numpy as np

#: FIPS-197's S-box (the multiplicative inverse in GF(2^8) followed by its affine map;
#: tests/test_sboxes.py derives it again), written out: a warm ``chainrv run`` imports it.
AES_SBOX_BYTES = bytes.fromhex(
    "637c777bf26b6fc53001672bfed7ab76ca82c97dfa5947f0add4a2af9ca472c0"
    "b7fd9326363ff7cc34a5e5f171d8311504c723c31896059a071280e2eb27b275"
    "09832c1a1b6e5aa0523bd6b329e32f8453d100ed20fcb15b6acbbe394a4c58cf"
    "d0efaafb434d338545f9027f503c9fa851a3408f929d38f5bcb6da2110fff3d2"
    "cd0c13ec5f974417c4a77e3d645d197360814fdc222a908846eeb814de5e0bdb"
    "e0323a0a4906245cc2d3ac629195e479e7c8376d8dd54ea96c56f4ea657aae08"
    "ba78252e1ca6b4c6e8dd741f4bbd8b8a703eb5664803f60e613557b986c11d9e"
    "e1f8981169d98e949b1e87e9ce5528df8ca1890dbfe6426841992d0fb054bb16"
)
AES_SBOX_LIST = list(AES_SBOX_BYTES)
AES_INV_SBOX_LIST = [AES_SBOX_LIST.index(i) for i in range(256)]

SM4_SBOX_BYTES = bytes.fromhex(
    "d690e9fecce13db716b614c228fb2c052b679a762abe04c3aa44132649860699"
    "9c4250f491ef987a33540b43edcfac62e4b31ca9c908e89580df94fa758f3fa6"
    "4707a7fcf37317ba83593c19e6854fa8686b81b27164da8bf8eb0f4b70569d35"
    "1e240e5e6358d1a225227c3b01217887d40046579fd327524c3602e7a0c4c89e"
    "eabf8ad240c738b5a3f7f2cef96115a1e0ae5da49b341a55ad933230f58cb1e3"
    "1df6e22e8266ca60c02923ab0d534e6fd5db3745defd8e2f03ff6a726d6c5b51"
    "8d1baf92bbddbc7f11d95c411f105ad80ac13188a5cd7bbd2d74d012b8e5b4b0"
    "8969974a0c96777e65b9f109c56ec68418f07dec3adc4d2079ee5f3ed7cb3948"
)
SM4_SBOX_LIST = list(SM4_SBOX_BYTES)

# int64 arrays: Numba treats module-level arrays as compile-time constants.
AES_SBOX = np.array(AES_SBOX_LIST, dtype=np.int64)
AES_INV_SBOX = np.array(AES_INV_SBOX_LIST, dtype=np.int64)
SM4_SBOX = np.array(SM4_SBOX_LIST, dtype=np.int64)
