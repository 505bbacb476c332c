//! `SlotIndex`: the device's slot → entry index, a radix tree with its top
//! level on chip and its nodes in device memory. Model:
//! [`RadixIndex`](crate::model::index::RadixIndex); every sequence of
//! operations gives the model's results, `IndexFull` refusals, entry count,
//! index accesses per operation and node numbers (so the device-memory layout
//! is the model's).
//!
//! # Ports
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `op_valid`/`op_ready` | in/out | 1 | an operation is taken on a rising edge where both are high; `op_ready` is high when idle |
//! | `op` | in | 2 | [`index_op`]: LOOKUP, INSERT, REMOVE, CLEAR |
//! | `op_slot` | in | 32 | |
//! | `op_kind`/`op_value` | in | 2/64 | INSERT: the entry (`EntryKind` 1 or 2; the fill word, or `unit \| len << 32`) |
//! | `done` | out | 1 | one-cycle pulse: the operation finished, the result ports are valid |
//! | `found` | out | 1 | LOOKUP/REMOVE: the slot had an entry; INSERT: it replaced one |
//! | `full` | out | 1 | INSERT: refused, not enough free nodes (or a slot past the top level); nothing changed |
//! | `res_kind`/`res_value` | out | 2/64 | LOOKUP: the entry; REMOVE: the removed entry; else `EntryKind::Empty`, 0 |
//! | `accesses` | out | 8 | index accesses of the operation, counted where the model counts them |
//! | `entries` | out | 32 | entries held (live) |
//! | `mem_req_valid`/`mem_req_ready` | out/in | 1 | a device-memory word access is offered / taken |
//! | `mem_req_write` | out | 1 | 1 write, 0 read |
//! | `mem_req_addr` | out | 32 | byte address, 8-aligned |
//! | `mem_wdata` | out | 64 | |
//! | `mem_rvalid`/`mem_rdata` | in | 1/64 | read data, in request order, after the memory's latency |
//!
//! Result ports hold their values from `done` until the next operation is
//! taken. A slot whose top index is past the top level (`slot >> (top_bits +
//! 6 levels) != 0`) misses on LOOKUP/REMOVE with no access, as in the model;
//! an INSERT of one (the model panics) is refused with `full`.
//!
//! # Structure
//!
//! - [`TopTable`]: the on-chip top level (valid bit + node number per top
//!   index); it invalidates itself at power-up and on CLEAR, one entry per
//!   cycle, `op_ready` low meanwhile.
//! - `masks`: one on-chip 64-bit valid mask per node (bit `f` set = child or
//!   entry `f` present). A node is empty when its mask is 0; allocating a node
//!   zeroes its mask, so device memory is never initialised.
//! - [`NodePool`]: the free-node stack and bump pointer (the model's order).
//! - [`SlotPath`]: the slot's top index and its field at the walk's level,
//!   and the device-memory address of that field's slot in the walk's node:
//!   node `k` is at `index_base + k * 1024`, slot `f` at `+ 16 f`.
//! - [`SlotPort`]: word reads and writes of one node slot in device memory:
//!   interior word 0 = child node number, leaf word 0 = value, word 1 = kind.
//!
//! The control FSM walks the tree as the model does. A walk visits a node by
//! reading its mask (one access counted); a present child costs one memory
//! read of its pointer, a present entry one pair read. INSERT allocates the
//! missing nodes top-down after checking that enough are free (the model's
//! `nodes_missing` check, which counts no access: a refused insert reports
//! 0 accesses); REMOVE frees the nodes it leaves empty bottom-up.
//!
//! # Timing
//!
//! Cycles from the edge that takes the operation to the `done` pulse, with
//! `n` levels, a device-memory read latency of `L` cycles (request taken to
//! `mem_rvalid`) and `mem_req_ready` always high (measured by
//! `timing_follows_the_formulas`). A node visit costs 2 cycles (mask read and
//! check), a child-pointer read `L + 2`, a leaf pair read `L + 3`, a pair write
//! 3, a new node 4 before its visit (allocate, then write its pointer into the
//! parent; 2 when it hangs from the top table).
//!
//! | operation | cycles | device-memory words |
//! |---|---|---|
//! | any, empty top entry or slot out of range | 3 | 0 |
//! | LOOKUP/REMOVE miss after visiting `d` nodes | `d(L+4) - L + 1` | `d - 1` reads |
//! | LOOKUP hit | `n(L+4) + 4` | `n + 1` reads |
//! | INSERT into an existing leaf | `n(L+4) - L + 4` | `n - 1` reads, 2 writes |
//! | INSERT allocating `m` nodes below `e >= 1` existing ones | `(e-1)(L+4) + 6m + 8` | `e - 1` reads, `m + 2` writes |
//! | INSERT of a whole new path (empty top entry) | `6n + 4` | `n + 1` writes |
//! | INSERT refused (`full`) | as a miss at the same node | |
//! | REMOVE hit freeing `k < n` nodes | LOOKUP hit `+ 1 + 3k` | as LOOKUP hit |
//! | REMOVE hit freeing all `n` nodes | LOOKUP hit `+ 3n - 2` | as LOOKUP hit |
//! | CLEAR | `2^top_bits + 2` | 0 |
//!
//! Power-up: `op_ready` rises after `2^top_bits` cycles. The device build
//! (`n = 2`) looks a slot up in `2L + 12` cycles.

