//! A small device behind the top-level ports, for the harness's tests.
//!
//! It has the generated binding's shape (`get_<port>()` / `set_<port>(u64)`
//! and [`Model`]), so it reaches the harness through `impl_device_ports!`
//! exactly as the Verilated device will. Behind the ports: BAR0 IDENTITY
//! `MAGIC`, a scratch register, registers that never answer or answer late, CONTROL
//! `CTRL`/`IRQ_MASK`, and [`MOCK_QUEUES`] queue pairs with the registers of
//! `pagepress_abi::regs::queues`. A queue engine fetches commands (one 32-byte
//! DMA read), runs them and posts completions (one 16-byte DMA write, then an
//! irq pulse unless masked), as the real device does:
//!
//! - NOP completes; STORE / LOAD wait [`STORE_CYCLES_PER_PAGE`] /
//!   [`LOAD_CYCLES_PER_PAGE`] per page (a STORE with flags is `BAD_COMMAND`);
//! - [`OP_COPY`] reads `nr_pages` chunks of `len` bytes from `addr` (all
//!   requests issued before the data comes back) and writes them to
//!   `addr + slot` (again back to back): `DMA_FAULT` on `rerr` or `bok = 0`;
//! - [`OP_MEM`] writes the word `addr` to device memory at byte `slot`, reads
//!   the words at `slot` and `slot + 8`: `result` / `info` = their low halves;
//! - [`OP_STRAY_BEAT`] offers a DMA write beat with no request (a protocol
//!   error).
//!
//! Register port: `reg_ready` is combinational (high when `reg_valid` has been
//! held [`REG_READY_DELAY`] cycles, at once for [`SCRATCH`]), and like a Verilated model's it follows
//! the inputs only when the model is evaluated; read data comes
//! [`REG_READ_DELAY`] edges after the edge that took the read. Every transfer
//! is logged with its edge.

use super::ports::TOP_PORTS;
use crate::{Model, Port};
use pagepress_abi::desc::COMMAND_SIZE;
use pagepress_abi::regs::{CONTROL_BASE, IDENTITY_BASE, control, identity, queues};
use pagepress_abi::{Command, Completion, DEVICE_MAGIC, Opcode, Status};
use std::collections::VecDeque;

crate::impl_device_ports!(MockDevice);

pub(crate) const SCRATCH: u32 = 0x0800;
/// Never `reg_ready`.
pub(crate) const HANG_READY: u32 = 0x0804;
/// Reads are taken but never answered.
pub(crate) const HANG_READ: u32 = 0x0808;
/// Reads are answered [`SLOW_READ_DELAY`] edges after they are taken, with
/// [`SLOW_READ_VALUE`].
pub(crate) const SLOW_READ: u32 = 0x080C;
pub(crate) const SLOW_READ_DELAY: u32 = 150;
pub(crate) const SLOW_READ_VALUE: u32 = 0x5105_5105;
/// Cycles `reg_valid` is held before `reg_ready` rises (but for [`SCRATCH`]).
pub(crate) const REG_READY_DELAY: u32 = 2;
/// Edges from taking a read to the edge that raises `reg_rvalid`.
pub(crate) const REG_READ_DELAY: u32 = 1;
pub(crate) const MOCK_QUEUES: usize = 2;
pub(crate) const STORE_CYCLES_PER_PAGE: u32 = 50;
pub(crate) const LOAD_CYCLES_PER_PAGE: u32 = 30;
/// Mock opcodes, above the ABI's.
pub(crate) const OP_COPY: u8 = 0x40;
pub(crate) const OP_MEM: u8 = 0x41;
pub(crate) const OP_STRAY_BEAT: u8 = 0x42;

/// A transfer on a port, logged with the edge it happened on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A register access taken after `waited` cycles of `reg_valid`.
    Reg {
        offset: u32,
        write: bool,
        waited: u32,
    },
    DmaReq {
        write: bool,
        addr: u64,
        len: u16,
    },
    ReadBeat {
        last: bool,
        err: bool,
    },
    WriteBeat {
        last: bool,
    },
    WriteAck {
        ok: bool,
    },
    MemReq {
        write: bool,
        addr: u32,
    },
    MemData,
    /// The last beat of the completion of command `cid` on queue `sq_id`.
    Posted {
        sq_id: u16,
        cid: u16,
    },
}

