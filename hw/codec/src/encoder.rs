//! The reference encoder: the algorithm the RTL compressor runs, byte for byte.
//!
//! Match finding (`LzMatchFinder`) walks the page in steps of `W = STEP_WIDTH`
//! positions, as the hardware does one step per clock:
//! 1. lookup: for every position `p` of step `k` (`p = kW + i`) with
//!    `p + MIN_MATCH <= PAGE_SIZE`, read `table[hash4(page[p..p+4])]` — the table
//!    as it stood after step `k-1`;
//! 2. select: if no match covers the step's last position, the lowest position
//!    `p >= cursor` whose candidate `c` holds the same 4 bytes starts a match;
//!    it extends greedily to the first mismatch or the page end. `W <=
//!    MIN_MATCH`, so at most one match can start per step;
//! 3. insert: `table[hash4(p)] = p` for every position of the step in order (the
//!    highest wins on equal hashes), whether or not a match covers it.
//!
//! Sequences are emitted with raw literals; the offset is coded as repeat code 1
//! when the literal length is non-zero and the offset equals the previous one,
//! else as `offset + 3`. See `docs/format.md`.

use crate::bits::BitWriter;
use crate::fse::{ll_table, ml_table, of_table};
use crate::same_filled::is_byte_filled;
use pagepress_abi::format as f;
use pagepress_abi::format::{MIN_MATCH, PAGE_SIZE, STEP_WIDTH};

/// Which kind of block a frame holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// All bytes equal: an 11-byte frame.
    Rle,
    /// Compression did not pay: the page stored verbatim.
    Raw,
    /// LZ77 sequences with raw literals.
    Compressed,
}

/// One LZ77 sequence: `lit_len` literals, then `match_len` bytes copied from
/// `offset` bytes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sequence {
    pub lit_len: u32,
    pub match_len: u32,
    pub offset: u32,
}

const EMPTY: u16 = u16::MAX;

/// The hash-table match finder of the reference encoder.
pub struct LzMatchFinder {
    table: Box<[u16; f::HASH_ENTRIES]>,
}

impl Default for LzMatchFinder {
    fn default() -> Self {
        Self::new()
    }
}

impl LzMatchFinder {
    pub fn new() -> Self {
        LzMatchFinder {
            table: Box::new([EMPTY; f::HASH_ENTRIES]),
        }
    }

    /// Finds the sequences of `page`; returns them and the trailing literal count.
    pub fn find(&mut self, page: &[u8; PAGE_SIZE], seqs: &mut Vec<Sequence>) -> u32 {
        // Positions never exceed this, so `EMPTY` clamped to it stays a
        // readable (and then masked-out) candidate.
        const LAST_HASHED: usize = PAGE_SIZE - MIN_MATCH; // highest position with 4 bytes
        // Steps whose W positions are all hashed and whose keys fit one
        // 8-byte load.
        const FAST_STEPS_END: usize = PAGE_SIZE - 8 + 1;
        const _: () = assert!(STEP_WIDTH + MIN_MATCH - 1 <= 8 && STEP_WIDTH <= 32);
        let table = &mut *self.table;
        table.fill(EMPTY);
        seqs.clear();
        let mut cursor = 0usize; // first byte not covered by a match
        let mut lit_start = 0usize;
        let mut step = 0usize;
        while step + STEP_WIDTH <= FAST_STEPS_END {
            let w = u64::from_le_bytes(page[step..step + 8].try_into().expect("8 bytes"));
            let mut keys = [0u32; STEP_WIDTH];
            let mut hashes = [0usize; STEP_WIDTH];
            for i in 0..STEP_WIDTH {
                keys[i] = (w >> (8 * i)) as u32;
                hashes[i] = f::hash4(keys[i]) as usize & (f::HASH_ENTRIES - 1);
            }
            if cursor < step + STEP_WIDTH {
                // Lookups see the table before this step's inserts. All W
                // candidates are checked at once; the lowest position at or
                // after the cursor whose candidate holds the same 4 bytes
                // wins (the hardware's priority encoder).
                let mut hit = 0u32;
                let mut cands = [0usize; STEP_WIDTH];
                for i in 0..STEP_WIDTH {
                    let c = table[hashes[i]];
                    let cc = (c as usize).min(LAST_HASHED);
                    let ok = (c != EMPTY) & (read_u32(page, cc) == keys[i]) & (step + i >= cursor);
                    hit |= (ok as u32) << i;
                    cands[i] = cc;
                }
                if hit != 0 {
                    let i = hit.trailing_zeros() as usize;
                    cursor = push_match(page, seqs, lit_start, step + i, cands[i]);
                    lit_start = cursor;
                }
            }
            for (i, &h) in hashes.iter().enumerate() {
                table[h] = (step + i) as u16;
            }
            step += STEP_WIDTH;
        }
        // The last steps, position by position.
        while step < PAGE_SIZE {
            let end = (step + STEP_WIDTH).min(LAST_HASHED + 1);
            if cursor < step + STEP_WIDTH {
                for p in cursor.max(step)..end {
                    let k = read_u32(page, p);
                    let c = table[f::hash4(k) as usize];
                    if c != EMPTY && read_u32(page, c as usize) == k {
                        cursor = push_match(page, seqs, lit_start, p, c as usize);
                        lit_start = cursor;
                        break;
                    }
                }
            }
            for p in step..end {
                table[f::hash4(read_u32(page, p)) as usize] = p as u16;
            }
            step += STEP_WIDTH;
        }
        (PAGE_SIZE - lit_start) as u32
    }
}

