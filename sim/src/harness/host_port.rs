//! The host side of the device's DMA master port: PCIe and the IOMMU as the
//! device sees them.
//!
//! What is modelled:
//! - Translation: a request is checked whole against the IOVA map of a
//!   [`DmaSpace`] (through the port's [`Iotlb`]) before any byte moves. An
//!   unmapped read is answered by one beat with `rerr` and `rlast`; an
//!   unmapped write swallows its beats and answers `bok = 0`, writing nothing.
//! - Latency: one PCIe round trip, `latency` device cycles. A read's first
//!   data beat is sampled `latency` cycles after the edge that took the
//!   request, the others on the following edges, one 64-bit beat per cycle. A
//!   write's `bvalid` comes `latency` cycles after its last beat.
//! - Order: several requests may be outstanding; reads are answered in request
//!   order and writes acknowledged in request order, each stream back to back.
//! - Read data is host memory as it was at the edge that took the request (the
//!   completer reads it on arrival). Write data lands in host memory at the
//!   edge of the last beat: every word but the first (Relaxed), then a
//!   `Release` fence, then the first — the order of
//!   [`DmaSpace::store_words_publish_first`], so a completion's phase word is
//!   published after the rest. Partial first and last words are merged, never
//!   clobbering the bytes around the request.
//!
//! Not modelled: link bandwidth beyond one beat per cycle, request splitting
//! (max payload / read request size), flow-control credits (the port is always
//! ready), out-of-order completions between tags, MSI-X as a memory write,
//! errors other than translation faults. An IOVA unmapped between a write's
//! check and its bytes landing (a host bug) can leave the write partial; it
//! is then answered `bok = 0`.

use super::ports::{DevicePorts, MAX_DMA_LEN};
use pagepress_pcie::{DmaSpace, Iotlb};
use std::collections::VecDeque;
use std::sync::atomic::{Ordering, fence};

/// A read being answered: its beats go out on edges `due .. due + beats`.
#[derive(Debug)]
struct ReadReply {
    due: u64,
    beats: u32,
    fault: bool,
}

/// A write whose beats are still arriving.
#[derive(Debug)]
struct PendingWrite {
    addr: u64,
    len: usize,
    beats: u32,
    got: u32,
}

/// A write response: `bvalid` with `ok` on edge `due`.
#[derive(Debug)]
struct WriteAck {
    due: u64,
    ok: bool,
}

/// A write whose last beat arrived on this edge (for the harness's accounting).
#[derive(Debug)]
pub(crate) struct LandedWrite<'a> {
    pub addr: u64,
    pub data: &'a [u8],
    pub ok: bool,
}

/// Values the port drives, as last set (inputs are set only when they change).
#[derive(Debug, Default)]
struct Driven {
    rvalid: bool,
    rlast: bool,
    rerr: bool,
    bvalid: bool,
    bok: bool,
}

/// Byte counters of the port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DmaCounters {
    /// Requests answered without a fault, and their bytes.
    pub reads: u64,
    pub read_bytes: u64,
    pub writes: u64,
    pub write_bytes: u64,
    /// Requests refused by the IOMMU.
    pub read_faults: u64,
    pub write_faults: u64,
}

/// The host side of the DMA port.
#[derive(Debug)]
pub(crate) struct HostPort {
    space: DmaSpace,
    tlb: Iotlb,
    latency: u64,
    replies: VecDeque<ReadReply>,
    /// Data words of the queued replies, in beat order.
    reply_words: VecDeque<u64>,
    /// Beats of the front reply already sent.
    sent: u32,
    /// First edge free for the next reply's beats.
    reply_free_at: u64,
    writes: VecDeque<PendingWrite>,
    /// Bytes of the front write received so far.
    write_bytes: Vec<u8>,
    acks: VecDeque<WriteAck>,
    last_ack: Option<u64>,
    /// Scratch for reads and the whole-range check of writes.
    scratch: Vec<u8>,
    driven: Driven,
    counters: DmaCounters,
}

impl HostPort {
    pub(crate) fn new(space: DmaSpace, latency: u64) -> Self {
        HostPort {
            space,
            tlb: Iotlb::default(),
            latency: latency.max(1),
            replies: VecDeque::new(),
            reply_words: VecDeque::with_capacity(MAX_DMA_LEN / 8),
            sent: 0,
            reply_free_at: 0,
            writes: VecDeque::new(),
            write_bytes: Vec::with_capacity(MAX_DMA_LEN + 8),
            acks: VecDeque::new(),
            last_ack: None,
            scratch: vec![0; MAX_DMA_LEN],
            driven: Driven::default(),
            counters: DmaCounters::default(),
        }
    }

    pub(crate) fn space(&self) -> &DmaSpace {
        &self.space
    }

    pub(crate) fn set_latency(&mut self, cycles: u64) {
        self.latency = cycles.max(1);
    }

    pub(crate) fn counters(&self) -> DmaCounters {
        self.counters
    }

    /// No request in flight: nothing to answer, no beat expected.
    pub(crate) fn is_quiet(&self) -> bool {
        self.replies.is_empty() && self.writes.is_empty() && self.acks.is_empty()
    }

