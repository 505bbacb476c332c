//! `FramePort`: the executor's device-memory master. It moves frames (word
//! reads of a frame, word writes of a frame stream) and, while it has no frame
//! transfer under way, lends the port to the slot index.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `rd_start` | in | 1 | while idle: read the `len`-byte frame at `addr` |
//! | `wr_start` | in | 1 | while idle: write the beats of `in_*` to `addr`, `addr + 8`, ... up to `in_last` |
//! | `addr` | in | 32 | byte address, 8-aligned (taken with a start) |
//! | `len` | in | 16 | read: frame bytes, 1 ..= 8192 (taken with `rd_start`) |
//! | `rd_valid`, `rd_data` | out | 1, 64 | read: a frame word, in order |
//! | `rd_bytes` | out | 4 | frame bytes in this word: 8, or 1 ..= 8 for the last |
//! | `rd_last` | out | 1 | the frame's last word |
//! | `in_valid`, `in_ready` | in, out | 1 | write stream handshake (`in_ready` only while writing) |
//! | `in_data`, `in_last` | in | 64, 1 | |
//! | `in_bytes` | in | 4 | frame bytes in the beat (8 but at the end); the rest are written as 0 |
//! | `done` | out | 1 | pulse: the read's last word arrived, or the write's last word was taken |
//! | `idx_*` | | | the slot index's master port (request side in, `idx_rvalid`/`idx_rdata` out) |
//! | `mem_*` | | | the device-memory master port of docs/device-rtl.md |
//!
//! A read offers its word requests back to back and is over when the last
//! word returned; until then the port stays the frame's, so every response
//! is routed to whoever asked. Only one of the two may be active at a time:
//! the executor starts a frame transfer only between index operations.

use super::k;
use rust_hdl::prelude::*;

const M_IDLE: u64 = 0;
const M_READ: u64 = 1;
const M_WRITE: u64 = 2;

#[derive(LogicBlock)]
pub struct FramePort {
    pub clock: Signal<In, Clock>,
    pub rd_start: Signal<In, bool>,
    pub wr_start: Signal<In, bool>,
    pub addr: Signal<In, Bits<32>>,
    pub len: Signal<In, Bits<16>>,
    pub rd_valid: Signal<Out, bool>,
    pub rd_data: Signal<Out, Bits<64>>,
    pub rd_bytes: Signal<Out, Bits<4>>,
    pub rd_last: Signal<Out, bool>,
    pub in_valid: Signal<In, bool>,
    pub in_ready: Signal<Out, bool>,
    pub in_data: Signal<In, Bits<64>>,
    pub in_last: Signal<In, bool>,
    pub in_bytes: Signal<In, Bits<4>>,
    pub done: Signal<Out, bool>,
    pub idx_req_valid: Signal<In, bool>,
    pub idx_req_ready: Signal<Out, bool>,
    pub idx_req_write: Signal<In, bool>,
    pub idx_req_addr: Signal<In, Bits<32>>,
    pub idx_wdata: Signal<In, Bits<64>>,
    pub idx_rvalid: Signal<Out, bool>,
    pub idx_rdata: Signal<Out, Bits<64>>,
    pub mem_req_valid: Signal<Out, bool>,
    pub mem_req_ready: Signal<In, bool>,
    pub mem_req_write: Signal<Out, bool>,
    pub mem_req_addr: Signal<Out, Bits<32>>,
    pub mem_wdata: Signal<Out, Bits<64>>,
    pub mem_rvalid: Signal<In, bool>,
    pub mem_rdata: Signal<In, Bits<64>>,
    mode: DFF<Bits<2>>,
    addr_q: DFF<Bits<32>>,
    /// Read: bytes whose words are not requested yet.
    req_left: DFF<Bits<16>>,
    /// Read: bytes whose words have not returned yet.
    resp_left: DFF<Bits<16>>,
    done_q: DFF<bool>,
    m_idle: Constant<Bits<2>>,
    m_read: Constant<Bits<2>>,
    m_write: Constant<Bits<2>>,
    word_bytes: Constant<Bits<16>>,
    word_addr: Constant<Bits<32>>,
    no_bytes: Constant<Bits<16>>,
    full_word: Constant<Bits<4>>,
    lane: [Constant<Bits<4>>; 8],
    lane_mask: [Constant<Bits<64>>; 8],
    no_lanes: Constant<Bits<64>>,
    // Scratch.
    in_mask: Signal<Local, Bits<64>>,
}

