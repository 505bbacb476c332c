//! Pins the codec's behaviour against frozen copies of the straightforward
//! reference algorithms, so hot-path optimisations of `encoder.rs`,
//! `decoder.rs` and `bits.rs` cannot change a byte of output (the contract
//! the RTL matches) nor which frames the decoder rejects, and why.
//!
//! - `frozen_encode`: the predefined-FSE frame writer as first specified,
//!   over the match finding transcribed from docs/format.md (`common`),
//!   written for clarity, not speed.
//! - `frozen_decode`: the subset decoder as first specified.
//!
//! Pages come from a generator of heap-like content (pointers, small
//! integers, text, zero runs, random bytes, near and overlapping copies) and
//! from the synthetic corpus classes.

mod common;

use common::spec_sequences;
use pagepress_abi::format as f;
use pagepress_abi::format::PAGE_SIZE;
use pagepress_codec::corpus::{SyntheticClass, synthetic};
use pagepress_codec::fse::{FseTable, ll_table, ml_table, of_table};
use pagepress_codec::{DecodeError, Page, Sequence, compress_page, decode_frame, decompress_page};

// ---- frozen encoder -------------------------------------------------------------

struct FrozenBitWriter {
    out: Vec<u8>,
    acc: u64,
    nbits: u32,
}

