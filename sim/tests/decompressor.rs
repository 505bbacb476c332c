//! The Verilated decompressor against the reference decoder
//! (`pagepress_codec::decompress_page`): round trips of the reference encoder's
//! frames on real, synthetic and generated pages, and rejection of mutated and
//! truncated frames with the reference decoder's error class. Never a hang,
//! never more than one page of output (both checked by `engines::decompress`).
//!
//! `PAGEPRESS_SOAK=1` multiplies the page and mutation counts.

use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::{FrameKind, Page, compress_page, decompress_page};
use pagepress_sim::engines::{self, status};
use pagepress_sim::pages::{self, Rng};
use pagepress_sim::{Decompressor, Model};

fn soak() -> usize {
    if std::env::var_os("PAGEPRESS_SOAK").is_some() {
        20
    } else {
        1
    }
}

fn frame_of(page: &Page) -> (FrameKind, Vec<u8>) {
    let mut f = Vec::new();
    let k = compress_page(page, &mut f);
    (k, f)
}

/// Runs `frame` through the core and checks it against the reference decoder.
fn check(m: &mut Decompressor, frame: &[u8], what: &str) {
    let mut want = [0u8; PAGE_SIZE];
    let r = decompress_page(frame, &mut want);
    let got = engines::decompress(m, frame).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        got.status,
        status::of_result(&r),
        "{what}: core says {}, reference {r:?}",
        status::name(got.status)
    );
    assert!(got.out.len() <= PAGE_SIZE, "{what}: more than a page");
    if r.is_ok() {
        assert!(got.out[..] == want[..], "{what}: page differs");
    }
}

fn round_trip(m: &mut Decompressor, set: &[pages::Labelled]) {
    for (i, (label, page)) in set.iter().enumerate() {
        let (_, frame) = frame_of(page);
        let mut want = [0u8; PAGE_SIZE];
        decompress_page(&frame, &mut want).expect("reference decodes its own frame");
        let got = engines::decompress(m, &frame).unwrap_or_else(|e| panic!("{label} #{i}: {e}"));
        assert_eq!(
            got.status,
            status::OK,
            "{label} #{i}: {}",
            status::name(got.status)
        );
        assert!(got.out[..] == page[..], "{label} #{i}: page differs");
    }
}

#[test]
fn round_trips_real_pages() {
    let set = match pages::real(400 * soak()) {
        Ok(s) => s,
        Err(e) => {
            // No Python or no /proc access: the generated sets still run.
            eprintln!("real pages unavailable ({e}); using the mixed generated class");
            (0..200)
                .map(|i| ("mixed".into(), pages::generated_page("mixed", i)))
                .collect()
        }
    };
    let mut m = Decompressor::new();
    round_trip(&mut m, &set);
}

#[test]
fn round_trips_synthetic_classes() {
    let mut m = Decompressor::new();
    round_trip(&mut m, &pages::synthetic(16 * soak()));
}

#[test]
fn round_trips_generated_pages() {
    // 10 classes x 200 = 2000 pages, every frame kind.
    let set = pages::generated(200 * soak());
    let mut kinds = [0usize; 3];
    for (_, p) in &set {
        kinds[frame_of(p).0 as usize] += 1;
    }
    assert!(
        kinds.iter().all(|&k| k > 0),
        "every frame kind is exercised: {kinds:?}"
    );
    let mut m = Decompressor::new();
    round_trip(&mut m, &set);
}

/// Frames of a few kinds for the mutation tests.
fn sample_frames() -> Vec<Vec<u8>> {
    let mut v = Vec::new();
    for class in pages::GENERATED_CLASSES {
        for i in 0..3 {
            v.push(frame_of(&pages::generated_page(class, 1000 + i)).1);
        }
    }
    v
}