#[derive(Debug, Default)]
struct Inputs {
    reg_valid: bool,
    reg_write: bool,
    reg_addr: u32,
    reg_wdata: u32,
    dma_req_ready: bool,
    dma_wready: bool,
    dma_bvalid: bool,
    dma_bok: bool,
    dma_rvalid: bool,
    dma_rdata: u64,
    dma_rlast: bool,
    dma_rerr: bool,
    mem_req_ready: bool,
    mem_rvalid: bool,
    mem_rdata: u64,
}

/// Registered outputs (all but `reg_ready`).
#[derive(Debug, Default)]
struct Outputs {
    reg_rvalid: bool,
    reg_rdata: u32,
    dma_req_valid: bool,
    dma_req_write: bool,
    dma_req_addr: u64,
    dma_req_len: u16,
    dma_wvalid: bool,
    dma_wdata: u64,
    dma_wlast: bool,
    mem_req_valid: bool,
    mem_req_write: bool,
    mem_req_addr: u32,
    mem_wdata: u64,
    irq: u8,
    idle: bool,
}

#[derive(Clone, Debug, Default)]
struct MockQueue {
    sq_base: u64,
    sq_log2: u32,
    cq_base: u64,
    cq_log2: u32,
    enabled: bool,
    error: bool,
    head: u32,
    tail: u32,
    cq_tail: u32,
    cq_head: u32,
    phase: bool,
    vector: u32,
}

impl MockQueue {
    fn runnable(&self) -> bool {
        let cq_mask = (1u32 << self.cq_log2) - 1;
        self.enabled
            && !self.error
            && self.head != self.tail
            && (self.cq_tail + 1) & cq_mask != self.cq_head
    }
}

/// One step of the engine's program.
#[derive(Debug)]
enum Op {
    Read { addr: u64, len: u16 },
    Write { addr: u64, data: Vec<u8> },
    AwaitReads,
    AwaitAcks,
    MemWrite { addr: u32, data: u64 },
    MemRead { addr: u32 },
    AwaitMem,
    Wait(u32),
    Irq(u32),
    StrayBeat,
}

#[derive(Clone, Copy, Debug)]
enum Stage {
    Idle,
    Fetch(usize),
    Exec(usize, Command),
    Copied(usize, Command),
    Posted(usize),
}

#[derive(Debug)]
pub(crate) struct MockDevice {
    i: Inputs,
    o: Outputs,
    cycles: u64,
    scratch: u32,
    enabled: bool,
    irq_mask: u32,
    queues: [MockQueue; MOCK_QUEUES],
    /// Cycles the current register offer has waited.
    reg_age: u32,
    /// `reg_ready` as last settled: like a Verilated model's combinational
    /// output, it follows the inputs only on `eval` and on the clock edge.
    reg_ready: bool,
    read_reply: Option<(u32, u32)>,
    stage: Stage,
    ops: VecDeque<Op>,
    last_queue: usize,
    /// Beats of the write in the request channel.
    req_beats: Vec<(u64, bool)>,
    /// Beats of taken write requests, to send.
    wq: VecDeque<(u64, bool)>,
    /// Lengths of the reads taken and not finished.
    reads_owed: VecDeque<u16>,
    read_start: Option<usize>,
    acks_owed: u32,
    mem_owed: u32,
    rbuf: Vec<u8>,
    rfaults: u32,
    bfaults: u32,
    mbuf: Vec<u64>,
    posting: Option<(u16, u16)>,
    pub(crate) log: Vec<(u64, Event)>,
}

