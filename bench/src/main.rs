//! `cognate-bench`: the same Cognito workloads against cognate, cognito-local and moto, one
//! server at a time on loopback, with ratios measured in the same run.
//!
//! `bench/run` installs the peers and runs `compare`; `quick` is the few-seconds smoke run CI
//! uses so the harness never rots (it checks that it runs, not how fast).

mod client;
mod load;
mod micro;
mod report;
mod servers;
mod workloads;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use serde_json::{json, Value};

use servers::{Kind, Spec};

#[derive(Parser)]
#[command(name = "cognate-bench", about = "Cognito workloads against cognate and its peers")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Every workload at every pool size against every server; writes Markdown, JSON and SVG.
    Compare(Options),
    /// A few seconds per workload against cognate only; fails if any workload fails.
    Quick(Options),
    /// The SRP arithmetic alone (one thread), beside the alternatives; writes srp.json.
    Srp {
        /// Operations per timed batch (15 rounds over every row; median and best reported).
        #[arg(long, default_value_t = 20)]
        batch: u32,
        #[arg(long, default_value = "bench/results")]
        out: PathBuf,
    },
    /// Merges result files of separate runs into one report.
    Merge {
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        #[arg(long, default_value = "bench/results")]
        out: PathBuf,
    },
}

#[derive(Args, Clone)]
struct Options {
    /// Servers to run: cognate (default password cost), cognate-fast (fast-insecure preset),
    /// cognate-pg and cognate-pg3 (fast-insecure on PostgreSQL, one and three instances; need
    /// --database-url), cognito-local, moto.
    #[arg(long, value_delimiter = ',', default_value = "cognate,cognate-fast,cognito-local,moto")]
    servers: Vec<String>,
    /// Pool sizes (users beyond the fixture) for cognate.
    #[arg(long, value_delimiter = ',', default_value = "0,10000,1000000")]
    sizes: Vec<usize>,
    /// Pool sizes for cognito-local and moto (a million users through their paths takes hours).
    #[arg(long, value_delimiter = ',', default_value = "0,10000")]
    peer_sizes: Vec<usize>,
    /// Seconds per workload.
    #[arg(long, default_value_t = 8.0)]
    seconds: f64,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    #[arg(long, default_value = "target/release/cognate")]
    cognate_bin: PathBuf,
    /// cognito-local's start.js [default: bench/.work/cognito-local/…/lib/bin/start.js]
    #[arg(long)]
    cognito_local: Option<PathBuf>,
    /// moto's `moto_server` script [default: bench/.work/venv/bin/moto_server]
    #[arg(long)]
    moto: Option<PathBuf>,
    /// Where results go.
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Only these workloads (e.g. to profile one).
    #[arg(long, value_delimiter = ',')]
    workloads: Option<Vec<String>>,
    /// A PostgreSQL server (postgres://USER@HOST:PORT, no database) for cognate-pg and
    /// cognate-pg3: each gets a fresh database, dropped afterwards.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    match cli.command {
        Command::Compare(o) => runtime.block_on(compare(o, false)),
        Command::Quick(mut o) => {
            if o.servers == Options::default_servers() {
                o.servers = vec!["cognate-fast".into()];
            }
            runtime.block_on(compare(o, true))
        }
        Command::Srp { batch, out } => {
            let doc = micro::run(batch);
            std::fs::create_dir_all(&out)?;
            std::fs::write(out.join("srp.json"), serde_json::to_string_pretty(&doc)?)?;
            Ok(())
        }
        Command::Merge { inputs, out } => merge(&inputs, &out),
    }
}

impl Options {
    fn default_servers() -> Vec<String> {
        ["cognate", "cognate-fast", "cognito-local", "moto"].iter().map(|s| s.to_string()).collect()
    }
}

