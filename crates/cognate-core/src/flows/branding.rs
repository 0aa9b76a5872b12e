//! UI customization and managed login branding: stored per app client and applied by the
//! hosted pages.

use super::Cognate;
use crate::branding::{Branding, UiCustomization, ALL_CLIENTS};
use crate::error::{Conflict, DomainError, Result, StoreError};
use crate::ids;

fn branding_not_found() -> DomainError {
    DomainError::ResourceNotFound("Managed login branding does not exist.".into())
}

/// What a managed login style says, as given to create and update (`None`: unchanged).
pub struct BrandingChanges {
    pub cognito_values: Option<bool>,
    pub settings: Option<String>,
    pub assets: Option<String>,
}

impl Cognate {
    /// `SetUICustomization`. Without CSS and image the client's customization is removed.
    pub async fn set_ui_customization(
        &self,
        pool_id: &str,
        client_id: Option<&str>,
        css: Option<String>,
        image: Option<String>,
    ) -> Result<UiCustomization> {
        let client_id = self.customized_client(pool_id, client_id).await?;
        let now = self.clock.now();
        let ui = UiCustomization { pool_id: pool_id.into(), client_id, css, image, created: now, modified: now };
        if ui.css.is_none() && ui.image.is_none() {
            self.store.delete_ui_customization(pool_id, &ui.client_id).await?;
            return Ok(ui);
        }
        self.store.put_ui_customization(&ui).await?;
        Ok(self.store.get_ui_customization(pool_id, &ui.client_id).await?.unwrap_or(ui))
    }

    /// `GetUICustomization`: the client's own, else the pool's default, else `None`.
    pub async fn ui_customization(&self, pool_id: &str, client_id: Option<&str>) -> Result<Option<UiCustomization>> {
        let client_id = self.customized_client(pool_id, client_id).await?;
        if let Some(own) = self.store.get_ui_customization(pool_id, &client_id).await? {
            return Ok(Some(own));
        }
        Ok(self.store.get_ui_customization(pool_id, ALL_CLIENTS).await?)
    }

    async fn customized_client(&self, pool_id: &str, client_id: Option<&str>) -> Result<String> {
        self.pool(pool_id).await?;
        match client_id {
            None | Some(ALL_CLIENTS) => Ok(ALL_CLIENTS.to_string()),
            Some(id) => Ok(self.client_in_pool(pool_id, id).await?.client_id),
        }
    }

    pub async fn create_branding(&self, pool_id: &str, client_id: &str, changes: BrandingChanges) -> Result<Branding> {
        self.client_in_pool(pool_id, client_id).await?;
        let now = self.clock.now();
        let branding = Branding {
            pool_id: pool_id.into(),
            id: ids::new_uuid(self.rng.as_ref()),
            client_id: client_id.into(),
            cognito_values: changes.cognito_values.unwrap_or(false),
            settings: changes.settings,
            assets: changes.assets.unwrap_or_else(|| "[]".into()),
            created: now,
            modified: now,
        };
        match self.store.insert_branding(&branding).await {
            Ok(()) => Ok(branding),
            Err(StoreError::Conflict(Conflict::Branding)) => Err(DomainError::ManagedLoginBrandingExists(
                "A managed login branding style already exists for this app client.".into(),
            )),
            Err(StoreError::Conflict(Conflict::Missing)) => Err(DomainError::pool_not_found(pool_id)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn branding(&self, pool_id: &str, id: &str) -> Result<Branding> {
        self.pool(pool_id).await?;
        self.store.get_branding(pool_id, id).await?.ok_or_else(branding_not_found)
    }

    pub async fn client_branding(&self, pool_id: &str, client_id: &str) -> Result<Branding> {
        self.client_in_pool(pool_id, client_id).await?;
        self.store.get_client_branding(pool_id, client_id).await?.ok_or_else(branding_not_found)
    }

    /// The style the pages of a client use, if it has one.
    pub async fn page_branding(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<(Option<Branding>, Option<UiCustomization>)> {
        let style = self.store.get_client_branding(pool_id, client_id).await?;
        let ui = match self.store.get_ui_customization(pool_id, client_id).await? {
            Some(own) => Some(own),
            None => self.store.get_ui_customization(pool_id, ALL_CLIENTS).await?,
        };
        Ok((style, ui))
    }

    pub async fn update_branding(&self, pool_id: &str, id: &str, changes: BrandingChanges) -> Result<Branding> {
        let mut branding = self.branding(pool_id, id).await?;
        if let Some(values) = changes.cognito_values {
            branding.cognito_values = values;
        }
        if changes.settings.is_some() {
            branding.settings = changes.settings;
        }
        if let Some(assets) = changes.assets {
            branding.assets = assets;
        }
        branding.modified = self.clock.now();
        match self.store.update_branding(&branding).await {
            Ok(()) => Ok(branding),
            Err(StoreError::NotFound) => Err(branding_not_found()),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_branding(&self, pool_id: &str, id: &str) -> Result<()> {
        self.pool(pool_id).await?;
        if self.store.delete_branding(pool_id, id).await? {
            Ok(())
        } else {
            Err(branding_not_found())
        }
    }
}
