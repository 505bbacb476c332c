//! `EntryStore`: the slot index and the allocator behind one entry-level
//! operation port, so that an entry's device memory goes with it: removing a
//! compressed entry frees its units, and an insert the index refuses frees the
//! units it was given. Each operation is the model's sequence of index and
//! allocator calls (`remove_entry`, the LOAD exclusive compare-and-remove, the
//! insert-or-free of STORE), so the index accesses and the placements agree.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `op_valid`/`op_ready` | in/out | 1 | `op_ready` is high while idle |
//! | `op` | in | 3 | [`E_LOOKUP`], [`E_REMOVE`], [`E_REMOVE_IF`], [`E_INSERT`], [`E_ALLOC`], [`E_CLEAR`] |
//! | `op_slot` | in | 32 | |
//! | `op_kind`, `op_value` | in | 2, 64 | INSERT: the entry; REMOVE_IF: the entry expected |
//! | `op_units` | in | 8 | ALLOC: units |
//! | `done` | out | 1 | pulse: the operation finished |
//! | `ok` | out | 1 | LOOKUP: found; REMOVE(_IF): removed; INSERT: inserted; ALLOC: allocated |
//! | `res_kind`, `res_value` | out | 2, 64 | LOOKUP / REMOVE(_IF): the entry found |
//! | `unit` | out | 32 | ALLOC: the first unit |
//! | `accesses` | out | 16 | with `done`: the index accesses of the operation (the sum of its index operations') |
//! | `entries`, `used` | out | 32, 32 | gauges: entries held, units in use |
//! | `mem_*` | | | the index's device-memory master port |
//!
//! Entries are `(kind, value)` as at the index's ports (`EntryKind`; a
//! compressed entry's value is `unit | len << 32`). REMOVE_IF looks the slot up
//! and removes it only if it still holds the expected entry (the model's
//! exclusive LOAD), so it makes one or two index operations.

use super::k;
use super::narrow::Narrow;
use crate::rtl::alloc::{OP_ALLOC, OP_CLEAR, OP_FREE, UnitAlloc};
use crate::rtl::index::{SlotIndex, index_op};
use pagepress_abi::EntryKind;
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

pub const E_LOOKUP: u64 = 0;
pub const E_REMOVE: u64 = 1;
pub const E_REMOVE_IF: u64 = 2;
pub const E_INSERT: u64 = 3;
pub const E_ALLOC: u64 = 4;
pub const E_CLEAR: u64 = 5;

const S_IDLE: u64 = 0;
/// An index operation is offered or running.
const S_INDEX: u64 = 1;
/// An allocator operation is offered or running.
const S_ALLOC: u64 = 2;

