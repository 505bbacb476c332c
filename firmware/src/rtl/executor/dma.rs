//! `DmaEngine`: one host-memory transfer at a time on the DMA master port.
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `clock` | in | 1 | |
//! | `start` | in | 1 | while idle: begin a transfer of `len` bytes (1 ..= 8192) at `addr` |
//! | `write`, `addr`, `len` | in | 1, 64, 16 | taken with `start` |
//! | `done` | out | 1 | pulse: the transfer ended; `ok` says how |
//! | `ok` | out | 1 | 0: the IOMMU refused it (`rerr`, or `bvalid` with `bok` 0) |
//! | `rd_valid`, `rd_data` | out | 1, 64 | read: each data beat as it arrives (an error beat is not passed on) |
//! | `src_beat` | out | 10 | write: the beat the source must present on `src_data` in the next cycle |
//! | `src_data` | in | 64 | write: beat `src_beat` of the previous cycle |
//! | `dma_*` | | | the master port of docs/device-rtl.md |
//!
//! Timing: the request is offered the cycle after `start`; a read passes its
//! beats on as they come; a write offers its beats from the cycle after the
//! request is taken, one per cycle while `dma_wready`, then waits for `bvalid`;
//! `done` follows the last read beat or `bvalid` by one cycle. The source has
//! one cycle of read latency (a RAM): `src_beat` advances in the cycle a beat is
//! taken, so `src_data` holds the next beat in the next cycle, and it is 0
//! until the first beat, so the source is primed while the request waits.

use super::k;
use rust_hdl::prelude::*;

const S_IDLE: u64 = 0;
const S_REQ: u64 = 1;
const S_READ: u64 = 2;
const S_WRITE: u64 = 3;
/// Write: every beat sent, waiting for `bvalid`.
const S_RESP: u64 = 4;

/// Beat index width: 1024 beats of 8 bytes cover the largest transfer.
pub type Beat = Bits<10>;

#[derive(LogicBlock)]
pub struct DmaEngine {
    pub clock: Signal<In, Clock>,
    pub start: Signal<In, bool>,
    pub write: Signal<In, bool>,
    pub addr: Signal<In, Bits<64>>,
    pub len: Signal<In, Bits<16>>,
    pub done: Signal<Out, bool>,
    pub ok: Signal<Out, bool>,
    pub rd_valid: Signal<Out, bool>,
    pub rd_data: Signal<Out, Bits<64>>,
    pub src_beat: Signal<Out, Beat>,
    pub src_data: Signal<In, Bits<64>>,
    pub dma_req_valid: Signal<Out, bool>,
    pub dma_req_ready: Signal<In, bool>,
    pub dma_req_write: Signal<Out, bool>,
    pub dma_req_addr: Signal<Out, Bits<64>>,
    pub dma_req_len: Signal<Out, Bits<16>>,
    pub dma_wvalid: Signal<Out, bool>,
    pub dma_wready: Signal<In, bool>,
    pub dma_wdata: Signal<Out, Bits<64>>,
    pub dma_wlast: Signal<Out, bool>,
    pub dma_bvalid: Signal<In, bool>,
    pub dma_bok: Signal<In, bool>,
    pub dma_rvalid: Signal<In, bool>,
    pub dma_rdata: Signal<In, Bits<64>>,
    pub dma_rlast: Signal<In, bool>,
    pub dma_rerr: Signal<In, bool>,
    state: DFF<Bits<3>>,
    is_write: DFF<bool>,
    addr_q: DFF<Bits<64>>,
    len_q: DFF<Bits<16>>,
    /// Write: bytes not yet sent, the offered beat's included.
    left: DFF<Bits<16>>,
    beat: DFF<Beat>,
    done_q: DFF<bool>,
    ok_q: DFF<bool>,
    s_idle: Constant<Bits<3>>,
    s_req: Constant<Bits<3>>,
    s_read: Constant<Bits<3>>,
    s_write: Constant<Bits<3>>,
    s_resp: Constant<Bits<3>>,
    beat_bytes: Constant<Bits<16>>,
    first_beat: Constant<Beat>,
    one_beat: Constant<Beat>,
    // Scratch.
    take: Signal<Local, bool>,
    at_last: Signal<Local, bool>,
}

