//! FSE tables for zstd's predefined distributions (RFC 8878 §4.1), built once.
//!
//! These are the constant ROMs of the hardware: `pagepress-rtl` generates its
//! encoder and decoder ROMs from [`FseTable`], so codec and RTL cannot disagree.

use pagepress_abi::format as f;
use std::sync::OnceLock;

/// One decoding-table state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DecodeEntry {
    pub symbol: u8,
    pub nb_bits: u8,
    /// Next state = `base + read(nb_bits)`.
    pub base: u16,
}

/// Per-symbol encoding transform (zstd's `FSE_symbolCompressionTransform`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SymbolTransform {
    pub delta_nb_bits: u32,
    pub delta_find_state: i32,
}

/// Encoding and decoding tables of one distribution.
#[derive(Clone, Debug)]
pub struct FseTable {
    pub accuracy_log: u32,
    /// Decoding table, indexed by state (`0 .. 1 << accuracy_log`).
    pub decode: Vec<DecodeEntry>,
    /// Encoder next-state table; entries are `table_size + state`.
    pub state_table: Vec<u16>,
    /// Encoder transform per symbol.
    pub symbol_tt: Vec<SymbolTransform>,
}

fn highbit(v: u32) -> u32 {
    31 - v.leading_zeros()
}

impl FseTable {
    /// Builds the tables of a normalized distribution (`-1` = "less than one").
    pub fn build(norm: &[i16], log: u32) -> FseTable {
        let size = 1usize << log;
        let mask = size - 1;
        // Symbol spread: low-probability symbols at the top, others stepped.
        let mut symbol_of = vec![0u8; size];
        let mut high = size - 1;
        for (s, &n) in norm.iter().enumerate() {
            if n == -1 {
                symbol_of[high] = s as u8;
                high -= 1;
            }
        }
        let step = (size >> 1) + (size >> 3) + 3;
        let mut pos = 0usize;
        for (s, &n) in norm.iter().enumerate() {
            for _ in 0..n.max(0) {
                symbol_of[pos] = s as u8;
                pos = (pos + step) & mask;
                while pos > high {
                    pos = (pos + step) & mask;
                }
            }
        }
        assert_eq!(pos, 0, "distribution does not fill the table");

        // Decoding table.
        let mut next: Vec<u32> = norm
            .iter()
            .map(|&n| if n == -1 { 1 } else { n.max(0) as u32 })
            .collect();
        let decode = symbol_of
            .iter()
            .map(|&s| {
                let x = next[s as usize];
                next[s as usize] += 1;
                let nb = log - highbit(x);
                DecodeEntry {
                    symbol: s,
                    nb_bits: nb as u8,
                    base: ((x << nb) as usize - size) as u16,
                }
            })
            .collect();

        // Encoding tables.
        let mut cumul = vec![0usize; norm.len() + 1];
        for (u, &n) in norm.iter().enumerate() {
            cumul[u + 1] = cumul[u] + if n == -1 { 1 } else { n.max(0) as usize };
        }
        let mut state_table = vec![0u16; size];
        for (u, &s) in symbol_of.iter().enumerate() {
            state_table[cumul[s as usize]] = (size + u) as u16;
            cumul[s as usize] += 1;
        }
        let mut total: i32 = 0;
        let symbol_tt = norm
            .iter()
            .map(|&n| match n {
                0 => SymbolTransform {
                    delta_nb_bits: ((log + 1) << 16) - (1 << log),
                    delta_find_state: 0,
                },
                -1 | 1 => {
                    let t = SymbolTransform {
                        delta_nb_bits: (log << 16) - (1 << log),
                        delta_find_state: total - 1,
                    };
                    total += 1;
                    t
                }
                n => {
                    let n = n as u32;
                    let max_bits_out = log - highbit(n - 1);
                    let min_state_plus = n << max_bits_out;
                    let t = SymbolTransform {
                        delta_nb_bits: (max_bits_out << 16).wrapping_sub(min_state_plus),
                        delta_find_state: total - n as i32,
                    };
                    total += n as i32;
                    t
                }
            })
            .collect();
        FseTable {
            accuracy_log: log,
            decode,
            state_table,
            symbol_tt,
        }
    }

