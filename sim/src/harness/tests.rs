//! The harness and `SimDevice` against the mock device: every port path, the
//! timing it promises, faults, and the cycle accounting (checked against the
//! mock's own log of the edges things happened on).

use super::mock::{
    Event, HANG_READ, HANG_READY, LOAD_CYCLES_PER_PAGE, MockDevice, OP_COPY, OP_MEM, OP_STRAY_BEAT,
    REG_READY_DELAY, SCRATCH, SLOW_READ, STORE_CYCLES_PER_PAGE,
};
use super::*;
use crate::Port;
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME};
use pagepress_abi::regs::{CONTROL_BASE, IDENTITY_BASE, control, identity, queues};
use pagepress_abi::{Command, Completion, DEVICE_MAGIC, Opcode, Status};
use pagepress_codec::corpus::SplitMix64;
use pagepress_pcie::ring::{CompletionRing, SubmissionRing};
use pagepress_pcie::{DeviceBackend, DmaRegion};
use std::sync::Arc;
use std::sync::atomic::{Ordering, fence};
use std::time::{Duration, Instant};

type Harness = DeviceHarness<MockDevice>;

/// Cycles any test's command sequence finishes in.
const RUN_LIMIT: u64 = 1_000_000;
const DEVMEM_BYTES: u64 = 1 << 16;

fn config(dma_latency: u64, devmem_latency: u64) -> HarnessConfig {
    HarnessConfig {
        dma_latency,
        devmem_latency,
        devmem_bytes: DEVMEM_BYTES,
        ..HarnessConfig::default()
    }
}

fn harness(dma_latency: u64, devmem_latency: u64) -> Harness {
    DeviceHarness::new(MockDevice::new(), config(dma_latency, devmem_latency))
}

/// BAR0 and DMA memory as a host sees them, harness or backend.
trait Host {
    fn write(&mut self, offset: u32, value: u32);
    fn alloc(&mut self, len: usize) -> DmaRegion;
}

impl Host for Harness {
    fn write(&mut self, offset: u32, value: u32) {
        self.reg_write(offset, value).unwrap()
    }
    fn alloc(&mut self, len: usize) -> DmaRegion {
        self.dma_space().alloc(len)
    }
}

impl Host for Arc<SimDevice<MockDevice>> {
    fn write(&mut self, offset: u32, value: u32) {
        self.bar0_write(offset, value)
    }
    fn alloc(&mut self, len: usize) -> DmaRegion {
        self.dma_alloc(len).unwrap()
    }
}

/// The host half of one queue pair of the mock.
struct HostQueue {
    q: u32,
    sq: SubmissionRing,
    cq: CompletionRing,
}

impl HostQueue {
    fn open(h: &mut impl Host, q: u32, log2: u32, vector: u32) -> Self {
        let sq = SubmissionRing::new(h.alloc(32 << log2), log2);
        let cq = CompletionRing::new(h.alloc(16 << log2), log2);
        let r = |reg| queues::reg(q, reg);
        h.write(r(queues::SQ_BASE_LO), sq.iova() as u32);
        h.write(r(queues::SQ_BASE_HI), (sq.iova() >> 32) as u32);
        h.write(r(queues::SQ_SIZE_LOG2), log2);
        h.write(r(queues::CQ_BASE_LO), cq.iova() as u32);
        h.write(r(queues::CQ_BASE_HI), (cq.iova() >> 32) as u32);
        h.write(r(queues::CQ_SIZE_LOG2), log2);
        h.write(r(queues::IRQ_VECTOR), vector);
        h.write(r(queues::ENABLE), 1);
        h.write(CONTROL_BASE + control::CTRL, control::CTRL_ENABLE);
        HostQueue { q, sq, cq }
    }

    /// Writes `cmds` and rings the doorbell once.
    fn submit(&mut self, h: &mut impl Host, cmds: &[Command]) {
        let mut tail = 0;
        for c in cmds {
            tail = self.sq.push(c);
        }
        fence(Ordering::Release);
        h.write(queues::reg(self.q, queues::SQ_TAIL_DB), tail);
    }

    /// Takes the posted completions and releases their entries.
    fn complete(&mut self, h: &mut impl Host) -> Vec<Completion> {
        let out: Vec<Completion> = std::iter::from_fn(|| self.cq.pop()).collect();
        if !out.is_empty() {
            h.write(queues::reg(self.q, queues::CQ_HEAD_DB), self.cq.head());
        }
        out
    }
}

