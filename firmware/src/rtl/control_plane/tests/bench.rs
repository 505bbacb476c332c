//! The control plane's testbench: the block with a test executor (`Bench`),
//! host memory behind an IOMMU (`HostMem`), and a host driver that steps the
//! simulation one clock at a time (`Harness`).
//!
//! The harness checks on every clock what the model guarantees at any time:
//! the executor receives exactly the command the engine fetched, and while
//! `idle` is high no queue has a command the device could run.

use super::super::ControlPlane;
use crate::params::DeviceParams;
use pagepress_abi::desc::{COMMAND_SIZE, COMPLETION_SIZE, CPL_FLAG_PHASE};
use pagepress_abi::regs::{control, queues};
use pagepress_abi::{Command, Completion, DeviceKind, Opcode, Status};
use pagepress_codec::corpus::SplitMix64;
use rust_hdl::prelude::*;
use std::collections::VecDeque;

// ---- the test executor -----------------------------------------------------

/// Test executor. NOP completes OK; an unknown opcode BAD_COMMAND; STATS
/// writes `slot << 32 | nr_pages` (8 bytes) to `addr` by DMA and completes
/// OK with `result` 1 (DMA_FAULT if refused); every other opcode completes
/// OK with `result` = slot, `info` = nr_pages. A command takes
/// `EXEC_CYCLES + slot % 64` cycles. Counter `i` reads `ticks << 28 | i`
/// (`ticks` counts clocks since the last `clear_stats`); `reset_entries`
/// drops `cmd_ready` for `CLEAR_CYCLES` cycles.
#[derive(LogicBlock, Default)]
pub struct TestExecutor {
    pub clock: Signal<In, Clock>,
    pub cmd_valid: Signal<In, bool>,
    pub cmd_ready: Signal<Out, bool>,
    pub cmd_opcode: Signal<In, Bits<8>>,
    pub cmd_flags: Signal<In, Bits<8>>,
    pub cmd_nr_pages: Signal<In, Bits<16>>,
    pub cmd_slot: Signal<In, Bits<32>>,
    pub cmd_addr: Signal<In, Bits<64>>,
    pub cmd_len: Signal<In, Bits<32>>,
    pub done: Signal<Out, bool>,
    pub status: Signal<Out, Bits<8>>,
    pub result: Signal<Out, Bits<32>>,
    pub info: Signal<Out, Bits<32>>,
    pub reset_entries: Signal<In, bool>,
    pub clear_stats: Signal<In, bool>,
    pub stat_idx: Signal<In, Bits<5>>,
    pub stat_value: Signal<Out, Bits<64>>,
    pub dma_req_valid: Signal<Out, bool>,
    pub dma_req_ready: Signal<In, bool>,
    pub dma_req_write: Signal<Out, bool>,
    pub dma_req_addr: Signal<Out, Bits<64>>,
    pub dma_req_len: Signal<Out, Bits<16>>,
    pub dma_wvalid: Signal<Out, bool>,
    pub dma_wready: Signal<In, bool>,
    pub dma_wdata: Signal<Out, Bits<64>>,
    pub dma_wlast: Signal<Out, bool>,
    pub dma_bvalid: Signal<In, bool>,
    pub dma_bok: Signal<In, bool>,
    pub dma_rvalid: Signal<In, bool>,
    pub dma_rdata: Signal<In, Bits<64>>,
    pub dma_rlast: Signal<In, bool>,
    pub dma_rerr: Signal<In, bool>,
    state: DFF<Bits<4>>,
    wait: DFF<Bits<32>>,
    clearing: DFF<Bits<8>>,
    op: DFF<Bits<8>>,
    slot: DFF<Bits<32>>,
    nr_pages: DFF<Bits<16>>,
    addr: DFF<Bits<64>>,
    ticks: DFF<Bits<64>>,
    stat_q: DFF<Bits<64>>,
    done_q: DFF<bool>,
    status_q: DFF<Bits<8>>,
    result_q: DFF<Bits<32>>,
    info_q: DFF<Bits<32>>,
}

/// Base cycles of a test command.
pub const EXEC_CYCLES: u64 = 2;
/// Cycles `cmd_ready` stays low after `reset_entries`.
pub const CLEAR_CYCLES: u64 = 4;
/// Bytes the test executor's STATS writes.
pub const STATS_BYTES: usize = 8;

const EX_IDLE: usize = 0;
const EX_RUN: usize = 1;
const EX_REQ: usize = 2;
const EX_DATA: usize = 3;
const EX_RESP: usize = 4;

