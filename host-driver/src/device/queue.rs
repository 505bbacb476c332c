//! A queue pair: command slots, bounce buffers, doorbells, completion reaping.
//!
//! Each command occupies a *command slot* from submission until its completion
//! is reaped. The slot owns the command's bounce buffer (DMA memory the device
//! reads the pages from or writes them to) and names the command on the wire:
//! `cid = generation << slot_bits | slot index`. There are `min(SQ, CQ) - 1`
//! slots, so the rings can never overflow and the device never has to post into
//! an entry the host has not released.
//!
//! Waiting: a submitter reaps the completion ring itself (any thread may reap;
//! completions are routed to their slots), spins for a short while, then sleeps
//! on the queue's interrupt vector. No lock is held while waiting.
//!
//! Timeouts: a command not completed by its deadline is *abandoned*: its slot
//! (and bounce buffer, which the device may still write) stays reserved until
//! the late completion arrives, which is then discarded and counted. The
//! device executes each queue's commands in order, so a command submitted on
//! the same queue after an abandoned one runs after it: [`super::DeviceClient`]
//! relies on that to clean up after a timed-out STORE.

use super::client::{HostCounter, HostCounters};
use crate::pool::PoolError;
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME};
use pagepress_abi::format::PAGE_SIZE;
use pagepress_abi::regs::queues;
use pagepress_abi::{Command, Completion, Opcode};
use pagepress_pcie::DeviceBackend;
use pagepress_pcie::DmaRegion;
use pagepress_pcie::ring::{CompletionRing, SubmissionRing};
use std::sync::atomic::{Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Longest single sleep on the interrupt before the ring is polled again.
const MAX_SLEEP: Duration = Duration::from_millis(10);

/// Polls a waiter makes with a bare spin before it starts yielding the CPU.
const TIGHT_POLLS: u32 = 64;

/// Initial bounce buffer: a page, or a raw frame (which is a little larger).
const MIN_BOUNCE_BYTES: usize = pagepress_abi::format::MAX_FRAME_SIZE.next_multiple_of(64);

/// The state of one command slot.
#[derive(Debug)]
enum SlotState {
    Free,
    /// Submitted; the submitter is waiting.
    InFlight,
    /// Completed; the submitter has not picked it up yet.
    Done(Completion),
    /// Timed out; the submitter is gone and the late completion is discarded.
    Abandoned,
}

#[derive(Debug)]
struct CommandSlot {
    /// Distinguishes this use of the slot from earlier ones in the `cid`.
    generation: u16,
    state: SlotState,
    bounce: Option<DmaRegion>,
    /// For an exclusive LOAD: its first slot and page count, so that a late
    /// successful completion's pages can be rescued (the device has removed
    /// the entries and the data is only in the bounce buffer).
    exclusive_load: Option<(u32, u16)>,
}

/// Pages of exclusive LOADs that completed after their submitter gave up:
/// the device no longer holds them, so the host keeps them until the slot is
/// loaded, stored or invalidated again.
///
/// A store or invalidate of a slot while an abandoned exclusive LOAD of it is
/// still outstanding *supersedes* it: when that LOAD's late completion comes,
/// its (older) page for the slot is dropped instead of kept, so it can never
/// shadow newer data.
///
/// Lock order: taken under a queue's state lock (by the reaper and on
/// abandonment) and alone by the client.
#[derive(Debug, Default)]
pub struct RescuedPages {
    /// Pages held plus slots with an outstanding abandoned exclusive LOAD;
    /// zero lets the common path skip the lock.
    tracked: std::sync::atomic::AtomicUsize,
    state: Mutex<RescueState>,
}

#[derive(Debug, Default)]
struct RescueState {
    pages: std::collections::HashMap<u32, Box<[u8]>>,
    /// Slot -> abandoned exclusive LOADs of it not completed yet.
    pending: std::collections::HashMap<u32, u32>,
    /// Pending slots stored or invalidated since: their late page is stale.
    superseded: std::collections::HashSet<u32>,
}

impl RescuedPages {
    fn lock(&self) -> MutexGuard<'_, RescueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update_tracked(&self, st: &RescueState) {
        self.tracked
            .store(st.pages.len() + st.pending.len(), Ordering::Release);
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.load(Ordering::Acquire) == 0
    }

    /// An exclusive LOAD of `slot .. slot + nr` was abandoned.
    fn abandoned(&self, slot: u32, nr: u32) {
        let mut st = self.lock();
        for s in slot..slot.saturating_add(nr) {
            *st.pending.entry(s).or_insert(0) += 1;
        }
        self.update_tracked(&st);
    }

    /// The abandoned exclusive LOAD of `slot .. slot + nr` completed; when
    /// `ok`, `page(i, buf)` fills page `i` of its data. Returns pages kept.
    fn completed_late(&self, slot: u32, nr: u32, ok: bool, page: impl Fn(usize, &mut [u8])) -> u32 {
        let mut st = self.lock();
        let mut kept = 0;
        for (i, s) in (slot..slot.saturating_add(nr)).enumerate() {
            let stale = st.superseded.contains(&s);
            if ok && !stale {
                let mut buf = vec![0u8; PAGE_SIZE].into_boxed_slice();
                page(i, &mut buf);
                st.pages.insert(s, buf);
                kept += 1;
            }
            let left = st.pending.get_mut(&s).map(|n| {
                *n -= 1;
                *n
            });
            if left == Some(0) {
                st.pending.remove(&s);
                st.superseded.remove(&s);
            }
        }
        self.update_tracked(&st);
        kept
    }

    /// Whether any slot of `slot .. slot + nr` has a page held.
    pub fn any_in(&self, slot: u32, nr: u32) -> bool {
        if self.is_empty() {
            return false;
        }
        let st = self.lock();
        !st.pages.is_empty() && (slot..slot.saturating_add(nr)).any(|s| st.pages.contains_key(&s))
    }

    /// Copies slot's page into `out`; removes it when `take`. False if absent.
    pub fn copy_out(&self, slot: u32, out: &mut [u8], take: bool) -> bool {
        let mut st = self.lock();
        let found = if take {
            st.pages
                .remove(&slot)
                .map(|p| out.copy_from_slice(&p))
                .is_some()
        } else {
            st.pages
                .get(&slot)
                .map(|p| out.copy_from_slice(p))
                .is_some()
        };
        self.update_tracked(&st);
        found
    }

    /// The slots `slot .. slot + nr` get new data or none (STORE,
    /// INVALIDATE): drops their pages and supersedes outstanding abandoned
    /// exclusive LOADs of them. Returns the pages dropped.
    pub fn supersede(&self, slot: u32, nr: u32) -> u32 {
        if self.is_empty() {
            return 0;
        }
        let mut st = self.lock();
        let mut dropped = 0;
        for s in slot..slot.saturating_add(nr) {
            dropped += st.pages.remove(&s).is_some() as u32;
            if st.pending.contains_key(&s) {
                st.superseded.insert(s);
            }
        }
        self.update_tracked(&st);
        dropped
    }
}

