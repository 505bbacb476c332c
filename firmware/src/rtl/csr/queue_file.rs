//! `QueueFile`: the queue windows of BAR0, one [`QueueRegs`] per queue, with
//! a host port (the CSR's decoded accesses) and an engine port (the queue the
//! engine looks at, and its updates).
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `host_q`, `host_word` | in | 3, 4 | the window and register of the CSR's access |
//! | `host_write`, `host_wdata` | in | 1, 32 | apply a write this cycle |
//! | `host_rdata` | out | 32 | read-back of (`host_q`, `host_word`) |
//! | `eng_q` | in | 3 | the queue the engine looks at |
//! | `fetched`, `posted`, `set_error`, `switch_off` | in | 1 | updates of queue `eng_q` (see [`QueueRegs`]) |
//! | `ready` .. `irq_vector` | out | | queue `eng_q`'s state (see [`QueueRegs`]) |
//!
//! All outputs are combinational in the selects; queues past `num_queues`
//! are never written and read 0.

use super::queue_regs::{QueueRegs, RING_INDEX_BITS, WINDOW_WORD_BITS};
use crate::params::RTL_MAX_QUEUES;
use rust_hdl::prelude::*;

/// Bits of a queue number.
pub const QUEUE_BITS: usize = RTL_MAX_QUEUES.trailing_zeros() as usize;
const QUEUES: usize = RTL_MAX_QUEUES as usize;
const _: () = assert!(RTL_MAX_QUEUES.is_power_of_two());

type Index = Bits<RING_INDEX_BITS>;

#[derive(LogicBlock)]
pub struct QueueFile {
    pub clock: Signal<In, Clock>,
    pub host_q: Signal<In, Bits<QUEUE_BITS>>,
    pub host_word: Signal<In, Bits<WINDOW_WORD_BITS>>,
    pub host_write: Signal<In, bool>,
    pub host_wdata: Signal<In, Bits<32>>,
    pub host_rdata: Signal<Out, Bits<32>>,
    pub eng_q: Signal<In, Bits<QUEUE_BITS>>,
    pub fetched: Signal<In, bool>,
    pub posted: Signal<In, bool>,
    pub set_error: Signal<In, bool>,
    pub switch_off: Signal<In, bool>,
    pub ready: Signal<Out, bool>,
    pub pending: Signal<Out, bool>,
    pub tail_bad: Signal<Out, bool>,
    pub cq_room: Signal<Out, bool>,
    pub sq_base: Signal<Out, Bits<64>>,
    pub cq_base: Signal<Out, Bits<64>>,
    pub sq_head: Signal<Out, Index>,
    pub cq_tail: Signal<Out, Index>,
    pub phase: Signal<Out, bool>,
    pub irq_vector: Signal<Out, Bits<32>>,
    queues: [QueueRegs; QUEUES],
    queue_id: [Constant<Bits<QUEUE_BITS>>; QUEUES],
    /// The queue exists (`< num_queues`): the others are never written, so
    /// synthesis keeps none of their registers.
    present: [Constant<bool>; QUEUES],
}

impl QueueFile {
    /// The `num_queues` queue windows of a device whose rings are at most
    /// `2^max_queue_log2` entries.
    pub fn new(num_queues: u32, max_queue_log2: u32) -> Self {
        Self {
            clock: Default::default(),
            host_q: Default::default(),
            host_word: Default::default(),
            host_write: Default::default(),
            host_wdata: Default::default(),
            host_rdata: Default::default(),
            eng_q: Default::default(),
            fetched: Default::default(),
            posted: Default::default(),
            set_error: Default::default(),
            switch_off: Default::default(),
            ready: Default::default(),
            pending: Default::default(),
            tail_bad: Default::default(),
            cq_room: Default::default(),
            sq_base: Default::default(),
            cq_base: Default::default(),
            sq_head: Default::default(),
            cq_tail: Default::default(),
            phase: Default::default(),
            irq_vector: Default::default(),
            queues: std::array::from_fn(|_| QueueRegs::new(max_queue_log2)),
            queue_id: std::array::from_fn(|q| Constant::new((q as u64).to_bits())),
            present: std::array::from_fn(|q| Constant::new(q < num_queues as usize)),
        }
    }
}

impl Logic for QueueFile {
    #[hdl_gen]
    fn update(&mut self) {
        // Queue 0 is the default selection of both ports.
        self.host_rdata.next = self.queues[0].host_rdata.val();
        self.ready.next = self.queues[0].ready.val();
        self.pending.next = self.queues[0].pending.val();
        self.tail_bad.next = self.queues[0].tail_bad.val();
        self.cq_room.next = self.queues[0].cq_room.val();
        self.sq_base.next = self.queues[0].sq_base.val();
        self.cq_base.next = self.queues[0].cq_base.val();
        self.sq_head.next = self.queues[0].sq_head.val();
        self.cq_tail.next = self.queues[0].cq_tail.val();
        self.phase.next = self.queues[0].phase.val();
        self.irq_vector.next = self.queues[0].irq_vector.val();
        for q in 0..QUEUES {
            self.queues[q].clock.next = self.clock.val();
            self.queues[q].host_word.next = self.host_word.val();
            self.queues[q].host_wdata.next = self.host_wdata.val();
            self.queues[q].host_write.next = self.host_write.val()
                & self.present[q].val()
                & (self.host_q.val() == self.queue_id[q].val());
            self.queues[q].fetched.next = self.fetched.val()
                & self.present[q].val()
                & (self.eng_q.val() == self.queue_id[q].val());
            self.queues[q].posted.next = self.posted.val()
                & self.present[q].val()
                & (self.eng_q.val() == self.queue_id[q].val());
            self.queues[q].set_error.next = self.set_error.val()
                & self.present[q].val()
                & (self.eng_q.val() == self.queue_id[q].val());
            self.queues[q].switch_off.next = self.switch_off.val()
                & self.present[q].val()
                & (self.eng_q.val() == self.queue_id[q].val());
            if self.host_q.val() == self.queue_id[q].val() {
                self.host_rdata.next = self.queues[q].host_rdata.val();
            }
            if self.eng_q.val() == self.queue_id[q].val() {
                self.ready.next = self.queues[q].ready.val();
                self.pending.next = self.queues[q].pending.val();
                self.tail_bad.next = self.queues[q].tail_bad.val();
                self.cq_room.next = self.queues[q].cq_room.val();
                self.sq_base.next = self.queues[q].sq_base.val();
                self.cq_base.next = self.queues[q].cq_base.val();
                self.sq_head.next = self.queues[q].sq_head.val();
                self.cq_tail.next = self.queues[q].cq_tail.val();
                self.phase.next = self.queues[q].phase.val();
                self.irq_vector.next = self.queues[q].irq_vector.val();
            }
        }
    }
}
