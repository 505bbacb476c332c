//! rust-hdl simulation of the executor against the behavioural model: the
//! same commands run on the RTL (with a host-memory IOMMU model and a
//! device memory of a few cycles' latency) and on a `SoftDevice`; every
//! completion, the host memory the commands write and every counter but the
//! two engine-cycle counters must agree. Plus the Verilog generation + lint.

use super::testutil::{DevMem, HostMem, settle, tick};
use super::*;
use crate::model::{Execution, SoftConfig, SoftDevice};
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME};
use pagepress_abi::format::{MAX_FRAME_SIZE, PAGE_SIZE, RLE_FRAME_SIZE};
use pagepress_abi::regs::{CONTROL_BASE, control, queues};
use pagepress_abi::stats::{STATS_SNAPSHOT_SIZE, StatCounter};
use pagepress_abi::{Command, Completion, Opcode, Status};
use pagepress_codec::corpus::{SplitMix64, SyntheticClass};
use pagepress_codec::{Page, compress_page};
use pagepress_pcie::ring::{CompletionRing, SubmissionRing};
use pagepress_pcie::{DeviceBackend, DmaRegion};
use std::sync::Arc;

/// A small device: index and memory fill up within a few commands.
const PARAMS: DeviceParams = DeviceParams {
    num_queues: 1,
    max_queue_log2: 4,
    devmem_bytes: 16 << 10,
    alloc_unit: 64,
    max_slots: 1 << 12,
    max_nr_pages: 4,
    index_nodes: 4,
    compressors: 1,
    decompressors: 1,
    build_id: 0,
};
type Exec = Executor<{ alloc_bits(&PARAMS) }, { node_bits(&PARAMS) }, { top_bits(&PARAMS) }>;
/// Host pages both sides map at the same IOVAs.
const HOST_PAGES: usize = 8;
const QUEUE_LOG2: u32 = 4;
/// An IOVA nothing maps.
const UNMAPPED: u64 = 0x8000;

/// The model device, driven through one queue.
struct Model {
    dev: Arc<SoftDevice>,
    sq: SubmissionRing,
    cq: CompletionRing,
}

impl Model {
    fn new(p: &DeviceParams) -> (Model, DmaRegion) {
        let dev = SoftDevice::new(SoftConfig {
            execution: Execution::Inline,
            ..SoftConfig::from_params(p)
        });
        let sq = SubmissionRing::new(dev.dma_alloc(32 << QUEUE_LOG2).unwrap(), QUEUE_LOG2);
        let cq = CompletionRing::new(dev.dma_alloc(16 << QUEUE_LOG2).unwrap(), QUEUE_LOG2);
        let data = dev.dma_alloc(HOST_PAGES * PAGE_SIZE).unwrap();
        for (reg, v) in [
            (queues::SQ_BASE_LO, sq.iova()),
            (queues::SQ_BASE_HI, sq.iova() >> 32),
            (queues::SQ_SIZE_LOG2, QUEUE_LOG2 as u64),
            (queues::CQ_BASE_LO, cq.iova()),
            (queues::CQ_BASE_HI, cq.iova() >> 32),
            (queues::CQ_SIZE_LOG2, QUEUE_LOG2 as u64),
            (queues::IRQ_VECTOR, 0),
            (queues::ENABLE, 1),
        ] {
            dev.bar0_write(queues::reg(0, reg), v as u32);
        }
        dev.bar0_write(CONTROL_BASE + control::CTRL, control::CTRL_ENABLE);
        (Model { dev, sq, cq }, data)
    }

    fn exec(&mut self, cmd: &Command) -> Completion {
        let tail = self.sq.push(cmd);
        self.dev
            .bar0_write(queues::reg(0, queues::SQ_TAIL_DB), tail);
        let c = self
            .cq
            .pop()
            .expect("the inline model completes at the doorbell");
        self.dev
            .bar0_write(queues::reg(0, queues::CQ_HEAD_DB), self.cq.head());
        c
    }
}

/// The executor with its host and device memories.
struct Rtl {
    uut: Box<Exec>,
    host: HostMem,
    mem: DevMem,
}

