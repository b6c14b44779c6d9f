//! `inspect`: every header field of an image, decoded.

use crate::error::{Error, Result};
use crate::sign::image_digest;
use serde_json::{json, Value};
use std::fmt::Write as _;
use wolfboot_image_format::{wire::tlv, AuthType, HashAlgorithm, ImageHeader, ImageType};

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// `YYYY-MM-DD HH:MM:SS UTC` for seconds since the epoch.
pub fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60
    )
}

/// One decoded header field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Tag.
    pub tag: u16,
    /// Name (`custom` for user tags, `unknown` otherwise).
    pub name: String,
    /// Offset of the tag from the start of the image.
    pub offset: usize,
    /// Value length.
    pub len: usize,
    /// Value bytes.
    pub value: Vec<u8>,
    /// Human reading of the value.
    pub decoded: String,
    /// Structured reading of the value (for `--json`).
    pub json: Value,
}

/// Everything `inspect` shows.
#[derive(Debug, Clone)]
pub struct Report {
    /// Header size.
    pub header_size: usize,
    /// Payload size announced by the header.
    pub payload_size: u32,
    /// Bytes of the file.
    pub file_size: usize,
    /// Fields in header order.
    pub fields: Vec<Field>,
    /// Whether the stored digest matches header prefix + payload (`None`
    /// when it cannot be computed: no digest field or truncated payload).
    pub digest_ok: Option<bool>,
}

fn le_uint(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 8 {
        return None;
    }
    let mut b = [0u8; 8];
    b[..v.len()].copy_from_slice(v);
    Some(u64::from_le_bytes(b))
}

fn decode(tag: u16, value: &[u8]) -> (String, Value) {
    let num = |n: usize| (value.len() == n).then(|| le_uint(value)).flatten();
    match tag {
        tlv::VERSION
        | tlv::DELTA_BASE
        | tlv::DELTA_SIZE
        | tlv::DELTA_INVERSE
        | tlv::DELTA_INVERSE_SIZE => match num(4) {
            Some(v) => (v.to_string(), json!(v)),
            None => (hex(value), json!(hex(value))),
        },
        tlv::TIMESTAMP => match num(8) {
            Some(v) => (
                format!("{v} ({})", format_utc(v)),
                json!({"seconds": v, "utc": format_utc(v)}),
            ),
            None => (hex(value), json!(hex(value))),
        },
        tlv::IMG_TYPE => match num(2) {
            Some(v) => {
                let t = ImageType(v as u16);
                let auth = t.auth().map_or_else(
                    || format!("unknown(0x{:02x})", t.auth_code()),
                    |a| a.name().to_string(),
                );
                (
                    format!(
                        "0x{v:04x} (auth {auth}, partition {}, {})",
                        t.partition_id(),
                        if t.is_diff() {
                            "delta update"
                        } else {
                            "full image"
                        }
                    ),
                    json!({"raw": v, "auth": auth, "auth_code": t.auth_code(),
                           "partition": t.partition_id(), "diff": t.is_diff()}),
                )
            }
            None => (hex(value), json!(hex(value))),
        },
        tlv::SECONDARY_CIPHER => match num(2) {
            Some(v) => (format!("0x{v:04x}"), json!(v)),
            None => (hex(value), json!(hex(value))),
        },
        t if t >= tlv::CUSTOM_MIN && t != tlv::CERT_CHAIN => {
            let mut text = hex(value);
            let mut j = json!({"hex": hex(value)});
            if let (true, Some(n)) = (matches!(value.len(), 1 | 2 | 4 | 8), le_uint(value)) {
                let _ = write!(text, " (le {n} = 0x{n:x})");
                j["le"] = json!(n);
            }
            if !value.is_empty() && value.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                let s = String::from_utf8_lossy(value).into_owned();
                let _ = write!(text, " \"{s}\"");
                j["string"] = json!(s);
            }
            (text, j)
        }
        _ => (hex(value), json!(hex(value))),
    }
}

/// Parse an image and decode its header (sized as `sign` sizes it, unless
/// `header_size` is given).
pub fn inspect(bytes: &[u8], header_size: Option<usize>) -> Result<Report> {
    let header = match header_size {
        Some(size) => ImageHeader::parse(bytes, size),
        None => ImageHeader::parse_auto(bytes),
    }
    .map_err(|e| Error::Image(e.to_string()))?;
    let mut fields = Vec::new();
    for t in header.tlvs() {
        let name = match tlv::name(t.tag) {
            Some(n) => n.to_string(),
            None if t.tag >= tlv::CUSTOM_MIN => "custom".to_string(),
            None => "unknown".to_string(),
        };
        let (decoded, json) = decode(t.tag, t.value);
        fields.push(Field {
            tag: t.tag,
            name,
            offset: t.offset,
            len: t.value.len(),
            value: t.value.to_vec(),
            decoded,
            json,
        });
    }
    let digest_ok = header.digest().ok().and_then(|d| {
        let start = header.header_size();
        let end = start.checked_add(header.payload_size() as usize)?;
        let payload = bytes.get(start..end)?;
        let prefix = header.as_bytes().get(..d.covered_header_len)?;
        Some(image_digest(d.algorithm, prefix, payload).ok()? == d.value)
    });
    Ok(Report {
        header_size: header.header_size(),
        payload_size: header.payload_size(),
        file_size: bytes.len(),
        fields,
        digest_ok,
    })
}

impl Report {
    /// The image's auth type, when its image-type field names a known one.
    pub fn auth(&self) -> Option<AuthType> {
        self.fields
            .iter()
            .find(|f| f.tag == tlv::IMG_TYPE && f.len == 2)
            .and_then(|f| ImageType(u16::from_le_bytes([f.value[0], f.value[1]])).auth())
    }

    /// The digest algorithm of the first digest field.
    pub fn hash(&self) -> Option<HashAlgorithm> {
        self.fields
            .iter()
            .find_map(|f| HashAlgorithm::from_tlv(f.tag))
    }

    /// Text rendering.
    pub fn to_text(&self, file: &str) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Image:        {file}");
        let _ = writeln!(s, "Header size:  {}", self.header_size);
        let _ = writeln!(s, "Payload size: {}", self.payload_size);
        let _ = writeln!(s, "File size:    {}", self.file_size);
        let digest = match self.digest_ok {
            Some(true) => "matches header and payload",
            Some(false) => "MISMATCH (header or payload changed after signing)",
            None => "cannot be checked",
        };
        let _ = writeln!(s, "Digest:       {digest}");
        let _ = writeln!(s, "Fields:");
        let _ = writeln!(
            s,
            "  {:>6}  {:>6}  {:>5}  {:<20}  value",
            "offset", "tag", "len", "name"
        );
        for f in &self.fields {
            let _ = writeln!(
                s,
                "  0x{:04x}  0x{:04x}  {:>5}  {:<20}  {}",
                f.offset, f.tag, f.len, f.name, f.decoded
            );
        }
        s
    }

    /// JSON rendering.
    pub fn to_json(&self, file: &str) -> Value {
        json!({
            "file": file,
            "header_size": self.header_size,
            "payload_size": self.payload_size,
            "file_size": self.file_size,
            "digest_ok": self.digest_ok,
            "tlvs": self.fields.iter().map(|f| json!({
                "tag": f.tag,
                "name": f.name,
                "offset": f.offset,
                "length": f.len,
                "hex": hex(&f.value),
                "value": f.json,
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_utc(1_732_495_512), "2024-11-25 00:45:12 UTC");
    }
}
