//! Doorbell-to-completion cycles per command, from what crosses the ports.
//!
//! The harness shows this module every register write the device takes, every
//! 32-byte DMA read it answers and every 16-byte DMA write that lands. From
//! the queue registers (`pagepress_abi::regs::queues`) it knows each ring;
//! an `SQ_TAIL_DB` write stamps the ring entries it submits with its cycle; a
//! read of one SQ entry is the command's fetch (its opcode, flags and
//! `nr_pages` are kept); a write into a CQ is a completion, whose `sq_id` and
//! `sq_head - 1` name the command. Successful STOREs and LOADs (not RAW_FRAME
//! loads, which move a frame, not pages) give one sample each: cycles from
//! the doorbell to the edge the completion landed, divided by `nr_pages`
//! (rounded), i.e. cycles per 4 KiB page.
//!
//! The accounting is a passive observer: a device that fetches or completes
//! something the host did not submit produces no sample, never an error.

use pagepress_abi::desc::{CMD_FLAG_RAW_FRAME, COMMAND_SIZE, COMPLETION_SIZE};
use pagepress_abi::regs::queues;
use pagepress_abi::{Completion, Opcode, Status};

/// Queue pairs of the largest RTL build.
const QUEUES: usize = pagepress_firmware::params::RTL_MAX_QUEUES as usize;

/// Largest ring the accounting follows (log2 of entries).
const MAX_RING_LOG2: u32 = 16;

/// What the harness knows of one submitted ring entry.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// Cycle of the doorbell that submitted it (`None`: not submitted or done).
    doorbell: Option<u64>,
    /// Opcode, flags and `nr_pages` as fetched.
    fetched: Option<(u8, u8, u16)>,
}

/// The harness's copy of one queue's registers and its ring entries.
#[derive(Debug, Default)]
struct QueueShadow {
    sq_base: u64,
    sq_log2: u32,
    cq_base: u64,
    cq_log2: u32,
    /// The last `SQ_TAIL_DB` value.
    tail: u32,
    entries: Vec<Entry>,
}

impl QueueShadow {
    fn sq_len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The SQ entry `addr` is, if it is one.
    fn sq_index(&self, addr: u64) -> Option<usize> {
        let off = addr.checked_sub(self.sq_base)?;
        let i = off / COMMAND_SIZE as u64;
        (off.is_multiple_of(COMMAND_SIZE as u64) && i < self.sq_len()).then_some(i as usize)
    }

    fn in_cq(&self, addr: u64) -> bool {
        addr.checked_sub(self.cq_base).is_some_and(|off| {
            off.is_multiple_of(COMPLETION_SIZE as u64)
                && off < (COMPLETION_SIZE as u64) << self.cq_log2
        })
    }
}

/// Doorbell-to-completion samples, cycles per page.
#[derive(Debug, Default)]
pub(crate) struct Accounting {
    queues: [QueueShadow; QUEUES],
    pub(crate) store_cycles: Vec<u64>,
    pub(crate) load_cycles: Vec<u64>,
    /// Completions seen (any status, matched or not).
    pub(crate) completions: u64,
}

impl Accounting {
    /// A register write taken on edge `now`.
    pub(crate) fn reg_write(&mut self, now: u64, offset: u32, value: u32) {
        let first = queues::reg(0, 0);
        let Some(rel) = offset.checked_sub(first) else {
            return;
        };
        let q = (rel / queues::STRIDE_BYTES) as usize;
        if q >= self.queues.len() {
            return;
        }
        let s = &mut self.queues[q];
        match rel % queues::STRIDE_BYTES {
            queues::SQ_BASE_LO => s.sq_base = (s.sq_base & !0xffff_ffff) | value as u64,
            queues::SQ_BASE_HI => s.sq_base = (s.sq_base & 0xffff_ffff) | (value as u64) << 32,
            queues::CQ_BASE_LO => s.cq_base = (s.cq_base & !0xffff_ffff) | value as u64,
            queues::CQ_BASE_HI => s.cq_base = (s.cq_base & 0xffff_ffff) | (value as u64) << 32,
            queues::SQ_SIZE_LOG2 => {
                s.sq_log2 = value;
                let n = if value <= MAX_RING_LOG2 {
                    1 << value
                } else {
                    0
                };
                s.entries.clear();
                s.entries.resize(n, Entry::default());
            }
            queues::CQ_SIZE_LOG2 => s.cq_log2 = value.min(MAX_RING_LOG2),
            queues::ENABLE => {
                // Enabling resets the ring indices; forget what was in flight.
                s.tail = 0;
                s.entries.fill(Entry::default());
            }
            queues::SQ_TAIL_DB => {
                let n = s.entries.len() as u32;
                if value >= n {
                    return; // the device puts the queue in error
                }
                let mut i = s.tail;
                while i != value {
                    s.entries[i as usize] = Entry {
                        doorbell: Some(now),
                        fetched: None,
                    };
                    i = (i + 1) % n;
                }
                s.tail = value;
            }
            _ => {}
        }
    }

    /// A DMA read of `data` at `addr` answered (taken on some edge).
    pub(crate) fn dma_read(&mut self, addr: u64, data: &[u8]) {
        if data.len() != COMMAND_SIZE {
            return;
        }
        for s in &mut self.queues {
            if let Some(i) = s.sq_index(addr) {
                let e = &mut s.entries[i];
                if e.doorbell.is_some() {
                    e.fetched = Some((data[0], data[1], u16::from_le_bytes([data[4], data[5]])));
                }
                return;
            }
        }
    }

    /// A DMA write of `data` at `addr` landed on edge `now`.
    pub(crate) fn dma_write(&mut self, now: u64, addr: u64, data: &[u8]) {
        let Ok(bytes) = <&[u8; COMPLETION_SIZE]>::try_from(data) else {
            return;
        };
        if !self.queues.iter().any(|s| s.in_cq(addr)) {
            return;
        }
        self.completions += 1;
        let c = Completion::from_bytes(bytes);
        let Some(s) = self.queues.get_mut(c.sq_id as usize) else {
            return;
        };
        let n = s.sq_len();
        if n == 0 {
            return;
        }
        let i = ((c.sq_head as u64 + n - 1) % n) as usize;
        let e = std::mem::take(&mut s.entries[i]);
        let (Some(doorbell), Some((opcode, flags, nr_pages))) = (e.doorbell, e.fetched) else {
            return;
        };
        if c.status != Status::Ok as u8 || nr_pages == 0 {
            return;
        }
        let per_page = (now - doorbell + nr_pages as u64 / 2) / nr_pages as u64;
        match Opcode::from_u8(opcode) {
            Some(Opcode::Store) => self.store_cycles.push(per_page),
            Some(Opcode::Load) if flags & CMD_FLAG_RAW_FRAME == 0 => {
                self.load_cycles.push(per_page)
            }
            _ => {}
        }
    }
}
