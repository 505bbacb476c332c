//! The register map as data, and its rendering as `docs/regmap.md`.
//!
//! `render` is the only writer of that document; a test in this crate fails when
//! the checked-in copy differs (`PAGEPRESS_BLESS=1 cargo test -p pagepress-abi`
//! rewrites it).

use crate::desc::{COMMAND_SIZE, COMPLETION_SIZE, Opcode};
use crate::regs::{self, caps, control, header, identity, queues, stats};
use crate::stats::StatCounter;
use crate::status::Status;
use core::fmt::{self, Write};

/// Who may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Ro,
    Rw,
    Wo,
}

impl Access {
    const fn name(self) -> &'static str {
        match self {
            Access::Ro => "RO",
            Access::Rw => "RW",
            Access::Wo => "WO",
        }
    }
}

/// One register of a block (offset relative to the block base).
#[derive(Clone, Copy, Debug)]
pub struct RegDef {
    pub name: &'static str,
    pub offset: u32,
    pub access: Access,
    pub doc: &'static str,
}

/// One register block of the chain.
#[derive(Clone, Copy, Debug)]
pub struct BlockDef {
    pub name: &'static str,
    pub block_type: u32,
    pub version: u32,
    pub base: u32,
    pub regs: &'static [RegDef],
}

const fn r(name: &'static str, offset: u32, access: Access, doc: &'static str) -> RegDef {
    RegDef {
        name,
        offset,
        access,
        doc,
    }
}

const HEADER: [RegDef; 3] = [
    r("TYPE", header::TYPE, Access::Ro, "block type"),
    r("VERSION", header::VERSION, Access::Ro, "block version"),
    r(
        "NEXT",
        header::NEXT,
        Access::Ro,
        "BAR0 offset of the next block, 0 = end",
    ),
];

