//! Capturing the anonymous pages of a live process.
//!
//! The mappings come from `/proc/PID/maps`; a mapping is anonymous when it is
//! private and has no file path (or is `[heap]`, `[stack]`, or a named
//! `[anon:...]` mapping). Only pages that are resident or swapped out
//! (`/proc/PID/pagemap`) are taken — pages the process never touched are not
//! part of what swap would see. The pages are read with `process_vm_readv`;
//! ranges that cannot be read are skipped.
//!
//! This is the one place that reads another process's pages: the corpus
//! builder, the CLI and the RTL tests' real-page sets all capture through it.

use crate::PAGE_SIZE;
use crate::corpus::{CorpusError, Source};
use nix::sys::uio::{RemoteIoVec, process_vm_readv};
use nix::unistd::Pid;
use std::fs;
use std::io::{IoSliceMut, Read, Seek, SeekFrom};

/// One mapping of `/proc/PID/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub readable: bool,
    pub private: bool,
    /// The path column: empty for anonymous memory.
    pub path: String,
}

impl Mapping {
    /// Private memory with no file behind it.
    pub fn is_anonymous(&self) -> bool {
        self.private
            && (self.path.is_empty()
                || self.path == "[heap]"
                || self.path == "[stack]"
                || self.path.starts_with("[anon:"))
    }

    pub fn pages(&self) -> u64 {
        (self.end - self.start) / PAGE_SIZE as u64
    }
}

/// Parses the text of `/proc/PID/maps`; lines that do not parse are skipped.
pub fn parse_maps(text: &str) -> Vec<Mapping> {
    text.lines().filter_map(parse_maps_line).collect()
}

fn parse_maps_line(line: &str) -> Option<Mapping> {
    // start-end perms offset dev inode [path]
    let mut it = line.splitn(6, ' ');
    let range = it.next()?;
    let perms = it.next()?.as_bytes();
    let _offset = it.next()?;
    let _dev = it.next()?;
    let _inode = it.next()?;
    let path = it.next().unwrap_or("").trim_start().to_string();
    let (s, e) = range.split_once('-')?;
    let start = u64::from_str_radix(s, 16).ok()?;
    let end = u64::from_str_radix(e, 16).ok()?;
    if perms.len() < 4 || end <= start {
        return None;
    }
    Some(Mapping {
        start,
        end,
        readable: perms[0] == b'r',
        private: perms[3] == b'p',
        path,
    })
}

/// Options of one capture.
#[derive(Clone, Debug)]
pub struct CaptureOptions {
    /// At most this many pages; when the process has more, pages are taken
    /// evenly spread over all its anonymous memory.
    pub max_pages: usize,
    /// Keep only resident or swapped pages (per `/proc/PID/pagemap`).
    pub resident_only: bool,
}

impl Default for CaptureOptions {
    fn default() -> Self {
        CaptureOptions {
            max_pages: 16_384,
            resident_only: true,
        }
    }
}

/// Why a process could not be captured.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("capture of process {pid}: cannot read {path}")]
    Proc {
        pid: u32,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("capture of process {pid}: reading its memory failed")]
    Read {
        pid: u32,
        #[source]
        source: nix::Error,
    },
    #[error(transparent)]
    Corpus(#[from] CorpusError),
}

/// Captures the anonymous pages of process `pid` as a source labelled `label`.
pub fn capture_process(
    pid: u32,
    label: &str,
    opts: &CaptureOptions,
) -> Result<Source, CaptureError> {
    let maps_path = format!("/proc/{pid}/maps");
    let maps = fs::read_to_string(&maps_path).map_err(|source| CaptureError::Proc {
        pid,
        path: maps_path.clone(),
        source,
    })?;
    let anon: Vec<Mapping> = parse_maps(&maps)
        .into_iter()
        .filter(|m| m.readable && m.is_anonymous())
        .collect();

    // Candidate page addresses.
    let mut addrs = Vec::new();
    let mut pagemap = if opts.resident_only {
        fs::File::open(format!("/proc/{pid}/pagemap")).ok()
    } else {
        None
    };
    for m in &anon {
        let present = pagemap.as_mut().and_then(|pm| resident_pages(pm, m).ok());
        match present {
            Some(bits) => addrs.extend(
                bits.iter()
                    .enumerate()
                    .filter(|(_, p)| **p)
                    .map(|(i, _)| m.start + (i * PAGE_SIZE) as u64),
            ),
            None => addrs.extend((0..m.pages()).map(|i| m.start + i * PAGE_SIZE as u64)),
        }
    }
    let addrs = spread(&addrs, opts.max_pages);

    let data = read_pages(Pid::from_raw(pid as i32), &addrs)
        .map_err(|source| CaptureError::Read { pid, source })?;
    Ok(Source::new(label, data)?)
}

