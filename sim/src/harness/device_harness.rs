//! [`DeviceHarness`]: one device, driven cycle by cycle, with its world.

use super::accounting::Accounting;
use super::devmem::DevMem;
use super::host_port::HostPort;
use super::ports::{DevicePorts, IRQ_VECTORS};
use super::{HarnessConfig, HarnessError, SimStats};
use pagepress_abi::regs::BAR0_SIZE;
use pagepress_pcie::{DmaSpace, IrqLine};
use std::sync::Arc;

/// Where the register port is in an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegAccess {
    Idle,
    /// `reg_valid` is high, waiting for `reg_ready`.
    Offered {
        offset: u32,
        write: Option<u32>,
    },
    /// A read was taken; waiting for `reg_rvalid`.
    Reading,
    /// Finished: the read data (0 for a write).
    Done(u32),
}

/// One device behind [`DevicePorts`] and everything around it: the register
/// accesses of the host, host memory behind an IOMMU, device memory,
/// interrupt lines and cycle accounting. See the module documentation of
/// `harness` for what is modelled.
///
/// Each [`DeviceHarness::step`] is one clock cycle: drive the inputs due on
/// this edge, settle the device if an input changed, sample the transfers the
/// edge makes, run the edge.
#[derive(Debug)]
pub struct DeviceHarness<P: DevicePorts> {
    ports: P,
    cfg: HarnessConfig,
    host: HostPort,
    mem: DevMem,
    irqs: Arc<[IrqLine]>,
    acct: Accounting,
    reg: RegAccess,
    /// Reads given up after they were taken: their late `reg_rvalid`s are
    /// swallowed (see `drain_abandoned`).
    abandoned_reads: u32,
    /// The register inputs changed since the last edge.
    reg_inputs_changed: bool,
    /// `reg_valid` goes low after the edge that took the access.
    reg_taken: bool,
    /// The device's `idle` as sampled on the last edge.
    idle: bool,
    /// `idle` is not believed before this cycle (register-write settling).
    quiet_from: u64,
    failed: Option<HarnessError>,
}

impl<P: DevicePorts> DeviceHarness<P> {
    /// A harness with its own host memory space and interrupt lines.
    pub fn new(ports: P, cfg: HarnessConfig) -> Self {
        let irqs: Arc<[IrqLine]> = (0..IRQ_VECTORS).map(|_| IrqLine::default()).collect();
        Self::with_host(ports, cfg, DmaSpace::new(), irqs)
    }

    /// A harness serving DMA from `space` and raising `irqs` (one line per
    /// `irq` bit).
    pub fn with_host(
        mut ports: P,
        cfg: HarnessConfig,
        space: DmaSpace,
        irqs: Arc<[IrqLine]>,
    ) -> Self {
        assert!(
            cfg.devmem_bytes.is_multiple_of(8) && cfg.devmem_bytes <= 1 << 32,
            "device memory must be a multiple of 8 bytes, at most 4 GiB"
        );
        assert_eq!(irqs.len(), IRQ_VECTORS, "one interrupt line per irq bit");
        // The host never backpressures: requests and write beats are always taken.
        ports.set_dma_req_ready(true);
        ports.set_dma_wready(true);
        ports.set_mem_req_ready(true);
        for set in [
            P::set_reg_valid,
            P::set_reg_write,
            P::set_dma_bvalid,
            P::set_dma_bok,
            P::set_dma_rvalid,
            P::set_dma_rlast,
            P::set_dma_rerr,
            P::set_mem_rvalid,
        ] {
            set(&mut ports, false);
        }
        ports.set_reg_addr(0);
        ports.set_reg_wdata(0);
        ports.set_dma_rdata(0);
        ports.set_mem_rdata(0);
        ports.eval();
        let now = ports.cycles();
        DeviceHarness {
            host: HostPort::new(space, cfg.dma_latency),
            mem: DevMem::new(cfg.devmem_bytes, cfg.devmem_latency),
            ports,
            irqs,
            acct: Accounting::default(),
            reg: RegAccess::Idle,
            abandoned_reads: 0,
            reg_inputs_changed: false,
            reg_taken: false,
            idle: false,
            quiet_from: now,
            failed: None,
            cfg,
        }
    }

    pub fn config(&self) -> &HarnessConfig {
        &self.cfg
    }

    /// The host memory space the device's DMA goes through.
    pub fn dma_space(&self) -> &DmaSpace {
        self.host.space()
    }

