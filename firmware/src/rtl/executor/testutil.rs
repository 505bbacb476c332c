//! Test helpers shared by the executor's blocks.

use rust_hdl::prelude::*;

/// One clock cycle: settle the inputs set since the last edge, rising edge,
/// settle, falling edge, settle.
pub fn tick<B: Block>(uut: &mut B, clk: impl Fn(&mut B) -> &mut Signal<In, Clock>) {
    assert!(simulate(uut, 1000), "logic did not settle");
    clk(uut).next = Clock { clk: true };
    assert!(simulate(uut, 1000), "logic did not settle");
    clk(uut).next = Clock { clk: false };
    assert!(simulate(uut, 1000), "logic did not settle");
}

/// Settles the combinational logic after inputs changed (no clock edge).
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, 1000), "logic did not settle");
}

/// Generates `uut`'s Verilog and lints it with `verilator --lint-only -Wall`.
/// DECLFILENAME is waived: rust-hdl names every top module `top`.
pub fn lint<B: Block>(name: &str, uut: &B) {
    let v = generate_verilog(uut);
    pagepress_rtl::lint::lint_verilog(name, &v).unwrap();
}

use pagepress_codec::corpus::SplitMix64;
use std::collections::VecDeque;

/// Host memory behind an IOMMU, for a block with the DMA master port of
/// docs/device-rtl.md: mapped IOVA ranges; a request is checked whole (outside
/// every range → a single `rerr` beat, or `bvalid` with `bok` 0 and nothing
/// written). With `stall`, `req_ready`, `wready` and read beats pause at random.
pub struct HostMem {
    regions: Vec<(u64, Vec<u8>)>,
    rng: SplitMix64,
    stall: bool,
    req: Option<DmaReq>,
    rbeats: VecDeque<(u64, bool, bool)>,
    wbuf: Vec<u8>,
    /// Cycles until `bvalid`, once the last write beat is in.
    bdelay: Option<u32>,
    drv: DmaIn,
    /// Every request taken: (write, addr, len, allowed).
    pub log: Vec<(bool, u64, usize, bool)>,
}

#[derive(Clone, Copy, Debug)]
struct DmaReq {
    write: bool,
    addr: u64,
    len: usize,
    ok: bool,
}

/// The DMA port's inputs for one cycle.
#[derive(Clone, Copy, Debug, Default)]
pub struct DmaIn {
    pub req_ready: bool,
    pub wready: bool,
    pub bvalid: bool,
    pub bok: bool,
    pub rvalid: bool,
    pub rdata: u64,
    pub rlast: bool,
    pub rerr: bool,
}

/// The DMA port's outputs in one cycle.
#[derive(Clone, Copy, Debug, Default)]
pub struct DmaOut {
    pub req_valid: bool,
    pub req_write: bool,
    pub req_addr: u64,
    pub req_len: usize,
    pub wvalid: bool,
    pub wdata: u64,
    pub wlast: bool,
}

impl HostMem {
    pub fn new(rng: SplitMix64, stall: bool) -> Self {
        HostMem {
            regions: Vec::new(),
            rng,
            stall,
            req: None,
            rbeats: VecDeque::new(),
            wbuf: Vec::new(),
            bdelay: None,
            drv: DmaIn::default(),
            log: Vec::new(),
        }
    }

    /// Maps `len` zero bytes at `iova`.
    pub fn map(&mut self, iova: u64, len: usize) {
        self.regions.push((iova, vec![0; len]));
    }

    fn region(&self, addr: u64, len: usize) -> Option<(usize, usize)> {
        self.regions.iter().enumerate().find_map(|(i, (base, m))| {
            (addr >= *base && addr + len as u64 <= base + m.len() as u64)
                .then(|| (i, (addr - base) as usize))
        })
    }

    /// Whether `addr .. addr + len` is mapped.
    pub fn covers(&self, addr: u64, len: usize) -> bool {
        self.region(addr, len).is_some()
    }

