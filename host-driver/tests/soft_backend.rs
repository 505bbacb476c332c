//! The soft device through the driver: data path, every status code, counters,
//! register chain, and refusal of an incompatible device.

#![forbid(unsafe_code)]

use pagepress::backend::{BackendKind, DeviceConfig, open, open_soft};
use pagepress::device::client::walk_chain;
use pagepress::device::queue::Request;
use pagepress::device::{ClientConfig, DeviceClient, DeviceError};
use pagepress::pool::{CompressedPool, PoolError};
use pagepress_abi::desc::{CMD_FLAG_EXCLUSIVE, CMD_FLAG_RAW_FRAME};
use pagepress_abi::format::{MAX_FRAME_SIZE, PAGE_SIZE};
use pagepress_abi::regmap::BLOCKS;
use pagepress_abi::stats::StatCounter;
use pagepress_abi::{Opcode, Status};
use pagepress_firmware::model::{SoftConfig, SoftDevice};
use pagepress_pcie::DeviceBackend;
use std::sync::Arc;

/// A compressible page that differs per `seed` (text-like: words from a small
/// vocabulary).
fn text_page(seed: u64) -> Vec<u8> {
    // The shared synthetic text class, stamped with the seed so pages differ.
    let mut p = pagepress_codec::corpus::SyntheticClass::Text
        .page(seed)
        .to_vec();
    p[..8].copy_from_slice(&seed.to_le_bytes());
    p
}

/// A page of pseudo-random bytes (does not compress).
fn random_page(seed: u64) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    (0..PAGE_SIZE)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 24) as u8
        })
        .collect()
}

fn filled_page(word: u64) -> Vec<u8> {
    word.to_le_bytes()
        .iter()
        .copied()
        .cycle()
        .take(PAGE_SIZE)
        .collect()
}

fn small_soft() -> SoftConfig {
    SoftConfig {
        devmem_bytes: 4 << 20,
        max_slots: 1 << 16,
        num_queues: 2,
        ..SoftConfig::default()
    }
}

fn open_small() -> (Arc<DeviceClient>, Arc<SoftDevice>) {
    open_soft(small_soft(), &ClientConfig::default()).expect("open soft device")
}

#[test]
fn open_soft_backend_round_trips_pages() {
    let pool = open(BackendKind::Soft, &DeviceConfig::default())
        .expect("soft backend opens")
        .pool;
    let pages = [
        text_page(1),
        filled_page(0),
        filled_page(0xdead_beef_0102_0304),
    ];
    for (i, p) in pages.iter().enumerate() {
        pool.store(100 + i as u32, p).unwrap();
    }
    for (i, p) in pages.iter().enumerate() {
        let mut out = vec![0u8; PAGE_SIZE];
        pool.load(100 + i as u32, &mut out, false).unwrap();
        assert_eq!(&out, p, "page {i}");
    }
    let st = pool.stats().unwrap();
    assert_eq!(st.get(StatCounter::Entries), 3);
    assert_eq!(st.get(StatCounter::SameFilledPages), 2);
    assert_eq!(st.get(StatCounter::StoredPages), 3);
    assert!(st.get(StatCounter::IndexAccesses) > 0);
}

#[test]
fn unavailable_backends_report_what_is_missing() {
    #[cfg(not(feature = "rtl"))]
    {
        let e = open(BackendKind::Sim, &DeviceConfig::default())
            .err()
            .unwrap();
        assert!(e.contains("--features rtl"), "{e}");
    }
    let e = open(BackendKind::Vfio, &DeviceConfig::default())
        .err()
        .unwrap();
    assert!(e.contains("VFIO"), "{e}");
}

/// The sim backend: the same driver over the whole Verilated device.
#[cfg(feature = "rtl")]
#[test]
fn sim_backend_round_trips_pages_through_the_rtl_device() {
    let cfg = DeviceConfig {
        devmem_bytes: 1 << 20,
        max_slots: 1 << 12,
        queues: 1,
        queue_log2: 3,
    };
    let opened = open(BackendKind::Sim, &cfg).expect("sim backend opens");
    let pool = opened.pool;
    let pages: Vec<Vec<u8>> = (0..4).map(|i| text_page(500 + i)).collect();
    for (i, p) in pages.iter().enumerate() {
        pool.store(i as u32, p).unwrap();
    }
    pool.store(9, &filled_page(0x11)).unwrap();
    let mut out = vec![0u8; PAGE_SIZE];
    for (i, p) in pages.iter().enumerate() {
        pool.load(i as u32, &mut out, true).unwrap();
        assert_eq!(&out, p, "page {i}");
    }
    pool.load(9, &mut out, false).unwrap();
    assert_eq!(out, filled_page(0x11));
    let st = pool.stats().unwrap();
    assert_eq!(st.get(StatCounter::LoadedPages), 5);
    assert!(st.get(StatCounter::DecompressCycles) > 0);
    assert!(st.get(StatCounter::CompressCycles) > 0);
    assert_eq!(st.get(StatCounter::ErrCorrupt), 0);
    let figures = (opened.sim_figures.expect("sim figures"))();
    assert_eq!(figures.store_cycles.len(), 4 + 1);
    assert_eq!(figures.load_cycles.len(), 5);
    assert!(figures.device_cycles > 0);
}

