//! Decode errors. Every malformed, truncated or out-of-subset frame maps to one.

/// Why a frame was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame truncated")]
    Truncated,
    #[error("not a zstd frame (bad magic number)")]
    BadMagic,
    #[error("frame outside the pagepress subset: {0}")]
    Unsupported(&'static str),
    #[error("corrupt block: {0}")]
    Corrupt(&'static str),
    #[error("decoded size is not one page")]
    SizeMismatch,
    #[error("trailing bytes after the frame")]
    TrailingData,
}

impl DecodeError {
    /// True when the frame is well-formed zstd that only falls outside the
    /// device subset (the CPU fallback may still decode it).
    pub fn is_unsupported(&self) -> bool {
        matches!(self, DecodeError::Unsupported(_))
    }
}