/// One command's outcome on the RTL.
#[derive(Debug)]
struct Outcome {
    status: u8,
    result: u32,
    info: u32,
    /// `cmd_valid` taken to `done`.
    cycles: u64,
}

impl Rtl {
    fn new(p: &DeviceParams, seed: u64, stall: bool) -> Rtl {
        let mut uut = Box::new(Exec::new(p));
        uut.connect_all();
        Rtl {
            uut,
            host: HostMem::new(SplitMix64(seed), stall),
            mem: DevMem::new(p.devmem_total_bytes(), 4, SplitMix64(seed + 1), stall),
        }
    }

    /// One clock: the memories drive, `f` sets inputs and reads the settled
    /// outputs, the memories see the requests, the edge.
    fn cycle<R>(&mut self, f: impl FnOnce(&mut Exec) -> R) -> R {
        let uut = &mut *self.uut;
        dma_drive!(self.host, uut);
        mem_drive!(self.mem, uut);
        settle(uut);
        let r = f(uut);
        settle(uut);
        dma_observe!(self.host, uut);
        mem_observe!(self.mem, uut);
        tick(uut, |u| &mut u.clock);
        r
    }

    fn exec(&mut self, cmd: &Command) -> Outcome {
        self.exec_with(cmd, |_, _| {})
    }

    /// Runs `cmd`; `hook` sets more inputs in each cycle (given its number).
    fn exec_with(&mut self, cmd: &Command, mut hook: impl FnMut(u64, &mut Exec)) -> Outcome {
        let mut taken = false;
        let mut cycles = 0u64;
        for cycle in 0.. {
            let (accepted, done) = self.cycle(|u| {
                u.cmd_valid.next = !taken;
                u.cmd_opcode.next = (cmd.opcode as u64).to_bits();
                u.cmd_flags.next = (cmd.flags as u64).to_bits();
                u.cmd_nr_pages.next = (cmd.nr_pages as u64).to_bits();
                u.cmd_slot.next = (cmd.slot as u64).to_bits();
                u.cmd_addr.next = cmd.addr.to_bits();
                u.cmd_len.next = (cmd.len as u64).to_bits();
                hook(cycle, u);
                settle(u);
                let accepted = !taken && u.cmd_ready.val();
                let done = u.done.val().then(|| {
                    (
                        u.status.val().to_u8(),
                        u.result.val().index() as u32,
                        u.info.val().index() as u32,
                    )
                });
                (accepted, done)
            });
            taken |= accepted;
            if taken {
                cycles += 1;
            }
            if let Some((status, result, info)) = done {
                assert!(taken, "done before the command was taken");
                assert!(self.host.idle(), "a DMA transfer outlived its command");
                return Outcome {
                    status,
                    result,
                    info,
                    cycles,
                };
            }
            assert!(cycles < 200_000, "{cmd:?} did not complete");
        }
        unreachable!()
    }

    fn stat(&mut self, c: usize) -> u64 {
        self.cycle(|u| u.stat_idx.next = (c as u64).to_bits());
        self.cycle(|u| u.stat_value.val().to_u64())
    }
}

/// The RTL and the model side by side.
struct Twin {
    rtl: Rtl,
    model: Model,
    data: DmaRegion,
}

impl Twin {
    fn new(seed: u64, stall: bool) -> Twin {
        let (model, data) = Model::new(&PARAMS);
        let mut rtl = Rtl::new(&PARAMS, seed, stall);
        rtl.host.map(data.iova(), data.len());
        Twin { rtl, model, data }
    }

    fn page_addr(&self, i: usize) -> u64 {
        self.data.iova() + (i * PAGE_SIZE) as u64
    }

    /// Puts `page` at host page `i` on both sides.
    fn put_page(&mut self, i: usize, page: &[u8]) {
        self.data.write_bytes(i * PAGE_SIZE, page);
        self.rtl.host.write(self.page_addr(i), page);
    }

    fn host_bytes(&self, i: usize, len: usize) -> Vec<u8> {
        self.rtl.host.read(self.page_addr(i), len)
    }

