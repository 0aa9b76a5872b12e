//! A throwaway PostgreSQL database per test.

use tokio_postgres::NoTls;

pub struct TestDatabase {
    pub url: String,
    admin: String,
    name: String,
}

fn server() -> String {
    std::env::var("COGNATE_TEST_PG_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

impl TestDatabase {
    /// A fresh database, or `None` (with a notice) when no server answers and none is required.
    pub async fn create(tag: &str) -> Option<Self> {
        let base = server();
        let admin = format!("{base}/postgres");
        let client = match tokio_postgres::connect(&admin, NoTls).await {
            Ok((client, conn)) => {
                tokio::spawn(conn);
                client
            }
            Err(e) if std::env::var("COGNATE_REQUIRE_PG").as_deref() != Ok("1") => {
                eprintln!("NOTICE: skipping the PostgreSQL test: no server at {base} ({e}); set COGNATE_REQUIRE_PG=1 to fail instead");
                return None;
            }
            Err(e) => panic!("COGNATE_REQUIRE_PG=1 but PostgreSQL at {base} is unreachable: {e}"),
        };
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("cognate_{tag}_{}_{n}", std::process::id());
        // A process that died before dropping its database may have had this process's id.
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.unwrap();
        client.batch_execute(&format!("CREATE DATABASE {name}")).await.unwrap();
        Some(Self { url: format!("{base}/{name}"), admin, name })
    }

    pub async fn drop(self) {
        let (client, conn) = tokio_postgres::connect(&self.admin, NoTls).await.unwrap();
        tokio::spawn(conn);
        client.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).await.unwrap();
    }
}
