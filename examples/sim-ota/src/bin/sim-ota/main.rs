//! `sim-ota`: a sim board application that updates itself over HTTPS.
//!
//! Started by `wolfboot-sim` from BOOT (a signed image, like `sim-app`):
//!
//! ```text
//! sim-ota [--server https://HOST:PORT] [--ca CA.pem] [--retries N] COMMAND...
//! ```
//!
//! | command | effect |
//! | --- | --- |
//! | `get_version` | print the running (BOOT) firmware version |
//! | `get_state` | print `boot=STATE update=STATE` |
//! | `success` | confirm the running image (`wolfBoot_success`) |
//! | `check` | poll the server's manifest, print what it offers |
//! | `update` | poll; if the server offers a newer application, stream it into UPDATE, verify, trigger, ask for a reboot |
//! | `confirm` | after an update (BOOT `TESTING`): reach the update server again, then confirm |
//!
//! The download never holds the image in memory: each TLS record's bytes go
//! to [`UpdateWriter::write`], which erases and programs UPDATE as they
//! arrive. A dropped connection resumes where it stopped (`Range`, with
//! `If-Range` so a changed image restarts from the start) up to `--retries`
//! times; if it cannot finish, nothing is triggered. Only an image that
//! verifies in UPDATE — signature against the keystore compiled in, newer
//! version — is triggered. Exit status: 0 done, 1 refused or failed,
//! 2 bad command line, 3 power failure.

#![forbid(unsafe_code)]

mod https;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use wolfboot_board_sim::config::{self, HEADER_SIZE, KEYSTORE};
use wolfboot_board_sim::flash::{self, SimFlash};
use wolfboot_libwolfboot::{PartitionId, PartitionState, UpdateWriter, VersionPolicy, WolfBoot};
use wolfboot_sim_ota::manifest::{Entry, Manifest, APP_PARTITION, MANIFEST_PATH, MAX_MANIFEST};

use https::{io_failure, Failure, Https};

type Lib = WolfBoot<SimFlash, HEADER_SIZE>;
type Writer<'a> = UpdateWriter<'a, SimFlash, HEADER_SIZE>;

/// Bytes read from the connection at a time (one TLS record's worth).
const CHUNK: usize = 4096;
/// Pause before reconnecting after a dropped connection.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

struct Options {
    server: Option<String>,
    ca: Option<PathBuf>,
    retries: u32,
    commands: Vec<String>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        server: None,
        ca: None,
        retries: 3,
        commands: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--server" => o.server = Some(it.next().ok_or("--server needs a URL")?.clone()),
            "--ca" => o.ca = Some(it.next().ok_or("--ca needs a PEM file")?.into()),
            "--retries" => {
                let n = it.next().ok_or("--retries needs a number")?;
                o.retries = n.parse().map_err(|_| format!("bad retry count `{n}`"))?;
            }
            _ => o.commands.push(a.clone()),
        }
    }
    Ok(o)
}

/// Why a command failed: exit status 1 (refused, failed) or 2 (usage).
enum Fail {
    Refused(String),
    Usage(String),
}

struct App {
    lib: Lib,
    opts: Options,
    client: Option<Https>,
}

impl App {
    fn client(&mut self) -> Result<&Https, Fail> {
        if self.client.is_none() {
            let (Some(url), Some(ca)) = (&self.opts.server, &self.opts.ca) else {
                return Err(Fail::Usage(
                    "this command needs --server URL and --ca FILE".into(),
                ));
            };
            self.client = Some(Https::new(url, ca).map_err(Fail::Usage)?);
        }
        self.client
            .as_ref()
            .ok_or_else(|| Fail::Usage("no server".into()))
    }

    fn running_version(&mut self) -> Result<u32, Fail> {
        self.lib
            .current_firmware_version()
            .map(|v| v.unwrap_or(0))
            .map_err(|e| Fail::Refused(e.to_string()))
    }

    fn poll(&mut self) -> Result<Option<Entry>, Fail> {
        let client = self.client()?;
        let doc = client
            .get_small(MANIFEST_PATH, MAX_MANIFEST)
            .map_err(|e| Fail::Refused(format!("manifest: {e}")))?;
        let manifest = Manifest::from_json(&doc).map_err(Fail::Refused)?;
        Ok(manifest.latest(APP_PARTITION).cloned())
    }

    fn check(&mut self) -> Result<(), Fail> {
        let offer = self.poll()?;
        let running = self.running_version()?;
        match offer {
            Some(e) => println!(
                "running v{running}, server offers v{} ({} bytes)",
                e.version, e.size
            ),
            None => println!("running v{running}, server offers no application image"),
        }
        Ok(())
    }

