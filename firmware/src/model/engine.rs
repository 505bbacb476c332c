//! Command execution: what the device does with one fetched command.
//!
//! The engines' shared state — index, allocator, device memory — lives in
//! [`Core`] under one lock. Compression and decompression run outside it, so
//! several workers overlap on the expensive part; each command's index update
//! (remove the range's old entries, allocate, insert) is one critical section,
//! so a RESET or a command on another queue sees it whole or not at all.
//!
//! Lock order: `Engine::faults` before `Engine::core` is never needed (they are
//! taken one at a time); the counters are atomics.

use super::alloc::UnitAllocator;
use super::fault::{FaultHits, FaultState};
use super::index::{Entry, RadixIndex};
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME, CMD_FLAGS_VALID};
use pagepress_abi::format::{self, MAX_FRAME_SIZE, PAGE_SIZE};
use pagepress_abi::stats::{STAT_COUNT, STATS_SNAPSHOT_SIZE, StatCounter};
use pagepress_abi::{Command, Opcode, Status};
use pagepress_codec::{FrameKind, compress_page, decompress_page, same_filled};
use pagepress_pcie::{DmaSpace, Iotlb};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The device's shared state, under `Engine::core`.
#[derive(Debug)]
pub(crate) struct Core {
    pub index: RadixIndex,
    pub alloc: UnitAllocator,
    /// Device memory for frames.
    pub devmem: Vec<u8>,
}

/// What to post for a command, and when.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Outcome {
    pub status: Status,
    pub result: u32,
    pub info: u32,
    pub drop_completion: bool,
    pub delay: Option<Duration>,
}

impl Outcome {
    fn ok(result: u32, info: u32) -> Self {
        Outcome {
            status: Status::Ok,
            result,
            info,
            drop_completion: false,
            delay: None,
        }
    }

    fn err(status: Status, info: u32) -> Self {
        Outcome {
            status,
            result: 0,
            info,
            drop_completion: false,
            delay: None,
        }
    }
}

/// Parameters of the engines (from `SoftConfig`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct EngineParams {
    pub max_slots: u32,
    pub max_nr_pages: u32,
    pub alloc_unit: u32,
}

/// The command engines of one device.
#[derive(Debug)]
pub(crate) struct Engine {
    pub params: EngineParams,
    pub dma: DmaSpace,
    core: Mutex<Core>,
    faults: Mutex<FaultState>,
    /// Set once any fault rule is installed, so the common case of no faults
    /// never touches the `faults` lock.
    faults_armed: AtomicBool,
    stats: [AtomicU64; STAT_COUNT],
}

/// A frame read out of device memory, or a same-filled word.
enum Stored {
    Fill(u64),
    Frame(Vec<u8>),
}

impl Engine {
    pub fn new(params: EngineParams, core: Core, faults: FaultState, dma: DmaSpace) -> Self {
        Engine {
            params,
            dma,
            core: Mutex::new(core),
            faults_armed: AtomicBool::new(!faults.is_empty()),
            faults: Mutex::new(faults),
            stats: Default::default(),
        }
    }

