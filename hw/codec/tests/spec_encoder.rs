//! The encoder's match finder against a literal transcription of the algorithm
//! in docs/format.md (kept deliberately naive), so that optimising the encoder
//! can never change the bytes the RTL must match.

mod common;

use common::{lcg_page, planted_page, spec_sequences};
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::find_sequences;
use proptest::prelude::*;

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
        let p = planted_page(seed, alphabet, &runs);
        prop_assert_eq!(find_sequences(&p), spec_sequences(&p));
    }
}
