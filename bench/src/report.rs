//! Results as JSON rows, a Markdown table with ratios, and an SVG chart.

use serde_json::{json, Value};

use crate::load::Stats;

pub fn row(workload: &str, size: usize, s: &Stats, cpu_seconds: f64, peak_rss_kib: u64) -> Value {
    json!({
        "workload": workload,
        "size": size,
        "ops": s.ops,
        "errors": s.errors,
        "throughput": s.throughput(),
        "p50_ms": s.ms(0.5),
        "p99_ms": s.ms(0.99),
        "p999_ms": s.ms(0.999),
        "cpu_seconds": cpu_seconds,
        "peak_rss_kib": peak_rss_kib,
        "first_error": s.first_error,
    })
}

pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    json!({ "cpu": cpu, "cores": cores })
}

fn find<'a>(doc: &'a Value, server: &str, workload: &str, size: u64) -> Option<&'a Value> {
    doc["servers"].as_array()?.iter().find(|s| s["server"] == server)?["results"]
        .as_array()?
        .iter()
        .find(|r| r["workload"] == workload && r["size"].as_u64() == Some(size))
}

fn servers(doc: &Value) -> Vec<String> {
    doc["servers"].as_array().into_iter().flatten().filter_map(|s| s["server"].as_str().map(str::to_string)).collect()
}

fn sizes(doc: &Value) -> Vec<u64> {
    let mut sizes: Vec<u64> = doc["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["results"].as_array().into_iter().flatten().filter_map(|r| r["size"].as_u64()))
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

const ROWS: &[&str] = &[
    "signup",
    "signin",
    "srp-signin",
    "change-password",
    "getuser",
    "admingetuser",
    "listusers",
    "mixed",
    "admingetuser-during-signup",
];

/// What each row measures, for the notes under the tables.
pub const NOTES: &str = "signup = SignUp + AdminConfirmSignUp (one pair per operation; AdminConfirmSignUp because the peers cannot hand codes to a load generator). \
signin = InitiateAuth USER_PASSWORD_AUTH. \
srp-signin = InitiateAuth USER_SRP_AUTH + RespondToAuthChallenge PASSWORD_VERIFIER (one pair per operation; the load generator computes the client's side, about 2 ms of its CPU per sign-in on the same cores). \
change-password = ChangePassword with an access token, each user at most 5 times (Cognito's hourly limit), users made beforehand. listusers = ListUsers with `email ^= \"fixture-N\"`, Limit 10. \
mixed = 40% GetUser, 20% AdminGetUser, 20% sign-in, 10% ListUsers, 10% sign-up. \
admingetuser-during-signup = one client doing AdminGetUser while 16 clients saturate sign-up (its p99 shows whether hashing stalls other requests).";

pub fn markdown(doc: &Value) -> String {
    let names = servers(doc);
    let peers: Vec<&String> = names.iter().filter(|n| !n.starts_with("cognate")).collect();
    let ours: Vec<&String> = names.iter().filter(|n| n.starts_with("cognate")).collect();
    let mut out = String::new();
    out.push_str(&format!(
        "Machine: {} ({} cores). {} s per workload, {} concurrent clients. argon2id ceiling at the default cost: {:.0} hashes/s.\n\n",
        doc["machine"]["cpu"].as_str().unwrap_or("?"),
        doc["machine"]["cores"],
        doc["seconds_per_workload"],
        doc["concurrency"],
        doc["argon2id_ceiling_per_s"].as_f64().unwrap_or(0.0)
    ));
    out.push_str(NOTES);
    out.push_str("\n\n| server | cold start (ms) | idle RSS (MiB) | peak RSS (MiB) |\n|---|---|---|---|\n");
    for s in doc["servers"].as_array().into_iter().flatten() {
        let peak = s["results"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["peak_rss_kib"].as_f64())
            .fold(0.0, f64::max);
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.0} |\n",
            s["server"].as_str().unwrap_or("?"),
            s["cold_start_ms"].as_f64().unwrap_or(0.0),
            s["idle_rss_kib"].as_f64().unwrap_or(0.0) / 1024.0,
            peak / 1024.0
        ));
    }
    for size in sizes(doc) {
        out.push_str(&format!("\n### Pool of {size} users (+ the fixture)\n\n| workload |"));
        for n in &names {
            out.push_str(&format!(" {n} req/s (p99 ms) |"));
        }
        for o in &ours {
            for p in &peers {
                out.push_str(&format!(" {o}/{p} |"));
            }
        }
        out.push_str("\n|---|");
        for _ in 0..names.len() + ours.len() * peers.len() {
            out.push_str("---|");
        }
        out.push('\n');
        for workload in ROWS {
            if names.iter().all(|n| find(doc, n, workload, size).is_none()) {
                continue;
            }
            out.push_str(&format!("| {workload} |"));
            for n in &names {
                match find(doc, n, workload, size) {
                    Some(r) if r["unsupported"] == true => out.push_str(" unsupported |"),
                    Some(r) => {
                        let errors = r["errors"].as_u64().unwrap_or(0);
                        let mark = if errors > 0 { format!(", {errors} errors") } else { String::new() };
                        out.push_str(&format!(
                            " {:.0} ({:.2}{mark}) |",
                            r["throughput"].as_f64().unwrap_or(0.0),
                            r["p99_ms"].as_f64().unwrap_or(0.0)
                        ));
                    }
                    None => out.push_str(" – |"),
                }
            }
            for o in &ours {
                for p in &peers {
                    // The probe runs one client at a fixed pace: its latency is the point, not its rate.
                    let probe = workload.ends_with("-during-signup");
                    let ratio = match (find(doc, o, workload, size), find(doc, p, workload, size)) {
                        _ if probe => "–".into(),
                        (Some(a), Some(b)) if b["throughput"].as_f64().unwrap_or(0.0) > 0.0 => format!(
                            "{:.1}×",
                            a["throughput"].as_f64().unwrap_or(0.0) / b["throughput"].as_f64().unwrap_or(1.0)
                        ),
                        _ => "–".into(),
                    };
                    out.push_str(&format!(" {ratio} |"));
                }
            }
            out.push('\n');
        }
        out.push_str(&format!(
            "\nServer CPU per operation at {size} users, in ms (user + system time of the server process over the run, divided by operations; the load generator is not counted):\n\n| workload |"
        ));
        for n in &names {
            out.push_str(&format!(" {n} |"));
        }
        out.push_str("\n|---|");
        for _ in &names {
            out.push_str("---|");
        }
        out.push('\n');
        for workload in ROWS.iter().filter(|w| !w.ends_with("-during-signup")) {
            if names.iter().all(|n| find(doc, n, workload, size).is_none()) {
                continue;
            }
            out.push_str(&format!("| {workload} |"));
            for n in &names {
                let per_op = find(doc, n, workload, size).and_then(|r| {
                    let ops = r["ops"].as_f64().filter(|o| *o > 0.0)?;
                    Some(r["cpu_seconds"].as_f64()? * 1000.0 / ops)
                });
                match per_op {
                    Some(ms) => out.push_str(&format!(" {ms:.2} |")),
                    None => out.push_str(" – |"),
                }
            }
            out.push('\n');
        }
    }
    out
}