impl TestExecutor {
    fn finish(&mut self, status: Status, result: u64, info: u64) {
        self.done_q.d.next = true;
        self.status_q.d.next = (status as u64).to_bits();
        self.result_q.d.next = result.to_bits();
        self.info_q.d.next = info.to_bits();
        self.state.d.next = (EX_IDLE as u64).to_bits();
    }
}

// Simulation-only block: plain Rust, no Verilog.
impl Logic for TestExecutor {
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, wait, clearing, op, slot, nr_pages, addr, ticks, stat_q, done_q,
            status_q, result_q, info_q
        );
        let state = self.state.q.val().index();
        let ticks = self.ticks.q.val().to_u64();
        self.ticks.d.next = (ticks + 1).to_bits();
        if self.clear_stats.val() {
            self.ticks.d.next = 0u64.to_bits();
        }
        self.stat_q.d.next = (ticks << 28 | self.stat_idx.val().to_u64()).to_bits();
        self.stat_value.next = self.stat_q.q.val();
        let clearing = self.clearing.q.val().to_u64();
        if clearing > 0 {
            self.clearing.d.next = (clearing - 1).to_bits();
        }
        if self.reset_entries.val() {
            self.clearing.d.next = CLEAR_CYCLES.to_bits();
        }
        self.cmd_ready.next = state == EX_IDLE && clearing == 0;
        self.done.next = self.done_q.q.val();
        self.status.next = self.status_q.q.val();
        self.result.next = self.result_q.q.val();
        self.info.next = self.info_q.q.val();
        self.done_q.d.next = false;
        let slot = self.slot.q.val().to_u64();
        let nr_pages = self.nr_pages.q.val().to_u64();
        self.dma_req_valid.next = state == EX_REQ;
        self.dma_req_write.next = true;
        self.dma_req_addr.next = self.addr.q.val();
        self.dma_req_len.next = (STATS_BYTES as u64).to_bits();
        self.dma_wvalid.next = state == EX_DATA;
        self.dma_wdata.next = (slot << 32 | nr_pages).to_bits();
        self.dma_wlast.next = true;
        match state {
            EX_IDLE => {
                if self.cmd_valid.val() && clearing == 0 {
                    self.op.d.next = self.cmd_opcode.val();
                    self.slot.d.next = self.cmd_slot.val();
                    self.nr_pages.d.next = self.cmd_nr_pages.val();
                    self.addr.d.next = self.cmd_addr.val();
                    let wait = EXEC_CYCLES + self.cmd_slot.val().to_u64() % 64;
                    self.wait.d.next = wait.to_bits();
                    self.state.d.next = (EX_RUN as u64).to_bits();
                }
            }
            EX_RUN => {
                let wait = self.wait.q.val().to_u64();
                if wait > 0 {
                    self.wait.d.next = (wait - 1).to_bits();
                } else {
                    match Opcode::from_u8(self.op.q.val().to_u64() as u8) {
                        None => self.finish(Status::BadCommand, 0, 0),
                        Some(Opcode::Nop) => self.finish(Status::Ok, 0, 0),
                        Some(Opcode::Stats) => self.state.d.next = (EX_REQ as u64).to_bits(),
                        Some(_) => self.finish(Status::Ok, slot, nr_pages),
                    }
                }
            }
            EX_REQ => {
                if self.dma_req_ready.val() {
                    self.state.d.next = (EX_DATA as u64).to_bits();
                }
            }
            EX_DATA => {
                if self.dma_wready.val() {
                    self.state.d.next = (EX_RESP as u64).to_bits();
                }
            }
            EX_RESP => {
                if self.dma_bvalid.val() {
                    if self.dma_bok.val() {
                        self.finish(Status::Ok, 1, 0);
                    } else {
                        self.finish(Status::DmaFault, 0, 0);
                    }
                }
            }
            _ => unreachable!(),
        }
    }
}

/// The outcome the test executor gives `cmd` (`stats_ok`: its STATS write is mapped).
pub fn outcome(cmd: &Command, stats_ok: bool) -> (Status, u32, u32) {
    match Opcode::from_u8(cmd.opcode) {
        None => (Status::BadCommand, 0, 0),
        Some(Opcode::Nop) => (Status::Ok, 0, 0),
        Some(Opcode::Stats) if stats_ok => (Status::Ok, 1, 0),
        Some(Opcode::Stats) => (Status::DmaFault, 0, 0),
        Some(_) => (Status::Ok, cmd.slot, cmd.nr_pages as u32),
    }
}

// ---- the bench -------------------------------------------------------------

