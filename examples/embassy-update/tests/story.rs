//! The example's story runs to the end: staged over a channel, verified,
//! triggered, installed by the bootloader, confirmed by the new image.

use std::process::Command;

#[test]
fn embassy_application_updates_itself() {
    let out = Command::new(env!("CARGO_BIN_EXE_wolfboot-embassy-update"))
        .output()
        .expect("run the example");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "app: running version Some(470)",
        "app: received 4352 bytes",
        "app: version 668 verified and triggered; resetting",
        "bootloader: Installed, booting version 668 (Some(Testing))",
        "app: running version Some(668), BOOT Some(Success)",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing `{line}` in:\n{stdout}"
        );
    }
}