impl FrozenBitWriter {
    fn add(&mut self, value: u32, n: u32) {
        let v = value as u64 & ((1u64 << n) - 1);
        self.acc |= v << self.nbits;
        self.nbits += n;
        while self.nbits >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.nbits -= 8;
        }
    }
    fn close(mut self) -> Vec<u8> {
        self.add(1, 1);
        if self.nbits > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

fn block_header(block_type: u8, size: usize) -> [u8; 3] {
    let v = 1 | (block_type as u32) << 1 | (size as u32) << 3;
    [v as u8, (v >> 8) as u8, (v >> 16) as u8]
}

fn frozen_encode(page: &Page) -> Vec<u8> {
    let mut out = f::FRAME_HEADER.to_vec();
    if page.iter().all(|&b| b == page[0]) {
        out.extend_from_slice(&block_header(f::BLOCK_TYPE_RLE, PAGE_SIZE));
        out.push(page[0]);
        return out;
    }
    let (seqs, tail) = spec_sequences(page);
    if let Some(body) = frozen_block(page, &seqs, tail) {
        out.extend_from_slice(&block_header(f::BLOCK_TYPE_COMPRESSED, body.len()));
        out.extend_from_slice(&body);
    } else {
        out.extend_from_slice(&block_header(f::BLOCK_TYPE_RAW, PAGE_SIZE));
        out.extend_from_slice(page);
    }
    out
}

fn frozen_block(page: &Page, seqs: &[Sequence], tail: u32) -> Option<Vec<u8>> {
    if seqs.is_empty() {
        return None;
    }
    let mut out = Vec::new();
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
    let mut pos = 0usize;
    for &Sequence {
        lit_len: ll,
        match_len: ml,
        ..
    } in seqs
    {
        out.extend_from_slice(&page[pos..pos + ll as usize]);
        pos += (ll + ml) as usize;
    }
    out.extend_from_slice(&page[pos..]);
    let n = seqs.len();
    if n < 128 {
        out.push(n as u8);
    } else {
        out.push((n >> 8) as u8 + 128);
        out.push(n as u8);
    }
    out.push(f::SEQ_MODES_PREDEFINED);
    // (ll_code, ll_extra, ml_code, ml_extra, of_code, of_extra)
    let mut coded = Vec::new();
    let mut rep0 = f::REP_OFFSETS_INIT[0];
    for &Sequence {
        lit_len: ll,
        match_len: ml,
        offset: off,
    } in seqs
    {
        let ov = if ll > 0 && off == rep0 {
            1
        } else {
            off + f::REP_NUM
        };
        rep0 = off;
        let (lc, mc, oc) = (f::ll_code(ll), f::ml_code(ml), f::of_code(ov));
        coded.push((
            lc,
            ll - f::LL_BASELINE[lc as usize],
            mc,
            ml - f::ML_BASELINE[mc as usize],
            oc,
            ov - (1 << oc),
        ));
    }
    let extra = |w: &mut FrozenBitWriter, c: &(u32, u32, u32, u32, u32, u32)| {
        w.add(c.1, f::LL_EXTRA_BITS[c.0 as usize] as u32);
        w.add(c.3, f::ML_EXTRA_BITS[c.2 as usize] as u32);
        w.add(c.5, c.4);
    };
    let (llt, mlt, oft) = (ll_table(), ml_table(), of_table());
    let mut w = FrozenBitWriter {
        out,
        acc: 0,
        nbits: 0,
    };
    let last = coded[n - 1];
    let mut ml_state = mlt.init_state(last.2);
    let mut of_state = oft.init_state(last.4);
    let mut ll_state = llt.init_state(last.0);
    extra(&mut w, &last);
    for c in coded[..n - 1].iter().rev() {
        let (b, nb, next) = oft.encode(of_state, c.4);
        w.add(b, nb);
        of_state = next;
        let (b, nb, next) = mlt.encode(ml_state, c.2);
        w.add(b, nb);
        ml_state = next;
        let (b, nb, next) = llt.encode(ll_state, c.0);
        w.add(b, nb);
        ll_state = next;
        extra(&mut w, c);
    }
    w.add(ml_state, mlt.accuracy_log);
    w.add(of_state, oft.accuracy_log);
    w.add(ll_state, llt.accuracy_log);
    let body = w.close();
    (body.len() < f::COMPRESSED_BLOCK_LIMIT).then_some(body)
}

// ---- frozen decoder -------------------------------------------------------------

struct FrozenBitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> FrozenBitReader<'a> {
    fn new(data: &'a [u8]) -> Result<Self, DecodeError> {
        let last = *data
            .last()
            .ok_or(DecodeError::Corrupt("empty sequence bitstream"))?;
        if last == 0 {
            return Err(DecodeError::Corrupt("bitstream end marker missing"));
        }
        let pos = data.len() * 8 - last.leading_zeros() as usize - 1;
        Ok(FrozenBitReader { data, pos })
    }
    fn read(&mut self, n: u32) -> Result<u32, DecodeError> {
        let n = n as usize;
        if n > self.pos {
            return Err(DecodeError::Corrupt("sequence bitstream overread"));
        }
        self.pos -= n;
        let mut v = 0u32;
        for i in (0..n).rev() {
            let bit = self.pos + i;
            v = v << 1 | (self.data[bit / 8] >> (bit % 8) & 1) as u32;
        }
        Ok(v)
    }
}

fn frozen_decode(src: &[u8], out: &mut Page) -> Result<usize, DecodeError> {
    if src.len() < 4 {
        return Err(DecodeError::Truncated);
    }
    if src[..4] != f::FRAME_HEADER[..4] {
        return Err(DecodeError::BadMagic);
    }
    let hdr = src.get(..10).ok_or(DecodeError::Truncated)?;
    if hdr[4] != f::FRAME_HEADER_DESCRIPTOR {
        return Err(DecodeError::Unsupported("frame header descriptor"));
    }
    if hdr[5..7] != f::FRAME_HEADER[5..7] {
        return Err(DecodeError::Unsupported("content size is not one page"));
    }
    let bh = u32::from_le_bytes([hdr[7], hdr[8], hdr[9], 0]);
    if bh & 1 == 0 {
        return Err(DecodeError::Unsupported("more than one block"));
    }
    let size = (bh >> 3) as usize;
    match ((bh >> 1) & 3) as u8 {
        f::BLOCK_TYPE_RAW => {
            if size != PAGE_SIZE {
                return Err(DecodeError::SizeMismatch);
            }
            out.copy_from_slice(src.get(10..10 + size).ok_or(DecodeError::Truncated)?);
            Ok(10 + size)
        }
        f::BLOCK_TYPE_RLE => {
            if size != PAGE_SIZE {
                return Err(DecodeError::SizeMismatch);
            }
            out.fill(*src.get(10).ok_or(DecodeError::Truncated)?);
            Ok(11)
        }
        f::BLOCK_TYPE_COMPRESSED => {
            if size > f::COMPRESSED_BLOCK_LIMIT {
                return Err(DecodeError::Corrupt("block larger than the window"));
            }
            let body = src.get(10..10 + size).ok_or(DecodeError::Truncated)?;
            frozen_block_decode(body, out)?;
            Ok(10 + size)
        }
        _ => Err(DecodeError::Corrupt("reserved block type")),
    }
}

