//! Drives the real programs on loopback: the update server, the sim
//! bootloader, and `sim-ota` booted from a signed image. Used by the
//! loopback tests (`tests/ota.rs`) and by `cargo xtask demo --ota`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wolfboot_board_sim::config::CLASSIC_HEADER_SIZE;
use wolfboot_board_sim::harness::{Binaries, Device, Run};

/// How long a started server may take to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// A server started here stops by itself after this long, whatever happens
/// to the process that started it.
const SERVER_LIFETIME_SECS: &str = "300";

/// The programs.
#[derive(Debug, Clone)]
pub struct OtaBins {
    /// `wolfboot-sim`.
    pub bootloader: PathBuf,
    /// `sim-ota`, built with the `sim` profile (it is stored in flash).
    pub app: PathBuf,
    /// `sign-cli`.
    pub sign_cli: PathBuf,
    /// `ota-server`.
    pub server: PathBuf,
}

impl OtaBins {
    /// From `$WOLFBOOT_SIM_BINS` (folder of `wolfboot-sim`),
    /// `$WOLFBOOT_SIM_OTA` (`sim-ota`), `$WOLFBOOT_SIGN_CLI`, and `server`.
    pub fn from_env(server: &Path) -> Option<Self> {
        let dir = PathBuf::from(std::env::var_os("WOLFBOOT_SIM_BINS")?);
        Some(OtaBins {
            bootloader: dir.join("wolfboot-sim"),
            app: PathBuf::from(std::env::var_os("WOLFBOOT_SIM_OTA")?),
            sign_cli: PathBuf::from(std::env::var_os("WOLFBOOT_SIGN_CLI")?),
            server: server.to_path_buf(),
        })
    }
}

/// A sim device whose application is `sim-ota`, trusting the CA `ca`.
#[derive(Debug, Clone)]
pub struct OtaDevice {
    /// The sim device (work folder, flash file, key).
    pub dev: Device,
    /// The CA certificate the application trusts (`--ca`).
    pub ca: PathBuf,
}

impl OtaDevice {
    /// A device working in `dir` (created if needed).
    pub fn new(dir: &Path, bins: &OtaBins, ca: &Path) -> Result<Self, String> {
        let sim = Binaries {
            bootloader: bins.bootloader.clone(),
            app: bins.app.clone(),
            sign_cli: bins.sign_cli.clone(),
        };
        Ok(OtaDevice {
            dev: Device::new(dir, sim)?,
            ca: ca.to_path_buf(),
        })
    }

    /// The command line that signs `sim-ota` as `version` (the sim board's
    /// algorithms and header size).
    pub fn sign_command(&self, version: u32) -> Command {
        let mut c = Command::new(&self.dev.bins.sign_cli);
        c.current_dir(&self.dev.dir)
            .args(["--ecc256", "--sha256", "--header-size"])
            .arg(CLASSIC_HEADER_SIZE.to_string())
            .arg("sim-ota.bin")
            .arg(&self.dev.key)
            .arg(version.to_string());
        c
    }

    /// Sign `sim-ota` as `version`; returns the signed image's path.
    pub fn sign(&self, version: u32) -> Result<PathBuf, String> {
        let app = self.dev.dir.join("sim-ota.bin");
        if !app.exists() {
            std::fs::copy(&self.dev.bins.app, &app)
                .map_err(|e| format!("copy {}: {e}", self.dev.bins.app.display()))?;
        }
        let out = self
            .sign_command(version)
            .output()
            .map_err(|e| format!("sign-cli: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "sign-cli failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(self.dev.dir.join(format!("sim-ota_v{version}_signed.bin")))
    }

    /// The application's command line: `--server URL --ca FILE COMMANDS...`.
    pub fn args(&self, url: &str, commands: &[&str]) -> Vec<String> {
        let mut a = vec![
            "--server".to_string(),
            url.to_string(),
            "--ca".to_string(),
            self.ca.to_string_lossy().into_owned(),
        ];
        a.extend(commands.iter().map(|c| c.to_string()));
        a
    }

    /// Power on: the bootloader decides, then `sim-ota` runs `commands`
    /// against the server at `url`.
    pub fn boot(&self, url: &str, commands: &[&str]) -> Result<Run, String> {
        let args = self.args(url, commands);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.dev.boot(&args)
    }
}

/// Copy `image` to `out` with one payload byte flipped.
pub fn tamper(image: &Path, out: &Path) -> Result<(), String> {
    let mut bytes = std::fs::read(image).map_err(|e| format!("{}: {e}", image.display()))?;
    let n = bytes.len();
    let b = bytes
        .get_mut(n - n / 4)
        .ok_or("image too short to tamper with")?;
    *b ^= 0x20;
    std::fs::write(out, bytes).map_err(|e| format!("{}: {e}", out.display()))
}

/// Make a test CA and a server certificate in `dir` (`ota-server pki DIR`).
pub fn make_pki(server: &Path, dir: &Path) -> Result<(), String> {
    let out = Command::new(server)
        .arg("pki")
        .arg(dir)
        .output()
        .map_err(|e| format!("{}: {e}", server.display()))?;
    if !out.status.success() {
        return Err(format!(
            "ota-server pki failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

/// A running `ota-server` on a free loopback port; stopped when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    url: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Start the server publishing `images` with the certificate in `pki`,
    /// plus `extra` options (`--cut-after`, `--manifest`, …).
    pub fn start(bin: &Path, images: &Path, pki: &Path, extra: &[&str]) -> Result<Self, String> {
        let mut child = Command::new(bin)
            .arg("--images")
            .arg(images)
            .arg("--pki")
            .arg(pki)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--lifetime",
                SERVER_LIFETIME_SECS,
            ])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let log = Arc::new(Mutex::new(Vec::new()));
        if let Some(err) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Ok(mut l) = log.lock() {
                        l.push(line);
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    if let Some(url) = line.split("listening on ").nth(1) {
                        let _ = tx.send(url.trim().to_string());
                    }
                }
            });
        }
        let mut server = Server {
            child,
            url: String::new(),
            log,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(url) => {
                server.url = url;
                Ok(server)
            }
            Err(_) => Err(format!(
                "ota-server did not start: {}",
                server.log().join("\n")
            )),
        }
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the server logged so far (one line per request).
    pub fn log(&self) -> Vec<String> {
        // Let the log reader catch up with the last request.
        std::thread::sleep(Duration::from_millis(50));
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
