//! The device's top-level ports as a Rust trait.
//!
//! [`DevicePorts`] is the table "Top-level ports" of `docs/device-rtl.md`
//! with typed values: 1-bit ports are `bool`, the others the narrowest
//! unsigned integer that holds them. [`TOP_PORTS`] is the same table as data,
//! so a Verilated model's port list (`Model::PORTS`) can be checked against it
//! with [`check_ports`].
//!
//! Stepping: setters drive inputs; [`DevicePorts::eval`] settles the
//! combinational logic after inputs changed (outputs then show what the next
//! rising edge samples); [`DevicePorts::step`] runs one clock cycle (inputs
//! are sampled at the rising edge; outputs read afterwards show the new state).
//!
//! The Verilated device implements the trait with one line,
//! `impl_device_ports!(Device)`: the macro maps each port to the generated
//! `get_<port>()` / `set_<port>(u64)` methods and the clock to [`Model`].
//!
//! [`Model`]: crate::Model

use crate::Port;

/// Interrupt vectors: one bit of the `irq` port each (a vector per queue of the
/// largest RTL build).
pub const IRQ_VECTORS: usize = pagepress_firmware::params::RTL_MAX_QUEUES as usize;

/// Largest DMA request, bytes (`dma_req_len` is 1 ..= this; two pages).
pub const MAX_DMA_LEN: usize = 2 * pagepress_abi::format::PAGE_SIZE;

/// The ports of the device's `module top`, as `docs/device-rtl.md` lists them.
pub const TOP_PORTS: &[Port] = &[
    port("clock", false, 1),
    port("reg_valid", false, 1),
    port("reg_write", false, 1),
    port("reg_addr", false, 14),
    port("reg_wdata", false, 32),
    port("reg_ready", true, 1),
    port("reg_rvalid", true, 1),
    port("reg_rdata", true, 32),
    port("dma_req_valid", true, 1),
    port("dma_req_ready", false, 1),
    port("dma_req_write", true, 1),
    port("dma_req_addr", true, 64),
    port("dma_req_len", true, 16),
    port("dma_wvalid", true, 1),
    port("dma_wready", false, 1),
    port("dma_wdata", true, 64),
    port("dma_wlast", true, 1),
    port("dma_bvalid", false, 1),
    port("dma_bok", false, 1),
    port("dma_rvalid", false, 1),
    port("dma_rdata", false, 64),
    port("dma_rlast", false, 1),
    port("dma_rerr", false, 1),
    port("mem_req_valid", true, 1),
    port("mem_req_ready", false, 1),
    port("mem_req_write", true, 1),
    port("mem_req_addr", true, 32),
    port("mem_wdata", true, 64),
    port("mem_rvalid", false, 1),
    port("mem_rdata", false, 64),
    port("irq", true, IRQ_VECTORS as u32),
    port("idle", true, 1),
];

const fn port(name: &'static str, output: bool, width: u32) -> Port {
    Port {
        name,
        output,
        width,
    }
}

