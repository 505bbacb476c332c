//! Descriptor rings in DMA memory (`pagepress_abi::desc` protocol).
//!
//! The host side ([`SubmissionRing`], [`CompletionRing`]) and the device side
//! ([`device_fetch_command`], [`device_post_completion`]) of the same layout.
//!
//! Publication: a command is four 64-bit words; the host writes them, then a
//! `Release` fence, then the doorbell register, so a device that has seen the
//! doorbell sees the command. A completion is two words; the device writes
//! word 1 (`result`, `info`), then word 0 (holding the phase bit) with
//! `Release`; the host reads word 0 with `Acquire` and, when the phase is the
//! one it expects, word 1.

use crate::dma::{DmaFault, DmaRegion, DmaSpace, Iotlb};
use pagepress_abi::desc::{COMMAND_SIZE, COMPLETION_SIZE, CPL_FLAG_PHASE};
use pagepress_abi::{Command, Completion};
use std::sync::atomic::Ordering;

const COMMAND_WORDS: usize = COMMAND_SIZE / 8;
const _: () = assert!(COMMAND_SIZE.is_multiple_of(8) && COMPLETION_SIZE == 16);

fn command_words(cmd: &Command) -> [u64; COMMAND_WORDS] {
    let b = cmd.to_bytes();
    let mut w = [0u64; COMMAND_WORDS];
    for (i, word) in w.iter_mut().enumerate() {
        let mut le = [0u8; 8];
        le.copy_from_slice(&b[i * 8..i * 8 + 8]);
        *word = u64::from_le_bytes(le);
    }
    w
}

fn command_from_words(w: &[u64; COMMAND_WORDS]) -> Command {
    let mut b = [0u8; COMMAND_SIZE];
    for (i, word) in w.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&word.to_le_bytes());
    }
    Command::from_bytes(&b)
}

fn completion_words(c: &Completion) -> [u64; 2] {
    let b = c.to_bytes();
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&b[..8]);
    hi.copy_from_slice(&b[8..]);
    [u64::from_le_bytes(lo), u64::from_le_bytes(hi)]
}

fn completion_from_words(w0: u64, w1: u64) -> Completion {
    let mut b = [0u8; COMPLETION_SIZE];
    b[..8].copy_from_slice(&w0.to_le_bytes());
    b[8..].copy_from_slice(&w1.to_le_bytes());
    Completion::from_bytes(&b)
}

/// Byte 3 of word 0 is the completion's flags.
const PHASE_BIT_IN_WORD0: u64 = (CPL_FLAG_PHASE as u64) << 24;

/// Host side of a submission ring: the producer.
#[derive(Debug)]
pub struct SubmissionRing {
    region: DmaRegion,
    /// Entries, a power of two.
    entries: u32,
    /// Next entry the host writes.
    tail: u32,
}

impl SubmissionRing {
    /// A ring of `1 << log2` commands in `region` (at least that many bytes).
    pub fn new(region: DmaRegion, log2: u32) -> Self {
        let entries = 1u32 << log2;
        debug_assert!(region.len() >= entries as usize * COMMAND_SIZE);
        SubmissionRing {
            region,
            entries,
            tail: 0,
        }
    }

    pub fn iova(&self) -> u64 {
        self.region.iova()
    }

    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// Writes `cmd` at the tail and advances it; returns the new tail, the
    /// value for the `SQ_TAIL_DB` doorbell. The caller guarantees a free entry
    /// (fewer than `entries - 1` commands outstanding) and issues the
    /// `Release` fence before ringing the doorbell.
    pub fn push(&mut self, cmd: &Command) -> u32 {
        let base = self.tail as usize * COMMAND_SIZE;
        for (i, w) in command_words(cmd).iter().enumerate() {
            self.region.store_u64(base + i * 8, *w, Ordering::Relaxed);
        }
        self.tail = (self.tail + 1) & (self.entries - 1);
        self.tail
    }

    /// The host's tail, the value for the `SQ_TAIL_DB` doorbell.
    pub fn tail(&self) -> u32 {
        self.tail
    }

    /// Back to the state of a freshly enabled queue.
    pub fn reset(&mut self) {
        self.tail = 0;
    }
}

/// Host side of a completion ring: the consumer.
#[derive(Debug)]
pub struct CompletionRing {
    region: DmaRegion,
    entries: u32,
    /// Next entry the host reads.
    head: u32,
    /// The phase a new entry at `head` carries (true on the first pass).
    phase: bool,
}

