//! A plain-HTTP GET for `msadesk fetch` (vulnerability feeds from a configurable URL). This crate
//! is the only one that knows HTTP, so the client lives here too.
//!
//! HTTPS is refused with an explanation: the build has no TLS stack (download the file with a tool
//! that has one and import it, or fetch from an internal plain-HTTP mirror). No redirects are
//! followed (a redirect is reported with its target), the body is limited in size, and the whole
//! exchange has a time limit.

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

/// What went wrong, said so that the operator knows what to do.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(
        "'{0}' is an HTTPS URL, and this build has no TLS: download it with a tool that has (curl -o feed.json URL) and run `msadesk import vulns feed.json`, or give a plain-HTTP mirror"
    )]
    Https(String),
    #[error("'{0}' is not an http:// URL (expected http://host[:port]/path)")]
    BadUrl(String),
    #[error("cannot connect to {0}: {1}")]
    Connect(String, String),
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

struct Target {
    authority: String,
    path: String,
}

fn parse(url: &str) -> Result<Target, FetchError> {
    let u = url.trim();
    if u.len() > 2000 || u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FetchError::BadUrl(u.chars().take(120).collect()));
    }
    if u.to_ascii_lowercase().starts_with("https://") {
        return Err(FetchError::Https(u.to_string()));
    }
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("HTTP://"))
        .ok_or_else(|| FetchError::BadUrl(u.to_string()))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    if authority.is_empty() || authority.contains('@') {
        return Err(FetchError::BadUrl(u.to_string()));
    }
    let authority = if authority.rsplit_once(':').is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        && !authority.ends_with(']')
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    Ok(Target { authority, path })
}

/// GETs `url` (plain HTTP/1.1), refusing bodies over `max_bytes` and exchanges over `timeout`.
pub async fn get(url: &str, max_bytes: usize, timeout: Duration) -> Result<Fetched, FetchError> {
    let t = parse(url)?;
    let url_s = url.trim().to_string();
    let work = async {
        let stream = tokio::net::TcpStream::connect(&t.authority)
            .await
            .map_err(|e| FetchError::Connect(t.authority.clone(), e.to_string()))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| FetchError::Http(url_s.clone(), e.to_string()))?;
        let driver = tokio::spawn(async move {
            let _ = conn.await;
        });
        let host = t.authority.trim_end_matches(":80").to_string();
        let req = hyper::Request::get(&t.path)
            .header(hyper::header::HOST, host)
            .header(hyper::header::USER_AGENT, concat!("msadesk/", env!("CARGO_PKG_VERSION")))
            .header(hyper::header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|e| FetchError::Http(url_s.clone(), e.to_string()))?;
        let res = sender.send_request(req).await.map_err(|e| FetchError::Http(url_s.clone(), e.to_string()))?;
        let status = res.status();
        if !status.is_success() {
            let location =
                res.headers().get(hyper::header::LOCATION).and_then(|v| v.to_str().ok()).map_or(String::new(), |l| {
                    format!(" (redirect to {l}: msadesk follows no redirects; give that URL)")
                });
            driver.abort();
            return Err(FetchError::Status { url: url_s.clone(), status: status.as_u16(), location });
        }
        let content_type =
            res.headers().get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
        let body = Limited::new(res.into_body(), max_bytes).collect().await.map_err(|e| {
            if e.is::<http_body_util::LengthLimitError>() {
                FetchError::TooLarge(url_s.clone(), max_bytes)
            } else {
                FetchError::Http(url_s.clone(), e.to_string())
            }
        })?;
        driver.abort();
        Ok(Fetched { bytes: body.to_bytes().to_vec(), content_type })
    };
    match tokio::time::timeout(timeout, work).await {
        Ok(r) => r,
        Err(_) => Err(FetchError::Timeout(url.trim().to_string(), timeout.as_secs())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let table = [
            ("http://127.0.0.1:8080/feed.json", Some(("127.0.0.1:8080", "/feed.json"))),
            ("http://mirror.example/osv?x=1", Some(("mirror.example:80", "/osv?x=1"))),
            ("http://mirror.example?x=1", Some(("mirror.example:80", "/?x=1"))),
            ("http://mirror.example", Some(("mirror.example:80", "/"))),
            ("http://[::1]:9000/a", Some(("[::1]:9000", "/a"))),
            ("http://user@host/a", None),
            ("ftp://host/a", None),
            ("http://", None),
            ("http://host/a b", None),
        ];
        for (url, want) in table {
            let got = parse(url).ok().map(|t| (t.authority, t.path));
            assert_eq!(got.as_ref().map(|(a, p)| (a.as_str(), p.as_str())), want, "{url}");
        }
        assert!(matches!(parse("https://osv.dev/x"), Err(FetchError::Https(_))));
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
        let got = get(&url, 10, Duration::from_secs(5)).await.unwrap();
        assert_eq!((got.bytes.as_slice(), got.content_type.as_deref()), (&b"[]"[..], Some("application/json")));
        assert!(matches!(get(&url, 10, Duration::from_secs(5)).await, Err(FetchError::TooLarge(_, 10))));
        let e = get(&url, 10, Duration::from_secs(5)).await.unwrap_err().to_string();
        assert!(e.contains("301") && e.contains("https://elsewhere/"), "{e}");
    }
}
