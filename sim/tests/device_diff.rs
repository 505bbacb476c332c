//! Differential runs of the device: the model against the device under test,
//! command by command (`pagepress_sim::diff`).

use pagepress_firmware::params::SIM_DEVICE;
use pagepress_sim::diff::{DiffRig, ModelTarget, RtlTarget, StreamGen};
use pagepress_sim::pages;

fn input_pages() -> Vec<Box<pagepress_codec::Page>> {
    let mut v: Vec<_> = pages::real(40)
        .unwrap_or_default()
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    v.extend(pages::synthetic(4).into_iter().map(|(_, p)| p));
    v.extend(pages::generated(2).into_iter().map(|(_, p)| p));
    v
}

/// The rig itself: two instances of the model agree on a long stream, and
/// the stream reaches every status the device can return.
#[test]
fn model_against_itself_agrees_and_covers_every_path() {
    let a = ModelTarget::new("model", &SIM_DEVICE);
    let b = ModelTarget::new("model-2", &SIM_DEVICE);
    let mut rig = DiffRig::new(
        &a,
        &b,
        input_pages(),
        StreamGen::new(7, SIM_DEVICE.max_slots, SIM_DEVICE.max_nr_pages),
    );
    rig.run(3000).unwrap();
    let s = &rig.summary;
    eprintln!("{s:?}");
    for status in pagepress_abi::Status::ALL {
        if status == pagepress_abi::Status::NoSpace {
            continue;
        }
        assert!(
            s.by_status[status as usize] > 0,
            "no {} in the stream",
            status.name()
        );
    }
    assert!(s.corruptions > 0 && s.register_resets > 0);
}

/// Scattered stores fill the index: NO_SPACE paths agree too.
#[test]
fn model_against_itself_agrees_when_the_index_fills() {
    let a = ModelTarget::new("model", &SIM_DEVICE);
    let b = ModelTarget::new("model-2", &SIM_DEVICE);
    let stream = StreamGen::new(11, SIM_DEVICE.max_slots, SIM_DEVICE.max_nr_pages)
        .scattering(90)
        .without_resets();
    let mut rig = DiffRig::new(&a, &b, input_pages(), stream);
    rig.run(4000).unwrap();
    eprintln!("{:?}", rig.summary);
    assert!(rig.summary.by_status[pagepress_abi::Status::NoSpace as usize] > 0);
}

/// Runs `n` commands of `stream` on the model and the Verilated device.
fn rtl_against_model(stream: StreamGen, n: u64) -> pagepress_sim::diff::RunSummary {
    let model = ModelTarget::new("model", &SIM_DEVICE);
    let rtl = RtlTarget::new();
    let mut rig = DiffRig::new(&model, &rtl, input_pages(), stream);
    let r = rig.run(n);
    if let Some(f) = rtl.failure() {
        panic!("the device failed: {f}");
    }
    r.unwrap();
    let st = rtl.stats();
    eprintln!("{:?}\ndevice cycles {}", rig.summary, st.device_cycles);
    rig.summary
}

/// The device RTL gives the model's completions, pages and counters for a
/// long random stream of every opcode, batch sizes, error paths, device-memory
/// corruption and resets with commands queued.
#[test]
fn rtl_matches_the_model_command_by_command() {
    let n = if std::env::var_os("PAGEPRESS_SOAK").is_some() {
        100_000
    } else {
        10_000
    };
    let s = rtl_against_model(
        StreamGen::new(2026, SIM_DEVICE.max_slots, SIM_DEVICE.max_nr_pages),
        n,
    );
    for status in pagepress_abi::Status::ALL {
        if status == pagepress_abi::Status::NoSpace {
            continue;
        }
        assert!(
            s.by_status[status as usize] > 0,
            "no {} in the stream",
            status.name()
        );
    }
}

/// Scattered stores until the index is full: NO_SPACE and its rollback agree.
#[test]
fn rtl_matches_the_model_when_the_index_fills() {
    let s = rtl_against_model(
        StreamGen::new(12, SIM_DEVICE.max_slots, SIM_DEVICE.max_nr_pages)
            .scattering(90)
            .without_resets(),
        3000,
    );
    assert!(s.by_status[pagepress_abi::Status::NoSpace as usize] > 0);
}