impl CompletionRing {
    pub fn new(region: DmaRegion, log2: u32) -> Self {
        let entries = 1u32 << log2;
        debug_assert!(region.len() >= entries as usize * COMPLETION_SIZE);
        CompletionRing {
            region,
            entries,
            head: 0,
            phase: true,
        }
    }

    pub fn iova(&self) -> u64 {
        self.region.iova()
    }

    pub fn entries(&self) -> u32 {
        self.entries
    }

    /// The host's head, the value for the `CQ_HEAD_DB` doorbell.
    pub fn head(&self) -> u32 {
        self.head
    }

    /// The phase the host expects next (for tests of the wrap).
    pub fn expected_phase(&self) -> bool {
        self.phase
    }

    /// Whether the device has posted the completion at the head.
    pub fn ready(&self) -> bool {
        let w0 = self
            .region
            .load_u64(self.head as usize * COMPLETION_SIZE, Ordering::Acquire);
        (w0 & PHASE_BIT_IN_WORD0 != 0) == self.phase
    }

    /// Takes the completion at the head if the device has posted it.
    pub fn pop(&mut self) -> Option<Completion> {
        let base = self.head as usize * COMPLETION_SIZE;
        let w0 = self.region.load_u64(base, Ordering::Acquire);
        if (w0 & PHASE_BIT_IN_WORD0 != 0) != self.phase {
            return None;
        }
        let w1 = self.region.load_u64(base + 8, Ordering::Relaxed);
        self.head += 1;
        if self.head == self.entries {
            self.head = 0;
            self.phase = !self.phase;
        }
        Some(completion_from_words(w0, w1))
    }

    /// Back to the state of a freshly enabled queue: zeroes the ring so no
    /// old entry carries the first pass's phase.
    pub fn reset(&mut self) {
        for i in 0..(self.entries as usize * COMPLETION_SIZE / 8) {
            self.region.store_u64(i * 8, 0, Ordering::Relaxed);
        }
        self.head = 0;
        self.phase = true;
    }
}

/// Device side: reads command `index` of the submission ring at `base`.
pub fn device_fetch_command(
    space: &DmaSpace,
    tlb: &mut Iotlb,
    base: u64,
    index: u32,
) -> Result<Command, DmaFault> {
    let at = base + index as u64 * COMMAND_SIZE as u64;
    let mut w = [0u64; COMMAND_WORDS];
    space.load_words_cached(tlb, at, &mut w)?;
    Ok(command_from_words(&w))
}

/// Device side: writes `c` (whose flags carry the phase) into entry `index` of
/// the completion ring at `base`, publishing it with the phase word last.
pub fn device_post_completion(
    space: &DmaSpace,
    tlb: &mut Iotlb,
    base: u64,
    index: u32,
    c: &Completion,
) -> Result<(), DmaFault> {
    let at = base + index as u64 * COMPLETION_SIZE as u64;
    space.store_words_publish_first(tlb, at, &completion_words(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagepress_abi::Opcode;

    #[test]
    fn rings_wrap_and_flip_phase() {
        let space = DmaSpace::new();
        let mut sq = SubmissionRing::new(space.alloc(4 * COMMAND_SIZE), 2);
        let mut cq = CompletionRing::new(space.alloc(4 * COMPLETION_SIZE), 2);
        let mut dev_phase = true;
        let mut dev_tail = 0u32;
        let mut tlb = Iotlb::default();
        for n in 0..11u16 {
            let cmd = Command::new(Opcode::Nop, n, 7, 1, 0x1000);
            let idx = (sq.push(&cmd) + 3) & 3;
            let got = device_fetch_command(&space, &mut tlb, sq.iova(), idx).unwrap();
            assert_eq!(got, cmd);
            assert!(cq.pop().is_none());
            let c = Completion {
                cid: n,
                flags: if dev_phase { CPL_FLAG_PHASE } else { 0 },
                ..Default::default()
            };
            device_post_completion(&space, &mut tlb, cq.iova(), dev_tail, &c).unwrap();
            dev_tail = (dev_tail + 1) & 3;
            if dev_tail == 0 {
                dev_phase = !dev_phase;
            }
            assert_eq!(cq.pop().map(|c| c.cid), Some(n));
            assert!(cq.pop().is_none());
        }
        // 11 entries on a ring of 4: two wraps, back to the first phase.
        assert_eq!(cq.head(), 3);
        assert!(cq.expected_phase());
    }
}
