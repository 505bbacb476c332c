//! The transport under stress and under injected faults: small rings that wrap
//! many times, several threads on several queues, and every fallback path.
//! Assertions are about behaviour (content, entries, counters), never timing.

#![forbid(unsafe_code)]

use pagepress::backend::open_soft;
use pagepress::device::client::set_thread_queue;
use pagepress::device::{ClientConfig, DeviceClient, HostCounter};
use pagepress::pool::{CompressedPool, PoolError};
use pagepress_abi::Opcode;
use pagepress_abi::format::PAGE_SIZE;
use pagepress_abi::regs::queues;
use pagepress_abi::stats::StatCounter;
use pagepress_firmware::model::{Execution, FaultRule, SoftConfig, SoftDevice};
use pagepress_pcie::DeviceBackend;
use std::sync::Arc;
use std::time::Duration;

fn text_page(seed: u64) -> Vec<u8> {
    // The shared synthetic text class, stamped with the seed so pages differ.
    let mut p = pagepress_codec::corpus::SyntheticClass::Text
        .page(seed)
        .to_vec();
    p[..8].copy_from_slice(&seed.to_le_bytes());
    p
}

fn soft(num_queues: u32) -> SoftConfig {
    SoftConfig {
        devmem_bytes: 16 << 20,
        max_slots: 1 << 16,
        num_queues,
        ..SoftConfig::default()
    }
}

fn client(queues: u32, queue_log2: u32) -> ClientConfig {
    ClientConfig {
        queues,
        queue_log2,
        ..ClientConfig::default()
    }
}

fn counter(c: &DeviceClient, which: HostCounter) -> u64 {
    c.counters().get(which)
}

#[test]
fn rings_of_two_entries_wrap_many_times() {
    // log2 = 1: two entries, one command in flight, the phase flips every
    // other completion.
    let (c, _d) = open_soft(soft(1), &client(1, 1)).unwrap();
    for s in 0..150u32 {
        c.store(s, &text_page(s as u64)).unwrap();
    }
    let mut out = vec![0u8; PAGE_SIZE];
    for s in 0..150u32 {
        c.load(s, &mut out, s % 2 == 0).unwrap();
        assert_eq!(out, text_page(s as u64), "slot {s}");
    }
    let st = c.stats().unwrap();
    assert_eq!(st.get(StatCounter::StoreCmds), 150);
    assert_eq!(st.get(StatCounter::LoadCmds), 150);
    assert_eq!(st.get(StatCounter::Entries), 75);
    assert_eq!(counter(&c, HostCounter::StrayCompletions), 0);
}

#[test]
fn inline_execution_gives_the_same_results() {
    let cfg = SoftConfig {
        execution: Execution::Inline,
        ..soft(2)
    };
    let (c, _d) = open_soft(cfg, &client(2, 2)).unwrap();
    for s in 0..40u32 {
        c.store(s, &text_page(s as u64 + 7)).unwrap();
    }
    let mut out = vec![0u8; PAGE_SIZE];
    for s in 0..40u32 {
        c.load(s, &mut out, true).unwrap();
        assert_eq!(out, text_page(s as u64 + 7));
    }
    assert_eq!(c.stats().unwrap().get(StatCounter::Entries), 0);
}

/// Each thread owns a slot range, stores, overwrites, loads and checks.
fn hammer(c: Arc<DeviceClient>, threads: u32, per_thread: u32) {
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                let base = t * per_thread;
                let mut out = vec![0u8; 2 * PAGE_SIZE];
                for round in 0..3u64 {
                    for i in 0..per_thread {
                        let seed = ((base + i) as u64) << 8 | round;
                        c.store(base + i, &text_page(seed)).unwrap();
                    }
                    for i in (0..per_thread).step_by(2) {
                        c.load(base + i, &mut out, false).unwrap();
                        for k in 0..2 {
                            let seed = ((base + i + k) as u64) << 8 | round;
                            assert_eq!(
                                &out[k as usize * PAGE_SIZE..][..PAGE_SIZE],
                                &text_page(seed)[..],
                                "thread {t} slot {}",
                                base + i + k
                            );
                        }
                    }
                }
                assert_eq!(c.invalidate(base, per_thread).unwrap(), per_thread);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("worker thread");
    }
}

