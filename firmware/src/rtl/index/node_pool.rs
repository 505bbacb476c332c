//! `NodePool`: the index's node allocator, as the model's: a LIFO stack of
//! freed nodes (popped first) and a bump pointer to the next never-used node.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `alloc` | in | 1 | take `node` this cycle (only when `ready` and `spare > 0`) |
//! | `free` | in | 1 | push `free_node` on the stack this cycle (only when `ready`) |
//! | `free_node` | in | 16 | |
//! | `clear` | in | 1 | every node free: empty stack, bump pointer 0 |
//! | `node` | out | 16 | the node `alloc` takes: the stack top, else the bump pointer |
//! | `ready` | out | 1 | `node` is valid: low the cycle after an `alloc`, `free` or `clear` (the stack RAM reads its new top) |
//! | `spare` | out | 2 | free nodes (stack + never used), saturated at 3 (an insert needs at most `MAX_LEVELS`) |

use super::{MAX_LEVELS, NODE_NO_BITS, NodeNo};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct NodePool<const NODE_BITS: usize> {
    pub clock: Signal<In, Clock>,
    pub alloc: Signal<In, bool>,
    pub free: Signal<In, bool>,
    pub free_node: Signal<In, NodeNo>,
    pub clear: Signal<In, bool>,
    pub node: Signal<Out, NodeNo>,
    pub ready: Signal<Out, bool>,
    pub spare: Signal<Out, Bits<2>>,

    stack: RAM<NodeNo, NODE_BITS>,
    max_nodes: Constant<Bits<32>>,
    one: Constant<Bits<32>>,
    zero: Constant<Bits<32>>,
    /// `MAX_LEVELS`, at both widths.
    most_needed: Constant<Bits<32>>,
    most_needed_sat: Constant<Bits<2>>,
    /// Nodes on the free stack.
    depth: DFF<Bits<32>>,
    /// Nodes `bump ..` were never used.
    bump: DFF<Bits<32>>,
    settling: DFF<bool>,
    below_top: Signal<Local, Bits<32>>,
    spare_all: Signal<Local, Bits<32>>,
}

impl<const NODE_BITS: usize> NodePool<NODE_BITS> {
    /// A pool of nodes `0 .. max_nodes` (`max_nodes <= 2^NODE_BITS`).
    pub fn new(max_nodes: u32) -> Self {
        assert!(
            (1..=1u64 << NODE_BITS).contains(&(max_nodes as u64)),
            "max_nodes must be 1 ..= 2^NODE_BITS"
        );
        Self {
            clock: Default::default(),
            alloc: Default::default(),
            free: Default::default(),
            free_node: Default::default(),
            clear: Default::default(),
            node: Default::default(),
            ready: Default::default(),
            spare: Default::default(),
            stack: Default::default(),
            max_nodes: Constant::new((max_nodes as u64).to_bits()),
            one: Constant::new(1u64.to_bits()),
            zero: Constant::new(0u64.to_bits()),
            most_needed: Constant::new((MAX_LEVELS as u64).to_bits()),
            most_needed_sat: Constant::new((MAX_LEVELS as u64).to_bits()),
            depth: Default::default(),
            bump: Default::default(),
            settling: Default::default(),
            below_top: Default::default(),
            spare_all: Default::default(),
        }
    }
}

impl<const NODE_BITS: usize> Logic for NodePool<NODE_BITS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, depth, bump, settling);
        self.stack.read_clock.next = self.clock.val();
        self.stack.write_clock.next = self.clock.val();
        // The RAM always reads the stack top, so `node` is ready one cycle
        // after the depth changes.
        self.below_top.next = self.depth.q.val() - self.one.val();
        self.stack.read_address.next = self.below_top.val().get_bits::<NODE_BITS>(0);
        self.stack.write_address.next = self.depth.q.val().get_bits::<NODE_BITS>(0);
        self.stack.write_data.next = self.free_node.val();
        self.stack.write_enable.next = self.free.val();

        self.node.next = self.bump.q.val().get_bits::<NODE_NO_BITS>(0);
        if self.depth.q.val() != self.zero.val() {
            self.node.next = self.stack.read_data.val();
        }
        self.ready.next = !self.settling.q.val();
        self.spare_all.next = self.depth.q.val() + self.max_nodes.val() - self.bump.q.val();
        self.spare.next = self.spare_all.val().get_bits::<2>(0);
        if self.spare_all.val() >= self.most_needed.val() {
            self.spare.next = self.most_needed_sat.val();
        }

        self.settling.d.next = self.alloc.val() | self.free.val() | self.clear.val();
        if self.alloc.val() {
            if self.depth.q.val() != self.zero.val() {
                self.depth.d.next = self.below_top.val();
            } else {
                self.bump.d.next = self.bump.q.val() + self.one.val();
            }
        }
        if self.free.val() {
            self.depth.d.next = self.depth.q.val() + self.one.val();
        }
        if self.clear.val() {
            self.depth.d.next = self.zero.val();
            self.bump.d.next = self.zero.val();
        }
    }
}