impl MockDevice {
    pub(crate) fn new() -> Self {
        MockDevice {
            i: Inputs::default(),
            o: Outputs::default(),
            cycles: 0,
            scratch: 0,
            enabled: false,
            irq_mask: 0,
            queues: Default::default(),
            reg_age: 0,
            reg_ready: false,
            read_reply: None,
            stage: Stage::Idle,
            ops: VecDeque::new(),
            last_queue: MOCK_QUEUES - 1,
            req_beats: Vec::new(),
            wq: VecDeque::new(),
            reads_owed: VecDeque::new(),
            read_start: None,
            acks_owed: 0,
            mem_owed: 0,
            rbuf: Vec::new(),
            rfaults: 0,
            bfaults: 0,
            mbuf: Vec::new(),
            posting: None,
            log: Vec::new(),
        }
    }

    /// The edges of the logged events `f` picks.
    pub(crate) fn edges(&self, f: impl Fn(&Event) -> bool) -> Vec<u64> {
        self.log
            .iter()
            .filter(|(_, e)| f(e))
            .map(|&(c, _)| c)
            .collect()
    }

    fn log(&mut self, e: Event) {
        self.log.push((self.cycles, e));
    }

    fn settle(&mut self) {
        self.reg_ready = self.reg_ready_now();
    }

    fn reg_ready_now(&self) -> bool {
        let a = self.i.reg_addr;
        self.i.reg_valid && (self.reg_age >= REG_READY_DELAY || a == SCRATCH) && a != HANG_READY
    }

    fn read_reg(&self, offset: u32) -> u32 {
        if let Some((q, reg)) = queue_reg(offset) {
            let s = &self.queues[q];
            return match reg {
                queues::QSTATUS => s.enabled as u32 | (s.error as u32) << 1,
                queues::SQ_SIZE_LOG2 => s.sq_log2,
                queues::CQ_SIZE_LOG2 => s.cq_log2,
                queues::IRQ_VECTOR => s.vector,
                _ => 0,
            };
        }
        match offset {
            o if o == IDENTITY_BASE + identity::MAGIC => DEVICE_MAGIC,
            SCRATCH => self.scratch,
            o if o == CONTROL_BASE + control::CTRL => self.enabled as u32,
            o if o == CONTROL_BASE + control::IRQ_MASK => self.irq_mask,
            _ => 0,
        }
    }

    fn write_reg(&mut self, offset: u32, v: u32) {
        if let Some((q, reg)) = queue_reg(offset) {
            let s = &mut self.queues[q];
            let lo = |old: u64| (old & !0xffff_ffff) | v as u64;
            let hi = |old: u64| (old & 0xffff_ffff) | (v as u64) << 32;
            match reg {
                queues::SQ_BASE_LO => s.sq_base = lo(s.sq_base),
                queues::SQ_BASE_HI => s.sq_base = hi(s.sq_base),
                queues::SQ_SIZE_LOG2 => s.sq_log2 = v,
                queues::CQ_BASE_LO => s.cq_base = lo(s.cq_base),
                queues::CQ_BASE_HI => s.cq_base = hi(s.cq_base),
                queues::CQ_SIZE_LOG2 => s.cq_log2 = v,
                queues::IRQ_VECTOR => s.vector = v,
                queues::ENABLE => {
                    s.enabled = v & 1 != 0;
                    if s.enabled {
                        (s.head, s.tail, s.cq_tail, s.cq_head) = (0, 0, 0, 0);
                        s.phase = true;
                        s.error = false;
                    }
                }
                queues::SQ_TAIL_DB if v >> s.sq_log2 != 0 => s.error = true,
                queues::SQ_TAIL_DB => s.tail = v,
                queues::CQ_HEAD_DB => s.cq_head = v,
                _ => {}
            }
            return;
        }
        match offset {
            SCRATCH => self.scratch = v,
            o if o == CONTROL_BASE + control::CTRL => self.enabled = v & control::CTRL_ENABLE != 0,
            o if o == CONTROL_BASE + control::IRQ_MASK => self.irq_mask = v,
            _ => {}
        }
    }