#[test]
fn rejects_mutated_frames_like_the_reference() {
    let frames = sample_frames();
    let mut m = Decompressor::new();
    let mut rng = Rng(42);
    let mut rejected = 0usize;
    let n = 3000 * soak();
    for t in 0..n {
        let mut f = frames[t % frames.len()].clone();
        match rng.below(6) {
            // Flip one bit, anywhere.
            0 => {
                let i = rng.below(f.len() as u64) as usize;
                f[i] ^= 1 << rng.below(8);
            }
            // Flip a bit in the headers.
            1 => {
                let i = rng.below(f.len().min(16) as u64) as usize;
                f[i] ^= 1 << rng.below(8);
            }
            // Corrupt the sequence section (the frame's tail).
            2 => {
                let k = (1 + rng.below(8) as usize).min(f.len());
                let i = f.len() - k;
                f[i] = rng.next_u64() as u8;
            }
            // Random byte anywhere.
            3 => {
                let i = rng.below(f.len() as u64) as usize;
                f[i] = rng.next_u64() as u8;
            }
            // Append bytes.
            4 => {
                for _ in 0..1 + rng.below(9) {
                    f.push(rng.next_u64() as u8);
                }
            }
            // Truncate.
            _ => {
                let k = rng.below(f.len() as u64) as usize;
                f.truncate(k);
            }
        }
        let mut out = [0u8; PAGE_SIZE];
        rejected += decompress_page(&f, &mut out).is_err() as usize;
        check(&mut m, &f, &format!("mutation {t}"));
    }
    assert!(
        rejected > n / 2,
        "the mutations mostly produce bad frames ({rejected}/{n})"
    );
}

#[test]
fn rejects_every_truncation() {
    let mut m = Decompressor::new();
    for (k, frame) in sample_frames().iter().enumerate().step_by(3) {
        // Every prefix of small frames; prefixes around the headers and the
        // end plus a stride through the middle of large ones.
        let n = frame.len();
        let lens: Vec<usize> = if n <= 300 {
            (0..n).collect()
        } else {
            (0..40)
                .chain((40..n - 40).step_by(97))
                .chain(n - 40..n)
                .collect()
        };
        for len in lens {
            check(
                &mut m,
                &frame[..len],
                &format!("frame {k} cut to {len}/{n}"),
            );
        }
    }
}

#[test]
fn rejects_foreign_frames() {
    let mut m = Decompressor::new();
    let page = pages::generated_page("small-alphabet", 5);
    // A libzstd frame: not in the subset (Huffman literals, FSE tables, ...).
    let z = zstd_frame(&page[..]);
    check(&mut m, &z, "libzstd frame");
    // Garbage and a frame of another size.
    check(&mut m, &[0u8; 64], "zeros");
    let mut other = pagepress_abi::format::FRAME_HEADER.to_vec();
    other[6] = 0x10;
    other.extend_from_slice(&[0x03, 0x80, 0x00, 0x00]);
    check(&mut m, &other, "another content size");
}

/// A hand-made frame outside the subset: compressed block with RLE literals.
fn zstd_frame(_page: &[u8]) -> Vec<u8> {
    let mut f = pagepress_abi::format::FRAME_HEADER.to_vec();
    // Last block, compressed, size 4: literals header (RLE, 1 byte), ...
    let size = 4u32;
    let bh = 1 | (2 << 1) | (size << 3);
    f.extend_from_slice(&bh.to_le_bytes()[..3]);
    f.extend_from_slice(&[0x01 | (0x1f << 3), 0x61, 0x00, 0x00]);
    f
}

#[test]
fn frames_back_to_back_and_traced() {
    let dir = std::env::temp_dir().join(format!("pagepress-vcd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vcd = dir.join("decompressor.vcd");
    let mut m = Decompressor::open(Some(&vcd)).unwrap();
    let page = pages::generated_page("mixed", 3);
    let (_, frame) = frame_of(&page);
    for _ in 0..3 {
        check(&mut m, &frame, "traced");
        check(&mut m, &frame[..frame.len() - 1], "traced truncated");
    }
    drop(m);
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.contains("$enddefinitions") && text.contains("out_data"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn ports_are_described() {
    let names: Vec<_> = Decompressor::PORTS.iter().map(|p| p.name).collect();
    for want in [
        "clock", "in_valid", "in_ready", "in_data", "out_data", "done", "status",
    ] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let m = Decompressor::new();
    assert_eq!(m.get("in_ready"), Some(1));
    assert_eq!(m.get("nonexistent"), None);
}
