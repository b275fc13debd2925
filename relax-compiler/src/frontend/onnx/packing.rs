//! ONNX's serialization of the 4- and 2-bit types: two (or four) elements to a
//! byte, the first in the least significant bits. relax holds one element per
//! byte, so tensors are unpacked when read and packed when written.

use relax_rt::DType;

/// Whether `dtype` is stored packed in ONNX tensors.
pub fn is_packed(dtype: DType) -> bool {
    dtype.bits() < 8
}

/// The bytes `count` elements of `dtype` take packed.
pub fn packed_len(dtype: DType, count: usize) -> usize {
    (count * dtype.bits() as usize).div_ceil(8)
}

/// The first `count` elements of packed `bytes`, one per byte, each its
/// `dtype.bits()` low bits (the caller sign-extends as the dtype says).
pub fn unpack(dtype: DType, bytes: &[u8], count: usize) -> Vec<u8> {
    let bits = dtype.bits() as usize;
    let mask = (1u16 << bits) as u8 - 1;
    (0..count).map(|i| (bytes[i * bits / 8] >> (i * bits % 8)) & mask).collect()
}

/// Elements one per byte, packed.
pub fn pack(dtype: DType, elements: &[u8]) -> Vec<u8> {
    let bits = dtype.bits() as usize;
    let mask = (1u16 << bits) as u8 - 1;
    let mut out = vec![0u8; packed_len(dtype, elements.len())];
    for (i, &e) in elements.iter().enumerate() {
        out[i * bits / 8] |= (e & mask) << (i * bits % 8);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nibbles_and_crumbs_fill_from_the_low_bits() {
        // int4 [1, -2, 7]: 0x1 and 0xe in the first byte (0xe1), 0x7 alone in the second.
        assert_eq!(pack(DType::I4, &[1, 0xfe, 7]), vec![0xe1, 0x07]);
        assert_eq!(unpack(DType::I4, &[0xe1, 0x07], 3), vec![1, 0xe, 7]);
        // uint2 [3, 0, 1, 2, 1]: 3 | 0 << 2 | 1 << 4 | 2 << 6 = 0x93, then 1.
        assert_eq!(pack(DType::U2, &[3, 0, 1, 2, 1]), vec![0x93, 0x01]);
        assert_eq!(unpack(DType::U2, &[0x93, 0x01], 5), vec![3, 0, 1, 2, 1]);
        assert_eq!(packed_len(DType::U4, 5), 3);
        assert!(is_packed(DType::F4E2M1) && !is_packed(DType::I8));
    }
}
