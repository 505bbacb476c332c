//! rust-hdl simulation of the control plane against the model's behaviour
//! (`host-driver/src/soft/regs.rs`), with a test executor and host memory
//! (`bench`), and its Verilog generation + lint.

mod bench;

use super::*;
use crate::params::SIM_DEVICE;
use crate::rtl::csr::queue_regs::QUEUE_ENABLE;
use bench::*;
use pagepress_abi::format::CODEC_PARAMS;
use pagepress_abi::regmap::{BLOCKS, block_next};
use pagepress_abi::regs::{self, caps, control, header, identity, queues, stats};
use pagepress_abi::stats::STAT_COUNT;
use pagepress_abi::{ABI_VERSION, Command, DEVICE_MAGIC, Opcode, Status};
use pagepress_codec::corpus::SplitMix64;

fn base(block_type: u32) -> u32 {
    crate::rtl::csr::block_base(block_type)
}

fn nop(cid: u16) -> Command {
    Command::new(Opcode::Nop, cid, 0, 0, 0)
}

/// A command of the test executor that runs `EXEC_CYCLES + slot % 64` cycles.
fn store(cid: u16, slot: u32) -> Command {
    Command::new(Opcode::Store, cid, slot, 1, BUF_IOVA)
}

#[test]
fn control_plane_verilog_lints() {
    let v = control_plane_verilog(&SIM_DEVICE, DeviceKind::Sim);
    pagepress_rtl::lint::lint_verilog("control_plane", &v).unwrap();
}

#[test]
fn bar0_chain_identity_and_caps_read_back() {
    let p = SIM_DEVICE;
    let mut h = Harness::new(p, 1);
    let mut off = 0;
    for (i, b) in BLOCKS.iter().enumerate() {
        assert_eq!(off, b.base, "{}", b.name);
        assert_eq!(h.read(off + header::TYPE), b.block_type, "{}", b.name);
        assert_eq!(h.read(off + header::VERSION), b.version, "{}", b.name);
        off = h.read(off + header::NEXT);
        assert_eq!(off, block_next(i), "{}", b.name);
    }
    assert_eq!(off, 0, "the chain ends");

    let id = base(regs::BLOCK_TYPE_IDENTITY);
    assert_eq!(h.read(id + identity::MAGIC), DEVICE_MAGIC);
    assert_eq!(h.read(id + identity::ABI_VERSION), ABI_VERSION);
    assert_eq!(h.read(id + identity::DEVICE_KIND), DeviceKind::Sim as u32);
    assert_eq!(h.read(id + identity::BUILD_ID), p.build_id);
    let c = base(regs::BLOCK_TYPE_CAPS);
    for (reg, want) in [
        (caps::NUM_QUEUES, p.num_queues),
        (caps::MAX_QUEUE_LOG2, p.max_queue_log2),
        (caps::DEVMEM_SIZE_LO, p.devmem_bytes as u32),
        (caps::DEVMEM_SIZE_HI, (p.devmem_bytes >> 32) as u32),
        (caps::MAX_SLOTS, p.max_slots),
        (caps::MAX_NR_PAGES, p.max_nr_pages),
        (caps::CODEC_PARAMS, CODEC_PARAMS),
        (caps::ENGINES, p.engines_reg()),
        (caps::INDEX_LEVELS, p.index_geometry().levels),
        (caps::ALLOC_UNIT, p.alloc_unit),
    ] {
        assert_eq!(h.read(c + reg), want, "CAPS + {reg:#x}");
    }
    assert_eq!(h.read(ctrl_reg(control::CTRL)), 0);
    assert_eq!(h.read(ctrl_reg(control::STATUS)), control::STATUS_READY);
    assert_eq!(h.read(ctrl_reg(control::FATAL_CODE)), 0);
    assert_eq!(
        h.read(base(regs::BLOCK_TYPE_STATS) + stats::COUNT),
        STAT_COUNT as u32
    );
    let qb = base(regs::BLOCK_TYPE_QUEUES);
    assert_eq!(h.read(qb + queues::COUNT), p.num_queues);
    assert_eq!(h.read(qb + queues::STRIDE), queues::STRIDE_BYTES);

    // Read-only registers ignore writes; read-write ones read back.
    h.write(id + identity::MAGIC, 0);
    h.write(c + caps::NUM_QUEUES, 99);
    assert_eq!(h.read(id + identity::MAGIC), DEVICE_MAGIC);
    assert_eq!(h.read(c + caps::NUM_QUEUES), p.num_queues);
    h.write(ctrl_reg(control::IRQ_MASK), 0xa5a5_0003);
    assert_eq!(h.read(ctrl_reg(control::IRQ_MASK)), 0xa5a5_0003);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    assert_eq!(h.read(ctrl_reg(control::CTRL)), control::CTRL_ENABLE);

    // Queue configuration reads back as written; doorbells read 0.
    let q = p.num_queues as usize - 1;
    let writes = [
        (queues::SQ_BASE_LO, 0x1234_5670),
        (queues::SQ_BASE_HI, 0x9abc_def0),
        (queues::SQ_SIZE_LOG2, 0x1_0003),
        (queues::CQ_BASE_LO, 0x0fed_cba0),
        (queues::CQ_BASE_HI, 0x7),
        (queues::CQ_SIZE_LOG2, 5),
        (queues::IRQ_VECTOR, 0xdead_beef),
        (queues::SQ_TAIL_DB, 3),
        (queues::CQ_HEAD_DB, 2),
    ];
    for (reg, v) in writes {
        h.write(qreg(q, reg), v);
    }
    for (reg, v) in writes {
        let doorbell = reg == queues::SQ_TAIL_DB || reg == queues::CQ_HEAD_DB;
        assert_eq!(
            h.read(qreg(q, reg)),
            if doorbell { 0 } else { v },
            "queue reg {reg:#x}"
        );
    }

    // Unknown, unaligned and out-of-range offsets read 0 and ignore writes.
    let queue_past = qreg(p.num_queues as usize, queues::SQ_BASE_LO);
    h.write(queue_past, 0x40);
    for off in [
        id + 0x1c,
        c + 0x34,
        ctrl_reg(control::FATAL_CODE) + 4,
        base(regs::BLOCK_TYPE_STATS) + stats::COUNTERS + 8 * STAT_COUNT as u32,
        qb + queues::STRIDE + 4,
        qreg(0, queues::IRQ_VECTOR) + 4,
        queue_past,
        id + identity::MAGIC + 1,
        regs::BAR0_SIZE - 4,
    ] {
        assert_eq!(h.read(off), 0, "offset {off:#x}");
    }
}

