//! Signed evidence packages: a ZIP holding the files, `manifest.json` (every file with its path,
//! size, media type and SHA-256, plus the package's title, creation time, operator and public key)
//! and `manifest.sig` (an Ed25519 signature over the exact bytes of `manifest.json`, as 128
//! hexadecimal digits and a newline).
//!
//! The ZIP is written by hand, "stored" (no compression): packages hold JSON, CSV, HTML and
//! documents that are mostly compressed already, and a stored archive cannot be a zip bomb (every
//! declared size must lie inside the archive). Every header field is a function of the file's name,
//! bytes and the manifest's `created_at`, so [`verify`] re-encodes the archive it has read and
//! demands the same bytes back: a change to ANY byte of a package — file contents, a header, the
//! central directory, the manifest, the signature — is either a content mismatch (named by file)
//! or a structural one (named by the entry whose header changed).
//!
//! This module builds and checks bytes; it opens no file and does not know where keys live.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's `format` value; a reader refuses other formats.
pub const FORMAT: &str = "msadesk-package/1";
/// The manifest's name inside the package.
pub const MANIFEST: &str = "manifest.json";
/// The signature's name inside the package.
pub const SIGNATURE: &str = "manifest.sig";

/// One file to put in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    /// Path inside the package, `/`-separated, relative (`trace/answer.csv`).
    pub path: String,
    /// IANA media type (`text/csv`, `application/pdf`).
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// What the manifest says about the package as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageMeta {
    pub title: String,
    /// RFC 3339 time (`2026-12-04T21:00:00Z`); also the time stamped on every ZIP entry.
    pub created_at: String,
    /// Who built it (our legal name, or the officer).
    pub operator: String,
}

/// One file as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    pub path: String,
    pub size: u64,
    pub media_type: String,
    /// Lower-case hexadecimal SHA-256 of the file's bytes.
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub title: String,
    pub created_at: String,
    pub operator: String,
    /// The Ed25519 public key that signed `manifest.json`, 64 hexadecimal digits.
    pub public_key: String,
    pub files: Vec<ManifestFile>,
}

/// A package that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub manifest: Manifest,
    /// The key that signed it (trusted or not: compare it with the operator's published key).
    pub public_key: VerifyingKey,
    /// Whether it was checked against a key the caller trusts (`--key`).
    pub key_trusted: bool,
}

/// Bounds on what [`verify`] accepts, so that a hostile file cannot exhaust memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest archive, in bytes.
    pub max_archive: u64,
    /// Most entries.
    pub max_entries: usize,
    /// Largest `manifest.json`.
    pub max_manifest: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_archive: 2 << 30, max_entries: 10_000, max_manifest: 16 << 20 }
    }
}

/// Why a package could not be built or does not verify. Variants about one file name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackageError {
    #[error("the package is {size} bytes; the limit is {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("not a package written by msadesk: {0}")]
    NotAPackage(String),
    #[error("{file}: the ZIP structure was altered ({what})")]
    Structure { file: String, what: String },
    #[error("{file}: unsafe or invalid path in the package ({why})")]
    UnsafePath { file: String, why: String },
    #[error("{file}: appears twice in the package")]
    Duplicate { file: String },
    #[error("{file}: compression method {method} is not used by msadesk packages (only stored entries are accepted)")]
    Unsupported { file: String, method: u16 },
    #[error("{file}: its bytes were altered ({what})")]
    Altered { file: String, what: String },
    #[error("{file}: was added to the package (it is not in manifest.json)")]
    Added { file: String },
    #[error("{file}: was removed from the package (manifest.json lists it)")]
    Missing { file: String },
    #[error("manifest.json: {0}")]
    Manifest(String),
    #[error("manifest.sig: the signature does not match manifest.json (manifest.json or manifest.sig was altered)")]
    BadSignature,
    #[error("manifest.sig: signed by key {found}, not by the trusted key {expected}")]
    KeyMismatch { found: String, expected: String },
    #[error("cannot build the package: {0}")]
    Build(String),
}

