//! pagepress host driver.
//!
//! - [`pool`]: the interface the swap protocol uses to reach compressed storage
//!   (the device behind its queues), and its errors.
//! - [`backend`]: opens a device backend (`soft`, `sim`, `vfio`) as a pool.
//! - [`device`]: the driver's side of the device: block-chain discovery,
//!   queue pairs, the pool implementation with its host-side fallbacks.
//! - [`swap`]: the swap protocol (slots, swap cache, faults, reclaim,
//!   writeback, swapoff) and the workload that drives it.
//! - [`corpus`]: real-page corpora and the codecs compared on them.
//!
//! The `pagepress` command line lives with the binary (`src/main.rs`,
//! `src/cli`), so this library carries no CLI dependencies.

#![deny(unsafe_code)]

pub mod backend;
pub mod corpus;
pub mod device;
pub mod pool;
#[cfg(feature = "rtl")]
pub mod rtl_engine;
pub mod swap;