/// `ControlPlane` wired to a `TestExecutor`; the top-level ports are its own.
#[derive(LogicBlock)]
pub struct Bench {
    pub clock: Signal<In, Clock>,
    pub reg_valid: Signal<In, bool>,
    pub reg_write: Signal<In, bool>,
    pub reg_addr: Signal<In, Bits<14>>,
    pub reg_wdata: Signal<In, Bits<32>>,
    pub reg_ready: Signal<Out, bool>,
    pub reg_rvalid: Signal<Out, bool>,
    pub reg_rdata: Signal<Out, Bits<32>>,
    pub dma_req_valid: Signal<Out, bool>,
    pub dma_req_ready: Signal<In, bool>,
    pub dma_req_write: Signal<Out, bool>,
    pub dma_req_addr: Signal<Out, Bits<64>>,
    pub dma_req_len: Signal<Out, Bits<16>>,
    pub dma_wvalid: Signal<Out, bool>,
    pub dma_wready: Signal<In, bool>,
    pub dma_wdata: Signal<Out, Bits<64>>,
    pub dma_wlast: Signal<Out, bool>,
    pub dma_bvalid: Signal<In, bool>,
    pub dma_bok: Signal<In, bool>,
    pub dma_rvalid: Signal<In, bool>,
    pub dma_rdata: Signal<In, Bits<64>>,
    pub dma_rlast: Signal<In, bool>,
    pub dma_rerr: Signal<In, bool>,
    pub irq: Signal<Out, Bits<8>>,
    pub idle: Signal<Out, bool>,
    pub cp: ControlPlane,
    pub ex: TestExecutor,
}

impl Logic for Bench {
    fn update(&mut self) {
        let (cp, ex) = (&mut self.cp, &mut self.ex);
        cp.clock.next = self.clock.val();
        ex.clock.next = self.clock.val();
        cp.reg_valid.next = self.reg_valid.val();
        cp.reg_write.next = self.reg_write.val();
        cp.reg_addr.next = self.reg_addr.val();
        cp.reg_wdata.next = self.reg_wdata.val();
        self.reg_ready.next = cp.reg_ready.val();
        self.reg_rvalid.next = cp.reg_rvalid.val();
        self.reg_rdata.next = cp.reg_rdata.val();
        self.dma_req_valid.next = cp.dma_req_valid.val();
        cp.dma_req_ready.next = self.dma_req_ready.val();
        self.dma_req_write.next = cp.dma_req_write.val();
        self.dma_req_addr.next = cp.dma_req_addr.val();
        self.dma_req_len.next = cp.dma_req_len.val();
        self.dma_wvalid.next = cp.dma_wvalid.val();
        cp.dma_wready.next = self.dma_wready.val();
        self.dma_wdata.next = cp.dma_wdata.val();
        self.dma_wlast.next = cp.dma_wlast.val();
        cp.dma_bvalid.next = self.dma_bvalid.val();
        cp.dma_bok.next = self.dma_bok.val();
        cp.dma_rvalid.next = self.dma_rvalid.val();
        cp.dma_rdata.next = self.dma_rdata.val();
        cp.dma_rlast.next = self.dma_rlast.val();
        cp.dma_rerr.next = self.dma_rerr.val();
        self.irq.next = cp.irq.val();
        self.idle.next = cp.idle.val();

        ex.cmd_valid.next = cp.cmd_valid.val();
        cp.cmd_ready.next = ex.cmd_ready.val();
        ex.cmd_opcode.next = cp.cmd_opcode.val();
        ex.cmd_flags.next = cp.cmd_flags.val();
        ex.cmd_nr_pages.next = cp.cmd_nr_pages.val();
        ex.cmd_slot.next = cp.cmd_slot.val();
        ex.cmd_addr.next = cp.cmd_addr.val();
        ex.cmd_len.next = cp.cmd_len.val();
        cp.done.next = ex.done.val();
        cp.status.next = ex.status.val();
        cp.result.next = ex.result.val();
        cp.info.next = ex.info.val();
        ex.reset_entries.next = cp.reset_entries.val();
        ex.clear_stats.next = cp.clear_stats.val();
        ex.stat_idx.next = cp.stat_idx.val();
        cp.stat_value.next = ex.stat_value.val();
        cp.ex_dma_req_valid.next = ex.dma_req_valid.val();
        ex.dma_req_ready.next = cp.ex_dma_req_ready.val();
        cp.ex_dma_req_write.next = ex.dma_req_write.val();
        cp.ex_dma_req_addr.next = ex.dma_req_addr.val();
        cp.ex_dma_req_len.next = ex.dma_req_len.val();
        cp.ex_dma_wvalid.next = ex.dma_wvalid.val();
        ex.dma_wready.next = cp.ex_dma_wready.val();
        cp.ex_dma_wdata.next = ex.dma_wdata.val();
        cp.ex_dma_wlast.next = ex.dma_wlast.val();
        ex.dma_bvalid.next = cp.ex_dma_bvalid.val();
        ex.dma_bok.next = cp.ex_dma_bok.val();
        ex.dma_rvalid.next = cp.ex_dma_rvalid.val();
        ex.dma_rdata.next = cp.ex_dma_rdata.val();
        ex.dma_rlast.next = cp.ex_dma_rlast.val();
        ex.dma_rerr.next = cp.ex_dma_rerr.val();
    }
}

