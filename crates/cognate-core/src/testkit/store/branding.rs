use super::*;
use crate::branding::{Branding, UiCustomization};

#[async_trait]
impl BrandingStore for MemStore {
    async fn put_ui_customization(&self, ui: &UiCustomization) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if !m.pools.contains_key(&ui.pool_id) {
            return Err(StoreError::Conflict(Conflict::Missing));
        }
        let key = (ui.pool_id.clone(), ui.client_id.clone());
        let created = m.ui.get(&key).map_or(ui.created, |old| old.created);
        m.ui.insert(key, UiCustomization { created, ..ui.clone() });
        Ok(())
    }
    async fn get_ui_customization(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<Option<UiCustomization>, StoreError> {
        Ok(self.inner.lock().unwrap().ui.get(&(pool_id.to_string(), client_id.to_string())).cloned())
    }
    async fn delete_ui_customization(&self, pool_id: &str, client_id: &str) -> Result<bool, StoreError> {
        Ok(self.inner.lock().unwrap().ui.remove(&(pool_id.to_string(), client_id.to_string())).is_some())
    }
    async fn insert_branding(&self, branding: &Branding) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if !m.pools.contains_key(&branding.pool_id) {
            return Err(StoreError::Conflict(Conflict::Missing));
        }
        if m.brandings
            .iter()
            .any(|b| b.pool_id == branding.pool_id && (b.client_id == branding.client_id || b.id == branding.id))
        {
            return Err(StoreError::Conflict(Conflict::Branding));
        }
        m.brandings.push(branding.clone());
        Ok(())
    }
    async fn get_branding(&self, pool_id: &str, id: &str) -> Result<Option<Branding>, StoreError> {
        Ok(self.inner.lock().unwrap().brandings.iter().find(|b| b.pool_id == pool_id && b.id == id).cloned())
    }
    async fn get_client_branding(&self, pool_id: &str, client_id: &str) -> Result<Option<Branding>, StoreError> {
        let m = self.inner.lock().unwrap();
        Ok(m.brandings.iter().find(|b| b.pool_id == pool_id && b.client_id == client_id).cloned())
    }
    async fn update_branding(&self, branding: &Branding) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m
            .brandings
            .iter_mut()
            .find(|b| b.pool_id == branding.pool_id && b.id == branding.id)
            .ok_or(StoreError::NotFound)?;
        stored.cognito_values = branding.cognito_values;
        stored.settings = branding.settings.clone();
        stored.assets = branding.assets.clone();
        stored.modified = branding.modified;
        Ok(())
    }
    async fn delete_branding(&self, pool_id: &str, id: &str) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let before = m.brandings.len();
        m.brandings.retain(|b| !(b.pool_id == pool_id && b.id == id));
        Ok(m.brandings.len() != before)
    }
}
