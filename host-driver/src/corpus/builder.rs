//! Building a corpus from processes started for the purpose.
//!
//! Each [`Workload`] starts a real program with a cleared environment (only a
//! minimal `PATH`, so nothing of the caller's environment lands in the pages),
//! lets it build up its data, stops it (`SIGSTOP`), captures its anonymous
//! pages, and ends it. Pages are not deduplicated (the corpus keeps the real
//! distribution); each source is capped at `max_pages_per_source`.

use super::CorpusBuildError;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use pagepress_codec::capture::{CaptureOptions, capture_process};
use pagepress_codec::corpus::{Corpus, Source};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `PATH` children run with.
const CHILD_PATH: &str = "/usr/local/bin:/usr/bin:/bin";
/// How long a workload may take to become ready.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A program whose memory the builder captures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Workload {
    /// A Python interpreter holding dicts, strings and lists of records, their
    /// JSON text and parsed copy, and an in-memory sqlite3 database with the
    /// rows loaded and indexed.
    Python,
    /// The C compiler proper (`cc1`) in the middle of an `-O2` build of a
    /// generated C file.
    Compiler,
    /// A Node.js (V8) heap of objects, maps, arrays, strings and JSON.
    Node,
    /// A Perl interpreter holding hashes of arrays and strings.
    Perl,
}

impl Workload {
    pub const ALL: [Workload; 4] = [
        Workload::Python,
        Workload::Compiler,
        Workload::Node,
        Workload::Perl,
    ];

    /// The source label of the workload's pages.
    pub fn label(self) -> &'static str {
        match self {
            Workload::Python => "python3: dicts/lists/strings, json, sqlite3 in memory",
            Workload::Compiler => "cc1: gcc -O2 mid-build of generated C",
            Workload::Node => "node: V8 heap of objects, maps, strings, JSON",
            Workload::Perl => "perl: hashes of arrays, strings",
        }
    }

    /// The program that must be on `PATH` for the workload.
    pub fn program(self) -> &'static str {
        match self {
            Workload::Python => "python3",
            Workload::Compiler => "gcc",
            Workload::Node => "node",
            Workload::Perl => "perl",
        }
    }

    /// Whether the workload's program is installed.
    pub fn available(self) -> bool {
        CHILD_PATH
            .split(':')
            .any(|d| Path::new(d).join(self.program()).is_file())
    }
}

/// What to build.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub workloads: Vec<Workload>,
    /// Cap of pages per source (evenly spread over the process's memory).
    pub max_pages_per_source: usize,
    /// Scales the data the workloads build (1 = the default size).
    pub scale: u32,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            workloads: Workload::ALL.to_vec(),
            max_pages_per_source: 4096,
            scale: 1,
        }
    }
}

/// Builds a corpus from the workloads of `opts`. A workload whose program is
/// missing or that fails is reported through `log` and left out; it is an
/// error only when no source could be captured.
pub fn build(opts: &BuildOptions, log: &mut dyn FnMut(&str)) -> Result<Corpus, CorpusBuildError> {
    let mut corpus = Corpus::new();
    let mut failures = Vec::new();
    for &w in &opts.workloads {
        if !w.available() {
            let msg = format!("{}: `{}` not found, skipped", w.label(), w.program());
            log(&msg);
            failures.push(msg);
            continue;
        }
        let t = Instant::now();
        match run_workload(w, opts) {
            Ok(src) => {
                log(&format!(
                    "{}: {} pages in {:.1} s",
                    src.label(),
                    src.page_count(),
                    t.elapsed().as_secs_f64()
                ));
                corpus.push(src);
            }
            Err(e) => {
                let msg = format!("{}: {e}", w.label());
                log(&msg);
                failures.push(msg);
            }
        }
    }
    if corpus.is_empty() {
        return Err(CorpusBuildError::Nothing(failures.join("; ")));
    }
    Ok(corpus)
}

/// Captures one workload.
pub fn run_workload(w: Workload, opts: &BuildOptions) -> Result<Source, CorpusBuildError> {
    let cap = CaptureOptions {
        max_pages: opts.max_pages_per_source,
        resident_only: true,
    };
    let scale = opts.scale.max(1);
    match w {
        Workload::Python => {
            let script = PYTHON_SCRIPT.replace("@SCALE@", &scale.to_string());
            interpreter(w, Command::new("python3").args(["-c", &script]), &cap)
        }
        Workload::Node => {
            let script = NODE_SCRIPT.replace("@SCALE@", &scale.to_string());
            interpreter(w, Command::new("node").args(["-e", &script]), &cap)
        }
        Workload::Perl => {
            let script = PERL_SCRIPT.replace("@SCALE@", &scale.to_string());
            interpreter(w, Command::new("perl").args(["-e", &script]), &cap)
        }
        Workload::Compiler => compiler(w, scale, &cap),
    }
}

fn werr(w: Workload, msg: impl std::fmt::Display) -> CorpusBuildError {
    CorpusBuildError::Workload {
        what: w.program(),
        msg: msg.to_string(),
    }
}

/// A child that is killed and reaped when dropped.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Stops a process for the duration of a capture.
struct Stopped(Pid);