impl Default for DmaEngine {
    fn default() -> Self {
        DmaEngine {
            clock: Default::default(),
            start: Default::default(),
            write: Default::default(),
            addr: Default::default(),
            len: Default::default(),
            done: Default::default(),
            ok: Default::default(),
            rd_valid: Default::default(),
            rd_data: Default::default(),
            src_beat: Default::default(),
            src_data: Default::default(),
            dma_req_valid: Default::default(),
            dma_req_ready: Default::default(),
            dma_req_write: Default::default(),
            dma_req_addr: Default::default(),
            dma_req_len: Default::default(),
            dma_wvalid: Default::default(),
            dma_wready: Default::default(),
            dma_wdata: Default::default(),
            dma_wlast: Default::default(),
            dma_bvalid: Default::default(),
            dma_bok: Default::default(),
            dma_rvalid: Default::default(),
            dma_rdata: Default::default(),
            dma_rlast: Default::default(),
            dma_rerr: Default::default(),
            state: Default::default(),
            is_write: Default::default(),
            addr_q: Default::default(),
            len_q: Default::default(),
            left: Default::default(),
            beat: Default::default(),
            done_q: Default::default(),
            ok_q: Default::default(),
            s_idle: k(S_IDLE),
            s_req: k(S_REQ),
            s_read: k(S_READ),
            s_write: k(S_WRITE),
            s_resp: k(S_RESP),
            beat_bytes: k(8),
            first_beat: k(0),
            one_beat: k(1),
            take: Default::default(),
            at_last: Default::default(),
        }
    }
}

