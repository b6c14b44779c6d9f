//! `ota-server`: a development update server for the sim board.
//!
//! ```text
//! ota-server pki DIR
//! ota-server [--images DIR] [--pki DIR] [--listen 127.0.0.1:8443]
//!            [--manifest FILE] [--cut-after BYTES [--cuts N]] [--lifetime SECS]
//! ```
//!
//! Publishes every signed wolfBoot image of `--images` over HTTPS (TLS 1.3,
//! rustls) on a loopback address:
//!
//! * `GET /manifest.json`: the newest image per partition (version, size,
//!   path, SHA-256), computed from the folder at each request — drop a newly
//!   signed image in and devices see it at their next poll;
//! * `GET /images/NAME`: the image, with `Range: bytes=N-` (206) and
//!   `If-Range` for resuming, and its SHA-256 as `ETag`.
//!
//! The certificate comes from `--pki` (default `pki`), created there with a
//! new test CA if missing (`ota-server pki DIR` only creates it). Devices are
//! given `DIR/ca.pem`.
//!
//! For tests: `--manifest FILE` serves that file as the manifest instead
//! (a server that lies), `--cut-after BYTES` drops the connection after that
//! many body bytes of the next `--cuts` (default 1) image responses, and
//! `--lifetime SECS` stops the server after that long.

#![forbid(unsafe_code)]

mod pki;

use std::io::{BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use wolfboot_sim_ota::http::{self, Request};
use wolfboot_sim_ota::manifest::{self, IMAGES_PREFIX, MANIFEST_PATH};

/// A connection that sends nothing for this long is dropped.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more are dropped.
const MAX_CONNECTIONS: usize = 16;
/// Body bytes written at a time.
const CHUNK: usize = 16 * 1024;

const USAGE: &str = "usage: ota-server pki DIR\n       ota-server [--images DIR] [--pki DIR] [--listen 127.0.0.1:8443] [--manifest FILE] [--cut-after BYTES [--cuts N]] [--lifetime SECS]";

struct Options {
    images: PathBuf,
    pki: PathBuf,
    listen: SocketAddr,
    manifest: Option<PathBuf>,
    cut_after: Option<u64>,
    cuts: u32,
    lifetime: Option<u64>,
}

fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        images: PathBuf::from("."),
        pki: PathBuf::from("pki"),
        listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
        manifest: None,
        cut_after: None,
        cuts: 1,
        lifetime: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--images" => o.images = value()?.into(),
            "--pki" => o.pki = value()?.into(),
            "--listen" => {
                let v = value()?;
                o.listen = v.parse().map_err(|_| format!("bad address `{v}`"))?;
            }
            "--manifest" => o.manifest = Some(value()?.into()),
            "--cut-after" => {
                let v = value()?;
                o.cut_after = Some(v.parse().map_err(|_| format!("bad byte count `{v}`"))?);
            }
            "--cuts" => {
                let v = value()?;
                o.cuts = v.parse().map_err(|_| format!("bad count `{v}`"))?;
            }
            "--lifetime" => {
                let v = value()?;
                o.lifetime = Some(v.parse().map_err(|_| format!("bad seconds `{v}`"))?);
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    if !o.listen.ip().is_loopback() {
        return Err(format!(
            "{}: this development server only listens on loopback addresses",
            o.listen
        ));
    }
    Ok(o)
}

struct Shared {
    images: PathBuf,
    manifest: Option<PathBuf>,
    cut_after: Option<u64>,
    cuts_left: AtomicU32,
    active: AtomicUsize,
}

fn tls_config(files: &pki::PkiFiles) -> Result<Arc<ServerConfig>, String> {
    let chain = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| format!("TLS: {e}"))?;
    Ok(Arc::new(config))
}

fn serve(o: Options) -> Result<(), String> {
    let files = pki::PkiFiles::new(&o.pki);
    if !files.exist() {
        pki::generate(&o.pki)?;
        eprintln!("ota-server: new test CA in {}", o.pki.display());
    }
    let tls = tls_config(&files)?;
    let (_, manifest) = manifest::scan(&o.images)?;
    let listener = TcpListener::bind(o.listen).map_err(|e| format!("{}: {e}", o.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    println!("ota-server: listening on https://{addr}");
    let _ = std::io::stdout().flush();
    for e in &manifest.images {
        eprintln!(
            "ota-server: partition {} v{} {} ({} bytes)",
            e.partition, e.version, e.url, e.size
        );
    }
    eprintln!(
        "ota-server: images from {}, devices trust {}",
        o.images.display(),
        files.ca.display()
    );
    if let Some(secs) = o.lifetime {
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(secs));
            eprintln!("ota-server: lifetime of {secs}s over, stopping");
            std::process::exit(0);
        });
    }
    let shared = Arc::new(Shared {
        images: o.images,
        manifest: o.manifest,
        cut_after: o.cut_after,
        cuts_left: AtomicU32::new(if o.cut_after.is_some() { o.cuts } else { 0 }),
        active: AtomicUsize::new(0),
    });
    for tcp in listener.incoming() {
        let Ok(tcp) = tcp else { continue };
        if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let (shared, tls) = (Arc::clone(&shared), Arc::clone(&tls));
        std::thread::spawn(move || {
            if let Err(e) = connection(tcp, tls, &shared) {
                eprintln!("ota-server: {e}");
            }
            shared.active.fetch_sub(1, Ordering::SeqCst);
        });
    }
    Ok(())
}

type Tls = StreamOwned<ServerConnection, TcpStream>;

