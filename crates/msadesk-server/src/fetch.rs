//! An HTTP(S) GET for `msadesk fetch` (vulnerability feeds from a configurable URL). This crate is
//! the only one that knows HTTP, so the client lives here too.
//!
//! HTTPS uses rustls (with ring) and trusts the Mozilla root certificates built into the binary
//! (webpki-roots), plus the PEM certificates of an extra CA file when one is given (an internal
//! mirror behind a private CA: `MSADESK_FETCH_CA_FILE`). Certificates and host names are always
//! checked; there is no switch to turn that off. No redirects are followed (a redirect is reported
//! with its target), the body is limited in size, and the whole exchange has a time limit.

use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::rustls;

/// What went wrong, said so that the operator knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("'{0}' is not an http:// or https:// URL (expected https://host[:port]/path)")]
    BadUrl(String),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
    #[error(
        "TLS with {0} failed: {1} (if the server uses a private CA, give its PEM certificate with MSADESK_FETCH_CA_FILE)"
    )]
    Tls(String, String),
    #[error("the extra CA file {0}: {1}")]
    CaFile(String, String),
    #[error("{0}: {1}")]
    Http(String, String),
    #[error("{url} answered {status}{location}")]
    Status { url: String, status: u16, location: String },
    #[error("{0}: the answer is larger than {1} bytes")]
    TooLarge(String, usize),
    #[error("{0}: no complete answer within {1} s")]
    Timeout(String, u64),
}

/// A fetched document.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
}

/// Limits and trust of one fetch.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub max_bytes: usize,
    pub timeout: Duration,
    /// PEM certificates trusted for HTTPS in addition to the built-in roots.
    pub extra_ca_pem: Option<Vec<u8>>,
}

struct Target {
    tls: bool,
    /// host:port to connect to.
    authority: String,
    /// The host as the server is named (TLS server name, `Host` header without a default port).
    host: String,
    /// The `Host` header.
    host_header: String,
    path: String,
}

fn parse(url: &str) -> Result<Target, FetchError> {
    let u = url.trim();
    if u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FetchError::BadUrl(u.chars().take(120).collect()));
    }
    let lower = u.to_ascii_lowercase();
    let (tls, rest) = if lower.starts_with("https://") {
        (true, &u["https://".len()..])
    } else if lower.starts_with("http://") {
        (false, &u["http://".len()..])
    } else {
        return Err(FetchError::BadUrl(u.to_string()));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(FetchError::BadUrl(u.to_string()));
    }
    let default_port = if tls { 443 } else { 80 };
    let explicit_port = authority
        .rsplit_once(':')
        .filter(|(_, p)| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !authority.ends_with(']'));
    let (host, authority) = match explicit_port {
        Some((h, _)) => (h.to_string(), authority.to_string()),
        None => (authority.to_string(), format!("{authority}:{default_port}")),
    };
    if host.is_empty() {
        return Err(FetchError::BadUrl(u.to_string()));
    }
    let host_header = match explicit_port {
        Some((_, p)) if p != default_port.to_string() => authority.clone(),
        _ => host.clone(),
    };
    Ok(Target { tls, authority, host, host_header, path })
}

/// The TLS client configuration: the built-in roots plus the extra CA's certificates.
fn tls_config(extra_ca_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, FetchError> {
    let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    if let Some(pem) = extra_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| FetchError::CaFile("(PEM)".into(), e.to_string()))?;
            roots.add(cert).map_err(|e| FetchError::CaFile("(PEM)".into(), e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(FetchError::CaFile("(PEM)".into(), "holds no CERTIFICATE block".into()));
        }
    }
    // ring rather than aws-lc (no C/CMake build on these machines); rustls marks its provider
    // deprecated only because it lacks post-quantum key exchange, which a feed download can forgo.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| FetchError::Tls("(configuration)".into(), e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}

/// An HTTP answer of any status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// GETs `url` over HTTP/1.1 (TLS for https://), within the limits of `opts`; anything but a 2xx
/// answer is an error (a redirect names its target).
pub async fn get(url: &str, opts: &FetchOptions) -> Result<Fetched, FetchError> {
    let a = request(hyper::Method::GET, url, &[("accept", "application/json")], Vec::new(), opts).await?;
    if !(200..300).contains(&a.status) {
        let location = a
            .location
            .map_or(String::new(), |l| format!(" (redirect to {l}: msadesk follows no redirects; give that URL)"));
        return Err(FetchError::Status { url: url.trim().to_string(), status: a.status, location });
    }
    Ok(Fetched { bytes: a.body, content_type: a.content_type })
}

/// Sends one request to `url` (TLS for https://) with `headers` and `body`, within the limits of
/// `opts`, and returns the answer whatever its status (the webhook sender decides what a status
/// means). The `host` and `user-agent` headers are set here.
pub async fn request(
    method: hyper::Method,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    opts: &FetchOptions,
) -> Result<Answer, FetchError> {
    let t = parse(url)?;
    let url_s = url.trim().to_string();
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(&t.path)
        .header(hyper::header::HOST, &t.host_header)
        .header(hyper::header::USER_AGENT, concat!("msadesk/", env!("CARGO_PKG_VERSION")));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(Full::new(Bytes::from(body))).map_err(|e| FetchError::Http(url_s.clone(), e.to_string()))?;
    // Built before connecting: a bad CA file is reported as such, not as a TLS failure.
    let tls = if t.tls { Some(tls_config(opts.extra_ca_pem.as_deref())?) } else { None };
    let work = async {
        let stream = tokio::net::TcpStream::connect(&t.authority)
            .await
            .map_err(|e| FetchError::Connect(t.authority.clone(), e.to_string()))?;
        match tls {
            Some(config) => {
                let name = ServerName::try_from(t.host.trim_start_matches('[').trim_end_matches(']').to_string())
                    .map_err(|e| FetchError::BadUrl(format!("{url_s}: {e}")))?;
                let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
                    .connect(name, stream)
                    .await
                    .map_err(|e| FetchError::Tls(t.authority.clone(), e.to_string()))?;
                exchange(stream, req, &url_s, opts.max_bytes).await
            }
            None => exchange(stream, req, &url_s, opts.max_bytes).await,
        }
    };
    match tokio::time::timeout(opts.timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Timeout(url_s, opts.timeout.as_secs())),
    }
}