/// For each page of `m`: resident or swapped out.
fn resident_pages(pm: &mut fs::File, m: &Mapping) -> std::io::Result<Vec<bool>> {
    let n = m.pages() as usize;
    pm.seek(SeekFrom::Start(m.start / PAGE_SIZE as u64 * 8))?;
    let mut buf = vec![0u8; n * 8];
    pm.read_exact(&mut buf)?;
    Ok(buf
        .as_chunks::<8>()
        .0
        .iter()
        .map(|e| u64::from_le_bytes(*e) >> 62 != 0)
        .collect())
}

/// At most `max` of `items`, evenly spread, in order.
fn spread(items: &[u64], max: usize) -> Vec<u64> {
    if items.len() <= max {
        return items.to_vec();
    }
    (0..max).map(|i| items[i * items.len() / max]).collect()
}

/// Reads the pages at `addrs`; unreadable pages are skipped.
fn read_pages(pid: Pid, addrs: &[u64]) -> Result<Vec<u8>, nix::Error> {
    const BATCH: usize = 256; // well under IOV_MAX
    let mut data = Vec::with_capacity(addrs.len() * PAGE_SIZE);
    let mut buf = vec![0u8; BATCH * PAGE_SIZE];
    let mut i = 0;
    while i < addrs.len() {
        let batch = &addrs[i..(i + BATCH).min(addrs.len())];
        let remote: Vec<RemoteIoVec> = batch
            .iter()
            .map(|&a| RemoteIoVec {
                base: a as usize,
                len: PAGE_SIZE,
            })
            .collect();
        let want = batch.len() * PAGE_SIZE;
        let got = {
            let mut local = [IoSliceMut::new(&mut buf[..want])];
            process_vm_readv(pid, &mut local, &remote)
        };
        match got {
            Ok(n) => {
                let whole = n / PAGE_SIZE;
                data.extend_from_slice(&buf[..whole * PAGE_SIZE]);
                // A short read stops at the first unreadable page: skip it.
                i += if whole < batch.len() {
                    whole + 1
                } else {
                    whole
                };
            }
            // The first page of the batch is unreadable (unmapped meanwhile,
            // or a guard page): skip it.
            Err(nix::Error::EFAULT) | Err(nix::Error::ENOMEM) => i += 1,
            Err(e) => return Err(e),
        }
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_maps_lines() {
        let text = "\
55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]
7f1c2c000000-7f1c2c021000 rw-p 00000000 00:00 0 
7f1c30000000-7f1c30001000 r--p 00000000 08:01 1234                       /usr/lib/libc.so.6
7f1c30001000-7f1c30002000 rw-s 00000000 00:05 77                         /dev/zero (deleted)
7f1c30002000-7f1c30003000 ---p 00000000 00:00 0 
7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0                          [stack]
7ffd1a100000-7ffd1a102000 r--p 00000000 00:00 0                          [vvar]
garbage
";
        let maps = parse_maps(text);
        assert_eq!(maps.len(), 7);
        let anon: Vec<_> = maps
            .iter()
            .filter(|m| m.readable && m.is_anonymous())
            .map(|m| m.path.as_str())
            .collect();
        assert_eq!(anon, ["[heap]", "", "[stack]"]);
        assert_eq!(maps[0].pages(), 0x21);
    }

    #[test]
    fn spread_is_even_and_capped() {
        let v: Vec<u64> = (0..100).collect();
        assert_eq!(spread(&v, 200), v);
        let s = spread(&v, 10);
        assert_eq!(s, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    }

    #[repr(C, align(4096))]
    struct Aligned([u8; PAGE_SIZE]);

    #[test]
    fn captures_own_process() {
        // A page-aligned heap page of this test process is captured verbatim.
        let mut marker = Box::new(Aligned([0; PAGE_SIZE]));
        for (i, b) in marker.0.iter_mut().enumerate() {
            *b = (i * 7 % 251) as u8 ^ 0x5a;
        }
        let marker = std::hint::black_box(marker);
        let src = capture_process(
            std::process::id(),
            "self",
            &CaptureOptions {
                max_pages: usize::MAX,
                resident_only: true,
            },
        )
        .unwrap();
        assert_eq!(src.label(), "self");
        assert!(src.pages().contains(&marker.0));
    }
}