// ---- host memory -----------------------------------------------------------

/// A finished DMA transfer, as the host saw it.
#[derive(Clone, Debug)]
pub struct Transfer {
    pub write: bool,
    pub addr: u64,
    pub len: usize,
    /// The IOMMU let it through.
    pub ok: bool,
    /// The bytes read or written (empty when refused).
    pub bytes: Vec<u8>,
}

enum Dma {
    Idle,
    Read {
        beats: VecDeque<u64>,
        err: bool,
    },
    Write {
        addr: u64,
        len: usize,
        data: Vec<u8>,
    },
    Resp {
        ok: bool,
        wait: u64,
    },
}

/// Host memory: mapped IOVA ranges, a DMA slave with random stalls, and an
/// IOMMU that refuses any request not wholly inside one mapped range.
pub struct HostMem {
    regions: Vec<(u64, Vec<u8>)>,
    rng: SplitMix64,
    dma: Dma,
    // This cycle's offers.
    req_ready: bool,
    beat: bool,
    wready: bool,
    bvalid: bool,
}

impl HostMem {
    fn new(seed: u64) -> Self {
        HostMem {
            regions: Vec::new(),
            rng: SplitMix64(seed),
            dma: Dma::Idle,
            req_ready: false,
            beat: false,
            wready: false,
            bvalid: false,
        }
    }

    /// Unmaps the range mapped at `iova`.
    pub fn unmap(&mut self, iova: u64) {
        self.regions.retain(|(base, _)| *base != iova);
    }

    /// Maps `len` zeroed bytes at `iova` (replacing a range mapped there).
    pub fn map(&mut self, iova: u64, len: usize) {
        self.unmap(iova);
        self.regions.push((iova, vec![0; len]));
    }

    fn region(&mut self, addr: u64, len: usize) -> Option<&mut [u8]> {
        self.regions.iter_mut().find_map(|(base, mem)| {
            let off = addr.checked_sub(*base)? as usize;
            (off + len <= mem.len()).then(|| &mut mem[off..off + len])
        })
    }

    pub fn read(&mut self, addr: u64, len: usize) -> Vec<u8> {
        self.region(addr, len).expect("mapped").to_vec()
    }

    pub fn write(&mut self, addr: u64, bytes: &[u8]) {
        self.region(addr, bytes.len())
            .expect("mapped")
            .copy_from_slice(bytes);
    }

    /// Ready/valid offers of this cycle (three in four cycles).
    fn drive(&mut self, u: &mut Bench) {
        let offer = !self.rng.next_u64().is_multiple_of(4);
        self.req_ready = matches!(self.dma, Dma::Idle) && offer;
        self.beat = matches!(self.dma, Dma::Read { .. }) && offer;
        self.wready = matches!(self.dma, Dma::Write { .. }) && offer;
        self.bvalid = matches!(self.dma, Dma::Resp { wait: 0, .. });
        u.dma_req_ready.next = self.req_ready;
        u.dma_wready.next = self.wready;
        u.dma_rvalid.next = self.beat;
        u.dma_bvalid.next = self.bvalid;
        u.dma_bok.next = matches!(self.dma, Dma::Resp { ok: true, .. });
        let (data, last, err) = match &self.dma {
            Dma::Read { beats, err } => (
                beats.front().copied().unwrap_or(0),
                *err || beats.len() == 1,
                *err,
            ),
            _ => (0, false, false),
        };
        u.dma_rdata.next = data.to_bits();
        u.dma_rlast.next = last;
        u.dma_rerr.next = err;
    }

