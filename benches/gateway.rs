//! End-to-end gateway figures against the built-in simulator, on the real
//! binaries: `cargo bench --bench gateway [-- drain|latency|ingest|memory|idle]`.
//!
//! 1. drain: 1,000 one-part messages over 4 and over 16 modems at 200 ms a
//!    send; time against the ideal (messages × latency ÷ modems).
//! 2. latency: enqueue (HTTP POST) to `AT+CMGS` at an idle modem, p50/p99 of 200.
//! 3. ingest: one batch of 100,000; single POSTs at concurrency 16.
//! 4. memory: peak RSS of the daemon with 16 modems and 1,000,000 queued.
//! 5. idle: CPU used by the daemon with 16 idle modems over 60 s.
//! 6. replug: unplug a modem, wait 0.5–15 s, replug; time to `ready` again.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Rig {
    _sim: common::Sim,
    serve: Proc,
    control: String,
    base: String,
    token: String,
    http: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn rig(modems: usize, latency_ms: u64, attach_modems: bool) -> Rig {
    let sim = common::Sim::start(modems, latency_ms);
    let control = sim.control.clone();
    let port = free_port();
    let d = sim.dir.path().display();
    let glob = if attach_modems {
        format!("{d}/sim/modem*")
    } else {
        format!("{d}/none/*")
    };
    let config = sim.dir.path().join("simfleet.toml");
    std::fs::write(
        &config,
        format!(
            "[api]\nlisten = \"127.0.0.1:{port}\"\ntoken_file = \"{d}/token\"\n[storage]\npath = \"{d}/db.sqlite\"\n[sending]\ndefault_region = \"RU\"\nstatus_reports = false\n[[modem]]\nport = \"{glob}\"\n"
        ),
    )
    .unwrap();
    // Disable the simulator's periodic chatter so it does not colour the figures.
    let http = simfleet::tls::http_client()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    for i in 0..modems {
        let _ = http
            .post(format!("{control}/modems/{i}/faults"))
            .json(&json!({"noise": false}))
            .send()
            .await;
    }
    let serve = Command::new(env!("CARGO_BIN_EXE_simfleet"))
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "error")
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..400 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let token = std::fs::read_to_string(sim.dir.path().join("token"))
        .unwrap()
        .trim()
        .to_string();
    let rig = Rig {
        _sim: sim,
        serve: Proc(serve),
        control,
        base,
        token,
        http,
    };
    if attach_modems {
        rig.wait_ready(modems).await;
    }
    rig
}