fn command(opcode: u8, cid: u16, nr_pages: u16) -> Command {
    Command {
        opcode,
        cid,
        nr_pages,
        ..Default::default()
    }
}

/// The copy command of the mock: `chunks` chunks of `len` bytes from `src` to `dst`.
fn copy(cid: u16, src: u64, dst: u64, len: u32, chunks: u16) -> Command {
    Command {
        slot: u32::try_from(dst - src).unwrap(),
        addr: src,
        len,
        ..command(OP_COPY, cid, chunks)
    }
}

fn status(c: &Completion) -> Status {
    Status::from_u8(c.status).unwrap()
}

fn region_bytes(r: &DmaRegion) -> Vec<u8> {
    let mut v = vec![0u8; r.len()];
    r.read_bytes(0, &mut v);
    v
}

fn random_bytes(rng: &mut SplitMix64, n: usize) -> Vec<u8> {
    (0..n).map(|_| rng.next_u64() as u8).collect()
}

#[test]
fn default_latency_is_one_pcie_round_trip() {
    let c = HarnessConfig::default();
    assert_eq!((c.clock_mhz, c.dma_latency), (250, 212));
    assert_eq!(HarnessConfig::at_clock(100).dma_latency, 85);
    assert_eq!(
        c.devmem_bytes,
        pagepress_firmware::params::SIM_DEVICE.devmem_total_bytes()
    );
}

#[test]
fn the_contract_port_table_is_checked() {
    assert_eq!(check_ports(<MockDevice as crate::Model>::PORTS), Ok(()));
    let mut ports: Vec<Port> = TOP_PORTS.to_vec();
    let len = ports.iter_mut().find(|p| p.name == "dma_req_len").unwrap();
    len.width = 32;
    ports.retain(|p| p.name != "idle");
    ports.push(Port {
        name: "rst",
        output: false,
        width: 1,
    });
    let err = check_ports(&ports).unwrap_err();
    assert!(err.contains("`dma_req_len`: output 32 bits"), "{err}");
    assert!(err.contains("missing `idle`"), "{err}");
    assert!(err.contains("unexpected `rst`"), "{err}");
}

#[test]
fn registers_answer_through_the_handshake() {
    let mut h = harness(8, 4);
    assert_eq!(
        h.reg_read(IDENTITY_BASE + identity::MAGIC),
        Ok(DEVICE_MAGIC)
    );
    let mut rng = SplitMix64(1);
    for _ in 0..20 {
        let v = rng.next_u64() as u32;
        h.reg_write(SCRATCH, v).unwrap();
        assert_eq!(h.reg_read(SCRATCH), Ok(v));
    }
    let waits: Vec<u32> = h
        .ports()
        .log
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Reg { waited, .. } => Some(*waited),
            _ => None,
        })
        .collect();
    // Every access was offered until the device took it, and taken once;
    // SCRATCH is taken on the first cycle of its offer (through `eval`).
    let mut want = vec![REG_READY_DELAY];
    want.extend([0; 40]);
    assert_eq!(waits, want);
}

#[test]
fn register_timeouts_are_errors_and_the_port_recovers() {
    let mut h = DeviceHarness::new(
        MockDevice::new(),
        HarnessConfig {
            reg_timeout: 100,
            ..config(8, 4)
        },
    );
    let start = h.cycles();
    assert_eq!(
        h.reg_read(HANG_READY),
        Err(HarnessError::RegTimeout {
            offset: HANG_READY,
            write: false,
            cycles: 100
        })
    );
    assert_eq!(h.cycles() - start, 100);
    assert!(matches!(
        h.reg_write(HANG_READY, 1),
        Err(HarnessError::RegTimeout { write: true, .. })
    ));
    h.reg_write(SCRATCH, 7).unwrap();
    assert_eq!(h.reg_read(SCRATCH), Ok(7));
    // Taken, never answered; then taken, answered after the timeout: neither
    // answer is taken for a later read's.
    for offset in [HANG_READ, SLOW_READ] {
        assert!(matches!(
            h.reg_read(offset),
            Err(HarnessError::RegTimeout { write: false, .. })
        ));
        assert_eq!(h.reg_read(SCRATCH), Ok(7));
    }
    let taken = h
        .ports()
        .edges(|e| matches!(e, Event::Reg { offset, .. } if *offset == HANG_READY));
    assert!(taken.is_empty(), "HANG_READY was never ready");
}