    /// The handshakes of this cycle (outputs settled); a finished transfer.
    fn observe(&mut self, u: &Bench) -> Option<Transfer> {
        match &mut self.dma {
            Dma::Idle => {
                if u.dma_req_valid.val() && self.req_ready {
                    let addr = u.dma_req_addr.val().to_u64();
                    let len = u.dma_req_len.val().to_u64() as usize;
                    assert!((1..=8192).contains(&len), "DMA length {len}");
                    if u.dma_req_write.val() {
                        self.dma = Dma::Write {
                            addr,
                            len,
                            data: Vec::new(),
                        };
                    } else {
                        let bytes = self.region(addr, len).map(|b| b.to_vec());
                        let ok = bytes.is_some();
                        let bytes = bytes.unwrap_or_default();
                        let mut padded = bytes.clone();
                        padded.resize(len.div_ceil(8) * 8, 0);
                        self.dma = Dma::Read {
                            beats: padded
                                .chunks(8)
                                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                                .collect(),
                            err: !ok,
                        };
                        return Some(Transfer {
                            write: false,
                            addr,
                            len,
                            ok,
                            bytes,
                        });
                    }
                }
                None
            }
            Dma::Read { beats, err } => {
                if self.beat {
                    beats.pop_front();
                    if *err || beats.is_empty() {
                        self.dma = Dma::Idle;
                    }
                }
                None
            }
            Dma::Write { addr, len, data } => {
                assert!(!u.dma_req_valid.val(), "request during a write burst");
                if u.dma_wvalid.val() && self.wready {
                    data.extend_from_slice(&u.dma_wdata.val().to_u64().to_le_bytes());
                    let last = data.len() >= len.div_ceil(8) * 8;
                    assert_eq!(u.dma_wlast.val(), last, "wlast on beat {}", data.len() / 8);
                    if last {
                        let (addr, len) = (*addr, *len);
                        let bytes = data[..len].to_vec();
                        let ok = match self.region(addr, len) {
                            Some(m) => {
                                m.copy_from_slice(&bytes);
                                true
                            }
                            None => false,
                        };
                        let wait = self.rng.below(3);
                        self.dma = Dma::Resp { ok, wait };
                        return Some(Transfer {
                            write: true,
                            addr,
                            len,
                            ok,
                            bytes: if ok { bytes } else { Vec::new() },
                        });
                    }
                }
                None
            }
            Dma::Resp { wait, .. } => {
                if self.bvalid {
                    self.dma = Dma::Idle;
                } else {
                    *wait -= 1;
                }
                None
            }
        }
    }
}

// ---- the host driver -------------------------------------------------------

/// The host's view of one queue pair.
pub struct HostQueue {
    pub id: usize,
    pub sq_base: u64,
    pub cq_base: u64,
    pub sq_log2: u32,
    pub cq_log2: u32,
    pub vector: u32,
    /// Next submission index, completion index and its phase.
    pub tail: u32,
    pub cq_head: u32,
    pub phase: bool,
    /// The last CQ_HEAD_DB value written.
    pub cq_head_db: u32,
    /// Submitted commands not yet completed (consumed by `poll`), in order.
    pub outstanding: VecDeque<Command>,
    /// Completions consumed by the host since the queue was enabled.
    pub completed: u64,
    /// Commands submitted and completions written since it was enabled.
    pub submitted: u64,
    pub posted: u64,
    /// Fetch requests (successful or not).
    pub fetches: u64,
    /// The host expects it enabled and not in error.
    pub live: bool,
}

impl HostQueue {
    pub fn sq_entries(&self) -> u32 {
        1 << self.sq_log2
    }

    pub fn cq_entries(&self) -> u32 {
        1 << self.cq_log2
    }

    fn sq_holds(&self, addr: u64) -> bool {
        addr >= self.sq_base
            && addr < self.sq_base + (COMMAND_SIZE as u64) * self.sq_entries() as u64
    }

    fn cq_holds(&self, addr: u64) -> bool {
        addr >= self.cq_base
            && addr < self.cq_base + (COMPLETION_SIZE as u64) * self.cq_entries() as u64
    }

    /// Whether the device could fetch a command now.
    fn runnable(&self) -> bool {
        let cq_mask = self.cq_entries() as u64 - 1;
        let cq_full = (self.posted + 1) & cq_mask == self.cq_head_db as u64;
        self.live && self.posted < self.submitted && !cq_full
    }
}

/// IOVA of queue `q`'s submission ring (above 4 GiB: the HI words matter).
pub fn sq_iova(q: usize) -> u64 {
    0x1_0000_0000 + 0x10000 * q as u64
}

pub fn cq_iova(q: usize) -> u64 {
    0x2_0000_0000 + 0x10000 * q as u64
}

/// IOVA of the buffers commands point to (mapped: STATS writes succeed below `BUF_LEN`).
pub const BUF_IOVA: u64 = 0x3_0000_0000;
pub const BUF_LEN: usize = 0x1000;

/// Register offset of queue `q`'s `reg`.
pub fn qreg(q: usize, reg: u32) -> u32 {
    queues::reg(q as u32, reg)
}

/// The CONTROL register at `offset`.
pub fn ctrl_reg(offset: u32) -> u32 {
    crate::rtl::csr::block_base(pagepress_abi::regs::BLOCK_TYPE_CONTROL) + offset
}

