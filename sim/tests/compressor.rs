//! The Verilated compressor against the reference encoder
//! (`pagepress_codec::compress_page`): byte-identical frames on real,
//! synthetic and generated pages, streamed back to back, and the frames
//! decode (through the Verilated decompressor too) to the page.
//!
//! `PAGEPRESS_SOAK=1` multiplies the page counts.

use pagepress_codec::{FrameKind, Page, compress_page};
use pagepress_sim::engines::{self, status};
use pagepress_sim::pages::{self, Labelled};
use pagepress_sim::{Compressor, Decompressor, Model};

fn soak() -> usize {
    if std::env::var_os("PAGEPRESS_SOAK").is_some() {
        20
    } else {
        1
    }
}

fn kind_code(k: FrameKind) -> u8 {
    match k {
        FrameKind::Raw => 0,
        FrameKind::Rle => 1,
        FrameKind::Compressed => 2,
    }
}

/// Streams `set` through one compressor and checks every frame.
fn check_set(set: &[Labelled], decompress_too: bool) {
    let mut m = Compressor::new();
    let mut d = Decompressor::new();
    for chunk in set.chunks(64) {
        let pages: Vec<&Page> = chunk.iter().map(|(_, p)| &**p).collect();
        let (frames, _) = engines::compress_stream(&mut m, &pages).unwrap();
        assert_eq!(frames.len(), pages.len());
        for ((label, page), got) in chunk.iter().zip(&frames) {
            let mut want = Vec::new();
            let kind = compress_page(page, &mut want);
            assert!(
                got.frame == want,
                "{label}: frame differs from compress_page ({kind:?}, {} vs {} bytes)",
                got.frame.len(),
                want.len()
            );
            assert_eq!(got.frame_len, want.len(), "{label}: frame_len");
            assert_eq!(got.kind, kind_code(kind), "{label}: frame_kind");
            if decompress_too {
                let r = engines::decompress(&mut d, &got.frame).unwrap();
                assert_eq!(r.status, status::OK);
                assert!(r.out[..] == page[..], "{label}: RTL round trip");
            }
        }
    }
}

#[test]
fn matches_reference_on_real_pages() {
    let set = match pages::real(300 * soak()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("real pages unavailable ({e}); using the mixed generated class");
            (0..150)
                .map(|i| ("mixed".into(), pages::generated_page("mixed", i)))
                .collect()
        }
    };
    check_set(&set, true);
}

#[test]
fn matches_reference_on_synthetic_classes() {
    check_set(&pages::synthetic(16 * soak()), true);
}

#[test]
fn matches_reference_on_generated_pages() {
    check_set(&pages::generated(100 * soak()), false);
}