mod node_pool;
mod slot_path;
mod slot_port;
#[cfg(test)]
mod tests;
mod top_table;

pub use node_pool::NodePool;
pub use slot_path::SlotPath;
pub use slot_port::SlotPort;
pub use top_table::TopTable;

use crate::params::{INDEX_FANOUT, INDEX_NODE_BYTES};
use pagepress_abi::EntryKind;
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Operation codes on the `op` port.
pub mod index_op {
    pub const LOOKUP: u8 = 0;
    pub const INSERT: u8 = 1;
    pub const REMOVE: u8 = 2;
    pub const CLEAR: u8 = 3;
}

/// Bits of a node number (up to 65536 nodes).
pub const NODE_NO_BITS: usize = 16;
pub type NodeNo = Bits<NODE_NO_BITS>;
/// Most levels of nodes below the top (`DeviceParams::check` refuses more).
pub const MAX_LEVELS: usize = 3;
// One 64-bit valid mask per node.
const _: () = assert!(INDEX_FANOUT == 64);

// FSM states: `Bits<5>` constants, as in the codec cores: a rust-hdl enum
// state register does not lint clean (its DFF module gets a 64-bit
// initialiser and unused per-module localparams).
/// Idle is 0, the state register's initial value.
const S_IDLE: u64 = 0;
/// The top table invalidates its entries.
const S_CLEAR: u64 = 1;
/// The top entry of the slot is read ...
const S_TOP: u64 = 2;
/// ... and checked.
const S_TOP_CHECK: u64 = 3;
/// The mask of `node` is read ...
const S_VISIT: u64 = 4;
/// ... and checked: one access.
const S_CHECK: u64 = 5;
/// Reading the child pointer of `node`'s slot.
const S_CHILD_READ: u64 = 6;
/// Reading the entry of the leaf's slot.
const S_LEAF_READ: u64 = 7;
/// Writing the entry of the leaf's slot.
const S_LEAF_WRITE: u64 = 8;
/// Taking a node from the pool: one access.
const S_ALLOC: u64 = 9;
/// Linking the new node into the top table ...
const S_LINK_TOP: u64 = 10;
/// ... or into its parent `node`, and waiting for the pointer write.
const S_LINK_CHILD: u64 = 11;
const S_LINK_WAIT: u64 = 12;
/// REMOVE: `node`'s mask is `mask`; an empty node is freed (one access)
/// and the walk goes up to its parent.
const S_FREE_CHECK: u64 = 13;
/// The parent's mask is read ...
const S_FREE_VISIT: u64 = 14;
/// ... and its bit for the freed child cleared.
const S_FREE_PARENT: u64 = 15;
/// `done` pulses.
const S_DONE: u64 = 16;

