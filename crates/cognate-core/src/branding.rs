//! How the hosted pages look: the classic UI customization (CSS and a logo) and managed
//! login branding styles. Their documents are the wire's to read; the domain keeps them.

use crate::ids::Timestamp;

/// The client id of a pool's default UI customization.
pub const ALL_CLIENTS: &str = "ALL";

/// `SetUICustomization`: CSS and a logo for one client, or (`ALL`) the pool's default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiCustomization {
    pub pool_id: String,
    pub client_id: String,
    pub css: Option<String>,
    /// The logo image, base64.
    pub image: Option<String>,
    pub created: Timestamp,
    pub modified: Timestamp,
}

/// A managed login branding style of one app client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub pool_id: String,
    pub id: String,
    pub client_id: String,
    pub cognito_values: bool,
    /// The `Settings` document (JSON text), when given.
    pub settings: Option<String>,
    /// The `Assets` list (JSON text).
    pub assets: String,
    pub created: Timestamp,
    pub modified: Timestamp,
}