/// Everything a queue's lock protects.
#[derive(Debug)]
struct QueueState {
    sq: SubmissionRing,
    cq: CompletionRing,
    slots: Vec<CommandSlot>,
    /// Indices of `Free` slots.
    free: Vec<u16>,
}

/// What one command asks for, apart from its opcode.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    pub flags: u8,
    pub slot: u32,
    pub nr_pages: u16,
    /// The command's `len` field.
    pub len: u32,
    /// Copied into the bounce buffer before submission (STORE pages).
    pub input: Option<&'a [u8]>,
    /// Bytes of bounce buffer the device writes (LOAD pages, a raw frame,
    /// a STATS snapshot); 0 and no input means the command carries no address.
    pub output_len: usize,
}

/// One queue pair of a [`super::DeviceClient`].
///
/// Lock order: queue `state` -> `RescuedPages` lock. Never two queues'
/// `state` locks at once. `state` is held across writes to the queue's
/// doorbell registers (so tails reach the device in order) and never while
/// sleeping on the interrupt.
pub struct QueuePair {
    qid: u32,
    /// BAR0 offset of this queue's register window.
    window: u32,
    vector: u32,
    slot_bits: u32,
    backend: Arc<dyn DeviceBackend>,
    counters: Arc<HostCounters>,
    rescued: Arc<RescuedPages>,
    /// How long a waiter polls before it sleeps on the interrupt.
    spin: Duration,
    state: Mutex<QueueState>,
}

impl std::fmt::Debug for QueuePair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuePair").field("qid", &self.qid).finish()
    }
}

