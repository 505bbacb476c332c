//! `CmdDecode`: the checks a command passes before it touches anything, as the
//! model's `Engine::execute` makes them (combinational).
//!
//! | port | dir | width | meaning |
//! |---|---|---|---|
//! | `opcode`, `flags` | in | 8, 8 | the command's fields |
//! | `nr_pages` | in | 16 | |
//! | `slot` | in | 32 | |
//! | `len` | in | 32 | |
//! | `act` | out | 3 | what runs: [`ACT_FINISH`] (complete at once), [`ACT_STORE`], ... |
//! | `status` | out | 8 | with `ACT_FINISH`: the completion status |
//! | `fin_bump`, `fin_idx` | out | 1, 5 | with `ACT_FINISH`: bump this counter by one |
//! | `cmd_bump`, `cmd_idx` | out | 1, 5 | bump `STORE_CMDS` / `LOAD_CMDS` first (also when the command then fails) |
//! | `raw`, `exclusive` | out | 1, 1 | LOAD flags `RAW_FRAME`, `EXCLUSIVE` |
//! | `writeback` | out | 1 | the opcode is READ_FOR_WRITEBACK |
//!
//! The order of the checks is the model's: unknown opcode or a flag bit outside
//! `CMD_FLAGS_VALID` → `BAD_COMMAND` (nothing else counted); STORE counts
//! `STORE_CMDS` and LOAD `LOAD_CMDS` before their own checks; per-opcode flag
//! rules → `BAD_COMMAND`; `nr_pages` 0 or above `max_nr_pages` → `BAD_COMMAND`;
//! the slot range past `max_slots` → `BAD_SLOT`; STATS with `len` below the
//! snapshot → `BUFFER_TOO_SMALL` (not counted).

use super::k;
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME, CMD_FLAGS_VALID};
use pagepress_abi::stats::{STATS_SNAPSHOT_SIZE, StatCounter};
use pagepress_abi::{Opcode, Status};
use pagepress_rtl::compressor::widen::ZeroExtend;
use rust_hdl::prelude::*;

/// Complete at once with `status` (NOP, failed checks).
pub const ACT_FINISH: u64 = 0;
pub const ACT_STORE: u64 = 1;
/// LOAD and READ_FOR_WRITEBACK.
pub const ACT_LOAD: u64 = 2;
pub const ACT_INVALIDATE: u64 = 3;
pub const ACT_STATS: u64 = 4;
pub const ACT_RESET: u64 = 5;

#[derive(LogicBlock)]
pub struct CmdDecode {
    pub opcode: Signal<In, Bits<8>>,
    pub flags: Signal<In, Bits<8>>,
    pub nr_pages: Signal<In, Bits<16>>,
    pub slot: Signal<In, Bits<32>>,
    pub len: Signal<In, Bits<32>>,
    pub act: Signal<Out, Bits<3>>,
    pub status: Signal<Out, Bits<8>>,
    pub fin_bump: Signal<Out, bool>,
    pub fin_idx: Signal<Out, Bits<5>>,
    pub cmd_bump: Signal<Out, bool>,
    pub cmd_idx: Signal<Out, Bits<5>>,
    pub raw: Signal<Out, bool>,
    pub exclusive: Signal<Out, bool>,
    pub writeback: Signal<Out, bool>,
    op_count: Constant<Bits<8>>,
    op_nop: Constant<Bits<8>>,
    op_store: Constant<Bits<8>>,
    op_load: Constant<Bits<8>>,
    op_invalidate: Constant<Bits<8>>,
    op_writeback: Constant<Bits<8>>,
    op_stats: Constant<Bits<8>>,
    op_reset: Constant<Bits<8>>,
    flags_invalid: Constant<Bits<8>>,
    flag_raw: Constant<Bits<8>>,
    flag_exclusive: Constant<Bits<8>>,
    no_flags: Constant<Bits<8>>,
    no_pages: Constant<Bits<16>>,
    one_page: Constant<Bits<16>>,
    max_nr_pages: Constant<Bits<16>>,
    /// `max_slots`, one bit wider than a slot: `slot + nr_pages` is compared in 33 bits.
    max_slots: Constant<Bits<33>>,
    snapshot_bytes: Constant<Bits<32>>,
    st_ok: Constant<Bits<8>>,
    st_bad_command: Constant<Bits<8>>,
    st_bad_slot: Constant<Bits<8>>,
    st_buffer_too_small: Constant<Bits<8>>,
    ctr_store_cmds: Constant<Bits<5>>,
    ctr_load_cmds: Constant<Bits<5>>,
    ctr_bad_command: Constant<Bits<5>>,
    ctr_bad_slot: Constant<Bits<5>>,
    act_finish: Constant<Bits<3>>,
    act_store: Constant<Bits<3>>,
    act_load: Constant<Bits<3>>,
    act_invalidate: Constant<Bits<3>>,
    act_stats: Constant<Bits<3>>,
    act_reset: Constant<Bits<3>>,
    slot_wide: ZeroExtend<32, 33>,
    nr_wide: ZeroExtend<16, 33>,
    // Scratch.
    flags_zero: Signal<Local, bool>,
    nr_bad: Signal<Local, bool>,
    slot_bad: Signal<Local, bool>,
    /// The opcode's own checks passed; the range checks decide.
    ranged: Signal<Local, bool>,
    /// What runs if the range checks pass.
    flow: Signal<Local, Bits<3>>,
}