    /// Runs `cmd` on both; checks completion, host memory and counters.
    fn check(&mut self, cmd: Command) -> Outcome {
        let want = self.model.exec(&cmd);
        let got = self.rtl.exec(&cmd);
        let ctx = format!("{cmd:?}: rtl {got:?}, model {want:?}");
        assert_eq!(
            (got.status, got.result, got.info),
            (want.status, want.result, want.info),
            "{ctx}"
        );
        let mut model_host = vec![0u8; self.data.len()];
        self.data.read_bytes(0, &mut model_host);
        let mut rtl_host = self.rtl.host.read(self.data.iova(), self.data.len());
        if cmd.opcode == Opcode::Stats as u8 && want.status == Status::Ok as u8 {
            // The snapshot's engine-cycle counters are the expected difference.
            let at = (cmd.addr - self.data.iova()) as usize;
            let field = |c: StatCounter| at + 8 * c as usize..at + 8 * c as usize + 8;
            for c in [StatCounter::CompressCycles, StatCounter::DecompressCycles] {
                rtl_host[field(c)].copy_from_slice(&model_host[field(c)]);
            }
        }
        if let Some(i) = (0..rtl_host.len()).find(|&i| rtl_host[i] != model_host[i]) {
            panic!("{ctx}: host memory differs first at byte {i:#x}");
        }
        // Later commands compare against the model's snapshot bytes.
        let mut model_now = vec![0u8; self.data.len()];
        self.data.read_bytes(0, &mut model_now);
        self.rtl.host.write(self.data.iova(), &model_now);
        for c in StatCounter::ALL {
            if matches!(
                c,
                StatCounter::CompressCycles | StatCounter::DecompressCycles
            ) {
                continue;
            }
            let want = self.model.dev.stat(c);
            assert_eq!(
                self.rtl.stat(c as usize),
                want,
                "{ctx}: counter {}",
                c.name()
            );
        }
        got
    }

    /// Checks that the RTL holds `slot`'s frame where the model does (same
    /// allocator placement); returns its (address, length).
    fn same_frame_location(&self, slot: u32, frame: &[u8]) -> (u64, usize) {
        let (at, len) = self.model.dev.frame_location(slot).expect("a stored frame");
        assert_eq!(len as usize, frame.len());
        assert!(
            self.rtl.mem.bytes(at, frame.len()) == frame,
            "slot {slot}: frame not at {at:#x}"
        );
        (at, frame.len())
    }

    /// Flips one byte of `slot`'s frame on both sides, as the model's
    /// `corrupt_stored_frame` does.
    fn corrupt(&mut self, slot: u32, frame: &[u8], byte: usize) {
        let (at, len) = self.same_frame_location(slot, frame);
        assert!(self.model.dev.corrupt_stored_frame(slot, byte));
        let at = at as usize + byte % len;
        self.rtl.mem.words[at / 8] ^= 0x5a << (8 * (at % 8));
    }
}

fn cmd(op: Opcode, flags: u8, slot: u32, nr: u16, addr: u64, len: u32) -> Command {
    Command {
        flags,
        len,
        ..Command::new(op, 0, slot, nr, addr)
    }
}

fn frame_of(page: &Page) -> Vec<u8> {
    let mut f = Vec::new();
    compress_page(page, &mut f);
    f
}

