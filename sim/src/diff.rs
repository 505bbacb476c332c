//! Differential runs: one random command stream played on two devices — the
//! model (the reference) and the device under test — compared command by
//! command.
//!
//! Both devices get the same host-memory layout (an input arena of pages, an
//! output arena, a STATS buffer), the same commands (addresses translated to
//! each device's IOVAs) and the same device-memory corruptions. After every
//! batch the rig compares each completion field by field, the output arena
//! byte for byte, and every STATS snapshot — except the two engine-cycle
//! counters, which only the RTL measures (the model reports 0).

use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME};
use pagepress_abi::format::{MAX_FRAME_SIZE, PAGE_SIZE};
use pagepress_abi::regs::{self, control};
use pagepress_abi::stats::{STAT_COUNT, STATS_SNAPSHOT_SIZE, StatCounter};
use pagepress_abi::{Command, Completion, Opcode};
use pagepress_codec::Page;
use pagepress_codec::corpus::SplitMix64;
use pagepress_pcie::raw_queue::{RawQueue, RawQueueError, find_block, read_counters};
use pagepress_pcie::{DeviceBackend, DmaRegion};
use std::time::Duration;

/// A device the rig drives.
pub trait Target {
    /// Its name in mismatch reports.
    fn label(&self) -> &str;
    fn backend(&self) -> &dyn DeviceBackend;
    /// XORs the device-memory byte at `addr` with `mask`.
    fn flip_devmem_byte(&self, addr: u64, mask: u8);
}

/// The reference device additionally says where a slot's frame lives.
pub trait Reference: Target {
    /// (device-memory byte address, length) of `slot`'s frame.
    fn frame_location(&self, slot: u32) -> Option<(u64, u32)>;
}

/// Pages in the input arena.
const ARENA_PAGES: usize = 96;
/// Pages in the output arena.
const OUT_PAGES: usize = 16;
/// Commands per batch at most (one doorbell per batch).
const MAX_BATCH: usize = 4;
/// Largest `nr_pages` the stream uses for page commands.
const MAX_STREAM_NR: u16 = 16;
/// Counters only the RTL measures.
const UNCOMPARED: [StatCounter; 2] = [StatCounter::CompressCycles, StatCounter::DecompressCycles];

/// Where a command points.
#[derive(Clone, Copy, Debug)]
enum Addr {
    /// Input page `i`.
    Pages(usize),
    /// Byte offset in the output arena.
    Out(usize),
    /// The STATS buffer.
    Stats,
    /// An IOVA no region maps.
    Unmapped,
}

/// One device's host memory.
struct HostMem {
    pages: DmaRegion,
    out: DmaRegion,
    stats: DmaRegion,
}

impl HostMem {
    fn new(dev: &dyn DeviceBackend, input: &[Box<Page>]) -> Result<Self, RawQueueError> {
        let pages = dev.dma_alloc(ARENA_PAGES * PAGE_SIZE)?;
        for (i, p) in input.iter().enumerate() {
            pages.write_bytes(i * PAGE_SIZE, &p[..]);
        }
        Ok(HostMem {
            pages,
            out: dev.dma_alloc(OUT_PAGES * PAGE_SIZE + MAX_FRAME_SIZE)?,
            stats: dev.dma_alloc(STATS_SNAPSHOT_SIZE)?,
        })
    }

    fn iova(&self, a: Addr) -> u64 {
        match a {
            Addr::Pages(i) => self.pages.iova() + (i * PAGE_SIZE) as u64,
            Addr::Out(off) => self.out.iova() + off as u64,
            Addr::Stats => self.stats.iova(),
            // Far above anything a DmaSpace hands out, and never 0 (which
            // would test the same thing as an unprogrammed ring).
            Addr::Unmapped => 0xdead_0000_0000,
        }
    }
}

/// A command before its address is translated.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    cmd: Command,
    addr: Addr,
}

/// Counts of what a run exercised, to show the mix reached every path.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub commands: u64,
    /// Completions by status code.
    pub by_status: [u64; 16],
    /// Commands by opcode (index 7 = unknown opcodes).
    pub by_opcode: [u64; 8],
    pub corruptions: u64,
    pub register_resets: u64,
}