// One state per block reads like the state diagram; clippy would merge the `if`s.
#[allow(clippy::collapsible_if)]
impl Logic for DmaEngine {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, state, is_write, addr_q, len_q, left, beat, ok_q
        );
        self.done_q.clock.next = self.clock.val();
        self.done_q.d.next = false;
        self.at_last.next = self.left.q.val() <= self.beat_bytes.val();
        self.take.next = (self.state.q.val() == self.s_write.val()) & self.dma_wready.val();

        self.dma_req_valid.next = self.state.q.val() == self.s_req.val();
        self.dma_req_write.next = self.is_write.q.val();
        self.dma_req_addr.next = self.addr_q.q.val();
        self.dma_req_len.next = self.len_q.q.val();
        self.dma_wvalid.next = self.state.q.val() == self.s_write.val();
        self.dma_wdata.next = self.src_data.val();
        self.dma_wlast.next = self.at_last.val();
        self.src_beat.next = self.beat.q.val();
        if self.take.val() & !self.at_last.val() {
            self.src_beat.next = self.beat.q.val() + self.one_beat.val();
        }
        self.rd_valid.next = (self.state.q.val() == self.s_read.val())
            & self.dma_rvalid.val()
            & !self.dma_rerr.val();
        self.rd_data.next = self.dma_rdata.val();
        self.done.next = self.done_q.q.val();
        self.ok.next = self.ok_q.q.val();

        if self.state.q.val() == self.s_idle.val() {
            if self.start.val() {
                self.is_write.d.next = self.write.val();
                self.addr_q.d.next = self.addr.val();
                self.len_q.d.next = self.len.val();
                self.left.d.next = self.len.val();
                self.beat.d.next = self.first_beat.val();
                self.state.d.next = self.s_req.val();
            }
        }
        if self.state.q.val() == self.s_req.val() {
            if self.dma_req_ready.val() {
                if self.is_write.q.val() {
                    self.state.d.next = self.s_write.val();
                } else {
                    self.state.d.next = self.s_read.val();
                }
            }
        }
        if self.take.val() {
            self.beat.d.next = self.beat.q.val() + self.one_beat.val();
            self.left.d.next = self.left.q.val() - self.beat_bytes.val();
            if self.at_last.val() {
                self.state.d.next = self.s_resp.val();
            }
        }
        if self.state.q.val() == self.s_resp.val() {
            if self.dma_bvalid.val() {
                self.done_q.d.next = true;
                self.ok_q.d.next = self.dma_bok.val();
                self.state.d.next = self.s_idle.val();
            }
        }
        if self.state.q.val() == self.s_read.val() {
            if self.dma_rvalid.val() & self.dma_rlast.val() {
                self.done_q.d.next = true;
                self.ok_q.d.next = !self.dma_rerr.val();
                self.state.d.next = self.s_idle.val();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{HostMem, lint, tick};
    use pagepress_codec::corpus::SplitMix64;

    /// Runs one transfer against `host`; returns (ok, beats read, cycles).
    /// A write's beat `i` comes from `src[i]` through a one-cycle-latency source.
    fn transfer(
        uut: &mut DmaEngine,
        host: &mut HostMem,
        write: bool,
        addr: u64,
        len: usize,
        src: &[u64],
    ) -> (bool, Vec<u64>, u64) {
        uut.start.next = true;
        uut.write.next = write;
        uut.addr.next = addr.to_bits();
        uut.len.next = (len as u64).to_bits();
        let mut got = Vec::new();
        let mut src_q = 0u64;
        for cycle in 0..10_000u64 {
            uut.src_data.next = src_q.to_bits();
            dma_drive!(host, uut);
            crate::rtl::executor::testutil::settle(uut);
            if uut.done.val() {
                let ok = uut.ok.val();
                tick(uut, |u| &mut u.clock);
                return (ok, got, cycle);
            }
            if uut.rd_valid.val() {
                got.push(uut.rd_data.val().to_u64());
            }
            dma_observe!(host, uut);
            src_q = src.get(uut.src_beat.val().index()).copied().unwrap_or(0);
            tick(uut, |u| &mut u.clock);
            uut.start.next = false;
        }
        panic!("transfer hung");
    }

    #[test]
    fn reads_and_writes_whole_or_not_at_all() {
        let mut uut = DmaEngine::default();
        uut.connect_all();
        let mut rng = SplitMix64(0xd3a);
        let mut host = HostMem::new(SplitMix64(5), true);
        let base = 0x10_0000u64;
        host.map(base, 3 * 4096);
        for trial in 0..40 {
            let len = match trial % 4 {
                0 => 4096,
                1 => 1 + rng.below(64) as usize,
                2 => 168,
                _ => 4106,
            };
            // Inside, straddling the end, or unmapped.
            let addr = match rng.below(5) {
                0 => base + 3 * 4096 - len as u64 + 8,
                1 => 0x1000,
                _ => base + rng.below((3 * 4096 - len) as u64 + 1),
            };
            let inside = host.covers(addr, len);
            let beats = len.div_ceil(8);
            let data: Vec<u64> = (0..beats).map(|_| rng.next_u64()).collect();
            let before = host.snapshot();
            let (ok, _, _) = transfer(&mut uut, &mut host, true, addr, len, &data);
            assert_eq!(ok, inside, "write {addr:#x}+{len}");
            let mut bytes: Vec<u8> = data.iter().flat_map(|w| w.to_le_bytes()).collect();
            bytes.truncate(len);
            if inside {
                assert!(host.read(addr, len) == bytes, "written bytes differ");
            } else {
                assert!(host.snapshot() == before, "a refused write moved bytes");
            }
            let (ok, got, _) = transfer(&mut uut, &mut host, false, addr, len, &[]);
            assert_eq!(ok, inside, "read {addr:#x}+{len}");
            if inside {
                let mut back: Vec<u8> = got.iter().flat_map(|w| w.to_le_bytes()).collect();
                back.truncate(len);
                assert!(back == bytes, "read-back bytes differ");
                assert_eq!(got.len(), beats);
            } else {
                assert!(got.is_empty(), "an error beat was passed on");
            }
        }
    }

    #[test]
    fn dma_verilog_lints() {
        let mut uut = DmaEngine::default();
        uut.connect_all();
        lint("exec_dma", &uut);
    }
}