/// The index. See the module documentation. `NODE_BITS`: log2 of the node
/// RAMs (masks, free stack), `TOP_BITS`: log2 of the top-level RAM.
#[derive(LogicBlock)]
pub struct SlotIndex<const NODE_BITS: usize, const TOP_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub op_valid: Signal<In, bool>,
    pub op_ready: Signal<Out, bool>,
    pub op: Signal<In, Bits<2>>,
    pub op_slot: Signal<In, Bits<32>>,
    pub op_kind: Signal<In, Bits<2>>,
    pub op_value: Signal<In, Bits<64>>,
    pub done: Signal<Out, bool>,
    pub found: Signal<Out, bool>,
    pub full: Signal<Out, bool>,
    pub res_kind: Signal<Out, Bits<2>>,
    pub res_value: Signal<Out, Bits<64>>,
    pub accesses: Signal<Out, Bits<8>>,
    pub entries: Signal<Out, Bits<32>>,
    pub mem_req_valid: Signal<Out, bool>,
    pub mem_req_ready: Signal<In, bool>,
    pub mem_req_write: Signal<Out, bool>,
    pub mem_req_addr: Signal<Out, Bits<32>>,
    pub mem_wdata: Signal<Out, Bits<64>>,
    pub mem_rvalid: Signal<In, bool>,
    pub mem_rdata: Signal<In, Bits<64>>,

    // Sub-blocks.
    top_table: TopTable<TOP_BITS>,
    masks: RAM<Bits<64>, NODE_BITS>,
    pool: NodePool<NODE_BITS>,
    slot_path: SlotPath<TOP_BITS>,
    port: SlotPort,
    child_wide: ZeroExtend<NODE_NO_BITS, 64>,

    // Constants.
    /// Levels below the top, and the level just below the top (`levels - 1`).
    levels: Constant<Bits<2>>,
    top_level: Constant<Bits<2>>,
    /// `level_no[i] = i`.
    level_no: [Constant<Bits<2>>; MAX_LEVELS],
    op_insert: Constant<Bits<2>>,
    op_remove: Constant<Bits<2>>,
    op_clear: Constant<Bits<2>>,
    kind_empty: Constant<Bits<2>>,
    one_level: Constant<Bits<2>>,
    one_access: Constant<Bits<8>>,
    no_accesses: Constant<Bits<8>>,
    one_entry: Constant<Bits<32>>,
    zero32: Constant<Bits<32>>,
    zero64: Constant<Bits<64>>,

    // FSM states.
    s_idle: Constant<Bits<5>>,
    s_clear: Constant<Bits<5>>,
    s_top: Constant<Bits<5>>,
    s_top_check: Constant<Bits<5>>,
    s_visit: Constant<Bits<5>>,
    s_check: Constant<Bits<5>>,
    s_child_read: Constant<Bits<5>>,
    s_leaf_read: Constant<Bits<5>>,
    s_leaf_write: Constant<Bits<5>>,
    s_alloc: Constant<Bits<5>>,
    s_link_top: Constant<Bits<5>>,
    s_link_child: Constant<Bits<5>>,
    s_link_wait: Constant<Bits<5>>,
    s_free_check: Constant<Bits<5>>,
    s_free_visit: Constant<Bits<5>>,
    s_free_parent: Constant<Bits<5>>,
    s_done: Constant<Bits<5>>,

    // Operation state.
    state: DFF<Bits<5>>,
    op_q: DFF<Bits<2>>,
    slot: DFF<Bits<32>>,
    kind: DFF<Bits<2>>,
    value: DFF<Bits<64>>,
    /// The walk is at `node`, at `level` (counting down to 0, the leaves).
    level: DFF<Bits<2>>,
    node: DFF<NodeNo>,
    /// `node`'s mask, as read at the visit (and as updated by REMOVE).
    mask: DFF<Bits<64>>,
    /// `visited[i]`: the node visited at level `i` (REMOVE goes back up).
    visited: [DFF<NodeNo>; MAX_LEVELS],
    /// The node just allocated, and whether it hangs from the top table.
    child: DFF<NodeNo>,
    link_top: DFF<bool>,
    acc: DFF<Bits<8>>,
    found_q: DFF<bool>,
    full_q: DFF<bool>,
    res_kind_q: DFF<Bits<2>>,
    res_value_q: DFF<Bits<64>>,
    entries_q: DFF<Bits<32>>,

    // Combinational scratch.
    /// The mask read for `node` has the field's bit set.
    present: Signal<Local, bool>,
}

