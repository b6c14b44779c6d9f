//! The development PKI: a test CA and one server certificate it signed.
//!
//! `ca.pem` is what devices are given (`sim-ota --ca`); `server.pem` and
//! `server.key` are what the server presents. The CA's private key is
//! discarded once the server certificate is signed, so nothing else can
//! ever be issued under this CA: a fresh folder means a fresh CA.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PKCS_ED25519,
};

/// The files of a PKI folder.
pub struct PkiFiles {
    /// The CA certificate (PEM) devices trust.
    pub ca: PathBuf,
    /// The server certificate (PEM).
    pub cert: PathBuf,
    /// The server's private key (PEM, PKCS#8).
    pub key: PathBuf,
}

impl PkiFiles {
    /// The files in `dir`.
    pub fn new(dir: &Path) -> Self {
        PkiFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("server.pem"),
            key: dir.join("server.key"),
        }
    }

    /// Whether all three exist.
    pub fn exist(&self) -> bool {
        self.ca.is_file() && self.cert.is_file() && self.key.is_file()
    }
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "wolfboot-rs development");
    dn.push(DnType::CommonName, cn);
    dn
}

/// Make a new CA and a server certificate for `localhost`, `127.0.0.1`
/// and `::1` in `dir`. Keys are Ed25519: the device's TLS checks only
/// that signature (see `sim-ota`).
pub fn generate(dir: &Path) -> Result<PkiFiles, String> {
    let err = |e: rcgen::Error| format!("certificate generation: {e}");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;

    let ca_key = KeyPair::generate_for(&PKCS_ED25519).map_err(err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    ca.distinguished_name = name("wolfboot-rs test CA (development only)");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(err)?;
    let issuer = Issuer::new(ca, ca_key);

    let key = KeyPair::generate_for(&PKCS_ED25519).map_err(err)?;
    let mut leaf = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .map_err(err)?;
    leaf.distinguished_name = name("wolfboot-rs development update server");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = leaf.signed_by(&key, &issuer).map_err(err)?;

    let files = PkiFiles::new(dir);
    let write = |p: &Path, text: String| {
        std::fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))
    };
    write(&files.key, key.serialize_pem())?;
    write(&files.cert, cert.pem())?;
    write(&files.ca, ca_cert.pem())?;
    Ok(files)
}
