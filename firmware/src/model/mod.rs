//! The behavioural model of the pagepress device.

pub mod alloc;
pub mod index;
