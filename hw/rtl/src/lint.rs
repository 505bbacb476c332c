//! Verilog lint: every core's generated Verilog must pass
//! `verilator --lint-only -Wall` with no warning. The one rule waived is
//! DECLFILENAME: the file is named after the core, the module is always `top`.

use std::path::PathBuf;
use std::process::Command;

/// Lints `verilog` (a module named `top`) with Verilator; returns its output on failure.
pub fn lint_verilog(name: &str, verilog: &str) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("pagepress-lint-{}-{}", name, std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file: PathBuf = dir.join(format!("{name}.v"));
    let waived = format!("/* verilator lint_off DECLFILENAME */\n{verilog}");
    std::fs::write(&file, waived).map_err(|e| e.to_string())?;
    let out = Command::new("verilator")
        .args(["--lint-only", "-Wall", "--top-module", "top"])
        .arg(&file)
        .output()
        .map_err(|e| {
            format!("cannot run verilator (install it: apt-get install verilator): {e}")
        })?;
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() && out.stderr.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "verilator lint of {name} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}