pub struct Harness {
    pub uut: Bench,
    pub mem: HostMem,
    pub cycle: u64,
    pub queues: Vec<HostQueue>,
    pub device_enabled: bool,
    /// Interrupt pulses per vector.
    pub irqs: [u64; 8],
    /// Executor hand-offs and reset pulses seen.
    pub handoffs: u64,
    pub reset_entries: u64,
    pub clear_stats: u64,
    /// Cycles `idle` was high.
    pub idle_cycles: u64,
    pub idle: bool,
    /// The command the engine fetched last, until the executor takes it.
    fetched: Option<Command>,
    /// Transfers seen (all of them, in order).
    pub transfers: Vec<Transfer>,
    reg_req: Option<(bool, u32, u32)>,
    reg_answer: Option<u32>,
}

impl Harness {
    pub fn new(params: DeviceParams, seed: u64) -> Self {
        let mut uut = Bench {
            clock: Default::default(),
            reg_valid: Default::default(),
            reg_write: Default::default(),
            reg_addr: Default::default(),
            reg_wdata: Default::default(),
            reg_ready: Default::default(),
            reg_rvalid: Default::default(),
            reg_rdata: Default::default(),
            dma_req_valid: Default::default(),
            dma_req_ready: Default::default(),
            dma_req_write: Default::default(),
            dma_req_addr: Default::default(),
            dma_req_len: Default::default(),
            dma_wvalid: Default::default(),
            dma_wready: Default::default(),
            dma_wdata: Default::default(),
            dma_wlast: Default::default(),
            dma_bvalid: Default::default(),
            dma_bok: Default::default(),
            dma_rvalid: Default::default(),
            dma_rdata: Default::default(),
            dma_rlast: Default::default(),
            dma_rerr: Default::default(),
            irq: Default::default(),
            idle: Default::default(),
            cp: ControlPlane::new(&params, DeviceKind::Sim),
            ex: Default::default(),
        };
        uut.connect_all();
        let mut mem = HostMem::new(seed);
        mem.map(BUF_IOVA, BUF_LEN);
        Harness {
            uut,
            mem,
            cycle: 0,
            queues: Vec::new(),
            device_enabled: false,
            irqs: [0; 8],
            handoffs: 0,
            reset_entries: 0,
            clear_stats: 0,
            idle_cycles: 0,
            idle: false,
            fetched: None,
            transfers: Vec::new(),
            reg_req: None,
            reg_answer: None,
        }
    }

    /// One clock.
    pub fn tick(&mut self) {
        let u = &mut self.uut;
        self.mem.drive(u);
        let (valid, write, addr, wdata) = match self.reg_req {
            Some((w, a, d)) => (true, w, a, d),
            None => (false, false, 0, 0),
        };
        u.reg_valid.next = valid;
        u.reg_write.next = write;
        u.reg_addr.next = (addr as u64).to_bits();
        u.reg_wdata.next = (wdata as u64).to_bits();
        u.clock.next = Clock::from(false);
        assert!(simulate(u, 1000), "logic did not settle");

        let taken = valid && u.reg_ready.val();
        if u.reg_rvalid.val() {
            assert!(self.reg_answer.is_none(), "a second read answer");
            self.reg_answer = Some(u.reg_rdata.val().to_u64() as u32);
        }
        let irq = u.irq.val().to_u64();
        for (v, n) in self.irqs.iter_mut().enumerate() {
            *n += irq >> v & 1;
        }
        if u.cp.cmd_valid.val() && u.cp.cmd_ready.val() {
            let cp = &u.cp;
            let got = Command {
                opcode: cp.cmd_opcode.val().to_u64() as u8,
                flags: cp.cmd_flags.val().to_u64() as u8,
                nr_pages: cp.cmd_nr_pages.val().to_u64() as u16,
                slot: cp.cmd_slot.val().to_u64() as u32,
                addr: cp.cmd_addr.val().to_u64(),
                len: cp.cmd_len.val().to_u64() as u32,
                ..Default::default()
            };
            let want = self.fetched.take().expect("hand-off without a fetch");
            let want = Command {
                cid: 0,
                rsvd0: 0,
                rsvd1: 0,
                rsvd2: 0,
                ..want
            };
            assert_eq!(got, want, "the executor got another command than fetched");
            self.handoffs += 1;
        }
        self.reset_entries += u.cp.reset_entries.val() as u64;
        self.clear_stats += u.cp.clear_stats.val() as u64;
        self.idle = u.idle.val();
        if self.idle {
            self.idle_cycles += 1;
            if self.device_enabled {
                for q in &self.queues {
                    assert!(!q.runnable(), "idle while queue {} can run", q.id);
                }
            }
        }
        let transfer = self.mem.observe(u);

        u.clock.next = Clock::from(true);
        assert!(simulate(u, 1000), "logic did not settle");
        self.cycle += 1;
        if taken {
            self.reg_req = None;
        }
        if let Some(t) = transfer {
            self.account(&t);
            self.transfers.push(t);
        }
    }