fn spec(label: &str, o: &Options, scratch: &std::path::Path) -> anyhow::Result<Spec> {
    let root = std::env::current_dir()?;
    let (cl, moto) = servers::default_paths(&root);
    let work = scratch.join(label);
    let _ = std::fs::remove_dir_all(&work);
    // Servers run in their scratch directories, so programs are named by absolute paths.
    let absolute = |p: PathBuf| if p.is_absolute() { p } else { root.join(p) };
    let o = Options {
        cognate_bin: absolute(o.cognate_bin.clone()),
        cognito_local: o.cognito_local.clone().map(absolute),
        moto: o.moto.clone().map(absolute),
        ..o.clone()
    };
    Ok(match label {
        "cognate" | "cognate-fast" => Spec {
            label: label.into(),
            kind: Kind::Cognate,
            program: o.cognate_bin,
            args: vec![],
            work,
            database_url: None,
            instances: 1,
        },
        "cognate-pg" | "cognate-pg3" => Spec {
            label: label.into(),
            kind: Kind::Cognate,
            program: o.cognate_bin,
            args: vec![],
            work,
            // The fast preset's durability on PostgreSQL: commits do not wait for the disk
            // (synchronous_commit=off), as cognate-fast's SQLite runs synchronous=NORMAL.
            database_url: Some(format!(
                "{}/{}?options=-c%20synchronous_commit%3Doff",
                o.database_url.as_deref().context("cognate-pg needs --database-url")?.trim_end_matches('/'),
                bench_database(label)
            )),
            instances: if label == "cognate-pg3" { 3 } else { 1 },
        },
        "cognito-local" => Spec {
            label: label.into(),
            kind: Kind::CognitoLocal,
            program: o.cognito_local.clone().unwrap_or(cl),
            args: vec![],
            work,
            database_url: None,
            instances: 1,
        },
        "moto" => Spec {
            label: label.into(),
            kind: Kind::Moto,
            program: o.moto.clone().unwrap_or(moto),
            args: vec![],
            work,
            database_url: None,
            instances: 1,
        },
        other => anyhow::bail!("unknown server {other}"),
    })
}

/// The run's own database for a PostgreSQL-backed label.
fn bench_database(label: &str) -> String {
    format!("cognate_bench_{}_{}", std::process::id(), label.replace('-', "_"))
}

/// Creates (`create`) or drops the run's database of a label on the server at `base`.
async fn pg_database(base: &str, label: &str, create: bool) -> anyhow::Result<()> {
    let (client, conn) =
        tokio_postgres::connect(&format!("{}/postgres", base.trim_end_matches('/')), tokio_postgres::NoTls)
            .await
            .with_context(|| format!("cannot connect to {}", cognate_store::redact(base)))?;
    tokio::spawn(conn);
    let name = bench_database(label);
    client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    if create {
        client.batch_execute(&format!("CREATE DATABASE {name}")).await?;
    }
    Ok(())
}

/// The machine's argon2id ceiling at cognate's default cost: hashes per second on every core.
fn argon2_ceiling(seconds: f64) -> f64 {
    use argon2_ceiling::measure;
    measure(seconds)
}

mod argon2_ceiling {
    use cognate_core::ports::Passwords;
    use std::time::{Duration, Instant};

