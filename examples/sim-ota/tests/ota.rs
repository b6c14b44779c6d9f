//! Over-the-air updates over HTTPS on loopback, through the real programs:
//! `ota-server`, the sim bootloader `wolfboot-sim`, and `sim-ota` booted
//! from a signed image. `sim-ota` is stored in flash, so it is built with
//! the `sim` profile; `cargo xtask test` builds it and runs these tests:
//!
//! ```text
//! cargo build --profile sim -p wolfboot-board-sim --bins && cargo build -p sign-cli
//! cargo build --profile sim -p wolfboot-sim-ota --bin sim-ota --no-default-features --features device
//! WOLFBOOT_SIM_BINS=target/sim WOLFBOOT_SIGN_CLI=target/debug/sign-cli \
//! WOLFBOOT_SIM_OTA=target/sim/sim-ota \
//!   cargo test -p wolfboot-sim-ota --features harness --test ota -- --ignored
//! ```

use std::path::{Path, PathBuf};

use wolfboot_board_sim::config::UPDATE_ADDRESS;
use wolfboot_board_sim::harness::Run;
use wolfboot_sim_ota::harness::{make_pki, tamper, OtaBins, OtaDevice, Server};
use wolfboot_sim_ota::manifest::{self, Manifest};

const SERVER: &str = env!("CARGO_BIN_EXE_ota-server");

/// A device running `boot_version` in BOOT, a test CA, and an empty folder
/// for the server to publish.
struct Setup {
    bins: OtaBins,
    dev: OtaDevice,
    dir: PathBuf,
    pki: PathBuf,
    published: PathBuf,
}

impl Setup {
    fn new(name: &str, boot_version: u32) -> Setup {
        let bins = OtaBins::from_env(Path::new(SERVER)).expect(
            "WOLFBOOT_SIM_BINS, WOLFBOOT_SIM_OTA and WOLFBOOT_SIGN_CLI must be set: run `cargo xtask test`",
        );
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("sim-ota")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        let pki = dir.join("pki");
        make_pki(&bins.server, &pki).unwrap();
        let dev = OtaDevice::new(&dir.join("device"), &bins, &pki.join("ca.pem")).unwrap();
        let boot = dev.sign(boot_version).unwrap();
        dev.dev.factory(&boot, None).unwrap();
        let published = dir.join("published");
        std::fs::create_dir_all(&published).unwrap();
        Setup {
            bins,
            dev,
            dir,
            pki,
            published,
        }
    }

    /// Sign `version` and put it in the published folder.
    fn publish(&self, version: u32) -> PathBuf {
        let signed = self.dev.sign(version).unwrap();
        let to = self.published.join(signed.file_name().unwrap());
        std::fs::copy(&signed, &to).unwrap();
        to
    }

    fn server(&self, extra: &[&str]) -> Server {
        Server::start(&self.bins.server, &self.published, &self.pki, extra).unwrap()
    }

    fn boot(&self, server: &Server, commands: &[&str]) -> Run {
        self.dev.boot(server.url(), commands).unwrap()
    }
}

fn expect_boot(run: &Run, action: &str, version: u32, state: &str) {
    let b = run
        .boot
        .as_ref()
        .unwrap_or_else(|| panic!("no boot line: {}", run.stderr));
    assert_eq!(
        (b.action.as_str(), b.version, b.state.as_str()),
        (action, version, state),
        "{}",
        run.stderr
    );
}

fn requests(server: &Server, path: &str) -> Vec<String> {
    server
        .log()
        .into_iter()
        .filter(|l| l.contains(&format!("GET {path}")))
        .collect()
}