impl<const NODE_BITS: usize, const TOP_BITS: usize> SlotIndex<NODE_BITS, TOP_BITS> {
    /// An index with `levels` levels of nodes (1 ..= 3) below a top level of
    /// `2^top_bits` entries, at most `max_nodes` nodes, node 0 at device-memory
    /// byte `index_base`. Use [`crate::params::IndexGeometry`] for the first two.
    pub fn new(levels: u32, top_bits: u32, max_nodes: u32, index_base: u64) -> Self {
        assert!(
            (1..=MAX_LEVELS as u32).contains(&levels),
            "levels must be 1..=3"
        );
        assert!(NODE_BITS <= NODE_NO_BITS, "node numbers are 16 bits");
        let end = index_base + max_nodes as u64 * INDEX_NODE_BYTES;
        assert!(end <= 1 << 32, "index nodes past the 32-bit device memory");
        let c2 = |v: u64| Constant::new(v.to_bits());
        Self {
            clock: Default::default(),
            op_valid: Default::default(),
            op_ready: Default::default(),
            op: Default::default(),
            op_slot: Default::default(),
            op_kind: Default::default(),
            op_value: Default::default(),
            done: Default::default(),
            found: Default::default(),
            full: Default::default(),
            res_kind: Default::default(),
            res_value: Default::default(),
            accesses: Default::default(),
            entries: Default::default(),
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_write: Default::default(),
            mem_req_addr: Default::default(),
            mem_wdata: Default::default(),
            mem_rvalid: Default::default(),
            mem_rdata: Default::default(),
            top_table: TopTable::new(top_bits),
            masks: Default::default(),
            pool: NodePool::new(max_nodes),
            slot_path: SlotPath::new(levels, top_bits, index_base),
            port: Default::default(),
            child_wide: Default::default(),
            levels: c2(levels as u64),
            top_level: c2(levels as u64 - 1),
            level_no: std::array::from_fn(|i| c2(i as u64)),
            op_insert: c2(index_op::INSERT as u64),
            op_remove: c2(index_op::REMOVE as u64),
            op_clear: c2(index_op::CLEAR as u64),
            kind_empty: c2(EntryKind::Empty as u64),
            one_level: c2(1),
            one_access: Constant::new(1u64.to_bits()),
            no_accesses: Constant::new(0u64.to_bits()),
            one_entry: Constant::new(1u64.to_bits()),
            zero32: Constant::new(0u64.to_bits()),
            zero64: Constant::new(0u64.to_bits()),
            s_idle: Constant::new(S_IDLE.to_bits()),
            s_clear: Constant::new(S_CLEAR.to_bits()),
            s_top: Constant::new(S_TOP.to_bits()),
            s_top_check: Constant::new(S_TOP_CHECK.to_bits()),
            s_visit: Constant::new(S_VISIT.to_bits()),
            s_check: Constant::new(S_CHECK.to_bits()),
            s_child_read: Constant::new(S_CHILD_READ.to_bits()),
            s_leaf_read: Constant::new(S_LEAF_READ.to_bits()),
            s_leaf_write: Constant::new(S_LEAF_WRITE.to_bits()),
            s_alloc: Constant::new(S_ALLOC.to_bits()),
            s_link_top: Constant::new(S_LINK_TOP.to_bits()),
            s_link_child: Constant::new(S_LINK_CHILD.to_bits()),
            s_link_wait: Constant::new(S_LINK_WAIT.to_bits()),
            s_free_check: Constant::new(S_FREE_CHECK.to_bits()),
            s_free_visit: Constant::new(S_FREE_VISIT.to_bits()),
            s_free_parent: Constant::new(S_FREE_PARENT.to_bits()),
            s_done: Constant::new(S_DONE.to_bits()),
            state: Default::default(),
            op_q: Default::default(),
            slot: Default::default(),
            kind: Default::default(),
            value: Default::default(),
            level: Default::default(),
            node: Default::default(),
            mask: Default::default(),
            visited: Default::default(),
            child: Default::default(),
            link_top: Default::default(),
            acc: Default::default(),
            found_q: Default::default(),
            full_q: Default::default(),
            res_kind_q: Default::default(),
            res_value_q: Default::default(),
            entries_q: Default::default(),
            present: Default::default(),
        }
    }
}

