//! The page codec beside lz4 and zstd levels 1 and 3, on the same pages.
//!
//! Every codec compresses each 4 KiB page independently (as a swap store
//! does), so ratios are comparable: ratio = page bytes / compressed bytes,
//! throughput = page bytes per second on one core. Used by
//! `pagepress bench codec` and the criterion benchmark `benches/benches/codec.rs`.

use pagepress_codec::{PAGE_SIZE, Page, compress_page, decompress_page};
use std::fmt::Write as _;
use std::time::Duration;

/// A codec compared on a corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Codec {
    /// The pagepress reference encoder and subset decoder.
    Pagepress,
    /// lz4 block format (`lz4_flex`).
    Lz4,
    /// libzstd level 1.
    Zstd1,
    /// libzstd level 3.
    Zstd3,
}

impl Codec {
    pub const ALL: [Codec; 4] = [Codec::Pagepress, Codec::Lz4, Codec::Zstd1, Codec::Zstd3];

    pub fn name(self) -> &'static str {
        match self {
            Codec::Pagepress => "pagepress",
            Codec::Lz4 => "lz4",
            Codec::Zstd1 => "zstd-1",
            Codec::Zstd3 => "zstd-3",
        }
    }
}

/// Pages compressed one by one: the outputs back to back and where each ends.
#[derive(Clone, Debug, Default)]
pub struct Compressed {
    pub bytes: Vec<u8>,
    pub ends: Vec<usize>,
}

impl Compressed {
    pub fn frames(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&e| {
            let f = &self.bytes[start..e];
            start = e;
            f
        })
    }
}

/// A reusable compressor/decompressor for one codec.
pub struct Engine {
    codec: Codec,
    zc: Option<zstd::bulk::Compressor<'static>>,
    zd: zstd::bulk::Decompressor<'static>,
}

