//! rust-hdl simulation of the decompressor on a few frames (the long runs are
//! Verilator tests in `pagepress-sim`), and its Verilog generation + lint.

use super::*;
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::{Page, compress_page, decompress_page};

/// Result of one frame through the core.
struct Run {
    out: Vec<u8>,
    status: u8,
}

/// Feeds `frame` and collects the output until `done`; panics on a hang.
fn run(uut: &mut Decompressor, frame: &[u8]) -> Run {
    let mut out = Vec::new();
    // An empty frame is one beat of 0 bytes.
    let mut beats = frame
        .chunks(8)
        .chain(frame.is_empty().then_some(&[][..]))
        .peekable();
    let mut sent_last = false;
    let mut pending: Option<&[u8]> = beats.next();
    for _ in 0..(frame.len() / 8 + 4 * PAGE_SIZE + 4096) {
        // Drive inputs for this cycle.
        let offer = !sent_last;
        uut.in_valid.next = offer;
        let chunk = pending.unwrap_or(&[]);
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        uut.in_data.next = Bits::<64>::from(u64::from_le_bytes(w));
        uut.in_bytes.next = Bits::<4>::from(chunk.len() as u64);
        uut.in_last.next = beats.peek().is_none();
        uut.clock.next = Clock::from(false);
        assert!(simulate(uut, 100));
        let accepted = offer && uut.in_ready.val();
        if uut.out_valid.val() {
            out.extend_from_slice(&uut.out_data.val().to_u64().to_le_bytes());
        }
        let done = uut.done.val().then(|| uut.status.val().to_u8());
        uut.clock.next = Clock::from(true);
        assert!(simulate(uut, 100));
        if let Some(status) = done {
            return Run { out, status };
        }
        if accepted {
            if beats.peek().is_none() {
                sent_last = true;
            } else {
                pending = beats.next();
            }
        }
    }
    panic!("decompressor hung");
}

fn page_of(mut f: impl FnMut(usize) -> u8) -> Page {
    let mut p = [0u8; PAGE_SIZE];
    for (i, b) in p.iter_mut().enumerate() {
        *b = f(i);
    }
    p
}

fn text_page() -> Page {
    let words = [
        "page ", "swap ", "slot ", "zstd ", "frame ", "offset ", "literal ", "match ",
    ];
    let mut s = Vec::new();
    let mut x = 12345u32;
    while s.len() < PAGE_SIZE {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        s.extend_from_slice(words[(x >> 16) as usize % words.len()].as_bytes());
        if x.is_multiple_of(7) {
            s.push((x >> 8) as u8);
        }
    }
    page_of(|i| s[i])
}

/// Checks the core against the reference decoder on `frame`.
fn check_frame(uut: &mut Decompressor, frame: &[u8]) {
    let mut want = [0u8; PAGE_SIZE];
    let r = decompress_page(frame, &mut want);
    let got = run(uut, frame);
    assert_eq!(
        got.status,
        status::of_result(&r),
        "status vs reference {r:?}"
    );
    assert!(got.out.len() <= PAGE_SIZE);
    if r.is_ok() {
        assert_eq!(got.out.len(), PAGE_SIZE);
        assert!(got.out[..] == want[..], "page differs");
    }
}

#[test]
fn decodes_rle_raw_and_compressed_frames() {
    let mut uut = decompressor();
    let pages = [
        [0x5au8; PAGE_SIZE],
        page_of(|i| (i * 7 + (i >> 5) * 13) as u8 ^ (i >> 9) as u8),
        text_page(),
        page_of(|i| (i % 3) as u8),
    ];
    for page in &pages {
        let mut frame = Vec::new();
        compress_page(page, &mut frame);
        check_frame(&mut uut, &frame);
    }
    // A raw page: pseudo-random bytes.
    let mut x = 99u64;
    let raw = page_of(|_| {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        (x >> 40) as u8
    });
    let mut frame = Vec::new();
    compress_page(&raw, &mut frame);
    assert_eq!(frame.len(), pagepress_abi::format::MAX_FRAME_SIZE);
    check_frame(&mut uut, &frame);
}

#[test]
fn rejects_malformed_frames_like_the_reference() {
    let mut uut = decompressor();
    let mut frame = Vec::new();
    compress_page(&text_page(), &mut frame);
    let mut cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        frame[..3].to_vec(),
        frame[..9].to_vec(),
        frame[..frame.len() - 1].to_vec(),
        [frame.clone(), vec![0]].concat(),
    ];
    for (i, b) in [
        (0usize, 0x01u8),
        (4, 0x20),
        (6, 0x01),
        (7, 0x10),
        (10, 0x01),
    ] {
        let mut f = frame.clone();
        f[i] ^= b;
        cases.push(f);
    }
    let mut last = frame.clone();
    *last.last_mut().unwrap() = 0;
    cases.push(last);
    for f in &cases {
        check_frame(&mut uut, f);
    }
}

#[test]
fn verilog_generates_and_lints() {
    let v = decompressor_verilog();
    assert!(v.contains("module top"));
    crate::lint::lint_verilog("decompressor", &v).unwrap();
}