#[test]
fn commands_match_the_model() {
    let mut t = Twin::new(1, false);
    let text = SyntheticClass::Text.page(0);
    let text2 = SyntheticClass::Text.page(1);
    let random = SyntheticClass::Random.page(0);
    let zero = SyntheticClass::Zero.page(0);
    let word: Vec<u8> = 0x0102_0304_0506_0708u64.to_le_bytes().repeat(PAGE_SIZE / 8);
    t.put_page(0, &zero[..]);
    t.put_page(1, &word);
    t.put_page(2, &text[..]);
    t.put_page(3, &random[..]);
    t.put_page(4, &text2[..]);
    let a = |t: &Twin, i| t.page_addr(i);

    // Commands that fail their checks.
    for c in [
        cmd(Opcode::Nop, 0, 0, 0, 0, 0),
        Command {
            opcode: Opcode::ALL.len() as u8,
            ..cmd(Opcode::Nop, 0, 0, 1, 0, 0)
        },
        cmd(Opcode::Nop, 0x80, 0, 1, 0, 0),
        cmd(Opcode::Store, CMD_FLAG_EXCLUSIVE, 5, 1, a(&t, 0), 0),
        cmd(Opcode::Store, 0, 5, 0, a(&t, 0), 0),
        cmd(
            Opcode::Store,
            0,
            5,
            PARAMS.max_nr_pages as u16 + 1,
            a(&t, 0),
            0,
        ),
        cmd(Opcode::Store, 0, PARAMS.max_slots - 1, 2, a(&t, 0), 0),
        cmd(Opcode::Load, CMD_FLAG_RAW_FRAME, 5, 2, a(&t, 5), 8192),
        cmd(
            Opcode::ReadForWriteback,
            CMD_FLAG_EXCLUSIVE,
            5,
            1,
            a(&t, 5),
            0,
        ),
        cmd(Opcode::Invalidate, 0, PARAMS.max_slots, 1, 0, 0),
        cmd(
            Opcode::Stats,
            0,
            0,
            0,
            a(&t, 7),
            STATS_SNAPSHOT_SIZE as u32 - 1,
        ),
    ] {
        t.check(c);
    }

    // STORE: a zero page, a word-filled page, a text page, a random page.
    let o = t.check(cmd(Opcode::Store, 0, 5, 1, a(&t, 0), 0));
    assert_eq!((o.status, o.info), (Status::Ok as u8, 1));
    eprintln!("STORE zero page (after power-up): {} cycles", o.cycles);
    let o = t.check(cmd(Opcode::Store, 0, 6, 1, a(&t, 1), 0));
    eprintln!("STORE word-filled page: {} cycles", o.cycles);
    let o = t.check(cmd(Opcode::Store, 0, 7, 1, a(&t, 2), 0));
    let frame = frame_of(&text);
    assert_eq!((o.status, o.result), (Status::Ok as u8, frame.len() as u32));
    eprintln!(
        "STORE text page ({} bytes): {} cycles",
        frame.len(),
        o.cycles
    );
    t.same_frame_location(7, &frame);
    let o = t.check(cmd(Opcode::Store, 0, 8, 1, a(&t, 3), 0));
    assert_eq!(o.status, Status::Incompressible as u8);
    // Three pages, the middle one same-filled.
    t.check(cmd(Opcode::Store, 0, 10, 3, a(&t, 2), 0));

    // LOAD back into host page 5..
    let o = t.check(cmd(Opcode::Load, 0, 7, 1, a(&t, 5), 0));
    assert!(
        t.host_bytes(5, PAGE_SIZE) == text[..],
        "loaded page differs"
    );
    eprintln!("LOAD text page: {} cycles", o.cycles);
    let o = t.check(cmd(Opcode::Load, 0, 5, 1, a(&t, 6), 0));
    eprintln!("LOAD zero page: {} cycles", o.cycles);
    t.check(cmd(Opcode::Load, 0, 10, 3, a(&t, 5), 0));
    t.check(cmd(Opcode::ReadForWriteback, 0, 6, 1, a(&t, 7), 0));
    // RAW_FRAME: a stored frame, an RLE fill frame, a raw fill frame, too small.
    let o = t.check(cmd(Opcode::Load, CMD_FLAG_RAW_FRAME, 7, 1, a(&t, 6), 8192));
    assert!(t.host_bytes(6, frame.len()) == frame, "raw frame differs");
    eprintln!("LOAD RAW_FRAME text page: {} cycles", o.cycles);
    let o = t.check(cmd(Opcode::Load, CMD_FLAG_RAW_FRAME, 5, 1, a(&t, 6), 8192));
    assert_eq!(o.result, RLE_FRAME_SIZE as u32);
    let o = t.check(cmd(Opcode::Load, CMD_FLAG_RAW_FRAME, 6, 1, a(&t, 6), 8192));
    assert_eq!(o.result, MAX_FRAME_SIZE as u32);
    let o = t.check(cmd(Opcode::Load, CMD_FLAG_RAW_FRAME, 7, 1, a(&t, 6), 100));
    assert_eq!(
        (o.status, o.result),
        (Status::BufferTooSmall as u8, frame.len() as u32)
    );
    // NOT_FOUND, at the first and at a later page.
    t.check(cmd(Opcode::Load, 0, 9, 1, a(&t, 5), 0));
    let o = t.check(cmd(Opcode::Load, 0, 7, 3, a(&t, 5), 0));
    assert_eq!((o.status, o.info), (Status::NotFound as u8, 1));

    // DMA faults: a STORE whose second page is unmapped (its first page's
    // entry goes too), a LOAD and a STATS into unmapped memory.
    let last = a(&t, HOST_PAGES - 1);
    let o = t.check(cmd(Opcode::Store, 0, 20, 2, last, 0));
    assert_eq!((o.status, o.info), (Status::DmaFault as u8, 1));
    t.check(cmd(Opcode::Load, 0, 7, 1, UNMAPPED, 0));
    t.check(cmd(Opcode::Load, CMD_FLAG_RAW_FRAME, 7, 1, UNMAPPED, 8192));
    t.check(cmd(Opcode::Stats, 0, 0, 0, UNMAPPED, 4096));

    // A corrupted frame: CORRUPT, and nothing written to the host.
    t.corrupt(7, &frame, 0);
    t.put_page(5, &zero[..]);
    let o = t.check(cmd(Opcode::Load, 0, 7, 1, a(&t, 5), 0));
    assert_eq!(o.status, Status::Corrupt as u8);
    assert!(
        t.host_bytes(5, PAGE_SIZE) == zero[..],
        "a corrupt page reached the host"
    );

    // Exclusive LOAD removes; INVALIDATE counts what it removes.
    t.check(cmd(Opcode::Load, CMD_FLAG_EXCLUSIVE, 10, 3, a(&t, 5), 0));
    t.check(cmd(Opcode::Load, 0, 10, 1, a(&t, 5), 0));
    let o = t.check(cmd(Opcode::Invalidate, 0, 4, 4, 0, 0));
    assert_eq!(o.result, 3);
    eprintln!("INVALIDATE 4 slots, 3 entries: {} cycles", o.cycles);
    t.check(cmd(
        Opcode::Stats,
        0,
        0,
        0,
        a(&t, 7),
        STATS_SNAPSHOT_SIZE as u32,
    ));

    // NO_SPACE: the index holds 4 leaves of 64 slots; the second page of this
    // STORE needs a fifth (its first page's entry is rolled back).
    for s in [64, 128, 192] {
        t.check(cmd(Opcode::Store, 0, s, 1, a(&t, 0), 0));
    }
    t.check(cmd(Opcode::Store, 0, 7, 1, a(&t, 2), 0));
    let o = t.check(cmd(Opcode::Store, 0, 255, 2, a(&t, 0), 0));
    assert_eq!((o.status, o.info), (Status::NoSpace as u8, 1));
    // ... and device memory runs out.
    let mut s = 192;
    loop {
        s += 1;
        let o = t.check(cmd(
            Opcode::Store,
            0,
            s,
            1,
            a(&t, 2 + 2 * (s as usize % 2)),
            0,
        ));
        if o.status == Status::NoSpace as u8 {
            break;
        }
        assert!(s < 230, "device memory never filled");
    }
    t.check(cmd(Opcode::Stats, 0, 0, 0, a(&t, 7), 4096));

    // RESET drops everything.
    t.check(cmd(Opcode::Reset, 0, 0, 0, 0, 0));
    t.check(cmd(Opcode::Load, 0, 7, 1, a(&t, 5), 0));
    t.check(cmd(Opcode::Stats, 0, 0, 0, a(&t, 7), 4096));
    assert!(t.rtl.stat(StatCounter::CompressCycles as usize) > 0);
    assert!(t.rtl.stat(StatCounter::DecompressCycles as usize) > 0);
}