    pub fn read(&self, addr: u64, len: usize) -> Vec<u8> {
        let (r, off) = self.region(addr, len).expect("unmapped");
        self.regions[r].1[off..off + len].to_vec()
    }

    pub fn write(&mut self, addr: u64, bytes: &[u8]) {
        let (r, off) = self.region(addr, bytes.len()).expect("unmapped");
        self.regions[r].1[off..off + bytes.len()].copy_from_slice(bytes);
    }

    /// Every mapped byte, to check that nothing moved.
    pub fn snapshot(&self) -> Vec<Vec<u8>> {
        self.regions.iter().map(|(_, m)| m.clone()).collect()
    }

    fn pause(&mut self) -> bool {
        self.stall && self.rng.below(4) == 0
    }

    /// The inputs to drive this cycle.
    pub fn drive(&mut self) -> DmaIn {
        let mut d = DmaIn {
            req_ready: self.req.is_none() && !self.pause(),
            ..Default::default()
        };
        if let Some(r) = self.req {
            if r.write && self.bdelay.is_none() {
                d.wready = !self.pause();
            }
            if self.bdelay == Some(0) {
                d.bvalid = true;
                d.bok = r.ok;
            }
            if !r.write && !self.rbeats.is_empty() && !self.pause() {
                let (data, last, err) = self.rbeats[0];
                (d.rvalid, d.rdata, d.rlast, d.rerr) = (true, data, last, err);
            }
        }
        self.drv = d;
        d
    }

    /// The block's outputs this cycle, before the clock edge.
    pub fn observe(&mut self, o: DmaOut) {
        let d = self.drv;
        if d.req_ready && o.req_valid {
            assert!((1..=8192).contains(&o.req_len), "DMA length {}", o.req_len);
            let ok = self.covers(o.req_addr, o.req_len);
            self.log.push((o.req_write, o.req_addr, o.req_len, ok));
            let r = DmaReq {
                write: o.req_write,
                addr: o.req_addr,
                len: o.req_len,
                ok,
            };
            self.req = Some(r);
            self.wbuf.clear();
            if !r.write {
                if ok {
                    let bytes = self.read(r.addr, r.len);
                    let n = r.len.div_ceil(8);
                    for (i, c) in bytes.chunks(8).enumerate() {
                        let mut w = [0u8; 8];
                        w[..c.len()].copy_from_slice(c);
                        self.rbeats
                            .push_back((u64::from_le_bytes(w), i + 1 == n, false));
                    }
                } else {
                    self.rbeats.push_back((0, true, true));
                }
            }
        }
        if d.wready && o.wvalid {
            let r = self.req.expect("write beat without a request");
            assert!(r.write, "write beat during a read");
            self.wbuf.extend_from_slice(&o.wdata.to_le_bytes());
            let beats = r.len.div_ceil(8);
            assert_eq!(o.wlast, self.wbuf.len() == beats * 8, "wlast");
            if o.wlast {
                self.bdelay = Some(self.rng.below(3) as u32);
            }
        }
        if d.rvalid {
            self.rbeats.pop_front();
            if d.rlast {
                self.req = None;
            }
        }
        if d.bvalid {
            let r = self.req.take().expect("bvalid without a request");
            if r.ok {
                let bytes = self.wbuf[..r.len].to_vec();
                self.write(r.addr, &bytes);
            }
            self.bdelay = None;
        } else if let Some(n) = self.bdelay.as_mut() {
            *n = n.saturating_sub(1);
        }
    }

    /// No transfer is under way.
    pub fn idle(&self) -> bool {
        self.req.is_none()
    }
}

/// Drives a block's `dma_*` inputs from a [`HostMem`].
macro_rules! dma_drive {
    ($host:expr, $uut:expr) => {{
        let d = $host.drive();
        $uut.dma_req_ready.next = d.req_ready;
        $uut.dma_wready.next = d.wready;
        $uut.dma_bvalid.next = d.bvalid;
        $uut.dma_bok.next = d.bok;
        $uut.dma_rvalid.next = d.rvalid;
        $uut.dma_rdata.next = d.rdata.to_bits();
        $uut.dma_rlast.next = d.rlast;
        $uut.dma_rerr.next = d.rerr;
    }};
}

