//! The compressed-page format and the encoder parameters shared by the reference
//! codec (`pagepress-codec`) and the RTL (`pagepress-rtl`).
//!
//! Every stored page is one valid zstd frame (RFC 8878): single segment, content
//! size 4096, no checksum, no dictionary, one last block which is
//! - an RLE block when all 4096 bytes are equal,
//! - a compressed block with raw literals and sequences in predefined FSE mode
//!   when that is smaller than the page,
//! - a raw block otherwise.
//!
//! `docs/format.md` explains the encoder's algorithm and why these numbers.

/// log2 of the page size.
pub const PAGE_SHIFT: u32 = 12;
/// Bytes per page.
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// Bytes per same-filled word: a page is same-filled when every aligned
/// `FILL_WORD_BYTES`-byte word is equal.
pub const FILL_WORD_BYTES: usize = 8;

// ---- encoder parameters (the hardware's shape) -------------------------------

/// Positions the match finder examines per step (`W`). Step `k` covers page
/// positions `k*W .. k*W + W`; its hash lookups see the table as it was after
/// step `k-1`, and all of its positions are inserted after the lookups.
pub const STEP_WIDTH: usize = 4;
/// log2 of the hash-table entries.
pub const HASH_BITS: u32 = 12;
/// Hash-table entries.
pub const HASH_ENTRIES: usize = 1 << HASH_BITS;
/// Shortest match the encoder emits; also the bytes hashed per position.
pub const MIN_MATCH: usize = 4;
/// Largest match offset (the window is the page itself).
pub const WINDOW_SIZE: usize = PAGE_SIZE;
/// Multiplier of the position hash (Knuth's golden-ratio constant).
pub const HASH_MULTIPLIER: u32 = 0x9E37_79B1;

/// The hash of the `MIN_MATCH` bytes at a position, read little-endian.
pub const fn hash4(key: u32) -> u32 {
    key.wrapping_mul(HASH_MULTIPLIER) >> (32 - HASH_BITS)
}

/// Packed codec parameters as reported in CAPS `CODEC_PARAMS`.
pub const CODEC_PARAMS: u32 =
    STEP_WIDTH as u32 | (HASH_BITS << 8) | ((MIN_MATCH as u32) << 16) | (PAGE_SHIFT << 24);

// ---- zstd frame constants -----------------------------------------------------

/// zstd frame magic number (little-endian on the wire).
pub const ZSTD_MAGIC: u32 = 0xFD2F_B528;
/// Frame header descriptor: FCS field 2 bytes (flag 1), single segment, no
/// checksum, no dictionary.
pub const FRAME_HEADER_DESCRIPTOR: u8 = 0x60;
/// The 2-byte Frame_Content_Size field stores `size - 256`.
pub const FCS_FIELD_VALUE: u16 = (PAGE_SIZE - 256) as u16;
/// Magic (4) + descriptor (1) + FCS (2).
pub const FRAME_HEADER_SIZE: usize = 7;
/// The 7 bytes every frame starts with.
pub const FRAME_HEADER: [u8; FRAME_HEADER_SIZE] = {
    let m = ZSTD_MAGIC.to_le_bytes();
    let f = FCS_FIELD_VALUE.to_le_bytes();
    [m[0], m[1], m[2], m[3], FRAME_HEADER_DESCRIPTOR, f[0], f[1]]
};
/// Bytes of a block header.
pub const BLOCK_HEADER_SIZE: usize = 3;
pub const BLOCK_TYPE_RAW: u8 = 0;
pub const BLOCK_TYPE_RLE: u8 = 1;
pub const BLOCK_TYPE_COMPRESSED: u8 = 2;
/// Size of an RLE frame (header, block header, one byte).
pub const RLE_FRAME_SIZE: usize = FRAME_HEADER_SIZE + BLOCK_HEADER_SIZE + 1;
/// Size of a raw frame: the largest frame the encoder emits.
pub const MAX_FRAME_SIZE: usize = FRAME_HEADER_SIZE + BLOCK_HEADER_SIZE + PAGE_SIZE;
/// A compressed block is used only if its content is smaller than this.
pub const COMPRESSED_BLOCK_LIMIT: usize = PAGE_SIZE;

/// Literals_Block_Type of raw literals.
pub const LITERALS_RAW: u8 = 0;
/// Symbol_Compression_Modes byte: predefined mode for LL, OF and ML.
pub const SEQ_MODES_PREDEFINED: u8 = 0;
/// zstd's repeat offsets at the start of a frame.
pub const REP_OFFSETS_INIT: [u32; 3] = [1, 4, 8];
/// Sequences store `offset + REP_NUM` for non-repeat offsets.
pub const REP_NUM: u32 = 3;
/// zstd's smallest match length (the ML code baseline origin).
pub const ZSTD_MIN_MATCH: u32 = 3;

// ---- predefined FSE distributions (RFC 8878 §3.1.1.3.2.2) ---------------------

pub const LL_ACCURACY_LOG: u32 = 6;
pub const ML_ACCURACY_LOG: u32 = 6;
pub const OF_ACCURACY_LOG: u32 = 5;

