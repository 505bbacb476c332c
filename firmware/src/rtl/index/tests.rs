//! `SlotIndex` in rust-hdl simulation against the model `RadixIndex`, with a
//! device-memory model in the testbench; Verilog generation + lint.

use super::*;
use crate::model::index::{Entry, RadixIndex};
use crate::params::{
    INDEX_FANOUT_BITS, INDEX_NODE_BYTES, INDEX_SLOT_BYTES, IndexGeometry, SIM_DEVICE,
};
use pagepress_codec::corpus::SplitMix64;
use std::collections::{HashMap, VecDeque};

/// Node 0's device-memory address in the tests (not 1 KiB aligned on purpose).
const BASE: u64 = 0x8_0200;

/// The device memory: words by byte address; reads answered in order,
/// `latency` cycles after the request was taken; `mem_req_ready` low now and
/// then when `stall` is set.
struct DevMem {
    words: HashMap<u64, u64>,
    latency: u64,
    answers: VecDeque<(u64, u64)>,
    /// Addresses the index may touch: its nodes.
    range: std::ops::Range<u64>,
    stall: Option<SplitMix64>,
}

/// The outputs of one cycle, after the inputs settled (before the edge).
#[derive(Clone, Copy, Debug)]
struct Snapshot {
    op_ready: bool,
    done: bool,
    found: bool,
    full: bool,
    kind: u8,
    value: u64,
    accesses: u64,
    entries: u64,
}

/// What one operation returned, and its cycles from taken to `done`.
#[derive(Clone, Copy, Debug)]
struct Outcome {
    found: bool,
    full: bool,
    entry: Option<Entry>,
    accesses: u64,
    entries: u64,
    cycles: u64,
}

struct Bench<const NODE_BITS: usize, const TOP_BITS: usize> {
    uut: Box<SlotIndex<NODE_BITS, TOP_BITS>>,
    mem: DevMem,
    cycle: u64,
    /// Cycles from power-up to the first `op_ready`.
    power_up_cycles: u64,
}

fn entry_of(kind: u8, value: u64) -> Option<Entry> {
    match kind {
        k if k == EntryKind::SameFilled as u8 => Some(Entry::SameFilled(value)),
        k if k == EntryKind::Compressed as u8 => Some(Entry::Compressed {
            unit: value as u32,
            len: (value >> 32) as u32,
        }),
        _ => None,
    }
}

fn port_of(e: Entry) -> (u8, u64) {
    match e {
        Entry::SameFilled(w) => (EntryKind::SameFilled as u8, w),
        Entry::Compressed { unit, len } => (
            EntryKind::Compressed as u8,
            unit as u64 | (len as u64) << 32,
        ),
    }
}

impl<const NODE_BITS: usize, const TOP_BITS: usize> Bench<NODE_BITS, TOP_BITS> {
    fn new(g: IndexGeometry, max_nodes: u32, latency: u64, stall: Option<u64>) -> Self {
        assert!(latency >= 1);
        let mut uut = Box::new(SlotIndex::new(g.levels, g.top_bits, max_nodes, BASE));
        uut.connect_all();
        let mut b = Bench {
            uut,
            mem: DevMem {
                words: HashMap::new(),
                latency,
                answers: VecDeque::new(),
                range: BASE..BASE + max_nodes as u64 * INDEX_NODE_BYTES,
                stall: stall.map(SplitMix64),
            },
            cycle: 0,
            power_up_cycles: 0,
        };
        while !b.step().op_ready {
            assert!(b.cycle < 10_000, "power-up clear does not finish");
        }
        b.power_up_cycles = b.cycle - 1;
        b
    }

