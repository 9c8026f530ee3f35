//! `devgen catalogue update` against a local HTTP/1.1 server on 127.0.0.1
//! started by each test (a real server and the real client, no mocks),
//! serving fixtures in the documented API shapes from
//! `tests/fixtures/prices/`. Every run points `XDG_CACHE_HOME` at a temp dir
//! and every base URL at the local server.

use crate::common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use devgen::catalogue::cache::{self, CacheFile, TTL_SECONDS};
use devgen::catalogue::{Catalogue, Filter, Provider, Row};

// ---------------------------------------------------------------- server

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Request {
    /// Path and query, as sent (percent-encoded).
    target: String,
    /// Header names lowercased.
    headers: HashMap<String, String>,
}

impl Request {
    fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query, percent-decoded.
    fn query(&self) -> String {
        let q = self.target.split_once('?').map_or("", |(_, q)| q);
        percent_decode(q)
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the server answers.
enum Reply {
    /// 200 with a JSON body (`{{BASE}}` replaced by the server's URL).
    Json(String),
    /// Another status with a body.
    Status(u16, String),
    /// 200 announcing the whole body's length but sending only `n` bytes,
    /// then closing.
    Truncated(String, usize),
    /// Wait, then answer (the client should have given up).
    Slow(Duration, Box<Reply>),
}

type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// A tiny threaded HTTP/1.1 server: one request per connection
/// (`Connection: close`). It stops when dropped, after `MAX_REQUESTS`
/// requests, or after `LIFETIME`, whichever comes first.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

const MAX_REQUESTS: usize = 400;
const LIFETIME: Duration = Duration::from_secs(120);

impl Server {
    /// Starts a server; `handler(request, n)` gets the request and how many
    /// earlier requests had the same path.
    fn start(handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let counts = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
        let served = Arc::new(AtomicUsize::new(0));
        let accept = {
            let (log, stop, base) = (log.clone(), stop.clone(), base.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                while !stop.load(Ordering::Relaxed)
                    && started.elapsed() < LIFETIME
                    && served.load(Ordering::Relaxed) < MAX_REQUESTS
                {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            served.fetch_add(1, Ordering::Relaxed);
                            let (log, handler, counts, base) =
                                (log.clone(), handler.clone(), counts.clone(), base.clone());
                            std::thread::spawn(move || {
                                serve(stream, &base, &log, &*handler, &counts)
                            });
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        Err(_) => break,
                    }
                }
            })
        };
        Server {
            base,
            log,
            stop,
            accept: Some(accept),
        }
    }

    fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    fn count(&self, path_part: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.target.contains(path_part))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    base: &str,
    log: &Mutex<Vec<Request>>,
    handler: &Handler,
    counts: &Mutex<HashMap<String, usize>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        match reader.read_line(&mut h) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let req = Request { target, headers };
    let n = {
        let mut c = counts.lock().unwrap();
        let e = c.entry(req.path().to_string()).or_insert(0);
        *e += 1;
        *e - 1
    };
    log.lock().unwrap().push(req.clone());
    let mut reply = handler(&req, n);
    if let Reply::Slow(wait, inner) = reply {
        std::thread::sleep(wait);
        reply = *inner;
    }
    let (status, body, send) = match reply {
        Reply::Json(b) => {
            let b = b.replace("{{BASE}}", base);
            let n = b.len();
            (200, b, n)
        }
        Reply::Status(s, b) => {
            let n = b.len();
            (s, b, n)
        }
        Reply::Truncated(b, n) => (200, b, n),
        Reply::Slow(..) => unreachable!("one level of Slow"),
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&body.as_bytes()[..send.min(body.len())]);
    let _ = stream.flush();
    let _ = stream.shutdown(std::net::Shutdown::Both);
    // Drain anything left so the client never sees a reset.
    let _ = reader.read_to_end(&mut Vec::new());
}

// ---------------------------------------------------------------- fixtures