/// The edges the harness promises for the logged reads and writes: read
/// beats from `latency` after the request, back to back in request order;
/// write acks `latency` after the last beat, one per edge.
fn check_dma_timing(log: &[(u64, Event)], latency: u64) {
    let (mut want_beats, mut got_beats) = (Vec::new(), Vec::new());
    let (mut want_acks, mut got_acks) = (Vec::new(), Vec::new());
    let mut free = 0;
    for &(edge, e) in log {
        match e {
            Event::DmaReq {
                write: false, len, ..
            } => {
                let start = (edge + latency).max(free);
                let n = (len as u64).div_ceil(8);
                want_beats.extend((start..start + n).map(|t| (t, t + 1 == start + n)));
                free = start + n;
            }
            Event::ReadBeat { last, err: false } => got_beats.push((edge, last)),
            Event::WriteBeat { last: true } => {
                let due = (edge + latency).max(want_acks.last().map_or(0, |&d| d + 1));
                want_acks.push(due);
            }
            Event::WriteAck { ok: true } => got_acks.push(edge),
            _ => {}
        }
    }
    assert_eq!(got_beats, want_beats, "read beats at latency {latency}");
    assert_eq!(got_acks, want_acks, "write acks at latency {latency}");
}

#[test]
fn dma_takes_the_round_trip_latency_in_request_order() {
    for latency in [1, 5, 212] {
        let mut h = harness(latency, 4);
        let mut hq = HostQueue::open(&mut h, 0, 2, 0);
        let buf = h.dma_space().alloc(4096);
        let data = random_bytes(&mut SplitMix64(latency), 120);
        buf.write_bytes(0, &data);
        let cmd = copy(1, buf.iova(), buf.iova() + 1000, 40, 3);
        hq.submit(&mut h, &[cmd]);
        h.run_until_idle(RUN_LIMIT).unwrap();
        let cpl = hq.complete(&mut h);
        assert_eq!(cpl.len(), 1);
        assert_eq!((status(&cpl[0]), cpl[0].result), (Status::Ok, 120));
        assert_eq!(&region_bytes(&buf)[1000..1120], &data[..]);
        let log = &h.ports().log;
        check_dma_timing(log, latency);
        // The three reads and the three writes were each issued back to back,
        // all outstanding at once.
        let reads = h.ports().edges(|e| {
            matches!(
                e,
                Event::DmaReq {
                    write: false,
                    len: 40,
                    ..
                }
            )
        });
        let writes = h.ports().edges(|e| {
            matches!(
                e,
                Event::DmaReq {
                    write: true,
                    len: 40,
                    ..
                }
            )
        });
        assert_eq!(reads.len(), 3);
        assert_eq!(writes.len(), 3);
        assert_eq!(reads[2] - reads[0], 2);
        // Beats 0..4 are the command fetch's.
        let first_beat = h.ports().edges(|e| matches!(e, Event::ReadBeat { .. }))[4];
        assert_eq!(first_beat, reads[0] + latency);
        if latency > 2 {
            assert!(first_beat > reads[2], "all three reads outstanding");
        }
        let stats = h.stats();
        assert_eq!((stats.dma.reads, stats.dma.read_bytes), (4, 32 + 120));
        // Three chunks and one completion.
        assert_eq!((stats.dma.writes, stats.dma.write_bytes), (4, 120 + 16));
    }
}