impl Default for FramePort {
    fn default() -> Self {
        FramePort {
            clock: Default::default(),
            rd_start: Default::default(),
            wr_start: Default::default(),
            addr: Default::default(),
            len: Default::default(),
            rd_valid: Default::default(),
            rd_data: Default::default(),
            rd_bytes: Default::default(),
            rd_last: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            in_data: Default::default(),
            in_last: Default::default(),
            in_bytes: Default::default(),
            done: Default::default(),
            idx_req_valid: Default::default(),
            idx_req_ready: Default::default(),
            idx_req_write: Default::default(),
            idx_req_addr: Default::default(),
            idx_wdata: Default::default(),
            idx_rvalid: Default::default(),
            idx_rdata: Default::default(),
            mem_req_valid: Default::default(),
            mem_req_ready: Default::default(),
            mem_req_write: Default::default(),
            mem_req_addr: Default::default(),
            mem_wdata: Default::default(),
            mem_rvalid: Default::default(),
            mem_rdata: Default::default(),
            mode: Default::default(),
            addr_q: Default::default(),
            req_left: Default::default(),
            resp_left: Default::default(),
            done_q: Default::default(),
            m_idle: k(M_IDLE),
            m_read: k(M_READ),
            m_write: k(M_WRITE),
            word_bytes: k(8),
            word_addr: k(8),
            no_bytes: k(0),
            full_word: k(8),
            lane: std::array::from_fn(|b| k(b as u64)),
            lane_mask: std::array::from_fn(|b| k(0xff << (8 * b))),
            no_lanes: k(0),
            in_mask: Default::default(),
        }
    }
}