#[test]
fn queue_enable_checks_the_ring_configuration() {
    let p = SIM_DEVICE;
    let mut h = Harness::new(p, 2);
    let (sq, cq, max) = (sq_iova(0), cq_iova(0), p.max_queue_log2);
    let bad = [
        (0, cq, 2, 2),
        (sq, 0, 2, 2),
        (sq + 8, cq, 2, 2),
        (sq, cq + 4, 2, 2),
        (sq, cq, 0, 2),
        (sq, cq, 2, 0),
        (sq, cq, max + 1, 2),
        (sq, cq, 2, max + 1),
        (sq, cq, 0x1_0001, 2),
    ];
    for (i, &(s, c, sl, cl)) in bad.iter().enumerate() {
        let status = h.configure(0, s, c, sl, cl, 0);
        assert_eq!(status, queues::QSTATUS_ERROR, "case {i}");
        assert_eq!(h.read(qreg(0, queues::ENABLE)), 0, "case {i}");
        // Disabling keeps the error; a good configuration clears it.
        h.write(qreg(0, queues::ENABLE), 0);
        assert_eq!(h.read(qreg(0, queues::QSTATUS)), queues::QSTATUS_ERROR);
        let good = h.configure(0, sq, cq, 1, max, 0);
        assert_eq!(good, queues::QSTATUS_ENABLED, "case {i}");
        assert_eq!(h.read(qreg(0, queues::ENABLE)), QUEUE_ENABLE);
        h.write(qreg(0, queues::ENABLE), 0);
        assert_eq!(h.read(qreg(0, queues::QSTATUS)), 0);
    }
}