#[test]
fn faults_answer_rerr_or_bok_zero_and_move_nothing() {
    let mut h = harness(3, 4);
    let mut hq = HostQueue::open(&mut h, 0, 2, 0);
    let buf = h.dma_space().alloc(4096);
    let fill = random_bytes(&mut SplitMix64(3), 4096);
    buf.write_bytes(0, &fill);
    // An unmapped source (the guard page after the region): each read is one
    // beat with rerr and rlast.
    let unmapped = buf.iova() + 4096;
    hq.submit(&mut h, &[copy(1, unmapped, unmapped, 24, 2)]);
    h.run_until_idle(RUN_LIMIT).unwrap();
    let cpl = hq.complete(&mut h);
    assert_eq!(status(&cpl[0]), Status::DmaFault);
    let beats: Vec<Event> = h.ports().log.iter().map(|&(_, e)| e).collect();
    let faulted = beats
        .iter()
        .filter(|e| {
            **e == Event::ReadBeat {
                last: true,
                err: true,
            }
        })
        .count();
    assert_eq!(faulted, 2);
    // A destination running 20 bytes past the region's end: refused whole.
    hq.submit(&mut h, &[copy(2, buf.iova(), buf.iova() + 4076, 40, 1)]);
    h.run_until_idle(RUN_LIMIT).unwrap();
    let cpl = hq.complete(&mut h);
    assert_eq!(status(&cpl[0]), Status::DmaFault);
    assert!(
        h.ports()
            .log
            .iter()
            .any(|&(_, e)| e == Event::WriteAck { ok: false })
    );
    assert_eq!(region_bytes(&buf), fill, "a refused write moved bytes");
    // One starting 4 bytes before the next region (in the guard between the
    // two): refused whole too, though all but its first word is mapped.
    let next = h.dma_space().alloc(4096);
    assert!(next.iova() > buf.iova());
    hq.submit(&mut h, &[copy(3, buf.iova(), next.iova() - 4, 40, 1)]);
    h.run_until_idle(RUN_LIMIT).unwrap();
    assert_eq!(status(&hq.complete(&mut h)[0]), Status::DmaFault);
    assert_eq!(
        region_bytes(&next),
        vec![0; 4096],
        "a refused write moved bytes"
    );
    let stats = h.stats();
    assert_eq!((stats.dma.read_faults, stats.dma.write_faults), (2, 2));
    // A command fetch that faults puts the queue in error; nothing is posted.
    let r = |reg| queues::reg(1, reg);
    let cq = h.dma_space().alloc(64);
    for (reg, v) in [
        (queues::SQ_BASE_LO, 0x10),
        (queues::SQ_BASE_HI, 0),
        (queues::SQ_SIZE_LOG2, 2),
        (queues::CQ_BASE_LO, cq.iova() as u32),
        (queues::CQ_BASE_HI, (cq.iova() >> 32) as u32),
        (queues::CQ_SIZE_LOG2, 2),
        (queues::ENABLE, 1),
        (queues::SQ_TAIL_DB, 1),
    ] {
        h.reg_write(r(reg), v).unwrap();
    }
    h.run_until_idle(RUN_LIMIT).unwrap();
    assert_eq!(
        h.reg_read(r(queues::QSTATUS)),
        Ok(queues::QSTATUS_ENABLED | queues::QSTATUS_ERROR)
    );
    assert_eq!(region_bytes(&cq), vec![0; 64]);
    assert_eq!(h.irq_lines()[1].count(), 0);
}

/// Random copies (lengths, alignments, overlaps, runs off the end) against a
/// byte model of the region: the bytes around every write stay as they were.
#[test]
fn random_copies_keep_the_bytes_around_them() {
    const REGION: usize = 8192;
    let mut rng = SplitMix64(0x5eed);
    let mut h = harness(2, 4);
    let mut hq = HostQueue::open(&mut h, 0, 3, 0);
    let buf = h.dma_space().alloc(REGION);
    let mut model = random_bytes(&mut rng, REGION);
    buf.write_bytes(0, &model);
    for cid in 0..150u16 {
        h.set_dma_latency(1 + rng.below(24));
        let len = 1 + rng.below(100) as usize;
        let chunks = 1 + rng.below(3) as usize;
        let src = rng.below((REGION / 2) as u64) as usize;
        let dst = src + rng.below((REGION - src) as u64) as usize;
        let cmd = copy(
            cid,
            buf.iova() + src as u64,
            buf.iova() + dst as u64,
            len as u32,
            chunks as u16,
        );
        hq.submit(&mut h, &[cmd]);
        h.run_until_idle(RUN_LIMIT).unwrap();
        let cpl = hq.complete(&mut h);
        assert_eq!(cpl.len(), 1);
        // All reads first (they are all in the region), then chunk by chunk.
        let data = model[src..src + chunks * len].to_vec();
        let mut faulted = false;
        for k in 0..chunks {
            let at = dst + k * len;
            if at + len <= REGION {
                model[at..at + len].copy_from_slice(&data[k * len..(k + 1) * len]);
            } else {
                faulted = true;
            }
        }
        let want = if faulted {
            Status::DmaFault
        } else {
            Status::Ok
        };
        assert_eq!(
            status(&cpl[0]),
            want,
            "copy {cid}: {len}x{chunks} {src} -> {dst}"
        );
        assert!(
            region_bytes(&buf) == model,
            "copy {cid}: {len}x{chunks} {src} -> {dst}"
        );
    }
}

