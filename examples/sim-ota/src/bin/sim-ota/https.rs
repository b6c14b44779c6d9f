//! The device's HTTPS client: TLS 1.3 (rustls, `ring` provider) trusting
//! only the CA file given on the command line, one GET per connection.

use std::io::{self, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::{
    CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::sign::SigningKey;
use rustls::{ClientConfig, ClientConnection, RootCertStore, SignatureScheme, StreamOwned};
use wolfboot_sim_ota::http::{self, HttpError, Response};

/// Connecting may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A read or write that makes no progress for this long fails (and the
/// download resumes on a new connection).
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request failed.
#[derive(Debug)]
pub enum Failure {
    /// The connection failed or dropped: worth trying again.
    Network(String),
    /// TLS refused the server, or the server answered nonsense: trying
    /// again would not help.
    Fatal(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Network(e) | Failure::Fatal(e) => f.write_str(e),
        }
    }
}

/// Classify an I/O error of the TLS stream.
pub fn io_failure(e: io::Error) -> Failure {
    let tls = e.get_ref().is_some_and(|inner| inner.is::<rustls::Error>());
    if tls || e.kind() == io::ErrorKind::InvalidData {
        Failure::Fatal(format!("TLS: {e}"))
    } else if e.kind() == io::ErrorKind::UnexpectedEof {
        // rustls: the peer closed the TCP connection without `close_notify`.
        Failure::Network("connection closed mid-transfer".into())
    } else {
        Failure::Network(e.to_string())
    }
}

fn http_failure(e: HttpError) -> Failure {
    match e {
        HttpError::Io(e) => io_failure(e),
        HttpError::Closed => Failure::Network(e.to_string()),
        e => Failure::Fatal(e.to_string()),
    }
}

/// A TLS connection, buffered for reading the response.
pub type Body = BufReader<StreamOwned<ClientConnection, TcpStream>>;

/// One update server: `https://HOST[:PORT]`.
pub struct Https {
    config: Arc<ClientConfig>,
    authority: String,
    host: String,
    port: u16,
    name: ServerName<'static>,
}

impl Https {
    /// A client for `url` trusting only the certificates in the PEM file `ca`.
    pub fn new(url: &str, ca: &Path) -> Result<Self, String> {
        let authority = url
            .strip_prefix("https://")
            .ok_or_else(|| format!("`{url}`: only https:// servers are accepted"))?
            .trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') || !http::is_token_safe(authority) {
            return Err(format!("`{url}`: expected https://HOST[:PORT]"));
        }
        let (host, port) = split_authority(authority)
            .ok_or_else(|| format!("`{url}`: expected https://HOST[:PORT]"))?;
        let name = ServerName::try_from(host.to_string())
            .map_err(|e| format!("`{host}`: not a server name: {e}"))?;
        Ok(Https {
            config: tls_config(ca)?,
            authority: authority.to_string(),
            host: host.to_string(),
            port,
            name,
        })
    }

    /// `GET path`, asking for the bytes from `from` on when it is not 0
    /// (`If-Range: etag`, so a changed image comes back whole). Returns the
    /// response head and the connection positioned at the body.
    pub fn get(
        &self,
        path: &str,
        from: u64,
        etag: Option<&str>,
    ) -> Result<(Response, Body), Failure> {
        if !http::is_token_safe(path) || !path.starts_with('/') {
            return Err(Failure::Fatal(format!("refusing to request `{path}`")));
        }
        let tcp = self.connect()?;
        let conn = ClientConnection::new(Arc::clone(&self.config), self.name.clone())
            .map_err(|e| Failure::Fatal(format!("TLS: {e}")))?;
        let mut tls = StreamOwned::new(conn, tcp);
        let mut req = format!(
            "GET {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: wolfboot-sim-ota\r\nConnection: close\r\n",
            self.authority
        );
        if from > 0 {
            req.push_str(&format!("Range: bytes={from}-\r\n"));
            if let Some(tag) = etag.filter(|t| http::is_token_safe(t)) {
                req.push_str(&format!("If-Range: {tag}\r\n"));
            }
        }
        req.push_str("\r\n");
        // The handshake (and the certificate check) happens on this write.
        tls.write_all(req.as_bytes()).map_err(io_failure)?;
        tls.flush().map_err(io_failure)?;
        let mut body = BufReader::new(tls);
        let head = http::read_head(&mut body).map_err(http_failure)?;
        let resp = Response::parse(&head).map_err(http_failure)?;
        Ok((resp, body))
    }

    /// `GET path` of a small document (at most `max` bytes), whole.
    pub fn get_small(&self, path: &str, max: u64) -> Result<Vec<u8>, Failure> {
        let (resp, mut body) = self.get(path, 0, None)?;
        if resp.status != 200 {
            return Err(Failure::Fatal(format!(
                "GET {path}: HTTP status {}",
                resp.status
            )));
        }
        let len = resp
            .content_length
            .ok_or_else(|| Failure::Fatal(format!("GET {path}: no Content-Length")))?;
        if len > max {
            return Err(Failure::Fatal(format!(
                "GET {path}: {len} bytes, more than the {max} accepted"
            )));
        }
        let mut doc = vec![0u8; len as usize];
        body.read_exact(&mut doc).map_err(io_failure)?;
        Ok(doc)
    }

    fn connect(&self) -> Result<TcpStream, Failure> {
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Failure::Network(format!("{}: {e}", self.authority)))?;
        let mut last = format!("{}: no address", self.authority);
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
                Ok(tcp) => {
                    tcp.set_read_timeout(Some(IO_TIMEOUT))
                        .and_then(|()| tcp.set_write_timeout(Some(IO_TIMEOUT)))
                        .map_err(|e| Failure::Network(e.to_string()))?;
                    return Ok(tcp);
                }
                Err(e) => last = format!("{addr}: {e}"),
            }
        }
        Err(Failure::Network(last))
    }
}