#[test]
fn commands_complete_in_order_across_ring_wraps() {
    let mut h = Harness::new(SIM_DEVICE, 3);
    let vector = 3;
    assert_eq!(h.setup_queue(1, 2, 3, vector), queues::QSTATUS_ENABLED);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    let mut rng = SplitMix64(3);
    let mut cid = 100;
    let mut done = 0;
    // 3 at a time in a 4-entry SQ and an 8-entry CQ: 6 SQ wraps, 2 CQ wraps.
    for _ in 0..8 {
        let cmds: Vec<_> = (0..3)
            .map(|_| {
                cid += 7;
                random_command(&mut rng, cid)
            })
            .collect();
        h.submit(1, &cmds);
        h.settle(2000);
        done += h.reap(1);
    }
    assert_eq!(done, 24);
    assert_eq!(h.handoffs, 24);
    assert_eq!(h.irqs[vector as usize], 24);
    assert_eq!(h.irqs.iter().sum::<u64>(), 24);
}

#[test]
fn executor_dma_goes_through_the_shared_port() {
    let mut h = Harness::new(SIM_DEVICE, 4);
    h.setup_queue(0, 3, 3, 0);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    let mapped = Command::new(Opcode::Stats, 1, 0x0102_0304, 0x0506, BUF_IOVA + 0x100);
    let refused = Command::new(Opcode::Stats, 2, 5, 6, 0x9_0000_0000);
    h.submit(0, &[mapped, refused]);
    h.settle(2000);
    assert_eq!(h.reap(0), 2);
    let written = h.mem.read(BUF_IOVA + 0x100, STATS_BYTES);
    assert_eq!(
        u64::from_le_bytes(written.try_into().unwrap()),
        0x0102_0304 << 32 | 0x0506
    );
}

#[test]
fn a_full_completion_ring_stops_fetching_until_cq_head_doorbell() {
    let mut h = Harness::new(SIM_DEVICE, 5);
    h.setup_queue(0, 3, 2, 0);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    let cmds: Vec<_> = (0..6).map(nop).collect();
    h.submit(0, &cmds);
    h.settle(2000);
    // A 4-entry CQ holds 3 completions; the 4th command is not fetched.
    let fetched = |h: &mut Harness| (h.queue(0).fetches, h.queue(0).posted);
    assert_eq!(fetched(&mut h), (3, 3));
    h.run(300);
    assert_eq!(fetched(&mut h), (3, 3));
    assert!(h.idle);
    assert_eq!(h.reap(0), 3);
    h.settle(2000);
    assert_eq!(h.reap(0), 3);
    assert_eq!(fetched(&mut h), (6, 6));
}

#[test]
fn interrupts_follow_the_vector_and_the_mask() {
    let mut h = Harness::new(SIM_DEVICE, 6);
    // Queues 0 and 1 share vector 2; queue 2's vector is past the device's
    // (one per queue, as the model's interrupt lines); queue 3 (vector 0) is
    // masked.
    let past = SIM_DEVICE.num_queues;
    for (q, vector) in [(0, 2), (1, 2), (2, past), (3, 0)] {
        h.setup_queue(q, 2, 2, vector);
    }
    h.write(ctrl_reg(control::IRQ_MASK), 1 << 3);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    for q in 0..4 {
        h.submit(q, &[nop(2 * q as u16), nop(2 * q as u16 + 1)]);
    }
    h.settle(2000);
    for q in 0..4 {
        assert_eq!(h.reap(q), 2);
    }
    assert_eq!(h.irqs, [0, 0, 4, 0, 0, 0, 0, 0]);
    h.write(ctrl_reg(control::IRQ_MASK), 0);
    h.submit(3, &[nop(9)]);
    h.settle(2000);
    assert_eq!(h.reap(3), 1);
    assert_eq!(h.irqs, [1, 0, 4, 0, 0, 0, 0, 0]);
}