    /// One rising edge.
    fn edge(&mut self) {
        self.o.reg_rvalid = false;
        self.o.irq = 0;
        self.edge_registers();
        self.edge_dma();
        self.edge_mem();
        self.run_ops();
        self.o.idle = matches!(self.stage, Stage::Idle)
            && self.ops.is_empty()
            && !(self.enabled && self.queues.iter().any(MockQueue::runnable));
        self.cycles += 1;
        self.settle();
    }

    fn edge_registers(&mut self) {
        if self.i.reg_valid {
            if self.reg_ready_now() {
                let (offset, write) = (self.i.reg_addr, self.i.reg_write);
                self.log(Event::Reg {
                    offset,
                    write,
                    waited: self.reg_age,
                });
                self.reg_age = 0;
                if write {
                    self.write_reg(offset, self.i.reg_wdata);
                } else if offset == SLOW_READ {
                    self.read_reply = Some((SLOW_READ_DELAY, SLOW_READ_VALUE));
                } else if offset != HANG_READ {
                    self.read_reply = Some((REG_READ_DELAY, self.read_reg(offset)));
                }
            } else {
                self.reg_age += 1;
            }
        } else {
            self.reg_age = 0;
        }
        match self.read_reply {
            Some((0, data)) => {
                self.o.reg_rvalid = true;
                self.o.reg_rdata = data;
                self.read_reply = None;
            }
            Some((left, data)) => self.read_reply = Some((left - 1, data)),
            None => {}
        }
    }

    fn edge_dma(&mut self) {
        if self.o.dma_req_valid && self.i.dma_req_ready {
            self.log(Event::DmaReq {
                write: self.o.dma_req_write,
                addr: self.o.dma_req_addr,
                len: self.o.dma_req_len,
            });
            self.o.dma_req_valid = false;
            if self.o.dma_req_write {
                self.wq.extend(self.req_beats.drain(..));
                self.acks_owed += 1;
            } else {
                self.reads_owed.push_back(self.o.dma_req_len);
            }
        }
        if self.o.dma_wvalid && self.i.dma_wready {
            let last = self.o.dma_wlast;
            self.log(Event::WriteBeat { last });
            if last && let Some((sq_id, cid)) = self.posting.take() {
                self.log(Event::Posted { sq_id, cid });
            }
            self.o.dma_wvalid = false;
        }
        if !self.o.dma_wvalid
            && let Some((w, last)) = self.wq.pop_front()
        {
            (self.o.dma_wvalid, self.o.dma_wdata, self.o.dma_wlast) = (true, w, last);
        }
        if self.i.dma_rvalid {
            let (last, err) = (self.i.dma_rlast, self.i.dma_rerr);
            self.log(Event::ReadBeat { last, err });
            let start = *self.read_start.get_or_insert(self.rbuf.len());
            if err {
                self.rfaults += 1;
            } else {
                self.rbuf.extend_from_slice(&self.i.dma_rdata.to_le_bytes());
            }
            if last {
                let len = self.reads_owed.pop_front().expect("read data with no read") as usize;
                if !err {
                    self.rbuf.truncate(start + len);
                }
                self.read_start = None;
            }
        }
        if self.i.dma_bvalid {
            let ok = self.i.dma_bok;
            self.log(Event::WriteAck { ok });
            self.acks_owed -= 1;
            self.bfaults += !ok as u32;
        }
    }

    fn edge_mem(&mut self) {
        if self.o.mem_req_valid && self.i.mem_req_ready {
            self.log(Event::MemReq {
                write: self.o.mem_req_write,
                addr: self.o.mem_req_addr,
            });
            self.o.mem_req_valid = false;
            self.mem_owed += !self.o.mem_req_write as u32;
        }
        if self.i.mem_rvalid {
            self.log(Event::MemData);
            self.mbuf.push(self.i.mem_rdata);
            self.mem_owed -= 1;
        }
    }

