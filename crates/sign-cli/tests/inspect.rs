//! `inspect`: every field of wolfBoot-made images, text and JSON.

mod common;

use common::*;
use wolfboot_test_vectors as tv;

fn json_of(file: &str) -> serde_json::Value {
    let out = run_ok(&tv::dir().unwrap(), &["inspect", "--json", file]);
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn field<'a>(j: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    j["tlvs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no {name} field in {j}"))
}

#[test]
fn json_fields_of_a_wolfboot_image() {
    let j = json_of("ecc256_sha256_v668_signed.bin");
    assert_eq!(j["header_size"], 256);
    assert_eq!(j["payload_size"], 4096);
    assert_eq!(j["digest_ok"], true);
    assert_eq!(field(&j, "version")["value"], 668);
    assert!(field(&j, "timestamp")["value"]["utc"]
        .as_str()
        .unwrap()
        .ends_with("UTC"));
    let t = &field(&j, "image-type")["value"];
    assert_eq!(t["auth"], "ecc256");
    assert_eq!(t["partition"], 1);
    assert_eq!(t["diff"], false);
    assert_eq!(field(&j, "pubkey-hint")["length"], 32);
    assert_eq!(field(&j, "signature")["length"], 64);
    assert_eq!(field(&j, "version")["offset"], 8);
}

#[test]
fn custom_fields_are_decoded() {
    let j = json_of("custom_tlv_v739_signed.bin");
    let c = field(&j, "custom");
    assert_eq!(c["tag"], 0x34);
    assert_eq!(c["value"]["le"], 0xAABBCCDDu64);
    let j = json_of("custom_tlv_string_v822_signed.bin");
    assert_eq!(field(&j, "custom")["value"]["string"], "hello-wolfboot");
    let j = json_of("custom_tlv_buffer_v235_signed.bin");
    assert_eq!(field(&j, "custom")["hex"], "deadbeef00112233");
    let j = json_of("partition_id_3_v606_signed.bin");
    assert_eq!(field(&j, "image-type")["value"]["partition"], 3);
    let j = json_of("nosign_sha256_v32_signed.bin");
    assert_eq!(field(&j, "image-type")["value"]["auth"], "none");
    let j = json_of("payload_delta_new_v503_signed_diff.bin");
    assert_eq!(field(&j, "image-type")["value"]["diff"], true);
    assert_eq!(field(&j, "delta-base-version")["value"], 492);
}

#[test]
fn text_output_and_digest_check() {
    let vectors = tv::dir().unwrap();
    let out = run_ok(&vectors, &["inspect", "rsa4096_sha3_v273_signed.bin"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "Header size:  1024",
        "Payload size: 70001",
        "sha3-384",
        "auth rsa4096",
        "matches",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let out = run_ok(&vectors, &["inspect", "invalid_payload_bitflip.bin"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISMATCH"));
}
