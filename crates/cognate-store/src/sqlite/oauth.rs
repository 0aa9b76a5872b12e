//! User pool domains and resource servers.

use super::*;

const DOMAIN_COLUMNS: &str = "domain, pool_id, kind, certificate_arn, security_policy, managed_login_version, created";
const SERVER_COLUMNS: &str = "pool_id, identifier, name, scopes, created";

fn domain_row(r: &Row<'_>) -> rusqlite::Result<PoolDomain> {
    let certificate: Option<String> = r.get(3)?;
    let security_policy: Option<String> = r.get(4)?;
    Ok(PoolDomain {
        domain: r.get(0)?,
        pool_id: r.get(1)?,
        custom: certificate.map(|certificate_arn| CustomDomain { certificate_arn, security_policy }),
        managed_login_version: r.get(5)?,
        created: Timestamp(r.get(6)?),
    })
}

fn server_row(r: &Row<'_>) -> rusqlite::Result<ResourceServer> {
    let scopes: String = r.get(3)?;
    Ok(ResourceServer {
        pool_id: r.get(0)?,
        identifier: r.get(1)?,
        name: r.get(2)?,
        scopes: from_json(&scopes)?,
        created: Timestamp(r.get(4)?),
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
impl DomainStore for SqliteStore {
    async fn insert_domain(&self, domain: &PoolDomain) -> Result<(), StoreError> {
        let d = domain.clone();
        self.write(move |c| {
            let custom = d.custom.as_ref();
            c.execute(
                &format!("INSERT INTO domains ({DOMAIN_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![
                    d.domain,
                    d.pool_id,
                    kind(&d),
                    custom.map(|c| &c.certificate_arn),
                    custom.and_then(|c| c.security_policy.as_ref()),
                    d.managed_login_version,
                    d.created.0
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_domain(&self, domain: &str) -> Result<Option<PoolDomain>, StoreError> {
        let domain = domain.to_string();
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE domain = ?1"))
                .map_err(map_err)?
                .query_row(params![domain], domain_row)
                .optional()
                .map_err(map_err)
        })
        .await
    }
    async fn pool_domains(&self, pool_id: &str) -> Result<Vec<PoolDomain>, StoreError> {
        let pool = pool_id.to_string();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!("SELECT {DOMAIN_COLUMNS} FROM domains WHERE pool_id = ?1 ORDER BY kind"))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool], domain_row).map_err(map_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
        })
        .await
    }
    async fn update_domain(&self, domain: &PoolDomain) -> Result<(), StoreError> {
        let d = domain.clone();
        self.write(move |c| {
            let custom = d.custom.as_ref();
            let n = c
                .execute(
                    "UPDATE domains SET certificate_arn = ?3, security_policy = ?4, managed_login_version = ?5
                     WHERE domain = ?1 AND pool_id = ?2",
                    params![
                        d.domain,
                        d.pool_id,
                        custom.map(|c| &c.certificate_arn),
                        custom.and_then(|c| c.security_policy.as_ref()),
                        d.managed_login_version
                    ],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_domain(&self, pool_id: &str, domain: &str) -> Result<bool, StoreError> {
        let (pool, domain) = (pool_id.to_string(), domain.to_string());
        self.write(move |c| {
            let n = c
                .execute("DELETE FROM domains WHERE domain = ?1 AND pool_id = ?2", params![domain, pool])
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}

#[async_trait]
impl ResourceServerStore for SqliteStore {
    async fn insert_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let s = server.clone();
        let scopes = to_json(&s.scopes)?;
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO resource_servers ({SERVER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"),
                params![s.pool_id, s.identifier, s.name, scopes, s.created.0],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_resource_server(&self, pool_id: &str, identifier: &str) -> Result<Option<ResourceServer>, StoreError> {
        let (pool, id) = (pool_id.to_string(), identifier.to_string());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2"
            ))
            .map_err(map_err)?
            .query_row(params![pool, id], server_row)
            .optional()
            .map_err(map_err)
        })
        .await
    }
    async fn list_resource_servers(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ResourceServer>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or_default().to_string());
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {SERVER_COLUMNS} FROM resource_servers WHERE pool_id = ?1 AND identifier > ?2
                     ORDER BY identifier LIMIT ?3"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, after, limit], server_row).map_err(map_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
        })
        .await
    }
    async fn update_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let s = server.clone();
        let scopes = to_json(&s.scopes)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE resource_servers SET name = ?3, scopes = ?4 WHERE pool_id = ?1 AND identifier = ?2",
                    params![s.pool_id, s.identifier, s.name, scopes],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> Result<bool, StoreError> {
        let (pool, id) = (pool_id.to_string(), identifier.to_string());
        self.write(move |c| {
            let n = c
                .execute("DELETE FROM resource_servers WHERE pool_id = ?1 AND identifier = ?2", params![pool, id])
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