#[derive(LogicBlock)]
pub struct EntryStore<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub op_valid: Signal<In, bool>,
    pub op_ready: Signal<Out, bool>,
    pub op: Signal<In, Bits<3>>,
    pub op_slot: Signal<In, Bits<32>>,
    pub op_kind: Signal<In, Bits<2>>,
    pub op_value: Signal<In, Bits<64>>,
    pub op_units: Signal<In, Bits<8>>,
    pub done: Signal<Out, bool>,
    pub ok: Signal<Out, bool>,
    pub res_kind: Signal<Out, Bits<2>>,
    pub res_value: Signal<Out, Bits<64>>,
    pub unit: Signal<Out, Bits<32>>,
    pub accesses: Signal<Out, Bits<16>>,
    pub entries: Signal<Out, Bits<32>>,
    pub used: Signal<Out, Bits<32>>,
    pub mem_req_valid: Signal<Out, bool>,
    pub mem_req_ready: Signal<In, bool>,
    pub mem_req_write: Signal<Out, bool>,
    pub mem_req_addr: Signal<Out, Bits<32>>,
    pub mem_wdata: Signal<Out, Bits<64>>,
    pub mem_rvalid: Signal<In, bool>,
    pub mem_rdata: Signal<In, Bits<64>>,
    index: SlotIndex<NODE_BITS, TOP_BITS>,
    alloc: UnitAlloc<ALLOC_BITS>,
    /// Units of the entry being freed (`ceil(len / alloc_unit)`).
    free_units: Narrow<32, 8>,
    accesses_wide: ZeroExtend<8, 16>,
    state: DFF<Bits<2>>,
    cur: DFF<Bits<3>>,
    slot: DFF<Bits<32>>,
    kind: DFF<Bits<2>>,
    value: DFF<Bits<64>>,
    ix_op: DFF<Bits<2>>,
    al_op: DFF<Bits<2>>,
    al_start: DFF<Bits<32>>,
    al_n: DFF<Bits<8>>,
    /// The sub-block took the operation; waiting for its `done`.
    issued: DFF<bool>,
    acc: DFF<Bits<16>>,
    ok_q: DFF<bool>,
    res_kind_q: DFF<Bits<2>>,
    res_value_q: DFF<Bits<64>>,
    unit_q: DFF<Bits<32>>,
    done_q: DFF<bool>,
    s_idle: Constant<Bits<2>>,
    s_index: Constant<Bits<2>>,
    s_alloc: Constant<Bits<2>>,
    e_remove: Constant<Bits<3>>,
    e_remove_if: Constant<Bits<3>>,
    e_insert: Constant<Bits<3>>,
    e_alloc: Constant<Bits<3>>,
    e_clear: Constant<Bits<3>>,
    ix_lookup: Constant<Bits<2>>,
    ix_insert: Constant<Bits<2>>,
    ix_remove: Constant<Bits<2>>,
    ix_clear: Constant<Bits<2>>,
    al_alloc: Constant<Bits<2>>,
    al_free: Constant<Bits<2>>,
    al_clear: Constant<Bits<2>>,
    kind_compressed: Constant<Bits<2>>,
    /// `alloc_unit - 1` and log2(`alloc_unit`): units = (len + round) >> shift.
    unit_round: Constant<Bits<32>>,
    unit_shift: Constant<Bits<6>>,
    no_accesses: Constant<Bits<16>>,
    // Scratch.
    free_len: Signal<Local, Bits<32>>,
    units_wide: Signal<Local, Bits<32>>,
    ix_offer: Signal<Local, bool>,
    al_offer: Signal<Local, bool>,
}

impl<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize>
    EntryStore<ALLOC_BITS, NODE_BITS, TOP_BITS>
{
    /// `units` allocation units of `alloc_unit` bytes; the index as `SlotIndex::new` takes it.
    pub fn new(
        alloc_unit: u32,
        units: u32,
        levels: u32,
        top_bits: u32,
        max_nodes: u32,
        index_base: u64,
    ) -> Self {
        assert!(alloc_unit.is_power_of_two());
        EntryStore {
            clock: Default::default(),
            op_valid: Default::default(),
            op_ready: Default::default(),
            op: Default::default(),
            op_slot: Default::default(),
            op_kind: Default::default(),
            op_value: Default::default(),
            op_units: Default::default(),
            done: Default::default(),
            ok: Default::default(),
            res_kind: Default::default(),
            res_value: Default::default(),
            unit: Default::default(),
            accesses: Default::default(),
            entries: Default::default(),
            used: Default::default(),
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_write: Default::default(),
            mem_req_addr: Default::default(),
            mem_wdata: Default::default(),
            mem_rvalid: Default::default(),
            mem_rdata: Default::default(),
            index: SlotIndex::new(levels, top_bits, max_nodes, index_base),
            alloc: UnitAlloc::new(units),
            free_units: Default::default(),
            accesses_wide: Default::default(),
            state: Default::default(),
            cur: Default::default(),
            slot: Default::default(),
            kind: Default::default(),
            value: Default::default(),
            ix_op: Default::default(),
            al_op: Default::default(),
            al_start: Default::default(),
            al_n: Default::default(),
            issued: Default::default(),
            acc: Default::default(),
            ok_q: Default::default(),
            res_kind_q: Default::default(),
            res_value_q: Default::default(),
            unit_q: Default::default(),
            done_q: Default::default(),
            s_idle: k(S_IDLE),
            s_index: k(S_INDEX),
            s_alloc: k(S_ALLOC),
            e_remove: k(E_REMOVE),
            e_remove_if: k(E_REMOVE_IF),
            e_insert: k(E_INSERT),
            e_alloc: k(E_ALLOC),
            e_clear: k(E_CLEAR),
            ix_lookup: k(index_op::LOOKUP as u64),
            ix_insert: k(index_op::INSERT as u64),
            ix_remove: k(index_op::REMOVE as u64),
            ix_clear: k(index_op::CLEAR as u64),
            al_alloc: k(OP_ALLOC as u64),
            al_free: k(OP_FREE as u64),
            al_clear: k(OP_CLEAR as u64),
            kind_compressed: k(EntryKind::Compressed as u64),
            unit_round: k(alloc_unit as u64 - 1),
            unit_shift: k(alloc_unit.trailing_zeros() as u64),
            no_accesses: k(0),
            free_len: Default::default(),
            units_wide: Default::default(),
            ix_offer: Default::default(),
            al_offer: Default::default(),
        }
    }
}