    /// One clock cycle: drive the memory's inputs, settle, serve the port, edge.
    fn step(&mut self) -> Snapshot {
        let uut = &mut *self.uut;
        let mem = &mut self.mem;
        let answer = mem
            .answers
            .front()
            .filter(|(due, _)| *due <= self.cycle)
            .map(|&(_, w)| w);
        uut.mem_rvalid.next = answer.is_some();
        uut.mem_rdata.next = answer.unwrap_or(0).to_bits();
        uut.mem_req_ready.next = mem.stall.as_mut().is_none_or(|r| r.below(4) != 0);
        assert!(simulate(uut, 1000), "logic did not settle");
        if answer.is_some() {
            mem.answers.pop_front();
        }
        if uut.mem_req_valid.val() && uut.mem_req_ready.val() {
            let addr = uut.mem_req_addr.val().to_u64();
            assert!(
                addr.is_multiple_of(8) && mem.range.contains(&addr),
                "access at {addr:#x} outside the nodes {:#x?}",
                mem.range
            );
            if uut.mem_req_write.val() {
                mem.words.insert(addr, uut.mem_wdata.val().to_u64());
            } else {
                let w = *mem
                    .words
                    .get(&addr)
                    .unwrap_or_else(|| panic!("read of {addr:#x}, never written"));
                mem.answers.push_back((self.cycle + mem.latency, w));
            }
        }
        let s = Snapshot {
            op_ready: uut.op_ready.val(),
            done: uut.done.val(),
            found: uut.found.val(),
            full: uut.full.val(),
            kind: uut.res_kind.val().to_u64() as u8,
            value: uut.res_value.val().to_u64(),
            accesses: uut.accesses.val().to_u64(),
            entries: uut.entries.val().to_u64(),
        };
        uut.clock.next = Clock { clk: true };
        assert!(simulate(uut, 1000), "logic did not settle");
        uut.clock.next = Clock { clk: false };
        assert!(simulate(uut, 1000), "logic did not settle");
        self.cycle += 1;
        s
    }

    /// Runs one operation to its `done` pulse.
    fn run(&mut self, op: u8, slot: u32, entry: Option<Entry>) -> Outcome {
        let (kind, value) = entry.map_or((0, 0), port_of);
        self.uut.op_valid.next = true;
        self.uut.op.next = (op as u64).to_bits();
        self.uut.op_slot.next = (slot as u64).to_bits();
        self.uut.op_kind.next = (kind as u64).to_bits();
        self.uut.op_value.next = value.to_bits();
        let start = self.cycle;
        while !self.step().op_ready {
            assert!(self.cycle - start < 10_000, "op never taken");
        }
        let taken = self.cycle - 1;
        self.uut.op_valid.next = false;
        loop {
            let s = self.step();
            assert!(!s.op_ready || s.done, "op_ready while busy");
            if s.done {
                return Outcome {
                    found: s.found,
                    full: s.full,
                    entry: entry_of(s.kind, s.value),
                    accesses: s.accesses,
                    entries: s.entries,
                    cycles: self.cycle - 1 - taken,
                };
            }
            assert!(self.cycle - taken < 10_000, "op {op} on slot {slot} hangs");
        }
    }

    fn lookup(&mut self, slot: u32) -> Outcome {
        self.run(index_op::LOOKUP, slot, None)
    }

    fn insert(&mut self, slot: u32, e: Entry) -> Outcome {
        self.run(index_op::INSERT, slot, Some(e))
    }

    fn remove(&mut self, slot: u32) -> Outcome {
        self.run(index_op::REMOVE, slot, None)
    }

    fn clear(&mut self) -> Outcome {
        self.run(index_op::CLEAR, 0, None)
    }

    /// Device-memory word `word` of slot `f` of node `k`.
    fn word(&self, k: u64, f: u64, word: u64) -> Option<u64> {
        let addr = BASE + k * INDEX_NODE_BYTES + f * INDEX_SLOT_BYTES as u64 + 8 * word;
        self.mem.words.get(&addr).copied()
    }
}

/// A slot of `g` built from fields drawn from few values, so that slots share
/// nodes; `1 << slot_bits` is or-ed in now and then when `may_overflow`.
fn random_slot(rng: &mut SplitMix64, g: IndexGeometry, may_overflow: bool) -> u32 {
    let top_entries = g.top_entries() as u64;
    let top = [0, 1, 2, top_entries - 1][rng.below(4) as usize] % top_entries;
    let mut slot = top;
    for _ in 0..g.levels {
        let f = match rng.below(8) {
            0..=2 => 0,
            3 | 4 => 1,
            5 => 63,
            _ => rng.below(64),
        };
        slot = slot << INDEX_FANOUT_BITS | f;
    }
    let slot_bits = g.top_bits + g.levels * INDEX_FANOUT_BITS;
    if may_overflow && rng.below(20) == 0 {
        slot |= 1 << (slot_bits + rng.below((32 - slot_bits) as u64) as u32);
    }
    slot as u32
}

