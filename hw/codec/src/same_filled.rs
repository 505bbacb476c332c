//! Same-filled page detection (zswap's `zswap_is_page_same_filled`).

use pagepress_abi::format::{FILL_WORD_BYTES, PAGE_SIZE};

/// If every aligned 64-bit word of `page` is equal, that word (little-endian).
pub fn same_filled(page: &[u8]) -> Option<u64> {
    debug_assert_eq!(page.len(), PAGE_SIZE);
    let mut words = page.chunks_exact(FILL_WORD_BYTES);
    let first = words.next()?;
    if words.all(|w| w == first) {
        Some(u64::from_le_bytes(first.try_into().ok()?))
    } else {
        None
    }
}

/// True when every byte of `page` equals its first byte (an RLE frame).
pub fn is_byte_filled(page: &[u8]) -> bool {
    match page.first() {
        Some(&b) => page.iter().all(|&x| x == b),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_fill_word() {
        let mut p = vec![0u8; PAGE_SIZE];
        assert_eq!(same_filled(&p), Some(0));
        for c in p.chunks_exact_mut(8) {
            c.copy_from_slice(&0xdead_beef_0102_0304u64.to_le_bytes());
        }
        assert_eq!(same_filled(&p), Some(0xdead_beef_0102_0304));
        assert!(!is_byte_filled(&p));
        p[4095] ^= 1;
        assert_eq!(same_filled(&p), None);
    }
}