    /// Drives the read-data and write-response inputs for edge `now`; true if
    /// an input changed.
    pub(crate) fn drive<P: DevicePorts>(&mut self, now: u64, ports: &mut P) -> bool {
        let mut changed = false;
        // Read data: one beat per edge from the front reply once it is due.
        let beat = match self.replies.front() {
            Some(r) if r.due <= now => {
                let last = self.sent + 1 == r.beats;
                let fault = r.fault;
                if !fault {
                    let w = self.reply_words.pop_front().unwrap_or(0);
                    ports.set_dma_rdata(w);
                    changed = true;
                }
                if last {
                    self.replies.pop_front();
                    self.sent = 0;
                } else {
                    self.sent += 1;
                }
                Some((last, fault))
            }
            _ => None,
        };
        let (rvalid, rlast, rerr) = match beat {
            Some((last, fault)) => (true, last, fault),
            None => (false, false, false),
        };
        changed |= set_if(&mut self.driven.rvalid, rvalid, |v| ports.set_dma_rvalid(v));
        changed |= set_if(&mut self.driven.rlast, rlast, |v| ports.set_dma_rlast(v));
        changed |= set_if(&mut self.driven.rerr, rerr, |v| ports.set_dma_rerr(v));
        // Write responses: a one-edge pulse each.
        let (bvalid, bok) = match self.acks.front() {
            Some(a) if a.due <= now => {
                let ok = a.ok;
                self.acks.pop_front();
                (true, ok)
            }
            _ => (false, self.driven.bok),
        };
        changed |= set_if(&mut self.driven.bvalid, bvalid, |v| ports.set_dma_bvalid(v));
        changed |= set_if(&mut self.driven.bok, bok, |v| ports.set_dma_bok(v));
        changed
    }

    /// A request taken on edge `now`. Reads are translated and read here;
    /// returns the bytes read (for the accounting), `None` for a write or a
    /// faulted read.
    pub(crate) fn request(
        &mut self,
        now: u64,
        write: bool,
        addr: u64,
        len: usize,
    ) -> Result<Option<&[u8]>, String> {
        if len == 0 || len > MAX_DMA_LEN {
            return Err(format!(
                "DMA request of {len} bytes at {addr:#x} (1 ..= {MAX_DMA_LEN})"
            ));
        }
        let beats = len.div_ceil(8) as u32;
        if write {
            self.writes.push_back(PendingWrite {
                addr,
                len,
                beats,
                got: 0,
            });
            return Ok(None);
        }
        let due = (now + self.latency).max(self.reply_free_at);
        let data = &mut self.scratch[..len];
        let fault = self.space.read_cached(&mut self.tlb, addr, data).is_err();
        let beats = if fault { 1 } else { beats };
        if fault {
            self.counters.read_faults += 1;
        } else {
            self.counters.reads += 1;
            self.counters.read_bytes += len as u64;
            for chunk in data.chunks(8) {
                let mut w = [0u8; 8];
                w[..chunk.len()].copy_from_slice(chunk);
                self.reply_words.push_back(u64::from_le_bytes(w));
            }
        }
        self.replies.push_back(ReadReply { due, beats, fault });
        self.reply_free_at = due + beats as u64;
        Ok((!fault).then_some(&self.scratch[..len]))
    }

    /// A write-data beat taken on edge `now`. When it is the write's last, the
    /// write lands and is returned.
    pub(crate) fn write_beat(
        &mut self,
        now: u64,
        data: u64,
        last: bool,
    ) -> Result<Option<LandedWrite<'_>>, String> {
        let Some(w) = self.writes.front_mut() else {
            return Err("DMA write beat with no write request outstanding".into());
        };
        if w.got == 0 {
            // The previous write's bytes were looked at on its own edge.
            self.write_bytes.clear();
        }
        w.got += 1;
        let is_last = w.got == w.beats;
        if last != is_last {
            return Err(format!(
                "DMA write of {} bytes at {:#x}: beat {} of {} has wlast={}",
                w.len, w.addr, w.got, w.beats, last
            ));
        }
        self.write_bytes.extend_from_slice(&data.to_le_bytes());
        if !is_last {
            return Ok(None);
        }
        let PendingWrite { addr, len, .. } = self.writes.pop_front().expect("front write");
        self.write_bytes.truncate(len);
        let ok = self.land(addr);
        if ok {
            self.counters.writes += 1;
            self.counters.write_bytes += len as u64;
        } else {
            self.counters.write_faults += 1;
        }
        let due = (now + self.latency).max(self.last_ack.map_or(0, |d| d + 1));
        self.last_ack = Some(due);
        self.acks.push_back(WriteAck { due, ok });
        Ok(Some(LandedWrite {
            addr,
            data: &self.write_bytes,
            ok,
        }))
    }

    /// Writes `self.write_bytes` at `addr`, whole or not at all; false on a fault.
    fn land(&mut self, addr: u64) -> bool {
        let data = &self.write_bytes;
        // The IOMMU translates the whole request before a byte moves.
        let check = &mut self.scratch[..data.len()];
        if self.space.read_cached(&mut self.tlb, addr, check).is_err() {
            return false;
        }
        // Bytes of the first host word the write touches.
        let head = (8 - (addr % 8) as usize).min(data.len());
        if head < data.len()
            && self
                .space
                .write_cached(&mut self.tlb, addr + head as u64, &data[head..])
                .is_err()
        {
            return false;
        }
        // The first word publishes the others (a completion's phase word).
        fence(Ordering::Release);
        self.space
            .write_cached(&mut self.tlb, addr, &data[..head])
            .is_ok()
    }
}

/// Sets `*slot` to `v` through `set` if it differs; true if it did.
#[inline]
pub(crate) fn set_if(slot: &mut bool, v: bool, set: impl FnOnce(bool)) -> bool {
    if *slot == v {
        return false;
    }
    *slot = v;
    set(v);
    true
}
