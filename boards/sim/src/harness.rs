//! Drives the real sim binaries: factory flash files, signed versions,
//! boots (optionally with a power cut), and what each boot reported. Used by
//! `cargo xtask demo` and by the scenario tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::config::{BOOT_ADDRESS, CLASSIC_HEADER_SIZE, FLASH_SIZE, SECTOR_SIZE, UPDATE_ADDRESS};
use wolfboot_swap_state_machine::EncryptAlgorithm;

/// Where the built programs are.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `wolfboot-sim`.
    pub bootloader: PathBuf,
    /// `sim-app` (unsigned executable).
    pub app: PathBuf,
    /// `sign-cli`.
    pub sign_cli: PathBuf,
}

impl Binaries {
    /// From `$WOLFBOOT_SIM_BINS` (folder of `wolfboot-sim` and `sim-app`)
    /// and `$WOLFBOOT_SIGN_CLI`, as `cargo xtask` sets them.
    pub fn from_env() -> Option<Self> {
        let dir = PathBuf::from(std::env::var_os("WOLFBOOT_SIM_BINS")?);
        let sign_cli = PathBuf::from(std::env::var_os("WOLFBOOT_SIGN_CLI")?);
        Some(Binaries {
            bootloader: dir.join("wolfboot-sim"),
            app: dir.join("sim-app"),
            sign_cli,
        })
    }
}

/// What one boot reported.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BootReport {
    /// `none`, `installed`, `rolled-back`, `finished-interrupted`,
    /// `emergency-fallback`, `refused-(reason)`.
    pub action: String,
    /// Version booted.
    pub version: u32,
    /// BOOT's state when booting (`TESTING`, `SUCCESS`, `NONE`, …).
    pub state: String,
    /// Sectors erased during the boot.
    pub erases: u64,
    /// Program operations during the boot.
    pub programs: u64,
    /// Bytes programmed during the boot.
    pub bytes_written: u64,
}

/// One run of the bootloader (and the application it started).
#[derive(Debug, Clone)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub status: Option<i32>,
    /// What the application printed.
    pub stdout: String,
    /// Bootloader and application diagnostics.
    pub stderr: String,
    /// The bootloader's decision line, if it got that far.
    pub boot: Option<BootReport>,
    /// Flash figures the application reported.
    pub app_flash: Option<BootReport>,
}

impl Run {
    fn from_output(out: Output) -> Run {
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let boot = stderr
            .lines()
            .find_map(|l| l.strip_prefix("wolfboot-sim: action="))
            .map(|rest| parse_report(&format!("action={rest}")));
        let app_flash = stderr
            .lines()
            .find_map(|l| l.strip_prefix("sim-app: erases="))
            .map(|rest| parse_report(&format!("erases={rest}")));
        Run {
            status: out.status.code(),
            stdout,
            stderr,
            boot,
            app_flash,
        }
    }

    /// Whether the run was stopped by a simulated power failure.
    pub fn power_failed(&self) -> bool {
        self.status == Some(3)
    }

    /// First line the application printed.
    pub fn first_line(&self) -> &str {
        self.stdout.lines().next().unwrap_or("")
    }
}

fn parse_report(line: &str) -> BootReport {
    let mut r = BootReport::default();
    for field in line.split_whitespace() {
        let Some((k, v)) = field.split_once('=') else {
            continue;
        };
        match k {
            "action" => r.action = v.to_string(),
            "version" => r.version = v.parse().unwrap_or(0),
            "state" => r.state = v.to_string(),
            "erases" => r.erases = v.parse().unwrap_or(0),
            "programs" => r.programs = v.parse().unwrap_or(0),
            "bytes_written" => r.bytes_written = v.parse().unwrap_or(0),
            _ => {}
        }
    }
    r
}

/// A simulated device: a work folder with the flash file and signed images.
#[derive(Debug, Clone)]
pub struct Device {
    /// Work folder.
    pub dir: PathBuf,
    /// The flash file (`internal_flash.dd`).
    pub flash: PathBuf,
    /// The programs.
    pub bins: Binaries,
    /// The signing key (`boards/sim/keys/ecc256.der`).
    pub key: PathBuf,
    /// Encrypted updates with this cipher (`wolfboot-sim --encrypt`), keyed
    /// by [`Device::encrypt_key`].
    pub encrypt: Option<EncryptAlgorithm>,
    /// Hybrid post-quantum signing (the `pq` build of the programs): the
    /// ML-DSA-65 and ECDSA P-384 keys of `boards/sim/keys/pq`.
    pub hybrid: Option<(PathBuf, PathBuf)>,
}