/// The random command stream.
pub struct StreamGen {
    rng: SplitMix64,
    max_slots: u32,
    max_nr: u16,
    /// Slots recently stored (loads and invalidates mostly pick these).
    stored: Vec<u32>,
    /// Percent of slots drawn anywhere in the slot space.
    scatter_pct: u64,
    /// One batch in this many is a register reset mid-queue (0: none).
    reset_every: u64,
    /// Per mille of commands that are RESET commands.
    reset_cmd_permille: u64,
}

impl StreamGen {
    pub fn new(seed: u64, max_slots: u32, max_nr: u32) -> Self {
        StreamGen {
            rng: SplitMix64(seed),
            max_slots,
            max_nr: max_nr.min(u16::MAX as u32) as u16,
            stored: Vec::new(),
            scatter_pct: 13,
            reset_every: 150,
            reset_cmd_permille: 3,
        }
    }

    /// No resets, by register or by command: the device fills up.
    pub fn without_resets(mut self) -> Self {
        self.reset_every = 0;
        self.reset_cmd_permille = 0;
        self
    }

    /// Draws `pct` percent of the slots anywhere in the slot space: each
    /// needs index nodes of its own, so a high share fills the index.
    pub fn scattering(mut self, pct: u64) -> Self {
        self.scatter_pct = pct.min(98);
        self
    }

    fn below(&mut self, n: u64) -> u64 {
        self.rng.below(n.max(1))
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A slot: mostly a dense low range (entries meet again), sometimes
    /// scattered (new index nodes), rarely past the end (BAD_SLOT).
    fn slot(&mut self, nr: u16) -> u32 {
        let r = self.below(100);
        let dense = 98 - self.scatter_pct;
        if r < dense * 7 / 10 && !self.stored.is_empty() {
            let i = self.below(self.stored.len() as u64) as usize;
            self.stored[i]
        } else if r < dense {
            self.below(2048) as u32
        } else if r < 98 {
            self.below(self.max_slots as u64 - nr as u64) as u32
        } else {
            self.max_slots - self.below(nr as u64) as u32
        }
    }

    fn nr(&mut self) -> u16 {
        if self.chance(80) {
            1 + self.below(4) as u16
        } else {
            1 + self.below(MAX_STREAM_NR as u64) as u16
        }
    }

    fn page_addr(&mut self, nr: u16) -> Addr {
        let r = self.below(100);
        if r < 2 {
            Addr::Unmapped
        } else if r < 4 {
            // Runs off the arena's end: a fault on a later page.
            Addr::Pages(ARENA_PAGES - (self.below(nr as u64) as usize).max(1))
        } else {
            Addr::Pages(self.below((ARENA_PAGES - nr as usize + 1) as u64) as usize)
        }
    }

    fn out_addr(&mut self) -> Addr {
        if self.chance(2) {
            Addr::Unmapped
        } else {
            Addr::Out(0)
        }
    }

    /// The next command.
    pub fn next_op(&mut self, cid: u16) -> Op {
        let r = self.below(1000);
        let mut cmd = Command {
            cid,
            ..Command::default()
        };
        let addr;
        if r < 380 {
            let nr = self.nr();
            cmd.opcode = Opcode::Store as u8;
            cmd.nr_pages = nr;
            cmd.slot = self.slot(nr);
            addr = self.page_addr(nr);
            self.stored.push(cmd.slot);
            if self.stored.len() > 512 {
                self.stored.swap_remove(0);
            }
        } else if r < 680 {
            let raw = self.chance(15);
            let nr = if raw {
                1
            } else {
                self.nr().min(OUT_PAGES as u16)
            };
            cmd.opcode = if self.chance(15) {
                Opcode::ReadForWriteback as u8
            } else {
                Opcode::Load as u8
            };
            if cmd.opcode == Opcode::Load as u8 {
                if raw {
                    cmd.flags = CMD_FLAG_RAW_FRAME;
                    cmd.len = if self.chance(20) {
                        self.below(64) as u32
                    } else {
                        MAX_FRAME_SIZE as u32
                    };
                } else if self.chance(40) {
                    cmd.flags = CMD_FLAG_EXCLUSIVE;
                }
            }
            cmd.nr_pages = nr;
            cmd.slot = self.slot(nr);
            addr = self.out_addr();
        } else if r < 800 {
            let nr = self.nr();
            cmd.opcode = Opcode::Invalidate as u8;
            cmd.nr_pages = nr;
            cmd.slot = self.slot(nr);
            addr = Addr::Out(0);
        } else if r < 830 {
            cmd.opcode = Opcode::Stats as u8;
            cmd.len = if self.chance(15) {
                self.below(STATS_SNAPSHOT_SIZE as u64) as u32
            } else {
                STATS_SNAPSHOT_SIZE as u32
            };
            addr = if self.chance(5) {
                Addr::Unmapped
            } else {
                Addr::Stats
            };
        } else if r < 850 {
            cmd.opcode = Opcode::Nop as u8;
            addr = Addr::Out(0);
        } else if r < 850 + self.reset_cmd_permille {
            cmd.opcode = Opcode::Reset as u8;
            addr = Addr::Out(0);
            self.stored.clear();
        } else {
            // Malformed: unknown opcode, stray flags, nr of 0 or too many.
            let op = Opcode::ALL[1 + self.below(4) as usize];
            cmd.opcode = op as u8;
            cmd.slot = self.slot(1);
            cmd.nr_pages = 1;
            match self.below(4) {
                0 => cmd.opcode = (Opcode::ALL.len() as u64 + self.below(200)) as u8,
                1 => cmd.flags = 1 << (2 + self.below(6)),
                2 => cmd.nr_pages = 0,
                _ => cmd.nr_pages = self.max_nr + 1 + self.below(8) as u16,
            }
            addr = Addr::Pages(0);
        }
        Op { cmd, addr }
    }
}

/// A mismatch between the two devices.
#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("{0}")]
    Queue(#[from] RawQueueError),
    #[error("command #{index} {op:?}: reference {reference:?}, {dut} {got:?}")]
    Completion {
        index: u64,
        op: Command,
        reference: Completion,
        dut: String,
        got: Completion,
    },
    #[error(
        "command #{index} {op:?}: {what} differ at byte {at} (reference {reference:#04x}, device {got:#04x})"
    )]
    Memory {
        index: u64,
        op: Command,
        what: &'static str,
        at: usize,
        reference: u8,
        got: u8,
    },
    #[error(
        "after command #{index}: counter {counter} is {reference} on the reference, {got} on the device"
    )]
    Counter {
        index: u64,
        counter: &'static str,
        reference: u64,
        got: u64,
    },
}

