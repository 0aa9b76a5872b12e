//! Starting and watching the servers under test: cognate, cognito-local and moto.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::json;
use tokio::process::{Child, Command};

use crate::client::Idp;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cognate,
    CognitoLocal,
    Moto,
}

#[derive(Debug, Clone)]
pub struct Spec {
    /// The label in reports (`cognate`, `cognate-fast`, `cognito-local`, `moto`).
    pub label: String,
    pub kind: Kind,
    /// The cognate binary, the cognito-local `start.js`, or the `moto_server` script.
    pub program: PathBuf,
    /// Extra `cognate serve` arguments.
    pub args: Vec<String>,
    pub work: PathBuf,
    /// cognate on PostgreSQL (a database of the run's own) instead of SQLite in `work`.
    pub database_url: Option<String>,
    /// cognate processes on the one database; the load generator spreads calls over them.
    pub instances: usize,
}

pub struct Running {
    pub spec: Spec,
    /// The first instance's URL.
    pub url: String,
    /// Every instance's URL.
    pub urls: Vec<String>,
    pub pid: u32,
    pub cold_start: Duration,
    child: Child,
    /// The other instances, with their pids.
    siblings: Vec<(Child, u32)>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn command(spec: &Spec, port: u16) -> Command {
    let mut c = match spec.kind {
        Kind::Cognate => {
            let mut c = Command::new(&spec.program);
            c.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"]).arg(spec.work.join("data"));
            c.args(&spec.args);
            if let Some(url) = &spec.database_url {
                c.env("COGNATE_DATABASE_URL", url);
            }
            c.env("COGNATE_LOG", "warn");
            c
        }
        Kind::CognitoLocal => {
            // Its default pools take emails as usernames; the workloads use plain usernames,
            // as Cognito's own default does.
            let config = spec.work.join(".cognito/config.json");
            if !config.exists() {
                let _ = std::fs::create_dir_all(spec.work.join(".cognito"));
                let _ = std::fs::write(&config, r#"{"UserPoolDefaults": {"UsernameAttributes": []}}"#);
            }
            let mut c = Command::new("node");
            c.arg(&spec.program).env("PORT", port.to_string()).env("HOST", "127.0.0.1").env("DEBUG", "");
            c
        }
        Kind::Moto => {
            let mut c = Command::new(&spec.program);
            c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            c
        }
    };
    // The server's log goes to its scratch directory; `compare` copies it next to the results.
    let log = std::fs::OpenOptions::new().create(true).append(true).open(spec.work.join("server.log"));
    let stderr = log.map(Stdio::from).unwrap_or_else(|_| Stdio::null());
    c.current_dir(&spec.work).stdin(Stdio::null()).stdout(Stdio::null()).stderr(stderr).kill_on_drop(true);
    c
}

/// Starts the server and measures the time to its first successful request.
pub async fn start(spec: &Spec) -> anyhow::Result<Running> {
    start_on(spec, free_port()?).await
}

pub async fn start_on(spec: &Spec, port: u16) -> anyhow::Result<Running> {
    std::fs::create_dir_all(&spec.work)?;
    let (first, cold_start) = start_one(spec, port).await?;
    let mut siblings = Vec::new();
    let mut urls = vec![format!("http://127.0.0.1:{port}")];
    for _ in 1..spec.instances.max(1) {
        let port = free_port()?;
        let (child, _) = start_one(spec, port).await?;
        let pid = child.id().context("the server exited at once")?;
        siblings.push((child, pid));
        urls.push(format!("http://127.0.0.1:{port}"));
    }
    let pid = first.id().context("the server exited at once")?;
    Ok(Running { spec: spec.clone(), url: urls[0].clone(), urls, pid, cold_start, child: first, siblings })
}

async fn start_one(spec: &Spec, port: u16) -> anyhow::Result<(Child, Duration)> {
    let idp = Idp::new(&format!("http://127.0.0.1:{port}"));
    let started = Instant::now();
    let child = command(spec, port).spawn().with_context(|| format!("cannot start {}", spec.label))?;
    loop {
        if idp.call("ListUserPools", json!({ "MaxResults": 1 })).await.is_ok() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("{} did not answer within 60 s", spec.label);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok((child, started.elapsed()))
}

impl Running {
    pub async fn stop(&mut self) {
        for child in std::iter::once(&mut self.child).chain(self.siblings.iter_mut().map(|(c, _)| c)) {
            if let Some(pid) = child.id() {
                // SIGTERM first so cognate checkpoints its database; then make sure.
                let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
                if tokio::time::timeout(Duration::from_secs(10), child.wait()).await.is_err() {
                    let _ = child.kill().await;
                }
            }
        }
    }

    fn pids(&self) -> impl Iterator<Item = u32> + '_ {
        std::iter::once(self.pid).chain(self.siblings.iter().map(|(_, pid)| *pid))
    }

    /// User + system CPU seconds the server processes have used so far.
    pub fn cpu_seconds(&self) -> f64 {
        self.pids().map(cpu_seconds_of).sum()
    }

    /// Resident set size in KiB, of every instance together.
    pub fn rss_kib(&self) -> u64 {
        self.pids().map(|pid| status_field(pid, "VmRSS:")).sum()
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or(0)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.spec.work.join("data")
    }
}

fn cpu_seconds_of(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0.0 };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn status_field(pid: u32, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Samples a server's RSS while a future runs; returns the future's output and the peak.
pub async fn with_peak_rss<T>(pid: u32, fut: impl std::future::Future<Output = T>) -> (T, u64) {
    let (tx, mut rx) = tokio::sync::oneshot::channel::<()>();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        loop {
            peak = peak.max(status_field(pid, "VmRSS:"));
            tokio::select! {
                _ = &mut rx => break,
                _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            }
        }
        peak
    });
    let out = fut.await;
    let _ = tx.send(());
    let peak = sampler.await.unwrap_or(0);
    (out, peak)
}

pub fn default_paths(root: &Path) -> (PathBuf, PathBuf) {
    let work = root.join("bench/.work");
    (work.join("cognito-local/node_modules/cognito-local/lib/bin/start.js"), work.join("venv/bin/moto_server"))
}
