//! Bit streams of zstd's entropy-coded sections: written forward, LSB first;
//! read backward from the end marker.

use crate::DecodeError;

/// Forward bit writer (zstd's `BIT_CStream`).
pub(crate) struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl BitWriter {
    pub(crate) fn new(out: Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            nbits: 0,
        }
    }

    /// Appends the low `n` bits of `value` (`n <= 32`).
    #[inline]
    pub(crate) fn add(&mut self, value: u32, n: u32) {
        debug_assert!(n <= 32);
        let v = value as u64 & ((1u64 << n) - 1);
        self.acc |= v << self.nbits;
        self.nbits += n;
        if self.nbits >= 32 {
            self.out.extend_from_slice(&(self.acc as u32).to_le_bytes());
            self.acc >>= 32;
            self.nbits -= 32;
        }
    }

    /// Adds the end-of-stream marker bit, pads to a byte, returns the buffer.
    pub(crate) fn close(mut self) -> Vec<u8> {
        self.add(1, 1);
        while self.nbits > 0 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits = self.nbits.saturating_sub(8);
        }
        self.out
    }
}

/// Backward bit reader (zstd's `BIT_DStream`): the first bits read are the last
/// ones written. `container` holds the 8 stream bytes from `ptr` (for a stream
/// shorter than 8 bytes, its bytes at the top and zeros below); `consumed`
/// counts its bits already read, from the top; `limit` is the container's
/// valid bits (64, or 8 × the length of a short stream).
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    ptr: usize,
    container: u64,
    consumed: u32,
    limit: u32,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Result<Self, DecodeError> {
        let last = *data
            .last()
            .ok_or(DecodeError::Corrupt("empty sequence bitstream"))?;
        if last == 0 {
            return Err(DecodeError::Corrupt("bitstream end marker missing"));
        }
        let (ptr, container, limit) = if data.len() >= 8 {
            (data.len() - 8, load8(data, data.len() - 8), 64)
        } else {
            // Short stream: the bytes sit at the top of the container.
            let mut w = 0u64;
            for (i, &b) in data.iter().enumerate() {
                w |= (b as u64) << (8 * i);
            }
            (0, w << (8 * (8 - data.len())), 8 * data.len() as u32)
        };
        Ok(BitReader {
            data,
            ptr,
            container,
            consumed: last.leading_zeros() + 1,
            limit,
        })
    }

    /// Reads `n` bits (`n <= 32`).
    #[inline]
    pub(crate) fn read(&mut self, n: u32) -> Result<u32, DecodeError> {
        if self.consumed + n > self.limit {
            self.reload();
            if self.consumed + n > self.limit {
                return Err(DecodeError::Corrupt("sequence bitstream overread"));
            }
        }
        // Two shifts so that `n == 0` reads 0 without a branch; `consumed`
        // is 64 only when `n == 0`, where the wrapped shift is discarded.
        let v = self.container.wrapping_shl(self.consumed) >> 1 >> (63 - n);
        self.consumed += n;
        Ok(v as u32)
    }

    /// Moves the container down over consumed whole bytes.
    #[inline]
    fn reload(&mut self) {
        let back = ((self.consumed / 8) as usize).min(self.ptr);
        if back > 0 {
            self.ptr -= back;
            self.consumed -= 8 * back as u32;
            self.container = load8(self.data, self.ptr);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.ptr == 0 && self.consumed == self.limit
    }
}

#[inline]
fn load8(data: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_backwards() {
        let mut w = BitWriter::new(Vec::new());
        let items = [
            (5u32, 3u32),
            (0, 0),
            (0x1ffff, 17),
            (1, 1),
            (0xabc, 12),
            (0, 6),
        ];
        for &(v, n) in &items {
            w.add(v, n);
        }
        let buf = w.close();
        let mut r = BitReader::new(&buf).unwrap();
        for &(v, n) in items.iter().rev() {
            assert_eq!(r.read(n).unwrap(), v);
        }
        assert!(r.is_empty());
        assert!(r.read(1).is_err());
    }
}
