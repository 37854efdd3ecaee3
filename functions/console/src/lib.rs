//! `GET /` and `GET /console/{asset}`: the web console, a page of static files (`assets/`,
//! uPlot vendored beside them) that talks to tsfn only through the public API.
//!
//! Served compressed (gzip when the client accepts it, compressed once per file and kept) with
//! an ETag (a prefix of the file's SHA-256) that answers `If-None-Match` with 304. The page
//! names its assets with `?v=<etag>`, so an asset asked for by its current version is cached
//! for a year and a new release is fetched at once; the page itself is revalidated each time.
//! The page and its assets are open even when an API key is set: they hold no data, and the
//! page asks for the key.
//!
//! `GET /docs` is the API reference (Redoc, vendored in `assets/`, rendering `/openapi.json`):
//! a second page of this function rather than a function of its own, because it is static files
//! served exactly like the console's (embedding, gzip, ETags, versioned names, CSP), and a copy
//! of that machinery would be the larger change.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::Body;
use rust_embed::RustEmbed;
use tsfn_shared::{App, Error, Request, Response, Result};

pub const METHOD: &str = "GET";
pub const PATH: &str = "/";
/// The console's other files (the docs page's too).
pub const ASSET_PATH: &str = "/console/{asset}";
/// The API reference.
pub const DOCS_PATH: &str = "/docs";

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

const INDEX: &str = "index.html";
const DOCS: &str = "docs.html";
/// The pages: served at their own paths, revalidated each time, naming their files by version.
const PAGES: &[&str] = &[INDEX, DOCS];

pub async fn handler(_app: Arc<App>, req: Request) -> Result<Response> {
    let path = req.uri().path();
    let name = if path == PATH {
        INDEX
    } else if path == DOCS_PATH {
        DOCS
    } else {
        match path.strip_prefix("/console/") {
            Some(n) if !n.is_empty() && !n.contains('/') && !PAGES.contains(&n) => n,
            _ => return Err(Error::NotFound(format!("console file {path:?}"))),
        }
    };
    let file =
        Assets::get(name).ok_or_else(|| Error::NotFound(format!("console file {name:?}")))?;
    let page = PAGES.contains(&name);
    let (data, etag) = if page {
        let text = versioned(&file.data);
        let etag = etag_of(&sha256(&text));
        (text, etag)
    } else {
        (
            file.data.into_owned(),
            etag_of(&file.metadata.sha256_hash()),
        )
    };
    let current =
        !page && query_param(req.uri().query(), "v").is_some_and(|v| v == etag.trim_matches('"'));
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut resp = if req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|given| {
            given
                .split(',')
                .any(|g| g.trim() == etag || g.trim() == "*")
        }) {
        let mut r = Response::new(Body::Empty);
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else if accepts_gzip(&req) {
        let mut r = Response::new(Body::Binary(gzipped(&etag, &data).to_vec()));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Response::new(Body::Binary(data))
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime(name)));
    h.insert(header::ETAG, HeaderValue::from_str(&etag).expect("hex"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if page {
        // Everything comes from tsfn itself: no CDN, no inline script. Redoc runs its search
        // index in a worker it starts from a blob.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; \
                 worker-src 'self' blob:; object-src 'none'; base-uri 'none'; \
                 frame-ancestors 'none'",
            ),
        );
    }
    Ok(resp)
}

/// A page with each `"/console/FILE"` it names made `"/console/FILE?v=ETAG"`.
fn versioned(page: &[u8]) -> Vec<u8> {
    let mut text = String::from_utf8_lossy(page).into_owned();
    for name in Assets::iter() {
        if PAGES.contains(&name.as_ref()) {
            continue;
        }
        if let Some(f) = Assets::get(&name) {
            let etag = etag_of(&f.metadata.sha256_hash());
            text = text.replace(
                &format!("\"/console/{name}\""),
                &format!("\"/console/{name}?v={}\"", etag.trim_matches('"')),
            );
        }
    }
    text.into_bytes()
}

fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

/// A strong ETag: the first 16 hex digits of the SHA-256 of the bytes served (before
/// compression: the encodings of one version share it, as `Vary` says).
fn etag_of(hash: &[u8; 32]) -> String {
    let hex: String = hash[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name == "gzip" || name == "*") && !refused
        })
}

/// The gzip form of a version of a file, compressed once per process.
fn gzipped(etag: &str, data: &[u8]) -> Arc<Vec<u8>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<Vec<u8>>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(z) = cache.lock().expect("cache lock").get(etag) {
        return z.clone();
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("writing to memory");
    let z = Arc::new(enc.finish().expect("writing to memory"));
    cache
        .lock()
        .expect("cache lock")
        .insert(etag.to_owned(), z.clone());
    z
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    }
}