#[test]
fn executor_verilog_lints() {
    let v =
        executor_verilog::<{ alloc_bits(&PARAMS) }, { node_bits(&PARAMS) }, { top_bits(&PARAMS) }>(
            &PARAMS,
        );
    assert!(v.contains("module top"));
    // The SIM_DEVICE build too: the same logic with its RAM sizes.
    let mut sim = SimExecutor::new(&crate::params::SIM_DEVICE);
    sim.connect_all();
    let sim_v = generate_verilog(&sim);
    pagepress_rtl::lint::lint_verilog("executor_sim_device", &sim_v).unwrap();
    pagepress_rtl::lint::lint_verilog("executor", &v).unwrap();
}

/// A seeded random command stream (every opcode, flags, ranges across index
/// leaves, host ranges that run past the mapping, a corrupted frame), with
/// the host and device memories pausing at random, against the model.
#[test]
fn random_commands_match_the_model() {
    let mut t = Twin::new(7, true);
    let mut rng = SplitMix64(0x5eed_e7ec);
    let byte_fill = [0x42u8; PAGE_SIZE];
    let word: Vec<u8> = 0x8000_0000_0000_0001u64.to_le_bytes().repeat(PAGE_SIZE / 8);
    let sources: [&[u8]; 5] = [
        &SyntheticClass::Zero.page(0)[..],
        &word,
        &SyntheticClass::Text.page(3)[..],
        &SyntheticClass::Random.page(1)[..],
        &byte_fill,
    ];
    for (i, p) in sources.iter().enumerate() {
        t.put_page(i, p);
    }
    let slots = [0u32, 1, 2, 3, 4, 5, 64, 65, 66, 130, 200, 201];
    let mut seen = std::collections::HashSet::new();
    let mut corrupted = false;
    // The first slot of the last successful STORE: LOADs go there half the time.
    let mut stored = 0u32;
    for step in 0..40 {
        let slot = slots[rng.below(slots.len() as u64) as usize];
        let load_slot = if rng.below(2) == 0 { stored } else { slot };
        let nr = 1 + rng.below(PARAMS.max_nr_pages as u64) as u16;
        let c = match rng.below(20) {
            0..=6 => {
                let src = rng.below(5) as usize;
                // Mostly text pages, which make frames.
                let src = if rng.below(2) == 0 { 2 } else { src };
                cmd(Opcode::Store, 0, slot, nr, t.page_addr(src), 0)
            }
            7..=11 => {
                let flags = [0, 0, CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME][rng.below(4) as usize]
                    | if rng.below(4) == 0 {
                        CMD_FLAG_EXCLUSIVE
                    } else {
                        0
                    };
                let nr = if flags & CMD_FLAG_RAW_FRAME != 0 {
                    1
                } else {
                    nr.min(3)
                };
                let len = [100, 2000, 8192][rng.below(3) as usize];
                let to = t.page_addr(5 + rng.below(3) as usize);
                cmd(Opcode::Load, flags, load_slot, nr, to, len)
            }
            12 => cmd(
                Opcode::ReadForWriteback,
                0,
                slot,
                nr.min(2),
                t.page_addr(6),
                0,
            ),
            13 | 14 => cmd(Opcode::Invalidate, 0, slot, nr, 0, 0),
            15 => cmd(Opcode::Stats, 0, 0, 0, t.page_addr(7), 4096),
            16 => cmd(Opcode::Load, 0, load_slot, 1, UNMAPPED, 0),
            17 => cmd(Opcode::Store, 0, slot, nr, t.page_addr(HOST_PAGES - 1), 0),
            18 if step > 30 => cmd(Opcode::Reset, 0, 0, 0, 0, 0),
            _ => cmd(Opcode::Nop, rng.below(4) as u8, 0, 0, 0, 0),
        };
        // Once, corrupt a stored text frame and load it.
        let text = frame_of(&SyntheticClass::Text.page(3));
        let text_slot = slots.iter().copied().find(|&s| {
            t.model
                .dev
                .frame_location(s)
                .is_some_and(|(_, len)| len as usize == text.len())
        });
        if let Some(s) = text_slot.filter(|_| !corrupted && step > 20) {
            t.corrupt(s, &text, 3);
            corrupted = true;
            let o = t.check(cmd(Opcode::Load, 0, s, 1, t.page_addr(6), 0));
            seen.insert((Opcode::Load as u8, o.status));
        }
        let o = t.check(c);
        if c.opcode == Opcode::Store as u8 && o.status == Status::Ok as u8 {
            stored = c.slot;
        }
        seen.insert((c.opcode, o.status));
    }
    // The stream reached the interesting outcomes.
    for want in [
        (Opcode::Store as u8, Status::Ok),
        (Opcode::Store as u8, Status::Incompressible),
        (Opcode::Store as u8, Status::DmaFault),
        (Opcode::Load as u8, Status::Ok),
        (Opcode::Load as u8, Status::NotFound),
        (Opcode::Load as u8, Status::Corrupt),
    ] {
        assert!(
            seen.contains(&(want.0, want.1 as u8)),
            "never saw {want:?} in {seen:?}"
        );
    }
}