/// Checks a model's ports against [`TOP_PORTS`] (same names, directions and
/// widths, in any order); the differences when they do not match.
pub fn check_ports(ports: &[Port]) -> Result<(), String> {
    let mut problems = Vec::new();
    for want in TOP_PORTS {
        match ports.iter().find(|p| p.name == want.name) {
            None => problems.push(format!("missing `{}`", want.name)),
            Some(p) if p != want => problems.push(format!(
                "`{}`: {} {} bits, the contract says {} {} bits",
                p.name,
                direction(p),
                p.width,
                direction(want),
                want.width
            )),
            Some(_) => {}
        }
    }
    for p in ports {
        if !TOP_PORTS.iter().any(|w| w.name == p.name) {
            problems.push(format!("unexpected `{}`", p.name));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn direction(p: &Port) -> &'static str {
    if p.output { "output" } else { "input" }
}

/// The top-level ports of the pagepress device (see the module documentation
/// for the stepping rules).
pub trait DevicePorts: Send {
    // Register port (BAR0).
    fn set_reg_valid(&mut self, v: bool);
    fn set_reg_write(&mut self, v: bool);
    /// BAR0 byte offset (14 bits, 4-aligned).
    fn set_reg_addr(&mut self, offset: u32);
    fn set_reg_wdata(&mut self, v: u32);
    fn reg_ready(&self) -> bool;
    fn reg_rvalid(&self) -> bool;
    fn reg_rdata(&self) -> u32;

    // DMA master port (host memory).
    fn dma_req_valid(&self) -> bool;
    fn set_dma_req_ready(&mut self, v: bool);
    fn dma_req_write(&self) -> bool;
    fn dma_req_addr(&self) -> u64;
    fn dma_req_len(&self) -> u16;
    fn dma_wvalid(&self) -> bool;
    fn set_dma_wready(&mut self, v: bool);
    fn dma_wdata(&self) -> u64;
    fn dma_wlast(&self) -> bool;
    fn set_dma_bvalid(&mut self, v: bool);
    fn set_dma_bok(&mut self, v: bool);
    fn set_dma_rvalid(&mut self, v: bool);
    fn set_dma_rdata(&mut self, v: u64);
    fn set_dma_rlast(&mut self, v: bool);
    fn set_dma_rerr(&mut self, v: bool);

    // Device-memory port.
    fn mem_req_valid(&self) -> bool;
    fn set_mem_req_ready(&mut self, v: bool);
    fn mem_req_write(&self) -> bool;
    /// Byte address, 8-aligned.
    fn mem_req_addr(&self) -> u32;
    fn mem_wdata(&self) -> u64;
    fn set_mem_rvalid(&mut self, v: bool);
    fn set_mem_rdata(&mut self, v: u64);

    // Status.
    /// Bit `v`: a completion was posted on a queue of vector `v` (a pulse).
    fn irq(&self) -> u8;
    fn idle(&self) -> bool;

    // Clock.
    /// Settles combinational outputs after inputs changed (no clock edge).
    fn eval(&mut self);
    /// One clock cycle.
    fn step(&mut self);
    /// Cycles run so far.
    fn cycles(&self) -> u64;
}

/// Implements [`DevicePorts`] for a Verilated model type: a [`crate::Model`]
/// with the generated `get_<port>() -> u64` / `set_<port>(u64)` methods of the
/// device's ports (`impl_device_ports!(Device)` at integration).
#[macro_export]
macro_rules! impl_device_ports {
    ($ty:ty) => {
        impl $crate::harness::DevicePorts for $ty {
            #[inline]
            fn set_reg_valid(&mut self, v: bool) {
                <$ty>::set_reg_valid(self, v as u64)
            }
            #[inline]
            fn set_reg_write(&mut self, v: bool) {
                <$ty>::set_reg_write(self, v as u64)
            }
            #[inline]
            fn set_reg_addr(&mut self, offset: u32) {
                <$ty>::set_reg_addr(self, offset as u64)
            }
            #[inline]
            fn set_reg_wdata(&mut self, v: u32) {
                <$ty>::set_reg_wdata(self, v as u64)
            }
            #[inline]
            fn reg_ready(&self) -> bool {
                self.get_reg_ready() != 0
            }
            #[inline]
            fn reg_rvalid(&self) -> bool {
                self.get_reg_rvalid() != 0
            }
            #[inline]
            fn reg_rdata(&self) -> u32 {
                self.get_reg_rdata() as u32
            }
            #[inline]
            fn dma_req_valid(&self) -> bool {
                self.get_dma_req_valid() != 0
            }
            #[inline]
            fn set_dma_req_ready(&mut self, v: bool) {
                <$ty>::set_dma_req_ready(self, v as u64)
            }
            #[inline]
            fn dma_req_write(&self) -> bool {
                self.get_dma_req_write() != 0
            }
            #[inline]
            fn dma_req_addr(&self) -> u64 {
                self.get_dma_req_addr()
            }
            #[inline]
            fn dma_req_len(&self) -> u16 {
                self.get_dma_req_len() as u16
            }
            #[inline]
            fn dma_wvalid(&self) -> bool {
                self.get_dma_wvalid() != 0
            }
            #[inline]
            fn set_dma_wready(&mut self, v: bool) {
                <$ty>::set_dma_wready(self, v as u64)
            }
            #[inline]
            fn dma_wdata(&self) -> u64 {
                self.get_dma_wdata()
            }
            #[inline]
            fn dma_wlast(&self) -> bool {
                self.get_dma_wlast() != 0
            }
            #[inline]
            fn set_dma_bvalid(&mut self, v: bool) {
                <$ty>::set_dma_bvalid(self, v as u64)
            }
            #[inline]
            fn set_dma_bok(&mut self, v: bool) {
                <$ty>::set_dma_bok(self, v as u64)
            }
            #[inline]
            fn set_dma_rvalid(&mut self, v: bool) {
                <$ty>::set_dma_rvalid(self, v as u64)
            }
            #[inline]
            fn set_dma_rdata(&mut self, v: u64) {
                <$ty>::set_dma_rdata(self, v)
            }
            #[inline]
            fn set_dma_rlast(&mut self, v: bool) {
                <$ty>::set_dma_rlast(self, v as u64)
            }
            #[inline]
            fn set_dma_rerr(&mut self, v: bool) {
                <$ty>::set_dma_rerr(self, v as u64)
            }
            #[inline]
            fn mem_req_valid(&self) -> bool {
                self.get_mem_req_valid() != 0
            }
            #[inline]
            fn set_mem_req_ready(&mut self, v: bool) {
                <$ty>::set_mem_req_ready(self, v as u64)
            }
            #[inline]
            fn mem_req_write(&self) -> bool {
                self.get_mem_req_write() != 0
            }
            #[inline]
            fn mem_req_addr(&self) -> u32 {
                self.get_mem_req_addr() as u32
            }
            #[inline]
            fn mem_wdata(&self) -> u64 {
                self.get_mem_wdata()
            }
            #[inline]
            fn set_mem_rvalid(&mut self, v: bool) {
                <$ty>::set_mem_rvalid(self, v as u64)
            }
            #[inline]
            fn set_mem_rdata(&mut self, v: u64) {
                <$ty>::set_mem_rdata(self, v)
            }
            #[inline]
            fn irq(&self) -> u8 {
                self.get_irq() as u8
            }
            #[inline]
            fn idle(&self) -> bool {
                self.get_idle() != 0
            }
            #[inline]
            fn eval(&mut self) {
                $crate::Model::eval(self)
            }
            #[inline]
            fn step(&mut self) {
                $crate::Model::step(self)
            }
            #[inline]
            fn cycles(&self) -> u64 {
                $crate::Model::cycles(self)
            }
        }
    };
}