#[test]
fn devmem_answers_in_order_after_its_latency() {
    const LATENCY: u64 = 9;
    let mut h = harness(3, LATENCY);
    let mut hq = HostQueue::open(&mut h, 0, 2, 0);
    let (slot, value) = (64u32, 0x1122_3344_5566_7788u64);
    h.devmem_write(slot as u64 + 8, &0xaabb_ccddu64.to_le_bytes());
    let mem = |cid, addr| Command {
        slot,
        addr,
        ..command(OP_MEM, cid, 1)
    };
    hq.submit(&mut h, &[mem(1, value)]);
    h.run_until_idle(RUN_LIMIT).unwrap();
    let cpl = hq.complete(&mut h);
    assert_eq!((cpl[0].result, cpl[0].info), (0x5566_7788, 0xaabb_ccdd));
    let mut word = [0u8; 8];
    h.devmem_read(slot as u64, &mut word);
    assert_eq!(u64::from_le_bytes(word), value);
    let reqs = h.ports().edges(|e| matches!(e, Event::MemReq { .. }));
    let data = h.ports().edges(|e| matches!(e, Event::MemData));
    assert_eq!(reqs.len(), 3);
    assert_eq!(reqs[2] - reqs[0], 2, "one request per cycle");
    assert_eq!(data, vec![reqs[1] + LATENCY, reqs[2] + LATENCY]);
    // Corrupting a byte behind the device's back shows in what it reads.
    h.devmem_flip(slot as u64 + 8, 0x01);
    hq.submit(&mut h, &[mem(2, 5)]);
    h.run_until_idle(RUN_LIMIT).unwrap();
    let cpl = hq.complete(&mut h);
    assert_eq!((cpl[0].result, cpl[0].info), (5, 0xaabb_ccdc));
    let stats = h.stats();
    assert_eq!((stats.devmem.reads, stats.devmem.writes), (4, 2));
    // An address past the end is the device's bug: the harness stops.
    hq.submit(
        &mut h,
        &[Command {
            slot: DEVMEM_BYTES as u32,
            ..mem(3, 0)
        }],
    );
    let err = h.run_until_idle(RUN_LIMIT).unwrap_err();
    assert!(
        matches!(&err, HarnessError::Protocol { what, .. } if what.contains("device-memory write")),
        "{err}"
    );
    assert_eq!(h.step(), Err(err));
}

#[test]
fn irq_pulses_raise_their_vectors() {
    let mut h = harness(3, 4);
    let mut q0 = HostQueue::open(&mut h, 0, 2, 3);
    let mut q1 = HostQueue::open(&mut h, 1, 2, 5);
    let nops = |n: u16| {
        (0..n)
            .map(|c| command(Opcode::Nop as u8, c, 0))
            .collect::<Vec<_>>()
    };
    q0.submit(&mut h, &nops(3));
    q1.submit(&mut h, &nops(2));
    h.run_until_idle(RUN_LIMIT).unwrap();
    assert_eq!(q0.complete(&mut h).len(), 3);
    q0.submit(&mut h, &nops(1));
    h.run_until_idle(RUN_LIMIT).unwrap();
    let counts = |h: &Harness| h.irq_lines().iter().map(|l| l.count()).collect::<Vec<_>>();
    assert_eq!(counts(&h), [0, 0, 0, 4, 0, 2, 0, 0]);
    // A masked queue posts without interrupting.
    h.reg_write(CONTROL_BASE + control::IRQ_MASK, 1 << 1)
        .unwrap();
    assert_eq!(q1.complete(&mut h).len(), 2);
    q1.submit(&mut h, &nops(3));
    h.run_until_idle(RUN_LIMIT).unwrap();
    assert_eq!(q1.complete(&mut h).len(), 3);
    assert_eq!(counts(&h), [0, 0, 0, 4, 0, 2, 0, 0]);
}

fn is_doorbell(offset: u32) -> bool {
    offset
        .checked_sub(queues::reg(0, 0))
        .is_some_and(|rel| rel % queues::STRIDE_BYTES == queues::SQ_TAIL_DB)
}