/// One request and its answer over an open connection (plain or TLS).
async fn exchange<IO>(
    io: IO,
    req: hyper::Request<Full<Bytes>>,
    url_s: &str,
    max_bytes: usize,
) -> Result<Answer, FetchError>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| FetchError::Http(url_s.to_string(), e.to_string()))?;
    let driver = tokio::spawn(async move {
        let _ = conn.await;
    });
    let res = sender.send_request(req).await.map_err(|e| FetchError::Http(url_s.to_string(), e.to_string()))?;
    let header =
        |name: hyper::header::HeaderName| res.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (status, content_type, location) =
        (res.status().as_u16(), header(hyper::header::CONTENT_TYPE), header(hyper::header::LOCATION));
    let body = if (200..300).contains(&status) {
        Limited::new(res.into_body(), max_bytes)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    FetchError::TooLarge(url_s.to_string(), max_bytes)
                } else {
                    FetchError::Http(url_s.to_string(), e.to_string())
                }
            })?
            .to_bytes()
            .to_vec()
    } else {
        Vec::new()
    };
    driver.abort();
    Ok(Answer { status, content_type, location, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let table = [
            ("http://127.0.0.1:8080/feed.json", Some((false, "127.0.0.1:8080", "127.0.0.1:8080", "/feed.json"))),
            ("http://mirror.example/osv?x=1", Some((false, "mirror.example:80", "mirror.example", "/osv?x=1"))),
            ("http://mirror.example?x=1", Some((false, "mirror.example:80", "mirror.example", "/?x=1"))),
            ("http://mirror.example", Some((false, "mirror.example:80", "mirror.example", "/"))),
            ("http://mirror.example:80/a", Some((false, "mirror.example:80", "mirror.example", "/a"))),
            ("http://[::1]:9000/a", Some((false, "[::1]:9000", "[::1]:9000", "/a"))),
            ("https://osv.dev/x", Some((true, "osv.dev:443", "osv.dev", "/x"))),
            ("HTTPS://osv.dev:8443/x", Some((true, "osv.dev:8443", "osv.dev:8443", "/x"))),
            ("https://osv.dev:443", Some((true, "osv.dev:443", "osv.dev", "/"))),
            ("http://user@host/a", None),
            ("ftp://host/a", None),
            ("http://", None),
            ("https://:443/a", None),
            ("http://host/a b", None),
        ];
        for (url, want) in table {
            let got = parse(url).ok().map(|t| (t.tls, t.authority, t.host_header, t.path));
            assert_eq!(got.as_ref().map(|(s, a, h, p)| (*s, a.as_str(), h.as_str(), p.as_str())), want, "{url}");
        }
    }

    #[tokio::test]
    async fn gets_a_body_refuses_large_ones_and_reports_statuses() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            for answer in [
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]",
                "HTTP/1.1 200 OK\r\nContent-Length: 20\r\nConnection: close\r\n\r\n01234567890123456789",
                "HTTP/1.1 301 Moved\r\nLocation: https://elsewhere/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            ] {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let _ = s.read(&mut buf).await.unwrap();
                s.write_all(answer.as_bytes()).await.unwrap();
                let _ = s.shutdown().await;
            }
        });
        let url = format!("http://{addr}/feed.json");
        let opts = FetchOptions { max_bytes: 10, timeout: Duration::from_secs(5), extra_ca_pem: None };
        let got = get(&url, &opts).await.unwrap();
        assert_eq!((got.bytes.as_slice(), got.content_type.as_deref()), (&b"[]"[..], Some("application/json")));
        assert!(matches!(get(&url, &opts).await, Err(FetchError::TooLarge(_, 10))));
        let e = get(&url, &opts).await.unwrap_err().to_string();
        assert!(e.contains("301") && e.contains("https://elsewhere/"), "{e}");
    }

    /// A TLS server on loopback with the test certificates (see `testdata/README.md`), answering
    /// each connection with one small feed.
    async fn tls_server(ip: &str) -> std::net::SocketAddr {
        use rustls_pki_types::PrivateKeyDer;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(include_bytes!("testdata/test-server.pem")).map(Result::unwrap).collect();
        let key = PrivateKeyDer::from_pem_slice(include_bytes!("testdata/test-server.key.pem")).unwrap();
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind(format!("{ip}:0")).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else { return };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A client that refuses the certificate ends the handshake: nothing to answer.
                    let Ok(mut s) = acceptor.accept(tcp).await else { return };
                    let mut buf = vec![0u8; 4096];
                    let n = s.read(&mut buf).await.unwrap_or(0);
                    let mut request = String::from_utf8_lossy(&buf[..n]).to_string();
                    if request.starts_with("POST /hook ") {
                        // Headers and body may come in separate records: read up to the body.
                        for _ in 0..10 {
                            if request.ends_with("{\"a\":1}") {
                                break;
                            }
                            let n = s.read(&mut buf).await.unwrap_or(0);
                            request.push_str(&String::from_utf8_lossy(&buf[..n]));
                        }
                        let status = if request.contains("\r\nx-test: 1\r\n") && request.ends_with("{\"a\":1}") {
                            "202 Accepted"
                        } else {
                            "400 Bad Request"
                        };
                        let answer = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                        let _ = s.write_all(answer.as_bytes()).await;
                        let _ = s.shutdown().await;
                        return;
                    }
                    let body =
                        if request.contains("\r\nhost: localhost\r\n") || request.contains("\r\nhost: localhost:") {
                            "{\"vulns\": []}"
                        } else {
                            "{}"
                        };
                    let answer = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = s.write_all(answer.as_bytes()).await;
                    let _ = s.shutdown().await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn https_checks_the_certificate_against_the_roots_and_the_extra_ca() {
        let addr = tls_server("127.0.0.1").await;
        let ca = include_bytes!("testdata/test-ca.pem").to_vec();
        let opts =
            FetchOptions { max_bytes: 1 << 20, timeout: Duration::from_secs(10), extra_ca_pem: Some(ca.clone()) };
        // Trusted through the extra CA, by name and by address (both in the certificate).
        let got = get(&format!("https://localhost:{}/feed.json", addr.port()), &opts).await.unwrap();
        assert_eq!(got.bytes, b"{\"vulns\": []}");
        let got = get(&format!("https://{addr}/feed.json"), &opts).await.unwrap();
        assert_eq!(got.content_type.as_deref(), Some("application/json"));
        // Without the extra CA the built-in roots do not know it: refused, and the error says what to do.
        let bare = FetchOptions { extra_ca_pem: None, ..opts.clone() };
        let e = get(&format!("https://localhost:{}/feed.json", addr.port()), &bare).await.unwrap_err();
        assert!(matches!(e, FetchError::Tls(..)), "{e}");
        assert!(e.to_string().contains("MSADESK_FETCH_CA_FILE"), "{e}");
        // A name the certificate does not carry is refused even with the CA.
        let other = tls_server("127.0.0.2").await;
        let e = get(&format!("https://{other}/feed.json"), &opts).await.unwrap_err();
        assert!(matches!(e, FetchError::Tls(..)), "{e}");
        // A CA file without a certificate is reported before connecting.
        let junk = FetchOptions { extra_ca_pem: Some(b"not a certificate".to_vec()), ..opts.clone() };
        let e = get(&format!("https://{addr}/feed.json"), &junk).await.unwrap_err();
        assert!(matches!(e, FetchError::CaFile(..)), "{e}");
        // A POST with headers and a body (what the webhook sender does), answered with its status.
        let hook = format!("https://{addr}/hook");
        let a = request(hyper::Method::POST, &hook, &[("x-test", "1")], b"{\"a\":1}".to_vec(), &opts).await.unwrap();
        assert_eq!(a.status, 202);
        let a = request(hyper::Method::POST, &hook, &[], b"{\"a\":1}".to_vec(), &opts).await.unwrap();
        assert_eq!(a.status, 400, "the test server checks what it got");
        // Plain HTTP to the TLS port is not mistaken for an answer.
        assert!(get(&format!("http://{addr}/feed.json"), &opts).await.is_err());
    }
}