fn fixture(rel: &str) -> String {
    let p = common::repo_root().join("tests/fixtures/prices").join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The AWS fixture chain: index → region index → region files.
fn aws_reply(req: &Request) -> Option<Reply> {
    let p = req.path();
    Some(Reply::Json(match p {
        "/offers/v1.0/aws/index.json" => fixture("aws/index.json"),
        "/offers/v1.0/aws/AmazonEC2/current/region_index.json" => fixture("aws/region_index.json"),
        "/offers/v1.0/aws/AmazonEC2/20260701000000/us-east-1/index.json" => {
            fixture("aws/us-east-1.json")
        }
        "/offers/v1.0/aws/AmazonEC2/20260701000000/us-west-2/index.json" => {
            fixture("aws/us-west-2.json")
        }
        _ => return None,
    }))
}

/// Azure pages by `$skip`, ignoring the region filter (like a mirror).
fn azure_reply(req: &Request) -> Option<Reply> {
    if req.path() != "/api/retail/prices" {
        return None;
    }
    Some(Reply::Json(if req.query().contains("$skip=100") {
        fixture("azure/page2.json")
    } else {
        fixture("azure/page1.json")
    }))
}

fn gcp_reply(req: &Request) -> Option<Reply> {
    if req.path() != "/v1/services/6F81-5844-456A/skus" {
        return None;
    }
    if !req.query().contains("key=test-gcp-key") {
        return Some(Reply::Status(
            400,
            r#"{"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT"}}"#.into(),
        ));
    }
    Some(Reply::Json(if req.query().contains("pageToken=PAGE-2") {
        fixture("gcp/skus-page2.json")
    } else {
        fixture("gcp/skus-page1.json")
    }))
}

fn lambda_reply(req: &Request) -> Option<Reply> {
    if req.path() != "/api/v1/instance-types" {
        return None;
    }
    if req.headers.get("authorization").map(String::as_str) != Some("Bearer test-lambda-key") {
        return Some(Reply::Status(
            401,
            r#"{"error": {"code": "global/invalid-api-key", "message": "API key was invalid, expired, or deleted.", "suggestion": "Check your API key"}}"#.into(),
        ));
    }
    Some(Reply::Json(fixture("lambda/instance-types.json")))
}

/// Every provider's fixtures; 404 otherwise.
fn all_fixtures(req: &Request, _: usize) -> Reply {
    aws_reply(req)
        .or_else(|| azure_reply(req))
        .or_else(|| gcp_reply(req))
        .or_else(|| lambda_reply(req))
        .unwrap_or_else(|| Reply::Status(404, format!("no fixture for {}", req.target)))
}

// ---------------------------------------------------------------- running devgen

struct Env {
    cache_home: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        Env {
            cache_home: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn dir(&self) -> PathBuf {
        self.cache_home.path().join("devgen")
    }

    fn file(&self, p: Provider) -> PathBuf {
        cache::path(&self.dir(), p)
    }

    fn read(&self, p: Provider) -> CacheFile {
        cache::read(&self.dir(), p)
            .expect("readable cache")
            .expect("cache file exists")
    }

    /// Runs `devgen catalogue update ARGS` against `server`.
    fn update(&self, server: &Server, args: &[&str], extra: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(common::devgen_bin());
        cmd.args(["catalogue", "update"])
            .args(args)
            .env("NO_COLOR", "1")
            .env("XDG_CACHE_HOME", self.cache_home.path())
            .env("DEVGEN_AWS_PRICING_URL", &server.base)
            .env(
                "DEVGEN_AZURE_PRICES_URL",
                format!("{}/api/retail/prices", server.base),
            )
            .env("DEVGEN_GCP_BILLING_URL", &server.base)
            .env("DEVGEN_LAMBDA_API_URL", &server.base)
            .env("DEVGEN_HTTP_BACKOFF_MS", "1")
            .env("DEVGEN_HTTP_TIMEOUT", "10")
            .env_remove("DEVGEN_OFFLINE")
            .env_remove("GCP_API_KEY")
            .env_remove("LAMBDA_API_KEY")
            .env_remove("DEVGEN_HTTP_RETRIES");
        for proxy in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env_remove(proxy);
        }
        for (k, v) in extra {
            cmd.env(k, v);
        }
        cmd.output().expect("run devgen")
    }
}

fn out(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        common::stdout(o),
        common::stderr(o)
    )
}

fn rows_of<'a>(f: &'a CacheFile, ty: &str) -> Vec<&'a Row> {
    f.rows.iter().filter(|r| r.instance_type == ty).collect()
}

fn one<'a>(f: &'a CacheFile, ty: &str, region: &str) -> &'a Row {
    let found: Vec<&Row> = f
        .rows
        .iter()
        .filter(|r| r.instance_type == ty && r.region == region)
        .collect();
    assert_eq!(found.len(), 1, "{ty} {region}: {found:?}");
    found[0]
}

fn set_fetched_at(env: &Env, p: Provider, at: u64) {
    let mut f = env.read(p);
    f.fetched_at = at;
    cache::write(&env.dir(), &f).unwrap();
}