impl Stopped {
    fn new(pid: u32) -> Result<Stopped, nix::Error> {
        let pid = Pid::from_raw(pid as i32);
        kill(pid, Signal::SIGSTOP)?;
        Ok(Stopped(pid))
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = kill(self.0, Signal::SIGCONT);
    }
}

fn clean(cmd: &mut Command) -> &mut Command {
    cmd.env_clear().env("PATH", CHILD_PATH).env("LC_ALL", "C")
}

/// An interpreter that prints `ready` once its data is built and then waits
/// for its standard input to close.
fn interpreter(
    w: Workload,
    cmd: &mut Command,
    cap: &CaptureOptions,
) -> Result<Source, CorpusBuildError> {
    let mut child = Reaped(
        clean(cmd)
            .current_dir("/")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| werr(w, format!("cannot start: {e}")))?,
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let stdin: ChildStdin = child.0.stdin.take().expect("piped stdin");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let r = BufReader::new(stdout).read_line(&mut line).map(|_| line);
        let _ = tx.send(r);
    });
    match rx.recv_timeout(READY_TIMEOUT) {
        Ok(Ok(line)) if line.trim() == "ready" => {}
        Ok(Ok(line)) => {
            // End the child before reading its stderr, which then reaches EOF.
            let _ = child.0.kill();
            let mut err = String::new();
            if let Some(mut e) = child.0.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            let first = err.lines().last().unwrap_or("").trim().to_string();
            return Err(werr(
                w,
                format!("did not become ready (said {:?}; {first})", line.trim()),
            ));
        }
        Ok(Err(e)) => return Err(werr(w, e)),
        Err(_) => return Err(werr(w, "timed out building its data")),
    }
    let pid = child.0.id();
    let src = {
        let _stop = Stopped::new(pid).map_err(|e| werr(w, e))?;
        capture_process(pid, w.label(), cap)?
    };
    drop(stdin);
    Ok(src)
}

