//! Frame- and page-level drivers of the Verilated cores, with cycle counts.

use crate::{Decompressor, Model};
use pagepress_abi::format::PAGE_SIZE;

/// Status codes of the decompressor's `status` port (the classes of
/// `pagepress_codec::DecodeError`).
pub mod status {
    pub const OK: u8 = 0;
    pub const TRUNCATED: u8 = 1;
    pub const BAD_MAGIC: u8 = 2;
    pub const UNSUPPORTED: u8 = 3;
    pub const CORRUPT: u8 = 4;
    pub const SIZE_MISMATCH: u8 = 5;
    pub const TRAILING_DATA: u8 = 6;

    /// The status the core must report for a reference decoder result.
    pub fn of_result(r: &Result<(), pagepress_codec::DecodeError>) -> u8 {
        use pagepress_codec::DecodeError as E;
        match r {
            Ok(()) => OK,
            Err(E::Truncated) => TRUNCATED,
            Err(E::BadMagic) => BAD_MAGIC,
            Err(E::Unsupported(_)) => UNSUPPORTED,
            Err(E::Corrupt(_)) => CORRUPT,
            Err(E::SizeMismatch) => SIZE_MISMATCH,
            Err(E::TrailingData) => TRAILING_DATA,
        }
    }

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
