//! The encoder's match finder against a literal transcription of the algorithm
//! in docs/format.md (kept deliberately naive), so that optimising the encoder
//! can never change the bytes the RTL must match.

use pagepress_abi::format::{HASH_ENTRIES, MIN_MATCH, PAGE_SIZE, STEP_WIDTH, hash4};
use pagepress_codec::{Sequence, find_sequences};
use proptest::prelude::*;

fn spec_sequences(page: &[u8; PAGE_SIZE]) -> (Vec<Sequence>, u32) {
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

fn lcg_page(seed: u64, alphabet: u8) -> [u8; PAGE_SIZE] {
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

#[test]
fn fixed_pages_match_spec() {
    let mut pages = vec![
        [0u8; PAGE_SIZE],
        lcg_page(1, 255),
        lcg_page(2, 2),
        lcg_page(3, 5),
    ];
    let mut half = lcg_page(4, 255);
    let (a, b) = half.split_at_mut(PAGE_SIZE / 2);
    b.copy_from_slice(a);
    pages.push(half);
    let mut edge = [0u8; PAGE_SIZE];
    edge[..8].copy_from_slice(b"abcdefgh");
    edge[PAGE_SIZE - 8..].copy_from_slice(b"abcdefgh");
    pages.push(edge);
    for p in &pages {
        assert_eq!(find_sequences(p), spec_sequences(p));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn generated_pages_match_spec(
        seed in any::<u64>(),
        alphabet in 1u8..=255,
        runs in proptest::collection::vec((0usize..PAGE_SIZE, 1usize..700, 1usize..4096), 0..10),
    ) {
        let mut p = lcg_page(seed, alphabet);
        for (dst, len, back) in runs {
            let len = len.min(PAGE_SIZE - dst);
            if back <= dst {
                for k in 0..len {
                    p[dst + k] = p[dst - back + k];
                }
            }
        }
        prop_assert_eq!(find_sequences(&p), spec_sequences(&p));
    }
}
