//! Fault-injection hardening of the boot decision (feature `armored`).
//!
//! A glitch of the clock or supply typically skips one instruction or
//! corrupts one value just loaded or compared. Against such a *single*
//! fault the decision "jump to the image in BOOT" is built from these
//! primitives (the campaign in `tools/glitch` checks it on the firmware):
//!
//! * [`Verdict`]: a decision is a 32-bit pattern, not a `bool`. Granted and
//!   denied are bitwise complements, neither 0 nor all ones nor a small
//!   integer, so a load or compare result forced to 0 or to all ones, or a
//!   register left at a stale small value, reads as neither.
//! * [`Bootloader::confirm_boot`]: the image in BOOT is verified again
//!   (header, digest of the bytes that will run, signature) right before the
//!   jump, in a second, independent execution of the verifier. A fault that
//!   made the first verification (or the state machine around it) accept a
//!   tampered image has been spent; the second one refuses it.
//! * [`require_granted`]: both verdicts are compared with the granted
//!   pattern one after the other, and once more combined. Each comparison
//!   goes through [`core::hint::black_box`], so the compiler keeps all of
//!   them, and skipping any one branch still leaves another that calls the
//!   fail loop. The caller runs it twice, before and after computing the
//!   entry point, so that no single skipped call lets it through.
//! * The fail loop itself is the board's (it needs `asm!` and this crate
//!   forbids `unsafe`): a loop of several branches to itself, so that a
//!   skipped branch lands on another one, never outside the loop.
//!
//! There are no early returns towards "boot": every path that does not
//! reach both grants ends in the fail loop.

use core::hint::black_box;

use wolfboot_hal_flash::{FlashSet, PartitionId};

use crate::boot::Bootloader;
use wolfboot_verify::VerifiedImage;

use crate::image::ImageVerifier;

/// Bit pattern of a granted decision.
const GRANTED: u32 = 0x5AC3_3CA5;
/// Bit pattern of a refused decision: the complement of [`GRANTED`].
const DENIED: u32 = !GRANTED;

/// A security decision, encoded so that a single fault cannot turn a
/// refusal into a grant (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Verdict(u32);

impl Verdict {
    /// The decision allows booting.
    pub const GRANTED: Verdict = Verdict(GRANTED);
    /// The decision refuses booting.
    pub const DENIED: Verdict = Verdict(DENIED);

    /// Granted for `Ok`, denied for `Err`.
    pub fn of<T, E>(result: &Result<T, E>) -> Verdict {
        match result {
            Ok(_) => Verdict::GRANTED,
            Err(_) => Verdict::DENIED,
        }
    }

    /// The raw pattern (for tests and diagnostics).
    pub fn bits(self) -> u32 {
        self.0
    }
}

/// Continue only if both verdicts are granted; otherwise call `fail`
/// (which never returns). Three comparisons, each kept by `black_box`:
/// `first`, `second`, and their combination (equal to each other and
/// complementary to the denied pattern).
pub fn require_granted(first: Verdict, second: Verdict, fail: fn() -> !) {
    if black_box(first.0) != GRANTED {
        fail();
    }
    if black_box(second.0) != GRANTED {
        fail();
    }
    if black_box(first.0 ^ second.0) != 0 || black_box(!second.0) != DENIED {
        fail();
    }
}

impl<S: FlashSet, V: ImageVerifier, P: crate::setup::Setup> Bootloader<S, V, P> {
    /// Verify the image in BOOT again, as it is now, right before jumping
    /// to it: a second, independent verification (header, digest of the
    /// bytes that will run, signature). Returns the verdict and, when
    /// granted, the image facts to take the entry point from.
    pub fn confirm_boot(&mut self) -> (Verdict, Option<VerifiedImage>) {
        match self.verify_part(PartitionId::Boot) {
            Ok(Ok(info)) => (Verdict::GRANTED, Some(info)),
            _ => (Verdict::DENIED, None),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn patterns_survive_single_value_faults() {
        let (g, d) = (Verdict::GRANTED.bits(), Verdict::DENIED.bits());
        assert_eq!(g, !d);
        for forced in [0, u32::MAX, 1] {
            assert_ne!(forced, g);
            assert_ne!(forced, d);
        }
        // Far apart: no single-bit or single-byte change turns one into the other.
        assert_eq!((g ^ d).count_ones(), 32);
    }

    #[test]
    fn verdict_of_result() {
        assert_eq!(Verdict::of(&Ok::<(), ()>(())), Verdict::GRANTED);
        assert_eq!(Verdict::of(&Err::<(), ()>(())), Verdict::DENIED);
    }

    fn refuse() -> ! {
        panic!("refused")
    }

    #[test]
    fn require_granted_needs_both() {
        require_granted(Verdict::GRANTED, Verdict::GRANTED, refuse);
        for (a, b) in [
            (Verdict::GRANTED, Verdict::DENIED),
            (Verdict::DENIED, Verdict::GRANTED),
            (Verdict::DENIED, Verdict::DENIED),
            (Verdict(0), Verdict::GRANTED),
            (Verdict::GRANTED, Verdict(u32::MAX)),
        ] {
            let r = std::panic::catch_unwind(|| require_granted(a, b, refuse));
            assert!(r.is_err(), "{a:?} {b:?} let through");
        }
    }
}
