//! The `pagepress run` workload on the whole Verilated device (`--backend
//! sim`): the unmodified driver and swap protocol, every page read back
//! verified, and the device's cycle figures in the JSON.

#![cfg(feature = "rtl")]

use std::process::Command;

#[test]
fn run_on_the_sim_backend_verifies_every_page() {
    let out = Command::new(env!("CARGO_BIN_EXE_pagepress"))
        .args([
            "run",
            "--backend",
            "sim",
            "--ops",
            "1500",
            "--threads",
            "2",
            "--ram",
            "1M",
            "--working-set",
            "4M",
            "--device-mem",
            "2M",
            "--json",
        ])
        .output()
        .expect("run the pagepress binary");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(j["backend"], "sim");
    assert!(j["pages_verified"].as_u64().unwrap() > 0);
    assert_eq!(j["pages_corrupted"], 0);
    assert_eq!(j["pages_lost"], 0);
    assert_eq!(j["violations"], 0);
    let sim = &j["sim"];
    assert!(sim["device_cycles"].as_u64().unwrap() > 0);
    assert!(sim["store_cycles_p50"].as_u64().unwrap() > 0);
    assert!(sim["load_cycles_p50"].as_u64().unwrap() > 0);
    assert_eq!(sim["clock_mhz"], 250);
}

#[test]
fn sim_backend_refuses_more_than_its_device_has() {
    let out = Command::new(env!("CARGO_BIN_EXE_pagepress"))
        .args([
            "run",
            "--backend",
            "sim",
            "--device-mem",
            "1G",
            "--ops",
            "10",
        ])
        .output()
        .expect("run the pagepress binary");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Verilated device has"), "{err}");
}