    /// The interrupt lines, indexed by vector.
    pub fn irq_lines(&self) -> &Arc<[IrqLine]> {
        &self.irqs
    }

    /// The device (to inspect it; driving its ports behind the harness's back
    /// breaks the harness).
    pub fn ports(&self) -> &P {
        &self.ports
    }

    /// Clock cycles run.
    pub fn cycles(&self) -> u64 {
        self.ports.cycles()
    }

    /// Sets the DMA round trip, cycles (requests already answered keep theirs).
    pub fn set_dma_latency(&mut self, cycles: u64) {
        self.cfg.dma_latency = cycles.max(1);
        self.host.set_latency(cycles);
    }

    /// Sets the device-memory read latency, cycles.
    pub fn set_devmem_latency(&mut self, cycles: u64) {
        self.cfg.devmem_latency = cycles.max(1);
        self.mem.set_latency(cycles);
    }

    /// Reads device memory (bytes at `addr`, little-endian words; panics
    /// past the end).
    pub fn devmem_read(&self, addr: u64, out: &mut [u8]) {
        self.mem.read_bytes(addr, out);
    }

    /// Writes device memory behind the device's back (panics past the end).
    pub fn devmem_write(&mut self, addr: u64, data: &[u8]) {
        self.mem.write_bytes(addr, data);
    }

    /// XORs the byte at `addr` with `mask` (corrupts a stored frame).
    pub fn devmem_flip(&mut self, addr: u64, mask: u8) {
        let mut b = [0u8];
        self.mem.read_bytes(addr, &mut b);
        self.mem.write_bytes(addr, &[b[0] ^ mask]);
    }

    /// Figures so far.
    pub fn stats(&self) -> SimStats {
        SimStats {
            clock_mhz: self.cfg.clock_mhz,
            device_cycles: self.ports.cycles(),
            store_cycles: self.acct.store_cycles.clone(),
            load_cycles: self.acct.load_cycles.clone(),
            completions: self.acct.completions,
            dma: self.host.counters(),
            devmem: self.mem.counters(),
        }
    }

    /// The protocol error that stopped the harness, if one did.
    pub fn failure(&self) -> Option<&HarnessError> {
        self.failed.as_ref()
    }

    /// True when nothing will happen until the host acts: the device says
    /// `idle`, no register write is settling, no DMA or device-memory answer
    /// is owed and no register access is under way.
    pub fn is_quiescent(&self) -> bool {
        self.idle
            && self.ports.cycles() >= self.quiet_from
            && self.reg == RegAccess::Idle
            && self.host.is_quiet()
            && self.mem.is_quiet()
    }

    /// Reads the 32-bit register at BAR0 byte `offset`.
    pub fn reg_read(&mut self, offset: u32) -> Result<u32, HarnessError> {
        self.reg_access(offset, None)
    }

    /// Writes the 32-bit register at BAR0 byte `offset`.
    pub fn reg_write(&mut self, offset: u32, value: u32) -> Result<(), HarnessError> {
        self.reg_access(offset, Some(value)).map(|_| ())
    }

    fn reg_access(&mut self, offset: u32, write: Option<u32>) -> Result<u32, HarnessError> {
        self.check()?;
        debug_assert!(
            offset.is_multiple_of(4) && offset < BAR0_SIZE,
            "BAR0 offset {offset:#x}"
        );
        debug_assert_eq!(self.reg, RegAccess::Idle);
        self.drain_abandoned()?;
        self.ports.set_reg_addr(offset);
        self.ports.set_reg_write(write.is_some());
        self.ports.set_reg_wdata(write.unwrap_or(0));
        self.ports.set_reg_valid(true);
        self.reg_inputs_changed = true;
        self.reg = RegAccess::Offered { offset, write };
        let start = self.ports.cycles();
        loop {
            self.step()?;
            if let RegAccess::Done(v) = self.reg {
                self.reg = RegAccess::Idle;
                return Ok(v);
            }
            let waited = self.ports.cycles() - start;
            if waited >= self.cfg.reg_timeout {
                self.withdraw();
                return Err(HarnessError::RegTimeout {
                    offset,
                    write: write.is_some(),
                    cycles: waited,
                });
            }
        }
    }

    /// Gives the reads that timed out after they were taken one more timeout
    /// to answer, so a late answer is not taken for the next read's data.
    fn drain_abandoned(&mut self) -> Result<(), HarnessError> {
        let start = self.ports.cycles();
        while self.abandoned_reads > 0 && self.ports.cycles() - start < self.cfg.reg_timeout {
            self.step()?;
        }
        self.abandoned_reads = 0;
        Ok(())
    }