#[test]
fn dma_faults_and_bad_tails_put_queues_in_error() {
    let mut h = Harness::new(SIM_DEVICE, 7);
    let in_error = queues::QSTATUS_ENABLED | queues::QSTATUS_ERROR;
    // Queue 0: its SQ is not mapped. Queue 1: its CQ is not mapped.
    // Queues 2 and 3: tails past the ring mask.
    for q in 0..4 {
        h.setup_queue(q, 2, 2, q as u32);
    }
    h.mem.unmap(cq_iova(1));
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    for q in 0..4 {
        h.queue(q).live = false;
    }
    h.enqueue(0, &[nop(1)]);
    h.mem.unmap(sq_iova(0));
    h.ring(0);
    h.submit(1, &[nop(2)]);
    h.write(qreg(2, queues::SQ_TAIL_DB), 4);
    h.write(qreg(3, queues::SQ_TAIL_DB), 0x1_0000);
    h.settle(2000);
    for q in 0..4 {
        assert_eq!(h.read(qreg(q, queues::QSTATUS)), in_error, "queue {q}");
    }
    // The fetch fault ran nothing; the post fault ran the command; the bad
    // tails fetched nothing.
    assert_eq!(h.handoffs, 1);
    assert_eq!([0, 1, 2, 3].map(|q| h.queue(q).fetches), [1, 1, 0, 0]);
    assert!(h.poll(0).is_empty());
    assert_eq!(h.irqs.iter().sum::<u64>(), 0);
    // A queue in error stays so until it is enabled again.
    h.submit(1, &[nop(3)]);
    h.run(200);
    assert_eq!(h.queue(1).fetches, 1);
    assert_eq!(h.setup_queue(2, 2, 2, 2), queues::QSTATUS_ENABLED);
    h.submit(2, &[nop(4), nop(5)]);
    h.settle(2000);
    assert_eq!(h.reap(2), 2);
}

#[test]
fn disabling_a_queue_waits_for_its_running_command() {
    let mut h = Harness::new(SIM_DEVICE, 14);
    h.setup_queue(0, 2, 2, 0);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    h.submit(0, &[store(1, 63), nop(2)]);
    while h.handoffs == 0 {
        h.tick();
    }
    let start = h.cycle;
    h.write(qreg(0, queues::ENABLE), 0);
    // The next access is taken once the write is applied: after the post.
    assert_eq!(h.read(qreg(0, queues::QSTATUS)), 0);
    assert!(h.cycle - start > 60, "the write waited for the command");
    assert_eq!(h.queue(0).posted, 1);
    h.queue(0).live = false;
    h.run(300);
    assert_eq!(h.queue(0).fetches, 1, "a disabled queue fetches nothing");
    let done = h.poll(0);
    assert_eq!(done.len(), 1);
    h.check_next(0, &done[0], None);
}

#[test]
fn control_reset_aborts_the_fetched_commands() {
    let mut h = Harness::new(SIM_DEVICE, 8);
    h.setup_queue(0, 3, 3, 0);
    // Queue 1's 2-entry CQ has room for one completion.
    h.setup_queue(1, 2, 1, 1);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    let long = store(10, 63);
    h.submit(0, &[long, nop(11), nop(12), nop(13), nop(14)]);
    while h.handoffs == 0 {
        h.tick();
    }
    h.submit(1, &[nop(20), nop(21)]);
    h.write(
        ctrl_reg(control::CTRL),
        control::CTRL_RESET | control::CTRL_ENABLE,
    );
    assert_eq!(h.read(ctrl_reg(control::CTRL)), control::CTRL_RESET);
    // An ENABLE write waits for the reset.
    h.write(qreg(2, queues::ENABLE), 1);
    assert_eq!(h.read(ctrl_reg(control::CTRL)), control::CTRL_ENABLE);
    h.settle(2000);
    assert_eq!((h.reset_entries, h.clear_stats, h.handoffs), (1, 1, 1));

    let done = h.poll(0);
    assert_eq!(done.len(), 5);
    h.check_next(0, &done[0], None);
    for c in &done[1..] {
        h.check_next(0, c, Some(Status::Aborted));
    }
    let done = h.poll(1);
    assert_eq!(done.len(), 1);
    h.check_next(1, &done[0], Some(Status::Aborted));
    assert_eq!(
        h.queue(1).fetches,
        2,
        "the second was fetched, found no room"
    );
    for q in 0..2 {
        assert_eq!(h.read(qreg(q, queues::QSTATUS)), 0, "queue {q} disabled");
    }
    assert_eq!(h.irqs[0], 5);
    assert_eq!(h.irqs[1], 1);

    // The device runs again once a queue is enabled.
    h.setup_queue(0, 3, 3, 0);
    h.submit(0, &[nop(30)]);
    h.settle(2000);
    assert_eq!(h.reap(0), 1);
}

