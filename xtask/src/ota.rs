//! Over-the-air update over HTTPS on the sim board (`examples/sim-ota`):
//! the loopback tests of `cargo xtask test`, `cargo xtask serve`, and the
//! `--ota` step of `cargo xtask demo`.

use std::path::{Path, PathBuf};
use std::process::Command;

use wolfboot_board_sim::config::{CLASSIC_HEADER_SIZE, PARTITION_SIZE, SECTOR_SIZE};
use wolfboot_board_sim::harness::Binaries;
use wolfboot_sim_ota::harness::{make_pki, OtaBins, OtaDevice, Server};

use crate::util::{build_sim_binaries, cargo, render, run, target_dir};

/// Build `sim-ota` small (it is stored in flash, like `sim-app`) with the
/// device's features only, and check that it fits a partition.
fn build_app() -> Result<PathBuf, String> {
    run(
        "build sim-ota (HTTPS update application, sim profile)",
        cargo().args([
            "build",
            "--profile",
            "sim",
            "-p",
            "wolfboot-sim-ota",
            "--bin",
            "sim-ota",
            "--no-default-features",
            "--features",
            "device",
        ]),
    )?;
    let app = target_dir().join("sim/sim-ota");
    let len = std::fs::metadata(&app)
        .map_err(|e| format!("{}: {e}", app.display()))?
        .len();
    // Header plus payload must leave UPDATE's trailer sector free.
    let room = u64::from(PARTITION_SIZE - SECTOR_SIZE) - CLASSIC_HEADER_SIZE as u64;
    println!("    sim-ota: {len} bytes; room in a partition: {room} bytes");
    if len > room {
        return Err(format!(
            "sim-ota is {len} bytes: it does not fit a {PARTITION_SIZE}-byte partition"
        ));
    }
    Ok(app)
}

fn build_server() -> Result<PathBuf, String> {
    // The workspace test step's features: its build is reused.
    run(
        "build ota-server",
        cargo().args([
            "build",
            "--workspace",
            "--all-features",
            "--bin",
            "ota-server",
        ]),
    )?;
    Ok(target_dir().join("debug/ota-server"))
}

fn ota_bins(bins: &Binaries) -> Result<OtaBins, String> {
    Ok(OtaBins {
        bootloader: bins.bootloader.clone(),
        app: build_app()?,
        sign_cli: bins.sign_cli.clone(),
        server: build_server()?,
    })
}

/// The loopback tests (`examples/sim-ota/tests/ota.rs`).
pub fn test(bins: &Binaries) -> Result<(), String> {
    let app = build_app()?;
    run(
        "sim OTA over HTTPS (loopback: update cycle, cut connections, wrong certificate, tampered, downgrade)",
        // `--workspace --all-features`: the features of the workspace test
        // step, so its build of the server and the TLS crates is reused.
        cargo()
            .args([
                "test",
                "--workspace",
                "--all-features",
                "--test",
                "ota",
                "--",
                "--ignored",
                "--test-threads",
                "2",
            ])
            .env(
                "WOLFBOOT_SIM_BINS",
                bins.bootloader.parent().unwrap_or(Path::new(".")),
            )
            .env("WOLFBOOT_SIGN_CLI", &bins.sign_cli)
            .env("WOLFBOOT_SIM_OTA", app),
    )
}

/// A device folder with v1 in BOOT, v2 published, and a test CA.
struct Stage {
    dev: OtaDevice,
    published: PathBuf,
    pki: PathBuf,
}

fn stage(bins: &OtaBins, dir: &Path) -> Result<Stage, String> {
    let _ = std::fs::remove_dir_all(dir);
    let pki = dir.join("pki");
    make_pki(&bins.server, &pki)?;
    let dev = OtaDevice::new(&dir.join("device"), bins, &pki.join("ca.pem"))?;
    let published = dir.join("published");
    std::fs::create_dir_all(&published).map_err(|e| format!("{}: {e}", published.display()))?;
    for v in [1, 2] {
        println!("    $ {}", render(&dev.sign_command(v)));
    }
    let v1 = dev.sign(1)?;
    let v2 = dev.sign(2)?;
    dev.dev.factory(&v1, None)?;
    let name = v2.file_name().ok_or("no file name")?;
    std::fs::copy(&v2, published.join(name)).map_err(|e| format!("publish v2: {e}"))?;
    Ok(Stage {
        dev,
        published,
        pki,
    })
}

/// `cargo xtask demo --ota`: v1 updates itself to v2 over HTTPS.
pub fn demo(bins: &Binaries, dir: &Path) -> Result<(), String> {
    println!("\n=== over-the-air update over HTTPS (examples/sim-ota)");
    let bins = ota_bins(bins)?;
    println!("--- test CA, sim-ota signed as v1 (factory flash) and v2 (published)");
    let s = stage(&bins, dir)?;
    let server = Server::start(&bins.server, &s.published, &s.pki, &[])?;
    println!(
        "--- update server: {} (devices trust {})",
        server.url(),
        s.dev.ca.display()
    );
    let steps: [(&str, &[&str], u32, &str); 4] = [
        (
            "boot v1: poll the manifest",
            &["get_version", "check"],
            1,
            "none",
        ),
        (
            "v1 downloads v2 over HTTPS into UPDATE, verifies, triggers",
            &["update"],
            1,
            "none",
        ),
        (
            "reboot: v2 installed, TESTING; reaches the server, confirms",
            &["get_version", "confirm"],
            2,
            "installed",
        ),
        (
            "reboot: v2 SUCCESS, nothing newer",
            &["get_version", "get_state", "update"],
            2,
            "none",
        ),
    ];
    for (step, commands, version, action) in steps {
        println!("\n--- {step}");
        println!(
            "    $ wolfboot-sim -- {}",
            s.dev.args(server.url(), commands).join(" ")
        );
        let r = s
            .dev
            .boot(server.url(), commands)
            .map_err(|e| format!("step `{step}`: {e}"))?;
        for line in r.stdout.lines() {
            println!("    app: {line}");
        }
        for line in r.stderr.lines() {
            println!("    {line}");
        }
        let b = r.boot.unwrap_or_default();
        if r.status != Some(0) || b.version != version || b.action != action {
            return Err(format!(
                "step `{step}`: booted v{} ({}), exit {:?} (expected v{version}, {action}, 0)",
                b.version, b.action, r.status
            ));
        }
    }
    println!("\n--- server log");
    for line in server.log() {
        println!("    {line}");
    }
    println!("\ndemo --ota: ok (work folder {})", dir.display());
    Ok(())
}

/// `cargo xtask serve [ota-server options]`: a device folder with v1 in
/// BOOT, v2 published, and the update server in the foreground.
pub fn serve(listen: &str, rest: &[String]) -> Result<(), String> {
    let sim = build_sim_binaries()?;
    let bins = ota_bins(&sim)?;
    let dir = target_dir().join("ota-serve");
    let s = stage(&bins, &dir)?;
    println!("\nthe device (v1 in BOOT) updates itself from this server with:");
    println!(
        "  (cd {} && {} -- --server https://{listen} --ca {} update)",
        s.dev.dev.dir.display(),
        bins.bootloader.display(),
        s.dev.ca.display()
    );
    println!("then reboots and confirms with `get_version confirm`; sign more versions into");
    println!("  {}", s.published.display());
    println!("and the next poll offers the newest. Ctrl-C stops the server.\n");
    let mut c = Command::new(&bins.server);
    c.arg("--images")
        .arg(&s.published)
        .arg("--pki")
        .arg(&s.pki)
        .args(["--listen", listen])
        .args(rest);
    run("ota-server", &mut c)
}