/// The CSR's side doors: `clear_stats` zeroes every counter but the two
/// gauges; `reset_entries` drops every entry (holding `cmd_ready` low while it
/// runs) and frees all device memory.
#[test]
fn reset_entries_and_clear_stats() {
    let mut rtl = Rtl::new(&PARAMS, 3, false);
    rtl.host.map(0x10_0000, 2 * PAGE_SIZE);
    rtl.host.write(0x10_0000, &SyntheticClass::Text.page(0)[..]);
    for slot in [1, 70] {
        let o = rtl.exec(&cmd(Opcode::Store, 0, slot, 2, 0x10_0000, 0));
        assert_eq!(o.status, Status::Ok as u8);
    }
    let entries = StatCounter::Entries as usize;
    let used = StatCounter::DevmemUsed as usize;
    assert_eq!(rtl.stat(entries), 4);
    let used_bytes = rtl.stat(used);
    assert!(used_bytes > 0);
    assert_eq!(rtl.stat(StatCounter::StoreCmds as usize), 2);
    rtl.cycle(|u| u.clear_stats.next = true);
    rtl.cycle(|u| u.clear_stats.next = false);
    for c in StatCounter::ALL {
        let want = match c {
            StatCounter::Entries => 4,
            StatCounter::DevmemUsed => used_bytes,
            _ => 0,
        };
        assert_eq!(rtl.stat(c as usize), want, "{} after clear_stats", c.name());
    }
    rtl.cycle(|u| u.reset_entries.next = true);
    rtl.cycle(|u| {
        u.reset_entries.next = false;
    });
    let mut busy = 0;
    while !rtl.cycle(|u| u.cmd_ready.val()) {
        busy += 1;
        assert!(busy < 10_000, "reset_entries never finished");
    }
    assert!(busy > 0, "cmd_ready stayed high during reset_entries");
    assert_eq!((rtl.stat(entries), rtl.stat(used)), (0, 0));
    let o = rtl.exec(&cmd(Opcode::Load, 0, 1, 1, 0x10_0000, 0));
    assert_eq!((o.status, o.info), (Status::NotFound as u8, 0));
    // reset_entries does not complete a command.
    assert_eq!(rtl.stat(StatCounter::ErrNotFound as usize), 1);
    // A pulse with a command, or while one runs, is kept: the command
    // completes, then the entries go.
    for at in [0, 30] {
        let store = cmd(Opcode::Store, 0, 1, 2, 0x10_0000, 0);
        let o = rtl.exec_with(&store, |c, u| u.reset_entries.next = c == at);
        assert_eq!(
            o.status,
            Status::Ok as u8,
            "STORE with a reset pulse at {at}"
        );
        while !rtl.cycle(|u| u.cmd_ready.val()) {}
        assert_eq!(rtl.stat(entries), 0, "reset pulse at {at} was lost");
    }
}

/// Post-synthesis cell counts of the SIM_DEVICE executor (yosys
/// `synth_xilinx`; several minutes: `--ignored`).
#[test]
#[ignore]
fn executor_area() {
    let mut uut = SimExecutor::new(&crate::params::SIM_DEVICE);
    uut.connect_all();
    let stats = pagepress_rtl::synth::synth_xilinx("executor", &generate_verilog(&uut)).unwrap();
    eprintln!("SIM_DEVICE executor: {stats:?}");
}
