//! `TopTable`: the index's on-chip top level, one entry per top index: a valid
//! bit and the node number of the subtree below it.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `rd_index` | in | `TOP_BITS` | entry to read |
//! | `rd_valid`/`rd_node` | out | 1/16 | entry `rd_index` of the previous cycle |
//! | `wr_en` | in | 1 | write entry `wr_index` with `wr_valid`/`wr_node` this cycle |
//! | `wr_index` | in | `TOP_BITS` | |
//! | `wr_valid`/`wr_node` | in | 1/16 | |
//! | `clear` | in | 1 | pulse: invalidate every entry |
//! | `clearing` | out | 1 | an invalidation runs (from power-up and the cycle after `clear`): reads and writes must wait |
//!
//! Block RAM is not initialised in hardware, so the table invalidates its
//! `2^top_bits` used entries one per cycle, at power-up and on `clear`.

use super::NodeNo;
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct TopTable<const TOP_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub rd_index: Signal<In, Bits<TOP_BITS>>,
    pub rd_valid: Signal<Out, bool>,
    pub rd_node: Signal<Out, NodeNo>,
    pub wr_en: Signal<In, bool>,
    pub wr_index: Signal<In, Bits<TOP_BITS>>,
    pub wr_valid: Signal<In, bool>,
    pub wr_node: Signal<In, NodeNo>,
    pub clear: Signal<In, bool>,
    pub clearing: Signal<Out, bool>,

    valid: RAM<bool, TOP_BITS>,
    nodes: RAM<NodeNo, TOP_BITS>,
    /// The last entry in use (`2^top_bits - 1`).
    last_entry: Constant<Bits<TOP_BITS>>,
    first_entry: Constant<Bits<TOP_BITS>>,
    one: Constant<Bits<TOP_BITS>>,
    /// Next entry the invalidation writes.
    clear_at: DFF<Bits<TOP_BITS>>,
    /// Every entry is invalid or written since: false at power-up (DFFs
    /// start at 0), so power-up runs the invalidation.
    invalidated: DFF<bool>,
}

impl<const TOP_BITS: usize> TopTable<TOP_BITS> {
    /// A table whose `2^top_bits` first entries are used (`top_bits <= TOP_BITS`).
    pub fn new(top_bits: u32) -> Self {
        assert!(
            top_bits as usize <= TOP_BITS,
            "top level larger than its RAM"
        );
        Self {
            clock: Default::default(),
            rd_index: Default::default(),
            rd_valid: Default::default(),
            rd_node: Default::default(),
            wr_en: Default::default(),
            wr_index: Default::default(),
            wr_valid: Default::default(),
            wr_node: Default::default(),
            clear: Default::default(),
            clearing: Default::default(),
            valid: Default::default(),
            nodes: Default::default(),
            last_entry: Constant::new(((1u64 << top_bits) - 1).to_bits()),
            first_entry: Constant::new(0u64.to_bits()),
            one: Constant::new(1u64.to_bits()),
            clear_at: Default::default(),
            invalidated: Default::default(),
        }
    }
}

impl<const TOP_BITS: usize> Logic for TopTable<TOP_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, clear_at, invalidated);
        self.valid.read_clock.next = self.clock.val();
        self.valid.write_clock.next = self.clock.val();
        self.nodes.read_clock.next = self.clock.val();
        self.nodes.write_clock.next = self.clock.val();
        self.valid.read_address.next = self.rd_index.val();
        self.nodes.read_address.next = self.rd_index.val();
        self.rd_valid.next = self.valid.read_data.val();
        self.rd_node.next = self.nodes.read_data.val();
        self.clearing.next = !self.invalidated.q.val();

        self.valid.write_address.next = self.wr_index.val();
        self.valid.write_data.next = self.wr_valid.val();
        self.valid.write_enable.next = self.wr_en.val();
        self.nodes.write_address.next = self.wr_index.val();
        self.nodes.write_data.next = self.wr_node.val();
        self.nodes.write_enable.next = self.wr_en.val();
        // The node number of an invalid entry is never read: only the valid
        // bits are cleared.
        if !self.invalidated.q.val() {
            self.valid.write_address.next = self.clear_at.q.val();
            self.valid.write_data.next = false;
            self.valid.write_enable.next = true;
            self.nodes.write_enable.next = false;
            self.clear_at.d.next = self.clear_at.q.val() + self.one.val();
            if self.clear_at.q.val() == self.last_entry.val() {
                self.invalidated.d.next = true;
            }
        }
        if self.clear.val() {
            self.invalidated.d.next = false;
            self.clear_at.d.next = self.first_entry.val();
        }
    }
}