fn frozen_block_decode(body: &[u8], out: &mut Page) -> Result<(), DecodeError> {
    let b0 = *body.first().ok_or(DecodeError::Truncated)?;
    if b0 & 3 != f::LITERALS_RAW {
        return Err(DecodeError::Unsupported("literals are not raw"));
    }
    let (nlit, lh) = match (b0 >> 2) & 3 {
        0 | 2 => ((b0 >> 3) as usize, 1),
        1 => {
            let b1 = *body.get(1).ok_or(DecodeError::Truncated)?;
            ((b0 >> 4) as usize | (b1 as usize) << 4, 2)
        }
        _ => {
            let b = body.get(1..3).ok_or(DecodeError::Truncated)?;
            (
                (b0 >> 4) as usize | (b[0] as usize) << 4 | (b[1] as usize) << 12,
                3,
            )
        }
    };
    if nlit > PAGE_SIZE {
        return Err(DecodeError::Corrupt("literals larger than the page"));
    }
    let lits = body
        .get(lh..lh + nlit)
        .ok_or(DecodeError::Corrupt("literals past the block"))?;
    let rest = &body[lh + nlit..];
    let s0 = *rest
        .first()
        .ok_or(DecodeError::Corrupt("sequences header missing"))?;
    let (nseq, sh) = match s0 {
        0..=127 => (s0 as usize, 1),
        128..=254 => {
            let s1 = *rest.get(1).ok_or(DecodeError::Truncated)?;
            (((s0 as usize - 128) << 8) + s1 as usize, 2)
        }
        255 => {
            let s = rest.get(1..3).ok_or(DecodeError::Truncated)?;
            (s[0] as usize + ((s[1] as usize) << 8) + 0x7F00, 3)
        }
    };
    if nseq == 0 {
        if sh != rest.len() {
            return Err(DecodeError::Corrupt(
                "bytes after an empty sequences section",
            ));
        }
        if nlit != PAGE_SIZE {
            return Err(DecodeError::SizeMismatch);
        }
        out.copy_from_slice(lits);
        return Ok(());
    }
    if nseq > PAGE_SIZE {
        return Err(DecodeError::Corrupt("more sequences than bytes"));
    }
    let modes = *rest.get(sh).ok_or(DecodeError::Truncated)?;
    if modes != f::SEQ_MODES_PREDEFINED {
        return Err(DecodeError::Unsupported(
            "sequence tables are not predefined",
        ));
    }
    frozen_sequences_exec(&rest[sh + 1..], nseq, lits, out)
}