/// The blocks in chain order.
pub const BLOCKS: [BlockDef; 5] = [
    BlockDef {
        name: "IDENTITY",
        block_type: regs::BLOCK_TYPE_IDENTITY,
        version: 1,
        base: regs::IDENTITY_BASE,
        regs: &[
            HEADER[0],
            HEADER[1],
            HEADER[2],
            r(
                "MAGIC",
                identity::MAGIC,
                Access::Ro,
                "0x50475052 (\"PGPR\")",
            ),
            r(
                "ABI_VERSION",
                identity::ABI_VERSION,
                Access::Ro,
                "major << 16 \\| minor",
            ),
            r(
                "DEVICE_KIND",
                identity::DEVICE_KIND,
                Access::Ro,
                "1 soft model, 2 Verilator, 3 FPGA",
            ),
            r(
                "BUILD_ID",
                identity::BUILD_ID,
                Access::Ro,
                "model/RTL revision",
            ),
        ],
    },
    BlockDef {
        name: "CAPS",
        block_type: regs::BLOCK_TYPE_CAPS,
        version: 1,
        base: regs::CAPS_BASE,
        regs: &[
            HEADER[0],
            HEADER[1],
            HEADER[2],
            r("NUM_QUEUES", caps::NUM_QUEUES, Access::Ro, "queue pairs"),
            r(
                "MAX_QUEUE_LOG2",
                caps::MAX_QUEUE_LOG2,
                Access::Ro,
                "log2 of the largest ring",
            ),
            r(
                "DEVMEM_SIZE_LO",
                caps::DEVMEM_SIZE_LO,
                Access::Ro,
                "device memory bytes, low word",
            ),
            r(
                "DEVMEM_SIZE_HI",
                caps::DEVMEM_SIZE_HI,
                Access::Ro,
                "device memory bytes, high word",
            ),
            r(
                "MAX_SLOTS",
                caps::MAX_SLOTS,
                Access::Ro,
                "slots the index holds",
            ),
            r(
                "MAX_NR_PAGES",
                caps::MAX_NR_PAGES,
                Access::Ro,
                "largest nr_pages per command",
            ),
            r(
                "CODEC_PARAMS",
                caps::CODEC_PARAMS,
                Access::Ro,
                "STEP_WIDTH \\| HASH_BITS<<8 \\| MIN_MATCH<<16 \\| PAGE_SHIFT<<24",
            ),
            r(
                "ENGINES",
                caps::ENGINES,
                Access::Ro,
                "compressors [7:0], decompressors [15:8]",
            ),
            r(
                "INDEX_LEVELS",
                caps::INDEX_LEVELS,
                Access::Ro,
                "index levels below the on-chip top",
            ),
            r(
                "ALLOC_UNIT",
                caps::ALLOC_UNIT,
                Access::Ro,
                "device-memory allocation unit, bytes",
            ),
        ],
    },
    BlockDef {
        name: "CONTROL",
        block_type: regs::BLOCK_TYPE_CONTROL,
        version: 1,
        base: regs::CONTROL_BASE,
        regs: &[
            HEADER[0],
            HEADER[1],
            HEADER[2],
            r(
                "CTRL",
                control::CTRL,
                Access::Rw,
                "bit0 ENABLE, bit1 RESET (self-clearing)",
            ),
            r(
                "STATUS",
                control::STATUS,
                Access::Ro,
                "bit0 READY, bit1 FATAL",
            ),
            r(
                "IRQ_MASK",
                control::IRQ_MASK,
                Access::Rw,
                "bit n masks queue n's interrupt",
            ),
            r(
                "FATAL_CODE",
                control::FATAL_CODE,
                Access::Ro,
                "cause of FATAL, 0 = none",
            ),
        ],
    },
    BlockDef {
        name: "STATS",
        block_type: regs::BLOCK_TYPE_STATS,
        version: 1,
        base: regs::STATS_BASE,
        regs: &[
            HEADER[0],
            HEADER[1],
            HEADER[2],
            r("COUNT", stats::COUNT, Access::Ro, "number of counters"),
            r(
                "COUNTERS",
                stats::COUNTERS,
                Access::Ro,
                "counter n at COUNTERS + 8n (LO, HI)",
            ),
        ],
    },
    BlockDef {
        name: "QUEUES",
        block_type: regs::BLOCK_TYPE_QUEUES,
        version: 1,
        base: regs::QUEUES_BASE,
        regs: &[
            HEADER[0],
            HEADER[1],
            HEADER[2],
            r("COUNT", queues::COUNT, Access::Ro, "queue windows"),
            r(
                "STRIDE",
                queues::STRIDE,
                Access::Ro,
                "bytes between queue windows (0x40)",
            ),
        ],
    },
];

/// The NEXT value of block `i` of [`BLOCKS`] (0 for the last).
pub const fn block_next(i: usize) -> u32 {
    if i + 1 < BLOCKS.len() {
        BLOCKS[i + 1].base
    } else {
        0
    }
}

/// Registers of one queue window (offsets relative to the window).
pub const QUEUE_REGS: [RegDef; 11] = [
    r(
        "SQ_BASE_LO",
        queues::SQ_BASE_LO,
        Access::Rw,
        "submission ring IOVA, low",
    ),
    r(
        "SQ_BASE_HI",
        queues::SQ_BASE_HI,
        Access::Rw,
        "submission ring IOVA, high",
    ),
    r(
        "SQ_SIZE_LOG2",
        queues::SQ_SIZE_LOG2,
        Access::Rw,
        "log2 submission entries",
    ),
    r(
        "CQ_BASE_LO",
        queues::CQ_BASE_LO,
        Access::Rw,
        "completion ring IOVA, low",
    ),
    r(
        "CQ_BASE_HI",
        queues::CQ_BASE_HI,
        Access::Rw,
        "completion ring IOVA, high",
    ),
    r(
        "CQ_SIZE_LOG2",
        queues::CQ_SIZE_LOG2,
        Access::Rw,
        "log2 completion entries",
    ),
    r(
        "ENABLE",
        queues::ENABLE,
        Access::Rw,
        "bit0: enabled (enabling resets indices and phase)",
    ),
    r(
        "QSTATUS",
        queues::QSTATUS,
        Access::Ro,
        "bit0 enabled, bit1 ring configuration error",
    ),
    r(
        "SQ_TAIL_DB",
        queues::SQ_TAIL_DB,
        Access::Wo,
        "doorbell: new submission tail",
    ),
    r(
        "CQ_HEAD_DB",
        queues::CQ_HEAD_DB,
        Access::Wo,
        "doorbell: new completion head",
    ),
    r(
        "IRQ_VECTOR",
        queues::IRQ_VECTOR,
        Access::Rw,
        "interrupt vector of the completion ring",
    ),
];