    /// The encoder's initial state for the last sequence's `symbol` (`FSE_initCState2`).
    #[inline]
    pub fn init_state(&self, symbol: u32) -> u32 {
        let tt = self.symbol_tt[symbol as usize];
        let nb_bits_out = (tt.delta_nb_bits + (1 << 15)) >> 16;
        let value = (nb_bits_out << 16).wrapping_sub(tt.delta_nb_bits);
        self.state_table[((value >> nb_bits_out) as i32 + tt.delta_find_state) as usize] as u32
    }

    /// Encodes `symbol` from `state`: returns (bits to write, bit count, next state).
    #[inline]
    pub fn encode(&self, state: u32, symbol: u32) -> (u32, u32, u32) {
        let tt = self.symbol_tt[symbol as usize];
        let nb_bits_out = (state + tt.delta_nb_bits) >> 16;
        let next =
            self.state_table[((state >> nb_bits_out) as i32 + tt.delta_find_state) as usize] as u32;
        (state, nb_bits_out, next)
    }
}

/// Literal-length table.
pub fn ll_table() -> &'static FseTable {
    static T: OnceLock<FseTable> = OnceLock::new();
    T.get_or_init(|| FseTable::build(&f::LL_DEFAULT_NORM, f::LL_ACCURACY_LOG))
}

/// Match-length table.
pub fn ml_table() -> &'static FseTable {
    static T: OnceLock<FseTable> = OnceLock::new();
    T.get_or_init(|| FseTable::build(&f::ML_DEFAULT_NORM, f::ML_ACCURACY_LOG))
}

/// Offset-code table.
pub fn of_table() -> &'static FseTable {
    static T: OnceLock<FseTable> = OnceLock::new();
    T.get_or_init(|| FseTable::build(&f::OF_DEFAULT_NORM, f::OF_ACCURACY_LOG))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first states of the predefined LL decoding table as printed in RFC 8878
    /// Appendix A: (symbol, nb_bits, base).
    #[test]
    fn ll_decode_table_matches_rfc_appendix() {
        let t = ll_table();
        let expect = [
            (0, 4, 0),
            (0, 4, 16),
            (1, 5, 32),
            (3, 5, 0),
            (4, 5, 0),
            (6, 5, 0),
            (7, 5, 0),
        ];
        for (i, &(s, nb, base)) in expect.iter().enumerate() {
            assert_eq!(
                t.decode[i],
                DecodeEntry {
                    symbol: s,
                    nb_bits: nb,
                    base
                },
                "state {i}"
            );
        }
        // The top states hold the "less than one" symbols, the first at the top.
        assert_eq!(t.decode[63].symbol, 32);
        assert_eq!(t.decode[60].symbol, 35);
    }

    /// Encoding any symbol from any state lands in a state whose decoder entry
    /// gives back that symbol's predecessor transition.
    #[test]
    fn encode_decode_inverse() {
        for t in [ll_table(), ml_table(), of_table()] {
            let size = 1u32 << t.accuracy_log;
            for sym in 0..t.symbol_tt.len() as u32 {
                for state in size..2 * size {
                    let (bits, nb, next) = t.encode(state, sym);
                    // The decoder at `next - size` decodes `sym` and, reading the
                    // `nb` bits written, returns to `state - size`.
                    let e = t.decode[(next - size) as usize];
                    assert_eq!(e.symbol as u32, sym);
                    assert_eq!(e.nb_bits as u32, nb);
                    assert_eq!(e.base as u32 + (bits & ((1 << nb) - 1)), state - size);
                }
            }
        }
    }
}