    /// Runs the program until an op must wait for a later edge.
    fn run_ops(&mut self) {
        loop {
            let Some(op) = self.ops.front_mut() else {
                if !self.next_stage() {
                    return;
                }
                continue;
            };
            let done = match op {
                Op::Read { addr, len } if !self.o.dma_req_valid => {
                    let (a, l) = (*addr, *len);
                    (self.o.dma_req_valid, self.o.dma_req_write) = (true, false);
                    (self.o.dma_req_addr, self.o.dma_req_len) = (a, l);
                    true
                }
                Op::Write { addr, data } if !self.o.dma_req_valid => {
                    let a = *addr;
                    let n = data.len().div_ceil(8);
                    self.req_beats = data
                        .chunks(8)
                        .enumerate()
                        .map(|(k, c)| {
                            let mut w = [0u8; 8];
                            w[..c.len()].copy_from_slice(c);
                            (u64::from_le_bytes(w), k + 1 == n)
                        })
                        .collect();
                    (self.o.dma_req_valid, self.o.dma_req_write) = (true, true);
                    (self.o.dma_req_addr, self.o.dma_req_len) = (a, data.len() as u16);
                    true
                }
                Op::Read { .. } | Op::Write { .. } => false,
                Op::AwaitReads => !self.o.dma_req_valid && self.reads_owed.is_empty(),
                Op::AwaitAcks => {
                    !self.o.dma_req_valid
                        && !self.o.dma_wvalid
                        && self.wq.is_empty()
                        && self.acks_owed == 0
                }
                Op::MemWrite { addr, data } if !self.o.mem_req_valid => {
                    let (a, d) = (*addr, *data);
                    (self.o.mem_req_valid, self.o.mem_req_write) = (true, true);
                    (self.o.mem_req_addr, self.o.mem_wdata) = (a, d);
                    true
                }
                Op::MemRead { addr } if !self.o.mem_req_valid => {
                    let a = *addr;
                    (self.o.mem_req_valid, self.o.mem_req_write) = (true, false);
                    self.o.mem_req_addr = a;
                    true
                }
                Op::MemWrite { .. } | Op::MemRead { .. } => false,
                Op::AwaitMem => !self.o.mem_req_valid && self.mem_owed == 0,
                Op::Wait(0) => true,
                Op::Wait(n) => {
                    *n -= 1;
                    false
                }
                Op::Irq(v) => {
                    self.o.irq |= 1 << *v;
                    true
                }
                Op::StrayBeat => {
                    (self.o.dma_wvalid, self.o.dma_wdata, self.o.dma_wlast) = (true, 0, true);
                    true
                }
            };
            if !done {
                return;
            }
            self.ops.pop_front();
        }
    }

    /// Moves the engine on once its program has run; false if it has nothing to do.
    fn next_stage(&mut self) -> bool {
        match self.stage {
            Stage::Idle => {
                if !self.enabled {
                    return false;
                }
                let Some(q) = (1..=MOCK_QUEUES)
                    .map(|k| (self.last_queue + k) % MOCK_QUEUES)
                    .find(|&q| self.queues[q].runnable())
                else {
                    return false;
                };
                self.last_queue = q;
                let s = &self.queues[q];
                let addr = s.sq_base + s.head as u64 * COMMAND_SIZE as u64;
                self.start_reads();
                self.ops.push_back(Op::Read {
                    addr,
                    len: COMMAND_SIZE as u16,
                });
                self.ops.push_back(Op::AwaitReads);
                self.stage = Stage::Fetch(q);
            }
            Stage::Fetch(q) => {
                if self.rfaults > 0 {
                    self.queues[q].error = true;
                    self.stage = Stage::Idle;
                    return true;
                }
                let mut b = [0u8; COMMAND_SIZE];
                b.copy_from_slice(&self.rbuf[..COMMAND_SIZE]);
                let cmd = Command::from_bytes(&b);
                let s = &mut self.queues[q];
                s.head = (s.head + 1) & ((1 << s.sq_log2) - 1);
                self.start_command(q, cmd);
            }
            Stage::Exec(q, cmd) => match cmd.opcode {
                OP_COPY if self.rfaults > 0 => self.post(q, &cmd, Status::DmaFault, 0, 0),
                OP_COPY => {
                    let len = cmd.len as usize;
                    let dst = cmd.addr + cmd.slot as u64;
                    for k in 0..cmd.nr_pages as usize {
                        let data = self.rbuf[k * len..(k + 1) * len].to_vec();
                        let addr = dst + (k * len) as u64;
                        self.ops.push_back(Op::Write { addr, data });
                    }
                    self.ops.push_back(Op::AwaitAcks);
                    self.bfaults = 0;
                    self.stage = Stage::Copied(q, cmd);
                }
                OP_MEM => {
                    let (result, info) = (self.mbuf[0] as u32, self.mbuf[1] as u32);
                    self.post(q, &cmd, Status::Ok, result, info)
                }
                _ => self.post(q, &cmd, Status::Ok, 0, 0),
            },
            Stage::Copied(q, cmd) => {
                let (status, bytes) = match self.bfaults {
                    0 => (Status::Ok, cmd.nr_pages as u32 * cmd.len),
                    _ => (Status::DmaFault, 0),
                };
                self.post(q, &cmd, status, bytes, 0)
            }
            Stage::Posted(q) => {
                let s = &mut self.queues[q];
                if self.bfaults > 0 {
                    s.error = true;
                } else {
                    s.cq_tail = (s.cq_tail + 1) & ((1 << s.cq_log2) - 1);
                    if s.cq_tail == 0 {
                        s.phase = !s.phase;
                    }
                    if self.irq_mask & (1 << q) == 0 {
                        self.ops.push_back(Op::Irq(s.vector));
                    }
                }
                self.stage = Stage::Idle;
            }
        }
        true
    }

