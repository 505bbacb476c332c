//! pagepress-firmware: the FPGA top level (CSR block, queue engine, DMA port,
//! engines, slot index, allocator) in rust-hdl's sense of "firmware".
//!
//! Not built yet: the codec engines it will instantiate are in `pagepress-rtl`,
//! and the device behaviour it must implement is specified by `pagepress-abi`
//! and modelled by the host driver's `soft` backend. See docs/architecture.md.

#![forbid(unsafe_code)]