fn frozen_sequences_exec(
    stream: &[u8],
    nseq: usize,
    lits: &[u8],
    out: &mut Page,
) -> Result<(), DecodeError> {
    let mut r = FrozenBitReader::new(stream)?;
    let init = |t: &FseTable, r: &mut FrozenBitReader<'_>| r.read(t.accuracy_log);
    let (llt, oft, mlt) = (ll_table(), of_table(), ml_table());
    let mut ll_s = init(llt, &mut r)? as usize;
    let mut of_s = init(oft, &mut r)? as usize;
    let mut ml_s = init(mlt, &mut r)? as usize;
    let mut rep = f::REP_OFFSETS_INIT;
    let (mut op, mut lp) = (0usize, 0usize);
    for i in 0..nseq {
        let of_code = oft.decode[of_s].symbol as u32;
        let ml_code = mlt.decode[ml_s].symbol as usize;
        let ll_code = llt.decode[ll_s].symbol as usize;
        if of_code > 31 - 6 {
            return Err(DecodeError::Corrupt("offset code too large"));
        }
        let offset_value = (1u32 << of_code) + r.read(of_code)?;
        let ml = f::ML_BASELINE[ml_code] + r.read(f::ML_EXTRA_BITS[ml_code] as u32)?;
        let ll = f::LL_BASELINE[ll_code] + r.read(f::LL_EXTRA_BITS[ll_code] as u32)?;
        if i + 1 < nseq {
            for (t, s) in [(llt, &mut ll_s), (mlt, &mut ml_s), (oft, &mut of_s)] {
                let e = t.decode[*s];
                *s = e.base as usize + r.read(e.nb_bits as u32)? as usize;
            }
        }
        let offset = if offset_value > f::REP_NUM {
            let o = offset_value - f::REP_NUM;
            rep = [o, rep[0], rep[1]];
            o
        } else {
            match offset_value - 1 + u32::from(ll == 0) {
                0 => rep[0],
                1 => {
                    rep = [rep[1], rep[0], rep[2]];
                    rep[0]
                }
                2 => {
                    rep = [rep[2], rep[0], rep[1]];
                    rep[0]
                }
                _ => {
                    let o = rep[0].wrapping_sub(1);
                    if o == 0 {
                        return Err(DecodeError::Corrupt("repeat offset of zero"));
                    }
                    rep = [o, rep[0], rep[1]];
                    o
                }
            }
        } as usize;
        let (ll, ml) = (ll as usize, ml as usize);
        if ll > lits.len() - lp {
            return Err(DecodeError::Corrupt("sequence reads past the literals"));
        }
        if ll + ml > PAGE_SIZE - op {
            return Err(DecodeError::Corrupt("sequence writes past the page"));
        }
        out[op..op + ll].copy_from_slice(&lits[lp..lp + ll]);
        op += ll;
        lp += ll;
        if offset > op {
            return Err(DecodeError::Corrupt("match offset before the page start"));
        }
        for k in 0..ml {
            out[op + k] = out[op - offset + k];
        }
        op += ml;
    }
    if r.pos != 0 {
        return Err(DecodeError::Corrupt(
            "sequence bitstream not fully consumed",
        ));
    }
    if op + lits.len() - lp != PAGE_SIZE {
        return Err(DecodeError::SizeMismatch);
    }
    out[op..].copy_from_slice(&lits[lp..]);
    Ok(())
}

// ---- page generator ------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 32)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A page of heap-like segments.
fn heap_like_page(seed: u64) -> Box<Page> {
    let mut r = Rng(seed);
    let mut p = Box::new([0u8; PAGE_SIZE]);
    let base = 0x5555_0000_0000u64 + (r.below(1 << 20) << 12);
    let mut i = 0;
    while i < PAGE_SIZE {
        let cap = if r.below(4) == 0 { 600 } else { 64 };
        let len = (1 + r.below(cap)) as usize;
        let len = len.min(PAGE_SIZE - i);
        let seg = &mut p[i..i + len];
        match r.below(8) {
            0 => seg.fill(0),
            1 => {
                // Pointers into one region, 8-byte aligned.
                for c in seg.chunks_mut(8) {
                    let v = (base + (r.below(1 << 16) << 3)).to_le_bytes();
                    c.copy_from_slice(&v[..c.len()]);
                }
            }
            2 => {
                for c in seg.chunks_mut(4) {
                    let v = (r.below(300) as u32).to_le_bytes();
                    c.copy_from_slice(&v[..c.len()]);
                }
            }
            3 => {
                const T: &[u8] = b"key value name id 0123456789 {\"a\": [1, 2], \"b\": null}\n";
                for b in seg.iter_mut() {
                    *b = T[r.below(T.len() as u64) as usize];
                }
            }
            4 => seg.iter_mut().for_each(|b| *b = r.next() as u8),
            5 | 6 if i > 0 => {
                // Copy from earlier, including overlapping short offsets.
                let off = if r.below(3) == 0 {
                    1 + r.below(8) as usize
                } else {
                    1 + r.below(i as u64) as usize
                }
                .min(i);
                for k in 0..len {
                    p[i + k] = p[i + k - off];
                }
            }
            _ => {
                let b = r.next() as u8;
                seg.fill(b);
            }
        }
        i += len;
    }
    p
}