/// One device with its queue and memory.
struct Side<'a> {
    target: &'a dyn Target,
    queue: RawQueue<'a>,
    mem: HostMem,
}

impl<'a> Side<'a> {
    fn open(target: &'a dyn Target, input: &[Box<Page>], enable: bool) -> Result<Self, DiffError> {
        let dev = target.backend();
        Ok(Side {
            queue: RawQueue::open(dev, 0, 6, enable)?,
            mem: HostMem::new(dev, input)?,
            target,
        })
    }

    fn push(&mut self, op: &Op) -> Result<(), DiffError> {
        let cmd = Command {
            addr: self.mem.iova(op.addr),
            ..op.cmd
        };
        Ok(self.queue.push(&cmd)?)
    }

    fn stats_registers(&self) -> [u64; STAT_COUNT] {
        let dev = self.target.backend();
        let base = find_block(dev, regs::BLOCK_TYPE_STATS).expect("STATS block");
        read_counters(dev, base)
    }
}

/// The differential rig.
pub struct DiffRig<'a> {
    reference: &'a dyn Reference,
    dut: &'a dyn Target,
    input: Vec<Box<Page>>,
    stream: StreamGen,
    timeout: Duration,
    pub summary: RunSummary,
}

impl<'a> DiffRig<'a> {
    /// A rig over `reference` and `dut`, with `input` pages (at most the
    /// arena's size; the rest of the arena is zeros) and a seeded stream.
    pub fn new(
        reference: &'a dyn Reference,
        dut: &'a dyn Target,
        input: Vec<Box<Page>>,
        stream: StreamGen,
    ) -> Self {
        let mut input = input;
        input.truncate(ARENA_PAGES);
        DiffRig {
            reference,
            dut,
            input,
            stream,
            timeout: Duration::from_secs(60),
            summary: RunSummary::default(),
        }
    }

