//! Over-the-air update over HTTPS on the sim board.
//!
//! * `sim-ota` (feature `device`): the application. Booted by `wolfboot-sim`
//!   from a signed image in BOOT, it polls the update server's manifest over
//!   TLS (rustls, trusting only the CA given with `--ca`), streams a newer
//!   image chunk by chunk into UPDATE through
//!   [`UpdateWriter`](wolfboot_libwolfboot::UpdateWriter) — resuming with a
//!   `Range` request when the connection drops — verifies it, triggers it
//!   and asks for a reboot.
//! * `ota-server` (feature `server`): a development update server on
//!   loopback with a generated test CA, publishing the signed images of a
//!   folder and a [`manifest`] of the newest one per partition.
//!
//! The library holds what both ends share — the [`http`] subset and the
//! [`manifest`] format — and, with feature `harness`, the process driver of
//! the loopback tests and the demo.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod http;
pub mod manifest;

#[cfg(feature = "harness")]
pub mod harness;