#[test]
fn cycle_accounting_matches_the_device_timeline() {
    let mut h = harness(7, 4);
    let mut q0 = HostQueue::open(&mut h, 0, 2, 0);
    let mut q1 = HostQueue::open(&mut h, 1, 3, 1);
    let (store, load) = (Opcode::Store as u8, Opcode::Load as u8);
    let with_flags = |c: Command, flags| Command { flags, ..c };
    // (queue, commands) per doorbell; queue 0's ring of 4 wraps.
    let batches: Vec<(usize, Vec<Command>)> = vec![
        (
            0,
            vec![
                command(store, 1, 4),
                command(load, 2, 2),
                command(Opcode::Nop as u8, 3, 0),
            ],
        ),
        (
            1,
            vec![
                with_flags(command(store, 4, 1), CMD_FLAG_EXCLUSIVE), // BAD_COMMAND
                with_flags(command(load, 5, 1), CMD_FLAG_RAW_FRAME),
                command(store, 6, 1),
            ],
        ),
        (
            0,
            vec![
                with_flags(command(load, 7, 3), CMD_FLAG_EXCLUSIVE),
                command(store, 8, 2),
            ],
        ),
    ];
    let qs = [&mut q0, &mut q1];
    for (i, (q, cmds)) in batches.iter().enumerate() {
        qs[*q].submit(&mut h, cmds);
        if i == 1 {
            // The third batch reuses queue 0's ring entries.
            h.run_until_idle(RUN_LIMIT).unwrap();
            assert_eq!(qs[0].complete(&mut h).len(), 3);
        }
    }
    h.run_until_idle(RUN_LIMIT).unwrap();
    let log = h.ports().log.clone();
    // Expected samples from the mock's own log: the doorbell's edge, the edge
    // of the completion's last beat.
    let doorbells: Vec<u64> = log
        .iter()
        .filter(
            |(_, e)| matches!(e, Event::Reg { offset, write: true, .. } if is_doorbell(*offset)),
        )
        .map(|&(c, _)| c)
        .collect();
    assert_eq!(doorbells.len(), 3);
    let (mut want_store, mut want_load) = (Vec::new(), Vec::new());
    for &(edge, e) in &log {
        let Event::Posted { cid, .. } = e else {
            continue;
        };
        let (batch, cmd) = batches
            .iter()
            .enumerate()
            .find_map(|(b, (_, cmds))| cmds.iter().find(|c| c.cid == cid).map(|c| (b, c)))
            .unwrap();
        let nr = cmd.nr_pages as u64;
        let per_page = (edge - doorbells[batch] + nr / 2) / nr.max(1);
        match cid {
            1 | 6 | 8 => want_store.push(per_page),
            2 | 7 => want_load.push(per_page),
            _ => {}
        }
    }
    let stats = h.stats();
    assert_eq!(stats.store_cycles, want_store);
    assert_eq!(stats.load_cycles, want_load);
    assert_eq!(stats.completions, 8);
    assert!(
        stats
            .store_cycles
            .iter()
            .all(|&c| c >= STORE_CYCLES_PER_PAGE as u64)
    );
    assert!(
        stats
            .load_cycles
            .iter()
            .all(|&c| c >= LOAD_CYCLES_PER_PAGE as u64)
    );
    assert_eq!(stats.device_cycles, h.cycles());
}

#[test]
fn run_until_idle_gives_up_at_its_limit() {
    let mut h = harness(3, 4);
    let mut hq = HostQueue::open(&mut h, 0, 2, 0);
    hq.submit(&mut h, &[command(Opcode::Store as u8, 1, 100)]);
    assert_eq!(
        h.run_until_idle(1000),
        Err(HarnessError::NotIdle { cycles: 1000 })
    );
    h.run_until_idle(RUN_LIMIT).unwrap();
    assert_eq!(status(&hq.complete(&mut h)[0]), Status::Ok);
}

/// Polls `f` until it is true or 10 s pass.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Waits for the next completion on `hq` the way a driver does: count, check, sleep.
fn wait_completion(
    dev: &mut Arc<SimDevice<MockDevice>>,
    hq: &mut HostQueue,
    vector: u32,
) -> Completion {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = dev.interrupt_count(vector);
        if let Some(c) = hq.complete(dev).pop() {
            return c;
        }
        assert!(Instant::now() < deadline, "no completion");
        dev.wait_interrupt(vector, seen, Duration::from_secs(1));
    }
}

