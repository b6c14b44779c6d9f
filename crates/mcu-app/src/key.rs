//! The update-encryption key: stored once in BOOT (`set_encrypt_key`,
//! wolfBoot's `wolfBoot_set_encrypt_key`), where the bootloader finds it.

use wolfboot_libwolfboot::{FlashSet, WolfBoot};
use wolfboot_mcu_boot::console::Console;

/// The longest key (ChaCha20, AES-256).
const MAX_KEY: usize = 32;
/// The longest nonce (AES's IV).
const MAX_NONCE: usize = 16;

/// Store the key and nonce in `area` (key first, lengths of the configured
/// cipher), unless the same ones are stored already (a test harness that
/// restores its control block at every reset runs this at every start).
pub fn store_key<C, S, const H: usize>(wb: &mut WolfBoot<S, H>, con: &mut C, area: &[u8])
where
    C: Console + ?Sized,
    S: FlashSet,
{
    let Some(secret) = wb.config().secret else {
        con.println("app: set_key: built without encryption");
        return;
    };
    let (key, rest) = area.split_at(usize::from(secret.key_len));
    let nonce = &rest[..usize::from(secret.nonce_len)];
    let mut stored_key = [0u8; MAX_KEY];
    let mut stored_nonce = [0u8; MAX_NONCE];
    let stored_key = &mut stored_key[..key.len()];
    let stored_nonce = &mut stored_nonce[..nonce.len()];
    if wb.get_encrypt_key(stored_key, stored_nonce) == Ok(true)
        && stored_key == key
        && stored_nonce == nonce
    {
        con.println("app: encryption key already stored");
        return;
    }
    match wb.set_encrypt_key(key, nonce) {
        Ok(()) => con.println("app: encryption key stored"),
        Err(_) => con.println("app: set_encrypt_key failed"),
    }
}
