//! Shared by the codec's integration tests: the encoder's match finding as a
//! literal transcription of docs/format.md (deliberately naive, the oracle
//! that optimisations of `encoder.rs` are checked against) and a page generator.

#![allow(dead_code)] // each test file uses a subset

use pagepress_abi::format::{HASH_ENTRIES, MIN_MATCH, PAGE_SIZE, STEP_WIDTH, hash4};
use pagepress_codec::Sequence;

/// Sequences and trailing literals of `page` per the algorithm in docs/format.md.
pub fn spec_sequences(page: &[u8; PAGE_SIZE]) -> (Vec<Sequence>, u32) {
    let key = |p: usize| u32::from_le_bytes(page[p..p + 4].try_into().unwrap());
    let mut table: Vec<Option<usize>> = vec![None; HASH_ENTRIES];
    let mut cursor = 0;
    let mut lit_start = 0;
    let mut seqs = Vec::new();
    for k in 0..PAGE_SIZE / STEP_WIDTH {
        let positions: Vec<usize> = (k * STEP_WIDTH..k * STEP_WIDTH + STEP_WIDTH)
            .filter(|&p| p + MIN_MATCH <= PAGE_SIZE)
            .collect();
        // 1. lookup against the table as after the previous step
        let cand: Vec<Option<usize>> = positions
            .iter()
            .map(|&p| table[hash4(key(p)) as usize])
            .collect();
        // 2. select
        if cursor < k * STEP_WIDTH + STEP_WIDTH {
            for (i, &p) in positions.iter().enumerate() {
                if p < cursor {
                    continue;
                }
                if let Some(c) = cand[i]
                    && page[c..c + 4] == page[p..p + 4]
                {
                    let mut len = 0;
                    while p + len < PAGE_SIZE && page[c + len] == page[p + len] {
                        len += 1;
                    }
                    seqs.push(Sequence {
                        lit_len: (p - lit_start) as u32,
                        match_len: len as u32,
                        offset: (p - c) as u32,
                    });
                    cursor = p + len;
                    lit_start = cursor;
                    break;
                }
            }
        }
        // 3. insert
        for &p in &positions {
            table[hash4(key(p)) as usize] = Some(p);
        }
    }
    (seqs, (PAGE_SIZE - lit_start) as u32)
}

/// A page of bytes drawn uniformly from `0..alphabet` (LCG; deterministic).
pub fn lcg_page(seed: u64, alphabet: u8) -> [u8; PAGE_SIZE] {
    let mut p = [0u8; PAGE_SIZE];
    let mut x = seed;
    for b in p.iter_mut() {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *b = ((x >> 33) % alphabet as u64) as u8;
    }
    p
}

/// An `lcg_page` with earlier ranges copied forward, `(dst, len, back)` each,
/// to plant matches of many lengths and offsets (overlapping copies included).
pub fn planted_page(seed: u64, alphabet: u8, runs: &[(usize, usize, usize)]) -> [u8; PAGE_SIZE] {
    let mut p = lcg_page(seed, alphabet);
    for &(dst, len, back) in runs {
        let len = len.min(PAGE_SIZE - dst);
        if back <= dst {
            for k in 0..len {
                p[dst + k] = p[dst - back + k];
            }
        }
    }
    p
}