impl PackageError {
    /// The file inside the package the error is about, when there is one.
    pub fn file(&self) -> Option<&str> {
        match self {
            PackageError::Structure { file, .. }
            | PackageError::UnsafePath { file, .. }
            | PackageError::Duplicate { file }
            | PackageError::Unsupported { file, .. }
            | PackageError::Altered { file, .. }
            | PackageError::Added { file }
            | PackageError::Missing { file } => Some(file),
            PackageError::Manifest(_) => Some(MANIFEST),
            PackageError::BadSignature | PackageError::KeyMismatch { .. } => Some(SIGNATURE),
            _ => None,
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        let d = |c: u8| match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        };
        *o = d(b[2 * i])? << 4 | d(b[2 * i + 1])?;
    }
    Some(out)
}

/// Parses a public key given as 64 hexadecimal digits (upper or lower case, surrounding space ignored).
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, String> {
    let t = text.trim().to_ascii_lowercase();
    let bytes = unhex::<32>(&t).ok_or("a public key is 64 hexadecimal digits")?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| format!("not an Ed25519 public key: {e}"))
}

/// The public key as the manifest and `msadesk key export` write it.
pub fn public_key_hex(key: &VerifyingKey) -> String {
    hex(key.as_bytes())
}

/// Lower-case hexadecimal SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Checks a path inside a package: relative, `/`-separated, no `.` or `..` segments, no empty
/// segments, no drive letters, backslashes or control characters, at most 255 bytes.
pub fn check_path(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("empty name".into());
    }
    if path.len() > 255 {
        return Err("longer than 255 bytes".into());
    }
    if path.starts_with('/') {
        return Err("absolute path".into());
    }
    if path.contains('\\') {
        return Err("backslash in the name".into());
    }
    if path.chars().any(|c| c.is_control()) {
        return Err("control character in the name".into());
    }
    if path.as_bytes().get(1) == Some(&b':') {
        return Err("drive letter".into());
    }
    for seg in path.split('/') {
        match seg {
            "" => return Err("empty path segment (or a directory entry)".into()),
            "." | ".." => return Err("'.' or '..' segment (path traversal)".into()),
            _ => {}
        }
    }
    Ok(())
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// CRC-32 (IEEE 802.3), as ZIP uses it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