impl Logic for FramePort {
    // No scratch signals on the handshake paths: each output is its own
    // statement of registers and inputs, so Verilator orders the frame
    // stream's `in_valid -> mem_req_valid` apart from `mem_req_ready ->
    // in_ready` (they loop through the frame drain otherwise).
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, mode, addr_q, req_left, resp_left);
        self.done_q.clock.next = self.clock.val();
        self.done_q.d.next = false;
        self.done.next = self.done_q.q.val();

        self.in_mask.next = self.no_lanes.val();
        for b in 0..8 {
            if self.lane[b].val() < self.in_bytes.val() {
                self.in_mask.next = self.in_mask.val() | self.lane_mask[b].val();
            }
        }

        // The index's port while idle.
        self.idx_req_ready.next =
            self.mem_req_ready.val() & (self.mode.q.val() == self.m_idle.val());
        self.idx_rvalid.next = self.mem_rvalid.val() & (self.mode.q.val() == self.m_idle.val());
        self.idx_rdata.next = self.mem_rdata.val();
        self.mem_req_valid.next = self.idx_req_valid.val();
        if self.mode.q.val() == self.m_read.val() {
            self.mem_req_valid.next = self.req_left.q.val() != self.no_bytes.val();
        }
        if self.mode.q.val() == self.m_write.val() {
            self.mem_req_valid.next = self.in_valid.val();
        }
        self.mem_req_write.next = self.idx_req_write.val();
        self.mem_req_addr.next = self.idx_req_addr.val();
        self.mem_wdata.next = self.idx_wdata.val();
        if self.mode.q.val() != self.m_idle.val() {
            self.mem_req_write.next = self.mode.q.val() == self.m_write.val();
            self.mem_req_addr.next = self.addr_q.q.val();
            // Bytes past the frame's end are written as zeros.
            self.mem_wdata.next = self.in_data.val() & self.in_mask.val();
        }

        // Read: requests back to back, words out as they return.
        self.rd_valid.next = self.mem_rvalid.val() & (self.mode.q.val() == self.m_read.val());
        self.rd_data.next = self.mem_rdata.val();
        self.rd_last.next = self.resp_left.q.val() <= self.word_bytes.val();
        self.rd_bytes.next = self.full_word.val();
        if self.resp_left.q.val() <= self.word_bytes.val() {
            self.rd_bytes.next = self.resp_left.q.val().get_bits::<4>(0);
        }
        if self.mode.q.val() == self.m_read.val() {
            if (self.req_left.q.val() != self.no_bytes.val()) & self.mem_req_ready.val() {
                self.addr_q.d.next = self.addr_q.q.val() + self.word_addr.val();
                if self.req_left.q.val() <= self.word_bytes.val() {
                    self.req_left.d.next = self.no_bytes.val();
                } else {
                    self.req_left.d.next = self.req_left.q.val() - self.word_bytes.val();
                }
            }
            if self.mem_rvalid.val() {
                self.resp_left.d.next = self.resp_left.q.val() - self.word_bytes.val();
                if self.resp_left.q.val() <= self.word_bytes.val() {
                    self.done_q.d.next = true;
                    self.mode.d.next = self.m_idle.val();
                }
            }
        }

        // Write: the stream's beats straight to memory.
        self.in_ready.next = self.mem_req_ready.val() & (self.mode.q.val() == self.m_write.val());
        if (self.mode.q.val() == self.m_write.val())
            & self.mem_req_ready.val()
            & self.in_valid.val()
        {
            self.addr_q.d.next = self.addr_q.q.val() + self.word_addr.val();
            if self.in_last.val() {
                self.done_q.d.next = true;
                self.mode.d.next = self.m_idle.val();
            }
        }

        if self.mode.q.val() == self.m_idle.val() {
            self.addr_q.d.next = self.addr.val();
            self.req_left.d.next = self.len.val();
            self.resp_left.d.next = self.len.val();
            if self.rd_start.val() {
                self.mode.d.next = self.m_read.val();
            }
            if self.wr_start.val() {
                self.mode.d.next = self.m_write.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{DevMem, lint, settle, tick};
    use pagepress_codec::corpus::SplitMix64;

    fn port() -> Box<FramePort> {
        let mut uut = Box::new(FramePort::default());
        uut.connect_all();
        uut
    }

    /// One cycle: the memory drives, `f` sets the other inputs and looks at
    /// the settled outputs, the memory sees the request, the clock ticks.
    fn cycle(uut: &mut FramePort, mem: &mut DevMem, f: impl FnOnce(&mut FramePort)) {
        mem_drive!(mem, uut);
        settle(uut);
        f(uut);
        settle(uut);
        mem_observe!(mem, uut);
        tick(uut, |u| &mut u.clock);
    }

    #[test]
    fn writes_and_reads_frames_and_lends_the_port_to_the_index() {
        let mut uut = port();
        let mut rng = SplitMix64(0xf4a);
        let mut mem = DevMem::new(1 << 16, 5, SplitMix64(3), true);
        for trial in 0..12 {
            let len = [11usize, 4106, 8, 9, 100, 1][trial % 6] + rng.below(3) as usize;
            let addr = rng.below((1 << 16) - 4200) as u32 & !7;
            let words: Vec<u64> = (0..len.div_ceil(8)).map(|_| rng.next_u64()).collect();
            // Write the frame, offering beats with gaps.
            let mut sent = 0;
            let mut done = false;
            cycle(&mut uut, &mut mem, |u| {
                u.addr.next = (addr as u64).to_bits();
                u.wr_start.next = true;
            });
            uut.wr_start.next = false;
            for _ in 0..10 * words.len() + 20 {
                let offer = sent < words.len() && rng.below(3) != 0;
                cycle(&mut uut, &mut mem, |u| {
                    u.in_valid.next = offer;
                    u.in_data.next = words[sent.min(words.len() - 1)].to_bits();
                    u.in_last.next = sent + 1 == words.len();
                    let tail = len - 8 * (words.len() - 1);
                    u.in_bytes.next =
                        (if sent + 1 == words.len() { tail } else { 8 } as u64).to_bits();
                    settle(u);
                    if offer && u.in_ready.val() {
                        sent += 1;
                    }
                    done |= u.done.val();
                });
                if done {
                    break;
                }
            }
            uut.in_valid.next = false;
            assert!(
                done && sent == words.len(),
                "write of {len} bytes did not finish"
            );
            // The bytes past the frame's end are written as zeros.
            let mut words = words;
            let tail = len - 8 * (words.len() - 1);
            if tail < 8 {
                *words.last_mut().unwrap() &= (1u64 << (8 * tail)) - 1;
            }
            assert_eq!(&mem.words[addr as usize / 8..][..words.len()], &words[..]);
            // Read it back.
            let mut got = Vec::new();
            let mut bytes = 0;
            cycle(&mut uut, &mut mem, |u| {
                u.addr.next = (addr as u64).to_bits();
                u.len.next = (len as u64).to_bits();
                u.rd_start.next = true;
            });
            uut.rd_start.next = false;
            let mut finished = false;
            for _ in 0..10 * words.len() + 40 {
                cycle(&mut uut, &mut mem, |u| {
                    if u.rd_valid.val() {
                        got.push(u.rd_data.val().to_u64());
                        bytes += u.rd_bytes.val().index();
                        assert_eq!(u.rd_last.val(), got.len() == words.len(), "rd_last");
                    }
                    finished |= u.done.val();
                });
                if finished {
                    break;
                }
            }
            assert!(finished, "read of {len} bytes did not finish");
            assert_eq!(got, words);
            assert_eq!(bytes, len);
            assert!(mem.idle());
            // The index's request goes through once the port is idle.
            let mut idx_data = None;
            let mut taken = false;
            for _ in 0..40 {
                cycle(&mut uut, &mut mem, |u| {
                    u.idx_req_valid.next = !taken;
                    u.idx_req_write.next = false;
                    u.idx_req_addr.next = (addr as u64).to_bits();
                    settle(u);
                    taken |= u.idx_req_ready.val();
                    if u.idx_rvalid.val() {
                        idx_data = Some(u.idx_rdata.val().to_u64());
                    }
                });
                if idx_data.is_some() {
                    break;
                }
            }
            uut.idx_req_valid.next = false;
            assert_eq!(idx_data, Some(words[0]), "index read");
        }
    }

    #[test]
    fn frame_port_verilog_lints() {
        lint("exec_frame_port", &*port());
    }
}