    /// Plays `n` commands in batches; stops at the first mismatch.
    pub fn run(&mut self, n: u64) -> Result<(), DiffError> {
        let mut a = Side::open(self.reference, &self.input, true)?;
        let mut b = Side::open(self.dut, &self.input, true)?;
        let mut index = 0u64;
        while index < n {
            if self.stream.chance(2) {
                self.corrupt_a_frame();
            }
            if self.stream.reset_every > 0 && self.stream.below(self.stream.reset_every) == 0 {
                // Reset with commands in the ring the device has not run.
                drop((a, b));
                self.register_reset_mid_queue(&mut index)?;
                a = Side::open(self.reference, &self.input, true)?;
                b = Side::open(self.dut, &self.input, true)?;
                continue;
            }
            let batch = 1 + self.stream.below(MAX_BATCH as u64) as usize;
            let ops: Vec<Op> = (0..batch)
                .map(|i| self.stream.next_op((index + i as u64) as u16))
                .collect();
            for op in &ops {
                a.push(op)?;
                b.push(op)?;
            }
            a.queue.ring();
            b.queue.ring();
            let ca = a.queue.collect(ops.len(), self.timeout)?;
            let cb = b.queue.collect(ops.len(), self.timeout)?;
            self.compare_completions(index, &ops, &ca, &cb)?;
            let last = ops[ops.len() - 1].cmd;
            compare_region(index, last, "output pages", &a.mem.out, &b.mem.out)?;
            compare_stats_snapshot(index, last, &a.mem.stats, &b.mem.stats)?;
            index += ops.len() as u64;
            if index % 256 < ops.len() as u64 {
                compare_counters(index, &a.stats_registers(), &b.stats_registers())?;
            }
        }
        compare_counters(index, &a.stats_registers(), &b.stats_registers())
    }

    /// Counts the batch starting at command `index` and compares its
    /// completions field by field.
    fn compare_completions(
        &mut self,
        index: u64,
        ops: &[Op],
        reference: &[Completion],
        got: &[Completion],
    ) -> Result<(), DiffError> {
        for (i, (x, y)) in reference.iter().zip(got).enumerate() {
            self.count(&ops[i].cmd, x);
            if x != y {
                return Err(DiffError::Completion {
                    index: index + i as u64,
                    op: ops[i].cmd,
                    reference: *x,
                    dut: self.dut.label().to_string(),
                    got: *y,
                });
            }
        }
        Ok(())
    }

    fn count(&mut self, cmd: &Command, c: &Completion) {
        self.summary.commands += 1;
        self.summary.by_status[(c.status as usize).min(15)] += 1;
        self.summary.by_opcode[(cmd.opcode as usize).min(7)] += 1;
    }

    /// Flips a byte of a stored frame in both devices' memory.
    fn corrupt_a_frame(&mut self) {
        let found = (0..16).find_map(|_| {
            let slot = self.stream.slot(1);
            self.reference.frame_location(slot)
        });
        if let Some((at, len)) = found {
            // Half the time in the frame header, which always fails to
            // decode; elsewhere a flip may still decode (the format has no
            // checksum), which the rig checks just as well.
            let span = if self.stream.chance(50) {
                7
            } else {
                len as u64
            };
            let byte = at + self.stream.below(span);
            let mask = 1u8 << self.stream.below(8);
            self.reference.flip_devmem_byte(byte, mask);
            self.dut.flip_devmem_byte(byte, mask);
            self.summary.corruptions += 1;
        }
    }

    /// Queues commands on disabled devices, then resets them: every queued
    /// command completes ABORTED, on both.
    fn register_reset_mid_queue(&mut self, index: &mut u64) -> Result<(), DiffError> {
        let mut a = Side::open(self.reference, &self.input, false)?;
        let mut b = Side::open(self.dut, &self.input, false)?;
        let n = 1 + self.stream.below(6) as usize;
        let ops: Vec<Op> = (0..n)
            .map(|i| self.stream.next_op((*index + i as u64) as u16))
            .collect();
        for op in &ops {
            a.push(op)?;
            b.push(op)?;
        }
        a.queue.ring();
        b.queue.ring();
        a.queue.write_ctrl(control::CTRL_RESET);
        b.queue.write_ctrl(control::CTRL_RESET);
        let ca = a.queue.collect(n, self.timeout)?;
        let cb = b.queue.collect(n, self.timeout)?;
        self.compare_completions(*index, &ops, &ca, &cb)?;
        self.summary.register_resets += 1;
        self.stream.stored.clear();
        *index += n as u64;
        Ok(())
    }
}