/// `gcc -O2` on a generated C file; `cc1` is captured mid-build.
fn compiler(w: Workload, scale: u32, cap: &CaptureOptions) -> Result<Source, CorpusBuildError> {
    let dir = tempfile::tempdir().map_err(|e| werr(w, e))?;
    let src_path = dir.path().join("gen.c");
    let mut f = std::fs::File::create(&src_path).map_err(|e| werr(w, e))?;
    f.write_all(generate_c(300 * scale as usize).as_bytes())
        .map_err(|e| werr(w, e))?;
    drop(f);
    let gcc = Reaped(
        clean(&mut Command::new("gcc"))
            .args(["-O2", "-pipe", "-c", "gen.c", "-o", "gen.o"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| werr(w, format!("cannot start: {e}")))?,
    );
    let gcc_pid = gcc.0.id();
    // Find cc1 (a child of the driver), let it run into the middle of the
    // build, then capture it stopped.
    let deadline = Instant::now() + READY_TIMEOUT;
    let cc1 = loop {
        if let Some(pid) = child_named(gcc_pid, "cc1") {
            break pid;
        }
        if Instant::now() > deadline {
            return Err(werr(w, "cc1 did not start"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    std::thread::sleep(Duration::from_millis(700));
    let _stop = Stopped::new(cc1).map_err(|_| werr(w, "cc1 finished before the capture"))?;
    let src = capture_process(cc1, w.label(), cap)?;
    if src.page_count() == 0 {
        return Err(werr(w, "cc1 finished before the capture"));
    }
    Ok(src)
}

/// The first process whose parent is `parent` and whose name is `name`.
fn child_named(parent: u32, name: &str) -> Option<u32> {
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u32>().ok());
        if comm == name && ppid == Some(parent) {
            return Some(pid);
        }
    }
    None
}

/// A C translation unit of `n` functions over a few structs: loops, switches,
/// string tables — enough for `cc1 -O2` to build up real compiler state.
fn generate_c(n: usize) -> String {
    let mut s = String::from(
        "#include <stddef.h>\n#include <string.h>\n\
         struct node { struct node *next; int key; double weight; char name[24]; };\n\
         struct table { struct node *slots[64]; size_t count; const char *title; };\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "static const char *names_{i}[] = {{\"alpha_{i}\", \"beta_{i}\", \"gamma_{i}\", \"delta_{i}\"}};\n\
             int insert_{i}(struct table *t, struct node *n, int k) {{\n\
             \tunsigned h = (unsigned)k * 2654435761u + {i}u;\n\
             \tn->key = k ^ {i};\n\
             \tn->weight = (double)k * {i}.5 / (1.0 + (double)(h & 7));\n\
             \tstrncpy(n->name, names_{i}[k & 3], sizeof n->name - 1);\n\
             \tn->next = t->slots[h & 63];\n\
             \tt->slots[h & 63] = n;\n\
             \tt->count++;\n\
             \tint acc = 0;\n\
             \tfor (int j = 0; j < k % 97; j++) {{\n\
             \t\tswitch ((j + {i}) % 7) {{\n\
             \t\tcase 0: acc += j * {i}; break;\n\
             \t\tcase 1: acc ^= (int)(h >> (j & 15)); break;\n\
             \t\tcase 2: acc -= (int)strlen(names_{i}[j & 3]); break;\n\
             \t\tcase 3: acc += t->slots[j & 63] ? t->slots[j & 63]->key : -1; break;\n\
             \t\tcase 4: acc = acc * 31 + j; break;\n\
             \t\tcase 5: for (struct node *p = t->slots[(j * {i}) & 63]; p; p = p->next) acc += p->key; break;\n\
             \t\tdefault: acc += (int)(n->weight * j);\n\
             \t\t}}\n\
             \t}}\n\
             \treturn acc + (int)t->count;\n\
             }}\n"
        ));
    }
    s.push_str("int (*const dispatch[])(struct table *, struct node *, int) = {\n");
    for i in 0..n {
        s.push_str(&format!("\tinsert_{i},\n"));
    }
    s.push_str("};\n");
    s
}

const PYTHON_SCRIPT: &str = r#"
import collections, json, random, sqlite3, sys, textwrap, codecs
scale = @SCALE@
random.seed(1)
text = " ".join(m.__doc__ or "" for m in (json, sqlite3, random, collections, sys, textwrap, codecs, str, dict, list))
vocab = sorted(set(w.strip(".,;:()'\"") for w in text.split() if w.isascii()))
def sentence(n):
    return " ".join(random.choice(vocab) for _ in range(n))
people = []
for i in range(20000 * scale):
    people.append({
        "id": i,
        "name": f"{random.choice(vocab).title()} {random.choice(vocab).title()}",
        "email": f"user{i}@example.org",
        "age": random.randint(18, 90),
        "score": round(random.random() * 100, 3),
        "tags": random.sample(vocab, 3),
        "bio": sentence(random.randint(5, 30)),
        "visits": [random.randint(0, 10**6) for _ in range(random.randint(0, 12))],
    })
by_name = {p["name"]: p for p in people}
by_tag = collections.defaultdict(list)
for p in people:
    for t in p["tags"]:
        by_tag[t].append(p["id"])
blob = json.dumps(people)
parsed = json.loads(blob)
words = collections.Counter(w for p in people for w in p["bio"].split())
db = sqlite3.connect(":memory:")
db.execute("create table person (id integer primary key, name text, email text, age int, score real, bio text)")
db.executemany("insert into person values (?,?,?,?,?,?)",
               ((p["id"], p["name"], p["email"], p["age"], p["score"], p["bio"]) for p in people))
db.execute("create index person_age on person(age)")
db.execute("create table visit (person int, at int)")
db.executemany("insert into visit values (?,?)", ((p["id"], v) for p in people for v in p["visits"]))
db.commit()
summary = db.execute("select age, count(*), avg(score) from person group by age").fetchall()
floats = [random.random() for _ in range(100000 * scale)]
sys.stdout.write("ready\n")
sys.stdout.flush()
sys.stdin.read()
"#;

const NODE_SCRIPT: &str = r#"
const scale = @SCALE@;
let seed = 1;
const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const vocab = Object.getOwnPropertyNames(globalThis).concat(Object.getOwnPropertyNames(Math),
  Object.getOwnPropertyNames(Array.prototype), Object.getOwnPropertyNames(String.prototype));
const pick = () => vocab[Math.floor(rnd() * vocab.length)];
const people = [];
for (let i = 0; i < 30000 * scale; i++) {
  people.push({ id: i, name: pick() + " " + pick(), email: `user${i}@example.org`,
    age: Math.floor(rnd() * 70) + 18, score: rnd() * 100, tags: [pick(), pick(), pick()],
    bio: Array.from({ length: 5 + Math.floor(rnd() * 20) }, pick).join(" ") });
}
const byName = new Map(people.map(p => [p.name, p]));
const blob = JSON.stringify(people);
const parsed = JSON.parse(blob);
const counts = {};
for (const p of people) for (const w of p.bio.split(" ")) counts[w] = (counts[w] || 0) + 1;
const floats = new Float64Array(200000 * scale).map(() => rnd());
globalThis.keep = [people, byName, blob, parsed, counts, floats];
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
"#;

const PERL_SCRIPT: &str = r#"
use strict; use warnings;
my $scale = @SCALE@;
srand(1);
my @vocab = sort keys %INC;
push @vocab, map { split /::/ } keys %main::;
@vocab = grep { length } @vocab;
push @vocab, qw(swap page slot folio cache device compress store load index tree);
my (%by_id, %by_tag, @lines);
for my $i (0 .. 40000 * $scale) {
  my @tags = map { $vocab[int rand @vocab] } 1 .. 3;
  my $bio = join " ", map { $vocab[int rand @vocab] } 1 .. (5 + int rand 20);
  $by_id{$i} = { id => $i, email => "user$i\@example.org", tags => \@tags, bio => $bio, score => rand 100 };
  push @{ $by_tag{$_} }, $i for @tags;
  push @lines, sprintf("%08d\t%s\t%.3f\n", $i, $bio, rand 1000);
}
my $all = join "", @lines;
$| = 1;
print "ready\n";
while (<STDIN>) {}
"#;