impl Rig {
    async fn wait_ready(&self, n: usize) {
        let start = Instant::now();
        loop {
            let modems: Value = self.get("/v1/modems").await;
            if modems
                .as_array()
                .is_some_and(|a| a.iter().filter(|m| m["state"] == "ready").count() >= n)
            {
                return;
            }
            assert!(start.elapsed() < Duration::from_secs(120), "modems not ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn ledger(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/ledger", self.control))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    fn proc_status(&self, key: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.serve.0.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.serve.0.id())).unwrap();
        let fields: Vec<&str> = stat.rsplit_once(") ").unwrap().1.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

fn batch(n: usize, offset: usize, prefix: &str) -> Value {
    json!({"messages": (0..n).map(|i| json!({"to": format!("+7916{:07}", offset + i), "text": format!("{prefix} {}", offset + i)})).collect::<Vec<_>>()})
}

fn ts(v: &Value) -> f64 {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .timestamp_micros() as f64
        / 1e6
}

async fn drain(modems: usize) {
    let latency = 0.2;
    let r = rig(modems, 200, true).await;
    let n = 1000;
    let start = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
    let res = r.post("/v1/messages/batch", &batch(n, 1_000_000, "drain")).await;
    assert_eq!(res["results"].as_array().unwrap().len(), n);
    // Poll the simulator's small counters, not the whole ledger: the
    // measurement must not load the machine it measures.
    loop {
        let modems: Value = r
            .http
            .get(format!("{}/modems", r.control))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let accepted: u64 = modems
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["counters"]["sends_accepted"].as_u64().unwrap_or(0))
            .sum();
        if accepted >= n as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let ledger = r.ledger().await;
    let end = ledger.iter().map(|e| ts(&e["at"])).fold(0.0, f64::max);
    let elapsed = end - start;
    let ideal = n as f64 * latency / modems as f64;
    let mut per = vec![0usize; modems];
    for e in &ledger {
        per[e["modem"].as_u64().unwrap() as usize] += 1;
    }
    // Where the time goes, per modem: the gateway's turnaround (accepted →
    // next AT+CMGS) and the simulator's own time beyond the latency.
    let mut turnaround = Vec::new();
    let mut sim_extra = Vec::new();
    for m in 0..modems as u64 {
        let mut mine: Vec<&Value> = ledger.iter().filter(|e| e["modem"].as_u64() == Some(m)).collect();
        mine.sort_by(|a, b| ts(&a["command_at"]).partial_cmp(&ts(&b["command_at"])).unwrap());
        // `at` is when the simulator accepted the PDU; it answers `latency` later.
        for w in mine.windows(2) {
            turnaround.push((ts(&w[1]["command_at"]) - ts(&w[0]["at"]) - latency) * 1000.0);
        }
        for e in &mine {
            sim_extra.push((ts(&e["at"]) - ts(&e["command_at"])) * 1000.0);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    let first = ledger
        .iter()
        .map(|e| ts(&e["command_at"]))
        .fold(f64::MAX, f64::min)
        - start;
    println!(
        "drain   {n} messages, {modems:>2} modems, 200 ms/send: {elapsed:.2} s vs ideal {ideal:.2} s = {:.3} × ideal  (per modem {}–{}; first AT+CMGS after {:.0} ms; median gateway turnaround {:.2} ms from answer to next AT+CMGS, AT+CMGS to PDU accepted {:.2} ms)",
        elapsed / ideal,
        per.iter().min().unwrap(),
        per.iter().max().unwrap(),
        first * 1000.0,
        median(&mut turnaround),
        median(&mut sim_extra)
    );
}

async fn latency() {
    let r = rig(4, 20, true).await;
    let mut samples = Vec::new();
    for i in 0..200 {
        let t0 = chrono::Utc::now().timestamp_micros() as f64 / 1e6;
        r.post(
            "/v1/messages",
            &json!({"to": format!("+7916{:07}", 3_000_000 + i), "text": format!("latency {i}")}),
        )
        .await;
        let entry = loop {
            let l = r.ledger().await;
            if let Some(e) = l.iter().find(|e| e["text"] == format!("latency {i}")) {
                break e.clone();
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        samples.push((ts(&entry["command_at"]) - t0) * 1000.0);
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "latency enqueue (HTTP POST) → AT+CMGS, idle modem, 200 messages: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        pct(0.50),
        pct(0.99),
        samples[samples.len() - 1]
    );
}

async fn ingest() {
    let r = rig(1, 200, false).await;
    let body = batch(100_000, 4_000_000, "ingest");
    let t = Instant::now();
    let res = r.post("/v1/messages/batch", &body).await;
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(res["results"].as_array().unwrap().len(), 100_000);
    println!(
        "ingest  one batch of 100,000: {secs:.2} s = {:.0} messages/s",
        100_000.0 / secs
    );

    let per_task = 500;
    let t = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..16 {
        let http = r.http.clone();
        let (base, token) = (r.base.clone(), r.token.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let body =
                    json!({"to": format!("+7916{:07}", 5_000_000 + task * per_task + i), "text": "single"});
                let resp = http
                    .post(format!("{base}/v1/messages"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status().as_u16(), 202);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "ingest  {} single POSTs at concurrency 16: {secs:.2} s = {:.0} messages/s",
        16 * per_task,
        (16 * per_task) as f64 / secs
    );
}

async fn memory() {
    let r = rig(16, 200, true).await;
    // SIMFLEET_BENCH_BATCH: items per request (default 100,000).
    let size: usize = std::env::var("SIMFLEET_BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let start_rss = r.proc_status("VmRSS:") as f64 / 1024.0;
    let t = Instant::now();
    for b in 0..1_000_000 / size {
        let res = r
            .post("/v1/messages/batch", &batch(size, 6_000_000 + b * size, "mem"))
            .await;
        assert_eq!(res["results"].as_array().unwrap().len(), size);
    }
    let enqueue = t.elapsed().as_secs_f64();
    let enqueued_hwm = r.proc_status("VmHWM:") as f64 / 1024.0;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let metrics = r
        .http
        .get(format!("{}/metrics", r.base))
        .bearer_auth(&r.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let queued = metrics
        .lines()
        .find_map(|l| l.strip_prefix("simfleet_messages{status=\"queued\"} "))
        .unwrap_or("?");
    println!(
        "memory  16 modems sending, 1,000,000 enqueued in batches of {size} in {enqueue:.1} s ({queued} still queued): RSS at start {start_rss:.1} MB, peak while enqueueing {enqueued_hwm:.1} MB, peak {:.1} MB, RSS now {:.1} MB, {} threads",
        r.proc_status("VmHWM:") as f64 / 1024.0,
        r.proc_status("VmRSS:") as f64 / 1024.0,
        r.proc_status("Threads:")
    );
}

async fn idle() {
    let r = rig(16, 200, true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // SAFETY: sysconf has no preconditions.
    let hz = match unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) } {
        n if n > 0 => n as f64,
        _ => 100.0,
    };
    let before = r.cpu_ticks();
    tokio::time::sleep(Duration::from_secs(60)).await;
    let used = (r.cpu_ticks() - before) as f64 / hz;
    println!(
        "idle    16 idle modems for 60 s: daemon used {used:.2} s CPU; RSS {:.1} MB",
        r.proc_status("VmRSS:") as f64 / 1024.0
    );
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if want("drain") {
            drain(4).await;
            drain(16).await;
        }
        if want("latency") {
            latency().await;
        }
        if want("ingest") {
            ingest().await;
        }
        if want("memory") {
            memory().await;
        }
        if want("idle") {
            idle().await;
        }
        if want("replug") {
            replug().await;
        }
    });
}

async fn replug() {
    let r = rig(1, 200, true).await;
    let state = async || {
        r.get("/v1/modems").await[0]["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let plug = async |what: &str| {
        r.http
            .post(format!("{}/modems/0/{what}", r.control))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
    };
    let mut figures = Vec::new();
    for gap in [0.5, 2.0, 5.0, 9.0, 15.0] {
        plug("unplug").await;
        while state().await == "ready" {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_secs_f64(gap)).await;
        plug("replug").await;
        let t = Instant::now();
        while state().await != "ready" {
            assert!(t.elapsed() < Duration::from_secs(60), "not ready again");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        figures.push(format!("{gap} s away: {:.2} s", t.elapsed().as_secs_f64()));
    }
    println!("replug  replug to ready: {}", figures.join(", "));
}
