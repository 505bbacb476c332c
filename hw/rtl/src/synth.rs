//! Area figures: `yosys synth_xilinx` (7-series cells) on a core's Verilog.
//!
//! `synth_xilinx -top top -flatten; stat` maps RAMs to RAMB18E1/RAMB36E1 and
//! logic to LUT1..LUT6 / CARRY4 / MUXF7/8 / FD* flops. Generic `synth` would map
//! memories to flops, which says nothing about area. No vendor tool is needed;
//! figures are post-synthesis estimates, not place-and-route results.

use std::process::Command;

/// Cell counts of one synthesized core.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SynthStats {
    /// LUT1..LUT6.
    pub luts: u64,
    /// Distributed-RAM cells (RAM32M, RAM64X1D, ...), each several LUTs.
    pub lutram_cells: u64,
    /// FDRE/FDSE/FDCE/FDPE flops.
    pub ffs: u64,
    /// RAMB36E1 blocks.
    pub bram36: u64,
    /// RAMB18E1 blocks.
    pub bram18: u64,
    /// DSP48E1 slices.
    pub dsps: u64,
    /// CARRY4 chains.
    pub carry4: u64,
    /// Every cell type with its count, as yosys reports them.
    pub cells: Vec<(String, u64)>,
}

impl SynthStats {
    /// Block RAM in RAMB36 equivalents (a RAMB18 is half).
    pub fn bram36_equiv(&self) -> f64 {
        self.bram36 as f64 + self.bram18 as f64 / 2.0
    }

    /// Parses the `stat` report of a flattened design (the last module listed).
    pub fn parse(report: &str) -> Result<SynthStats, String> {
        let start = report
            .rfind("Number of cells:")
            .ok_or("no `Number of cells` in the yosys report")?;
        let mut s = SynthStats::default();
        for line in report[start..].lines().skip(1) {
            let mut it = line.split_whitespace();
            let (Some(cell), Some(n), None) = (it.next(), it.next(), it.next()) else {
                break;
            };
            let Ok(n) = n.parse::<u64>() else { break };
            match cell {
                "LUT1" | "LUT2" | "LUT3" | "LUT4" | "LUT5" | "LUT6" => s.luts += n,
                "FDRE" | "FDSE" | "FDCE" | "FDPE" => s.ffs += n,
                "RAMB36E1" => s.bram36 += n,
                "RAMB18E1" => s.bram18 += n,
                "DSP48E1" => s.dsps += n,
                "CARRY4" => s.carry4 += n,
                c if c.starts_with("RAM") => s.lutram_cells += n,
                _ => {}
            }
            s.cells.push((cell.to_string(), n));
        }
        if s.cells.is_empty() {
            return Err("empty cell list in the yosys report".into());
        }
        Ok(s)
    }
}

/// Synthesizes `verilog` (module `top`) with `yosys synth_xilinx -flatten`.
pub fn synth_xilinx(name: &str, verilog: &str) -> Result<SynthStats, String> {
    let dir = std::env::temp_dir().join(format!("pagepress-synth-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let vfile = dir.join(format!("{name}.v"));
    let stat = dir.join("stat.txt");
    std::fs::write(&vfile, verilog).map_err(|e| e.to_string())?;
    let script = format!(
        "read_verilog {}; synth_xilinx -top top -flatten; tee -q -o {} stat",
        vfile.display(),
        stat.display()
    );
    let out = Command::new("yosys")
        .args(["-q", "-p", &script])
        .output()
        .map_err(|e| format!("cannot run yosys (install it: apt-get install yosys): {e}"))?;
    let report = std::fs::read_to_string(&stat).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(format!(
            "yosys failed on {name}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    SynthStats::parse(&report)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "
=== top ===

   Number of wires:               2044
   Number of cells:               4674
     BUFG                            1
     CARRY4                        318
     FDRE                         1105
     FDSE                            6
     LUT2                          491
     LUT6                          763
     RAM64X1D                        4
     RAMB18E1                        1
     RAMB36E1                        3
";

    #[test]
    fn parses_a_stat_report() {
        let s = SynthStats::parse(REPORT).unwrap();
        assert_eq!(s.luts, 491 + 763);
        assert_eq!(s.ffs, 1111);
        assert_eq!((s.bram36, s.bram18, s.dsps, s.carry4), (3, 1, 0, 318));
        assert_eq!(s.lutram_cells, 4);
        assert_eq!(s.bram36_equiv(), 3.5);
        assert!(SynthStats::parse("nothing").is_err());
    }

    #[test]
    fn synthesizes_a_small_core() {
        use rust_hdl::prelude::*;
        let mut rom = crate::decompressor::CodeRom::literal_lengths();
        rom.connect_all();
        let s = synth_xilinx("code_rom", &generate_verilog(&rom)).unwrap();
        assert!(s.luts > 0 && s.ffs == 0 && s.bram36 == 0, "{s:?}");
    }
}