fn pages() -> Vec<Box<Page>> {
    let mut v: Vec<Box<Page>> = (0..3000u64).map(heap_like_page).collect();
    for class in SyntheticClass::ALL {
        v.extend((0..16).map(|i| class.page(i)));
    }
    // Small alphabets: long matches and many repeat offsets.
    for seed in 0..200u64 {
        let mut r = Rng(seed);
        let a = 1 + seed % 6;
        let mut p = Box::new([0u8; PAGE_SIZE]);
        p.iter_mut().for_each(|b| *b = r.below(a) as u8);
        v.push(p);
    }
    v
}

// ---- tests -------------------------------------------------------------------------

#[test]
fn encoder_output_matches_frozen_reference() {
    let mut frame = Vec::new();
    let mut kinds = [0usize; 3];
    for (i, p) in pages().iter().enumerate() {
        frame.clear();
        let kind = compress_page(p, &mut frame);
        kinds[kind as usize] += 1;
        assert!(
            frame == frozen_encode(p),
            "page {i}: encoder output differs from the frozen reference"
        );
    }
    // The generated pages cover every frame kind.
    assert!(kinds.iter().all(|&k| k > 0), "{kinds:?}");
}

#[test]
fn encoder_appends_after_existing_output() {
    let p = heap_like_page(42);
    let mut out = b"prefix".to_vec();
    compress_page(&p, &mut out);
    assert_eq!(&out[..6], b"prefix");
    assert!(out[6..] == frozen_encode(&p)[..]);
}

#[test]
fn decoder_matches_frozen_reference_on_mutated_frames() {
    let mut r = Rng(7);
    let mut a: Page = [0; PAGE_SIZE];
    let mut b: Page = [0; PAGE_SIZE];
    for (i, p) in pages().iter().enumerate().step_by(3) {
        let good = frozen_encode(p);
        for trial in 0..12 {
            let mut fr = good.clone();
            match trial {
                0 => {}
                1 => fr.truncate(r.below(fr.len() as u64) as usize),
                2 => fr.push(r.next() as u8),
                _ => {
                    // Flip bytes, mostly in the header and the sequence section.
                    for _ in 0..1 + r.below(3) {
                        let at = if r.below(2) == 0 {
                            r.below(16.min(fr.len() as u64))
                        } else {
                            fr.len() as u64 - 1 - r.below(24.min(fr.len() as u64))
                        } as usize;
                        fr[at] ^= (1 + r.below(255)) as u8;
                    }
                }
            }
            let want = frozen_decode(&fr, &mut a);
            let got = decode_frame(&fr, &mut b);
            assert_eq!(got, want, "page {i} trial {trial}");
            if want.is_ok() {
                assert!(a == b, "page {i} trial {trial}: decoded bytes differ");
            }
            if trial == 0 {
                assert!(a[..] == p[..]);
                decompress_page(&fr, &mut b).unwrap();
            }
        }
    }
}

#[test]
fn synthetic_corpus_round_trips() {
    let c = synthetic(8);
    let mut out: Page = [0; PAGE_SIZE];
    for (label, p) in c.labelled_pages() {
        let mut fr = Vec::new();
        compress_page(p, &mut fr);
        decompress_page(&fr, &mut out).unwrap();
        assert!(out == *p, "{label}");
        let z = zstd::bulk::decompress(&fr, PAGE_SIZE).unwrap();
        assert!(z[..] == p[..], "{label}");
    }
}
