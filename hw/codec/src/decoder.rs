//! The subset decoder: the golden model of the hardware decompressor.
//!
//! Accepts exactly the frames the device may hold — single segment, content
//! size 4096, no checksum, no dictionary, one last block that is RLE, raw, or
//! compressed with raw literals and predefined-FSE sequences — and rejects any
//! other input with a [`DecodeError`]. It never panics and never writes outside
//! the one-page output buffer.

use crate::bits::BitReader;
use crate::fse::{DecodeEntry, FseTable, ll_table, ml_table, of_table};
use crate::{DecodeError, Page};
use pagepress_abi::format as f;
use pagepress_abi::format::PAGE_SIZE;

/// Decodes the frame at the start of `src` into `out`; returns the frame's length.
pub fn decode_frame(src: &[u8], out: &mut Page) -> Result<usize, DecodeError> {
    if src.len() < 4 {
        return Err(DecodeError::Truncated);
    }
    if src[..4] != f::FRAME_HEADER[..4] {
        return Err(DecodeError::BadMagic);
    }
    let hdr = src
        .get(..f::FRAME_HEADER_SIZE + f::BLOCK_HEADER_SIZE)
        .ok_or(DecodeError::Truncated)?;
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
    let block_type = ((bh >> 1) & 3) as u8;
    let size = (bh >> 3) as usize;
    let body_start = f::FRAME_HEADER_SIZE + f::BLOCK_HEADER_SIZE;
    match block_type {
        f::BLOCK_TYPE_RAW => {
            if size != PAGE_SIZE {
                return Err(DecodeError::SizeMismatch);
            }
            let body = src
                .get(body_start..body_start + size)
                .ok_or(DecodeError::Truncated)?;
            out.copy_from_slice(body);
            Ok(body_start + size)
        }
        f::BLOCK_TYPE_RLE => {
            if size != PAGE_SIZE {
                return Err(DecodeError::SizeMismatch);
            }
            let b = *src.get(body_start).ok_or(DecodeError::Truncated)?;
            out.fill(b);
            Ok(body_start + 1)
        }
        f::BLOCK_TYPE_COMPRESSED => {
            if size > f::COMPRESSED_BLOCK_LIMIT {
                return Err(DecodeError::Corrupt("block larger than the window"));
            }
            let body = src
                .get(body_start..body_start + size)
                .ok_or(DecodeError::Truncated)?;
            decode_compressed_block(body, out)?;
            Ok(body_start + size)
        }
        _ => Err(DecodeError::Corrupt("reserved block type")),
    }
}

/// Decodes `frame`, which must be exactly one frame, into `out`.
pub fn decompress_page(frame: &[u8], out: &mut Page) -> Result<(), DecodeError> {
    let n = decode_frame(frame, out)?;
    if n != frame.len() {
        return Err(DecodeError::TrailingData);
    }
    Ok(())
}

fn decode_compressed_block(body: &[u8], out: &mut Page) -> Result<(), DecodeError> {
    // Literals section (raw only).
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

    // Sequences section header.
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
    let stream = &rest[sh + 1..];
    execute_sequences(stream, nseq, lits, out)
}