pub const LL_DEFAULT_NORM: [i16; 36] = [
    4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1,
    -1, -1, -1, -1,
];
pub const ML_DEFAULT_NORM: [i16; 53] = [
    1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1,
];
pub const OF_DEFAULT_NORM: [i16; 29] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1,
];

/// Literal-length codes: value = baseline + extra bits.
pub const LL_BASELINE: [u32; 36] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64,
    128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
];
pub const LL_EXTRA_BITS: [u8; 36] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11,
    12, 13, 14, 15, 16,
];
/// Match-length codes: value = baseline + extra bits.
pub const ML_BASELINE: [u32; 53] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27,
    28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515, 1027,
    2051, 4099, 8195, 16387, 32771, 65539,
];
pub const ML_EXTRA_BITS: [u8; 53] = [
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
];
/// Largest offset code our frames can contain (offsets < 4096, plus REP_NUM).
pub const OF_MAX_CODE_USED: u32 = 12;

const fn check_baselines(base: &[u32], bits: &[u8]) -> bool {
    let mut i = 0;
    while i + 1 < base.len() {
        if base[i] + (1 << bits[i]) != base[i + 1] {
            return false;
        }
        i += 1;
    }
    true
}
const _: () = assert!(check_baselines(&LL_BASELINE, &LL_EXTRA_BITS));
const _: () = assert!(check_baselines(&ML_BASELINE, &ML_EXTRA_BITS));
const _: () = assert!(STEP_WIDTH.is_power_of_two() && STEP_WIDTH <= MIN_MATCH);
const _: () = assert!(PAGE_SIZE.is_multiple_of(STEP_WIDTH));

/// The literal-length code of `ll` (largest code whose baseline is <= `ll`).
#[inline]
pub const fn ll_code(ll: u32) -> u32 {
    if ll < 64 {
        LL_CODE_SMALL[ll as usize] as u32
    } else {
        highbit(ll) + 19
    }
}

/// The match-length code of a match of `ml` bytes (`ml >= 3`).
#[inline]
pub const fn ml_code(ml: u32) -> u32 {
    let base = ml - ZSTD_MIN_MATCH;
    if base < 128 {
        ML_CODE_SMALL[base as usize] as u32
    } else {
        highbit(base) + 36
    }
}

/// The offset code of an offset value (`offset + REP_NUM`, or a repeat code 1..=3).
#[inline]
pub const fn of_code(offset_value: u32) -> u32 {
    highbit(offset_value)
}

const fn highbit(v: u32) -> u32 {
    31 - v.leading_zeros()
}

/// Codes of literal lengths 0..64 (zstd's `LL_Code`), derived from the baselines.
const LL_CODE_SMALL: [u8; 64] = {
    let mut t = [0u8; 64];
    let mut v = 0;
    while v < 64 {
        t[v] = code_of(&LL_BASELINE, v as u32) as u8;
        v += 1;
    }
    t
};

/// Codes of match lengths 3..131 (zstd's `ML_Code`), derived from the baselines.
const ML_CODE_SMALL: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut v = 0;
    while v < 128 {
        t[v] = code_of(&ML_BASELINE, v as u32 + ZSTD_MIN_MATCH) as u8;
        v += 1;
    }
    t
};

/// Largest code whose baseline is <= `v`: the definition the fast paths must equal.
pub const fn code_of(base: &[u32], v: u32) -> u32 {
    let mut c = base.len() - 1;
    while base[c] > v {
        c -= 1;
    }
    c as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_header_bytes() {
        assert_eq!(FRAME_HEADER, [0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x00, 0x0f]);
    }

    #[test]
    fn codes() {
        assert_eq!(ll_code(0), 0);
        assert_eq!(ll_code(15), 15);
        assert_eq!(ll_code(16), 16);
        assert_eq!(ll_code(17), 16);
        assert_eq!(ll_code(63), 24);
        assert_eq!(ll_code(64), 25);
        assert_eq!(ll_code(4096), 31);
        assert_eq!(ml_code(3), 0);
        assert_eq!(ml_code(34), 31);
        assert_eq!(ml_code(35), 32);
        assert_eq!(ml_code(4096), 47);
        assert_eq!(of_code(1), 0);
        assert_eq!(of_code(4095 + REP_NUM), OF_MAX_CODE_USED);
    }

    #[test]
    fn fast_codes_equal_baseline_search() {
        for v in 0..70000u32 {
            assert_eq!(ll_code(v), code_of(&LL_BASELINE, v), "ll {v}");
            assert_eq!(ml_code(v + 3), code_of(&ML_BASELINE, v + 3), "ml {v}");
        }
    }

    #[test]
    fn distributions_sum_to_table_size() {
        let sum = |n: &[i16]| {
            n.iter()
                .map(|&x| if x < 0 { 1 } else { x as i32 })
                .sum::<i32>()
        };
        assert_eq!(sum(&LL_DEFAULT_NORM), 1 << LL_ACCURACY_LOG);
        assert_eq!(sum(&ML_DEFAULT_NORM), 1 << ML_ACCURACY_LOG);
        assert_eq!(sum(&OF_DEFAULT_NORM), 1 << OF_ACCURACY_LOG);
    }
}
