//! Device memory: the DDR behind the device's memory port.
//!
//! Word-addressed (`mem_req_addr` is a byte address, 8-aligned), always ready,
//! one request per cycle. A write lands on the edge that takes it; a read
//! returns the word as it was on that edge, `latency` cycles later, reads in
//! request order. The harness's owner reads and corrupts the contents with the
//! byte methods (tests flip bytes of stored frames this way).

use super::ports::DevicePorts;
use std::collections::VecDeque;

#[derive(Debug)]
struct Reply {
    due: u64,
    data: u64,
}

/// Access counters of the memory port.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemCounters {
    pub reads: u64,
    pub writes: u64,
}

#[derive(Debug)]
pub(crate) struct DevMem {
    words: Vec<u64>,
    latency: u64,
    replies: VecDeque<Reply>,
    last_due: Option<u64>,
    driven_rvalid: bool,
    counters: MemCounters,
}

impl DevMem {
    /// `bytes` of zeroed memory (a multiple of 8).
    pub(crate) fn new(bytes: u64, latency: u64) -> Self {
        DevMem {
            words: vec![0; usize::try_from(bytes / 8).expect("device memory size")],
            latency: latency.max(1),
            replies: VecDeque::new(),
            last_due: None,
            driven_rvalid: false,
            counters: MemCounters::default(),
        }
    }

    pub(crate) fn set_latency(&mut self, cycles: u64) {
        self.latency = cycles.max(1);
    }

    pub(crate) fn counters(&self) -> MemCounters {
        self.counters
    }

    pub(crate) fn len_bytes(&self) -> u64 {
        self.words.len() as u64 * 8
    }

    pub(crate) fn is_quiet(&self) -> bool {
        self.replies.is_empty()
    }

    /// Drives `mem_rvalid` / `mem_rdata` for edge `now`; true if an input changed.
    pub(crate) fn drive<P: DevicePorts>(&mut self, now: u64, ports: &mut P) -> bool {
        let mut changed = false;
        let rvalid = match self.replies.front() {
            Some(r) if r.due <= now => {
                ports.set_mem_rdata(r.data);
                self.replies.pop_front();
                changed = true;
                true
            }
            _ => false,
        };
        changed |=
            super::host_port::set_if(&mut self.driven_rvalid, rvalid, |v| ports.set_mem_rvalid(v));
        changed
    }

    /// A request taken on edge `now`.
    pub(crate) fn request(
        &mut self,
        now: u64,
        write: bool,
        addr: u32,
        wdata: u64,
    ) -> Result<(), String> {
        let index = (addr / 8) as usize;
        if !addr.is_multiple_of(8) || index >= self.words.len() {
            return Err(format!(
                "device-memory {} at {addr:#x} (8-aligned, below {:#x})",
                if write { "write" } else { "read" },
                self.len_bytes()
            ));
        }
        if write {
            self.words[index] = wdata;
            self.counters.writes += 1;
        } else {
            let due = (now + self.latency).max(self.last_due.map_or(0, |d| d + 1));
            self.last_due = Some(due);
            self.replies.push_back(Reply {
                due,
                data: self.words[index],
            });
            self.counters.reads += 1;
        }
        Ok(())
    }

    /// Copies bytes from `addr` out (little-endian words); panics past the end.
    pub(crate) fn read_bytes(&self, addr: u64, out: &mut [u8]) {
        for (i, b) in out.iter_mut().enumerate() {
            let at = addr + i as u64;
            *b = self.words[(at / 8) as usize].to_le_bytes()[(at % 8) as usize];
        }
    }

    /// Copies bytes in at `addr`; panics past the end.
    pub(crate) fn write_bytes(&mut self, addr: u64, data: &[u8]) {
        for (i, &b) in data.iter().enumerate() {
            let at = addr + i as u64;
            let w = &mut self.words[(at / 8) as usize];
            let mut le = w.to_le_bytes();
            le[(at % 8) as usize] = b;
            *w = u64::from_le_bytes(le);
        }
    }
}
