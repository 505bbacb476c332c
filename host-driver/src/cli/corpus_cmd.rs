//! `pagepress corpus capture|build|info`: real-page corpora.

use super::CliResult;
use pagepress::corpus::{BuildOptions, CaptureOptions, Corpus, Workload, build, capture_process};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum CorpusCmd {
    /// Capture the anonymous pages of a live process into a corpus file.
    ///
    /// Reads /proc/PID/maps and the process's memory (process_vm_readv): private
    /// mappings without a file, [heap] and [stack]; only resident or swapped
    /// pages; unreadable ranges are skipped. Needs permission to ptrace PID.
    Capture {
        /// Process to capture.
        #[arg(long)]
        pid: u32,
        /// Corpus file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// Label of the source (default: the process's command name).
        #[arg(long)]
        label: Option<String>,
        /// At most this many pages, evenly spread over the process's memory.
        #[arg(long, default_value_t = 16_384)]
        max_pages: usize,
    },
    /// Build a corpus from programs started for the purpose (Python with
    /// dicts/json/sqlite3, cc1 mid-build, Node.js, Perl), with a cleared
    /// environment.
    Build {
        /// Corpus file to write.
        #[arg(short, long)]
        output: PathBuf,
        /// At most this many pages per source.
        #[arg(long, default_value_t = BuildOptions::default().max_pages_per_source)]
        max_pages_per_source: usize,
        /// Only these workloads (default: all whose program is installed).
        #[arg(long, value_enum, value_delimiter = ',')]
        only: Vec<WorkloadArg>,
        /// Scale of the data each workload builds.
        #[arg(long, default_value_t = 1)]
        scale: u32,
    },
    /// Print the pages per source and the same-filled share of a corpus file.
    Info {
        /// Corpus file to read.
        file: PathBuf,
    },
}

/// A workload of `corpus build --only`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum WorkloadArg {
    Python,
    Compiler,
    Node,
    Perl,
}

impl From<WorkloadArg> for Workload {
    fn from(w: WorkloadArg) -> Workload {
        match w {
            WorkloadArg::Python => Workload::Python,
            WorkloadArg::Compiler => Workload::Compiler,
            WorkloadArg::Node => Workload::Node,
            WorkloadArg::Perl => Workload::Perl,
        }
    }
}

pub fn run(cmd: CorpusCmd) -> CliResult {
    match cmd {
        CorpusCmd::Capture {
            pid,
            output,
            label,
            max_pages,
        } => {
            let label = label.unwrap_or_else(|| {
                std::fs::read_to_string(format!("/proc/{pid}/comm"))
                    .map(|c| c.trim().to_string())
                    .unwrap_or_else(|_| format!("pid {pid}"))
            });
            let src = capture_process(
                pid,
                &label,
                &CaptureOptions {
                    max_pages,
                    resident_only: true,
                },
            )?;
            let mut c = Corpus::new();
            c.push(src);
            c.save(&output)?;
            print_info(&c);
            Ok(())
        }
        CorpusCmd::Build {
            output,
            max_pages_per_source,
            only,
            scale,
        } => {
            let workloads = if only.is_empty() {
                Workload::ALL.to_vec()
            } else {
                only.into_iter().map(Workload::from).collect()
            };
            let opts = BuildOptions {
                workloads,
                max_pages_per_source,
                scale,
            };
            let c = build(&opts, &mut |m| eprintln!("pagepress: corpus: {m}"))?;
            c.save(&output)?;
            print_info(&c);
            Ok(())
        }
        CorpusCmd::Info { file } => {
            let c = Corpus::load(&file)?;
            print_info(&c);
            Ok(())
        }
    }
}

fn print_info(c: &Corpus) {
    let infos = c.info();
    let w = infos
        .iter()
        .map(|i| i.label.len())
        .max()
        .unwrap_or(0)
        .max(6);
    println!(
        "{:<w$}  {:>8}  {:>8}  {:>11}  {:>6}",
        "source", "pages", "zero", "same-filled", "share"
    );
    let (mut pages, mut zero, mut sf) = (0, 0, 0);
    for i in &infos {
        println!(
            "{:<w$}  {:>8}  {:>8}  {:>11}  {:>5.1}%",
            i.label,
            i.pages,
            i.zero,
            i.same_filled,
            100.0 * i.same_filled_share()
        );
        pages += i.pages;
        zero += i.zero;
        sf += i.same_filled;
    }
    println!(
        "{:<w$}  {:>8}  {:>8}  {:>11}  {:>5.1}%",
        "total",
        pages,
        zero,
        sf,
        100.0 * sf as f64 / pages.max(1) as f64
    );
}