const COLORS: &[&str] = &["#1b6ca8", "#6cb4ee", "#e07b39", "#7a9a01", "#9b59b6"];

/// Two panels of horizontal bars (throughput, log scale; p99 latency, log scale) for the
/// largest pool size every server ran.
pub fn svg(doc: &Value) -> String {
    let names = servers(doc);
    let size = sizes(doc)
        .into_iter()
        .filter(|s| names.iter().all(|n| ROWS.iter().any(|w| find(doc, n, w, *s).is_some())))
        .max()
        .unwrap_or(0);
    let workloads: Vec<&str> =
        ROWS.iter().copied().filter(|w| names.iter().any(|n| find(doc, n, w, size).is_some())).collect();
    let bar = 10.0;
    let group = bar * names.len() as f64 + 12.0;
    let height = 70.0 + group * workloads.len() as f64 + 20.0 * names.len() as f64;
    let (panel_w, left) = (420.0, 190.0);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        left + 2.0 * panel_w + 60.0
    );
    s.push_str(&format!("<text x=\"10\" y=\"18\" font-size=\"14\">Pool of {size} users: throughput (req/s, log) and p99 latency (ms, log)</text>\n"));
    for (panel, (metric, title)) in [("throughput", "req/s"), ("p99_ms", "p99 ms")].iter().enumerate() {
        let x0 = left + panel as f64 * (panel_w + 40.0);
        let values: Vec<f64> = workloads
            .iter()
            .flat_map(|w| names.iter().filter_map(move |n| find(doc, n, w, size)))
            .filter_map(|r| r[*metric].as_f64())
            .filter(|v| *v > 0.0)
            .collect();
        let max = values.iter().cloned().fold(1.0_f64, f64::max).log10().ceil();
        let min = values.iter().cloned().fold(f64::MAX, f64::min).log10().floor().min(max - 1.0);
        s.push_str(&format!("<text x=\"{x0}\" y=\"40\" font-weight=\"bold\">{title}</text>\n"));
        for (gi, w) in workloads.iter().enumerate() {
            let y0 = 50.0 + gi as f64 * group;
            if panel == 0 {
                s.push_str(&format!("<text x=\"10\" y=\"{}\">{w}</text>\n", y0 + group / 2.0));
            }
            for (ni, n) in names.iter().enumerate() {
                let Some(v) = find(doc, n, w, size).and_then(|r| r[*metric].as_f64()) else { continue };
                let frac = if v > 0.0 { ((v.log10() - min) / (max - min)).clamp(0.0, 1.0) } else { 0.0 };
                let y = y0 + ni as f64 * bar;
                s.push_str(&format!(
                    "<rect x=\"{x0}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"9\">{}</text>\n",
                    frac * panel_w,
                    bar - 1.0,
                    COLORS[ni % COLORS.len()],
                    x0 + frac * panel_w + 3.0,
                    y + bar - 2.0,
                    if v >= 100.0 { format!("{v:.0}") } else { format!("{v:.2}") }
                ));
            }
        }
    }
    let legend_y = 60.0 + group * workloads.len() as f64;
    for (ni, n) in names.iter().enumerate() {
        let y = legend_y + ni as f64 * 16.0;
        s.push_str(&format!(
            "<rect x=\"10\" y=\"{y}\" width=\"12\" height=\"10\" fill=\"{}\"/><text x=\"28\" y=\"{}\">{n}</text>\n",
            COLORS[ni % COLORS.len()],
            y + 9.0
        ));
    }
    s.push_str("</svg>\n");
    s
}
