//! Evidence streaming: one large file up and down through the real server.
//!
//! Starts the `rampart` binary (release build) on an empty SQLite data
//! directory, uploads a generated file of `RAMPART_BENCH_EVIDENCE_MIB` MiB
//! (default 1024) as multipart, downloads it again, and checks that both
//! sides agree on the SHA-256. Prints the throughput of each direction and
//! the server's peak resident memory (VmHWM, sampled VmRSS as a cross-check).
//! The target is a peak under 100 MB: the server must never hold the file.
//!
//! The download re-hashes the stored content before it sends the first byte
//! and again while streaming, so its figure includes one extra full read.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const MIB: u64 = 1024 * 1024;
const TARGET_BYTES: u64 = 100 * 1000 * 1000;

fn main() -> anyhow::Result<()> {
    let mib = match std::env::var("RAMPART_BENCH_EVIDENCE_MIB") {
        Ok(v) => v
            .parse::<u64>()
            .with_context(|| format!("RAMPART_BENCH_EVIDENCE_MIB must be a number, got `{v}`"))?,
        Err(_) => 1024,
    };
    if mib == 0 {
        bail!("RAMPART_BENCH_EVIDENCE_MIB must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(mib * MIB))
}

/// The server process; killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rampart(dir: &std::path::Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_clear()
        .output()?;
    if !out.status.success() {
        bail!("rampart {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// Reads a `/proc/<pid>/status` field in kB, as bytes.
fn proc_status(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse::<u64>()
        .ok()
        .map(|kb| kb * 1024)
}

/// Deterministic pseudo-random content, generated chunk by chunk.
fn content(size: u64) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunk = MIB;
    futures_util::stream::unfold(
        (0u64, 0x9E37_79B9_7F4A_7C15u64),
        move |(sent, mut x)| async move {
            if sent >= size {
                return None;
            }
            let n = chunk.min(size - sent);
            let mut buf = Vec::with_capacity(n as usize);
            while (buf.len() as u64) < n {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                buf.extend_from_slice(&x.to_le_bytes());
            }
            buf.truncate(n as usize);
            Some((Ok(buf), (sent + n, x)))
        },
    )
}

fn expected_hash(size: u64) -> String {
    // Same generator as `content`, hashed without the network.
    let mut hasher = Sha256::new();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut sent = 0;
    let mut buf = Vec::with_capacity(MIB as usize);
    while sent < size {
        let n = MIB.min(size - sent);
        buf.clear();
        while (buf.len() as u64) < n {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            buf.extend_from_slice(&x.to_le_bytes());
        }
        buf.truncate(n as usize);
        hasher.update(&buf);
        sent += n;
    }
    hex::encode(hasher.finalize())
}

async fn run(size: u64) -> anyhow::Result<()> {
    let dir = tempfile::TempDir::new()?;
    rampart(
        dir.path(),
        &[
            "user",
            "add",
            "ian",
            "--role",
            "poc",
            "--role",
            "isirt_member",
        ],
    )?;
    let token = rampart(dir.path(), &["token", "create", "ian"])?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let listen = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["serve", "--listen", &listen, "--data-dir"])
        .arg(dir.path())
        .env_clear()
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut server = Server(child);
    let pid = server.0.id();
    if let Some(stderr) = server.0.stderr.take() {
        // Keep the pipe drained so the server never blocks on logging.
        std::thread::spawn(move || for _ in BufReader::new(stderr).lines() {});
    }
    let base = format!("http://{listen}/api/v1");
    rampart_notify::use_ring_for_tls();
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("http://{listen}/readyz"))
        .send()
        .await
        .is_err()
    {
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let idle_rss = proc_status(pid, "VmRSS:").unwrap_or(0);

    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let event: Value = post(
        "/events",
        json!({"title": "disk image", "description": "bench"}),
    )
    .await?
    .json()
    .await?;
    let evt = event["number"].as_str().context("event number")?.to_owned();
    post(
        &format!("/events/{evt}/assessment"),
        json!({"decision": "possible_incident", "escalate": true}),
    )
    .await?
    .error_for_status()?;
    let incident: Value = post(
        "/incidents",
        json!({"events": [evt], "title": "bench", "category": "malware",
               "severity": {"system_importance": "important", "business_loss": "serious", "social_impact": "minor"},
               "effort": "low", "coordinator": "ian"}),
    )
    .await?
    .json()
    .await?;
    let inc = incident["number"]
        .as_str()
        .context("incident number")?
        .to_owned();

    // Sample the server's resident memory while the file moves.
    let peak_sampled = Arc::new(AtomicU64::new(idle_rss));
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (peak, on) = (peak_sampled.clone(), sampling.clone());
        std::thread::spawn(move || {
            while on.load(Ordering::Relaxed) {
                if let Some(rss) = proc_status(pid, "VmRSS:") {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };

    let expected = expected_hash(size);
    let part = Part::stream_with_length(reqwest::Body::wrap_stream(content(size)), size)
        .file_name("disk.img")
        .mime_str("application/octet-stream")?;
    let form = Form::new()
        .text("description", "disk image")
        .text("found_at", "laptop")
        .text("collected_by", "bench")
        .text("collected_at", "2026-01-01T00:00:00Z")
        .text("reason", "throughput")
        .part("file", part);
    let t = Instant::now();
    let resp = client
        .post(format!("{base}/incidents/{inc}/evidence"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await?;
    let up = t.elapsed();
    let status = resp.status();
    let item: Value = resp.json().await?;
    if !status.is_success() {
        bail!("upload failed: {status} {item}");
    }
    if item["content"]["sha256"] != expected.as_str() {
        bail!(
            "the server stored a different hash: {}",
            item["content"]["sha256"]
        );
    }
    let after_upload = proc_status(pid, "VmHWM:").unwrap_or(0);
    let evd = item["number"]
        .as_str()
        .context("evidence number")?
        .to_owned();

    let t = Instant::now();
    let resp = client
        .get(format!("{base}/evidence/{evd}/content"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let mut body = resp.bytes_stream();
    let mut hasher = Sha256::new();
    let mut received = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        received += chunk.len() as u64;
        hasher.update(&chunk);
    }
    let down = t.elapsed();
    sampling.store(false, Ordering::Relaxed);
    let _ = sampler.join();
    if received != size || hex::encode(hasher.finalize()) != expected {
        bail!("the download differs from the upload ({received} of {size} bytes)");
    }
    let peak = proc_status(pid, "VmHWM:").unwrap_or(0);
    let sampled = peak_sampled.load(Ordering::Relaxed);

    let mb = |b: u64| b as f64 / 1e6;
    let rate = |d: Duration| size as f64 / MIB as f64 / d.as_secs_f64();
    println!("evidence file: {} MiB, SHA-256 {expected}", size / MIB);
    println!(
        "upload:   {:>8.1} MiB/s  ({:.2} s)",
        rate(up),
        up.as_secs_f64()
    );
    println!(
        "download: {:>8.1} MiB/s  ({:.2} s, including the re-hash before the first byte)",
        rate(down),
        down.as_secs_f64()
    );
    println!(
        "server resident memory: idle {:.1} MB, peak after upload {:.1} MB, peak overall {:.1} MB (sampled max {:.1} MB)",
        mb(idle_rss),
        mb(after_upload),
        mb(peak),
        mb(sampled)
    );
    let verdict = if peak < TARGET_BYTES {
        "met"
    } else {
        "NOT met"
    };
    println!("target peak RSS < {:.0} MB: {verdict}", mb(TARGET_BYTES));
    println!(
        "note: server is the release binary on SQLite, client in this process, loopback, {} cores shared",
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get)
    );
    drop(server);
    if peak >= TARGET_BYTES {
        bail!("peak resident memory {:.1} MB is over the target", mb(peak));
    }
    Ok(())
}
