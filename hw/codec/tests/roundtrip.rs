//! Round trips through the subset decoder and libzstd on synthetic and
//! proptest-generated pages; corrupt and truncated frames are rejected.

use pagepress_abi::format::{MAX_FRAME_SIZE, PAGE_SIZE, RLE_FRAME_SIZE};
use pagepress_codec::{
    DecodeError, FrameKind, Page, compress_page, decode_frame, decompress_any, decompress_page,
};
use proptest::prelude::*;

mod common;
use common::{lcg_page, planted_page};

fn check(page: &Page) -> (FrameKind, Vec<u8>) {
    let mut frame = Vec::new();
    let kind = compress_page(page, &mut frame);
    assert!(frame.len() <= MAX_FRAME_SIZE);
    let mut out = [0u8; PAGE_SIZE];
    decompress_page(&frame, &mut out).expect("own decoder");
    assert!(out[..] == page[..], "subset decoder round trip");
    let z = zstd::bulk::decompress(&frame, PAGE_SIZE).expect("libzstd decodes every frame");
    assert!(z[..] == page[..], "libzstd round trip");
    (kind, frame)
}

#[test]
fn zero_and_byte_filled_pages_are_rle() {
    for b in [0u8, 0xff, 0x5a] {
        let (kind, frame) = check(&[b; PAGE_SIZE]);
        assert_eq!(kind, FrameKind::Rle);
        assert_eq!(frame.len(), RLE_FRAME_SIZE);
    }
}

#[test]
fn word_filled_page_compresses() {
    let mut p = [0u8; PAGE_SIZE];
    for c in p.chunks_exact_mut(8) {
        c.copy_from_slice(&0x0123_4567_89ab_cdefu64.to_le_bytes());
    }
    let (kind, frame) = check(&p);
    assert_eq!(kind, FrameKind::Compressed);
    assert!(frame.len() < 40, "{}", frame.len());
}

#[test]
fn random_page_is_raw() {
    let (kind, frame) = check(&lcg_page(7, 255));
    assert_eq!(kind, FrameKind::Raw);
    assert_eq!(frame.len(), MAX_FRAME_SIZE);
}

#[test]
fn text_like_pages() {
    let words = [
        "the ", "page ", "swap ", "slot ", "folio ", "zstd ", "device ", "\n", "lock ", "cache ",
    ];
    for seed in 0..50u64 {
        let mut p = [0u8; PAGE_SIZE];
        let mut x = seed;
        let mut i = 0;
        while i < PAGE_SIZE {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let w = words[(x >> 40) as usize % words.len()].as_bytes();
            let n = w.len().min(PAGE_SIZE - i);
            p[i..i + n].copy_from_slice(&w[..n]);
            i += n;
        }
        let (kind, _) = check(&p);
        assert_eq!(kind, FrameKind::Compressed);
    }
}

#[test]
fn small_alphabets_and_long_matches() {
    for (seed, a) in [(1, 2), (2, 4), (3, 16), (4, 64), (5, 200)] {
        check(&lcg_page(seed, a));
    }
    // A page that repeats its first half: one match at the window edge region.
    let mut p = lcg_page(9, 255);
    let (a, b) = p.split_at_mut(PAGE_SIZE / 2);
    b.copy_from_slice(a);
    let (kind, frame) = check(&p);
    assert_eq!(kind, FrameKind::Compressed);
    assert!(frame.len() < PAGE_SIZE / 2 + 64);
    // Matches ending exactly at the page end, and an offset of 4095.
    let mut p = [0u8; PAGE_SIZE];
    p[..4].copy_from_slice(b"abcd");
    p[PAGE_SIZE - 4..].copy_from_slice(b"abcd");
    check(&p);
}

#[test]
fn truncated_frames_are_rejected() {
    for page in [lcg_page(3, 16), [0u8; PAGE_SIZE], lcg_page(4, 255)] {
        let mut frame = Vec::new();
        compress_page(&page, &mut frame);
        let mut out = [0u8; PAGE_SIZE];
        for cut in 0..frame.len() {
            assert!(
                decompress_page(&frame[..cut], &mut out).is_err(),
                "cut at {cut}"
            );
        }
        let mut long = frame.clone();
        long.push(0);
        assert_eq!(
            decompress_page(&long, &mut out),
            Err(DecodeError::TrailingData)
        );
    }
}

#[test]
fn outside_subset_goes_to_libzstd() {
    let page = lcg_page(11, 8);
    let frame = zstd::bulk::compress(&page, 19).unwrap();
    let mut out = [0u8; PAGE_SIZE];
    assert!(decode_frame(&frame, &mut out).unwrap_err().is_unsupported());
    assert_eq!(decompress_any(&frame, &mut out), Ok(frame.len()));
    assert!(out[..] == page[..]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn generated_pages_round_trip(
        seed in any::<u64>(),
        alphabet in 1u8..=255,
        runs in proptest::collection::vec((0usize..PAGE_SIZE, 1usize..512, 1usize..4096), 0..8),
    ) {
        let p = planted_page(seed, alphabet, &runs);
        check(&p);
    }

    #[test]
    fn mutated_frames_never_panic_or_overflow(seed in any::<u64>(), flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6)) {
        let mut frame = Vec::new();
        compress_page(&lcg_page(seed, 12), &mut frame);
        for (at, x) in flips {
            let i = at % frame.len();
            frame[i] ^= x.max(1);
        }
        let mut out = [0u8; PAGE_SIZE];
        // Either an error, or a full page that libzstd agrees with.
        if decompress_page(&frame, &mut out).is_ok()
            && let Ok(z) = zstd::bulk::decompress(&frame, PAGE_SIZE)
        {
            prop_assert!(z[..] == out[..]);
        }
    }
}