#[test]
fn store_reports_sizes_and_same_filled_pages_use_no_memory() {
    let (c, _d) = open_small();
    let info = c.store(0, &filled_page(7)).unwrap();
    assert_eq!((info.compressed_bytes, info.same_filled), (0, 1));
    let st = c.stats().unwrap();
    assert_eq!(st.get(StatCounter::DevmemUsed), 0);
    assert_eq!(st.get(StatCounter::Entries), 1);
    let info = c.store(1, &text_page(3)).unwrap();
    assert!(info.compressed_bytes > 0 && (info.compressed_bytes as usize) < PAGE_SIZE);
    let st = c.stats().unwrap();
    assert_eq!(
        st.get(StatCounter::DevmemUsed),
        (info.compressed_bytes as u64).div_ceil(64) * 64
    );
    assert_eq!(
        st.get(StatCounter::StoredBytes),
        info.compressed_bytes as u64
    );
    assert_eq!(st.get(StatCounter::StoredInputBytes), 2 * PAGE_SIZE as u64);
    // Same-filled entries are invalidated like any other.
    assert_eq!(c.invalidate(0, 2).unwrap(), 2);
    let st = c.stats().unwrap();
    assert_eq!(st.get(StatCounter::Entries), 0);
    assert_eq!(st.get(StatCounter::DevmemUsed), 0);
    assert_eq!(st.get(StatCounter::InvalidatedPages), 2);
}

#[test]
fn multi_page_store_and_exclusive_load() {
    let (c, _d) = open_small();
    let mut pages = Vec::new();
    for i in 0..16 {
        pages.extend_from_slice(&if i % 3 == 0 {
            filled_page(i)
        } else {
            text_page(i)
        });
    }
    let info = c.store(32, &pages).unwrap();
    assert_eq!(info.same_filled, 6);
    let mut out = vec![0u8; pages.len()];
    c.load(32, &mut out, true).unwrap();
    assert_eq!(out, pages);
    // Exclusive: gone now.
    assert_eq!(
        c.load(32, &mut out[..PAGE_SIZE], false),
        Err(PoolError::NotFound { page: 0 })
    );
    assert_eq!(c.stats().unwrap().get(StatCounter::Entries), 0);
}

#[test]
fn requests_above_max_nr_pages_are_split_and_stay_all_or_nothing() {
    let soft = SoftConfig {
        max_nr_pages: 4,
        ..small_soft()
    };
    let (c, _d) = open_soft(soft, &ClientConfig::default()).unwrap();
    let mut pages = Vec::new();
    for i in 0..10 {
        pages.extend_from_slice(&text_page(100 + i));
    }
    c.store(0, &pages).unwrap();
    let mut out = vec![0u8; pages.len()];
    c.load(0, &mut out, false).unwrap();
    assert_eq!(out, pages);
    // Page 9 does not compress: the whole 10-page store fails, nothing remains.
    pages[9 * PAGE_SIZE..].copy_from_slice(&random_page(9));
    assert_eq!(
        c.store(0, &pages),
        Err(PoolError::Incompressible { page: 9 })
    );
    assert_eq!(c.stats().unwrap().get(StatCounter::Entries), 0);
    assert!(
        c.host_counters()
            .iter()
            .any(|&(n, v)| n == "split_request" && v >= 3)
    );
}

#[test]
fn read_for_writeback_counts_writeback_and_keeps_the_entry() {
    let (c, _d) = open_small();
    let p = text_page(42);
    c.store(5, &p).unwrap();
    let mut out = vec![0u8; PAGE_SIZE];
    c.read_for_writeback(5, &mut out).unwrap();
    assert_eq!(out, p);
    let st = c.stats().unwrap();
    assert_eq!(st.get(StatCounter::WritebackPages), 1);
    assert_eq!(st.get(StatCounter::LoadedPages), 0);
    assert_eq!(st.get(StatCounter::Entries), 1);
}