#[test]
fn threads_on_their_own_queues_keep_every_page() {
    let cfg = SoftConfig {
        workers: 2,
        ..soft(4)
    };
    let (c, _d) = open_soft(cfg, &client(4, 3)).unwrap();
    hammer(Arc::clone(&c), 4, 40);
    let st = c.stats().unwrap();
    assert_eq!(st.get(StatCounter::Entries), 0);
    assert_eq!(st.get(StatCounter::DevmemUsed), 0);
    assert_eq!(st.get(StatCounter::StoredPages), 4 * 40 * 3);
}

#[test]
fn more_threads_than_queues_share_small_rings() {
    // 6 threads on 2 queues of 4 entries (3 command slots each): submitters
    // wait for slots and reap each other's completions.
    let (c, _d) = open_soft(soft(2), &client(2, 2)).unwrap();
    hammer(Arc::clone(&c), 6, 24);
    assert_eq!(c.stats().unwrap().get(StatCounter::Entries), 0);
    assert_eq!(counter(&c, HostCounter::StrayCompletions), 0);
}

#[test]
fn corrupt_load_is_decoded_on_the_cpu() {
    let (c, d) = open_soft(soft(1), &client(1, 3)).unwrap();
    let pages: Vec<u8> = (0..4).flat_map(|i| text_page(900 + i)).collect();
    c.store(20, &pages).unwrap();
    d.inject(FaultRule::corrupt_on_load_of_slot(22));
    let mut out = vec![0u8; pages.len()];
    c.load(20, &mut out, false).unwrap();
    assert_eq!(out, pages);
    assert_eq!(counter(&c, HostCounter::CorruptCpuDecoded), 4);
    assert_eq!(d.stat(StatCounter::ErrCorrupt), 1);
    // Writeback reads take the same fallback.
    let mut one = vec![0u8; PAGE_SIZE];
    c.read_for_writeback(22, &mut one).unwrap();
    assert_eq!(one, text_page(902));
    // Exclusive: the fallback removes the entries once the data is out.
    c.load(20, &mut out, true).unwrap();
    assert_eq!(out, pages);
    assert_eq!(c.stats().unwrap().get(StatCounter::Entries), 0);
    assert_eq!(counter(&c, HostCounter::CorruptLost), 0);
}

#[test]
fn corrupt_same_filled_neighbour_uses_a_synthesized_frame() {
    // The CPU fallback fetches every page of the range as a frame, including
    // same-filled ones, for which the device synthesizes a frame.
    let (c, d) = open_soft(soft(1), &client(1, 3)).unwrap();
    let mut pages = text_page(5);
    pages.extend(
        0x0102_0304_0506_0708u64
            .to_le_bytes()
            .iter()
            .cycle()
            .take(PAGE_SIZE),
    );
    pages.extend(std::iter::repeat_n(0xabu8, PAGE_SIZE));
    c.store(0, &pages).unwrap();
    d.inject(FaultRule::corrupt_on_load_of_slot(0));
    let mut out = vec![0u8; pages.len()];
    c.load(0, &mut out, false).unwrap();
    assert_eq!(out, pages);
}

fn short_timeouts() -> ClientConfig {
    ClientConfig {
        command_timeout: Duration::from_millis(1000),
        cleanup_timeout: Duration::from_secs(20),
        ..client(1, 3)
    }
}

