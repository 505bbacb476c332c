//! `SlotPath`: where a slot lives in the index, for the walk (combinational).
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `slot` | in | 32 | |
//! | `level` | in | 2 | the walk's level (0 = leaves) |
//! | `node` | in | 16 | the walk's node at that level |
//! | `top_index` | out | `TOP_BITS` | the slot's top-level entry |
//! | `in_range` | out | 1 | the top index is below `2^top_bits` (the slot has `top_bits + 6 levels` bits) |
//! | `field_bit` | out | 64 | the mask bit of the slot's field at `level` |
//! | `addr` | out | 32 | device-memory byte address of `node`'s slot for that field (word 0) |
//!
//! A slot is `top index | field(levels-1) | ... | field(0)`, 6 bits a field.
//! Node `k` is at `index_base + k * INDEX_NODE_BYTES`, its slot `f` at
//! `+ f * INDEX_SLOT_BYTES`.

use super::{MAX_LEVELS, NODE_NO_BITS, NodeNo};
use crate::params::{INDEX_FANOUT_BITS, INDEX_NODE_BYTES, INDEX_SLOT_BYTES};
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Bits of the slot per level, as a width.
const FIELD_BITS: usize = INDEX_FANOUT_BITS as usize;

fn k<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.to_bits())
}

#[derive(LogicBlock)]
pub struct SlotPath<const TOP_BITS: usize> {
    pub slot: Signal<In, Bits<32>>,
    pub level: Signal<In, Bits<2>>,
    pub node: Signal<In, NodeNo>,
    pub top_index: Signal<Out, Bits<TOP_BITS>>,
    pub in_range: Signal<Out, bool>,
    pub field_bit: Signal<Out, Bits<64>>,
    pub addr: Signal<Out, Bits<32>>,

    /// `level_no[i] = i`; `field_at[i]`: where the field of level `i` starts.
    level_no: [Constant<Bits<2>>; MAX_LEVELS],
    field_at: [Constant<Bits<5>>; MAX_LEVELS],
    /// Where the top index starts, and the slot's width.
    top_at: Constant<Bits<5>>,
    slot_bits: Constant<Bits<5>>,
    index_base: Constant<Bits<32>>,
    node_bytes_log2: Constant<Bits<4>>,
    slot_bytes_log2: Constant<Bits<4>>,
    zero: Constant<Bits<32>>,
    one: Constant<Bits<64>>,
    node_wide: ZeroExtend<NODE_NO_BITS, 32>,
    field_wide: ZeroExtend<FIELD_BITS, 32>,
    field_start: Signal<Local, Bits<5>>,
    field: Signal<Local, Bits<FIELD_BITS>>,
}

impl<const TOP_BITS: usize> SlotPath<TOP_BITS> {
    /// The path of slots with `levels` fields under a `top_bits` top index,
    /// nodes from `index_base`.
    pub fn new(levels: u32, top_bits: u32, index_base: u64) -> Self {
        let top_at = levels * INDEX_FANOUT_BITS;
        assert!(top_at + top_bits < 32, "slot range too large");
        assert!(
            top_at as usize + TOP_BITS <= 32,
            "top index RAM wider than the slot"
        );
        Self {
            slot: Default::default(),
            level: Default::default(),
            node: Default::default(),
            top_index: Default::default(),
            in_range: Default::default(),
            field_bit: Default::default(),
            addr: Default::default(),
            level_no: std::array::from_fn(|i| k(i as u64)),
            field_at: std::array::from_fn(|i| k(i as u64 * INDEX_FANOUT_BITS as u64)),
            top_at: k(top_at as u64),
            slot_bits: k((top_at + top_bits) as u64),
            index_base: k(index_base),
            node_bytes_log2: k(INDEX_NODE_BYTES.trailing_zeros() as u64),
            slot_bytes_log2: k(INDEX_SLOT_BYTES.trailing_zeros() as u64),
            zero: k(0),
            one: k(1),
            node_wide: Default::default(),
            field_wide: Default::default(),
            field_start: Default::default(),
            field: Default::default(),
        }
    }
}

impl<const TOP_BITS: usize> Logic for SlotPath<TOP_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        self.top_index.next = self
            .slot
            .val()
            .get_bits::<TOP_BITS>(self.top_at.val().index());
        self.in_range.next = (self.slot.val() >> self.slot_bits.val()) == self.zero.val();
        self.field_start.next = self.field_at[0].val();
        for i in 0..MAX_LEVELS {
            if self.level.val() == self.level_no[i].val() {
                self.field_start.next = self.field_at[i].val();
            }
        }
        self.field.next = self
            .slot
            .val()
            .get_bits::<FIELD_BITS>(self.field_start.val().index());
        self.field_bit.next = self.one.val() << self.field.val();
        self.node_wide.narrow.next = self.node.val();
        self.field_wide.narrow.next = self.field.val();
        self.addr.next = self.index_base.val()
            + (self.node_wide.wide.val() << self.node_bytes_log2.val())
            + (self.field_wide.wide.val() << self.slot_bytes_log2.val());
    }
}
