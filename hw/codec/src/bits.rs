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
        while self.nbits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits -= 8;
        }
    }

    /// Adds the end-of-stream marker bit, pads to a byte, returns the buffer.
    pub(crate) fn close(mut self) -> Vec<u8> {
        self.add(1, 1);
        if self.nbits > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Backward bit reader (zstd's `BIT_DStream`): the first bits read are the last
/// ones written.
pub(crate) struct BitReader<'a> {
    data: &'a [u8],
    /// Bits not yet consumed: the stream's bits `[0, pos)`.
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Result<Self, DecodeError> {
        let last = *data
            .last()
            .ok_or(DecodeError::Corrupt("empty sequence bitstream"))?;
        if last == 0 {
            return Err(DecodeError::Corrupt("bitstream end marker missing"));
        }
        let pos = data.len() * 8 - last.leading_zeros() as usize - 1;
        Ok(BitReader { data, pos })
    }

    /// Reads `n` bits (`n <= 25`).
    #[inline]
    pub(crate) fn read(&mut self, n: u32) -> Result<u32, DecodeError> {
        if n == 0 {
            return Ok(0);
        }
        let n = n as usize;
        if n > self.pos {
            return Err(DecodeError::Corrupt("sequence bitstream overread"));
        }
        self.pos -= n;
        let byte = self.pos / 8;
        let shift = self.pos % 8;
        // Up to 25 + 7 bits span at most 4 bytes.
        let mut w = 0u64;
        for i in 0..5 {
            if let Some(&b) = self.data.get(byte + i) {
                w |= (b as u64) << (8 * i);
            }
        }
        Ok(((w >> shift) & ((1u64 << n) - 1)) as u32)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pos == 0
    }
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