    fn account(&mut self, t: &Transfer) {
        if !t.write {
            if let Some(q) = self.queues.iter_mut().find(|q| q.sq_holds(t.addr)) {
                assert_eq!(t.len, COMMAND_SIZE);
                q.fetches += 1;
                if t.ok {
                    self.fetched = Some(Command::from_bytes(t.bytes[..].try_into().unwrap()));
                }
            }
        } else if let Some(q) = self.queues.iter_mut().find(|q| q.cq_holds(t.addr)) {
            assert_eq!(t.len, COMPLETION_SIZE);
            assert_eq!(
                t.addr,
                q.cq_base + COMPLETION_SIZE as u64 * (q.posted % q.cq_entries() as u64),
                "completion of queue {} out of place",
                q.id
            );
            q.posted += t.ok as u64;
        }
    }

    pub fn run(&mut self, cycles: u64) {
        for _ in 0..cycles {
            self.tick();
        }
    }

    /// Ticks until `idle`; panics after `max` cycles.
    pub fn settle(&mut self, max: u64) {
        for _ in 0..max {
            self.tick();
            if self.idle {
                return;
            }
        }
        panic!("not idle after {max} cycles");
    }

    pub fn write(&mut self, off: u32, v: u32) {
        self.reg_req = Some((true, off, v));
        for _ in 0..10_000 {
            self.tick();
            if self.reg_req.is_none() {
                if off == ctrl_reg(control::CTRL) {
                    self.device_enabled = v & control::CTRL_ENABLE != 0;
                    if v & control::CTRL_RESET != 0 {
                        // The reset disables every queue.
                        self.queues.iter_mut().for_each(|q| q.live = false);
                    }
                }
                return;
            }
        }
        panic!("register write {off:#x} not taken");
    }

    pub fn read(&mut self, off: u32) -> u32 {
        self.reg_req = Some((false, off, 0));
        for _ in 0..10_000 {
            self.tick();
            if let Some(v) = self.reg_answer.take() {
                assert!(self.reg_req.is_none());
                return v;
            }
        }
        panic!("register read {off:#x} not answered");
    }

    /// Programs queue `q`'s rings and enables it; the host's `QSTATUS` view.
    pub fn setup_queue(&mut self, q: usize, sq_log2: u32, cq_log2: u32, vector: u32) -> u32 {
        let (sq, cq) = (sq_iova(q), cq_iova(q));
        self.mem.map(sq, COMMAND_SIZE << sq_log2);
        self.mem.map(cq, COMPLETION_SIZE << cq_log2);
        self.configure(q, sq, cq, sq_log2, cq_log2, vector)
    }

    /// Writes queue `q`'s registers and ENABLE; returns QSTATUS.
    pub fn configure(
        &mut self,
        q: usize,
        sq: u64,
        cq: u64,
        sq_log2: u32,
        cq_log2: u32,
        vector: u32,
    ) -> u32 {
        self.write(qreg(q, queues::SQ_BASE_LO), sq as u32);
        self.write(qreg(q, queues::SQ_BASE_HI), (sq >> 32) as u32);
        self.write(qreg(q, queues::SQ_SIZE_LOG2), sq_log2);
        self.write(qreg(q, queues::CQ_BASE_LO), cq as u32);
        self.write(qreg(q, queues::CQ_BASE_HI), (cq >> 32) as u32);
        self.write(qreg(q, queues::CQ_SIZE_LOG2), cq_log2);
        self.write(qreg(q, queues::IRQ_VECTOR), vector);
        self.queues.retain(|h| h.id != q);
        self.write(qreg(q, queues::ENABLE), 1);
        let status = self.read(qreg(q, queues::QSTATUS));
        self.queues.push(HostQueue {
            id: q,
            sq_base: sq,
            cq_base: cq,
            sq_log2,
            cq_log2,
            vector,
            tail: 0,
            cq_head: 0,
            phase: true,
            cq_head_db: 0,
            outstanding: VecDeque::new(),
            completed: 0,
            submitted: 0,
            posted: 0,
            fetches: 0,
            live: status == queues::QSTATUS_ENABLED,
        });
        status
    }

    pub fn queue(&mut self, q: usize) -> &mut HostQueue {
        self.queues
            .iter_mut()
            .find(|h| h.id == q)
            .expect("queue set up")
    }