/// `HOST[:PORT]` or `[V6]:PORT` into host and port (443 by default).
fn split_authority(a: &str) -> Option<(&str, u16)> {
    if let Some(rest) = a.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = match after {
            "" => 443,
            p => p.strip_prefix(':')?.parse().ok()?,
        };
        return Some((host, port));
    }
    match a.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, port.parse().ok()?)),
        Some(_) => None,
        None => Some((a, 443)),
    }
}

/// The device's TLS: `ring`'s algorithms, cut down to what its update
/// server uses — X25519 key exchange, ChaCha20-Poly1305, Ed25519
/// certificates, no client certificate. The full `ring` provider adds
/// about 330 KB to the application (P-256/P-384 tables, RSA): a third more
/// image to store twice in flash, download, and swap at every update.
fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: vec![rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        kx_groups: vec![rustls::crypto::ring::kx_group::X25519],
        signature_verification_algorithms: ED25519_ONLY,
        secure_random: &SystemRng,
        key_provider: &NoClientKey,
    }
}

static ED25519_ONLY: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
    all: &[webpki::ring::ED25519],
    mapping: &[(SignatureScheme::ED25519, &[webpki::ring::ED25519])],
};

/// The operating system's random source, through `ring`.
#[derive(Debug)]
struct SystemRng;

impl SecureRandom for SystemRng {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf)
            .map_err(|_| GetRandomFailed)
    }
}

/// The device authenticates the server only: it loads no private key.
#[derive(Debug)]
struct NoClientKey;

impl KeyProvider for NoClientKey {
    fn load_private_key(
        &self,
        _key: PrivateKeyDer<'static>,
    ) -> Result<Arc<dyn SigningKey>, rustls::Error> {
        Err(rustls::Error::General(
            "no client keys on this device".into(),
        ))
    }
}

/// TLS 1.3 with [`provider`], trusting only the PEM certificates of
/// `ca` (no system roots: the device knows its update server's CA).
fn tls_config(ca: &Path) -> Result<Arc<ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
    for cert in certs {
        let cert = cert.map_err(|e| format!("{}: {e}", ca.display()))?;
        roots
            .add(cert)
            .map_err(|e| format!("{}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("{}: no certificate", ca.display()));
    }
    let config = ClientConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::split_authority;

    #[test]
    fn authorities() {
        assert_eq!(split_authority("127.0.0.1:8443"), Some(("127.0.0.1", 8443)));
        assert_eq!(split_authority("localhost"), Some(("localhost", 443)));
        assert_eq!(split_authority("[::1]:9"), Some(("::1", 9)));
        assert_eq!(split_authority("[::1]"), Some(("::1", 443)));
        assert_eq!(split_authority("a:b"), None);
        assert_eq!(split_authority("::1"), None);
        assert_eq!(split_authority("a:99999"), None);
    }
}
