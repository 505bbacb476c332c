//! pagepress host driver.
//!
//! - [`pool`]: the interface the swap protocol uses to reach compressed storage
//!   (the device behind its queues), and its errors.
//! - [`backend`]: opens a device backend (`soft`, `sim`, `vfio`) as a pool.
//! - [`cli`]: the `pagepress` command line.

#![deny(unsafe_code)]

pub mod backend;
pub mod cli;
pub mod corpus;
pub mod device;
pub mod pool;
#[cfg(feature = "rtl")]
pub mod rtl_engine;
pub mod soft;
pub mod swap;