// One state per block reads like the state diagram; clippy would merge the `if`s.
#[allow(clippy::collapsible_if, clippy::collapsible_else_if)]
impl<const ALLOC_BITS: usize, const NODE_BITS: usize, const TOP_BITS: usize> Logic
    for EntryStore<ALLOC_BITS, NODE_BITS, TOP_BITS>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            cur,
            slot,
            kind,
            value,
            ix_op,
            al_op,
            al_start,
            al_n,
            issued,
            acc,
            ok_q,
            res_kind_q,
            res_value_q,
            unit_q
        );
        self.done_q.clock.next = self.clock.val();
        self.done_q.d.next = false;
        self.index.clock.next = self.clock.val();
        self.alloc.clock.next = self.clock.val();

        // The index and the allocator take the latched operation.
        self.ix_offer.next = (self.state.q.val() == self.s_index.val()) & !self.issued.q.val();
        self.index.op_valid.next = self.ix_offer.val();
        self.index.op.next = self.ix_op.q.val();
        self.index.op_slot.next = self.slot.q.val();
        self.index.op_kind.next = self.kind.q.val();
        self.index.op_value.next = self.value.q.val();
        self.al_offer.next = (self.state.q.val() == self.s_alloc.val()) & !self.issued.q.val();
        self.alloc.op_valid.next = self.al_offer.val();
        self.alloc.op.next = self.al_op.q.val();
        self.alloc.op_start.next = self.al_start.q.val();
        self.alloc.op_n.next = self.al_n.q.val();
        self.mem_req_valid.next = self.index.mem_req_valid.val();
        self.mem_req_write.next = self.index.mem_req_write.val();
        self.mem_req_addr.next = self.index.mem_req_addr.val();
        self.mem_wdata.next = self.index.mem_wdata.val();
        self.index.mem_req_ready.next = self.mem_req_ready.val();
        self.index.mem_rvalid.next = self.mem_rvalid.val();
        self.index.mem_rdata.next = self.mem_rdata.val();

        self.op_ready.next = self.state.q.val() == self.s_idle.val();
        self.done.next = self.done_q.q.val();
        self.ok.next = self.ok_q.q.val();
        self.res_kind.next = self.res_kind_q.q.val();
        self.res_value.next = self.res_value_q.q.val();
        self.unit.next = self.unit_q.q.val();
        self.accesses.next = self.acc.q.val();
        self.entries.next = self.index.entries.val();
        self.used.next = self.alloc.used.val();

        // The units of the entry to free: the removed one, or the refused insert.
        self.free_len.next = self.index.res_value.val().get_bits::<32>(32);
        if self.cur.q.val() == self.e_insert.val() {
            self.free_len.next = self.value.q.val().get_bits::<32>(32);
        }
        self.units_wide.next =
            (self.free_len.val() + self.unit_round.val()) >> self.unit_shift.val();
        self.free_units.wide.next = self.units_wide.val();
        self.accesses_wide.narrow.next = self.index.accesses.val();

        if self.state.q.val() == self.s_idle.val() {
            if self.op_valid.val() {
                self.cur.d.next = self.op.val();
                self.slot.d.next = self.op_slot.val();
                self.kind.d.next = self.op_kind.val();
                self.value.d.next = self.op_value.val();
                self.al_n.d.next = self.op_units.val();
                self.acc.d.next = self.no_accesses.val();
                self.state.d.next = self.s_index.val();
                self.ix_op.d.next = self.ix_lookup.val();
                if self.op.val() == self.e_remove.val() {
                    self.ix_op.d.next = self.ix_remove.val();
                }
                if self.op.val() == self.e_insert.val() {
                    self.ix_op.d.next = self.ix_insert.val();
                }
                if self.op.val() == self.e_clear.val() {
                    self.ix_op.d.next = self.ix_clear.val();
                }
                if self.op.val() == self.e_alloc.val() {
                    self.al_op.d.next = self.al_alloc.val();
                    self.state.d.next = self.s_alloc.val();
                }
            }
        }
        if self.state.q.val() == self.s_index.val() {
            if self.ix_offer.val() & self.index.op_ready.val() {
                self.issued.d.next = true;
            }
            if self.issued.q.val() & self.index.done.val() {
                self.issued.d.next = false;
                self.acc.d.next = self.acc.q.val() + self.accesses_wide.wide.val();
                self.ok_q.d.next = self.index.found.val();
                self.res_kind_q.d.next = self.index.res_kind.val();
                self.res_value_q.d.next = self.index.res_value.val();
                // Finish unless a step follows.
                self.done_q.d.next = true;
                self.state.d.next = self.s_idle.val();
                if self.ix_op.q.val() == self.ix_lookup.val() {
                    if self.cur.q.val() == self.e_remove_if.val() {
                        if self.index.found.val()
                            & (self.index.res_kind.val() == self.kind.q.val())
                            & (self.index.res_value.val() == self.value.q.val())
                        {
                            // Still the entry loaded: remove it.
                            self.ix_op.d.next = self.ix_remove.val();
                            self.done_q.d.next = false;
                            self.state.d.next = self.s_index.val();
                        } else {
                            self.ok_q.d.next = false;
                        }
                    }
                }
                if self.ix_op.q.val() == self.ix_remove.val() {
                    if self.index.found.val()
                        & (self.index.res_kind.val() == self.kind_compressed.val())
                    {
                        self.al_op.d.next = self.al_free.val();
                        self.al_start.d.next = self.index.res_value.val().get_bits::<32>(0);
                        self.al_n.d.next = self.free_units.narrow.val();
                        self.done_q.d.next = false;
                        self.state.d.next = self.s_alloc.val();
                    }
                }
                if self.ix_op.q.val() == self.ix_insert.val() {
                    self.ok_q.d.next = !self.index.full.val();
                    if self.index.full.val() & (self.kind.q.val() == self.kind_compressed.val()) {
                        // Refused: the frame's units go back.
                        self.al_op.d.next = self.al_free.val();
                        self.al_start.d.next = self.value.q.val().get_bits::<32>(0);
                        self.al_n.d.next = self.free_units.narrow.val();
                        self.done_q.d.next = false;
                        self.state.d.next = self.s_alloc.val();
                    }
                }
                if self.ix_op.q.val() == self.ix_clear.val() {
                    self.al_op.d.next = self.al_clear.val();
                    self.done_q.d.next = false;
                    self.state.d.next = self.s_alloc.val();
                }
            }
        }
        if self.state.q.val() == self.s_alloc.val() {
            if self.al_offer.val() & self.alloc.op_ready.val() {
                self.issued.d.next = true;
            }
            if self.issued.q.val() & self.alloc.done.val() {
                self.issued.d.next = false;
                if self.cur.q.val() == self.e_alloc.val() {
                    self.ok_q.d.next = self.alloc.ok.val();
                    self.unit_q.d.next = self.alloc.unit.val();
                }
                self.done_q.d.next = true;
                self.state.d.next = self.s_idle.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::alloc::UnitAllocator;
    use crate::model::index::{Entry, RadixIndex};
    use crate::params::IndexGeometry;
    use crate::rtl::executor::testutil::{DevMem, lint, settle, tick};
    use pagepress_codec::corpus::SplitMix64;

    const ALLOC_UNIT: u32 = 64;
    const UNITS: u32 = 256;
    const MAX_SLOTS: u32 = 1 << 17;
    const MAX_NODES: u32 = 12;
    const INDEX_BASE: u64 = (UNITS * ALLOC_UNIT) as u64;
    type Store = EntryStore<2, 4, 5>;

    fn store() -> Box<Store> {
        let g = IndexGeometry::for_slots(MAX_SLOTS);
        let mut uut = Box::new(EntryStore::new(
            ALLOC_UNIT, UNITS, g.levels, g.top_bits, MAX_NODES, INDEX_BASE,
        ));
        uut.connect_all();
        uut
    }

    fn encode(e: Entry) -> (u64, u64) {
        match e {
            Entry::SameFilled(w) => (EntryKind::SameFilled as u64, w),
            Entry::Compressed { unit, len } => (
                EntryKind::Compressed as u64,
                unit as u64 | (len as u64) << 32,
            ),
        }
    }

    /// The model's entry operations, as the engine makes them.
    struct Model {
        index: RadixIndex,
        alloc: UnitAllocator,
    }

    impl Model {
        fn units(len: u32) -> u32 {
            len.div_ceil(ALLOC_UNIT)
        }

        fn remove(&mut self, slot: u32) -> Option<Entry> {
            let e = self.index.remove(slot);
            if let Some(Entry::Compressed { unit, len }) = e {
                self.alloc.free(unit, Self::units(len));
            }
            e
        }
    }

    /// Runs one operation; returns (ok, res_kind, res_value, unit, accesses).
    fn run(
        uut: &mut Store,
        mem: &mut DevMem,
        op: u64,
        slot: u32,
        entry: (u64, u64),
        units: u32,
    ) -> (bool, u64, u64, u32, u64) {
        uut.op_valid.next = true;
        uut.op.next = op.to_bits();
        uut.op_slot.next = (slot as u64).to_bits();
        uut.op_kind.next = entry.0.to_bits();
        uut.op_value.next = entry.1.to_bits();
        uut.op_units.next = (units as u64).to_bits();
        for _ in 0..10_000 {
            mem_drive!(mem, uut);
            settle(uut);
            if uut.op_ready.val() && uut.op_valid.val() {
                mem_observe!(mem, uut);
                tick(uut, |u| &mut u.clock);
                uut.op_valid.next = false;
                continue;
            }
            if uut.done.val() {
                let r = (
                    uut.ok.val(),
                    uut.res_kind.val().to_u64(),
                    uut.res_value.val().to_u64(),
                    uut.unit.val().index() as u32,
                    uut.accesses.val().to_u64(),
                );
                mem_observe!(mem, uut);
                tick(uut, |u| &mut u.clock);
                return r;
            }
            mem_observe!(mem, uut);
            tick(uut, |u| &mut u.clock);
        }
        panic!("entry operation {op} hung");
    }

    #[test]
    fn entry_operations_match_the_model() {
        let mut uut = store();
        let mut mem = DevMem::new(INDEX_BASE + MAX_NODES as u64 * 1024, 4, SplitMix64(9), true);
        let mut m = Model {
            index: RadixIndex::new(MAX_SLOTS, MAX_NODES as usize),
            alloc: UnitAllocator::new(UNITS),
        };
        let mut rng = SplitMix64(0xe17);
        // Slots spread over a few leaves and interior nodes, so inserts fill the index.
        let slot_of = |rng: &mut SplitMix64| {
            (rng.below(6) as u32) << 12 | (rng.below(3) as u32) << 6 | rng.below(4) as u32
        };
        let mut seen_full = false;
        for step in 0..400 {
            let slot = slot_of(&mut rng);
            let op = match rng.below(20) {
                0..=6 => E_INSERT,
                7..=9 => E_REMOVE,
                10..=12 => E_LOOKUP,
                13..=15 => E_REMOVE_IF,
                16..=18 => E_ALLOC,
                _ if step % 97 == 0 => E_CLEAR,
                _ => E_LOOKUP,
            };
            let (got, want): (_, (bool, Option<Entry>, u32)) = match op {
                E_INSERT => {
                    // A same-filled entry, or a frame in freshly allocated units.
                    let e = if rng.below(2) == 0 {
                        Entry::SameFilled(rng.next_u64())
                    } else {
                        let len = 11 + rng.below(4000) as u32;
                        let Some(unit) = m.alloc.alloc(Model::units(len)) else {
                            continue;
                        };
                        let r = run(&mut uut, &mut mem, E_ALLOC, 0, (0, 0), Model::units(len));
                        m.index.take_accesses();
                        assert_eq!((r.0, r.3), (true, unit), "step {step}: allocation");
                        Entry::Compressed { unit, len }
                    };
                    let r = run(&mut uut, &mut mem, op, slot, encode(e), 0);
                    let ok = match m.index.insert(slot, e) {
                        Ok(_) => true,
                        Err(_) => {
                            seen_full = true;
                            if let Entry::Compressed { unit, len } = e {
                                m.alloc.free(unit, Model::units(len));
                            }
                            false
                        }
                    };
                    (r, (ok, None, 0))
                }
                E_REMOVE => {
                    let r = run(&mut uut, &mut mem, op, slot, (0, 0), 0);
                    let e = m.remove(slot);
                    (r, (e.is_some(), e, 0))
                }
                E_LOOKUP => {
                    let r = run(&mut uut, &mut mem, op, slot, (0, 0), 0);
                    let e = m.index.get(slot);
                    (r, (e.is_some(), e, 0))
                }
                E_REMOVE_IF => {
                    // Half the time the entry that is there, else another.
                    let there = m.index.get(slot);
                    let expect = match there {
                        Some(e) if rng.below(2) == 0 => e,
                        _ => Entry::SameFilled(rng.next_u64()),
                    };
                    let r = run(&mut uut, &mut mem, op, slot, encode(expect), 0);
                    let removed = there == Some(expect);
                    let e = if removed { m.remove(slot) } else { there };
                    (r, (removed, e, 0))
                }
                E_ALLOC => {
                    let n = 1 + rng.below(40) as u32;
                    let r = run(&mut uut, &mut mem, op, 0, (0, 0), n);
                    let u = m.alloc.alloc(n);
                    (r, (u.is_some(), None, u.unwrap_or(0)))
                }
                _ => {
                    let r = run(&mut uut, &mut mem, op, 0, (0, 0), 0);
                    m.index.clear();
                    m.alloc.clear();
                    (r, (true, None, 0))
                }
            };
            assert_eq!(got.0, want.0, "step {step}: op {op} slot {slot:#x}: ok");
            if let Some(e) = want.1 {
                assert_eq!((got.1, got.2), encode(e), "step {step}: entry");
            }
            if op == E_ALLOC && want.0 {
                assert_eq!(got.3, want.2, "step {step}: unit");
            }
            assert_eq!(
                got.4,
                m.index.take_accesses(),
                "step {step}: op {op}: accesses"
            );
            assert_eq!(
                uut.entries.val().to_u64(),
                m.index.len(),
                "step {step}: entries"
            );
            assert_eq!(
                uut.used.val().index() as u32,
                m.alloc.used(),
                "step {step}: used"
            );
        }
        assert!(seen_full, "the index never filled up");
    }

    #[test]
    fn entries_verilog_lints() {
        lint("exec_entries", &*store());
    }
}