/// Shows a [`HostMem`] the block's `dma_*` outputs (after settling).
macro_rules! dma_observe {
    ($host:expr, $uut:expr) => {{
        $host.observe($crate::rtl::executor::testutil::DmaOut {
            req_valid: $uut.dma_req_valid.val(),
            req_write: $uut.dma_req_write.val(),
            req_addr: $uut.dma_req_addr.val().to_u64(),
            req_len: $uut.dma_req_len.val().index(),
            wvalid: $uut.dma_wvalid.val(),
            wdata: $uut.dma_wdata.val().to_u64(),
            wlast: $uut.dma_wlast.val(),
        })
    }};
}

/// Device memory with a fixed read latency: word accesses, reads returned in
/// order. With `stall`, `req_ready` pauses at random.
pub struct DevMem {
    pub words: Vec<u64>,
    latency: u64,
    rng: SplitMix64,
    stall: bool,
    now: u64,
    pending: VecDeque<(u64, u64)>,
    drv_ready: bool,
    drv_rvalid: bool,
    /// Word accesses taken: (write, byte address).
    pub log: Vec<(bool, u32)>,
}

impl DevMem {
    pub fn new(bytes: u64, latency: u64, rng: SplitMix64, stall: bool) -> Self {
        DevMem {
            words: vec![0; (bytes / 8) as usize],
            latency,
            rng,
            stall,
            now: 0,
            pending: VecDeque::new(),
            drv_ready: false,
            drv_rvalid: false,
            log: Vec::new(),
        }
    }

    /// `len` bytes from byte address `addr` (8-aligned).
    pub fn bytes(&self, addr: u64, len: usize) -> Vec<u8> {
        let w = (addr / 8) as usize;
        let mut out: Vec<u8> = self.words[w..w + len.div_ceil(8)]
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        out.truncate(len);
        out
    }

    /// (req_ready, rvalid, rdata) for this cycle.
    pub fn drive(&mut self) -> (bool, bool, u64) {
        self.drv_ready = !(self.stall && self.rng.below(4) == 0);
        let head = self.pending.front().copied();
        self.drv_rvalid = matches!(head, Some((due, _)) if due <= self.now);
        (self.drv_ready, self.drv_rvalid, head.map_or(0, |h| h.1))
    }

    /// The block's request this cycle (after settling), then the clock edge.
    pub fn observe(&mut self, valid: bool, write: bool, addr: u32, wdata: u64) {
        if self.drv_rvalid {
            self.pending.pop_front();
        }
        if valid && self.drv_ready {
            assert_eq!(addr % 8, 0, "unaligned device-memory address {addr:#x}");
            let w = (addr / 8) as usize;
            assert!(
                w < self.words.len(),
                "device-memory address {addr:#x} out of range"
            );
            self.log.push((write, addr));
            if write {
                self.words[w] = wdata;
            } else {
                self.pending
                    .push_back((self.now + self.latency, self.words[w]));
            }
        }
        self.now += 1;
    }

    /// No read in flight.
    pub fn idle(&self) -> bool {
        self.pending.is_empty()
    }
}

/// Drives a block's `mem_*` inputs from a [`DevMem`].
macro_rules! mem_drive {
    ($mem:expr, $uut:expr) => {{
        let (ready, rvalid, rdata) = $mem.drive();
        $uut.mem_req_ready.next = ready;
        $uut.mem_rvalid.next = rvalid;
        $uut.mem_rdata.next = rdata.to_bits();
    }};
}

/// Shows a [`DevMem`] the block's `mem_*` outputs (after settling).
macro_rules! mem_observe {
    ($mem:expr, $uut:expr) => {{
        $mem.observe(
            $uut.mem_req_valid.val(),
            $uut.mem_req_write.val(),
            $uut.mem_req_addr.val().index() as u32,
            $uut.mem_wdata.val().to_u64(),
        )
    }};
}