#[test]
fn sim_device_serves_a_host_and_parks_when_idle() {
    let mut dev = SimDevice::new(MockDevice::new(), config(20, 4));
    assert_eq!(dev.name(), "sim");
    assert_eq!(dev.bar0_read(IDENTITY_BASE + identity::MAGIC), DEVICE_MAGIC);
    let mut hq = HostQueue::open(&mut dev, 0, 3, 2);
    let buf = dev.alloc(4096);
    let mut rng = SplitMix64(9);
    for cid in 0..20u16 {
        let data = random_bytes(&mut rng, 64);
        buf.write_bytes(0, &data);
        hq.submit(&mut dev, &[copy(cid, buf.iova(), buf.iova() + 2048, 64, 1)]);
        let c = wait_completion(&mut dev, &mut hq, 2);
        assert_eq!((c.cid, status(&c)), (cid, Status::Ok));
        assert_eq!(&region_bytes(&buf)[2048..2112], &data[..]);
    }
    assert_eq!(dev.interrupt_count(2), 20);
    // Quiescent: the clock stops.
    eventually("the clock to park", || {
        let c = dev.stats().device_cycles;
        std::thread::sleep(Duration::from_millis(20));
        dev.stats().device_cycles == c
    });
    // Host threads get the BAR while the device runs a long command.
    hq.submit(&mut dev, &[command(Opcode::Store as u8, 99, 400)]);
    std::thread::scope(|s| {
        for t in 0..3u32 {
            let dev = &dev;
            s.spawn(move || {
                for _ in 0..50 {
                    assert_eq!(
                        dev.bar0_read(IDENTITY_BASE + identity::MAGIC),
                        DEVICE_MAGIC,
                        "thread {t}"
                    );
                }
            });
        }
    });
    let c = wait_completion(&mut dev, &mut hq, 2);
    assert_eq!((c.cid, status(&c)), (99, Status::Ok));
    let stats = dev.stats();
    assert_eq!(stats.store_cycles.len(), 1);
    assert!(stats.store_cycles[0] >= STORE_CYCLES_PER_PAGE as u64);
    assert_eq!(dev.failure(), None);
    // Dropping the device stops its clock thread.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(dev);
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the clock thread stopped");
}

#[test]
fn a_broken_device_is_dead_to_the_host() {
    let mut dev = SimDevice::new(MockDevice::new(), config(20, 4));
    let mut hq = HostQueue::open(&mut dev, 0, 2, 0);
    hq.submit(&mut dev, &[command(OP_STRAY_BEAT, 1, 1)]);
    eventually("the protocol error", || dev.failure().is_some());
    assert!(
        matches!(dev.failure(), Some(HarnessError::Protocol { what, .. }) if what.contains("no write request")),
        "{:?}",
        dev.failure()
    );
    assert_eq!(dev.bar0_read(IDENTITY_BASE + identity::MAGIC), u32::MAX);
    // A register that never answers kills a device too.
    let dev = SimDevice::new(MockDevice::new(), config(20, 4));
    assert_eq!(dev.bar0_read(HANG_READY), u32::MAX);
    assert!(matches!(
        dev.failure(),
        Some(HarnessError::RegTimeout { .. })
    ));
    assert_eq!(dev.bar0_read(SCRATCH), u32::MAX);
}

/// Harness overhead per cycle (with the mock, whose own cost is small), on a
/// busy device with quiet ports and on page-sized DMA traffic:
/// `cargo test -p pagepress-sim --release harness_speed -- --ignored --nocapture`.
#[test]
#[ignore = "timing: run alone with --release"]
fn harness_speed() {
    let mut h = harness(212, 20);
    let mut hq = HostQueue::open(&mut h, 0, 4, 0);
    let buf = h.dma_space().alloc(4 * 4096);
    let busy = command(Opcode::Store as u8, 0, 2000);
    let pages = copy(0, buf.iova(), buf.iova() + 2 * 4096, 4096, 2);
    for (what, cmd, n) in [("quiet ports", busy, 10), ("page DMA", pages, 200)] {
        let start = Instant::now();
        let cycles0 = h.cycles();
        for _ in 0..n {
            hq.submit(&mut h, &[cmd]);
            h.run_until_idle(RUN_LIMIT * 10).unwrap();
            hq.complete(&mut h);
        }
        let cycles = h.cycles() - cycles0;
        let rate = cycles as f64 / start.elapsed().as_secs_f64();
        println!(
            "{what}: {cycles} cycles, {:.1} M cycles/s (harness + mock)",
            rate / 1e6
        );
        assert!(
            rate > 5e6,
            "{what}: harness above 200 ns a cycle ({rate:.0} cycles/s)"
        );
    }
}
