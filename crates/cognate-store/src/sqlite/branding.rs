//! How the hosted pages look: UI customizations and managed login branding styles.

use super::*;

const UI_COLUMNS: &str = "pool_id, client_id, css, image, created, modified";
const BRANDING_COLUMNS: &str = "pool_id, branding_id, client_id, cognito_values, settings, assets, created, modified";

fn ui_row(r: &Row<'_>) -> rusqlite::Result<UiCustomization> {
    Ok(UiCustomization {
        pool_id: r.get(0)?,
        client_id: r.get(1)?,
        css: r.get(2)?,
        image: r.get(3)?,
        created: Timestamp(r.get(4)?),
        modified: Timestamp(r.get(5)?),
    })
}

fn branding_row(r: &Row<'_>) -> rusqlite::Result<Branding> {
    Ok(Branding {
        pool_id: r.get(0)?,
        id: r.get(1)?,
        client_id: r.get(2)?,
        cognito_values: r.get(3)?,
        settings: r.get(4)?,
        assets: r.get(5)?,
        created: Timestamp(r.get(6)?),
        modified: Timestamp(r.get(7)?),
    })
}

#[async_trait]
impl BrandingStore for SqliteStore {
    async fn put_ui_customization(&self, ui: &UiCustomization) -> Result<(), StoreError> {
        let u = ui.clone();
        self.write(move |c| {
            c.execute(
                &format!(
                    "INSERT INTO ui_customizations ({UI_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (pool_id, client_id) DO UPDATE
                     SET css = excluded.css, image = excluded.image, modified = excluded.modified"
                ),
                params![u.pool_id, u.client_id, u.css, u.image, u.created.0, u.modified.0],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_ui_customization(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<Option<UiCustomization>, StoreError> {
        let (pool, client) = (pool_id.to_string(), client_id.to_string());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {UI_COLUMNS} FROM ui_customizations WHERE pool_id = ?1 AND client_id = ?2"
            ))
            .map_err(map_err)?
            .query_row(params![pool, client], ui_row)
            .optional()
            .map_err(map_err)
        })
        .await
    }
    async fn delete_ui_customization(&self, pool_id: &str, client_id: &str) -> Result<bool, StoreError> {
        let (pool, client) = (pool_id.to_string(), client_id.to_string());
        self.write(move |c| {
            let n = c
                .execute("DELETE FROM ui_customizations WHERE pool_id = ?1 AND client_id = ?2", params![pool, client])
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
    async fn insert_branding(&self, branding: &Branding) -> Result<(), StoreError> {
        let b = branding.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO brandings ({BRANDING_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    b.pool_id,
                    b.id,
                    b.client_id,
                    b.cognito_values,
                    b.settings,
                    b.assets,
                    b.created.0,
                    b.modified.0
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_branding(&self, pool_id: &str, id: &str) -> Result<Option<Branding>, StoreError> {
        let (pool, id) = (pool_id.to_string(), id.to_string());
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {BRANDING_COLUMNS} FROM brandings WHERE pool_id = ?1 AND branding_id = ?2"
            ))
            .map_err(map_err)?
            .query_row(params![pool, id], branding_row)
            .optional()
            .map_err(map_err)
        })
        .await
    }
    async fn get_client_branding(&self, pool_id: &str, client_id: &str) -> Result<Option<Branding>, StoreError> {
        let (pool, client) = (pool_id.to_string(), client_id.to_string());
        self.read(move |c| {
            c.prepare_cached(&format!("SELECT {BRANDING_COLUMNS} FROM brandings WHERE pool_id = ?1 AND client_id = ?2"))
                .map_err(map_err)?
                .query_row(params![pool, client], branding_row)
                .optional()
                .map_err(map_err)
        })
        .await
    }
    async fn update_branding(&self, branding: &Branding) -> Result<(), StoreError> {
        let b = branding.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE brandings SET cognito_values = ?3, settings = ?4, assets = ?5, modified = ?6
                     WHERE pool_id = ?1 AND branding_id = ?2",
                    params![b.pool_id, b.id, b.cognito_values, b.settings, b.assets, b.modified.0],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_branding(&self, pool_id: &str, id: &str) -> Result<bool, StoreError> {
        let (pool, id) = (pool_id.to_string(), id.to_string());
        self.write(move |c| {
            let n = c
                .execute("DELETE FROM brandings WHERE pool_id = ?1 AND branding_id = ?2", params![pool, id])
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