/// Writes the register map as Markdown.
pub fn render(w: &mut impl Write) -> fmt::Result {
    writeln!(w, "# pagepress register map and descriptors")?;
    writeln!(w)?;
    writeln!(
        w,
        "Generated from `hw/abi` (`pagepress regmap`); do not edit. ABI version {}.{}, BAR0 size 0x{:x}.",
        crate::ABI_VERSION_MAJOR,
        crate::ABI_VERSION_MINOR,
        regs::BAR0_SIZE
    )?;
    writeln!(w)?;
    writeln!(w, "## BAR0 register blocks")?;
    writeln!(w)?;
    writeln!(
        w,
        "A chain from offset 0: every block starts with TYPE, VERSION, NEXT. All registers are 32-bit."
    )?;
    for (i, b) in BLOCKS.iter().enumerate() {
        writeln!(w)?;
        writeln!(
            w,
            "### {} (type {}, version {}, base 0x{:04x}, next 0x{:04x})",
            b.name,
            b.block_type,
            b.version,
            b.base,
            block_next(i)
        )?;
        writeln!(w)?;
        writeln!(w, "| offset | BAR0 | name | access | meaning |")?;
        writeln!(w, "|---|---|---|---|---|")?;
        for reg in b.regs.iter() {
            writeln!(
                w,
                "| 0x{:02x} | 0x{:04x} | {} | {} | {} |",
                reg.offset,
                b.base + reg.offset,
                reg.name,
                reg.access.name(),
                reg.doc
            )?;
        }
    }
    writeln!(w)?;
    writeln!(
        w,
        "### Queue window n (at QUEUES base + 0x{:02x} + n * 0x{:02x}, up to {} queues)",
        queues::FIRST,
        queues::STRIDE_BYTES,
        queues::MAX_QUEUES
    )?;
    writeln!(w)?;
    writeln!(w, "| offset | queue 0 BAR0 | name | access | meaning |")?;
    writeln!(w, "|---|---|---|---|---|")?;
    for reg in QUEUE_REGS.iter() {
        writeln!(
            w,
            "| 0x{:02x} | 0x{:04x} | {} | {} | {} |",
            reg.offset,
            queues::reg(0, reg.offset),
            reg.name,
            reg.access.name(),
            reg.doc
        )?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "### Statistics counters (STATS block and STATS command, in this order)"
    )?;
    writeln!(w)?;
    writeln!(w, "| index | BAR0 (LO) | name |")?;
    writeln!(w, "|---|---|---|")?;
    for c in StatCounter::ALL.iter() {
        writeln!(
            w,
            "| {} | 0x{:04x} | {} |",
            *c as u8,
            regs::STATS_BASE + c.reg_offset(),
            c.name()
        )?;
    }
    writeln!(w)?;
    writeln!(w, "## Descriptors (little-endian)")?;
    writeln!(w)?;
    writeln!(w, "Command: {} bytes.", COMMAND_SIZE)?;
    writeln!(w)?;
    writeln!(w, "| offset | field | type | meaning |")?;
    writeln!(w, "|---|---|---|---|")?;
    for (off, name, ty, doc) in [
        (0, "opcode", "u8", "see opcodes"),
        (
            1,
            "flags",
            "u8",
            "bit0 EXCLUSIVE (LOAD), bit1 RAW_FRAME (LOAD)",
        ),
        (2, "cid", "u16", "command id, echoed in the completion"),
        (
            4,
            "nr_pages",
            "u16",
            "pages (consecutive slots, contiguous host memory)",
        ),
        (6, "rsvd", "u16", "0"),
        (8, "slot", "u32", "first slot"),
        (12, "rsvd", "u32", "0"),
        (16, "addr", "u64", "host DMA address (IOVA)"),
        (24, "len", "u32", "buffer bytes (RAW_FRAME loads, STATS)"),
        (28, "rsvd", "u32", "0"),
    ] {
        writeln!(w, "| {} | {} | {} | {} |", off, name, ty, doc)?;
    }
    writeln!(w)?;
    writeln!(w, "Completion: {} bytes.", COMPLETION_SIZE)?;
    writeln!(w)?;
    writeln!(w, "| offset | field | type | meaning |")?;
    writeln!(w, "|---|---|---|---|")?;
    for (off, name, ty, doc) in [
        (0, "cid", "u16", "the command's cid"),
        (2, "status", "u8", "see status codes"),
        (3, "flags", "u8", "bit0 PHASE"),
        (
            4,
            "sq_head",
            "u16",
            "device's submission head after this command",
        ),
        (6, "sq_id", "u16", "submission queue"),
        (
            8,
            "result",
            "u32",
            "STORE: compressed bytes; LOAD RAW_FRAME: frame bytes; INVALIDATE: entries removed",
        ),
        (
            12,
            "info",
            "u32",
            "STORE ok: same-filled pages; on error: index of the failing page",
        ),
    ] {
        writeln!(w, "| {} | {} | {} | {} |", off, name, ty, doc)?;
    }
    writeln!(w)?;
    writeln!(w, "## Opcodes")?;
    writeln!(w)?;
    writeln!(w, "| code | name |")?;
    writeln!(w, "|---|---|")?;
    for op in Opcode::ALL.iter() {
        writeln!(w, "| {} | {} |", *op as u8, op.name())?;
    }
    writeln!(w)?;
    writeln!(w, "## Status codes")?;
    writeln!(w)?;
    writeln!(w, "| code | name | meaning |")?;
    writeln!(w, "|---|---|---|")?;
    for s in Status::ALL.iter() {
        writeln!(w, "| {} | {} | {} |", *s as u8, s.name(), s.doc())?;
    }
    writeln!(w)?;
    writeln!(w, "## Codec parameters")?;
    writeln!(w)?;
    writeln!(w, "| name | value |")?;
    writeln!(w, "|---|---|")?;
    use crate::format as f;
    for (name, value) in [
        ("PAGE_SIZE", f::PAGE_SIZE as u32),
        ("STEP_WIDTH (W)", f::STEP_WIDTH as u32),
        ("HASH_BITS", f::HASH_BITS),
        ("MIN_MATCH", f::MIN_MATCH as u32),
        ("WINDOW_SIZE", f::WINDOW_SIZE as u32),
        ("FILL_WORD_BYTES", f::FILL_WORD_BYTES as u32),
        ("MAX_FRAME_SIZE", f::MAX_FRAME_SIZE as u32),
    ] {
        writeln!(w, "| {} | {} |", name, value)?;
    }
    writeln!(w, "| HASH_MULTIPLIER | 0x{:08x} |", f::HASH_MULTIPLIER)?;
    writeln!(w, "| CODEC_PARAMS | 0x{:08x} |", f::CODEC_PARAMS)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::string::String;

    #[test]
    fn regmap_doc_is_fresh() {
        let mut s = String::new();
        super::render(&mut s).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/regmap.md");
        if std::env::var_os("PAGEPRESS_BLESS").is_some() {
            std::fs::write(path, &s).unwrap();
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == s,
            "docs/regmap.md is stale: run `PAGEPRESS_BLESS=1 cargo test -p pagepress-abi`"
        );
    }

    #[test]
    fn blocks_do_not_overlap_and_fit_bar0() {
        let b = &super::BLOCKS;
        for i in 0..b.len() {
            let end = b[i].base + b[i].regs.iter().map(|r| r.offset + 4).max().unwrap();
            assert!(end <= crate::regs::BAR0_SIZE);
            if i + 1 < b.len() {
                assert!(
                    end <= b[i + 1].base,
                    "{} overlaps {}",
                    b[i].name,
                    b[i + 1].name
                );
            }
        }
    }
}