    fn start_reads(&mut self) {
        self.rbuf.clear();
        self.rfaults = 0;
    }

    fn start_command(&mut self, q: usize, cmd: Command) {
        let pages = cmd.nr_pages as u32;
        match (Opcode::from_u8(cmd.opcode), cmd.opcode) {
            (Some(Opcode::Nop), _) => return self.post(q, &cmd, Status::Ok, 0, 0),
            (Some(Opcode::Store), _) if cmd.flags != 0 => {
                return self.post(q, &cmd, Status::BadCommand, 0, 0);
            }
            (Some(Opcode::Store), _) => self.ops.push_back(Op::Wait(pages * STORE_CYCLES_PER_PAGE)),
            (Some(Opcode::Load), _) => self.ops.push_back(Op::Wait(pages * LOAD_CYCLES_PER_PAGE)),
            (_, OP_COPY) => {
                self.start_reads();
                for k in 0..cmd.nr_pages as u64 {
                    self.ops.push_back(Op::Read {
                        addr: cmd.addr + k * cmd.len as u64,
                        len: cmd.len as u16,
                    });
                }
                self.ops.push_back(Op::AwaitReads);
            }
            (_, OP_MEM) => {
                self.mbuf.clear();
                self.ops.extend([
                    Op::MemWrite {
                        addr: cmd.slot,
                        data: cmd.addr,
                    },
                    Op::MemRead { addr: cmd.slot },
                    Op::MemRead { addr: cmd.slot + 8 },
                    Op::AwaitMem,
                ]);
            }
            // Nothing else on the port for a while: the beat is alone.
            (_, OP_STRAY_BEAT) => self.ops.extend([Op::StrayBeat, Op::Wait(10)]),
            _ => return self.post(q, &cmd, Status::BadCommand, 0, 0),
        }
        self.stage = Stage::Exec(q, cmd);
    }

    fn post(&mut self, q: usize, cmd: &Command, status: Status, result: u32, info: u32) {
        let s = &self.queues[q];
        let cpl = Completion {
            cid: cmd.cid,
            status: status as u8,
            flags: s.phase as u8,
            sq_head: s.head as u16,
            sq_id: q as u16,
            result,
            info,
        };
        self.ops.push_back(Op::Write {
            addr: s.cq_base + s.cq_tail as u64 * 16,
            data: cpl.to_bytes().to_vec(),
        });
        self.ops.push_back(Op::AwaitAcks);
        self.bfaults = 0;
        self.posting = Some((q as u16, cmd.cid));
        self.stage = Stage::Posted(q);
    }
}