    pub fn core(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault rules, for changes: marks them armed.
    pub fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.faults_armed.store(true, Ordering::SeqCst);
        self.faults.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stat(&self, c: StatCounter) -> u64 {
        self.stats[c as usize].load(Ordering::Relaxed)
    }

    fn bump(&self, c: StatCounter, n: u64) {
        self.stats[c as usize].fetch_add(n, Ordering::Relaxed);
    }

    /// Zeroes every counter (register reset).
    pub fn clear_stats(&self) {
        for s in &self.stats {
            s.store(0, Ordering::Relaxed);
        }
    }

    /// Updates the gauges and the index-access count. Caller holds the core.
    fn sync_gauges(&self, core: &mut Core) {
        self.stats[StatCounter::Entries as usize].store(core.index.len(), Ordering::Relaxed);
        self.stats[StatCounter::DevmemUsed as usize].store(
            core.alloc.used() as u64 * self.params.alloc_unit as u64,
            Ordering::Relaxed,
        );
        self.bump(StatCounter::IndexAccesses, core.index.take_accesses());
    }

    /// Drops every entry and frees all device memory.
    pub fn drop_all_entries(&self) {
        let mut core = self.core();
        core.index.clear();
        core.alloc.clear();
        self.sync_gauges(&mut core);
    }

    fn units_of(&self, len: u32) -> u32 {
        len.div_ceil(self.params.alloc_unit)
    }

    /// Removes the entry of `slot`, freeing its memory. Caller holds the core.
    fn remove_entry(&self, core: &mut Core, slot: u32) -> bool {
        match core.index.remove(slot) {
            Some(Entry::Compressed { unit, len }) => {
                let n = self.units_of(len);
                core.alloc.free(unit, n);
                true
            }
            Some(Entry::SameFilled(_)) => true,
            None => false,
        }
    }

    /// Checks `nr_pages` and the slot range of a page command.
    fn check_range(&self, cmd: &Command) -> Result<(), Outcome> {
        if cmd.nr_pages == 0 || cmd.nr_pages as u32 > self.params.max_nr_pages {
            self.bump(StatCounter::ErrBadCommand, 1);
            return Err(Outcome::err(Status::BadCommand, 0));
        }
        if cmd.slot as u64 + cmd.nr_pages as u64 > self.params.max_slots as u64 {
            self.bump(StatCounter::ErrBadSlot, 1);
            return Err(Outcome::err(Status::BadSlot, 0));
        }
        Ok(())
    }

    fn bad_command(&self) -> Outcome {
        self.bump(StatCounter::ErrBadCommand, 1);
        Outcome::err(Status::BadCommand, 0)
    }

    /// Executes one command.
    pub fn execute(&self, cmd: &Command, tlb: &mut Iotlb) -> Outcome {
        let hits = if self.faults_armed.load(Ordering::Relaxed) {
            let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            f.hits(cmd.opcode, cmd.flags, cmd.slot, cmd.nr_pages)
        } else {
            FaultHits::default()
        };
        let mut out = match Opcode::from_u8(cmd.opcode) {
            None => self.bad_command(),
            Some(_) if cmd.flags & !CMD_FLAGS_VALID != 0 => self.bad_command(),
            Some(Opcode::Nop) => Outcome::ok(0, 0),
            Some(Opcode::Store) => self.store(cmd, &hits, tlb),
            Some(op @ (Opcode::Load | Opcode::ReadForWriteback)) => self.load(op, cmd, &hits, tlb),
            Some(Opcode::Invalidate) => self.invalidate(cmd),
            Some(Opcode::Stats) => self.stats_cmd(cmd, &hits, tlb),
            Some(Opcode::Reset) => {
                self.drop_all_entries();
                Outcome::ok(0, 0)
            }
        };
        out.drop_completion = hits.drop_completion;
        out.delay = hits.delay;
        out
    }

    /// STORE, in the order the RTL runs it (it cannot hold a command's frames
    /// until all are compressed): remove the range's old entries, then page by
    /// page read, compress, allocate, write, insert. A failure at page `i`
    /// removes the entries of pages `0 .. i`, so on any failure nothing of the
    /// command is stored and no older entry of the range is left.
    ///
    /// The core lock is held for the whole command: a RESET or a command on
    /// another queue sees the range before or after, never half-stored.
    fn store(&self, cmd: &Command, hits: &FaultHits, tlb: &mut Iotlb) -> Outcome {
        self.bump(StatCounter::StoreCmds, 1);
        if cmd.flags != 0 {
            return self.bad_command();
        }
        if let Err(o) = self.check_range(cmd) {
            return o;
        }
        let nr = cmd.nr_pages as u32;
        let mut core = self.core();
        for s in cmd.slot..cmd.slot + nr {
            self.remove_entry(&mut core, s);
        }
        if hits.no_space {
            return self.store_failed(core, cmd, Status::NoSpace, 0);
        }
        let mut page = [0u8; PAGE_SIZE];
        let mut frame = Vec::with_capacity(MAX_FRAME_SIZE);
        let mut bytes = 0u32;
        let mut fills = 0u32;
        for i in 0..nr {
            let slot = cmd.slot + i;
            let addr = cmd.addr.wrapping_add(i as u64 * PAGE_SIZE as u64);
            if hits.dma_fault || self.dma.read_cached(tlb, addr, &mut page).is_err() {
                return self.store_failed(core, cmd, Status::DmaFault, i);
            }
            let entry = if let Some(word) = same_filled(&page) {
                Entry::SameFilled(word)
            } else {
                frame.clear();
                // The model measures no engine cycles: COMPRESS_CYCLES and
                // DECOMPRESS_CYCLES stay 0 (they are the RTL's figures).
                if compress_page(&page, &mut frame) == FrameKind::Raw {
                    return self.store_failed(core, cmd, Status::Incompressible, i);
                }
                let len = frame.len() as u32;
                let Some(unit) = core.alloc.alloc(self.units_of(len)) else {
                    return self.store_failed(core, cmd, Status::NoSpace, i);
                };
                let at = unit as usize * self.params.alloc_unit as usize;
                core.devmem[at..at + frame.len()].copy_from_slice(&frame);
                Entry::Compressed { unit, len }
            };
            if core.index.insert(slot, entry).is_err() {
                if let Entry::Compressed { unit, len } = entry {
                    core.alloc.free(unit, self.units_of(len));
                }
                return self.store_failed(core, cmd, Status::NoSpace, i);
            }
            match entry {
                Entry::SameFilled(_) => fills += 1,
                Entry::Compressed { len, .. } => bytes += len,
            }
        }
        self.sync_gauges(&mut core);
        drop(core);
        self.bump(StatCounter::StoredPages, nr as u64);
        self.bump(StatCounter::StoredBytes, bytes as u64);
        self.bump(StatCounter::StoredInputBytes, nr as u64 * PAGE_SIZE as u64);
        self.bump(StatCounter::SameFilledPages, fills as u64);
        Outcome::ok(bytes, fills)
    }

    /// The failure path of a STORE at page `page`: remove the entries of the
    /// pages inserted so far (the range's older entries are already gone).
    fn store_failed(
        &self,
        mut core: MutexGuard<'_, Core>,
        cmd: &Command,
        status: Status,
        page: u32,
    ) -> Outcome {
        for s in cmd.slot..cmd.slot + page {
            self.remove_entry(&mut core, s);
        }
        self.sync_gauges(&mut core);
        drop(core);
        self.bump(
            match status {
                Status::Incompressible => StatCounter::RejectIncompressible,
                Status::NoSpace => StatCounter::RejectNoSpace,
                _ => StatCounter::ErrDmaFault,
            },
            1,
        );
        Outcome::err(status, page)
    }

    /// The frame RAW_FRAME returns for a same-filled entry: an RLE frame when
    /// every byte is equal, else a raw frame of the filled page.
    fn fill_frame(word: u64) -> Vec<u8> {
        let bytes = word.to_le_bytes();
        let mut frame = Vec::with_capacity(MAX_FRAME_SIZE);
        frame.extend_from_slice(&format::FRAME_HEADER);
        let (block_type, body): (u8, Vec<u8>) = if bytes.iter().all(|&b| b == bytes[0]) {
            (format::BLOCK_TYPE_RLE, vec![bytes[0]])
        } else {
            (
                format::BLOCK_TYPE_RAW,
                bytes.iter().copied().cycle().take(PAGE_SIZE).collect(),
            )
        };
        let bh = 1 | (block_type as u32) << 1 | (PAGE_SIZE as u32) << 3;
        frame.extend_from_slice(&bh.to_le_bytes()[..3]);
        frame.extend_from_slice(&body);
        frame
    }

    fn load(&self, op: Opcode, cmd: &Command, hits: &FaultHits, tlb: &mut Iotlb) -> Outcome {
        let writeback = op == Opcode::ReadForWriteback;
        if !writeback {
            self.bump(StatCounter::LoadCmds, 1);
        }
        let raw = cmd.flags & CMD_FLAG_RAW_FRAME != 0;
        let exclusive = cmd.flags & CMD_FLAG_EXCLUSIVE != 0;
        if (writeback && cmd.flags != 0) || (raw && cmd.nr_pages != 1) {
            return self.bad_command();
        }
        if let Err(o) = self.check_range(cmd) {
            return o;
        }
        let nr = cmd.nr_pages as u32;
        // Look every slot up and copy the frames out, under the lock.
        let mut found = Vec::with_capacity(nr as usize);
        {
            let mut core = self.core();
            for i in 0..nr {
                let e = core.index.get(cmd.slot + i);
                let stored = match e {
                    None => {
                        self.sync_gauges(&mut core);
                        drop(core);
                        self.bump(StatCounter::ErrNotFound, 1);
                        return Outcome::err(Status::NotFound, i);
                    }
                    Some(Entry::SameFilled(w)) => Stored::Fill(w),
                    Some(Entry::Compressed { unit, len }) => {
                        let at = unit as usize * self.params.alloc_unit as usize;
                        Stored::Frame(core.devmem[at..at + len as usize].to_vec())
                    }
                };
                found.push((e.expect("checked above"), stored));
            }
            self.sync_gauges(&mut core);
        }
        let mut result = 0;
        if raw {
            let frame = match &found[0].1 {
                Stored::Fill(w) => Self::fill_frame(*w),
                Stored::Frame(f) => f.clone(),
            };
            if frame.len() > cmd.len as usize {
                return Outcome {
                    result: frame.len() as u32,
                    ..Outcome::err(Status::BufferTooSmall, 0)
                };
            }
            if hits.dma_fault || self.dma.write_cached(tlb, cmd.addr, &frame).is_err() {
                self.bump(StatCounter::ErrDmaFault, 1);
                return Outcome::err(Status::DmaFault, 0);
            }
            result = frame.len() as u32;
        } else {
            let mut page = [0u8; PAGE_SIZE];
            for (i, (_, stored)) in found.iter().enumerate() {
                let slot = cmd.slot + i as u32;
                match stored {
                    Stored::Fill(w) => {
                        for c in page.chunks_exact_mut(8) {
                            c.copy_from_slice(&w.to_le_bytes());
                        }
                    }
                    Stored::Frame(f) => {
                        let decoded = hits.corrupt_slot != Some(slot)
                            && decompress_page(f, &mut page).is_ok();
                        if !decoded {
                            self.bump(StatCounter::ErrCorrupt, 1);
                            return Outcome::err(Status::Corrupt, i as u32);
                        }
                    }
                }
                let addr = cmd.addr.wrapping_add(i as u64 * PAGE_SIZE as u64);
                if hits.dma_fault || self.dma.write_cached(tlb, addr, &page).is_err() {
                    self.bump(StatCounter::ErrDmaFault, 1);
                    return Outcome::err(Status::DmaFault, i as u32);
                }
            }
        }
        if exclusive {
            // The data is in host memory: remove the entries, unless another
            // queue replaced one meanwhile.
            let mut core = self.core();
            for (i, (entry, _)) in found.iter().enumerate() {
                let slot = cmd.slot + i as u32;
                if core.index.get(slot) == Some(*entry) {
                    self.remove_entry(&mut core, slot);
                }
            }
            self.sync_gauges(&mut core);
        }
        self.bump(
            if writeback {
                StatCounter::WritebackPages
            } else {
                StatCounter::LoadedPages
            },
            nr as u64,
        );
        Outcome::ok(result, 0)
    }

    fn invalidate(&self, cmd: &Command) -> Outcome {
        if cmd.flags != 0 {
            return self.bad_command();
        }
        if let Err(o) = self.check_range(cmd) {
            return o;
        }
        let mut core = self.core();
        let mut removed = 0;
        for s in cmd.slot..cmd.slot + cmd.nr_pages as u32 {
            removed += self.remove_entry(&mut core, s) as u32;
        }
        self.sync_gauges(&mut core);
        drop(core);
        self.bump(StatCounter::InvalidatedPages, removed as u64);
        Outcome::ok(removed, 0)
    }

    fn stats_cmd(&self, cmd: &Command, hits: &FaultHits, tlb: &mut Iotlb) -> Outcome {
        if cmd.flags != 0 {
            return self.bad_command();
        }
        if (cmd.len as usize) < STATS_SNAPSHOT_SIZE {
            return Outcome::err(Status::BufferTooSmall, 0);
        }
        let mut snap = [0u8; STATS_SNAPSHOT_SIZE];
        for (c, b) in self.stats.iter().zip(snap.chunks_exact_mut(8)) {
            b.copy_from_slice(&c.load(Ordering::Relaxed).to_le_bytes());
        }
        if hits.dma_fault || self.dma.write_cached(tlb, cmd.addr, &snap).is_err() {
            self.bump(StatCounter::ErrDmaFault, 1);
            return Outcome::err(Status::DmaFault, 0);
        }
        Outcome::ok(STAT_COUNT as u32, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let params = EngineParams {
            max_slots: 1024,
            max_nr_pages: 8,
            alloc_unit: 64,
        };
        let core = Core {
            index: RadixIndex::new(1024, 64),
            alloc: UnitAllocator::new(1024),
            devmem: vec![0; 1024 * 64],
        };
        Engine::new(params, core, FaultState::default(), DmaSpace::new())
    }

    #[test]
    fn unknown_opcode_and_flags_are_bad_commands() {
        let e = engine();
        let mut tlb = Iotlb::default();
        let unknown = Command {
            opcode: Opcode::ALL.len() as u8,
            nr_pages: 1,
            ..Default::default()
        };
        assert_eq!(e.execute(&unknown, &mut tlb).status, Status::BadCommand);
        let bad_flags = Command {
            flags: 0x40,
            ..Command::new(Opcode::Invalidate, 1, 0, 1, 0)
        };
        assert_eq!(e.execute(&bad_flags, &mut tlb).status, Status::BadCommand);
        let too_many = Command::new(Opcode::Invalidate, 1, 0, 9, 0);
        assert_eq!(e.execute(&too_many, &mut tlb).status, Status::BadCommand);
        assert_eq!(e.stat(StatCounter::ErrBadCommand), 3);
        // STATS into a short buffer.
        let stats = Command {
            len: 8,
            ..Command::new(Opcode::Stats, 1, 0, 0, 0)
        };
        assert_eq!(e.execute(&stats, &mut tlb).status, Status::BufferTooSmall);
    }

    #[test]
    fn fill_frames_decode_to_the_filled_page() {
        for word in [0u64, 0x4242_4242_4242_4242, 0x0102_0304_0506_0708] {
            let frame = Engine::fill_frame(word);
            let mut page = [0u8; PAGE_SIZE];
            pagepress_codec::decompress_page(&frame, &mut page).unwrap();
            assert!(page.chunks_exact(8).all(|c| c == word.to_le_bytes()));
        }
    }
}