fn random_entry(rng: &mut SplitMix64) -> Entry {
    if rng.below(2) == 0 {
        Entry::SameFilled(rng.next_u64())
    } else {
        Entry::Compressed {
            unit: rng.next_u64() as u32,
            len: rng.below(4200) as u32,
        }
    }
}

/// How often each interesting case came up.
#[derive(Debug, Default)]
struct Coverage {
    hits: u32,
    misses: u32,
    replaced: u32,
    refused: u32,
    nodes_freed: u32,
    clears: u32,
}

/// `ops` seeded random operations on the index for `max_slots` with
/// `max_nodes` nodes, checked against the model after each one.
fn random_against_model<const NODE_BITS: usize, const TOP_BITS: usize>(
    max_slots: u32,
    max_nodes: u32,
    latency: u64,
    seed: u64,
    ops: usize,
) -> Coverage {
    let g = IndexGeometry::for_slots(max_slots);
    let mut model = RadixIndex::new(max_slots, max_nodes as usize);
    assert_eq!(model.levels(), g.levels);
    let mut b = Bench::<NODE_BITS, TOP_BITS>::new(g, max_nodes, latency, Some(seed ^ 0x5a5a));
    let mut rng = SplitMix64(seed);
    let mut cov = Coverage::default();
    // Slots inserted lately: lookups, removes and inserts go back to them
    // three times out of four, so that they hit.
    let mut recent: Vec<u32> = Vec::new();
    let pick = |rng: &mut SplitMix64, recent: &[u32], may_overflow| {
        if !recent.is_empty() && rng.below(4) != 0 {
            recent[rng.below(recent.len() as u64) as usize]
        } else {
            random_slot(rng, g, may_overflow)
        }
    };
    for i in 0..ops {
        let what = rng.below(100);
        let (got, want_found, want_full, want_entry) = match what {
            0..=29 => {
                let slot = pick(&mut rng, &recent, true);
                let want = model.get(slot);
                (b.lookup(slot), want.is_some(), false, want)
            }
            30..=69 => {
                let slot = pick(&mut rng, &recent, false);
                if recent.len() == 16 {
                    recent.remove(0);
                }
                recent.push(slot);
                let e = random_entry(&mut rng);
                match model.insert(slot, e) {
                    Ok(old) => (b.insert(slot, e), old.is_some(), false, None),
                    Err(_) => (b.insert(slot, e), false, true, None),
                }
            }
            70..=98 => {
                let slot = pick(&mut rng, &recent, true);
                let want = model.remove(slot);
                (b.remove(slot), want.is_some(), false, want)
            }
            _ => {
                model.clear();
                cov.clears += 1;
                (b.clear(), false, false, None)
            }
        };
        let want_accesses = model.take_accesses();
        let ctx = format!("op {i} ({what}), model {want_entry:?}, got {got:?}");
        assert_eq!(got.found, want_found, "found: {ctx}");
        assert_eq!(got.full, want_full, "full: {ctx}");
        assert_eq!(got.entry, want_entry, "entry: {ctx}");
        assert_eq!(got.accesses, want_accesses, "accesses: {ctx}");
        assert_eq!(got.entries, model.len(), "entries: {ctx}");
        match what {
            0..=29 if got.found => cov.hits += 1,
            0..=29 => cov.misses += 1,
            30..=69 if got.full => cov.refused += 1,
            30..=69 if got.found => cov.replaced += 1,
            70..=98 if want_accesses > g.levels as u64 => cov.nodes_freed += 1,
            _ => {}
        }
    }
    eprintln!("{max_slots} slots, {max_nodes} nodes: {cov:?}");
    // The mix must have reached every case, or the test proves little.
    assert!(
        cov.hits > 0
            && cov.misses > 0
            && cov.replaced > 0
            && cov.refused > 0
            && cov.nodes_freed > 0
            && cov.clears > 0,
        "{cov:?}"
    );
    cov
}

