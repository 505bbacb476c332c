//! The Verilated RTL codec engines (cargo feature `rtl`): the device's
//! compressor and decompressor cores, cycle-accurate, through `pagepress-sim`.
//!
//! `pagepress compress|decompress --engine rtl` calls these. Both functions
//! take and return the same byte layouts as the soft codec (whole pages in,
//! frames back to back out, and back) and report the core cycles spent.

use pagepress_codec::{PAGE_SIZE, Page, decompress_any, first_frame_len};
use pagepress_sim::engines::{self, status};
use pagepress_sim::{Compressor, Decompressor, Model};

/// Cycle counts of an RTL engine run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RtlStats {
    /// Pages compressed or decompressed by the core.
    pub pages: usize,
    /// Core clock cycles over all pages: decompression, input beats to `done`
    /// per frame; compression, the streaming time of the whole set (pages
    /// overlap in the core).
    pub cycles: u64,
    /// Cycles of the slowest page (compression: its latency).
    pub max_page_cycles: u64,
    /// Frames outside the device subset, decoded on the CPU instead (libzstd).
    pub cpu_fallbacks: usize,
}

impl RtlStats {
    /// Page bytes per core cycle (uncompressed side), over the pages the core ran.
    pub fn bytes_per_cycle(&self) -> f64 {
        if self.cycles == 0 {
            0.0
        } else {
            (self.pages * PAGE_SIZE) as f64 / self.cycles as f64
        }
    }

    fn add(&mut self, cycles: u64) {
        self.pages += 1;
        self.cycles += cycles;
        self.max_page_cycles = self.max_page_cycles.max(cycles);
    }
}

/// Compresses whole 4 KiB pages with the RTL compressor, streamed back to back;
/// returns their frames back to back (the same bytes as
/// `pagepress_codec::compress_page`).
pub fn compress_pages(input: &[u8]) -> Result<(Vec<u8>, RtlStats), String> {
    if !input.len().is_multiple_of(PAGE_SIZE) {
        return Err(format!(
            "{} bytes is not a whole number of 4096-byte pages",
            input.len()
        ));
    }
    let pages: Vec<&Page> = input.as_chunks::<PAGE_SIZE>().0.iter().collect();
    let mut m = Compressor::new();
    let (frames, total) = engines::compress_stream(&mut m, &pages)?;
    let mut stats = RtlStats::default();
    let mut out = Vec::with_capacity(input.len() / 2);
    for f in &frames {
        stats.add(f.cycles);
        out.extend_from_slice(&f.frame);
    }
    // Pages overlap in the core: the cost of the set is the streaming time.
    stats.cycles = total;
    Ok((out, stats))
}

/// Decompresses zstd frames of one page each, back to back, with the RTL
/// decompressor; returns the pages. Frames outside the device subset (valid
/// zstd the core does not accept) are decoded on the CPU and counted in
/// [`RtlStats::cpu_fallbacks`]; any other rejected frame is an error.
pub fn decompress_frames(input: &[u8]) -> Result<(Vec<u8>, RtlStats), String> {
    if input.is_empty() {
        return Err("empty input, no frame to decompress".into());
    }
    let mut m = Decompressor::new();
    let mut stats = RtlStats::default();
    let mut out = Vec::with_capacity(input.len() * 2);
    let mut pos = 0;
    let mut n = 0usize;
    while pos < input.len() {
        let rest = &input[pos..];
        let len = first_frame_len(rest).map_err(|e| format!("frame {n} at byte {pos}: {e}"))?;
        let frame = &rest[..len];
        let r = engines::decompress(&mut m, frame)
            .map_err(|e| format!("frame {n} at byte {pos}: {e}"))?;
        match r.status {
            status::OK => {
                stats.add(r.cycles);
                out.extend_from_slice(&r.out);
            }
            status::UNSUPPORTED => {
                let mut page: Page = [0; PAGE_SIZE];
                decompress_any(frame, &mut page)
                    .map_err(|e| format!("frame {n} at byte {pos}: {e}"))?;
                stats.cpu_fallbacks += 1;
                out.extend_from_slice(&page);
            }
            s => {
                return Err(format!(
                    "frame {n} at byte {pos}: the RTL decompressor rejected it ({})",
                    status::name(s)
                ));
            }
        }
        pos += len;
        n += 1;
    }
    Ok((out, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagepress_codec::compress_page;

    fn pages() -> Vec<u8> {
        let mut v = Vec::new();
        for i in 0..6u32 {
            let mut p = [0u8; PAGE_SIZE];
            for (j, b) in p.iter_mut().enumerate() {
                *b = match i {
                    0 => 0,
                    1 => 0x77,
                    2 => (j % 251) as u8,
                    3 => (j.wrapping_mul(2_654_435_761) >> 13) as u8,
                    _ => b"pagepress frame "[(j * (i as usize)) % 16],
                };
            }
            v.extend_from_slice(&p);
        }
        v
    }

    #[test]
    fn decompresses_reference_frames() {
        let input = pages();
        let mut frames = Vec::new();
        for p in input.as_chunks::<PAGE_SIZE>().0 {
            compress_page(p, &mut frames);
        }
        let (out, stats) = decompress_frames(&frames).unwrap();
        assert!(out == input);
        assert_eq!(stats.pages, 6);
        assert_eq!(stats.cpu_fallbacks, 0);
        assert!(stats.cycles > 0 && stats.max_page_cycles <= stats.cycles);
    }

    #[test]
    fn foreign_frames_fall_back_to_the_cpu_and_garbage_fails() {
        let page = [9u8; PAGE_SIZE];
        // Valid zstd outside the subset: a 4-byte content size field.
        let mut f = vec![0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x10, 0x00, 0x00];
        let bh = 1u32 | (4096 << 3);
        f.extend_from_slice(&bh.to_le_bytes()[..3]);
        f.extend_from_slice(&page);
        let (out, stats) = decompress_frames(&f).unwrap();
        assert!(out[..] == page[..]);
        assert_eq!((stats.pages, stats.cpu_fallbacks), (0, 1));
        assert!(decompress_frames(&[1, 2, 3]).is_err());
        assert!(decompress_frames(&[]).is_err());
    }

    #[test]
    fn compresses_like_the_reference() {
        let input = pages();
        let mut want = Vec::new();
        for p in input.as_chunks::<PAGE_SIZE>().0 {
            compress_page(p, &mut want);
        }
        let (frames, stats) = compress_pages(&input).unwrap();
        assert!(frames == want);
        assert_eq!(stats.pages, 6);
        let (back, _) = decompress_frames(&frames).unwrap();
        assert!(back == input);
    }

    #[test]
    fn compress_rejects_partial_pages() {
        assert!(compress_pages(&[0u8; 100]).is_err());
    }
}
