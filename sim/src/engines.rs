//! Frame- and page-level drivers of the Verilated cores, with cycle counts.

use crate::{Compressor, Decompressor, Model};
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::Page;

/// Status codes of the decompressor's `status` port (the classes of
/// `pagepress_codec::DecodeError`), as defined by the core.
pub mod status {
    pub use pagepress_rtl::decompressor::status::*;

    /// A short name of a status code.
    pub fn name(s: u8) -> &'static str {
        match s {
            OK => "ok",
            TRUNCATED => "truncated",
            BAD_MAGIC => "bad magic",
            UNSUPPORTED => "unsupported",
            CORRUPT => "corrupt",
            SIZE_MISMATCH => "size mismatch",
            TRAILING_DATA => "trailing data",
            _ => "unknown",
        }
    }
}

/// One frame through the decompressor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decompressed {
    /// The output beats' bytes (4096 on success; a discardable prefix on error).
    pub out: Vec<u8>,
    /// The `status` port at `done`.
    pub status: u8,
    /// Cycles from the first input beat offered to `done`.
    pub cycles: u64,
}

/// Cycles after which a frame counts as hung (far above any legal frame).
pub const HANG_LIMIT: u64 = 200_000;

/// Streams `frame` into the decompressor (8 bytes a beat; an empty frame is one
/// empty last beat) and collects its output until `done`.
///
/// Errors if the core hangs (no `done` within [`HANG_LIMIT`] cycles) or emits
/// more than one page.
pub fn decompress(m: &mut Decompressor, frame: &[u8]) -> Result<Decompressed, String> {
    let nbeats = frame.len().div_ceil(8).max(1);
    let mut next = 0usize; // next beat to offer
    let mut out = Vec::with_capacity(PAGE_SIZE);
    let start = m.cycles();
    loop {
        // Outputs now show the state after the last edge.
        if m.get_out_valid() != 0 {
            if out.len() >= PAGE_SIZE {
                return Err("decompressor emitted more than one page".into());
            }
            out.extend_from_slice(&m.get_out_data().to_le_bytes());
        }
        if m.get_done() != 0 {
            let status = m.get_status() as u8;
            let cycles = m.cycles() - start;
            // Leave the pulse behind for the next frame.
            m.set_in_valid(0);
            m.step();
            return Ok(Decompressed {
                out,
                status,
                cycles,
            });
        }
        if m.cycles() - start > HANG_LIMIT {
            return Err(format!("decompressor hung ({HANG_LIMIT} cycles)"));
        }
        let offer = next < nbeats;
        m.set_in_valid(offer as u64);
        if offer {
            let chunk = frame
                .get(next * 8..((next + 1) * 8).min(frame.len()))
                .unwrap_or(&[]);
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            m.set_in_data(u64::from_le_bytes(w));
            m.set_in_bytes(chunk.len() as u64);
            m.set_in_last((next + 1 == nbeats) as u64);
        }
        let accepted = offer && m.get_in_ready() != 0;
        m.step();
        if accepted {
            next += 1;
        }
    }
}

/// One frame out of the compressor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compressed {
    /// The frame bytes.
    pub frame: Vec<u8>,
    /// The `frame_kind` port: 0 raw, 1 RLE, 2 compressed.
    pub kind: u8,
    /// The `frame_len` port (must equal `frame.len()`).
    pub frame_len: usize,
    /// Latency: cycles from the page's first accepted input beat to the
    /// frame's last output beat.
    pub cycles: u64,
}

/// Streams `pages` through the compressor back to back (input beats offered
/// every cycle, output always ready) and collects one frame per page.
///
/// Returns the frames and the cycles from the first accepted input beat to the
/// last output beat (the streaming cost of the whole set). Errors on a hang
/// ([`HANG_LIMIT`] cycles without progress) or a malformed output stream.
pub fn compress_stream(
    m: &mut Compressor,
    pages: &[&Page],
) -> Result<(Vec<Compressed>, u64), String> {
    let beats_total = pages.len() * (PAGE_SIZE / 8);
    let mut sent = 0usize;
    let mut starts: Vec<u64> = Vec::with_capacity(pages.len());
    let mut frames = Vec::with_capacity(pages.len());
    let mut cur: Vec<u8> = Vec::new();
    let mut first: Option<u64> = None;
    let mut idle = 0u64;
    m.set_out_ready(1);
    while frames.len() < pages.len() {
        // Outputs show the state after the last edge; the consumer is always ready.
        let mut progress = false;
        if m.get_out_valid() != 0 {
            let n = m.get_out_bytes() as usize;
            if n == 0 || n > 8 {
                return Err(format!("output beat of {n} bytes"));
            }
            cur.extend_from_slice(&m.get_out_data().to_le_bytes()[..n]);
            if cur.len() > pagepress_abi::format::MAX_FRAME_SIZE {
                return Err("frame longer than the largest frame".into());
            }
            if m.get_out_last() != 0 {
                let i = frames.len();
                let start = *starts.get(i).ok_or("a frame before its page")?;
                frames.push(Compressed {
                    frame: std::mem::take(&mut cur),
                    kind: m.get_frame_kind() as u8,
                    frame_len: m.get_frame_len() as usize,
                    cycles: m.cycles() - start + 1,
                });
            }
            progress = true;
        }
        let offer = sent < beats_total;
        m.set_in_valid(offer as u64);
        if offer {
            let (p, b) = (sent / (PAGE_SIZE / 8), sent % (PAGE_SIZE / 8));
            let w: [u8; 8] = pages[p][b * 8..b * 8 + 8].try_into().unwrap();
            m.set_in_data(u64::from_le_bytes(w));
        }
        m.eval();
        let accepted = offer && m.get_in_ready() != 0;
        if accepted {
            if sent.is_multiple_of(PAGE_SIZE / 8) {
                starts.push(m.cycles());
                first.get_or_insert(m.cycles());
            }
            sent += 1;
            progress = true;
        }
        m.step();
        idle = if progress { 0 } else { idle + 1 };
        if idle > HANG_LIMIT {
            return Err(format!(
                "compressor hung ({HANG_LIMIT} cycles without progress)"
            ));
        }
    }
    m.set_in_valid(0);
    let total = m.cycles() - first.unwrap_or(0);
    Ok((frames, total))
}
