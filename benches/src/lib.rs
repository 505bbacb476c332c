//! Shared helpers for the criterion benchmarks.
pub mod protocol;
