//! User pool domains and resource servers: where the hosted pages answer, and the custom
//! scopes they can grant.

use super::pools::ListPage;
use super::Cognate;
use crate::error::{Conflict, DomainError, Result, StoreError};
use crate::pool_domain::{reserved_word, CustomDomain, PoolDomain};
use crate::resource_server::{ResourceScope, ResourceServer, MAX_PER_POOL};

fn no_such_domain() -> DomainError {
    DomainError::invalid("No such domain or user pool exists.")
}

fn resource_server_not_found(identifier: &str) -> DomainError {
    DomainError::ResourceNotFound(format!("Resource server {identifier} does not exist."))
}

fn check_version(version: Option<u8>) -> Result<()> {
    match version {
        None | Some(1) | Some(2) => Ok(()),
        Some(v) => Err(DomainError::invalid(format!("Invalid managed login version: {v}. Valid values are 1 and 2."))),
    }
}

fn check_scopes(scopes: &[ResourceScope]) -> Result<()> {
    for (i, scope) in scopes.iter().enumerate() {
        if scopes[..i].iter().any(|s| s.name == scope.name) {
            return Err(DomainError::invalid(format!("Duplicate scope name: {}", scope.name)));
        }
    }
    Ok(())
}

impl Cognate {
    pub async fn create_domain(
        &self,
        pool_id: &str,
        domain: &str,
        custom: Option<CustomDomain>,
        version: Option<u8>,
    ) -> Result<PoolDomain> {
        self.pool(pool_id).await?;
        check_version(version)?;
        let domain = domain.to_ascii_lowercase();
        if custom.is_none() {
            if let Some(word) = reserved_word(&domain) {
                return Err(DomainError::invalid(format!("Domain cannot contain reserved word: {word}")));
            }
        }
        let record = PoolDomain {
            domain,
            pool_id: pool_id.to_string(),
            custom,
            managed_login_version: version.unwrap_or(1),
            created: self.clock.now(),
        };
        match self.store.insert_domain(&record).await {
            Ok(()) => Ok(record),
            Err(StoreError::Conflict(Conflict::Domain)) => {
                Err(DomainError::invalid("Domain already associated with another user pool."))
            }
            Err(StoreError::Conflict(Conflict::PoolDomain)) => {
                Err(DomainError::invalid("User pool already has a domain configured."))
            }
            Err(StoreError::Conflict(Conflict::Missing)) => Err(DomainError::pool_not_found(pool_id)),
            Err(e) => Err(e.into()),
        }
    }

    /// `None` for a domain no pool has (Cognito answers with an empty description).
    pub async fn describe_domain(&self, domain: &str) -> Result<Option<PoolDomain>> {
        Ok(self.store.get_domain(&domain.to_ascii_lowercase()).await?)
    }

    /// The pool's prefix and custom domains, for DescribeUserPool.
    pub async fn pool_domains(&self, pool_id: &str) -> Result<Vec<PoolDomain>> {
        Ok(self.store.pool_domains(pool_id).await?)
    }

    pub async fn update_domain(
        &self,
        pool_id: &str,
        domain: &str,
        custom: Option<CustomDomain>,
        version: Option<u8>,
    ) -> Result<PoolDomain> {
        self.pool(pool_id).await?;
        check_version(version)?;
        let mut record = self
            .store
            .get_domain(&domain.to_ascii_lowercase())
            .await?
            .filter(|d| d.pool_id == pool_id)
            .ok_or_else(no_such_domain)?;
        if let Some(custom) = custom {
            if !record.is_custom() {
                return Err(DomainError::invalid(
                    "User pool should have a custom domain associated, failed to update the certificate.",
                ));
            }
            record.custom = Some(custom);
        }
        if let Some(version) = version {
            record.managed_login_version = version;
        }
        match self.store.update_domain(&record).await {
            Ok(()) => Ok(record),
            Err(StoreError::NotFound) => Err(no_such_domain()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_domain(&self, pool_id: &str, domain: &str) -> Result<()> {
        if self.store.delete_domain(pool_id, &domain.to_ascii_lowercase()).await? {
            Ok(())
        } else {
            Err(no_such_domain())
        }
    }

    pub async fn create_resource_server(
        &self,
        pool_id: &str,
        identifier: String,
        name: String,
        scopes: Vec<ResourceScope>,
    ) -> Result<ResourceServer> {
        self.pool(pool_id).await?;
        check_scopes(&scopes)?;
        // A quota, not a uniqueness rule: a race may let one more in, as on any counter.
        if self.store.list_resource_servers(pool_id, None, MAX_PER_POOL).await?.len() >= MAX_PER_POOL {
            return Err(DomainError::LimitExceeded(format!(
                "The user pool {pool_id} has reached its limit of {MAX_PER_POOL} resource servers."
            )));
        }
        let server =
            ResourceServer { pool_id: pool_id.to_string(), identifier, name, scopes, created: self.clock.now() };
        match self.store.insert_resource_server(&server).await {
            Ok(()) => Ok(server),
            Err(StoreError::Conflict(Conflict::ResourceServer)) => {
                Err(DomainError::invalid(format!("{} already exists in user pool {pool_id}.", server.identifier)))
            }
            Err(StoreError::Conflict(Conflict::Missing)) => Err(DomainError::pool_not_found(pool_id)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn resource_server(&self, pool_id: &str, identifier: &str) -> Result<ResourceServer> {
        self.pool(pool_id).await?;
        self.store.get_resource_server(pool_id, identifier).await?.ok_or_else(|| resource_server_not_found(identifier))
    }

    pub async fn list_resource_servers(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<ListPage<ResourceServer>> {
        self.pool(pool_id).await?;
        let items = self.store.list_resource_servers(pool_id, after, limit).await?;
        let next = (items.len() == limit).then(|| items.last().map(|s| s.identifier.clone())).flatten();
        Ok(ListPage { items, next })
    }

    /// Replaces the name and the whole scope list. Clients that name a removed scope keep
    /// it; it is inactive (left out of tokens) until defined again.
    pub async fn update_resource_server(
        &self,
        pool_id: &str,
        identifier: &str,
        name: String,
        scopes: Vec<ResourceScope>,
    ) -> Result<ResourceServer> {
        let mut server = self.resource_server(pool_id, identifier).await?;
        check_scopes(&scopes)?;
        server.name = name;
        server.scopes = scopes;
        match self.store.update_resource_server(&server).await {
            Ok(()) => Ok(server),
            Err(StoreError::NotFound) => Err(resource_server_not_found(identifier)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> Result<()> {
        self.pool(pool_id).await?;
        if self.store.delete_resource_server(pool_id, identifier).await? {
            Ok(())
        } else {
            Err(resource_server_not_found(identifier))
        }
    }
}
