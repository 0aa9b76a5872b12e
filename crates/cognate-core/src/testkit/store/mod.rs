//! `MemStore`: the in-memory store the flow tests run on, held to the storage contract
//! (`cognate_store::contract`) like the real backends.

use super::*;

mod branding;
mod codes;
mod devices;
mod groups;
mod limits;
mod oauth;
mod outbox;
mod passkeys;
mod pools;
mod sessions;
mod tokens;
mod users;

/// A store in a few hash maps, honouring the same uniqueness rules as the SQL backends.
#[derive(Default)]
pub struct MemStore {
    inner: Mutex<Mem>,
}

#[derive(Default)]
struct Mem {
    pools: HashMap<String, UserPool>,
    clients: HashMap<String, AppClient>,
    users: HashMap<(String, String), (User, String)>,
    aliases: HashMap<(String, AliasKind, String), String>,
    codes: HashMap<(String, String, String), StoredCode>,
    attempts: HashMap<(String, String, String), (Timestamp, u32)>,
    refresh: HashMap<String, RefreshToken>,
    sessions: HashMap<String, AuthSession>,
    failures: HashMap<(String, String), SignInFailures>,
    groups: HashMap<(String, String), Group>,
    members: Vec<(String, String, String)>,
    outbox: Vec<(OutboxMessage, String)>,
    /// Delivery leases taken over by `claim_outbox`, by outbox index.
    leases: HashMap<usize, Timestamp>,
    meta: HashMap<String, String>,
    holds: HashMap<(String, String), Timestamp>,
    keys: Vec<SigningKey>,
    devices: HashMap<(String, String), Device>,
    passkeys: Vec<Passkey>,
    domains: HashMap<String, crate::pool_domain::PoolDomain>,
    resource_servers: std::collections::BTreeMap<(String, String), crate::resource_server::ResourceServer>,
    ui: HashMap<(String, String), crate::branding::UiCustomization>,
    brandings: Vec<crate::branding::Branding>,
}