// The kernel has one `if` per FSM state, testing the handshake inside it,
// which reads like the state diagram; clippy would merge those `if`s.
#[allow(clippy::collapsible_if)]
impl<const NODE_BITS: usize, const TOP_BITS: usize> Logic for SlotIndex<NODE_BITS, TOP_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            state,
            op_q,
            slot,
            kind,
            value,
            level,
            node,
            mask,
            child,
            link_top,
            acc,
            found_q,
            full_q,
            res_kind_q,
            res_value_q,
            entries_q
        );
        for i in 0..MAX_LEVELS {
            self.visited[i].clock.next = self.clock.val();
            self.visited[i].d.next = self.visited[i].q.val();
        }
        self.top_table.clock.next = self.clock.val();
        self.pool.clock.next = self.clock.val();
        self.port.clock.next = self.clock.val();
        self.masks.read_clock.next = self.clock.val();
        self.masks.write_clock.next = self.clock.val();

        // Outputs.
        self.op_ready.next =
            (self.state.q.val() == self.s_idle.val()) & !self.top_table.clearing.val();
        self.done.next = self.state.q.val() == self.s_done.val();
        self.found.next = self.found_q.q.val();
        self.full.next = self.full_q.q.val();
        self.res_kind.next = self.res_kind_q.q.val();
        self.res_value.next = self.res_value_q.q.val();
        self.accesses.next = self.acc.q.val();
        self.entries.next = self.entries_q.q.val();
        self.mem_req_valid.next = self.port.mem_req_valid.val();
        self.mem_req_write.next = self.port.mem_req_write.val();
        self.mem_req_addr.next = self.port.mem_req_addr.val();
        self.mem_wdata.next = self.port.mem_wdata.val();
        self.port.mem_req_ready.next = self.mem_req_ready.val();
        self.port.mem_rvalid.next = self.mem_rvalid.val();
        self.port.mem_rdata.next = self.mem_rdata.val();

        // Where the walk is.
        self.slot_path.slot.next = self.slot.q.val();
        self.slot_path.level.next = self.level.q.val();
        self.slot_path.node.next = self.node.q.val();
        self.present.next =
            (self.masks.read_data.val() & self.slot_path.field_bit.val()) != self.zero64.val();

        // Sub-block defaults: read what the walk is at, write nothing.
        self.top_table.rd_index.next = self.slot_path.top_index.val();
        self.top_table.wr_index.next = self.slot_path.top_index.val();
        self.top_table.wr_en.next = false;
        self.top_table.wr_valid.next = false;
        self.top_table.wr_node.next = self.child.q.val();
        self.top_table.clear.next = false;
        self.masks.read_address.next = self.node.q.val().get_bits::<NODE_BITS>(0);
        self.masks.write_address.next = self.node.q.val().get_bits::<NODE_BITS>(0);
        self.masks.write_data.next = self.mask.q.val() | self.slot_path.field_bit.val();
        self.masks.write_enable.next = false;
        self.pool.alloc.next = false;
        self.pool.free.next = false;
        self.pool.free_node.next = self.node.q.val();
        self.pool.clear.next = false;
        self.child_wide.narrow.next = self.child.q.val();
        self.port.start.next = false;
        self.port.write.next = false;
        self.port.pair.next = false;
        self.port.addr.next = self.slot_path.addr.val();
        self.port.wdata.next = self.value.q.val();
        self.port.wkind.next = self.kind.q.val();

        // (`op_ready` is not read back: see `SlotPort` on Verilator's split.)
        if self.state.q.val() == self.s_idle.val() {
            if !self.top_table.clearing.val() & self.op_valid.val() {
                self.op_q.d.next = self.op.val();
                self.slot.d.next = self.op_slot.val();
                self.kind.d.next = self.op_kind.val();
                self.value.d.next = self.op_value.val();
                self.acc.d.next = self.no_accesses.val();
                self.found_q.d.next = false;
                self.full_q.d.next = false;
                self.res_kind_q.d.next = self.kind_empty.val();
                self.res_value_q.d.next = self.zero64.val();
                if self.op.val() == self.op_clear.val() {
                    self.top_table.clear.next = true;
                    self.pool.clear.next = true;
                    self.entries_q.d.next = self.zero32.val();
                    self.state.d.next = self.s_clear.val();
                } else {
                    self.state.d.next = self.s_top.val();
                }
            }
        }
        if self.state.q.val() == self.s_clear.val() {
            if !self.top_table.clearing.val() {
                self.state.d.next = self.s_done.val();
            }
        }
        if self.state.q.val() == self.s_top.val() {
            self.state.d.next = self.s_top_check.val();
        }
        if self.state.q.val() == self.s_top_check.val() {
            self.level.d.next = self.top_level.val();
            self.state.d.next = self.s_done.val();
            if !self.slot_path.in_range.val() {
                self.full_q.d.next = self.op_q.q.val() == self.op_insert.val();
            } else if self.top_table.rd_valid.val() {
                self.node.d.next = self.top_table.rd_node.val();
                self.state.d.next = self.s_visit.val();
            } else if self.op_q.q.val() == self.op_insert.val() {
                // A whole path is missing.
                if self.pool.spare.val() < self.levels.val() {
                    self.full_q.d.next = true;
                } else {
                    self.link_top.d.next = true;
                    self.state.d.next = self.s_alloc.val();
                }
            }
        }
        if self.state.q.val() == self.s_visit.val() {
            self.state.d.next = self.s_check.val();
        }
        if self.state.q.val() == self.s_check.val() {
            self.acc.d.next = self.acc.q.val() + self.one_access.val();
            self.mask.d.next = self.masks.read_data.val();
            for i in 0..MAX_LEVELS {
                if self.level.q.val() == self.level_no[i].val() {
                    self.visited[i].d.next = self.node.q.val();
                }
            }
            self.state.d.next = self.s_done.val();
            if self.level.q.val() == self.level_no[0].val() {
                if self.op_q.q.val() == self.op_insert.val() {
                    self.found_q.d.next = self.present.val();
                    if !self.present.val() {
                        self.entries_q.d.next = self.entries_q.q.val() + self.one_entry.val();
                    }
                    self.masks.write_data.next =
                        self.masks.read_data.val() | self.slot_path.field_bit.val();
                    self.masks.write_enable.next = true;
                    self.port.start.next = true;
                    self.port.write.next = true;
                    self.port.pair.next = true;
                    self.state.d.next = self.s_leaf_write.val();
                } else if self.present.val() {
                    self.port.start.next = true;
                    self.port.pair.next = true;
                    self.state.d.next = self.s_leaf_read.val();
                }
            } else if self.present.val() {
                self.port.start.next = true;
                self.state.d.next = self.s_child_read.val();
            } else if self.op_q.q.val() == self.op_insert.val() {
                // The nodes of the levels below are missing.
                if self.pool.spare.val() < self.level.q.val() {
                    self.full_q.d.next = true;
                    self.acc.d.next = self.no_accesses.val();
                } else {
                    self.link_top.d.next = false;
                    self.state.d.next = self.s_alloc.val();
                }
            }
        }
        if self.state.q.val() == self.s_child_read.val() {
            if self.port.done.val() {
                self.node.d.next = self.port.rdata.val().get_bits::<NODE_NO_BITS>(0);
                self.level.d.next = self.level.q.val() - self.one_level.val();
                self.state.d.next = self.s_visit.val();
            }
        }
        if self.state.q.val() == self.s_leaf_read.val() {
            if self.port.done.val() {
                self.found_q.d.next = true;
                self.res_value_q.d.next = self.port.rdata.val();
                self.res_kind_q.d.next = self.port.rkind.val();
                self.state.d.next = self.s_done.val();
                if self.op_q.q.val() == self.op_remove.val() {
                    self.entries_q.d.next = self.entries_q.q.val() - self.one_entry.val();
                    self.mask.d.next = self.mask.q.val() & !self.slot_path.field_bit.val();
                    self.masks.write_data.next =
                        self.mask.q.val() & !self.slot_path.field_bit.val();
                    self.masks.write_enable.next = true;
                    self.state.d.next = self.s_free_check.val();
                }
            }
        }
        if self.state.q.val() == self.s_leaf_write.val() {
            if self.port.done.val() {
                self.state.d.next = self.s_done.val();
            }
        }
        if self.state.q.val() == self.s_alloc.val() {
            if self.pool.ready.val() {
                self.pool.alloc.next = true;
                self.child.d.next = self.pool.node.val();
                self.acc.d.next = self.acc.q.val() + self.one_access.val();
                self.masks.write_address.next = self.pool.node.val().get_bits::<NODE_BITS>(0);
                self.masks.write_data.next = self.zero64.val();
                self.masks.write_enable.next = true;
                self.state.d.next = self.s_link_child.val();
                if self.link_top.q.val() {
                    self.state.d.next = self.s_link_top.val();
                }
            }
        }
        if self.state.q.val() == self.s_link_top.val() {
            self.top_table.wr_en.next = true;
            self.top_table.wr_valid.next = true;
            self.node.d.next = self.child.q.val();
            self.state.d.next = self.s_visit.val();
        }
        if self.state.q.val() == self.s_link_child.val() {
            self.masks.write_enable.next = true;
            self.port.start.next = true;
            self.port.write.next = true;
            self.port.wdata.next = self.child_wide.wide.val();
            self.state.d.next = self.s_link_wait.val();
        }
        if self.state.q.val() == self.s_link_wait.val() {
            if self.port.done.val() {
                self.node.d.next = self.child.q.val();
                self.level.d.next = self.level.q.val() - self.one_level.val();
                self.state.d.next = self.s_visit.val();
            }
        }
        if self.state.q.val() == self.s_free_check.val() {
            if self.mask.q.val() != self.zero64.val() {
                self.state.d.next = self.s_done.val();
            } else if self.pool.ready.val() {
                self.pool.free.next = true;
                self.acc.d.next = self.acc.q.val() + self.one_access.val();
                if self.level.q.val() == self.top_level.val() {
                    self.top_table.wr_en.next = true;
                    self.state.d.next = self.s_done.val();
                } else {
                    for i in 1..MAX_LEVELS {
                        if self.level.q.val() == self.level_no[i - 1].val() {
                            self.node.d.next = self.visited[i].q.val();
                        }
                    }
                    self.level.d.next = self.level.q.val() + self.one_level.val();
                    self.state.d.next = self.s_free_visit.val();
                }
            }
        }
        if self.state.q.val() == self.s_free_visit.val() {
            self.state.d.next = self.s_free_parent.val();
        }
        if self.state.q.val() == self.s_free_parent.val() {
            self.mask.d.next = self.masks.read_data.val() & !self.slot_path.field_bit.val();
            self.masks.write_data.next =
                self.masks.read_data.val() & !self.slot_path.field_bit.val();
            self.masks.write_enable.next = true;
            self.state.d.next = self.s_free_check.val();
        }
        if self.state.q.val() == self.s_done.val() {
            self.state.d.next = self.s_idle.val();
        }
    }
}