#[test]
fn every_status_code_path() {
    let (c, d) = open_small();
    let max = c.max_slots();
    // OK (NOP).
    c.nop().unwrap();
    // INCOMPRESSIBLE removes the older entry of the slot.
    c.store(3, &text_page(3)).unwrap();
    assert_eq!(
        c.store(3, &random_page(3)),
        Err(PoolError::Incompressible { page: 0 })
    );
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(
        c.load(3, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
    // NO_SPACE (injected) removes the older entry too.
    c.store(4, &text_page(4)).unwrap();
    d.inject(pagepress_firmware::model::FaultRule::nth_store_no_space(1));
    assert_eq!(
        c.store(4, &text_page(44)),
        Err(PoolError::NoSpace { page: 0 })
    );
    assert_eq!(
        c.load(4, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
    // NOT_FOUND names the first missing page; nothing is removed.
    c.store(10, &text_page(10)).unwrap();
    let mut two = vec![0u8; 2 * PAGE_SIZE];
    assert_eq!(
        c.load(10, &mut two, true),
        Err(PoolError::NotFound { page: 1 })
    );
    c.load(10, &mut out, false).unwrap();
    assert_eq!(out, text_page(10));
    // BAD_SLOT.
    assert_eq!(c.store(max, &text_page(1)), Err(PoolError::BadSlot));
    assert_eq!(c.load(max - 1, &mut two, false), Err(PoolError::BadSlot));
    assert_eq!(c.invalidate(max, 1), Err(PoolError::BadSlot));
    // BAD_COMMAND: unknown flags, nr_pages 0, RAW_FRAME with 2 pages.
    let raw = |op, req| c.raw_command(op, req, None).unwrap().status;
    let bad = Status::BadCommand as u8;
    assert_eq!(
        raw(
            Opcode::Load,
            Request {
                flags: 0x80,
                slot: 10,
                nr_pages: 1,
                ..Default::default()
            }
        ),
        bad
    );
    assert_eq!(
        raw(
            Opcode::Invalidate,
            Request {
                slot: 10,
                nr_pages: 0,
                ..Default::default()
            }
        ),
        bad
    );
    assert_eq!(
        raw(
            Opcode::Load,
            Request {
                flags: CMD_FLAG_RAW_FRAME,
                slot: 10,
                nr_pages: 2,
                ..Default::default()
            }
        ),
        bad
    );
    assert_eq!(
        raw(
            Opcode::Store,
            Request {
                flags: CMD_FLAG_EXCLUSIVE,
                slot: 10,
                nr_pages: 1,
                ..Default::default()
            }
        ),
        bad
    );
    // DMA_FAULT: a LOAD with no buffer (address 0).
    assert_eq!(
        raw(
            Opcode::Load,
            Request {
                slot: 10,
                nr_pages: 1,
                ..Default::default()
            }
        ),
        Status::DmaFault as u8
    );
    // BUFFER_TOO_SMALL: RAW_FRAME into 8 bytes; result is the frame length.
    let c2 = c
        .raw_command(
            Opcode::Load,
            Request {
                flags: CMD_FLAG_RAW_FRAME,
                slot: 10,
                nr_pages: 1,
                len: 8,
                output_len: 8,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(c2.status, Status::BufferTooSmall as u8);
    assert!(c2.result > 8 && (c2.result as usize) <= MAX_FRAME_SIZE);
    // RAW_FRAME with room returns a frame that decodes to the page.
    let mut frame = vec![0u8; MAX_FRAME_SIZE];
    let c3 = c
        .raw_command(
            Opcode::Load,
            Request {
                flags: CMD_FLAG_RAW_FRAME,
                slot: 10,
                nr_pages: 1,
                len: MAX_FRAME_SIZE as u32,
                output_len: MAX_FRAME_SIZE,
                ..Default::default()
            },
            Some(&mut frame),
        )
        .unwrap();
    assert_eq!(c3.status, Status::Ok as u8);
    let mut page = [0u8; PAGE_SIZE];
    pagepress_codec::decompress_page(&frame[..c3.result as usize], &mut page).unwrap();
    assert_eq!(&page[..], &text_page(10)[..]);
    // CORRUPT without fallback: a damaged frame is reported, CPU decode fails too.
    assert!(d.corrupt_stored_frame(10, 0));
    let e = c.load(10, &mut out, false).unwrap_err();
    assert_eq!(e, PoolError::Corrupt { page: 0 });
    let st = c.stats().unwrap();
    for counter in [
        StatCounter::RejectIncompressible,
        StatCounter::RejectNoSpace,
        StatCounter::ErrNotFound,
        StatCounter::ErrBadSlot,
        StatCounter::ErrDmaFault,
        StatCounter::ErrCorrupt,
        StatCounter::ErrBadCommand,
    ] {
        assert!(st.get(counter) >= 1, "{counter:?} not counted");
    }
}

#[test]
fn register_chain_walk_finds_every_block() {
    let dev = SoftDevice::new(small_soft());
    let blocks = walk_chain(&*dev).unwrap();
    assert_eq!(blocks.len(), BLOCKS.len());
    for (b, def) in blocks.iter().zip(BLOCKS.iter()) {
        assert_eq!(
            (b.block_type, b.version, b.base),
            (def.block_type, def.version, def.base)
        );
    }
    let c = DeviceClient::open(dev.clone(), &ClientConfig::default()).unwrap();
    assert_eq!(c.caps().alloc_unit, 64);
    assert_eq!(c.caps().max_slots, 1 << 16);
    assert_eq!(c.caps().devmem_bytes, 4 << 20);
    assert!(c.caps().index_levels >= 1);
    // STATS registers agree with the STATS command.
    c.store(1, &text_page(1)).unwrap();
    let by_cmd = c.stats().unwrap();
    let by_reg = c.stats_from_registers();
    assert_eq!(by_reg.get(StatCounter::StoredPages), 1);
    assert_eq!(
        by_reg.get(StatCounter::Entries),
        by_cmd.get(StatCounter::Entries)
    );
    assert_eq!(dev.name(), "soft");
}

#[test]
fn incompatible_devices_are_refused() {
    let open_with = |soft: SoftConfig| {
        let dev = SoftDevice::new(soft);
        DeviceClient::open(dev, &ClientConfig::default()).err()
    };
    let major = pagepress_abi::ABI_VERSION_MAJOR;
    let e = open_with(SoftConfig {
        abi_version: (major as u32 + 1) << 16,
        ..small_soft()
    });
    assert!(
        matches!(e, Some(DeviceError::AbiMismatch { device, driver }) if device == major + 1 && driver == major),
        "{e:?}"
    );
    // A newer minor is compatible.
    let e = open_with(SoftConfig {
        abi_version: pagepress_abi::ABI_VERSION + 1,
        ..small_soft()
    });
    assert!(e.is_none(), "{e:?}");
    let e = open_with(SoftConfig {
        codec_params: pagepress_abi::format::CODEC_PARAMS ^ 1,
        ..small_soft()
    });
    assert!(
        matches!(e, Some(DeviceError::CodecMismatch { .. })),
        "{e:?}"
    );
    let e = open_with(SoftConfig {
        magic: 0x1234,
        ..small_soft()
    });
    assert!(
        matches!(e, Some(DeviceError::BadMagic { found: 0x1234, .. })),
        "{e:?}"
    );
}

#[test]
fn reset_command_drops_every_entry() {
    let (c, _d) = open_small();
    for s in 0..8 {
        c.store(s, &text_page(s as u64)).unwrap();
    }
    c.reset_entries().unwrap();
    let st = c.stats().unwrap();
    assert_eq!(st.get(StatCounter::Entries), 0);
    assert_eq!(st.get(StatCounter::DevmemUsed), 0);
    let mut out = vec![0u8; PAGE_SIZE];
    assert_eq!(
        c.load(0, &mut out, false),
        Err(PoolError::NotFound { page: 0 })
    );
}

#[test]
fn device_memory_fills_up_with_no_space_and_recovers() {
    let soft = SoftConfig {
        devmem_bytes: 64 << 10,
        ..small_soft()
    };
    let (c, _d) = open_soft(soft, &ClientConfig::default()).unwrap();
    let mut stored = Vec::new();
    let mut slot = 0;
    let err = loop {
        match c.store(slot, &text_page(slot as u64)) {
            Ok(_) => stored.push(slot),
            Err(e) => break e,
        }
        slot += 1;
        assert!(slot < 1000, "device never filled");
    };
    assert_eq!(err, PoolError::NoSpace { page: 0 });
    // Everything stored before is intact.
    let mut out = vec![0u8; PAGE_SIZE];
    for &s in &stored {
        c.load(s, &mut out, false).unwrap();
        assert_eq!(out, text_page(s as u64));
    }
    // Freeing makes room again.
    c.invalidate(0, slot).unwrap();
    c.store(slot, &text_page(slot as u64)).unwrap();
}
