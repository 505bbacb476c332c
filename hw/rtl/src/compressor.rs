//! The compressor core (under construction).