/// A decoding table as a fixed-size array: states are masked to the table
/// size, which they never exceed (`base + nb_bits` bits stay below it), so the
/// mask changes nothing but lets the compiler drop the bounds checks.
fn decode_table<const N: usize>(t: &'static FseTable) -> &'static [DecodeEntry; N] {
    t.decode[..]
        .try_into()
        .expect("table size matches its accuracy log")
}

fn execute_sequences(
    stream: &[u8],
    nseq: usize,
    lits: &[u8],
    out: &mut Page,
) -> Result<(), DecodeError> {
    let lld = decode_table::<{ 1 << f::LL_ACCURACY_LOG }>(ll_table());
    let mld = decode_table::<{ 1 << f::ML_ACCURACY_LOG }>(ml_table());
    let ofd = decode_table::<{ 1 << f::OF_ACCURACY_LOG }>(of_table());
    let mut r = BitReader::new(stream)?;
    let mut ll_s = r.read(f::LL_ACCURACY_LOG)? as usize;
    let mut of_s = r.read(f::OF_ACCURACY_LOG)? as usize;
    let mut ml_s = r.read(f::ML_ACCURACY_LOG)? as usize;
    let mut rep = f::REP_OFFSETS_INIT;
    let mut op = 0usize; // output position
    let mut lp = 0usize; // literal position
    for i in 0..nseq {
        let lle = lld[ll_s & (lld.len() - 1)];
        let mle = mld[ml_s & (mld.len() - 1)];
        let ofe = ofd[of_s & (ofd.len() - 1)];
        let of_code = ofe.symbol as u32;
        let ml_code = mle.symbol as usize;
        let ll_code = lle.symbol as usize;
        if of_code > 31 - 6 {
            return Err(DecodeError::Corrupt("offset code too large"));
        }
        let offset_value = (1u32 << of_code) + r.read(of_code)?;
        // The ML and LL extra bits are adjacent in the stream: one read of
        // both fails exactly when the second of two reads would.
        let ml_bits = f::ML_EXTRA_BITS[ml_code] as u32;
        let ll_bits = f::LL_EXTRA_BITS[ll_code] as u32;
        let extra = r.read(ml_bits + ll_bits)? as u64;
        let ml = f::ML_BASELINE[ml_code] + (extra >> ll_bits) as u32;
        let ll = f::LL_BASELINE[ll_code] + (extra & ((1u64 << ll_bits) - 1)) as u32;
        if i + 1 < nseq {
            // LL, ML and OF state bits, adjacent too.
            let (lb, mb, ob) = (lle.nb_bits as u32, mle.nb_bits as u32, ofe.nb_bits as u32);
            let v = r.read(lb + mb + ob)? as usize;
            ll_s = lle.base as usize + (v >> (mb + ob));
            ml_s = mle.base as usize + ((v >> ob) & ((1 << mb) - 1));
            of_s = ofe.base as usize + (v & ((1 << ob) - 1));
        }
        let offset = if offset_value > f::REP_NUM {
            let o = offset_value - f::REP_NUM;
            rep = [o, rep[0], rep[1]];
            o
        } else {
            let idx = offset_value - 1 + u32::from(ll == 0);
            match idx {
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
        if ll <= 16 && lp + 16 <= lits.len() && op + 16 <= PAGE_SIZE {
            // Short literal runs: one fixed 16-byte copy; bytes past `ll` are
            // overwritten by the match or by later sequences.
            out[op..op + 16].copy_from_slice(&lits[lp..lp + 16]);
        } else {
            out[op..op + ll].copy_from_slice(&lits[lp..lp + ll]);
        }
        op += ll;
        lp += ll;
        if offset > op {
            return Err(DecodeError::Corrupt("match offset before the page start"));
        }
        copy_match(out, op, offset, ml);
        op += ml;
    }
    if !r.is_empty() {
        return Err(DecodeError::Corrupt(
            "sequence bitstream not fully consumed",
        ));
    }
    let rest = lits.len() - lp;
    if op + rest != PAGE_SIZE {
        return Err(DecodeError::SizeMismatch);
    }
    out[op..].copy_from_slice(&lits[lp..]);
    Ok(())
}

/// Copies the `ml` bytes from `offset` back to `op` (`offset <= op`,
/// `op + ml <= PAGE_SIZE`), byte by byte in effect: a match may overlap its
/// own output. Chunked copies may write up to 15 bytes past `op + ml` (inside
/// the page); those bytes are rewritten by what follows.
#[inline]
fn copy_match(out: &mut Page, op: usize, offset: usize, ml: usize) {
    let from = op - offset;
    if offset >= 16 && op + ml + 16 <= PAGE_SIZE {
        // Each 16-byte chunk's source ends at or before its destination.
        let mut k = 0;
        while k < ml {
            let v: [u8; 16] = out[from + k..from + k + 16].try_into().expect("16 bytes");
            out[op + k..op + k + 16].copy_from_slice(&v);
            k += 16;
        }
    } else if offset >= 8 && op + ml + 8 <= PAGE_SIZE {
        let mut k = 0;
        while k < ml {
            let v: [u8; 8] = out[from + k..from + k + 8].try_into().expect("8 bytes");
            out[op + k..op + k + 8].copy_from_slice(&v);
            k += 8;
        }
    } else if offset > 0 && offset < 8 && op + ml + 8 <= PAGE_SIZE {
        // The match repeats its last `offset` source bytes, so it also
        // repeats with period `e` (the smallest multiple of `offset` >= 8)
        // once the first `e - offset` bytes are written.
        let e = offset * 8usize.div_ceil(offset);
        let head = (e - offset).min(ml);
        for k in 0..head {
            out[op + k] = out[from + k];
        }
        let mut k = head;
        while k < ml {
            let src = op + k - e;
            let v: [u8; 8] = out[src..src + 8].try_into().expect("8 bytes");
            out[op + k..op + k + 8].copy_from_slice(&v);
            k += 8;
        }
    } else if offset >= ml {
        out.copy_within(from..from + ml, op);
    } else {
        for k in 0..ml {
            out[op + k] = out[from + k];
        }
    }
}