/// MS-DOS date and time of an RFC 3339 time (its local wall-clock part); 1980-01-01 00:00 when
/// the time cannot be read or is before 1980.
fn dos_time(rfc3339: &str) -> (u16, u16) {
    let n = |r: std::ops::Range<usize>| rfc3339.get(r).and_then(|s| s.parse::<u16>().ok());
    let parsed = (|| {
        let (y, mo, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
        let (h, mi, s) = (n(11..13)?, n(14..16)?, n(17..19)?);
        let ok = (1980..=2107).contains(&y) && (1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60;
        ok.then(|| (((y - 1980) << 9) | (mo << 5) | d, (h << 11) | (mi << 5) | (s.min(59) / 2)))
    })();
    parsed.unwrap_or((0x21, 0))
}

const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const END_SIG: u32 = 0x0605_4b50;
/// ZIP 2.0 is enough for stored entries.
const VERSION_NEEDED: u16 = 20;
/// Made by: Unix (3), ZIP 2.0.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
/// Bit 11: names are UTF-8.
const FLAGS: u16 = 0x0800;
/// Regular file, rw-r--r--.
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Where one entry's parts lie in an encoded archive (used to name the entry a byte belongs to).
struct Span {
    local: std::ops::Range<usize>,
    central: std::ops::Range<usize>,
}

/// Encodes entries as a stored ZIP. Every field is determined by the names, bytes and time.
fn encode(entries: &[(&str, &[u8])], time: (u16, u16)) -> Result<(Vec<u8>, Vec<Span>), PackageError> {
    let too_big = || PackageError::Build("more than 4 GiB or 65535 entries (ZIP64 is not written)".into());
    let count = u16::try_from(entries.len()).map_err(|_| too_big())?;
    let mut out = Vec::with_capacity(entries.iter().map(|(n, b)| 30 + n.len() + b.len()).sum::<usize>() + 64);
    let mut spans = Vec::with_capacity(entries.len());
    let mut offsets = Vec::with_capacity(entries.len());
    for (name, bytes) in entries {
        let start = out.len();
        offsets.push(u32::try_from(start).map_err(|_| too_big())?);
        let size = u32::try_from(bytes.len()).map_err(|_| too_big())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        put32(&mut out, LOCAL_SIG);
        put16(&mut out, VERSION_NEEDED);
        put16(&mut out, FLAGS);
        put16(&mut out, 0); // stored
        put16(&mut out, time.1);
        put16(&mut out, time.0);
        put32(&mut out, crc32(bytes));
        put32(&mut out, size);
        put32(&mut out, size);
        put16(&mut out, name_len);
        put16(&mut out, 0); // no extra field
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(bytes);
        spans.push(Span { local: start..out.len(), central: 0..0 });
    }
    let cd_start = out.len();
    for (i, (name, bytes)) in entries.iter().enumerate() {
        let start = out.len();
        let size = u32::try_from(bytes.len()).map_err(|_| too_big())?;
        put32(&mut out, CENTRAL_SIG);
        put16(&mut out, VERSION_MADE_BY);
        put16(&mut out, VERSION_NEEDED);
        put16(&mut out, FLAGS);
        put16(&mut out, 0);
        put16(&mut out, time.1);
        put16(&mut out, time.0);
        put32(&mut out, crc32(bytes));
        put32(&mut out, size);
        put32(&mut out, size);
        put16(&mut out, u16::try_from(name.len()).map_err(|_| too_big())?);
        put16(&mut out, 0); // extra
        put16(&mut out, 0); // comment
        put16(&mut out, 0); // disk
        put16(&mut out, 0); // internal attributes
        put32(&mut out, EXTERNAL_ATTRS);
        put32(&mut out, offsets[i]);
        out.extend_from_slice(name.as_bytes());
        spans[i].central = start..out.len();
    }
    let cd_len = u32::try_from(out.len() - cd_start).map_err(|_| too_big())?;
    put32(&mut out, END_SIG);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, count);
    put16(&mut out, count);
    put32(&mut out, cd_len);
    put32(&mut out, u32::try_from(cd_start).map_err(|_| too_big())?);
    put16(&mut out, 0); // no comment
    u32::try_from(out.len()).map_err(|_| too_big())?;
    Ok((out, spans))
}

/// Builds a signed package. Paths are checked ([`check_path`]) and must be unique; `manifest.json`
/// and `manifest.sig` are added by this function. Same inputs give the same bytes.
pub fn build(files: &[PackageFile], meta: &PackageMeta, key: &SigningKey) -> Result<Vec<u8>, PackageError> {
    let mut seen = BTreeSet::new();
    for f in files {
        check_path(&f.path).map_err(|why| PackageError::UnsafePath { file: f.path.clone(), why })?;
        if f.path == MANIFEST || f.path == SIGNATURE {
            return Err(PackageError::Build(format!("{} is written by the package itself", f.path)));
        }
        if !seen.insert(f.path.as_str()) {
            return Err(PackageError::Duplicate { file: f.path.clone() });
        }
        if f.media_type.is_empty() || f.media_type.len() > 255 || f.media_type.chars().any(char::is_control) {
            return Err(PackageError::Build(format!("{}: invalid media type '{}'", f.path, f.media_type)));
        }
    }
    let manifest = Manifest {
        format: FORMAT.into(),
        title: meta.title.clone(),
        created_at: meta.created_at.clone(),
        operator: meta.operator.clone(),
        public_key: hex(key.verifying_key().as_bytes()),
        files: files
            .iter()
            .map(|f| ManifestFile {
                path: f.path.clone(),
                size: f.bytes.len() as u64,
                media_type: f.media_type.clone(),
                sha256: sha256_hex(&f.bytes),
            })
            .collect(),
    };
    let mut manifest_bytes =
        serde_json::to_vec_pretty(&manifest).map_err(|e| PackageError::Build(format!("manifest: {e}")))?;
    manifest_bytes.push(b'\n');
    let sig = format!("{}\n", hex(&key.sign(&manifest_bytes).to_bytes()));
    let mut entries: Vec<(&str, &[u8])> = vec![(MANIFEST, &manifest_bytes), (SIGNATURE, sig.as_bytes())];
    entries.extend(files.iter().map(|f| (f.path.as_str(), f.bytes.as_slice())));
    Ok(encode(&entries, dos_time(&meta.created_at))?.0)
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

struct Entry<'a> {
    name: String,
    data: &'a [u8],
    crc: u32,
}

fn structure(file: &str, what: &str) -> PackageError {
    PackageError::Structure { file: file.into(), what: what.into() }
}

/// Reads the entries of a stored ZIP, checking names, bounds and CRCs (not yet the canonical form).
fn read_entries<'a>(zip: &'a [u8], limits: &Limits) -> Result<Vec<Entry<'a>>, PackageError> {
    let not = |w: &str| PackageError::NotAPackage(w.into());
    let len = zip.len();
    let end = len.checked_sub(22).ok_or_else(|| not("too short to be a ZIP archive"))?;
    if u32_at(zip, end) != Some(END_SIG) {
        return Err(not("no ZIP end record at the end of the file (truncated, extended or not a ZIP)"));
    }
    let count = usize::from(u16_at(zip, end + 10).unwrap_or(0));
    if count > limits.max_entries {
        return Err(not(&format!("{count} entries; the limit is {}", limits.max_entries)));
    }
    let cd_size = u32_at(zip, end + 12).unwrap_or(0) as usize;
    let cd_off = u32_at(zip, end + 16).unwrap_or(0) as usize;
    if cd_off.checked_add(cd_size) != Some(end) {
        return Err(not("the central directory does not end where the end record starts"));
    }
    let mut entries = Vec::with_capacity(count);
    let mut names = BTreeSet::new();
    let mut at = cd_off;
    for i in 0..count {
        let which = format!("central directory entry {}", i + 1);
        if u32_at(zip, at) != Some(CENTRAL_SIG) {
            return Err(structure(&which, "no central directory signature"));
        }
        let method = u16_at(zip, at + 10).ok_or_else(|| structure(&which, "truncated"))?;
        let crc = u32_at(zip, at + 16).ok_or_else(|| structure(&which, "truncated"))?;
        let csize = u32_at(zip, at + 20).ok_or_else(|| structure(&which, "truncated"))? as usize;
        let usize_ = u32_at(zip, at + 24).ok_or_else(|| structure(&which, "truncated"))? as usize;
        let nlen = usize::from(u16_at(zip, at + 28).ok_or_else(|| structure(&which, "truncated"))?);
        let elen = usize::from(u16_at(zip, at + 30).ok_or_else(|| structure(&which, "truncated"))?);
        let clen = usize::from(u16_at(zip, at + 32).ok_or_else(|| structure(&which, "truncated"))?);
        let local = u32_at(zip, at + 42).ok_or_else(|| structure(&which, "truncated"))? as usize;
        let name_bytes = zip.get(at + 46..at + 46 + nlen).ok_or_else(|| structure(&which, "name out of bounds"))?;
        let name = String::from_utf8(name_bytes.to_vec()).map_err(|_| structure(&which, "name is not UTF-8"))?;
        check_path(&name).map_err(|why| PackageError::UnsafePath { file: name.clone(), why })?;
        if !names.insert(name.clone()) {
            return Err(PackageError::Duplicate { file: name });
        }
        if method != 0 {
            return Err(PackageError::Unsupported { file: name, method });
        }
        if csize != usize_ {
            return Err(structure(&name, "stored entry with different compressed and uncompressed sizes"));
        }
        at += 46 + nlen + elen + clen;
        if at > end {
            return Err(structure(&name, "central directory entry runs past the directory"));
        }
        // The local header must agree with the central directory.
        if u32_at(zip, local) != Some(LOCAL_SIG) {
            return Err(structure(&name, "no local header where the central directory points"));
        }
        let lnlen = usize::from(u16_at(zip, local + 26).ok_or_else(|| structure(&name, "truncated"))?);
        let lelen = usize::from(u16_at(zip, local + 28).ok_or_else(|| structure(&name, "truncated"))?);
        if zip.get(local + 30..local + 30 + lnlen) != Some(name_bytes) {
            return Err(structure(&name, "local header names another file"));
        }
        let start = local + 30 + lnlen + lelen;
        let data = start
            .checked_add(csize)
            .filter(|e| *e <= cd_off)
            .and_then(|e| zip.get(start..e))
            .ok_or_else(|| structure(&name, "declared size runs past the file data"))?;
        entries.push(Entry { name, data, crc });
    }
    if at != end {
        return Err(not("bytes between the central directory and the end record"));
    }
    for e in &entries {
        if crc32(e.data) != e.crc {
            return Err(PackageError::Altered { file: e.name.clone(), what: "CRC-32 does not match".into() });
        }
    }
    Ok(entries)
}