impl QueuePair {
    /// A queue pair over rings already programmed into window `qid` and
    /// enabled (see `DeviceClient::open`). A waiter polls for `spin` before
    /// it sleeps on the interrupt.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        qid: u32,
        window: u32,
        vector: u32,
        backend: Arc<dyn DeviceBackend>,
        counters: Arc<HostCounters>,
        rescued: Arc<RescuedPages>,
        sq: SubmissionRing,
        cq: CompletionRing,
        spin: Duration,
    ) -> Self {
        let nslots = sq.entries().min(cq.entries()) - 1;
        debug_assert!(nslots >= 1);
        let slot_bits = u32::BITS - (nslots - 1).max(1).leading_zeros();
        let slots = (0..nslots)
            .map(|_| CommandSlot {
                generation: 0,
                state: SlotState::Free,
                bounce: None,
                exclusive_load: None,
            })
            .collect();
        QueuePair {
            qid,
            window,
            vector,
            slot_bits,
            backend,
            counters,
            rescued,
            spin,
            state: Mutex::new(QueueState {
                sq,
                cq,
                slots,
                free: (0..nslots as u16).rev().collect(),
            }),
        }
    }

    pub fn qid(&self) -> u32 {
        self.qid
    }

    /// BAR0 offset of the queue's register window.
    pub fn window(&self) -> u32 {
        self.window
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes every posted completion off the ring, routes it to its slot, and
    /// releases the entries to the device. Caller holds the state lock.
    fn reap(&self, st: &mut QueueState) {
        let mut reaped = false;
        while let Some(c) = st.cq.pop() {
            reaped = true;
            let idx = (c.cid as u32 & ((1 << self.slot_bits) - 1)) as usize;
            let generation = c.cid >> self.slot_bits;
            let Some(slot) = st.slots.get_mut(idx) else {
                self.counters.add(HostCounter::StrayCompletions, 1);
                continue;
            };
            if slot.generation != generation {
                self.counters.add(HostCounter::StrayCompletions, 1);
                continue;
            }
            match slot.state {
                SlotState::InFlight => slot.state = SlotState::Done(c),
                SlotState::Abandoned => {
                    if let Some((first, nr)) = slot.exclusive_load {
                        let ok =
                            c.status == pagepress_abi::Status::Ok as u8 && slot.bounce.is_some();
                        let bounce = slot.bounce.as_ref();
                        let kept = self.rescued.completed_late(first, nr as u32, ok, |i, buf| {
                            if let Some(b) = bounce {
                                b.read_bytes(i * PAGE_SIZE, buf);
                            }
                        });
                        if kept > 0 {
                            self.counters.add(HostCounter::LateExclusiveLoadsRescued, 1);
                        }
                    }
                    slot.state = SlotState::Free;
                    st.free.push(idx as u16);
                    self.counters.add(HostCounter::LateCompletionsDiscarded, 1);
                }
                SlotState::Free | SlotState::Done(_) => {
                    self.counters.add(HostCounter::StrayCompletions, 1)
                }
            }
        }
        if reaped {
            self.backend
                .bar0_write(self.window_reg(queues::CQ_HEAD_DB), st.cq.head());
        }
    }

    fn window_reg(&self, reg: u32) -> u32 {
        self.window + reg
    }

    /// Submits one command and waits for its completion (or `timeout`).
    /// On a successful completion, `output` (if any) receives the first
    /// `output.len()` bytes of the bounce buffer. A non-OK completion is
    /// returned as is; the caller interprets the status.
    pub fn execute(
        &self,
        opcode: Opcode,
        req: Request<'_>,
        output: Option<&mut [u8]>,
        timeout: Duration,
    ) -> Result<Completion, PoolError> {
        debug_assert!(output.as_ref().is_none_or(|o| o.len() <= req.output_len));
        let deadline = Instant::now() + timeout;
        let idx = self.submit(opcode, &req, deadline)?;
        self.wait(idx, output, deadline)
    }

    /// Takes a free slot (waiting for one if all are in flight), fills its
    /// bounce buffer, writes the command and rings the doorbell.
    fn submit(
        &self,
        opcode: Opcode,
        req: &Request<'_>,
        deadline: Instant,
    ) -> Result<usize, PoolError> {
        let need = req.output_len.max(req.input.map_or(0, |i| i.len()));
        loop {
            let seen = self.backend.interrupt_count(self.vector);
            {
                let mut st = self.lock();
                self.reap(&mut st);
                if let Some(idx) = st.free.pop() {
                    let idx = idx as usize;
                    let slot = &mut st.slots[idx];
                    let addr = if need > 0 {
                        if slot.bounce.as_ref().is_none_or(|b| b.len() < need) {
                            let len = need.max(MIN_BOUNCE_BYTES);
                            match self.backend.dma_alloc(len) {
                                Ok(r) => slot.bounce = Some(r),
                                Err(_) => {
                                    st.free.push(idx as u16);
                                    return Err(PoolError::DeviceGone);
                                }
                            }
                        }
                        let bounce = slot.bounce.as_ref().expect("bounce allocated above");
                        if let Some(input) = req.input {
                            bounce.write_bytes(0, input);
                        }
                        bounce.iova()
                    } else {
                        0
                    };
                    slot.generation =
                        slot.generation.wrapping_add(1) & ((1 << (16 - self.slot_bits)) - 1);
                    slot.state = SlotState::InFlight;
                    slot.exclusive_load = (opcode == Opcode::Load
                        && req.flags & CMD_FLAG_EXCLUSIVE != 0
                        && req.flags & CMD_FLAG_RAW_FRAME == 0)
                        .then_some((req.slot, req.nr_pages));
                    let cid = (slot.generation << self.slot_bits) | idx as u16;
                    let mut cmd = Command::new(opcode, cid, req.slot, req.nr_pages, addr);
                    cmd.flags = req.flags;
                    cmd.len = req.len;
                    let tail = st.sq.push(&cmd);
                    // The command's words must be visible before the doorbell.
                    fence(Ordering::Release);
                    self.backend
                        .bar0_write(self.window_reg(queues::SQ_TAIL_DB), tail);
                    return Ok(idx);
                }
            }
            // Every slot is in flight: wait for a completion to free one.
            let now = Instant::now();
            if now >= deadline {
                self.counters.add(HostCounter::Timeouts, 1);
                return Err(PoolError::Timeout);
            }
            self.backend
                .wait_interrupt(self.vector, seen, (deadline - now).min(MAX_SLEEP));
        }
    }

    /// Picks up slot `idx`'s completion if it has arrived. Caller holds the lock.
    fn try_finish(
        &self,
        st: &mut QueueState,
        idx: usize,
        output: &mut Option<&mut [u8]>,
    ) -> Option<Completion> {
        self.reap(st);
        let slot = &mut st.slots[idx];
        let SlotState::Done(c) = slot.state else {
            return None;
        };
        if c.status == pagepress_abi::Status::Ok as u8
            && let Some(out) = output.as_deref_mut()
            && let Some(bounce) = slot.bounce.as_ref()
        {
            // Under the lock: once the slot is free another thread may reuse
            // the bounce buffer.
            bounce.read_bytes(0, out);
        }
        slot.state = SlotState::Free;
        st.free.push(idx as u16);
        Some(c)
    }

    fn wait(
        &self,
        idx: usize,
        mut output: Option<&mut [u8]>,
        deadline: Instant,
    ) -> Result<Completion, PoolError> {
        let spin_start = Instant::now();
        let mut polls = 0u32;
        loop {
            let seen = self.backend.interrupt_count(self.vector);
            let spinning = polls < TIGHT_POLLS || spin_start.elapsed() < self.spin;
            if spinning {
                // While spinning, let a thread that is already reaping do it.
                if let Ok(mut st) = self.state.try_lock()
                    && let Some(c) = self.try_finish(&mut st, idx, &mut output)
                {
                    return Ok(c);
                }
                polls += 1;
                if polls < TIGHT_POLLS {
                    std::hint::spin_loop();
                } else {
                    // The device may need this CPU (a model thread, or other
                    // work on a busy host).
                    std::thread::yield_now();
                }
                continue;
            }
            {
                let mut st = self.lock();
                if let Some(c) = self.try_finish(&mut st, idx, &mut output) {
                    return Ok(c);
                }
                if Instant::now() >= deadline {
                    st.slots[idx].state = SlotState::Abandoned;
                    if let Some((first, nr)) = st.slots[idx].exclusive_load {
                        self.rescued.abandoned(first, nr as u32);
                    }
                    self.counters.add(HostCounter::Timeouts, 1);
                    return Err(PoolError::Timeout);
                }
            }
            // Sleep in slices, so that a lost or masked interrupt costs
            // latency, not the command.
            let left = deadline.saturating_duration_since(Instant::now());
            self.backend
                .wait_interrupt(self.vector, seen, left.min(MAX_SLEEP));
        }
    }

    /// Reaps whatever completions have arrived (so late ones are handled).
    pub fn reap_now(&self) {
        let mut st = self.lock();
        self.reap(&mut st);
    }

    /// Number of slots currently abandoned (for tests).
    pub fn abandoned_slots(&self) -> usize {
        let mut st = self.lock();
        self.reap(&mut st);
        st.slots
            .iter()
            .filter(|s| matches!(s.state, SlotState::Abandoned))
            .count()
    }
}