/// Install v2 over HTTPS and confirm it; `update` then finds nothing newer.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn download_stage_trigger_reboot_confirm() {
    let s = Setup::new("cycle", 1);
    let v2 = s.publish(2);
    let size = std::fs::metadata(&v2).unwrap().len();
    let server = s.server(&[]);

    // The second `update` polls again before the reboot: nothing to fetch.
    let r = s.boot(&server, &["get_version", "update", "update"]);
    expect_boot(&r, "none", 1, "NONE");
    assert_eq!(
        r.stdout,
        "1\nupdate v2 staged and triggered: reboot to install it\n\
         v2 already staged: reboot to install it\n",
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("100% ("), "no progress: {}", r.stderr);
    let image = format!("/images/{}", v2.file_name().unwrap().to_str().unwrap());
    assert_eq!(requests(&server, &image).len(), 1, "{:?}", server.log());
    assert!(requests(&server, &image)[0].ends_with(&format!("200 ({size} bytes)")));

    let r = s.boot(&server, &["get_version", "confirm"]);
    expect_boot(&r, "installed", 2, "TESTING");
    assert_eq!(r.stdout, "2\nconfirmed v2\n", "{}", r.stderr);

    let r = s.boot(&server, &["get_version", "get_state", "update"]);
    expect_boot(&r, "none", 2, "SUCCESS");
    assert_eq!(
        r.stdout, "2\nboot=SUCCESS update=NONE\nup to date (running v2)\n",
        "{}",
        r.stderr
    );
    assert_eq!(requests(&server, &image).len(), 1, "downloaded again");
}

/// A connection cut mid-download with no retries left: the partial image
/// sits in UPDATE untriggered; the next attempt starts over and succeeds.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn cut_download_is_never_triggered_and_restarts_cleanly() {
    let s = Setup::new("cut-restart", 1);
    let v2 = s.publish(2);
    let v2_bytes = std::fs::read(&v2).unwrap();
    let server = s.server(&["--cut-after", "300000", "--cuts", "1"]);

    let r = s.boot(&server, &["--retries", "0", "update"]);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("download failed at byte 300000 of")
            && r.stderr.contains("nothing triggered"),
        "{}",
        r.stderr
    );
    // What arrived is in UPDATE (up to the writer's last programmed block).
    let flash = s.dev.dev.read_flash().unwrap();
    let at = UPDATE_ADDRESS as usize;
    let part = 256 * 1024;
    assert!(
        flash[at..at + part] == v2_bytes[..part],
        "the received part is not in UPDATE"
    );

    let r = s.boot(&server, &["get_state"]);
    expect_boot(&r, "none", 1, "NONE");
    assert_eq!(r.stdout, "boot=NONE update=NONE\n", "{}", r.stderr);

    let r = s.boot(&server, &["update"]);
    assert!(
        r.stdout.contains("update v2 staged and triggered"),
        "{}",
        r.stderr
    );
    let image = format!("/images/{}", v2.file_name().unwrap().to_str().unwrap());
    let log = requests(&server, &image);
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(
        !log[1].contains("range="),
        "restarted from a range: {log:?}"
    );

    let r = s.boot(&server, &["get_version", "confirm"]);
    expect_boot(&r, "installed", 2, "TESTING");
    assert_eq!(r.stdout, "2\nconfirmed v2\n", "{}", r.stderr);
}

/// Connections cut twice during one download: it resumes with `Range`
/// where each stopped, and the image installs.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn cut_download_resumes_with_range_requests() {
    let s = Setup::new("cut-resume", 1);
    let v2 = s.publish(2);
    let size = std::fs::metadata(&v2).unwrap().len();
    let server = s.server(&["--cut-after", "250000", "--cuts", "2"]);

    let r = s.boot(&server, &["update"]);
    assert_eq!(r.status, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("resuming, retry").count(),
        2,
        "{}",
        r.stderr
    );
    let image = format!("/images/{}", v2.file_name().unwrap().to_str().unwrap());
    let log = requests(&server, &image);
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log[0].ends_with("200, connection cut after 250000 bytes"),
        "{log:?}"
    );
    assert!(
        log[1].contains("range=250000- -> 206, connection cut after 250000 bytes"),
        "{log:?}"
    );
    let rest = size - 500_000;
    assert!(
        log[2].contains(&format!("range=500000- -> 206 ({rest} bytes)")),
        "{log:?}"
    );

    let r = s.boot(&server, &["get_version", "confirm"]);
    expect_boot(&r, "installed", 2, "TESTING");
    assert_eq!(r.stdout, "2\nconfirmed v2\n", "{}", r.stderr);
}