impl Engine {
    pub fn new(codec: Codec) -> Engine {
        let level = match codec {
            Codec::Zstd1 => Some(1),
            Codec::Zstd3 => Some(3),
            _ => None,
        };
        Engine {
            codec,
            zc: level.map(|l| zstd::bulk::Compressor::new(l).expect("libzstd compressor")),
            zd: zstd::bulk::Decompressor::new().expect("libzstd decompressor"),
        }
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// Compresses every page of `pages` into `out` (cleared first).
    pub fn compress(&mut self, pages: &[Page], out: &mut Compressed) {
        out.bytes.clear();
        out.ends.clear();
        out.bytes.reserve(pages.len() * (PAGE_SIZE + 128));
        for p in pages {
            match self.codec {
                Codec::Pagepress => {
                    compress_page(p, &mut out.bytes);
                }
                Codec::Lz4 => {
                    let start = out.bytes.len();
                    out.bytes.resize(
                        start + lz4_flex::block::get_maximum_output_size(PAGE_SIZE),
                        0,
                    );
                    let n = lz4_flex::block::compress_into(p, &mut out.bytes[start..])
                        .expect("lz4 output fits its bound");
                    out.bytes.truncate(start + n);
                }
                Codec::Zstd1 | Codec::Zstd3 => {
                    let zc = self.zc.as_mut().expect("zstd compressor");
                    let start = out.bytes.len();
                    out.bytes
                        .resize(start + zstd::zstd_safe::compress_bound(PAGE_SIZE), 0);
                    let n = zc
                        .compress_to_buffer(&p[..], &mut out.bytes[start..])
                        .expect("zstd output fits its bound");
                    out.bytes.truncate(start + n);
                }
            }
            out.ends.push(out.bytes.len());
        }
    }

    /// Decompresses every frame of `c` into `out` (one page per frame).
    /// Returns false when a frame fails to decode.
    pub fn decompress(&mut self, c: &Compressed, out: &mut [Page]) -> bool {
        for (f, o) in c.frames().zip(out.iter_mut()) {
            let ok = match self.codec {
                Codec::Pagepress => decompress_page(f, o).is_ok(),
                Codec::Lz4 => {
                    lz4_flex::block::decompress_into(f, &mut o[..]).ok() == Some(PAGE_SIZE)
                }
                Codec::Zstd1 | Codec::Zstd3 => {
                    self.zd.decompress_to_buffer(f, &mut o[..]).ok() == Some(PAGE_SIZE)
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }
}

/// One codec on one set of pages.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub codec: Codec,
    pub pages: usize,
    pub compressed_bytes: usize,
    pub compress_time: Duration,
    pub decompress_time: Duration,
    /// Bytes processed in the timed passes (a multiple of the page bytes).
    pub timed_bytes: usize,
}

impl Measurement {
    pub fn input_bytes(&self) -> usize {
        self.pages * PAGE_SIZE
    }
    pub fn ratio(&self) -> f64 {
        self.input_bytes() as f64 / self.compressed_bytes.max(1) as f64
    }
    pub fn compress_mbps(&self) -> f64 {
        self.timed_bytes as f64 / 1e6 / self.compress_time.as_secs_f64().max(1e-9)
    }
    pub fn decompress_mbps(&self) -> f64 {
        self.timed_bytes as f64 / 1e6 / self.decompress_time.as_secs_f64().max(1e-9)
    }
    /// Sums measurements of the same codec over several page sets.
    pub fn sum<'a>(codec: Codec, ms: impl Iterator<Item = &'a Measurement>) -> Measurement {
        let mut t = Measurement {
            codec,
            pages: 0,
            compressed_bytes: 0,
            compress_time: Duration::ZERO,
            decompress_time: Duration::ZERO,
            timed_bytes: 0,
        };
        for m in ms {
            t.pages += m.pages;
            t.compressed_bytes += m.compressed_bytes;
            t.timed_bytes += m.timed_bytes;
            // Scale times so every page set weighs by its page count.
            let passes = m.timed_bytes as f64 / m.input_bytes().max(1) as f64;
            t.compress_time += m.compress_time.div_f64(passes.max(1e-9));
            t.decompress_time += m.decompress_time.div_f64(passes.max(1e-9));
        }
        t.timed_bytes = t.input_bytes();
        t
    }
}

/// Measures `codec` on `pages`: one checked round trip, then timed passes
/// repeated until each direction has used at least `min_time` of this
/// thread's CPU time.
/// Errors if a page does not round-trip.
pub fn measure(codec: Codec, pages: &[Page], min_time: Duration) -> Result<Measurement, String> {
    let mut e = Engine::new(codec);
    let mut c = Compressed::default();
    let mut out = vec![[0u8; PAGE_SIZE]; pages.len()];
    e.compress(pages, &mut c);
    if !e.decompress(&c, &mut out) || out[..] != pages[..] {
        return Err(format!("{} does not round-trip the pages", codec.name()));
    }
    let compressed_bytes = c.bytes.len();
    let timed = |f: &mut dyn FnMut()| {
        let t = CpuClock::now();
        let mut n = 0usize;
        while n == 0 || t.elapsed() < min_time {
            f();
            n += 1;
        }
        (t.elapsed(), n)
    };
    let (compress_time, nc) = timed(&mut || e.compress(pages, &mut c));
    let (decompress_time, nd) = timed(&mut || {
        std::hint::black_box(e.decompress(&c, &mut out));
    });
    // Report both directions over the same byte count.
    let bytes = pages.len() * PAGE_SIZE;
    let n = nc.min(nd).max(1);
    Ok(Measurement {
        codec,
        pages: pages.len(),
        compressed_bytes,
        compress_time: compress_time.div_f64(nc as f64 / n as f64),
        decompress_time: decompress_time.div_f64(nd as f64 / n as f64),
        timed_bytes: bytes * n,
    })
}

/// The CPU time of the calling thread: per-core figures that other load on
/// the machine does not dilute (falls back to wall time).
#[derive(Clone, Copy, Debug)]
pub struct CpuClock(Result<Duration, std::time::Instant>);

impl CpuClock {
    pub fn now() -> CpuClock {
        use nix::time::{ClockId, clock_gettime};
        CpuClock(
            clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
                .map(Duration::from)
                .map_err(|_| std::time::Instant::now()),
        )
    }

    pub fn elapsed(&self) -> Duration {
        match (self.0, CpuClock::now().0) {
            (Ok(a), Ok(b)) => b.saturating_sub(a),
            (Err(t), _) | (_, Err(t)) => t.elapsed(),
        }
    }
}

/// One row group of the comparison table: a set of pages and each codec on it.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub pages: usize,
    pub same_filled: usize,
    pub results: Vec<Measurement>,
}

/// Renders rows as a Markdown table.
pub fn render_table(title: &str, rows: &[Row]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{title}\n");
    let _ = writeln!(
        s,
        "| page set | pages | same-filled | codec | ratio | compress MB/s | decompress MB/s |"
    );
    let _ = writeln!(s, "|---|---:|---:|---|---:|---:|---:|");
    for r in rows {
        for (i, m) in r.results.iter().enumerate() {
            let (label, n, sf) = if i == 0 {
                (
                    r.label.as_str(),
                    r.pages.to_string(),
                    format!(
                        "{:.1}%",
                        100.0 * r.same_filled as f64 / r.pages.max(1) as f64
                    ),
                )
            } else {
                ("", String::new(), String::new())
            };
            let _ = writeln!(
                s,
                "| {label} | {n} | {sf} | {} | {:.2} | {:.0} | {:.0} |",
                m.codec.name(),
                m.ratio(),
                m.compress_mbps(),
                m.decompress_mbps()
            );
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagepress_codec::corpus::synthetic;

    #[test]
    fn every_codec_round_trips_synthetic_pages() {
        let c = synthetic(4);
        for s in c.sources() {
            for codec in Codec::ALL {
                let m = measure(codec, s.pages(), Duration::ZERO).unwrap();
                assert_eq!(m.pages, 4);
                assert!(m.compressed_bytes > 0);
            }
        }
    }

    #[test]
    fn sum_weighs_by_pages() {
        let c = synthetic(2);
        let ms: Vec<_> = c
            .sources()
            .iter()
            .map(|s| measure(Codec::Lz4, s.pages(), Duration::ZERO).unwrap())
            .collect();
        let t = Measurement::sum(Codec::Lz4, ms.iter());
        assert_eq!(t.pages, 8);
        assert_eq!(
            t.compressed_bytes,
            ms.iter().map(|m| m.compressed_bytes).sum::<usize>()
        );
    }
}
