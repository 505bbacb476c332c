//! The device model's engines replaced by the Verilated cores.
use pagepress_abi::DeviceKind;
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::{FrameKind, compress_page};
use pagepress_firmware::model::codec::PageCodec;
use pagepress_sim::engines::{self, status};
use pagepress_sim::{Decompressor, Model};
use std::sync::Mutex;

/// The Verilated decompressor core (one instance, used by one engine at a
/// time under its lock). Compression stays on the reference encoder — the
/// RTL compressor produces the same bytes — until its core is in the
/// Verilator harness.
#[derive(Default)]
pub struct RtlCodec {
    /// Created on first use (Verilating is not free).
    decompressor: Mutex<Option<Decompressor>>,
}

impl std::fmt::Debug for RtlCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RtlCodec")
    }
}

impl PageCodec for RtlCodec {
    fn device_kind(&self) -> DeviceKind {
        DeviceKind::Sim
    }

    fn compress(&self, page: &[u8; PAGE_SIZE], out: &mut Vec<u8>) -> (FrameKind, u64) {
        (compress_page(page, out), 0)
    }

    fn decompress(&self, frame: &[u8], out: &mut [u8; PAGE_SIZE]) -> Result<u64, u64> {
        let mut guard = self.decompressor.lock().unwrap_or_else(|e| e.into_inner());
        let m = guard.get_or_insert_with(Decompressor::new);
        match engines::decompress(m, frame) {
            Ok(r) if r.status == status::OK && r.out.len() == PAGE_SIZE => {
                out.copy_from_slice(&r.out);
                Ok(r.cycles)
            }
            Ok(r) => Err(r.cycles),
            // A hung core: reset it (a new model) and report the frame bad.
            Err(_) => {
                *guard = None;
                Err(engines::HANG_LIMIT)
            }
        }
    }
}