#[test]
fn one_level_matches_the_model() {
    // 200 slots: 1 level under a 4-entry top; 3 nodes, so the 4th leaf is refused.
    assert_eq!(IndexGeometry::for_slots(200).levels, 1);
    random_against_model::<3, 5>(200, 3, 1, 1, 3000);
}

#[test]
fn two_levels_match_the_model() {
    assert_eq!(IndexGeometry::for_slots(1 << 17).levels, 2);
    random_against_model::<3, 5>(1 << 17, 5, 3, 2, 3000);
}

#[test]
fn three_levels_match_the_model() {
    assert_eq!(IndexGeometry::for_slots(1 << 23).levels, 3);
    random_against_model::<3, 5>(1 << 23, 7, 6, 3, 3000);
    // Every node of the RAMs in use.
    random_against_model::<3, 5>(1 << 23, 8, 2, 4, 1500);
}

#[test]
fn nodes_are_numbered_and_reused_as_in_the_model() {
    let g = IndexGeometry::for_slots(1 << 17);
    let mut b = Bench::<3, 5>::new(g, 8, 2, None);
    assert_eq!(b.power_up_cycles, g.top_entries() as u64, "power-up clear");
    let slot = |top: u32, f1: u32, f0: u32| top << 12 | f1 << 6 | f0;
    let e = |v| Entry::SameFilled(v);
    // Interior node 0 and leaf 1, then interior 2 and leaf 3.
    assert_eq!(b.insert(slot(1, 2, 3), e(11)).accesses, 4);
    assert_eq!(b.insert(slot(2, 5, 7), e(22)).accesses, 4);
    assert_eq!(b.word(0, 2, 0), Some(1));
    assert_eq!(b.word(1, 3, 0), Some(11));
    assert_eq!(b.word(1, 3, 1), Some(EntryKind::SameFilled as u64));
    assert_eq!(b.word(2, 5, 0), Some(3));
    assert_eq!(b.word(3, 7, 0), Some(22));
    // Removing the first path frees leaf 1, then node 0: the stack pops 0, then 1.
    assert_eq!(b.remove(slot(1, 2, 3)).accesses, 4);
    let c = Entry::Compressed { unit: 7, len: 99 };
    assert_eq!(b.insert(slot(3, 4, 9), c).accesses, 4);
    assert_eq!(b.word(0, 4, 0), Some(1));
    assert_eq!(b.word(1, 9, 0), Some(7 | 99 << 32));
    assert_eq!(b.word(1, 9, 1), Some(EntryKind::Compressed as u64));
    // The stack is empty: a new leaf under node 0 comes from the bump pointer.
    assert_eq!(b.insert(slot(3, 5, 0), e(33)).accesses, 3);
    assert_eq!(b.word(0, 5, 0), Some(4));
    assert_eq!(b.lookup(slot(3, 4, 9)).entry, Some(c));
    // A slot past the top level: refused whole (the model only panics).
    let past = b.insert(1 << 17 | slot(3, 4, 9), e(55));
    assert!(past.full && !past.found && past.accesses == 0 && past.entries == 3);
    assert_eq!(b.lookup(slot(3, 4, 9)).entry, Some(c));
    // CLEAR: everything misses and numbering restarts at node 0.
    let cleared = b.clear();
    assert_eq!(cleared.cycles, g.top_entries() as u64 + 2);
    assert_eq!((cleared.entries, cleared.accesses), (0, 0));
    for s in [slot(2, 5, 7), slot(3, 4, 9), slot(3, 5, 0)] {
        let o = b.lookup(s);
        assert!(!o.found && o.accesses == 0, "{s:#x} after clear: {o:?}");
    }
    assert_eq!(b.insert(slot(4, 6, 1), e(44)).accesses, 4);
    assert_eq!(b.word(0, 6, 0), Some(1));
    assert_eq!(b.word(1, 1, 0), Some(44));
}