    /// Writes `cmds` at queue `q`'s tail (without ringing the doorbell).
    pub fn enqueue(&mut self, q: usize, cmds: &[Command]) {
        for cmd in cmds {
            let h = self.queue(q);
            let at = h.sq_base + (COMMAND_SIZE as u64) * h.tail as u64;
            h.tail = (h.tail + 1) & (h.sq_entries() - 1);
            h.outstanding.push_back(*cmd);
            self.mem.write(at, &cmd.to_bytes());
        }
    }

    /// Writes queue `q`'s tail to its doorbell.
    pub fn ring(&mut self, q: usize) {
        let tail = self.queue(q).tail;
        self.write(qreg(q, queues::SQ_TAIL_DB), tail);
        // Counted once the device has the doorbell (the idle check uses it).
        let h = self.queue(q);
        h.submitted = h.completed + h.outstanding.len() as u64;
    }

    /// Writes `cmds` at queue `q`'s tail and rings its doorbell.
    pub fn submit(&mut self, q: usize, cmds: &[Command]) {
        self.enqueue(q, cmds);
        self.ring(q);
    }

    /// The completions the device wrote at queue `q`'s head (phase matching).
    pub fn poll(&mut self, q: usize) -> Vec<Completion> {
        let mut out = Vec::new();
        loop {
            let h = self.queue(q);
            let at = h.cq_base + (COMPLETION_SIZE as u64) * h.cq_head as u64;
            let mask = h.cq_entries() - 1;
            let bytes = self.mem.read(at, COMPLETION_SIZE);
            let c = Completion::from_bytes(bytes[..].try_into().unwrap());
            let h = self.queue(q);
            if c.phase() != h.phase {
                return out;
            }
            h.cq_head = (h.cq_head + 1) & mask;
            if h.cq_head == 0 {
                h.phase = !h.phase;
            }
            out.push(c);
        }
    }

    /// Tells the device the host consumed queue `q`'s completions so far.
    pub fn release(&mut self, q: usize) {
        let head = self.queue(q).cq_head;
        self.write(qreg(q, queues::CQ_HEAD_DB), head);
        self.queue(q).cq_head_db = head;
    }

    /// Checks `c` as queue `q`'s next completion: the oldest outstanding
    /// command, with the test executor's outcome or, if given, `status`
    /// (result and info 0).
    pub fn check_next(&mut self, q: usize, c: &Completion, status: Option<Status>) {
        let h = self.queue(q);
        let cmd = h
            .outstanding
            .pop_front()
            .expect("a completion without a command");
        let k = h.completed;
        h.completed += 1;
        let stats_ok =
            cmd.addr >= BUF_IOVA && cmd.addr + STATS_BYTES as u64 <= BUF_IOVA + BUF_LEN as u64;
        let (status, result, info) = match status {
            Some(s) => (s, 0, 0),
            None => outcome(&cmd, stats_ok),
        };
        let first_pass = (k / h.cq_entries() as u64).is_multiple_of(2);
        let want = Completion {
            cid: cmd.cid,
            status: status as u8,
            flags: if first_pass { CPL_FLAG_PHASE } else { 0 },
            sq_head: ((k + 1) & (h.sq_entries() as u64 - 1)) as u16,
            sq_id: q as u16,
            result,
            info,
        };
        assert_eq!(*c, want, "completion {k} of queue {q} for {cmd:?}");
    }

    /// Polls queue `q`, checks each completion with the test executor's
    /// outcome, and releases the entries. Returns how many completed.
    pub fn reap(&mut self, q: usize) -> usize {
        let done = self.poll(q);
        for c in &done {
            self.check_next(q, c, None);
        }
        if !done.is_empty() {
            self.release(q);
        }
        done.len()
    }
}

/// A random command (opcodes past the last are unknown; slots keep commands short).
pub fn random_command(rng: &mut SplitMix64, cid: u16) -> Command {
    let opcode = match rng.below(10) {
        0 => Opcode::ALL.len() as u8 + rng.below(250 - Opcode::ALL.len() as u64) as u8,
        _ => Opcode::ALL[rng.below(Opcode::ALL.len() as u64) as usize] as u8,
    };
    let addr = if rng.below(4) == 0 {
        0xdead_0000 + rng.below(0x1000)
    } else {
        BUF_IOVA + 8 * rng.below((BUF_LEN / 8) as u64)
    };
    Command {
        opcode,
        flags: rng.next_u64() as u8,
        cid,
        nr_pages: rng.next_u64() as u16,
        rsvd0: 0,
        slot: rng.below(8) as u32 | (rng.next_u64() as u32 & 0xffff_ff00),
        rsvd1: 0,
        addr,
        len: rng.next_u64() as u32,
        rsvd2: 0,
    }
}