/// A server whose certificate was issued by another CA (an impostor's, with
/// the same name) is refused during the handshake: nothing is requested,
/// the flash is untouched.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn wrong_server_certificate_is_refused() {
    let s = Setup::new("wrong-cert", 1);
    s.publish(2);
    let other_pki = s.dir.join("other-pki");
    make_pki(&s.bins.server, &other_pki).unwrap();
    let impostor = Server::start(&s.bins.server, &s.published, &other_pki, &[]).unwrap();
    let before = s.dev.dev.read_flash().unwrap();

    for cmd in ["update", "check"] {
        let r = s.boot(&impostor, &[cmd]);
        assert_eq!(r.status, Some(1), "{}", r.stderr);
        // Same CA name, other key: the chain's signature does not verify.
        assert!(
            r.stderr.contains("invalid peer certificate: BadSignature"),
            "{}",
            r.stderr
        );
        assert_eq!(r.stdout, "");
    }
    assert!(requests(&impostor, "/").is_empty(), "{:?}", impostor.log());
    assert!(s.dev.dev.read_flash().unwrap() == before, "flash changed");

    // Plain HTTP is not even tried.
    let r = s.dev.boot("http://127.0.0.1:1", &["update"]).unwrap();
    assert_eq!(r.status, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("only https://"), "{}", r.stderr);
}

/// A signed image with one payload byte changed downloads completely, then
/// fails verification in UPDATE: never triggered.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn tampered_image_is_refused_before_trigger() {
    let s = Setup::new("tampered", 1);
    let v2 = s.publish(2);
    tamper(&v2, &v2).unwrap();
    let server = s.server(&[]);

    let r = s.boot(&server, &["update", "get_state"]);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains("100% (") && r.stderr.contains("update refused: image refused"),
        "{}",
        r.stderr
    );
    let r = s.boot(&server, &["get_version", "get_state"]);
    expect_boot(&r, "none", 1, "NONE");
    assert_eq!(r.stdout, "1\nboot=NONE update=NONE\n", "{}", r.stderr);
}

/// An older image is not downloaded from an honest server, and is refused
/// by verification when a lying manifest announces it as newer.
#[test]
#[ignore = "needs the sim binaries: run `cargo xtask test`"]
fn downgrade_is_refused_before_trigger() {
    let s = Setup::new("downgrade", 2);
    let v1 = s.publish(1);
    let server = s.server(&[]);
    let r = s.boot(&server, &["update"]);
    assert_eq!(r.stdout, "up to date (running v2)\n", "{}", r.stderr);
    assert!(requests(&server, "/images/").is_empty());
    drop(server);

    // The lie: v1's file announced as v3.
    let bytes = std::fs::read(&v1).unwrap();
    let mut entry = manifest::describe(&v1, &bytes).unwrap().entry;
    entry.version = 3;
    let lie = s.dir.join("lie.json");
    std::fs::write(
        &lie,
        Manifest {
            images: vec![entry],
        }
        .to_json(),
    )
    .unwrap();
    let liar = s.server(&["--manifest", lie.to_str().unwrap()]);
    let r = s.boot(&liar, &["update"]);
    assert_eq!(r.status, Some(1), "{}", r.stderr);
    assert!(
        r.stderr.contains(
            "update refused: version is not newer than the running version: 1 offered, 2 running"
        ),
        "{}",
        r.stderr
    );
    assert_eq!(requests(&liar, "/images/").len(), 1);
    let r = s.boot(&liar, &["get_version", "get_state"]);
    expect_boot(&r, "none", 2, "NONE");
    assert_eq!(r.stdout, "2\nboot=NONE update=NONE\n", "{}", r.stderr);
}