impl CmdDecode {
    pub fn new(max_nr_pages: u32, max_slots: u32) -> Self {
        CmdDecode {
            opcode: Default::default(),
            flags: Default::default(),
            nr_pages: Default::default(),
            slot: Default::default(),
            len: Default::default(),
            act: Default::default(),
            status: Default::default(),
            fin_bump: Default::default(),
            fin_idx: Default::default(),
            cmd_bump: Default::default(),
            cmd_idx: Default::default(),
            raw: Default::default(),
            exclusive: Default::default(),
            writeback: Default::default(),
            op_count: k(Opcode::ALL.len() as u64),
            op_nop: k(Opcode::Nop as u64),
            op_store: k(Opcode::Store as u64),
            op_load: k(Opcode::Load as u64),
            op_invalidate: k(Opcode::Invalidate as u64),
            op_writeback: k(Opcode::ReadForWriteback as u64),
            op_stats: k(Opcode::Stats as u64),
            op_reset: k(Opcode::Reset as u64),
            flags_invalid: k(!CMD_FLAGS_VALID as u64),
            flag_raw: k(CMD_FLAG_RAW_FRAME as u64),
            flag_exclusive: k(CMD_FLAG_EXCLUSIVE as u64),
            no_flags: k(0),
            no_pages: k(0),
            one_page: k(1),
            max_nr_pages: k(max_nr_pages as u64),
            max_slots: k(max_slots as u64),
            snapshot_bytes: k(STATS_SNAPSHOT_SIZE as u64),
            st_ok: k(Status::Ok as u64),
            st_bad_command: k(Status::BadCommand as u64),
            st_bad_slot: k(Status::BadSlot as u64),
            st_buffer_too_small: k(Status::BufferTooSmall as u64),
            ctr_store_cmds: k(StatCounter::StoreCmds as u64),
            ctr_load_cmds: k(StatCounter::LoadCmds as u64),
            ctr_bad_command: k(StatCounter::ErrBadCommand as u64),
            ctr_bad_slot: k(StatCounter::ErrBadSlot as u64),
            act_finish: k(ACT_FINISH),
            act_store: k(ACT_STORE),
            act_load: k(ACT_LOAD),
            act_invalidate: k(ACT_INVALIDATE),
            act_stats: k(ACT_STATS),
            act_reset: k(ACT_RESET),
            slot_wide: Default::default(),
            nr_wide: Default::default(),
            flags_zero: Default::default(),
            nr_bad: Default::default(),
            slot_bad: Default::default(),
            ranged: Default::default(),
            flow: Default::default(),
        }
    }
}

