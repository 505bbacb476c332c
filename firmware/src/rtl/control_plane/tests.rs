use super::*;
use crate::params::SIM_DEVICE;

#[test]
fn control_plane_verilog_lints() {
    let v = control_plane_verilog(&SIM_DEVICE, DeviceKind::Sim);
    pagepress_rtl::lint::lint_verilog(
        "control_plane",
        &format!("/* verilator lint_off DECLFILENAME */\n{v}"),
    )
    .unwrap();
}
