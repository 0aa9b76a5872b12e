//! User pool domains and resource servers.

use super::*;

const DOMAIN_COLUMNS: &str = "domain, pool_id, kind, certificate_arn, security_policy, managed_login_version, created";
const SERVER_COLUMNS: &str = "pool_id, identifier, name, scopes, created";

fn domain_row(r: &tokio_postgres::Row) -> PoolDomain {
    let certificate: Option<String> = r.get(3);
    let version: i16 = r.get(5);
    PoolDomain {
        domain: r.get(0),
        pool_id: r.get(1),
        custom: certificate.map(|certificate_arn| CustomDomain { certificate_arn, security_policy: r.get(4) }),
        managed_login_version: u8::try_from(version).unwrap_or(1),
        created: Timestamp(r.get(6)),
    }
}

fn server_row(r: &tokio_postgres::Row) -> Result<ResourceServer, StoreError> {
    let scopes: &str = r.get(3);
    Ok(ResourceServer {
        pool_id: r.get(0),
        identifier: r.get(1),
        name: r.get(2),
        scopes: from_json(scopes)?,
        created: Timestamp(r.get(4)),
    })
}

fn kind(d: &PoolDomain) -> &'static str {
    if d.is_custom() {
        "custom"
    } else {
        "prefix"
    }
}

#[async_trait]
impl DomainStore for PgStore {
    async fn insert_domain(&self, domain: &PoolDomain) -> Result<(), StoreError> {
        let d = domain;
        let certificate = d.custom.as_ref().map(|c| c.certificate_arn.clone());
        let policy = d.custom.as_ref().and_then(|c| c.security_policy.clone());
        let version = i16::from(d.managed_login_version);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!("INSERT INTO domains ({DOMAIN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                .await?;
            c.execute(&s, &[&d.domain, &d.pool_id, &kind(d), &certificate, &policy, &version, &d.created.0]).await?;
            Ok(())
        })
    }
    async fn get_domain(&self, domain: &str) -> Result<Option<PoolDomain>, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached(&format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE domain = $1")).await?;
            Ok(c.query_opt(&s, &[&domain]).await?.as_ref().map(domain_row))
        })
    }
    async fn pool_domains(&self, pool_id: &str) -> Result<Vec<PoolDomain>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE pool_id = $1 ORDER BY kind"))
                .await?;
            Ok(c.query(&s, &[&pool_id]).await?.iter().map(domain_row).collect())
        })
    }
    async fn update_domain(&self, domain: &PoolDomain) -> Result<(), StoreError> {
        let d = domain;
        let certificate = d.custom.as_ref().map(|c| c.certificate_arn.clone());
        let policy = d.custom.as_ref().and_then(|c| c.security_policy.clone());
        let version = i16::from(d.managed_login_version);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "UPDATE domains SET certificate_arn = $3, security_policy = $4, managed_login_version = $5
                     WHERE domain = $1 AND pool_id = $2",
                )
                .await?;
            if c.execute(&s, &[&d.domain, &d.pool_id, &certificate, &policy, &version]).await? == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
    }
    async fn delete_domain(&self, pool_id: &str, domain: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM domains WHERE domain = $1 AND pool_id = $2").await?;
            Ok(c.execute(&s, &[&domain, &pool_id]).await? == 1)
        })
    }
}

#[async_trait]
impl ResourceServerStore for PgStore {
    async fn insert_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let r = server;
        let scopes = to_json(&r.scopes)?;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!("INSERT INTO resource_servers ({SERVER_COLUMNS}) VALUES ($1, $2, $3, $4, $5)"))
                .await?;
            c.execute(&s, &[&r.pool_id, &r.identifier, &r.name, &scopes, &r.created.0]).await?;
            Ok(())
        })
    }
    async fn get_resource_server(&self, pool_id: &str, identifier: &str) -> Result<Option<ResourceServer>, StoreError> {
        let row = retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = $1 AND identifier = $2"
                ))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &identifier]).await?)
        })?;
        row.as_ref().map(server_row).transpose()
    }
    async fn list_resource_servers(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ResourceServer>, StoreError> {
        let after = after.unwrap_or_default();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = $1 AND identifier > $2
                     ORDER BY identifier LIMIT $3"
                ))
                .await?;
            Ok(c.query(&s, &[&pool_id, &after, &limit]).await?)
        })?;
        rows.iter().map(server_row).collect()
    }
    async fn update_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let r = server;
        let scopes = to_json(&r.scopes)?;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "UPDATE resource_servers SET name = $3, scopes = $4 WHERE pool_id = $1 AND identifier = $2",
                )
                .await?;
            if c.execute(&s, &[&r.pool_id, &r.identifier, &r.name, &scopes]).await? == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
    }
    async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM resource_servers WHERE pool_id = $1 AND identifier = $2").await?;
            Ok(c.execute(&s, &[&pool_id, &identifier]).await? == 1)
        })
    }
}