    pub fn measure(seconds: f64) -> f64 {
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
                    let p = cognate_server::passwords::Argon2Passwords::default();
                    let mut n = 0u64;
                    while Instant::now() < deadline {
                        let _ = rt.block_on(p.hash("Bench-passw0rd!"));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let started = Instant::now();
        let total: u64 = handles.into_iter().map(|h| h.join().unwrap_or(0)).sum();
        total as f64 / started.elapsed().as_secs_f64().max(seconds)
    }
}

async fn compare(o: Options, quick: bool) -> anyhow::Result<()> {
    let scratch = std::env::temp_dir().join(format!("cognate-bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch)?;
    std::fs::create_dir_all(&o.out)?;
    let duration = Duration::from_secs_f64(o.seconds);
    let ceiling = if quick { 0.0 } else { tokio::task::spawn_blocking(|| argon2_ceiling(3.0)).await? };
    let mut all = Vec::new();
    let mut failures = Vec::new();
    for label in &o.servers {
        let spec = spec(label, &o, &scratch)?;
        if label == "cognate-fast" {
            std::fs::create_dir_all(&spec.work)?;
            std::fs::write(
                spec.work.join("fast.toml"),
                "[passwords]\npreset = \"fast-insecure\"\n\n[storage]\nsynchronous = \"normal\"\n",
            )?;
        }
        let mut spec = spec;
        if label == "cognate-fast" {
            spec.args = vec!["--config".into(), spec.work.join("fast.toml").display().to_string()];
        }
        if let (Some(base), Some(_)) = (&o.database_url, &spec.database_url) {
            // PostgreSQL keeps its own durability; the password preset is the fast one.
            std::fs::create_dir_all(&spec.work)?;
            std::fs::write(spec.work.join("pg.toml"), "[passwords]\npreset = \"fast-insecure\"\n")?;
            spec.args = vec!["--config".into(), spec.work.join("pg.toml").display().to_string()];
            pg_database(base, label, true).await?;
        }
        eprintln!("== {label}");
        let outcome = run_server(&spec, &o, duration, quick).await;
        if let (Some(base), Some(_)) = (&o.database_url, &spec.database_url) {
            pg_database(base, label, false).await?;
        }
        let result = match outcome {
            Ok(result) => result,
            Err(e) => {
                // One server failing must not lose the others' results.
                eprintln!("   {label} failed: {e:#}");
                failures.push(format!("{label}: {e:#}"));
                continue;
            }
        };
        for r in result["results"].as_array().into_iter().flatten() {
            if r["ops"].as_u64() == Some(0) || r["errors"].as_u64().unwrap_or(0) > 0 {
                failures.push(format!("{label} {} @{}: {}", r["workload"], r["size"], r["first_error"]));
            }
        }
        all.push(result);
    }
    let doc = json!({
        "machine": report::machine(),
        "command": std::env::args().collect::<Vec<_>>().join(" "),
        "seconds_per_workload": o.seconds,
        "concurrency": o.concurrency,
        "argon2id_ceiling_per_s": ceiling,
        "servers": all,
    });
    write_report(&doc, &o.out)?;
    for label in &o.servers {
        let _ = std::fs::copy(scratch.join(label).join("server.log"), o.out.join(format!("{label}.log")));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    if quick && !failures.is_empty() {
        anyhow::bail!("workloads failed:\n{}", failures.join("\n"));
    }
    if !failures.is_empty() {
        eprintln!("some workloads had errors:\n{}", failures.join("\n"));
    }
    Ok(())
}

fn write_report(doc: &Value, out: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(out)?;
    std::fs::write(out.join("results.json"), serde_json::to_string_pretty(doc)?)?;
    let markdown = report::markdown(doc);
    std::fs::write(out.join("results.md"), &markdown)?;
    std::fs::write(out.join("chart.svg"), report::svg(doc))?;
    println!("{markdown}");
    Ok(())
}

/// Merges the servers of several result files (runs made separately) into one report.
fn merge(inputs: &[PathBuf], out: &std::path::Path) -> anyhow::Result<()> {
    let mut merged: Option<Value> = None;
    for input in inputs {
        let doc: Value =
            serde_json::from_slice(&std::fs::read(input).with_context(|| format!("cannot read {}", input.display()))?)?;
        match &mut merged {
            None => merged = Some(doc),
            Some(m) => {
                let servers = doc["servers"].as_array().cloned().unwrap_or_default();
                if let Some(list) = m["servers"].as_array_mut() {
                    list.retain(|s| !servers.iter().any(|n| n["server"] == s["server"]));
                    list.extend(servers);
                }
            }
        }
    }
    write_report(&merged.context("no inputs")?, out)
}

async fn run_server(spec: &Spec, o: &Options, duration: Duration, quick: bool) -> anyhow::Result<Value> {
    if spec.kind == Kind::Cognate {
        // Cold start is measured on an existing data directory, as a restarted server sees it.
        servers::start(spec).await?.stop().await;
    }
    let mut server = servers::start(spec).await?;
    let cold_start = server.cold_start;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let idle_rss = server.rss_kib();
    eprintln!("   cold start {:.1} ms, idle RSS {} KiB", cold_start.as_secs_f64() * 1000.0, idle_rss);
    let run_id = format!("{}", std::process::id());
    let fixture = workloads::Fixture::create(&server.urls, &run_id).await?;
    let sizes = if spec.kind == Kind::Cognate { &o.sizes } else { &o.peer_sizes };
    let mut results = Vec::new();
    let mut filled = 0;
    for &size in sizes {
        let t = Instant::now();
        workloads::prefill(&mut server, &fixture, filled, size).await?;
        filled = filled.max(size);
        eprintln!("   pool of {size} users ready in {:.1} s", t.elapsed().as_secs_f64());
        for workload in workloads::WORKLOADS {
            if o.workloads.as_ref().is_some_and(|only| !only.iter().any(|w| w == workload)) {
                continue;
            }
            if !workloads::supports(spec.kind, workload) {
                eprintln!("   {workload:<13} unsupported by {}", spec.label);
                results.push(json!({ "workload": workload, "size": size, "unsupported": true }));
                continue;
            }
            if *workload == "change-password" {
                // Cognito allows 5 changes per user per hour: enough users for the run, from
                // this run's sign-up rate (a sign-up here is two requests, a change one, and
                // a change costs about what a sign-up does: three times the rate, with room).
                let signup_rate = results
                    .iter()
                    .rev()
                    .find(|r: &&serde_json::Value| r["workload"] == "signup")
                    .and_then(|r| r["throughput"].as_f64())
                    .unwrap_or(300.0);
                let needed = (signup_rate * duration.as_secs_f64() * 3.0 / f64::from(workloads::CHANGES_PER_USER))
                    .ceil() as usize
                    + o.concurrency;
                let t = Instant::now();
                fixture.prepare_changers(needed, o.concurrency).await?;
                eprintln!("   {needed} users for change-password ready in {:.1} s", t.elapsed().as_secs_f64());
            }
            let cpu = server.cpu_seconds();
            let f = fixture.clone();
            let w = workload.to_string();
            let (stats, peak) = servers::with_peak_rss(
                server.pid,
                load::run(o.concurrency, duration, move |seq| {
                    let (f, w) = (f.clone(), w.clone());
                    async move { f.op(&w, seq).await }
                }),
            )
            .await;
            let cpu = server.cpu_seconds() - cpu;
            eprintln!(
                "   {workload:<13} {:>9.0}/s p50 {:>7.2} ms p99 {:>7.2} ms errors {}",
                stats.throughput(),
                stats.ms(0.5),
                stats.ms(0.99),
                stats.errors
            );
            results.push(report::row(workload, size, &stats, cpu, peak));
        }
        if !quick && o.workloads.is_none() {
            // Is hashing kept off the request path? AdminGetUser latency while sign-ups saturate.
            let (f1, f2) = (fixture.clone(), fixture.clone());
            let background = tokio::spawn(load::run(o.concurrency, duration, move |seq| {
                let f = f1.clone();
                async move { f.op("signup", seq).await }
            }));
            let probe = load::run(1, duration, move |seq| {
                let f = f2.clone();
                async move { f.op("admingetuser", seq).await }
            })
            .await;
            let _ = background.await;
            eprintln!("   admingetuser during signup: p99 {:.2} ms", probe.ms(0.99));
            results.push(report::row("admingetuser-during-signup", size, &probe, 0.0, 0));
        }
    }
    server.stop().await;
    Ok(json!({
        "server": spec.label,
        "cold_start_ms": cold_start.as_secs_f64() * 1000.0,
        "idle_rss_kib": idle_rss,
        "results": results,
    }))
}
