//! One-time upgrades of stored data that a migration cannot make (the data is JSON the
//! wire layer owns).

use cognate_core::ports::Store;

const CLIENT_OAUTH_TYPED: &str = "client_oauth_typed";

/// App clients stored before their OAuth members were typed keep them as echoed text; this
/// moves them into the typed settings, once per database. Returns how many clients changed.
pub async fn lift_client_oauth(store: &dyn Store) -> Result<u64, String> {
    if store.claim_meta(CLIENT_OAUTH_TYPED, "pending").await.map_err(|e| e.to_string())? == "done" {
        return Ok(0);
    }
    let mut changed = 0;
    let mut after_pool: Option<String> = None;
    loop {
        let pools = store.list_pools(after_pool.as_deref(), 60).await.map_err(|e| e.to_string())?;
        let Some(last) = pools.last().map(|p| p.id.clone()) else { break };
        for pool in &pools {
            let mut after_client: Option<String> = None;
            loop {
                let clients =
                    store.list_clients(&pool.id, after_client.as_deref(), 60).await.map_err(|e| e.to_string())?;
                let Some(last_client) = clients.last().map(|c| c.client_id.clone()) else { break };
                for mut client in clients {
                    if cognate_wire::client::lift_stored_oauth(&mut client.settings) {
                        store.update_client(&client).await.map_err(|e| e.to_string())?;
                        changed += 1;
                    }
                }
                after_client = Some(last_client);
            }
        }
        after_pool = Some(last);
    }
    store.set_meta(CLIENT_OAUTH_TYPED, "done").await.map_err(|e| e.to_string())?;
    Ok(changed)
}
