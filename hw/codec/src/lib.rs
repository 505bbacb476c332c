//! pagepress-codec: the page codec.
//!
//! - [`compress_page`]: the reference encoder. Greedy hash-based LZ77 over one
//!   4 KiB page, shaped like the hardware (steps of `STEP_WIDTH` positions), and
//!   emitted as a single-segment zstd frame. The RTL compressor must produce the
//!   same bytes for every page.
//! - [`decode_frame`] / [`decompress_page`]: the decoder for exactly the subset
//!   the encoder emits (the golden model of the hardware decompressor); anything
//!   else is an error, never a panic and never a write past the page.
//! - [`decompress_any`]: CPU fallback for any zstd frame, through libzstd.
//! - [`same_filled`]: same-filled page detection.
//! - [`corpus`]: labelled page corpora (real and synthetic) and their file format;
//!   [`capture`]: the anonymous pages of a live process, as a corpus source.
//!
//! The format and the encoder's algorithm are specified in `docs/format.md`.

#![forbid(unsafe_code)]

mod bits;
pub mod capture;
pub mod corpus;
mod decoder;
mod encoder;
mod error;
mod fallback;
pub mod fse;
mod same_filled;

pub use decoder::{decode_frame, decompress_page};
pub use encoder::{FrameKind, LzMatchFinder, Sequence, compress_page, find_sequences};
pub use error::DecodeError;
pub use fallback::{decompress_any, first_frame_len};
pub use pagepress_abi::format::{MAX_FRAME_SIZE, PAGE_SIZE};
pub use same_filled::{is_byte_filled, same_filled};

/// One uncompressed page.
pub type Page = [u8; PAGE_SIZE];