#[test]
fn store_whose_completion_is_lost_leaves_no_entry() {
    let (c, d) = open_soft(soft(1), &short_timeouts()).unwrap();
    let old = text_page(1);
    c.store(7, &old).unwrap();
    d.inject(FaultRule::drop_completion(Opcode::Store, 1));
    assert_eq!(c.store(7, &text_page(2)), Err(PoolError::Timeout));
    // The device did store the page, but the INVALIDATE behind it removed it:
    // neither the new nor the old data can be read back.
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(
        c.load(7, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
    assert_eq!(counter(&c, HostCounter::Timeouts), 1);
    assert_eq!(counter(&c, HostCounter::StoreTimeoutInvalidates), 1);
    assert_eq!(counter(&c, HostCounter::StoreTimeoutInvalidateFailed), 0);
    assert_eq!(d.stat(StatCounter::Entries), 0);
    // The queue keeps working.
    c.store(7, &old).unwrap();
    c.load(7, &mut out, false).unwrap();
    assert_eq!(out, old);
}

#[test]
fn late_store_completion_is_discarded_and_its_entry_removed() {
    let (c, d) = open_soft(soft(1), &short_timeouts()).unwrap();
    d.inject(FaultRule::delay_completion(
        Opcode::Store,
        1,
        Duration::from_secs(4),
    ));
    assert_eq!(c.store(9, &text_page(9)), Err(PoolError::Timeout));
    // The cleanup INVALIDATE ran after the late STORE.
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(
        c.load(9, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
    assert_eq!(counter(&c, HostCounter::LateCompletionsDiscarded), 1);
    assert_eq!(c.queue_pair(0).abandoned_slots(), 0);
    assert_eq!(d.stat(StatCounter::Entries), 0);
}

#[test]
fn lost_load_completion_times_out_and_keeps_the_entry() {
    let (c, d) = open_soft(soft(1), &short_timeouts()).unwrap();
    let p = text_page(77);
    c.store(3, &p).unwrap();
    d.inject(FaultRule::drop_completion(Opcode::Load, 1));
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(c.load(3, &mut out, false), Err(PoolError::Timeout));
    c.load(3, &mut out, false).unwrap();
    assert_eq!(out, p);
    assert_eq!(c.queue_pair(0).abandoned_slots(), 1);
}

#[test]
fn dma_fault_fails_the_command_and_the_caller_keeps_the_page() {
    let (c, d) = open_soft(soft(1), &client(1, 3)).unwrap();
    let p = text_page(5);
    c.store(1, &text_page(4)).unwrap();
    d.inject(FaultRule::dma_fault_on_command(1));
    // A failed STORE removes the older entry: the caller must keep the page.
    assert_eq!(c.store(1, &p), Err(PoolError::DmaFault));
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(
        c.load(1, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
    c.store(1, &p).unwrap();
    d.inject(FaultRule::dma_fault_on_command(1));
    // A failed exclusive LOAD removes nothing.
    assert_eq!(c.load(1, &mut out, true), Err(PoolError::DmaFault));
    c.load(1, &mut out, true).unwrap();
    assert_eq!(out, p);
    assert_eq!(d.stat(StatCounter::ErrDmaFault), 2);
}

#[test]
fn nth_store_fails_with_no_space() {
    let (c, d) = open_soft(soft(1), &client(1, 3)).unwrap();
    d.inject(FaultRule::nth_store_no_space(3));
    assert!(c.store(0, &text_page(0)).is_ok());
    assert!(c.store(1, &text_page(1)).is_ok());
    assert_eq!(
        c.store(2, &text_page(2)),
        Err(PoolError::NoSpace { page: 0 })
    );
    assert!(c.store(3, &text_page(3)).is_ok());
    assert_eq!(d.stat(StatCounter::RejectNoSpace), 1);
    assert_eq!(d.stat(StatCounter::Entries), 3);
}

#[test]
fn queue_with_a_bad_ring_is_refused_by_the_device() {
    let dev = SoftDevice::new(soft(2));
    let w = |reg| queues::reg(1, reg);
    dev.bar0_write(w(queues::SQ_BASE_LO), 0);
    dev.bar0_write(w(queues::SQ_SIZE_LOG2), 3);
    dev.bar0_write(w(queues::CQ_SIZE_LOG2), 3);
    dev.bar0_write(w(queues::ENABLE), 1);
    let qs = dev.bar0_read(w(queues::QSTATUS));
    assert_eq!(qs & queues::QSTATUS_ENABLED, 0);
    assert_ne!(qs & queues::QSTATUS_ERROR, 0);
    // The driver asks for more queues than exist and gets what the device has.
    let c = DeviceClient::open(dev, &client(8, 3)).unwrap();
    assert_eq!(c.queue_count(), 2);
}

#[test]
fn late_exclusive_load_is_rescued_on_the_host() {
    let (c, d) = open_soft(soft(1), &short_timeouts()).unwrap();
    let p = text_page(31);
    c.store(31, &p).unwrap();
    d.inject(FaultRule::delay_completion(
        Opcode::Load,
        1,
        Duration::from_millis(4000),
    ));
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(c.load(31, &mut out, true), Err(PoolError::Timeout));
    // The device completes the exclusive LOAD later and removes its entry;
    // the driver keeps the page it delivered. A retry on the same queue runs
    // behind it, so it finds the rescued page (retrying while the queue is
    // still stalled behind the delay).
    let mut retries = 0;
    let r = loop {
        match c.load(31, &mut out, true) {
            Err(PoolError::Timeout) if retries < 100 => retries += 1,
            r => break r,
        }
    };
    r.unwrap();
    assert_eq!(out, p);
    assert_eq!(counter(&c, HostCounter::LateExclusiveLoadsRescued), 1);
    assert_eq!(counter(&c, HostCounter::RescuedPagesServed), 1);
    // Exclusive: the page is gone from the host too, and from the device.
    assert_eq!(
        c.load(31, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
    assert_eq!(d.stat(StatCounter::Entries), 0);
}

#[test]
fn rescued_pages_are_dropped_by_store_and_invalidate() {
    let (c, d) = open_soft(soft(1), &short_timeouts()).unwrap();
    c.store(40, &text_page(40)).unwrap();
    c.store(41, &text_page(41)).unwrap();
    d.inject(FaultRule::delay_completion(
        Opcode::Load,
        1,
        Duration::from_millis(4000),
    ));
    let mut two = vec![0u8; 2 * PAGE_SIZE];
    assert_eq!(c.load(40, &mut two, true), Err(PoolError::Timeout));
    while counter(&c, HostCounter::LateExclusiveLoadsRescued) == 0 {
        std::thread::sleep(Duration::from_millis(50));
        c.queue_pair(0).reap_now();
    }
    // Non-exclusive reads see the rescued pages and keep them.
    c.read_for_writeback(40, &mut two).unwrap();
    assert_eq!(&two[..PAGE_SIZE], &text_page(40)[..]);
    assert_eq!(&two[PAGE_SIZE..], &text_page(41)[..]);
    // A new store supersedes slot 40's rescued page; invalidate drops 41's.
    c.store(40, &text_page(400)).unwrap();
    let mut one = vec![0u8; PAGE_SIZE];
    c.load(40, &mut one, false).unwrap();
    assert_eq!(one, text_page(400));
    assert_eq!(c.invalidate(41, 1).unwrap(), 1);
    assert_eq!(
        c.load(41, &mut one, false),
        Err(PoolError::NotFound { page: 0 })
    );
}

#[test]
fn reopening_a_device_resets_it() {
    let dev = SoftDevice::new(soft(2));
    {
        let c = DeviceClient::open(dev.clone(), &client(2, 3)).unwrap();
        c.store(1, &text_page(1)).unwrap();
        assert_eq!(dev.stat(StatCounter::Entries), 1);
    }
    let c = DeviceClient::open(dev.clone(), &client(2, 3)).unwrap();
    assert_eq!(dev.stat(StatCounter::Entries), 0);
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(
        c.load(1, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
}

#[test]
fn register_reset_aborts_commands_the_device_has_not_run() {
    use pagepress_abi::regs::{CONTROL_BASE, control};
    use pagepress_abi::{Command, Status};
    use pagepress_pcie::ring::{CompletionRing, SubmissionRing};
    let dev = SoftDevice::new(soft(1));
    let mut sq = SubmissionRing::new(dev.dma_alloc(8 * 32).unwrap(), 3);
    let mut cq = CompletionRing::new(dev.dma_alloc(8 * 16).unwrap(), 3);
    let w = |reg| queues::reg(0, reg);
    dev.bar0_write(w(queues::SQ_BASE_LO), sq.iova() as u32);
    dev.bar0_write(w(queues::SQ_BASE_HI), (sq.iova() >> 32) as u32);
    dev.bar0_write(w(queues::SQ_SIZE_LOG2), 3);
    dev.bar0_write(w(queues::CQ_BASE_LO), cq.iova() as u32);
    dev.bar0_write(w(queues::CQ_BASE_HI), (cq.iova() >> 32) as u32);
    dev.bar0_write(w(queues::CQ_SIZE_LOG2), 3);
    dev.bar0_write(w(queues::ENABLE), 1);
    assert_ne!(
        dev.bar0_read(w(queues::QSTATUS)) & queues::QSTATUS_ENABLED,
        0
    );
    // The device itself is not enabled: the commands stay in the ring.
    let mut tail = 0;
    for cid in 1..=3u16 {
        tail = sq.push(&Command::new(Opcode::Nop, cid, 0, 1, 0));
    }
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    dev.bar0_write(w(queues::SQ_TAIL_DB), tail);
    assert!(cq.pop().is_none());
    dev.bar0_write(CONTROL_BASE + control::CTRL, control::CTRL_RESET);
    for cid in 1..=3u16 {
        let c = cq.pop().expect("aborted completion");
        assert_eq!((c.cid, c.status), (cid, Status::Aborted as u8));
        assert!(c.phase());
    }
    assert!(cq.pop().is_none());
    assert_eq!(
        dev.bar0_read(w(queues::QSTATUS)) & queues::QSTATUS_ENABLED,
        0
    );
    assert_eq!(
        dev.bar0_read(CONTROL_BASE + control::CTRL) & control::CTRL_RESET,
        0
    );
}

#[test]
fn late_exclusive_load_cannot_shadow_newer_data() {
    // The slot is invalidated and stored again while the abandoned exclusive
    // LOAD of its old data is still queued: its late page must be dropped.
    let cfg = SoftConfig {
        workers: 2,
        ..soft(2)
    };
    let two_queues = ClientConfig {
        queues: 2,
        ..short_timeouts()
    };
    let (c, d) = open_soft(cfg, &two_queues).unwrap();
    set_thread_queue(Some(0));
    c.store(50, &text_page(50)).unwrap();
    d.inject(FaultRule::delay_completion(
        Opcode::Load,
        1,
        Duration::from_millis(4000),
    ));
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(c.load(50, &mut out, true), Err(PoolError::Timeout));
    // Another thread (another queue, not stalled) frees and reuses the slot.
    let c2 = Arc::clone(&c);
    std::thread::spawn(move || {
        set_thread_queue(Some(1));
        c2.invalidate(50, 1).unwrap();
        c2.store(50, &text_page(5000)).unwrap();
    })
    .join()
    .unwrap();
    while c.queue_pair(0).abandoned_slots() > 0 {
        std::thread::sleep(Duration::from_millis(50));
    }
    c.load(50, &mut out, false).unwrap();
    assert_eq!(out, text_page(5000));
    assert_eq!(counter(&c, HostCounter::LateExclusiveLoadsRescued), 0);
    set_thread_queue(None);
}

#[test]
fn device_waits_for_completion_ring_space() {
    // SQ of 8 entries, CQ of 2 (one usable): the device posts one completion
    // and holds the rest until the host releases the entry.
    use pagepress_abi::regs::{CONTROL_BASE, control};
    use pagepress_abi::{Command, Status};
    use pagepress_pcie::ring::{CompletionRing, SubmissionRing};
    let dev = SoftDevice::new(soft(1));
    let mut sq = SubmissionRing::new(dev.dma_alloc(8 * 32).unwrap(), 3);
    let mut cq = CompletionRing::new(dev.dma_alloc(2 * 16).unwrap(), 1);
    let w = |reg| queues::reg(0, reg);
    dev.bar0_write(w(queues::SQ_BASE_LO), sq.iova() as u32);
    dev.bar0_write(w(queues::SQ_BASE_HI), (sq.iova() >> 32) as u32);
    dev.bar0_write(w(queues::SQ_SIZE_LOG2), 3);
    dev.bar0_write(w(queues::CQ_BASE_LO), cq.iova() as u32);
    dev.bar0_write(w(queues::CQ_BASE_HI), (cq.iova() >> 32) as u32);
    dev.bar0_write(w(queues::CQ_SIZE_LOG2), 1);
    dev.bar0_write(w(queues::ENABLE), 1);
    dev.bar0_write(CONTROL_BASE + control::CTRL, control::CTRL_ENABLE);
    let mut tail = 0;
    for cid in 0..5u16 {
        tail = sq.push(&Command::new(Opcode::Nop, cid, 0, 1, 0));
    }
    std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
    dev.bar0_write(w(queues::SQ_TAIL_DB), tail);
    let mut phases = Vec::new();
    for cid in 0..5u16 {
        let c = loop {
            if let Some(c) = cq.pop() {
                break c;
            }
            let seen = dev.interrupt_count(0);
            if let Some(c) = cq.pop() {
                break c;
            }
            dev.wait_interrupt(0, seen, Duration::from_millis(50));
        };
        assert_eq!((c.cid, c.status), (cid, Status::Ok as u8));
        // Nothing more until the entry is released.
        assert!(cq.pop().is_none());
        phases.push(c.phase());
        dev.bar0_write(w(queues::CQ_HEAD_DB), cq.head());
    }
    // Two entries: the phase flips on every wrap.
    assert_eq!(phases, [true, true, false, false, true]);
}