/// One connection: one request, one response.
fn connection(tcp: TcpStream, config: Arc<ServerConfig>, shared: &Shared) -> Result<(), String> {
    tcp.set_read_timeout(Some(IO_TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(IO_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let conn = ServerConnection::new(config).map_err(|e| format!("TLS: {e}"))?;
    let mut tls = StreamOwned::new(conn, tcp);
    let head = http::read_head(&mut BufReader::new(&mut tls))
        .map_err(|e| format!("connection dropped: {e}"))?;
    let req = match Request::parse(&head) {
        Ok(r) => r,
        Err(e) => {
            respond(&mut tls, 400, &[], e.to_string().as_bytes(), false)?;
            return Err(format!("bad request: {e}"));
        }
    };
    let head_only = req.method == "HEAD";
    if req.method != "GET" && !head_only {
        log(&req, "405");
        return respond(&mut tls, 405, &[], b"", false);
    }
    if req.path == MANIFEST_PATH {
        let body = match &shared.manifest {
            Some(f) => std::fs::read(f).map_err(|e| format!("{}: {e}", f.display()))?,
            None => manifest::scan(&shared.images)?.1.to_json().into_bytes(),
        };
        log(&req, "200");
        let headers = [("Content-Type", "application/json".to_string())];
        return respond(&mut tls, 200, &headers, &body, head_only);
    }
    if let Some(name) = req.path.strip_prefix(IMAGES_PREFIX) {
        if let Some((image, etag)) = published(&shared.images, name) {
            return send_image(&mut tls, &req, &image, &etag, head_only, shared);
        }
    }
    log(&req, "404");
    respond(&mut tls, 404, &[], b"not found\n", head_only)
}

/// The image file `name` of `dir` and its entity tag, if it is a published
/// wolfBoot image (plain file name, no path).
fn published(dir: &Path, name: &str) -> Option<(Vec<u8>, String)> {
    if name.is_empty() || name.starts_with('.') || name.contains(['/', '\\']) {
        return None;
    }
    let path = dir.join(name);
    let bytes = std::fs::read(&path).ok()?;
    let p = manifest::describe(&path, &bytes)?;
    Some((bytes, p.entry.etag()))
}

fn log(req: &Request, outcome: &str) {
    let range = req
        .range
        .map(|r| format!(" range={}-", r.start))
        .unwrap_or_default();
    eprintln!(
        "ota-server: {} {}{range} -> {outcome}",
        req.method, req.path
    );
}

fn send_image(
    tls: &mut Tls,
    req: &Request,
    image: &[u8],
    etag: &str,
    head_only: bool,
    shared: &Shared,
) -> Result<(), String> {
    let len = image.len() as u64;
    // A range applies only to the same image (`If-Range` matches or absent).
    let range = req
        .range
        .filter(|_| req.if_range.as_deref().is_none_or(|t| t == etag));
    let mut headers = vec![
        ("Content-Type", "application/octet-stream".to_string()),
        ("ETag", etag.to_string()),
        ("Accept-Ranges", "bytes".to_string()),
    ];
    let (status, start, end) = match range.map(|r| r.resolve(len)) {
        None => (200, 0, len),
        Some(Some((s, e))) => {
            headers.push(("Content-Range", format!("bytes {s}-{}/{len}", e - 1)));
            (206, s, e)
        }
        Some(None) => {
            log(req, "416");
            headers.push(("Content-Range", format!("bytes */{len}")));
            return respond(tls, 416, &headers, b"", head_only);
        }
    };
    let body = image.get(start as usize..end as usize).unwrap_or_default();
    let cut = shared.cut_after.filter(|_| {
        !head_only
            && shared
                .cuts_left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
    });
    match cut {
        None => {
            log(req, &format!("{status} ({} bytes)", body.len()));
            respond(tls, status, &headers, body, head_only)
        }
        Some(n) => {
            let sent = body.get(..n as usize).unwrap_or(body);
            log(
                req,
                &format!("{status}, connection cut after {} bytes", sent.len()),
            );
            write_head(tls, status, &headers, body.len())?;
            write_all(tls, sent)?;
            // Drop the connection under TLS, without close_notify: what a
            // network failure looks like to the device.
            let _ = tls.sock.shutdown(Shutdown::Both);
            Ok(())
        }
    }
}

fn write_head(
    tls: &mut Tls,
    status: u16,
    headers: &[(&str, String)],
    len: usize,
) -> Result<(), String> {
    let mut head = format!(
        "HTTP/1.1 {status} {}\r\nServer: wolfboot-rs ota-server\r\nConnection: close\r\nContent-Length: {len}\r\n",
        http::reason(status)
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    write_all(tls, head.as_bytes())
}

fn write_all(tls: &mut Tls, data: &[u8]) -> Result<(), String> {
    for piece in data.chunks(CHUNK) {
        tls.write_all(piece)
            .map_err(|e| format!("connection dropped: {e}"))?;
    }
    tls.flush().map_err(|e| format!("connection dropped: {e}"))
}

fn respond(
    tls: &mut Tls,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
    head_only: bool,
) -> Result<(), String> {
    write_head(tls, status, headers, body.len())?;
    if !head_only {
        write_all(tls, body)?;
    }
    tls.conn.send_close_notify();
    tls.flush().map_err(|e| format!("connection dropped: {e}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = if args.first().map(String::as_str) == Some("pki") {
        match args.get(1..) {
            Some([dir]) => pki::generate(Path::new(dir)).map(|f| {
                println!("CA certificate (give it to devices): {}", f.ca.display());
                println!("server certificate: {}", f.cert.display());
                println!("server key: {}", f.key.display());
            }),
            _ => Err(USAGE.to_string()),
        }
    } else {
        parse_args(&args).and_then(serve)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ota-server: error: {e}");
            ExitCode::FAILURE
        }
    }
}