    fn update(&mut self) -> Result<(), Fail> {
        let offer = self.poll()?;
        let running = self.running_version()?;
        let Some(entry) = offer.filter(|e| e.version > running) else {
            println!("up to date (running v{running})");
            return Ok(());
        };
        let staged = self.lib.partition_state(PartitionId::Update).ok().flatten();
        if staged == Some(PartitionState::Updating)
            && self.lib.update_firmware_version().ok().flatten() == Some(entry.version)
        {
            println!("v{} already staged: reboot to install it", entry.version);
            return Ok(());
        }
        let max = u64::from(self.lib.max_image_size());
        if entry.size > max {
            return Err(Fail::Refused(format!(
                "update refused: v{} is {} bytes, UPDATE holds {max}",
                entry.version, entry.size
            )));
        }
        eprintln!(
            "sim-ota: v{} offered ({} bytes), running v{running}: downloading",
            entry.version, entry.size
        );
        let version = self.download(&entry)?;
        println!("update v{version} staged and triggered: reboot to install it");
        Ok(())
    }

    /// Stream the image into UPDATE, verify, trigger.
    fn download(&mut self, entry: &Entry) -> Result<u32, Fail> {
        self.client()?;
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| Fail::Usage("no server".into()))?;
        stream_and_stage(&mut self.lib, client, entry, self.opts.retries)
    }

    fn confirm(&mut self) -> Result<(), Fail> {
        let state = self
            .lib
            .partition_state(PartitionId::Boot)
            .map_err(|e| Fail::Refused(e.to_string()))?;
        if state != Some(PartitionState::Testing) {
            println!("nothing to confirm (BOOT is {})", state_name(state));
            return Ok(());
        }
        // The self-test of this example: the new firmware can still reach
        // its update server over TLS. A firmware that cannot is not
        // confirmed, and the bootloader rolls it back at the next reset.
        self.poll().map_err(|e| {
            Fail::Refused(format!("self-test failed, not confirming: {}", text(&e)))
        })?;
        let v = self.running_version()?;
        self.lib
            .success()
            .map_err(|e| Fail::Refused(e.to_string()))?;
        println!("confirmed v{v}");
        Ok(())
    }

    fn run(&mut self) -> Result<(), Fail> {
        let commands = std::mem::take(&mut self.opts.commands);
        for cmd in &commands {
            match cmd.as_str() {
                "get_version" => println!("{}", self.running_version()?),
                "get_state" => {
                    let b = self.lib.partition_state(PartitionId::Boot);
                    let u = self.lib.partition_state(PartitionId::Update);
                    match (b, u) {
                        (Ok(b), Ok(u)) => {
                            println!("boot={} update={}", state_name(b), state_name(u))
                        }
                        (Err(e), _) | (_, Err(e)) => return Err(Fail::Refused(e.to_string())),
                    }
                }
                "success" => self
                    .lib
                    .success()
                    .map_err(|e| Fail::Refused(e.to_string()))?,
                "check" => self.check()?,
                "update" => self.update()?,
                "confirm" => self.confirm()?,
                other => return Err(Fail::Usage(format!("unknown command `{other}`"))),
            }
        }
        Ok(())
    }
}

fn text(f: &Fail) -> &str {
    match f {
        Fail::Refused(s) | Fail::Usage(s) => s,
    }
}

fn state_name(s: Option<PartitionState>) -> String {
    s.map_or_else(|| "NONE".into(), |s| s.to_string().to_uppercase())
}

/// Download progress on stderr: redrawn in place on a terminal, a line
/// every 10 % otherwise.
struct Progress {
    version: u32,
    total: u64,
    shown: u64,
    tty: bool,
    /// A redrawn line is on the terminal without its line break.
    open: bool,
}

impl Progress {
    fn new(version: u32, total: u64) -> Self {
        Progress {
            version,
            total,
            shown: u64::MAX,
            tty: std::io::stderr().is_terminal(),
            open: false,
        }
    }

    /// End a redrawn line before other messages.
    fn end_line(&mut self) {
        if self.open {
            eprintln!();
            self.open = false;
        }
    }