impl Logic for CmdDecode {
    #[hdl_gen]
    fn update(&mut self) {
        self.slot_wide.narrow.next = self.slot.val();
        self.nr_wide.narrow.next = self.nr_pages.val();
        self.flags_zero.next = self.flags.val() == self.no_flags.val();
        self.nr_bad.next = (self.nr_pages.val() == self.no_pages.val())
            | (self.nr_pages.val() > self.max_nr_pages.val());
        self.slot_bad.next =
            (self.slot_wide.wide.val() + self.nr_wide.wide.val()) > self.max_slots.val();
        self.raw.next = (self.flags.val() & self.flag_raw.val()) != self.no_flags.val();
        self.exclusive.next = (self.flags.val() & self.flag_exclusive.val()) != self.no_flags.val();
        self.writeback.next = self.opcode.val() == self.op_writeback.val();

        self.act.next = self.act_finish.val();
        self.status.next = self.st_bad_command.val();
        self.fin_bump.next = true;
        self.fin_idx.next = self.ctr_bad_command.val();
        self.cmd_bump.next = false;
        self.cmd_idx.next = self.ctr_store_cmds.val();
        self.ranged.next = false;
        self.flow.next = self.act_finish.val();
        if (self.opcode.val() < self.op_count.val())
            & ((self.flags.val() & self.flags_invalid.val()) == self.no_flags.val())
        {
            if self.opcode.val() == self.op_nop.val() {
                self.status.next = self.st_ok.val();
                self.fin_bump.next = false;
            }
            if self.opcode.val() == self.op_store.val() {
                self.cmd_bump.next = true;
                self.ranged.next = self.flags_zero.val();
                self.flow.next = self.act_store.val();
            }
            if self.opcode.val() == self.op_load.val() {
                self.cmd_bump.next = true;
                self.cmd_idx.next = self.ctr_load_cmds.val();
            }
            if (self.opcode.val() == self.op_load.val()) | self.writeback.val() {
                // READ_FOR_WRITEBACK takes no flags; RAW_FRAME takes one page.
                self.ranged.next = !(self.writeback.val() & !self.flags_zero.val())
                    & !(self.raw.val() & (self.nr_pages.val() != self.one_page.val()));
                self.flow.next = self.act_load.val();
            }
            if self.opcode.val() == self.op_invalidate.val() {
                self.ranged.next = self.flags_zero.val();
                self.flow.next = self.act_invalidate.val();
            }
            if (self.opcode.val() == self.op_stats.val()) & self.flags_zero.val() {
                self.fin_bump.next = false;
                if self.len.val() < self.snapshot_bytes.val() {
                    self.status.next = self.st_buffer_too_small.val();
                } else {
                    self.act.next = self.act_stats.val();
                }
            }
            if self.opcode.val() == self.op_reset.val() {
                self.act.next = self.act_reset.val();
                self.fin_bump.next = false;
            }
        }
        if self.ranged.val() & !self.nr_bad.val() {
            if self.slot_bad.val() {
                self.status.next = self.st_bad_slot.val();
                self.fin_idx.next = self.ctr_bad_slot.val();
            } else {
                self.act.next = self.flow.val();
                self.fin_bump.next = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtl::executor::testutil::{lint, settle};
    use pagepress_abi::Command;
    use pagepress_codec::corpus::SplitMix64;

    const MAX_NR: u32 = 16;
    const MAX_SLOTS: u32 = 1000;

    /// What the model's `Engine::execute` does before touching the index, per
    /// command: (act, status, counter bumped by the finish, counter bumped first).
    fn model(c: &Command) -> (u64, Status, Option<StatCounter>, Option<StatCounter>) {
        use StatCounter as C;
        let bad = (ACT_FINISH, Status::BadCommand, Some(C::ErrBadCommand));
        let range = |act| {
            if c.nr_pages == 0 || c.nr_pages as u32 > MAX_NR {
                bad
            } else if c.slot as u64 + c.nr_pages as u64 > MAX_SLOTS as u64 {
                (ACT_FINISH, Status::BadSlot, Some(C::ErrBadSlot))
            } else {
                (act, Status::Ok, None)
            }
        };
        let (act, st, fin) = match Opcode::from_u8(c.opcode) {
            None => bad,
            Some(_) if c.flags & !CMD_FLAGS_VALID != 0 => bad,
            Some(Opcode::Nop) => (ACT_FINISH, Status::Ok, None),
            Some(Opcode::Store) if c.flags != 0 => bad,
            Some(Opcode::Store) => range(ACT_STORE),
            Some(op @ (Opcode::Load | Opcode::ReadForWriteback)) => {
                let raw = c.flags & CMD_FLAG_RAW_FRAME != 0;
                if (op == Opcode::ReadForWriteback && c.flags != 0) || (raw && c.nr_pages != 1) {
                    bad
                } else {
                    range(ACT_LOAD)
                }
            }
            Some(Opcode::Invalidate) if c.flags != 0 => bad,
            Some(Opcode::Invalidate) => range(ACT_INVALIDATE),
            Some(Opcode::Stats) if c.flags != 0 => bad,
            Some(Opcode::Stats) if (c.len as usize) < STATS_SNAPSHOT_SIZE => {
                (ACT_FINISH, Status::BufferTooSmall, None)
            }
            Some(Opcode::Stats) => (ACT_STATS, Status::Ok, None),
            Some(Opcode::Reset) => (ACT_RESET, Status::Ok, None),
        };
        let first = match Opcode::from_u8(c.opcode) {
            _ if c.flags & !CMD_FLAGS_VALID != 0 => None,
            Some(Opcode::Store) => Some(C::StoreCmds),
            Some(Opcode::Load) => Some(C::LoadCmds),
            _ => None,
        };
        (act, st, fin, first)
    }

    fn random_command(rng: &mut SplitMix64) -> Command {
        let pick = |rng: &mut SplitMix64, edges: &[u64], any: u64| {
            if rng.below(2) == 0 {
                edges[rng.below(edges.len() as u64) as usize]
            } else {
                rng.below(any)
            }
        };
        Command {
            opcode: pick(rng, &[0, 1, 2, 3, 4, 5, 6, 7, 255], 256) as u8,
            flags: pick(rng, &[0, 0, 1, 2, 3, 4, 0x80], 256) as u8,
            nr_pages: pick(rng, &[0, 1, 2, 15, 16, 17, 0xffff], 1 << 16) as u16,
            slot: pick(
                rng,
                &[
                    0,
                    1,
                    983,
                    984,
                    985,
                    999,
                    1000,
                    u32::MAX as u64 - 1,
                    u32::MAX as u64,
                ],
                1 << 32,
            ) as u32,
            len: pick(rng, &[0, 167, 168, 169, u32::MAX as u64], 1 << 32) as u32,
            ..Default::default()
        }
    }

    #[test]
    fn decodes_commands_like_the_model() {
        let mut uut = CmdDecode::new(MAX_NR, MAX_SLOTS);
        uut.connect_all();
        let mut rng = SplitMix64(0xdec0de);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let c = random_command(&mut rng);
            uut.opcode.next = (c.opcode as u64).to_bits();
            uut.flags.next = (c.flags as u64).to_bits();
            uut.nr_pages.next = (c.nr_pages as u64).to_bits();
            uut.slot.next = (c.slot as u64).to_bits();
            uut.len.next = (c.len as u64).to_bits();
            settle(&mut uut);
            let (act, status, fin, first) = model(&c);
            seen.insert((act, status as u8));
            assert_eq!(uut.act.val().to_u64(), act, "{c:?}");
            assert_eq!(uut.cmd_bump.val(), first.is_some(), "{c:?}");
            if let Some(ctr) = first {
                assert_eq!(uut.cmd_idx.val().to_u64(), ctr as u64, "{c:?}");
            }
            if act == ACT_FINISH {
                assert_eq!(uut.status.val().to_u64(), status as u64, "{c:?}");
                assert_eq!(uut.fin_bump.val(), fin.is_some(), "{c:?}");
                if let Some(ctr) = fin {
                    assert_eq!(uut.fin_idx.val().to_u64(), ctr as u64, "{c:?}");
                }
            } else {
                assert!(!uut.fin_bump.val(), "{c:?}");
            }
            assert_eq!(uut.raw.val(), c.flags & CMD_FLAG_RAW_FRAME != 0);
            assert_eq!(uut.exclusive.val(), c.flags & CMD_FLAG_EXCLUSIVE != 0);
            assert_eq!(
                uut.writeback.val(),
                c.opcode == Opcode::ReadForWriteback as u8
            );
        }
        // Every outcome was reached.
        for want in [
            (ACT_FINISH, Status::Ok as u8),
            (ACT_FINISH, Status::BadCommand as u8),
            (ACT_FINISH, Status::BadSlot as u8),
            (ACT_FINISH, Status::BufferTooSmall as u8),
            (ACT_STORE, 0),
            (ACT_LOAD, 0),
            (ACT_INVALIDATE, 0),
            (ACT_STATS, 0),
            (ACT_RESET, 0),
        ] {
            assert!(seen.contains(&want), "never decoded {want:?}");
        }
    }

    #[test]
    fn decode_verilog_lints() {
        let mut uut = CmdDecode::new(MAX_NR, MAX_SLOTS);
        uut.connect_all();
        lint("exec_decode", &uut);
    }
}