/// Queue number and register of a BAR0 offset in the mock's queue windows.
fn queue_reg(offset: u32) -> Option<(usize, u32)> {
    let rel = offset.checked_sub(queues::reg(0, 0))?;
    let q = (rel / queues::STRIDE_BYTES) as usize;
    (q < MOCK_QUEUES).then_some((q, rel % queues::STRIDE_BYTES))
}

/// The generated binding's accessors: `set_<input>(u64)`, `get_<output>() -> u64`.
macro_rules! binding {
    (inputs: $($i:ident => $set:ident),* ; outputs: $($o:ident => $get:ident),* $(,)?) => {
        impl MockDevice {
            $(pub(crate) fn $set(&mut self, v: u64) { self.i.$i = FromPort::from_port(v); })*
            $(pub(crate) fn $get(&self) -> u64 { self.o.$o as u64 })*
            /// `reg_ready` is combinational: as settled by the last `eval` or edge.
            pub(crate) fn get_reg_ready(&self) -> u64 { self.reg_ready as u64 }
        }

        impl Model for MockDevice {
            const NAME: &'static str = "mock";
            const PORTS: &'static [Port] = TOP_PORTS;

            fn open(vcd: Option<&std::path::Path>) -> Result<Self, String> {
                match vcd {
                    Some(_) => Err("the mock device writes no trace".into()),
                    None => Ok(MockDevice::new()),
                }
            }

            fn eval(&mut self) {
                self.settle();
            }

            fn step_n(&mut self, n: u64) {
                for _ in 0..n {
                    self.edge();
                }
            }

            fn cycles(&self) -> u64 {
                self.cycles
            }

            fn get(&self, port: &str) -> Option<u64> {
                match port {
                    $(stringify!($o) => Some(self.$get()),)*
                    "reg_ready" => Some(self.get_reg_ready()),
                    _ => None,
                }
            }

            fn set(&mut self, port: &str, value: u64) -> bool {
                match port {
                    $(stringify!($i) => self.$set(value),)*
                    _ => return false,
                }
                true
            }
        }
    };
}

/// An input's value from the binding's `u64` (higher bits dropped).
trait FromPort {
    fn from_port(v: u64) -> Self;
}

impl FromPort for bool {
    fn from_port(v: u64) -> Self {
        v & 1 != 0
    }
}

impl FromPort for u32 {
    fn from_port(v: u64) -> Self {
        v as u32
    }
}

impl FromPort for u64 {
    fn from_port(v: u64) -> Self {
        v
    }
}

binding! {
    inputs:
        reg_valid => set_reg_valid,
        reg_write => set_reg_write,
        reg_addr => set_reg_addr,
        reg_wdata => set_reg_wdata,
        dma_req_ready => set_dma_req_ready,
        dma_wready => set_dma_wready,
        dma_bvalid => set_dma_bvalid,
        dma_bok => set_dma_bok,
        dma_rvalid => set_dma_rvalid,
        dma_rdata => set_dma_rdata,
        dma_rlast => set_dma_rlast,
        dma_rerr => set_dma_rerr,
        mem_req_ready => set_mem_req_ready,
        mem_rvalid => set_mem_rvalid,
        mem_rdata => set_mem_rdata;
    outputs:
        reg_rvalid => get_reg_rvalid,
        reg_rdata => get_reg_rdata,
        dma_req_valid => get_dma_req_valid,
        dma_req_write => get_dma_req_write,
        dma_req_addr => get_dma_req_addr,
        dma_req_len => get_dma_req_len,
        dma_wvalid => get_dma_wvalid,
        dma_wdata => get_dma_wdata,
        dma_wlast => get_dma_wlast,
        mem_req_valid => get_mem_req_valid,
        mem_req_write => get_mem_req_write,
        mem_req_addr => get_mem_req_addr,
        mem_wdata => get_mem_wdata,
        irq => get_irq,
        idle => get_idle,
}