    fn show(&mut self, done: u64) {
        let pct = done * 100 / self.total.max(1);
        let step = if self.tty { pct } else { pct / 10 * 10 };
        if step == self.shown {
            return;
        }
        self.shown = step;
        let line = format!(
            "sim-ota: downloading v{}: {step:>3}% ({done} of {} bytes)",
            self.version, self.total
        );
        if self.tty {
            eprint!("\r{line}");
            self.open = true;
            if done >= self.total {
                self.end_line();
            }
        } else {
            eprintln!("{line}");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.end_line();
    }
}

/// How one connection's transfer ended.
enum Transfer {
    /// Every byte is in UPDATE.
    Complete,
    /// The server sent the whole image instead of the rest: start again.
    Restart,
}

/// Fetch `entry` from `writer.received()` on, into `writer`.
fn transfer(
    client: &Https,
    entry: &Entry,
    writer: &mut Writer<'_>,
    etag: &mut Option<String>,
    progress: &mut Progress,
) -> Result<Transfer, Failure> {
    let from = u64::from(writer.received());
    let (resp, mut body) = client.get(&entry.url, from, etag.as_deref())?;
    let len = resp
        .content_length
        .ok_or_else(|| Failure::Fatal("image response without Content-Length".into()))?;
    match resp.status {
        200 if from == 0 || resp.content_range.is_none() => {
            if len != entry.size {
                return Err(Failure::Fatal(format!(
                    "server sends {len} bytes, the manifest announced {}: poll again",
                    entry.size
                )));
            }
            if from > 0 {
                return Ok(Transfer::Restart);
            }
            *etag = resp.etag.or_else(|| Some(entry.etag()));
        }
        206 => {
            let ok = resp.content_range.is_some_and(|r| {
                r.start == from && r.total == Some(entry.size) && r.end + 1 - r.start == len
            });
            if !ok || from == 0 {
                return Err(Failure::Fatal(
                    "server sent a range that was not asked for".into(),
                ));
            }
        }
        s => {
            return Err(Failure::Fatal(format!(
                "GET {}: HTTP status {s}",
                entry.url
            )))
        }
    }
    let mut left = len;
    let mut buf = [0u8; CHUNK];
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(CHUNK));
        let piece = buf.get_mut(..want).unwrap_or_default();
        let n = match body.read(piece) {
            Ok(0) => {
                return Err(Failure::Network(format!(
                    "connection closed at byte {} of {}",
                    writer.received(),
                    entry.size
                )))
            }
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(io_failure(e)),
        };
        let data = piece.get(..n).unwrap_or_default();
        // A refusal by the writer (bad header, too large) is final.
        writer
            .write(data)
            .map_err(|e| Failure::Fatal(format!("update refused: {e}")))?;
        left -= n as u64;
        progress.show(u64::from(writer.received()));
    }
    Ok(Transfer::Complete)
}

/// The whole update: download (resuming across dropped connections),
/// verify in UPDATE, trigger. Any failure leaves UPDATE untriggered.
fn stream_and_stage(
    lib: &mut Lib,
    client: &Https,
    entry: &Entry,
    retries: u32,
) -> Result<u32, Fail> {
    let io = |e: wolfboot_libwolfboot::Error| Fail::Refused(e.to_string());
    let mut writer = lib.update_writer().map_err(io)?;
    let mut progress = Progress::new(entry.version, entry.size);
    let mut etag = None;
    let mut attempt = 0u32;
    loop {
        match transfer(client, entry, &mut writer, &mut etag, &mut progress) {
            Ok(Transfer::Complete) => break,
            Ok(Transfer::Restart) => {
                progress.end_line();
                eprintln!("sim-ota: the image changed on the server: starting again");
                writer = lib.update_writer().map_err(io)?;
                etag = None;
            }
            Err(Failure::Network(e)) if attempt < retries => {
                progress.end_line();
                attempt += 1;
                eprintln!(
                    "sim-ota: connection lost at byte {} of {} ({e}); resuming, retry {attempt} of {retries}",
                    writer.received(),
                    entry.size
                );
                std::thread::sleep(RETRY_PAUSE);
            }
            Err(Failure::Network(e)) => {
                return Err(Fail::Refused(format!(
                    "download failed at byte {} of {}: {e}; nothing triggered",
                    writer.received(),
                    entry.size
                )))
            }
            Err(Failure::Fatal(e)) => return Err(Fail::Refused(e)),
        }
    }
    let staged = writer
        .finish(&KEYSTORE, VersionPolicy::NewerOnly)
        .map_err(|e| Fail::Refused(format!("update refused: {e}")))?;
    let version = staged.image().version;
    if version != entry.version {
        return Err(Fail::Refused(format!(
            "update refused: the manifest announced v{}, the image is v{version}",
            entry.version
        )));
    }
    let image = staged.trigger().map_err(io)?;
    Ok(image.version)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("sim-ota: {e}");
            return ExitCode::from(2);
        }
    };
    let path = flash::default_path();
    let flash = match flash::open(&path, None) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("sim-ota: error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut app = App {
        lib: WolfBoot::new(flash, config::app_config()),
        opts,
        client: None,
    };
    let result = app.run();
    let stats = flash::stats(app.lib.flash_mut());
    eprintln!("sim-ota: {}", flash::describe(&stats));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if flash::power_is_off(app.lib.flash_mut()) => {
            eprintln!("sim-ota: power failure ({})", text(&e));
            ExitCode::from(3)
        }
        Err(Fail::Refused(e)) => {
            eprintln!("sim-ota: {e}");
            ExitCode::FAILURE
        }
        Err(Fail::Usage(e)) => {
            eprintln!("sim-ota: {e}");
            ExitCode::from(2)
        }
    }
}
