//! How the hosted pages look: UI customizations and managed login branding styles.

use super::*;

const UI_COLUMNS: &str = "pool_id, client_id, css, image, created, modified";
const BRANDING_COLUMNS: &str = "pool_id, branding_id, client_id, cognito_values, settings, assets, created, modified";

fn ui_row(r: &tokio_postgres::Row) -> UiCustomization {
    UiCustomization {
        pool_id: r.get(0),
        client_id: r.get(1),
        css: r.get(2),
        image: r.get(3),
        created: Timestamp(r.get(4)),
        modified: Timestamp(r.get(5)),
    }
}

fn branding_row(r: &tokio_postgres::Row) -> Branding {
    Branding {
        pool_id: r.get(0),
        id: r.get(1),
        client_id: r.get(2),
        cognito_values: r.get(3),
        settings: r.get(4),
        assets: r.get(5),
        created: Timestamp(r.get(6)),
        modified: Timestamp(r.get(7)),
    }
}

#[async_trait]
impl BrandingStore for PgStore {
    async fn put_ui_customization(&self, ui: &UiCustomization) -> Result<(), StoreError> {
        let u = ui;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "INSERT INTO ui_customizations ({UI_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (pool_id, client_id) DO UPDATE
                     SET css = excluded.css, image = excluded.image, modified = excluded.modified"
                ))
                .await?;
            c.execute(&s, &[&u.pool_id, &u.client_id, &u.css, &u.image, &u.created.0, &u.modified.0]).await?;
            Ok(())
        })
    }
    async fn get_ui_customization(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<Option<UiCustomization>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {UI_COLUMNS} FROM ui_customizations WHERE pool_id = $1 AND client_id = $2"
                ))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &client_id]).await?.as_ref().map(ui_row))
        })
    }
    async fn delete_ui_customization(&self, pool_id: &str, client_id: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM ui_customizations WHERE pool_id = $1 AND client_id = $2").await?;
            Ok(c.execute(&s, &[&pool_id, &client_id]).await? == 1)
        })
    }
    async fn insert_branding(&self, branding: &Branding) -> Result<(), StoreError> {
        let b = branding;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "INSERT INTO brandings ({BRANDING_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ))
                .await?;
            c.execute(
                &s,
                &[
                    &b.pool_id,
                    &b.id,
                    &b.client_id,
                    &b.cognito_values,
                    &b.settings,
                    &b.assets,
                    &b.created.0,
                    &b.modified.0,
                ],
            )
            .await?;
            Ok(())
        })
    }
    async fn get_branding(&self, pool_id: &str, id: &str) -> Result<Option<Branding>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {BRANDING_COLUMNS} FROM brandings WHERE pool_id = $1 AND branding_id = $2"
                ))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &id]).await?.as_ref().map(branding_row))
        })
    }
    async fn get_client_branding(&self, pool_id: &str, client_id: &str) -> Result<Option<Branding>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {BRANDING_COLUMNS} FROM brandings WHERE pool_id = $1 AND client_id = $2"
                ))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &client_id]).await?.as_ref().map(branding_row))
        })
    }
    async fn update_branding(&self, branding: &Branding) -> Result<(), StoreError> {
        let b = branding;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "UPDATE brandings SET cognito_values = $3, settings = $4, assets = $5, modified = $6
                     WHERE pool_id = $1 AND branding_id = $2",
                )
                .await?;
            if c.execute(&s, &[&b.pool_id, &b.id, &b.cognito_values, &b.settings, &b.assets, &b.modified.0]).await? == 0
            {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
    }
    async fn delete_branding(&self, pool_id: &str, id: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM brandings WHERE pool_id = $1 AND branding_id = $2").await?;
            Ok(c.execute(&s, &[&pool_id, &id]).await? == 1)
        })
    }
}