/// Extends the verified 4-byte match of position `p` with candidate `c` to its
/// full length, appends the sequence (literals since `lit_start`), and returns
/// the first position after the match.
#[inline]
fn push_match(
    page: &[u8; PAGE_SIZE],
    seqs: &mut Vec<Sequence>,
    lit_start: usize,
    p: usize,
    c: usize,
) -> usize {
    debug_assert!(c < p && lit_start <= p);
    let len = MIN_MATCH + common_prefix(page, c + MIN_MATCH, p + MIN_MATCH);
    seqs.push(Sequence {
        lit_len: (p - lit_start) as u32,
        match_len: len as u32,
        offset: (p - c) as u32,
    });
    p + len
}

#[inline]
fn read_u32(page: &[u8; PAGE_SIZE], p: usize) -> u32 {
    u32::from_le_bytes([page[p], page[p + 1], page[p + 2], page[p + 3]])
}

/// Length of the common prefix of `page[a..]` and `page[b..]` (`a < b`),
/// bounded by the page end.
#[inline]
fn common_prefix(page: &[u8; PAGE_SIZE], a: usize, b: usize) -> usize {
    debug_assert!(a < b);
    let mut n = 0;
    while b + n + 8 <= PAGE_SIZE {
        let x = u64::from_le_bytes(page[a + n..a + n + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(page[b + n..b + n + 8].try_into().expect("8 bytes"));
        let d = x ^ y;
        if d != 0 {
            return n + (d.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    while b + n < PAGE_SIZE && page[a + n] == page[b + n] {
        n += 1;
    }
    n
}

/// Sequences of `page` under the reference algorithm, and the trailing literals.
pub fn find_sequences(page: &[u8; PAGE_SIZE]) -> (Vec<Sequence>, u32) {
    let mut seqs = Vec::new();
    let tail = LzMatchFinder::new().find(page, &mut seqs);
    (seqs, tail)
}

/// Compresses one page into a zstd frame appended to `out`.
pub fn compress_page(page: &[u8; PAGE_SIZE], out: &mut Vec<u8>) -> FrameKind {
    thread_local! {
        static FINDER: std::cell::RefCell<(LzMatchFinder, Vec<Sequence>)> =
            std::cell::RefCell::new((LzMatchFinder::new(), Vec::with_capacity(PAGE_SIZE / MIN_MATCH)));
    }
    out.reserve(f::MAX_FRAME_SIZE + 64);
    out.extend_from_slice(&f::FRAME_HEADER);
    if is_byte_filled(page) {
        push_block_header(out, f::BLOCK_TYPE_RLE, PAGE_SIZE);
        out.push(page[0]);
        return FrameKind::Rle;
    }
    let start = out.len();
    let fits = FINDER.with(|cell| {
        let (finder, seqs) = &mut *cell.borrow_mut();
        let tail = finder.find(page, seqs);
        out.extend_from_slice(&[0; f::BLOCK_HEADER_SIZE]);
        write_compressed_block(page, seqs, tail, out)
    });
    match fits {
        Some(size) => {
            let hdr = block_header(f::BLOCK_TYPE_COMPRESSED, size);
            out[start..start + f::BLOCK_HEADER_SIZE].copy_from_slice(&hdr);
            FrameKind::Compressed
        }
        None => {
            out.truncate(start);
            push_block_header(out, f::BLOCK_TYPE_RAW, PAGE_SIZE);
            out.extend_from_slice(page);
            FrameKind::Raw
        }
    }
}

fn block_header(block_type: u8, size: usize) -> [u8; 3] {
    let v = 1 | (block_type as u32) << 1 | (size as u32) << 3;
    [v as u8, (v >> 8) as u8, (v >> 16) as u8]
}

fn push_block_header(out: &mut Vec<u8>, block_type: u8, size: usize) {
    out.extend_from_slice(&block_header(block_type, size));
}

/// Appends the compressed block content; `None` (and partial output the
/// caller truncates) when it would not be smaller than `COMPRESSED_BLOCK_LIMIT`.
fn write_compressed_block(
    page: &[u8; PAGE_SIZE],
    seqs: &[Sequence],
    tail: u32,
    out: &mut Vec<u8>,
) -> Option<usize> {
    if seqs.is_empty() {
        return None;
    }
    let body = out.len();
    // Literals section: raw literals.
    let nlit = seqs.iter().map(|s| s.lit_len as usize).sum::<usize>() + tail as usize;
    if nlit < 32 {
        out.push((nlit << 3) as u8);
    } else if nlit < 4096 {
        out.push((1 << 2 | (nlit & 0xf) << 4) as u8);
        out.push((nlit >> 4) as u8);
    } else {
        out.push((3 << 2 | (nlit & 0xf) << 4) as u8);
        out.push((nlit >> 4) as u8);
        out.push((nlit >> 12) as u8);
    }
    // Literal runs are mostly short: copy 16 bytes at a time into a buffer
    // with 16 bytes of slack; what a copy writes past its run is overwritten
    // by the next run or cut off.
    let mut pos = 0usize;
    let mut o = out.len();
    out.resize(o + nlit + 16, 0);
    for s in seqs {
        let ll = s.lit_len as usize;
        if ll <= 16 && pos + 16 <= PAGE_SIZE {
            out[o..o + 16].copy_from_slice(&page[pos..pos + 16]);
        } else {
            out[o..o + ll].copy_from_slice(&page[pos..pos + ll]);
        }
        o += ll;
        pos += ll + s.match_len as usize;
    }
    out.truncate(o);
    out.extend_from_slice(&page[pos..]);
    if out.len() - body >= f::COMPRESSED_BLOCK_LIMIT {
        return None;
    }

    // Sequences section header.
    let n = seqs.len();
    if n < 128 {
        out.push(n as u8);
    } else {
        out.push((n >> 8) as u8 + 128);
        out.push(n as u8);
    }
    out.push(f::SEQ_MODES_PREDEFINED);

    // FSE-encode backwards (zstd's ZSTD_encodeSequences). A sequence's offset
    // code depends only on the previous sequence's offset (repeat offset 1).
    let coded = |i: usize| {
        let s = seqs[i];
        let rep0 = if i == 0 {
            f::REP_OFFSETS_INIT[0]
        } else {
            seqs[i - 1].offset
        };
        let offset_value = if s.lit_len > 0 && s.offset == rep0 {
            1
        } else {
            s.offset + f::REP_NUM
        };
        Coded::new(s.lit_len, s.match_len, offset_value)
    };
    let (llt, mlt, oft) = (ll_table(), ml_table(), of_table());
    let mut w = BitWriter::new(std::mem::take(out));
    let last = coded(n - 1);
    let mut ml_state = mlt.init_state(last.ml_code);
    let mut of_state = oft.init_state(last.of_code);
    let mut ll_state = llt.init_state(last.ll_code);
    last.write_extra(&mut w);
    for c in (0..n - 1).rev().map(coded) {
        // The OF, ML and LL state bits (at most 5 + 6 + 6), appended as one
        // field: the same bits in the same order as three writes.
        let (ob, onb, next) = oft.encode(of_state, c.of_code);
        of_state = next;
        let (mb, mnb, next) = mlt.encode(ml_state, c.ml_code);
        ml_state = next;
        let (lb, lnb, next) = llt.encode(ll_state, c.ll_code);
        ll_state = next;
        let bits = low(ob, onb) | low(mb, mnb) << onb | low(lb, lnb) << (onb + mnb);
        w.add(bits, onb + mnb + lnb);
        c.write_extra(&mut w);
    }
    w.add(ml_state, mlt.accuracy_log);
    w.add(of_state, oft.accuracy_log);
    w.add(ll_state, llt.accuracy_log);
    *out = w.close();
    let size = out.len() - body;
    (size < f::COMPRESSED_BLOCK_LIMIT).then_some(size)
}

/// The low `n` bits of `v` (`n < 32`).
#[inline]
fn low(v: u32, n: u32) -> u32 {
    v & ((1 << n) - 1)
}

/// A sequence as codes plus extra-bit values.
#[derive(Clone, Copy)]
struct Coded {
    ll_code: u32,
    ll_extra: u32,
    ml_code: u32,
    ml_extra: u32,
    of_code: u32,
    of_extra: u32,
}

impl Coded {
    #[inline(always)]
    fn new(ll: u32, ml: u32, offset_value: u32) -> Coded {
        let ll_code = f::ll_code(ll);
        let ml_code = f::ml_code(ml);
        let of_code = f::of_code(offset_value);
        Coded {
            ll_code,
            ll_extra: ll - f::LL_BASELINE[ll_code as usize],
            ml_code,
            ml_extra: ml - f::ML_BASELINE[ml_code as usize],
            of_code,
            of_extra: offset_value - (1 << of_code),
        }
    }

    #[inline(always)]
    fn write_extra(&self, w: &mut BitWriter) {
        // LL then ML extra bits as one field (lengths <= 4096: at most
        // 12 + 11 bits), then the offset's.
        let lnb = f::LL_EXTRA_BITS[self.ll_code as usize] as u32;
        let mnb = f::ML_EXTRA_BITS[self.ml_code as usize] as u32;
        w.add(self.ll_extra | self.ml_extra << lnb, lnb + mnb);
        w.add(self.of_extra, self.of_code);
    }
}