/// Cycles of each kind of operation, as in the module documentation's table.
#[test]
fn timing_follows_the_formulas() {
    for l in [1u64, 5] {
        let g = IndexGeometry::for_slots(1 << 23);
        let n = g.levels as u64;
        let mut b = Bench::<4, 5>::new(g, 16, l, None);
        let slot = |a: u32, b: u32, c: u32| 1 << 18 | a << 12 | b << 6 | c;
        let e = Entry::SameFilled(5);
        let hit = n * (l + 4) + 4;
        let miss_after = |d: u64| d * (l + 4) - l + 1;
        let new_nodes = |existing: u64, m: u64| (existing - 1) * (l + 4) + 6 * m + 8;
        assert_eq!(b.lookup(slot(1, 1, 1)).cycles, 3, "miss at the top");
        assert_eq!(b.insert(slot(1, 1, 1), e).cycles, 6 * n + 4, "new path");
        assert_eq!(
            b.insert(slot(1, 2, 1), e).cycles,
            new_nodes(n - 1, 1),
            "new leaf"
        );
        assert_eq!(
            b.insert(slot(2, 2, 1), e).cycles,
            new_nodes(1, n - 1),
            "new subtree"
        );
        assert_eq!(
            b.insert(slot(1, 2, 2), e).cycles,
            n * (l + 4) - l + 4,
            "into a leaf"
        );
        assert_eq!(b.lookup(slot(1, 2, 2)).cycles, hit, "hit");
        assert_eq!(
            b.lookup(slot(1, 2, 3)).cycles,
            miss_after(n),
            "miss in a leaf"
        );
        assert_eq!(
            b.lookup(slot(1, 3, 3)).cycles,
            miss_after(n - 1),
            "miss above"
        );
        assert_eq!(b.remove(slot(1, 2, 2)).cycles, hit + 1, "remove");
        assert_eq!(
            b.remove(slot(1, 2, 1)).cycles,
            hit + 1 + 3,
            "remove, free 1"
        );
        assert_eq!(
            b.remove(slot(2, 2, 1)).cycles,
            hit + 1 + 3 * 2,
            "remove, free 2"
        );
        assert_eq!(
            b.remove(slot(1, 1, 1)).cycles,
            hit + 3 * n - 2,
            "remove, free all"
        );
        assert_eq!(b.clear().cycles, g.top_entries() as u64 + 2, "clear");
    }
}

fn lint<const NODE_BITS: usize, const TOP_BITS: usize>(
    name: &str,
    uut: &mut SlotIndex<NODE_BITS, TOP_BITS>,
) {
    uut.connect_all();
    let v = generate_verilog(uut);
    assert!(v.contains("module top"));
    pagepress_rtl::lint::lint_verilog(name, &v).unwrap();
}

#[test]
fn verilog_generates_and_lints() {
    // The device build: 2048 nodes, a 256-entry top, 2 levels.
    let g = SIM_DEVICE.index_geometry();
    let mut dev = SlotIndex::<11, 8>::new(
        g.levels,
        g.top_bits,
        SIM_DEVICE.index_nodes,
        SIM_DEVICE.index_base(),
    );
    lint("slot_index_device", &mut dev);
    // The largest: 65536 nodes, a 1024-entry top, 3 levels.
    let g = IndexGeometry::for_slots(1 << 28);
    assert_eq!((g.levels, g.top_bits), (3, 10));
    let mut big = SlotIndex::<16, 10>::new(g.levels, g.top_bits, 1 << 16, 1 << 30);
    lint("slot_index_largest", &mut big);
}

/// The device build synthesizes with its node masks (2048 x 64 bits) and free
/// stack in block RAM, not in flops. Measured: 5 RAMB36, ~810 LUTs, ~590
/// flops, the top table in LUT RAM.
#[test]
fn device_build_keeps_its_node_state_in_block_ram() {
    let g = SIM_DEVICE.index_geometry();
    let mut dev = SlotIndex::<11, 8>::new(
        g.levels,
        g.top_bits,
        SIM_DEVICE.index_nodes,
        SIM_DEVICE.index_base(),
    );
    dev.connect_all();
    let s = pagepress_rtl::synth::synth_xilinx("slot_index", &generate_verilog(&dev)).unwrap();
    let mask_bits = SIM_DEVICE.index_nodes as f64 * 64.0;
    assert!(s.bram36_equiv() * 36864.0 >= mask_bits, "{s:?}");
    assert!(s.ffs < 1024, "{s:?}");
}