#[test]
fn stats_hi_word_is_latched_by_the_lo_read() {
    let mut h = Harness::new(SIM_DEVICE, 9);
    let counters = base(regs::BLOCK_TYPE_STATS) + stats::COUNTERS;
    let lo = |i: u32| counters + 8 * i;
    let hi = |i: u32| counters + 8 * i + 4;
    // The test executor's counter i reads `ticks << 28 | i`, ticks = clocks.
    let ticks = |lo: u32, hi: u32| ((hi as u64) << 32 | lo as u64) >> 28;
    assert_eq!(h.read(hi(20)), 0, "a latch reads 0 before its LO read");
    h.run(2000);
    let at = h.cycle;
    let (lo2, lo7) = (h.read(lo(2)), h.read(lo(7)));
    h.run(500);
    let (hi2, hi7) = (h.read(hi(2)), h.read(hi(7)));
    assert_eq!((lo2 & 0x1f, lo7 & 0x1f), (2, 7));
    for (l, u) in [(lo2, hi2), (lo7, hi7)] {
        let t = ticks(l, u);
        assert!(t > at && t < at + 20, "ticks {t} sampled at {at}");
    }
    assert_eq!(h.read(hi(2)), hi2, "HI stays latched");

    h.write(ctrl_reg(control::CTRL), control::CTRL_RESET);
    h.settle(2000);
    let at = h.cycle;
    let l = h.read(lo(0));
    let u = h.read(hi(0));
    assert!(
        ticks(l, u) < at - 2000,
        "clear_stats restarted the counters"
    );
}

/// The round-trip latency of a NOP (doorbell to completion), cycles.
#[test]
fn nop_round_trip_cycles() {
    let mut h = Harness::new(SIM_DEVICE, 10);
    h.setup_queue(0, 3, 3, 0);
    h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
    let mut total = 0;
    let rounds = 20;
    for i in 0..rounds {
        let posted = h.queue(0).posted;
        h.submit(0, &[nop(i)]);
        let start = h.cycle;
        while h.queue(0).posted == posted {
            h.tick();
            assert!(h.cycle - start < 200, "NOP did not complete");
        }
        total += h.cycle - start;
        h.settle(100);
        assert_eq!(h.reap(0), 1);
    }
    let mean = total / rounds as u64;
    eprintln!("NOP: {mean} cycles from doorbell to completion (random DMA stalls)");
    assert!(mean < 40, "NOP round trip {mean} cycles");
}

#[test]
fn random_traffic_on_all_queues_matches_the_reference() {
    for seed in [11, 12, 13] {
        let mut rng = SplitMix64(seed);
        let mut h = Harness::new(SIM_DEVICE, seed);
        let nq = SIM_DEVICE.num_queues as usize;
        let mask = rng.below(1 << nq) as u32;
        h.write(ctrl_reg(control::IRQ_MASK), mask);
        for q in 0..nq {
            let (sl, cl, v) = (
                1 + rng.below(3) as u32,
                1 + rng.below(3) as u32,
                rng.below(10) as u32,
            );
            assert_eq!(h.setup_queue(q, sl, cl, v), queues::QSTATUS_ENABLED);
        }
        h.write(ctrl_reg(control::CTRL), control::CTRL_ENABLE);
        let mut cid = 0u16;
        let mut completed = 0;
        for _ in 0..1500 {
            let q = rng.below(nq as u64) as usize;
            match rng.below(4) {
                0 | 1 => {
                    let room = h.queue(q).sq_entries() as usize - 1 - h.queue(q).outstanding.len();
                    let n = rng.below(room as u64 + 1) as usize;
                    let cmds: Vec<_> = (0..n)
                        .map(|_| {
                            cid = cid.wrapping_add(1);
                            random_command(&mut rng, cid)
                        })
                        .collect();
                    if !cmds.is_empty() {
                        h.submit(q, &cmds);
                    }
                }
                2 => completed += h.reap(q),
                _ => h.run(rng.below(60)),
            }
        }
        for round in 0.. {
            if h.queues.iter().all(|q| q.outstanding.is_empty()) {
                break;
            }
            assert!(round < 100, "seed {seed}: commands never complete");
            h.settle(5000);
            for q in 0..nq {
                completed += h.reap(q);
            }
        }
        assert_eq!(h.handoffs, completed as u64);
        let mut want = [0u64; 8];
        for q in &h.queues {
            if mask >> q.id & 1 == 0 && q.vector < SIM_DEVICE.num_queues {
                want[q.vector as usize] += q.completed;
            }
        }
        assert_eq!(h.irqs, want, "seed {seed}");
        eprintln!("seed {seed}: {completed} commands in {} cycles", h.cycle);
        assert!(completed > 300, "seed {seed}: only {completed} commands");
    }
}
