//! The decompressor core (under construction).