fn compare_region(
    index: u64,
    op: Command,
    what: &'static str,
    a: &DmaRegion,
    b: &DmaRegion,
) -> Result<(), DiffError> {
    let mut x = vec![0u8; a.len()];
    let mut y = vec![0u8; b.len()];
    a.read_bytes(0, &mut x);
    b.read_bytes(0, &mut y);
    match x.iter().zip(&y).position(|(p, q)| p != q) {
        None => Ok(()),
        Some(at) => Err(DiffError::Memory {
            index,
            op,
            what,
            at,
            reference: x[at],
            got: y[at],
        }),
    }
}

fn compare_stats_snapshot(
    index: u64,
    op: Command,
    a: &DmaRegion,
    b: &DmaRegion,
) -> Result<(), DiffError> {
    let read = |r: &DmaRegion| {
        let mut v = [0u8; STATS_SNAPSHOT_SIZE];
        r.read_bytes(0, &mut v);
        for c in UNCOMPARED {
            v[c as usize * 8..c as usize * 8 + 8].fill(0);
        }
        v
    };
    let (x, y) = (read(a), read(b));
    match x.iter().zip(&y).position(|(p, q)| p != q) {
        None => Ok(()),
        Some(at) => Err(DiffError::Memory {
            index,
            op,
            what: "STATS snapshots",
            at,
            reference: x[at],
            got: y[at],
        }),
    }
}

fn compare_counters(
    index: u64,
    a: &[u64; STAT_COUNT],
    b: &[u64; STAT_COUNT],
) -> Result<(), DiffError> {
    for c in StatCounter::ALL {
        if UNCOMPARED.contains(&c) {
            continue;
        }
        let (x, y) = (a[c as usize], b[c as usize]);
        if x != y {
            return Err(DiffError::Counter {
                index,
                counter: c.name(),
                reference: x,
                got: y,
            });
        }
    }
    Ok(())
}

/// The model as a target: the reference of every differential run.
pub struct ModelTarget {
    label: String,
    dev: std::sync::Arc<pagepress_firmware::model::SoftDevice>,
}

impl ModelTarget {
    /// The model of the device built from `params`, executing each command
    /// in the thread that rings the doorbell (deterministic order).
    pub fn new(label: &str, params: &pagepress_firmware::params::DeviceParams) -> Self {
        use pagepress_firmware::model::{Execution, SoftConfig, SoftDevice};
        let cfg = SoftConfig {
            execution: Execution::Inline,
            ..SoftConfig::from_params(params)
        };
        ModelTarget {
            label: label.to_string(),
            dev: SoftDevice::new(cfg),
        }
    }
}

impl Target for ModelTarget {
    fn label(&self) -> &str {
        &self.label
    }

    fn backend(&self) -> &dyn DeviceBackend {
        &*self.dev
    }

    fn flip_devmem_byte(&self, addr: u64, mask: u8) {
        self.dev.flip_devmem_byte(addr, mask);
    }
}

impl Reference for ModelTarget {
    fn frame_location(&self, slot: u32) -> Option<(u64, u32)> {
        self.dev.frame_location(slot)
    }
}

/// The Verilated device as a target (the device under test).
pub struct RtlTarget {
    dev: std::sync::Arc<crate::harness::SimDevice<crate::Device>>,
}

impl RtlTarget {
    /// The Verilated `SIM_DEVICE` under the harness with its default latencies.
    pub fn new() -> Self {
        use crate::Model;
        RtlTarget {
            dev: crate::harness::SimDevice::new(
                crate::Device::new(),
                crate::harness::HarnessConfig::default(),
            ),
        }
    }

    /// The harness's figures (cycles, per-command latencies).
    pub fn stats(&self) -> crate::harness::SimStats {
        self.dev.stats()
    }

    /// Why the device stopped, if it did (a hang or a port-protocol error).
    pub fn failure(&self) -> Option<crate::harness::HarnessError> {
        self.dev.failure()
    }
}

impl Default for RtlTarget {
    fn default() -> Self {
        Self::new()
    }
}

impl Target for RtlTarget {
    fn label(&self) -> &str {
        "rtl"
    }

    fn backend(&self) -> &dyn DeviceBackend {
        &*self.dev
    }

    fn flip_devmem_byte(&self, addr: u64, mask: u8) {
        self.dev.with_harness(|h| h.devmem_flip(addr, mask));
    }
}