// ---------------------------------------------------------------- AWS

#[test]
fn aws_keeps_exactly_the_linux_on_demand_price_and_writes_the_cache() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    let o = env.update(&server, &["--provider", "aws"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let f = env.read(Provider::Aws);
    assert_eq!((f.format, f.provider), (1, Provider::Aws));
    assert_eq!(f.source, server.base);
    assert_eq!(f.requested_regions, None);
    assert_eq!(f.fetched_regions, ["us-east-1", "us-west-2"]);
    let now = cache::now();
    assert!(f.fetched_at <= now && now - f.fetched_at < 600);

    // The one Linux/Shared/NA/Used/no-licence price, not Windows (1.8),
    // Dedicated (1.21), SQL (2.5), unused reservation, BYOL (0.9), Local
    // Zone (1.3) or the reserved term (0.6).
    let g5 = one(&f, "g5.xlarge", "us-east-1");
    assert_eq!(g5.price_hourly_usd, 1.1);
    assert_eq!(
        (
            g5.vcpus,
            g5.memory_gib,
            g5.gpu_model.as_deref(),
            g5.gpu_count,
            g5.gpu_memory_gib
        ),
        (4, Some(16.0), Some("a10g"), Some(1.0), Some(24.0))
    );
    // The snapshot's spot price of the same type and region is kept.
    assert_eq!(
        one(&f, "g5.xlarge", "us-west-2").spot_price_hourly_usd,
        Some(0.4461)
    );
    assert_eq!(one(&f, "g5.xlarge", "us-west-2").price_hourly_usd, 1.006);
    assert_eq!(one(&f, "m5.large", "us-east-1").price_hourly_usd, 0.096);
    assert_eq!(one(&f, "m5.large", "us-west-2").price_hourly_usd, 0.1);
    assert_eq!(one(&f, "p5.48xlarge", "us-east-1").price_hourly_usd, 49.5);
    assert_eq!(rows_of(&f, "g5.xlarge").len(), 2);

    // A new size of a known GPU family gets the family's GPU model and
    // per-GPU memory; a new family keeps the model unknown.
    let new = one(&f, "g5.64xlarge", "us-east-1");
    assert_eq!(
        (
            new.family.as_str(),
            new.vcpus,
            new.memory_gib,
            new.gpu_model.as_deref(),
            new.gpu_count,
            new.gpu_memory_gib
        ),
        ("g5", 256, Some(1024.0), Some("a10g"), Some(8.0), Some(24.0))
    );
    let zz = one(&f, "zz1.large", "us-east-1");
    assert_eq!(
        (
            zz.family.as_str(),
            zz.vcpus,
            zz.memory_gib,
            zz.gpu_model.as_deref(),
            zz.gpu_count,
            zz.gpu_memory_gib
        ),
        ("zz1", 2, Some(4.0), None, Some(1.0), Some(16.0))
    );
    // Exactly these rows: no storage product, nothing from other regions.
    let mut keys: Vec<(String, String)> = f
        .rows
        .iter()
        .map(|r| (r.instance_type.clone(), r.region.clone()))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            ("g5.64xlarge", "us-east-1"),
            ("g5.xlarge", "us-east-1"),
            ("g5.xlarge", "us-west-2"),
            ("m5.large", "us-east-1"),
            ("m5.large", "us-west-2"),
            ("p5.48xlarge", "us-east-1"),
            ("zz1.large", "us-east-1"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(f.regions.iter().any(
        |r| r.code == "us-east-1" && r.display_name.as_deref() == Some("US East (N. Virginia)")
    ));

    // The summary: counts, and changes against the embedded snapshot.
    let text = common::stdout(&o);
    assert!(
        text.contains("aws: updated: 5 instance types, 2 regions, 7 rows (2 regions fetched)"),
        "{text}"
    );
    assert!(
        text.contains("vs the embedded snapshot (2026-07-20): 2 up, 1 down, 2 unchanged, 2 new, "),
        "{text}"
    );
    assert!(
        text.contains("p5.48xlarge us-east-1: $55.04 -> $49.50 (-10.1%)"),
        "{text}"
    );
    assert!(
        text.contains("29 regions of the catalogue not in the AWS region index, so without rows now: af-south-1, "),
        "{text}"
    );
    // Piped: plain progress lines on stderr.
    assert!(
        common::stderr(&o).contains("aws us-east-1: 5 instance types ("),
        "{}",
        out(&o)
    );

    // One request per file of the chain.
    assert_eq!(server.requests().len(), 4, "{:?}", server.requests());
}

#[test]
fn a_fresh_cache_is_not_refetched_unless_forced_and_a_stale_one_is() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    assert_eq!(
        env.update(&server, &["--provider", "aws"], &[])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(server.requests().len(), 4);
    let before = std::fs::read(env.file(Provider::Aws)).unwrap();

    // Within the TTL: no network call at all, exit 0, file untouched.
    let o = env.update(&server, &["--provider", "aws"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        common::stdout(&o).contains("aws: up to date (cached "),
        "{}",
        out(&o)
    );
    assert_eq!(server.requests().len(), 4);
    assert_eq!(std::fs::read(env.file(Provider::Aws)).unwrap(), before);

    // --force refreshes.
    let o = env.update(&server, &["--provider", "aws", "--force"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(server.requests().len(), 8);
    assert!(
        common::stdout(&o).contains("vs the previous cache ("),
        "{}",
        out(&o)
    );
    assert!(
        common::stdout(&o).contains("0 up, 0 down, 7 unchanged, 0 new, 0 gone"),
        "{}",
        out(&o)
    );

    // Older than 24 hours: refreshed without --force.
    set_fetched_at(&env, Provider::Aws, cache::now() - TTL_SECONDS - 60);
    let o = env.update(&server, &["--provider", "aws"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(server.requests().len(), 12);
    assert!(env.read(Provider::Aws).is_fresh(cache::now()));
}

#[test]
fn a_region_update_fetches_one_file_and_keeps_the_other_regions() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    let o = env.update(
        &server,
        &["--provider", "aws", "--region", "US-WEST-2"],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(server.count("/us-west-2/"), 1);
    assert_eq!(server.count("/us-east-1/"), 0);
    let f = env.read(Provider::Aws);
    assert_eq!(f.requested_regions, Some(vec!["us-west-2".to_string()]));
    assert_eq!(f.fetched_regions, ["us-west-2"]);
    assert_eq!(one(&f, "m5.large", "us-west-2").price_hourly_usd, 0.1);
    // us-east-1 rows come from the embedded snapshot, unchanged.
    assert_eq!(one(&f, "g5.xlarge", "us-east-1").price_hourly_usd, 1.006);
    let embedded_rows = Catalogue::embedded()
        .list(&Filter {
            providers: vec![Provider::Aws],
            ..Filter::default()
        })
        .len();
    // us-west-2 had 150 snapshot rows; the fixture has 2.
    assert_eq!(f.rows.len(), embedded_rows - 150 + 2);
    assert!(
        common::stdout(&o).contains("  3,254 of them kept from the embedded snapshot (2026-07-20)"),
        "{}",
        out(&o)
    );
    assert!(
        common::stdout(&o).contains("regions not requested keep their previous prices"),
        "{}",
        out(&o)
    );

    // The partial cache answers the same region within the TTL, not a full refresh.
    let n = server.requests().len();
    assert_eq!(
        env.update(
            &server,
            &["--provider", "aws", "--region", "us-west-2"],
            &[]
        )
        .status
        .code(),
        Some(0)
    );
    assert_eq!(server.requests().len(), n);
    assert_eq!(
        env.update(&server, &["--provider", "aws"], &[])
            .status
            .code(),
        Some(0)
    );
    assert!(server.requests().len() > n);
    assert_eq!(env.read(Provider::Aws).requested_regions, None);
}

// ---------------------------------------------------------------- Azure

#[test]
fn azure_follows_next_page_links_and_skips_the_trap_meters() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    let o = env.update(&server, &["--provider", "azure"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let f = env.read(Provider::Azure);
    // Linux consumption only; spot from the Linux Spot meter.
    let a100 = one(&f, "Standard_NC24ads_A100_v4", "eastus");
    assert_eq!(
        (a100.price_hourly_usd, a100.spot_price_hourly_usd),
        (3.8, Some(1.1))
    );
    assert_eq!(
        (
            a100.vcpus,
            a100.memory_gib,
            a100.gpu_model.as_deref(),
            a100.gpu_count
        ),
        (24, Some(220.0), Some("a100-80gb"), Some(1.0))
    );
    let a100_we = one(&f, "Standard_NC24ads_A100_v4", "westeurope");
    assert_eq!(
        (a100_we.price_hourly_usd, a100_we.spot_price_hourly_usd),
        (4.9, Some(1.5))
    );
    let d2 = one(&f, "Standard_D2s_v5", "eastus");
    assert_eq!(
        (d2.price_hourly_usd, d2.spot_price_hourly_usd),
        (0.096, None)
    );
    assert_eq!(
        one(&f, "Standard_D2s_v5", "westeurope").price_hourly_usd,
        0.105
    );
    // The size without specs is skipped, and said so.
    assert!(rows_of(&f, "Standard_X9_v9").is_empty());
    assert_eq!(f.rows.len(), 4);
    let text = common::stdout(&o);
    assert!(
        text.contains(
            "1 size without specs in the embedded catalogue skipped (e.g. Standard_X9_v9)"
        ),
        "{text}"
    );
    assert!(text.contains("ignored the region filter"), "{text}");

    // The first request carries the documented filter; the second is the
    // NextPageLink (spaces and quotes escaped by the client).
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(reqs[0].query().contains(
        "$filter=serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armRegionName eq '"
    ), "{}", reqs[0].query());
    assert!(
        reqs[1].query().ends_with("&$skip=100"),
        "{}",
        reqs[1].query()
    );
    assert!(!reqs[1].target.contains(' '));
}

#[test]
fn azure_region_filter_is_used_per_region() {
    // A server that honours armRegionName: only eastus has items.
    let server = Server::start(|req, _| {
        if req.path() != "/api/retail/prices" {
            return Reply::Status(404, String::new());
        }
        let page: serde_json::Value = serde_json::from_str(&fixture("azure/page1.json")).unwrap();
        let q = req.query();
        let items: Vec<serde_json::Value> = page["Items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| {
                q.contains(&format!(
                    "armRegionName eq '{}'",
                    i["armRegionName"].as_str().unwrap()
                ))
            })
            .cloned()
            .collect();
        Reply::Json(
            serde_json::json!({"Items": items, "NextPageLink": null, "Count": items.len()})
                .to_string(),
        )
    });
    let env = Env::new();
    let o = env.update(
        &server,
        &[
            "--provider",
            "azure",
            "--region",
            "eastus",
            "--region",
            "westeurope",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(server.requests().len(), 2);
    let f = env.read(Provider::Azure);
    assert_eq!(f.fetched_regions, ["eastus", "westeurope"]);
    assert_eq!(
        one(&f, "Standard_NC24ads_A100_v4", "eastus").price_hourly_usd,
        3.8
    );
    // westeurope answered nothing: it has no rows now; other regions are
    // carried from the snapshot.
    assert!(f.rows.iter().all(|r| r.region != "westeurope"));
    assert_eq!(one(&f, "Standard_D2s_v5", "westus2").price_hourly_usd, {
        let c = Catalogue::embedded();
        c.offers(Provider::Azure, "Standard_D2s_v5")
            .iter()
            .find(|o| o.region == "westus2")
            .unwrap()
            .price_hourly_usd
    });
}

// ---------------------------------------------------------------- GCP and Lambda

#[test]
fn gcp_prices_machine_types_from_core_ram_and_gpu_skus() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    let o = env.update(
        &server,
        &["--provider", "gcp"],
        &[("GCP_API_KEY", "test-gcp-key")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let f = env.read(Provider::Gcp);
    let round = |x: f64| (x * 1e6).round() / 1e6;
    // a2-highgpu-1g: 12 vCPUs, 85 GiB, 1 A100.
    let a2 = one(&f, "a2-highgpu-1g", "us-central1");
    assert_eq!(
        a2.price_hourly_usd,
        round(12.0 * 0.032 + 85.0 * 0.0043 + 3.0)
    );
    assert_eq!(
        a2.spot_price_hourly_usd,
        Some(round(12.0 * 0.01 + 85.0 * 0.001 + 1.5))
    );
    // g2-standard-4: 4 vCPUs, 16 GiB, 1 L4; us-east4 uses its own L4 SKU.
    let g2 = one(&f, "g2-standard-4", "us-central1");
    assert_eq!(g2.price_hourly_usd, round(4.0 * 0.025 + 16.0 * 0.003 + 0.6));
    assert_eq!(g2.spot_price_hourly_usd, None);
    assert_eq!(
        one(&f, "g2-standard-4", "us-east4").price_hourly_usd,
        round(4.0 * 0.025 + 16.0 * 0.003 + 0.65)
    );
    // Not priced by the fixture's SKUs: kept from the snapshot.
    assert_eq!(
        one(&f, "g2-standard-4", "europe-west4").price_hourly_usd,
        0.742916
    );
    assert_eq!(
        one(&f, "n1-standard-1", "us-central1").price_hourly_usd,
        0.0475
    );
    assert!(
        common::stdout(&o).contains("keep their previous prices"),
        "{}",
        out(&o)
    );
    // Two pages, the key sent, never printed.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].query().contains("pageToken=PAGE-2"));
    assert!(reqs.iter().all(|r| r.query().contains("key=test-gcp-key")));
    assert!(!out(&o).contains("test-gcp-key"));
}

#[test]
fn keyless_providers_are_skipped_or_fail_when_named() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    // Default (all providers): gcp and lambdalabs are skipped, exit 0.
    let o = env.update(&server, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = common::stdout(&o);
    assert!(
        text.contains("gcp: skipped: GCP_API_KEY is not set"),
        "{text}"
    );
    assert!(
        text.contains("lambdalabs: skipped: LAMBDA_API_KEY is not set"),
        "{text}"
    );
    assert!(text.contains("aws: updated"), "{text}");
    assert!(text.contains("azure: updated"), "{text}");
    assert!(
        server
            .requests()
            .iter()
            .all(|r| !r.target.contains("/v1/services") && !r.target.contains("instance-types"))
    );
    // Named: a failure, exit 1.
    let o = env.update(&server, &["--provider", "lambda"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        common::stdout(&o)
            .contains("lambdalabs: FAILED: cannot refresh: LAMBDA_API_KEY is not set"),
        "{}",
        out(&o)
    );
    assert!(!env.file(Provider::Lambdalabs).exists());
}

#[test]
fn lambda_prices_with_capacity_regions_and_a_bad_key_fails() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    let o = env.update(
        &server,
        &["--provider", "lambdalabs"],
        &[("LAMBDA_API_KEY", "wrong")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(
        common::stdout(&o)
            .contains("HTTP 401 Unauthorized (API key was invalid, expired, or deleted.)"),
        "{}",
        out(&o)
    );
    assert!(!env.file(Provider::Lambdalabs).exists());

    let o = env.update(
        &server,
        &["--provider", "lambdalabs"],
        &[("LAMBDA_API_KEY", "test-lambda-key")],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let f = env.read(Provider::Lambdalabs);
    // Known type, sold out now: its snapshot regions, the new price.
    let a10 = rows_of(&f, "gpu_1x_a10");
    assert_eq!(a10.len(), 17);
    assert!(a10.iter().all(|r| r.price_hourly_usd == 0.75));
    let h100 = rows_of(&f, "gpu_8x_h100_sxm5");
    assert!(
        h100.iter()
            .all(|r| r.price_hourly_usd == 28.72 && r.vcpus == 208)
    );
    // A type with capacity (known to the snapshot since the v9 additions:
    // the snapshot's specs) and its capacity region.
    let b200 = one(&f, "gpu_1x_b200_sxm6", "us-south-5");
    assert_eq!(
        (
            b200.family.as_str(),
            b200.vcpus,
            b200.memory_gib,
            b200.gpu_model.as_deref(),
            b200.gpu_count,
            b200.gpu_memory_gib
        ),
        (
            "gpu_b200_sxm6",
            26,
            Some(360.0),
            Some("b200"),
            Some(1.0),
            Some(180.0)
        )
    );
    assert!(
        f.regions
            .iter()
            .any(|r| r.code == "us-south-5" && r.display_name.as_deref() == Some("Texas, USA"))
    );
    // Types the API no longer lists are gone; a new sold-out type is noted.
    assert!(rows_of(&f, "gpu_1x_a6000").is_empty());
    assert!(
        common::stdout(&o).contains(
            "1 new instance type with no capacity now and no known region not listed: gpu_2x_gh200"
        ),
        "{}",
        out(&o)
    );
}

// ---------------------------------------------------------------- failures

/// Runs a good AWS update, then a forced one against `bad`; checks that the
/// second exits 1, names the failure and leaves the cache byte-identical.
fn fails_and_keeps_cache(bad: Server, expect: &str, extra: &[(&str, &str)]) -> Output {
    let good = Server::start(all_fixtures);
    let env = Env::new();
    assert_eq!(
        env.update(&good, &["--provider", "aws"], &[]).status.code(),
        Some(0)
    );
    let before = std::fs::read(env.file(Provider::Aws)).unwrap();
    let o = env.update(&bad, &["--provider", "aws", "--force"], extra);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(common::stdout(&o).contains("aws: FAILED: "), "{}", out(&o));
    assert!(
        common::stdout(&o).contains(expect),
        "want {expect:?} in {}",
        out(&o)
    );
    assert!(
        common::stdout(&o).contains("the previous data is kept"),
        "{}",
        out(&o)
    );
    assert_eq!(std::fs::read(env.file(Provider::Aws)).unwrap(), before);
    // No temporary file left behind.
    let names: Vec<String> = std::fs::read_dir(env.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["catalogue-aws.json"]);
    o
}

/// `all_fixtures`, except that the us-east-1 region file is `reply()`.
fn bad_region_file(reply: impl Fn(usize) -> Reply + Send + Sync + 'static) -> Server {
    Server::start(move |req, n| {
        if req.path().ends_with("/us-east-1/index.json") {
            reply(n)
        } else {
            all_fixtures(req, n)
        }
    })
}

#[test]
fn http_500_fails_after_retries_and_keeps_the_old_cache() {
    let server = bad_region_file(|_| Reply::Status(500, "upstream exploded".into()));
    let o = fails_and_keeps_cache(
        server,
        "/us-east-1/index.json: HTTP 500 Internal Server Error (upstream exploded) after 3 attempts",
        &[("DEVGEN_HTTP_RETRIES", "2")],
    );
    assert!(common::stderr(&o).contains("retrying in"), "{}", out(&o));
}

#[test]
fn malformed_json_fails_without_retrying() {
    let server = bad_region_file(|_| Reply::Json(r#"{"products": {"A": {"sku": "A",]}}"#.into()));
    fails_and_keeps_cache(server, "invalid JSON: ", &[]);
}

#[test]
fn a_truncated_body_fails() {
    let server = bad_region_file(|_| Reply::Truncated(fixture("aws/us-east-1.json"), 3000));
    fails_and_keeps_cache(
        server,
        "the connection closed before the whole body arrived (truncated response)",
        &[("DEVGEN_HTTP_RETRIES", "1")],
    );
}

#[test]
fn a_slow_response_hits_the_timeout() {
    let server = bad_region_file(|_| {
        Reply::Slow(
            Duration::from_secs(3),
            Box::new(Reply::Json(fixture("aws/us-east-1.json"))),
        )
    });
    fails_and_keeps_cache(
        server,
        "timed out",
        &[("DEVGEN_HTTP_TIMEOUT", "0.5"), ("DEVGEN_HTTP_RETRIES", "0")],
    );
}

#[test]
fn http_429_is_retried_then_succeeds() {
    let server = Server::start(|req, n| {
        if req.path() == "/api/retail/prices" && n == 0 {
            Reply::Status(429, r#"{"Error": {"Message": "Too many requests"}}"#.into())
        } else {
            all_fixtures(req, n)
        }
    });
    let env = Env::new();
    let o = env.update(&server, &["--provider", "azure"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(server.requests().len(), 3);
    assert!(
        common::stderr(&o).contains("HTTP 429 Too Many Requests"),
        "{}",
        out(&o)
    );
    assert_eq!(env.read(Provider::Azure).rows.len(), 4);
}

#[test]
fn one_failed_provider_does_not_stop_the_others() {
    let server = Server::start(|req, n| {
        if req.path() == "/api/retail/prices" {
            Reply::Status(503, String::new())
        } else {
            all_fixtures(req, n)
        }
    });
    let env = Env::new();
    let o = env.update(
        &server,
        &["--provider", "azure", "--provider", "aws"],
        &[("DEVGEN_HTTP_RETRIES", "1")],
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    let text = common::stdout(&o);
    assert!(text.contains("aws: updated"), "{text}");
    assert!(text.contains("azure: FAILED: GET "), "{text}");
    assert!(
        text.contains("HTTP 503 Service Unavailable after 2 attempts"),
        "{text}"
    );
    assert!(
        text.contains("1 of 2 providers failed; 1 other was updated and cached in "),
        "{text}"
    );
    assert!(env.file(Provider::Aws).exists());
    assert!(!env.file(Provider::Azure).exists());
}

// ---------------------------------------------------------------- usage

#[test]
fn usage_errors_exit_2() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    let o = env.update(&server, &["--provider", "awz"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        common::stderr(&o).contains("did you mean `aws`?"),
        "{}",
        out(&o)
    );
    let o = env.update(&server, &["--provider", "aws", "--region", "eastus"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        common::stderr(&o).contains("`eastus` is not a region of aws"),
        "{}",
        out(&o)
    );
    let o = env.update(&server, &[], &[("DEVGEN_OFFLINE", "1")]);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(
        common::stderr(&o).contains("needs the network"),
        "{}",
        out(&o)
    );
    assert!(server.requests().is_empty());
    assert!(!env.dir().exists());
}

// ---------------------------------------------------------------- the active catalogue

#[test]
fn a_fresh_cache_replaces_only_its_providers_rows() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    assert_eq!(
        env.update(&server, &["--provider", "aws"], &[])
            .status
            .code(),
        Some(0)
    );
    let now = cache::now();
    let (c, warnings) = cache::load(&env.dir(), now);
    assert!(warnings.is_empty(), "{warnings:?}");
    let c = c.expect("a catalogue from the cache");
    let embedded = Catalogue::embedded();

    // AWS: exactly the cached rows.
    assert_eq!(c.offers(Provider::Aws, "g5.xlarge").len(), 2);
    assert_eq!(
        c.offers(Provider::Aws, "g5.xlarge")[0].price_hourly_usd,
        1.1
    );
    assert!(c.instance(Provider::Aws, "g5.64xlarge").is_some());
    assert!(c.instance(Provider::Aws, "a1.large").is_none());
    // The other providers: the snapshot, unchanged.
    for p in [Provider::Azure, Provider::Gcp, Provider::Lambdalabs] {
        let f = Filter {
            providers: vec![p],
            ..Filter::default()
        };
        assert_eq!(c.list(&f), embedded.list(&f), "{p}");
    }
    let status = c.status();
    assert_eq!(
        (
            status[0].source.as_str(),
            status[0].rows,
            status[0].instance_types,
            status[0].regions
        ),
        ("cache", 7, 5, 2)
    );
    assert_eq!(
        status[0].fetched_at,
        Some(env.read(Provider::Aws).fetched_at)
    );
    assert!(status[0].age_seconds.is_some_and(|a| a < 600));
    assert_eq!(
        status[0].data_date,
        Some(cache::utc_date(env.read(Provider::Aws).fetched_at))
    );
    assert_eq!(
        (
            status[1].source.as_str(),
            status[1].data_date.as_deref(),
            status[1].age_seconds
        ),
        ("embedded", Some("2026-06-18"), None)
    );
    let text = devgen::catalogue::format_status(&status, devgen::catalogue::OutputFormat::Text);
    let aws_line = text.lines().nth(1).unwrap();
    assert!(aws_line.starts_with("aws         cache"), "{text}");
    assert!(text.lines().nth(2).unwrap().contains("embedded"), "{text}");

    // Stale: ignored, with a note.
    set_fetched_at(&env, Provider::Aws, now - TTL_SECONDS - 1);
    let (c, _) = cache::load(&env.dir(), now);
    let c = c.unwrap();
    let f = Filter {
        providers: vec![Provider::Aws],
        ..Filter::default()
    };
    assert_eq!(c.list(&f), embedded.list(&f));
    let s = &c.status()[0];
    assert_eq!(s.source, "embedded");
    assert!(
        s.note
            .as_deref()
            .is_some_and(|n| n.contains("older than 24 h and ignored")),
        "{s:?}"
    );

    // Unreadable: ignored with a warning.
    std::fs::write(env.file(Provider::Azure), "{not json").unwrap();
    let (_, warnings) = cache::load(&env.dir(), now);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("catalogue-azure.json: invalid JSON"),
        "{warnings:?}"
    );

    // No cache directory content: nothing to load.
    let empty = tempfile::tempdir().unwrap();
    assert!(cache::load(empty.path(), now).0.is_none());
}

#[test]
fn cache_files_are_self_describing_json() {
    let server = Server::start(all_fixtures);
    let env = Env::new();
    assert_eq!(
        env.update(&server, &["--provider", "aws"], &[])
            .status
            .code(),
        Some(0)
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.file(Provider::Aws)).unwrap()).unwrap();
    for key in [
        "format",
        "provider",
        "fetched_at",
        "source",
        "requested_regions",
        "fetched_regions",
        "regions",
        "rows",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    let row = &v["rows"][0];
    for key in [
        "provider",
        "instance_type",
        "family",
        "vcpus",
        "memory_gib",
        "gpu_model",
        "gpu_count",
        "gpu_memory_gib",
        "region",
        "price_hourly_usd",
        "spot_price_hourly_usd",
    ] {
        assert!(row.get(key).is_some(), "row.{key} missing: {row}");
    }
}
