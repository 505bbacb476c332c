//! Constant ROMs of the decompressor, generated from the reference codec's
//! tables (`pagepress_codec::fse::FseTable::decode` and the code baselines of
//! `pagepress_abi::format`), never retyped.

use pagepress_abi::format as f;
use pagepress_codec::fse::FseTable;
use rust_hdl::prelude::*;

/// One predefined FSE decoding table: state -> (symbol, bits to read, next-state base).
///
/// Combinational (the tables have at most 64 entries: LUTs, not BRAM).
#[derive(LogicBlock)]
pub struct FseRom {
    /// The current decoder state (`< 1 << accuracy_log`).
    pub state: Signal<In, Bits<6>>,
    /// The state's symbol (a length or offset code), as a ROM address.
    pub symbol: Signal<Out, Bits<6>>,
    /// Bits to read for the state update.
    pub nb: Signal<Out, Bits<32>>,
    /// Next state = `base + read(nb)`.
    pub base: Signal<Out, Bits<32>>,
    rom_sym: ROM<Bits<6>, 6>,
    rom_nb: ROM<Bits<32>, 6>,
    rom_base: ROM<Bits<32>, 6>,
}

impl FseRom {
    /// The ROMs of `table` (states beyond the table read as zero).
    pub fn new(table: &FseTable) -> Self {
        let e = &table.decode;
        Self {
            state: Default::default(),
            symbol: Default::default(),
            nb: Default::default(),
            base: Default::default(),
            rom_sym: e.iter().map(|d| Bits::<6>::from(d.symbol as u64)).into(),
            rom_nb: e.iter().map(|d| Bits::<32>::from(d.nb_bits as u64)).into(),
            rom_base: e.iter().map(|d| Bits::<32>::from(d.base as u64)).into(),
        }
    }
}

impl Logic for FseRom {
    #[hdl_gen]
    fn update(&mut self) {
        self.rom_sym.address.next = self.state.val();
        self.rom_nb.address.next = self.state.val();
        self.rom_base.address.next = self.state.val();
        self.symbol.next = self.rom_sym.data.val();
        self.nb.next = self.rom_nb.data.val();
        self.base.next = self.rom_base.data.val();
    }
}

/// Literal- or match-length code -> (baseline, extra bits).
#[derive(LogicBlock)]
pub struct CodeRom {
    pub code: Signal<In, Bits<6>>,
    pub baseline: Signal<Out, Bits<32>>,
    pub extra: Signal<Out, Bits<32>>,
    rom_base: ROM<Bits<32>, 6>,
    rom_extra: ROM<Bits<32>, 6>,
}

impl CodeRom {
    fn new(baseline: &[u32], extra: &[u8]) -> Self {
        Self {
            code: Default::default(),
            baseline: Default::default(),
            extra: Default::default(),
            rom_base: baseline.iter().map(|&b| Bits::<32>::from(b as u64)).into(),
            rom_extra: extra.iter().map(|&b| Bits::<32>::from(b as u64)).into(),
        }
    }

    /// Literal-length codes.
    pub fn literal_lengths() -> Self {
        Self::new(&f::LL_BASELINE, &f::LL_EXTRA_BITS)
    }

    /// Match-length codes.
    pub fn match_lengths() -> Self {
        Self::new(&f::ML_BASELINE, &f::ML_EXTRA_BITS)
    }
}

impl Logic for CodeRom {
    #[hdl_gen]
    fn update(&mut self) {
        self.rom_base.address.next = self.code.val();
        self.rom_extra.address.next = self.code.val();
        self.baseline.next = self.rom_base.data.val();
        self.extra.next = self.rom_extra.data.val();
    }
}

/// Zero extension from `M` to `N > M` bits (`{{N-M{1'b0}}, inp}`): rust-hdl's
/// `bit_cast` emits a mask of the narrow operand, which Verilator flags as a
/// width mismatch.
#[derive(LogicBlock, Default)]
pub struct ZeroExtend<const M: usize, const N: usize> {
    pub inp: Signal<In, Bits<M>>,
    pub out: Signal<Out, Bits<N>>,
}

impl<const M: usize, const N: usize> Logic for ZeroExtend<M, N> {
    fn update(&mut self) {
        self.out.next = bit_cast::<N, M>(self.inp.val());
    }

    fn connect(&mut self) {
        self.out.connect();
    }

    fn hdl(&self) -> Verilog {
        assert!(N > M, "ZeroExtend must widen");
        Verilog::Custom(format!(
            "always @* out = {{{{{pad}{{1'b0}}}}, inp}};",
            pad = N - M
        ))
    }
}
