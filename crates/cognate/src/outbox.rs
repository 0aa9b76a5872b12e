//! `cognate outbox`: read the delivery log from the database of a (possibly running) server.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Args;
use cognate_core::ports::{OutboxQuery, OutboxStore};
use cognate_store::{PgOptions, PgStore, SqliteStore};
use serde_json::json;

/// Servers with admin keys keep no codes or temporary passwords in the outbox.
const TEXT_NOT_KEPT: &str =
    "(text not kept: the server has admin keys, so codes and passwords stay out of the database)";

#[derive(Args, Debug)]
pub struct OutboxArgs {
    /// Data directory of the server. [default: ./.cognate]
    #[arg(long, env = "COGNATE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The server's PostgreSQL database instead (postgres://…), as given to `cognate serve`.
    #[arg(long, env = "COGNATE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Only messages of this user pool.
    #[arg(long, value_name = "POOL_ID")]
    pool: Option<String>,
    /// Only messages to this address or phone number.
    #[arg(long, value_name = "ADDR")]
    to: Option<String>,
    /// Only the last N messages.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// Print a JSON array instead of text.
    #[arg(long, conflicts_with = "code")]
    json: bool,
    /// Print only the code (or temporary password) of each message, one a line: for scripts,
    /// e.g. `--to ADDR --last 1 --code`.
    #[arg(long)]
    code: bool,
}

pub fn run(args: OutboxArgs) -> anyhow::Result<()> {
    let query = OutboxQuery { pool_id: args.pool, recipient: args.to, last: args.last };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let entries = match args.database_url.as_deref().filter(|u| !u.starts_with("sqlite://")) {
        Some(url) => runtime.block_on(async {
            let store = PgStore::connect_current(url, PgOptions { max_connections: 1, ..Default::default() }).await?;
            anyhow::Ok(store.list_outbox(&query).await?)
        })?,
        None => {
            let dir = match args.database_url.as_deref().and_then(|u| u.strip_prefix("sqlite://")) {
                Some(dir) => PathBuf::from(dir),
                None => args.data_dir.unwrap_or_else(|| PathBuf::from("./.cognate")),
            };
            let path = dir.join("cognate.db");
            if !path.exists() {
                bail!(
                    "no cognate database at {} (is --data-dir right? an --in-memory server has no outbox on disk)",
                    path.display()
                );
            }
            let store = SqliteStore::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
            runtime.block_on(store.list_outbox(&query))?
        }
    };
    if args.code {
        if entries.is_empty() {
            bail!("no message matches");
        }
        for e in &entries {
            match &e.message.code {
                Some(code) => println!("{code}"),
                None if !e.message.keep_text => bail!("message #{} has no code: {TEXT_NOT_KEPT}", e.id),
                None => bail!("message #{} carries no code", e.id),
            }
        }
    } else if args.json {
        let list: Vec<_> = entries
            .iter()
            .map(|e| {
                let m = &e.message;
                json!({
                    "id": e.id,
                    "pool_id": m.pool_id,
                    "username": m.username,
                    "recipient": m.recipient,
                    "medium": m.medium.as_str(),
                    "kind": m.kind,
                    "subject": m.subject,
                    "body": m.keep_text.then_some(&m.body),
                    "code": m.code,
                    "created_at": m.created.seconds(),
                    "status": e.status,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for e in &entries {
            let m = &e.message;
            println!(
                "#{} {} {} {} to {} (pool {}, user {}) [{}]",
                e.id,
                m.created.seconds(),
                m.medium.as_str(),
                m.kind,
                m.recipient,
                m.pool_id,
                m.username,
                e.status
            );
            if let Some(subject) = &m.subject {
                println!("  Subject: {subject}");
            }
            if !m.keep_text {
                println!("  {TEXT_NOT_KEPT}");
            }
            for line in m.body.lines() {
                println!("  {line}");
            }
        }
    }
    Ok(())
}
