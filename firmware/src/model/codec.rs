//! The device model's compression engines, swappable.
//!
//! [`ReferenceCodec`] runs the reference codec (`pagepress-codec`), which the
//! RTL matches byte for byte; a host-side user may plug other engines in
//! (the Verilated cores, reporting their clock cycles).

use pagepress_abi::DeviceKind;
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::{FrameKind, compress_page, decompress_page};

/// A page compressor and decompressor of the device.
pub trait PageCodec: Send + Sync + std::fmt::Debug {
    /// What the device reports in IDENTITY `DEVICE_KIND` with these engines.
    fn device_kind(&self) -> DeviceKind;

    /// Appends `page`'s frame to `out`; returns its kind and the engine
    /// cycles spent (0 when not modelled).
    fn compress(&self, page: &[u8; PAGE_SIZE], out: &mut Vec<u8>) -> (FrameKind, u64);

    /// Decodes exactly one frame into `out`; returns the engine cycles spent,
    /// or `Err` (with the cycles spent) when the frame does not decode.
    fn decompress(&self, frame: &[u8], out: &mut [u8; PAGE_SIZE]) -> Result<u64, u64>;
}

/// The reference codec: the model's engines take no modelled cycles.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReferenceCodec;

impl PageCodec for ReferenceCodec {
    fn device_kind(&self) -> DeviceKind {
        DeviceKind::Soft
    }

    fn compress(&self, page: &[u8; PAGE_SIZE], out: &mut Vec<u8>) -> (FrameKind, u64) {
        (compress_page(page, out), 0)
    }

    fn decompress(&self, frame: &[u8], out: &mut [u8; PAGE_SIZE]) -> Result<u64, u64> {
        decompress_page(frame, out).map(|_| 0).map_err(|_| 0)
    }
}
