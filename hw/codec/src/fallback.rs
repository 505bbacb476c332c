//! CPU fallback: decode any zstd frame through libzstd, for frames outside the
//! device subset (or when the device is gone).

use crate::{DecodeError, Page, decode_frame};
use pagepress_abi::format::PAGE_SIZE;

/// Length of the zstd frame at the start of `src`, per libzstd.
pub fn first_frame_len(src: &[u8]) -> Result<usize, DecodeError> {
    zstd::zstd_safe::find_frame_compressed_size(src).map_err(|_| DecodeError::Truncated)
}

/// Decodes the frame at the start of `src` with the subset decoder, or with
/// libzstd when the frame is valid zstd outside the subset. Returns the frame
/// length. The frame must decode to exactly one page.
pub fn decompress_any(src: &[u8], out: &mut Page) -> Result<usize, DecodeError> {
    match decode_frame(src, out) {
        Err(e) if e.is_unsupported() => {
            let len = first_frame_len(src)?;
            let mut d = zstd::bulk::Decompressor::new()
                .map_err(|_| DecodeError::Unsupported("libzstd unavailable"))?;
            // One byte of headroom tells "exactly a page" from "more than a page".
            let mut buf = vec![0u8; PAGE_SIZE + 1];
            let n = d
                .decompress_to_buffer(&src[..len], &mut buf[..])
                .map_err(|_| DecodeError::Corrupt("libzstd rejected the frame"))?;
            if n != PAGE_SIZE {
                return Err(DecodeError::SizeMismatch);
            }
            out.copy_from_slice(&buf[..PAGE_SIZE]);
            Ok(len)
        }
        other => other,
    }
}