/// Verifies a package with the default [`Limits`].
pub fn verify(zip: &[u8], trusted: Option<&VerifyingKey>) -> Result<Verified, PackageError> {
    verify_with_limits(zip, trusted, &Limits::default())
}

/// Verifies a package: structure, names, the signature (against `trusted` when given, else the key
/// the manifest names), every file's size and SHA-256, no file added or removed, and that the
/// archive is byte for byte what [`build`] writes for those files.
pub fn verify_with_limits(
    zip: &[u8],
    trusted: Option<&VerifyingKey>,
    limits: &Limits,
) -> Result<Verified, PackageError> {
    if zip.len() as u64 > limits.max_archive {
        return Err(PackageError::TooLarge { size: zip.len() as u64, limit: limits.max_archive });
    }
    let entries = read_entries(zip, limits)?;
    let find = |n: &str| entries.iter().find(|e| e.name == n);
    let manifest_bytes = find(MANIFEST).ok_or_else(|| PackageError::Missing { file: MANIFEST.into() })?.data;
    let sig_bytes = find(SIGNATURE).ok_or_else(|| PackageError::Missing { file: SIGNATURE.into() })?.data;
    if manifest_bytes.len() > limits.max_manifest {
        return Err(PackageError::Manifest(format!("larger than {} bytes", limits.max_manifest)));
    }
    let manifest: Manifest =
        serde_json::from_slice(manifest_bytes).map_err(|e| PackageError::Manifest(format!("not valid: {e}")))?;
    if manifest.format != FORMAT {
        return Err(PackageError::Manifest(format!("unknown format '{}' (expected {FORMAT})", manifest.format)));
    }
    let public = unhex::<32>(&manifest.public_key)
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
        .ok_or_else(|| PackageError::Manifest("public_key is not an Ed25519 key in lower-case hex".into()))?;
    if let Some(t) = trusted
        && t != &public
    {
        return Err(PackageError::KeyMismatch { found: manifest.public_key.clone(), expected: hex(t.as_bytes()) });
    }
    let sig_text = std::str::from_utf8(sig_bytes).ok().and_then(|s| s.strip_suffix('\n'));
    let signature = sig_text.and_then(unhex::<64>).map(|b| Signature::from_bytes(&b)).ok_or_else(|| {
        PackageError::Altered { file: SIGNATURE.into(), what: "not 128 lower-case hex digits and a newline".into() }
    })?;
    public.verify_strict(manifest_bytes, &signature).map_err(|_| PackageError::BadSignature)?;

    // The manifest is authentic from here on: compare the files with it.
    let mut listed: BTreeMap<&str, &ManifestFile> = BTreeMap::new();
    for f in &manifest.files {
        check_path(&f.path).map_err(|why| PackageError::UnsafePath { file: f.path.clone(), why })?;
        if listed.insert(f.path.as_str(), f).is_some() || f.path == MANIFEST || f.path == SIGNATURE {
            return Err(PackageError::Manifest(format!("lists {} twice", f.path)));
        }
    }
    for e in &entries {
        if e.name == MANIFEST || e.name == SIGNATURE {
            continue;
        }
        let Some(m) = listed.get(e.name.as_str()) else {
            return Err(PackageError::Added { file: e.name.clone() });
        };
        if m.size != e.data.len() as u64 {
            return Err(PackageError::Altered {
                file: e.name.clone(),
                what: format!("{} bytes, the manifest says {}", e.data.len(), m.size),
            });
        }
        if sha256_hex(e.data) != m.sha256 {
            return Err(PackageError::Altered {
                file: e.name.clone(),
                what: "SHA-256 does not match the manifest".into(),
            });
        }
    }
    for f in &manifest.files {
        if find(&f.path).is_none() {
            return Err(PackageError::Missing { file: f.path.clone() });
        }
    }
    // Every header byte must be what `build` writes: re-encode and compare.
    let parts: Vec<(&str, &[u8])> = entries.iter().map(|e| (e.name.as_str(), e.data)).collect();
    let (canonical, spans) = encode(&parts, dos_time(&manifest.created_at))?;
    if canonical != zip {
        let diff = canonical.iter().zip(zip).position(|(a, b)| a != b).unwrap_or(canonical.len().min(zip.len()));
        let file = spans
            .iter()
            .zip(&entries)
            .find(|(s, _)| s.local.contains(&diff) || s.central.contains(&diff))
            .map(|(_, e)| e.name.clone())
            .unwrap_or_else(|| "ZIP end record".into());
        return Err(structure(&file, &format!("header byte at offset {diff} differs from what msadesk writes")));
    }
    Ok(Verified { manifest, public_key: public, key_trusted: trusted.is_some() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7u8; 32])
    }

    fn meta() -> PackageMeta {
        PackageMeta {
            title: "Response to BNetzA-2026-0042".into(),
            created_at: "2026-12-04T21:00:00Z".into(),
            operator: "ACME Import GmbH".into(),
        }
    }

    fn files() -> Vec<PackageFile> {
        vec![
            PackageFile {
                path: "trace/answer.csv".into(),
                media_type: "text/csv".into(),
                bytes: b"a,b\n1,2\n".to_vec(),
            },
            PackageFile {
                path: "cover-letter.html".into(),
                media_type: "text/html".into(),
                bytes: b"<p>Dear Sir or Madam</p>".to_vec(),
            },
            PackageFile { path: "empty.txt".into(), media_type: "text/plain".into(), bytes: Vec::new() },
        ]
    }

    fn package() -> Vec<u8> {
        build(&files(), &meta(), &key()).expect("build")
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn dos_time_table() {
        for (input, want) in [
            ("2026-12-04T21:00:10Z", (((2026 - 1980) << 9) | (12 << 5) | 4, (21 << 11) | 5)),
            ("1970-01-01T00:00:00Z", (0x21, 0)),
            ("garbage", (0x21, 0)),
            ("2026-13-04T21:00:10Z", (0x21, 0)),
        ] {
            assert_eq!(dos_time(input), want, "{input}");
        }
    }

    #[test]
    fn a_built_package_verifies_and_is_deterministic() {
        let zip = package();
        assert_eq!(zip, package());
        let v = verify(&zip, Some(&key().verifying_key())).expect("verifies");
        assert_eq!(v.manifest.files.len(), 3);
        assert_eq!(v.manifest.files[0].sha256, sha256_hex(b"a,b\n1,2\n"));
        assert_eq!(v.manifest.operator, "ACME Import GmbH");
        assert!(v.key_trusted);
        assert!(!verify(&zip, None).expect("verifies").key_trusted);
    }

    #[test]
    fn every_single_byte_change_is_detected() {
        let zip = package();
        let trusted = key().verifying_key();
        for flip in [0x01u8, 0x80, 0xFF] {
            for i in 0..zip.len() {
                let mut bad = zip.clone();
                bad[i] ^= flip;
                let err = verify(&bad, Some(&trusted)).expect_err(&format!("byte {i} ^ {flip:#x} went unnoticed"));
                assert!(!err.to_string().is_empty());
            }
        }
    }

    #[test]
    fn content_changes_name_the_file() {
        let zip = package();
        let at = zip.windows(7).position(|w| w == b"a,b\n1,2").expect("content present");
        let mut bad = zip.clone();
        bad[at] = b'x';
        let err = verify(&bad, None).expect_err("altered");
        assert_eq!(err.file(), Some("trace/answer.csv"), "{err}");
        assert!(err.to_string().contains("trace/answer.csv"));
    }

    #[test]
    fn truncation_and_appending_are_detected() {
        let zip = package();
        for n in [0, 1, 21, 22, zip.len() / 2, zip.len() - 1] {
            assert!(verify(&zip[..n], None).is_err(), "truncated to {n}");
        }
        let mut longer = zip.clone();
        longer.push(0);
        assert!(verify(&longer, None).is_err());
        let mut prefixed = vec![0u8];
        prefixed.extend_from_slice(&zip);
        assert!(verify(&prefixed, None).is_err());
    }

    /// Re-encodes a package with its entries changed (a forger who recomputes CRCs and headers).
    fn reencode(zip: &[u8], change: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
        let entries = read_entries(zip, &Limits::default()).expect("readable");
        let mut list: Vec<(String, Vec<u8>)> = entries.iter().map(|e| (e.name.clone(), e.data.to_vec())).collect();
        change(&mut list);
        let parts: Vec<(&str, &[u8])> = list.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        encode(&parts, dos_time(&meta().created_at)).expect("encode").0
    }

    #[test]
    fn added_removed_and_replaced_files_are_named() {
        let zip = package();
        let added = reencode(&zip, |l| l.push(("extra.txt".into(), b"hi".to_vec())));
        assert_eq!(verify(&added, None).expect_err("added"), PackageError::Added { file: "extra.txt".into() });
        let removed = reencode(&zip, |l| l.retain(|(n, _)| n != "cover-letter.html"));
        assert_eq!(
            verify(&removed, None).expect_err("removed"),
            PackageError::Missing { file: "cover-letter.html".into() }
        );
        let replaced = reencode(&zip, |l| {
            if let Some(e) = l.iter_mut().find(|(n, _)| n == "trace/answer.csv") {
                e.1 = b"a,b\n1,3\n".to_vec();
            }
        });
        let err = verify(&replaced, None).expect_err("replaced");
        assert!(matches!(&err, PackageError::Altered { file, .. } if file == "trace/answer.csv"), "{err}");
        let no_sig = reencode(&zip, |l| l.retain(|(n, _)| n != SIGNATURE));
        assert_eq!(verify(&no_sig, None).expect_err("no sig"), PackageError::Missing { file: SIGNATURE.into() });
    }

    #[test]
    fn an_altered_manifest_or_another_key_is_rejected() {
        let zip = package();
        let forged = reencode(&zip, |l| {
            if let Some(e) = l.iter_mut().find(|(n, _)| n == MANIFEST) {
                e.1 = String::from_utf8_lossy(&e.1).replace("ACME Import GmbH", "ACME Import GmbX").into_bytes();
            }
        });
        assert_eq!(verify(&forged, None).expect_err("forged"), PackageError::BadSignature);
        // A package re-signed by someone else verifies on its own, but not against our key.
        let other = SigningKey::from_bytes(&[9u8; 32]);
        let theirs = build(&files(), &meta(), &other).expect("build");
        assert!(verify(&theirs, None).is_ok());
        let err = verify(&theirs, Some(&key().verifying_key())).expect_err("mismatch");
        assert!(matches!(err, PackageError::KeyMismatch { .. }), "{err}");
        assert_eq!(err.file(), Some(SIGNATURE));
    }

    #[test]
    fn unsafe_names_are_refused_when_building_and_reading() {
        for bad in ["../etc/passwd", "/abs", "a/../b", "a//b", "C:/x", "a\\b", "dir/", "", "./x", "a\nb"] {
            assert!(check_path(bad).is_err(), "{bad:?} accepted");
            let f = PackageFile { path: bad.into(), media_type: "text/plain".into(), bytes: vec![1] };
            assert!(build(&[f], &meta(), &key()).is_err(), "{bad:?} built");
        }
        for good in ["a", "trace/answer.csv", "docs/1.2.0/DoC.pdf", "über.txt"] {
            assert!(check_path(good).is_ok(), "{good:?} refused");
        }
        // A package whose central directory names '../x' (headers consistent) is refused by name.
        let zip = package();
        let evil = reencode(&zip, |l| l.push(("../x".into(), b"boom".to_vec())));
        let err = verify(&evil, None).expect_err("traversal");
        assert!(matches!(&err, PackageError::UnsafePath { file, .. } if file == "../x"), "{err}");
    }

    #[test]
    fn limits_are_enforced() {
        let zip = package();
        let small = Limits { max_archive: 100, ..Limits::default() };
        assert!(matches!(verify_with_limits(&zip, None, &small), Err(PackageError::TooLarge { .. })));
        let few = Limits { max_entries: 2, ..Limits::default() };
        assert!(matches!(verify_with_limits(&zip, None, &few), Err(PackageError::NotAPackage(_))));
        // A central directory that declares a size past the archive (a zip-bomb shape) is refused.
        let mut bomb = zip.clone();
        let cd = usize::try_from(u32_at(&zip, zip.len() - 6).expect("cd offset")).expect("fits");
        bomb[cd + 20..cd + 28].copy_from_slice(&[0xFF; 8]);
        assert!(verify(&bomb, None).is_err());
    }

    #[test]
    fn duplicates_and_reserved_names_are_refused() {
        let mut f = files();
        f.push(f[0].clone());
        assert_eq!(build(&f, &meta(), &key()), Err(PackageError::Duplicate { file: "trace/answer.csv".into() }));
        let m = PackageFile { path: MANIFEST.into(), media_type: "application/json".into(), bytes: vec![] };
        assert!(build(&[m], &meta(), &key()).is_err());
    }

    #[test]
    fn random_damage_never_panics_and_never_verifies() {
        let zip = package();
        // A small deterministic generator (xorshift): the same damage on every run.
        let mut x: u64 = 0x2847_0000_0001;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..2000 {
            let mut bad = zip.clone();
            let n = 1 + (next() % 8) as usize;
            for _ in 0..n {
                let i = (next() as usize) % bad.len();
                bad[i] = next() as u8;
            }
            if round % 7 == 0 {
                let cut = (next() as usize) % bad.len();
                bad.truncate(cut);
            }
            if bad != zip {
                assert!(verify(&bad, None).is_err(), "round {round} went unnoticed");
            }
        }
        // Pure noise of every small length.
        for len in 0..200 {
            let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            assert!(verify(&noise, None).is_err());
        }
    }
}
