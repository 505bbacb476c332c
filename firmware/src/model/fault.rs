//! Deterministic fault injection for the soft device.
//!
//! A [`FaultRule`] picks commands (by opcode and/or a slot their range covers)
//! and fires on the `nth` matching command counted from when the rule was
//! installed (1-based), or on every one from the `nth` on when `repeat`.

use pagepress_abi::Opcode;
use pagepress_abi::desc::CMD_FLAG_RAW_FRAME;
use std::time::Duration;

/// What a firing rule does to the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// STORE: the allocator reports no space (the failure path of a full
    /// device: nothing stored, older entries of the range removed).
    NoSpace,
    /// The command's host-memory access (pages or buffer) faults.
    DmaFault,
    /// LOAD / READ_FOR_WRITEBACK: the decompressor reports CORRUPT for the
    /// rule's slot. A `RAW_FRAME` load is not affected (it bypasses the
    /// decompressor), so the host can fetch the frame and decode it itself.
    Corrupt,
    /// The command runs but its completion is never posted.
    DropCompletion,
    /// The command runs; its completion is posted after this long (the queue
    /// stalls meanwhile, as an engine busy on it would).
    DelayCompletion(Duration),
}

/// One fault to inject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRule {
    /// Only commands with this opcode count (`None`: all).
    pub opcode: Option<Opcode>,
    /// Only commands whose slot range covers this slot count.
    pub slot: Option<u32>,
    /// Fires on the nth matching command (1-based).
    pub nth: u64,
    /// Keeps firing on every matching command after the nth.
    pub repeat: bool,
    pub action: FaultAction,
}

impl FaultRule {
    /// The nth STORE from now fails with NO_SPACE.
    pub fn nth_store_no_space(nth: u64) -> Self {
        FaultRule {
            opcode: Some(Opcode::Store),
            slot: None,
            nth,
            repeat: false,
            action: FaultAction::NoSpace,
        }
    }

    /// The nth command from now (any opcode) gets a DMA fault.
    pub fn dma_fault_on_command(nth: u64) -> Self {
        FaultRule {
            opcode: None,
            slot: None,
            nth,
            repeat: false,
            action: FaultAction::DmaFault,
        }
    }

    /// Every decompression of `slot` reports CORRUPT.
    pub fn corrupt_on_load_of_slot(slot: u32) -> Self {
        FaultRule {
            opcode: None,
            slot: Some(slot),
            nth: 1,
            repeat: true,
            action: FaultAction::Corrupt,
        }
    }

    /// The completion of the nth `opcode` command from now is dropped.
    pub fn drop_completion(opcode: Opcode, nth: u64) -> Self {
        FaultRule {
            opcode: Some(opcode),
            slot: None,
            nth,
            repeat: false,
            action: FaultAction::DropCompletion,
        }
    }

    /// The completion of the nth `opcode` command from now is posted `delay` late.
    pub fn delay_completion(opcode: Opcode, nth: u64, delay: Duration) -> Self {
        FaultRule {
            opcode: Some(opcode),
            slot: None,
            nth,
            repeat: false,
            action: FaultAction::DelayCompletion(delay),
        }
    }
}

/// The faults that apply to one command.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct FaultHits {
    pub no_space: bool,
    pub dma_fault: bool,
    /// Slots whose decompression reports CORRUPT (at most one per rule; the
    /// first matching rule's slot wins).
    pub corrupt_slot: Option<u32>,
    pub drop_completion: bool,
    pub delay: Option<Duration>,
}

/// Installed rules and how many commands each has matched.
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    rules: Vec<(FaultRule, u64)>,
}

impl FaultState {
    pub fn new(rules: &[FaultRule]) -> Self {
        FaultState {
            rules: rules.iter().map(|r| (r.clone(), 0)).collect(),
        }
    }

    pub fn install(&mut self, rule: FaultRule) {
        self.rules.push((rule, 0));
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Counts `cmd` against every rule and returns the faults that fire.
    pub fn hits(&mut self, opcode: u8, flags: u8, slot: u32, nr_pages: u16) -> FaultHits {
        let mut hits = FaultHits::default();
        for (rule, matched) in &mut self.rules {
            if rule.opcode.is_some_and(|op| op as u8 != opcode) {
                continue;
            }
            if let Some(s) = rule.slot {
                let covers = s >= slot && (s as u64) < slot as u64 + nr_pages.max(1) as u64;
                if !covers {
                    continue;
                }
            }
            if rule.action == FaultAction::Corrupt {
                let decodes = (opcode == Opcode::Load as u8 && flags & CMD_FLAG_RAW_FRAME == 0)
                    || opcode == Opcode::ReadForWriteback as u8;
                if !decodes {
                    continue;
                }
            }
            *matched += 1;
            let fires = *matched == rule.nth || (rule.repeat && *matched >= rule.nth);
            if !fires {
                continue;
            }
            match rule.action {
                FaultAction::NoSpace => hits.no_space = true,
                FaultAction::DmaFault => hits.dma_fault = true,
                FaultAction::Corrupt => {
                    hits.corrupt_slot = hits.corrupt_slot.or(rule.slot);
                }
                FaultAction::DropCompletion => hits.drop_completion = true,
                FaultAction::DelayCompletion(d) => hits.delay = Some(d),
            }
        }
        hits
    }
}