    /// Gives up the register access under way.
    fn withdraw(&mut self) {
        match self.reg {
            RegAccess::Offered { .. } => {
                self.ports.set_reg_valid(false);
                self.reg_inputs_changed = true;
            }
            RegAccess::Reading => self.abandoned_reads += 1,
            RegAccess::Idle | RegAccess::Done(_) => {}
        }
        self.reg = RegAccess::Idle;
    }

    /// Runs until [`Self::is_quiescent`]; the cycles run, or
    /// [`HarnessError::NotIdle`] after `limit` cycles.
    pub fn run_until_idle(&mut self, limit: u64) -> Result<u64, HarnessError> {
        let start = self.ports.cycles();
        loop {
            let ran = self.ports.cycles() - start;
            if self.is_quiescent() {
                return Ok(ran);
            }
            if ran >= limit {
                return Err(HarnessError::NotIdle { cycles: ran });
            }
            self.step()?;
        }
    }

    /// Runs up to `max` cycles, stopping early when the device is quiescent
    /// or `interrupt()` says so (checked every cycle: keep it cheap). True if
    /// it stopped quiescent.
    pub fn run_while_busy(
        &mut self,
        max: u64,
        mut interrupt: impl FnMut() -> bool,
    ) -> Result<bool, HarnessError> {
        for _ in 0..max {
            if self.is_quiescent() {
                return Ok(true);
            }
            if interrupt() {
                return Ok(false);
            }
            self.step()?;
        }
        Ok(self.is_quiescent())
    }

    fn check(&self) -> Result<(), HarnessError> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// One clock cycle of the device and everything around it.
    pub fn step(&mut self) -> Result<(), HarnessError> {
        self.check()?;
        let now = self.ports.cycles();
        let mut changed = std::mem::take(&mut self.reg_inputs_changed);
        changed |= self.host.drive(now, &mut self.ports);
        changed |= self.mem.drive(now, &mut self.ports);
        if changed {
            // What the edge samples may depend combinationally on the inputs.
            self.ports.eval();
        }
        if let Err(what) = self.sample(now) {
            let e = HarnessError::Protocol { cycle: now, what };
            self.failed = Some(e.clone());
            return Err(e);
        }
        self.ports.step();
        if std::mem::take(&mut self.reg_taken) {
            self.ports.set_reg_valid(false);
            self.reg_inputs_changed = true;
        }
        Ok(())
    }

    /// Takes what the device offers on edge `now`.
    fn sample(&mut self, now: u64) -> Result<(), String> {
        let p = &self.ports;
        if p.dma_req_valid() {
            let (write, addr, len) = (p.dma_req_write(), p.dma_req_addr(), p.dma_req_len());
            if let Some(data) = self.host.request(now, write, addr, len as usize)? {
                self.acct.dma_read(addr, data);
            }
        }
        if p.dma_wvalid()
            && let Some(w) = self.host.write_beat(now, p.dma_wdata(), p.dma_wlast())?
            && w.ok
        {
            self.acct.dma_write(now, w.addr, w.data);
        }
        if p.mem_req_valid() {
            let write = p.mem_req_write();
            let wdata = if write { p.mem_wdata() } else { 0 };
            self.mem.request(now, write, p.mem_req_addr(), wdata)?;
        }
        let irq = p.irq();
        if irq != 0 {
            for (v, line) in self.irqs.iter().enumerate() {
                if irq & (1 << v) != 0 {
                    line.raise();
                }
            }
        }
        self.idle = p.idle();
        self.sample_reg(now);
        Ok(())
    }

    fn sample_reg(&mut self, now: u64) {
        let p = &self.ports;
        if let RegAccess::Offered { offset, write } = self.reg
            && p.reg_ready()
        {
            self.reg_taken = true;
            self.reg = match write {
                Some(v) => {
                    self.acct.reg_write(now, offset, v);
                    self.quiet_from = now + 1 + self.cfg.idle_settle;
                    RegAccess::Done(0)
                }
                None => RegAccess::Reading,
            };
        }
        // A device may answer a read on the edge that takes it.
        let reading = self.reg == RegAccess::Reading;
        if (reading || self.abandoned_reads > 0) && p.reg_rvalid() {
            if self.abandoned_reads > 0 {
                self.abandoned_reads -= 1;
            } else {
                self.reg = RegAccess::Done(p.reg_rdata());
            }
        }
    }
}