impl Device {
    /// A device working in `dir` (created if needed).
    pub fn new(dir: &Path, bins: Binaries) -> Result<Device, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        // The example keys travel inside the harness and are written into the
        // work folder: a moved or copied checkout needs no path baked in at
        // compile time.
        let key = dir.join("ecc256.der");
        write_if_changed(&key, include_bytes!("../keys/ecc256.der"))?;
        for alg in EncryptAlgorithm::ALL {
            write_if_changed(&encrypt_key_path(dir, alg), encrypt_key_bytes(alg))?;
        }
        Ok(Device {
            dir: dir.to_path_buf(),
            flash: dir.join(crate::config::FLASH_FILE),
            bins,
            key,
            encrypt: None,
            hybrid: None,
        })
    }

    /// The same device signing hybrid ML-DSA-65 + ECDSA P-384 images with
    /// 8 KiB headers, for programs built with the sim board's `pq` feature.
    pub fn with_hybrid(mut self) -> Result<Device, String> {
        let ml_dsa = self.dir.join("ml-dsa-65.der");
        let ecc = self.dir.join("ecc384.der");
        write_if_changed(&ml_dsa, include_bytes!("../keys/pq/ml-dsa-65.der"))?;
        write_if_changed(&ecc, include_bytes!("../keys/pq/ecc384.der"))?;
        self.hybrid = Some((ml_dsa, ecc));
        Ok(self)
    }

    /// The same device with encrypted updates (`alg`).
    pub fn with_encryption(mut self, alg: EncryptAlgorithm) -> Device {
        self.encrypt = Some(alg);
        self
    }

    /// The example update-encryption key file of `alg` (key then nonce, a
    /// copy of `boards/sim/keys/encrypt_<alg>.key`), written into the work
    /// folder.
    pub fn encrypt_key(&self, alg: EncryptAlgorithm) -> PathBuf {
        encrypt_key_path(&self.dir, alg)
    }

    /// The command line that signs the application as `version`.
    pub fn sign_command(&self, version: u32) -> Command {
        self.sign_command_with(version, None)
    }

    fn sign_command_with(&self, version: u32, delta_base: Option<&Path>) -> Command {
        let mut c = Command::new(&self.bins.sign_cli);
        c.current_dir(&self.dir);
        if let Some((ml_dsa, ecc)) = &self.hybrid {
            c.env("ML_DSA_LEVEL", "3")
                .args(["--ml_dsa", "--sha256", "--ecc384", "--header-size"])
                .arg(crate::config::PQ_HEADER_SIZE.to_string())
                .arg("sim-app.bin")
                .arg(ml_dsa)
                .arg(ecc)
                .arg(version.to_string());
            return c;
        }
        c.args(["--ecc256", "--sha256", "--header-size"])
            .arg(CLASSIC_HEADER_SIZE.to_string());
        if let Some(alg) = self.encrypt {
            c.arg(format!("--{}", alg.name()))
                .arg("--encrypt")
                .arg(self.encrypt_key(alg));
        }
        if let Some(base) = delta_base {
            c.env("WOLFBOOT_SECTOR_SIZE", SECTOR_SIZE.to_string())
                .arg("--delta")
                .arg(base);
        }
        c.arg("sim-app.bin").arg(&self.key).arg(version.to_string());
        c
    }

    /// The command line that signs `version` and its delta image against
    /// the signed `base` (`--delta`, `WOLFBOOT_SECTOR_SIZE` set).
    pub fn sign_delta_command(&self, version: u32, base: &Path) -> Command {
        self.sign_command_with(version, Some(base))
    }

    /// Sign `version` with its delta image against `base`; returns the
    /// image to stage: the diff (encrypted when the device encrypts).
    pub fn sign_delta(&self, version: u32, base: &Path) -> Result<PathBuf, String> {
        self.copy_app()?;
        let out = self
            .sign_delta_command(version, base)
            .output()
            .map_err(|e| format!("sign-cli: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "sign-cli --delta failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let name = match self.encrypt {
            Some(_) => format!("sim-app_v{version}_signed_diff_encrypted.bin"),
            None => format!("sim-app_v{version}_signed_diff.bin"),
        };
        Ok(self.dir.join(name))
    }

    /// What `stage` should be given for the signed image `signed`: the
    /// encrypted file next to it when the device encrypts.
    pub fn deliverable(&self, signed: &Path) -> PathBuf {
        match self.encrypt {
            Some(_) => {
                let name = signed
                    .file_name()
                    .map(|n| {
                        n.to_string_lossy()
                            .replace("_signed.bin", "_signed_and_encrypted.bin")
                    })
                    .unwrap_or_default();
                signed.with_file_name(name)
            }
            None => signed.to_path_buf(),
        }
    }

    fn copy_app(&self) -> Result<(), String> {
        let app = self.dir.join("sim-app.bin");
        if !app.exists() {
            std::fs::copy(&self.bins.app, &app).map_err(|e| format!("copy app: {e}"))?;
        }
        Ok(())
    }

    /// Sign the application as `version`; returns the signed image's path.
    pub fn sign(&self, version: u32) -> Result<PathBuf, String> {
        self.copy_app()?;
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
        Ok(self.dir.join(format!("sim-app_v{version}_signed.bin")))
    }

    /// Write the factory flash: everything erased, `boot_image` in BOOT and,
    /// optionally, an image in UPDATE (not triggered).
    pub fn factory(&self, boot_image: &Path, update_image: Option<&Path>) -> Result<(), String> {
        let mut flash = vec![0xFFu8; FLASH_SIZE as usize];
        let mut place = |at: u32, file: &Path| -> Result<(), String> {
            let img = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
            let at = at as usize;
            flash
                .get_mut(at..at + img.len())
                .ok_or("image larger than the partition")?
                .copy_from_slice(&img);
            Ok(())
        };
        place(BOOT_ADDRESS, boot_image)?;
        if let Some(u) = update_image {
            place(UPDATE_ADDRESS, u)?;
        }
        std::fs::write(&self.flash, flash).map_err(|e| format!("{}: {e}", self.flash.display()))
    }

    fn bootloader(&self, powerfail_after: Option<u64>, exec: bool, app_args: &[&str]) -> Command {
        let mut c = Command::new(&self.bins.bootloader);
        c.current_dir(&self.dir).arg("--flash").arg(&self.flash);
        if let Some(alg) = self.encrypt {
            c.arg("--encrypt").arg(alg.name());
        }
        if let Some(n) = powerfail_after {
            c.arg("--powerfail-after").arg(n.to_string());
        }
        if !exec {
            c.arg("--no-exec");
        }
        c.arg("--").args(app_args);
        c
    }

    /// Power on: the bootloader decides, then runs the application with `app_args`.
    pub fn boot(&self, app_args: &[&str]) -> Result<Run, String> {
        self.run(self.bootloader(None, true, app_args))
    }

    /// Power on with a power cut after `n` flash operations of the bootloader.
    pub fn boot_with_power_cut(&self, n: u64, app_args: &[&str]) -> Result<Run, String> {
        self.run(self.bootloader(Some(n), true, app_args))
    }

    /// The bootloader's decision only (the application is not started).
    pub fn boot_no_exec(&self) -> Command {
        self.bootloader(None, false, &[])
    }

    fn run(&self, mut c: Command) -> Result<Run, String> {
        let out = c
            .output()
            .map_err(|e| format!("cannot run the bootloader: {e}"))?;
        Ok(Run::from_output(out))
    }

    /// The flash file's contents.
    pub fn read_flash(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.flash).map_err(|e| format!("{}: {e}", self.flash.display()))
    }

    /// Flip one bit of the flash file at `offset` (tamper with a stored image).
    pub fn flip_bit(&self, offset: u32) -> Result<(), String> {
        let mut f = self.read_flash()?;
        let b = f
            .get_mut(offset as usize)
            .ok_or("offset outside the flash")?;
        *b ^= 0x01;
        std::fs::write(&self.flash, f).map_err(|e| e.to_string())
    }
}

/// Where a device working in `dir` keeps the example key of `alg`.
fn encrypt_key_path(dir: &Path, alg: EncryptAlgorithm) -> PathBuf {
    dir.join(format!("encrypt_{}.key", alg.name()))
}

/// The example update-encryption keys (key then nonce), built in.
fn encrypt_key_bytes(alg: EncryptAlgorithm) -> &'static [u8] {
    match alg {
        EncryptAlgorithm::ChaCha20 => include_bytes!("../keys/encrypt_chacha.key"),
        EncryptAlgorithm::Aes128Ctr => include_bytes!("../keys/encrypt_aes128.key"),
        EncryptAlgorithm::Aes256Ctr => include_bytes!("../keys/encrypt_aes256.key"),
    }
}

/// Write `bytes` to `path` unless it already holds them.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}
