//! A client's look on its pages: `/ui/<pool>/<client>.css` (its classic CSS, then the colours
//! of its managed login style) and `/ui/<pool>/<client>/logo`.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cognate_core::branding::Branding;
use serde_json::Value;

use crate::AppState;

/// The logo asset of a managed login style: the form's logo, else the header's.
pub fn logo_asset(style: &Branding) -> Option<(Vec<u8>, &'static str)> {
    let assets: Value = serde_json::from_str(&style.assets).ok()?;
    let list = assets.as_array()?;
    ["FORM_LOGO", "PAGE_HEADER_LOGO"].iter().find_map(|wanted| {
        let asset = list.iter().find(|a| a["Category"] == *wanted && a["ColorMode"] != "DARK")?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(asset["Bytes"].as_str()?).ok()?;
        let kind = match asset["Extension"].as_str()? {
            "PNG" => "image/png",
            "JPEG" => "image/jpeg",
            "SVG" => "image/svg+xml",
            "WEBP" => "image/webp",
            _ => "image/x-icon",
        };
        Some((bytes, kind))
    })
}

/// A colour of the settings document (`RRGGBBAA` hex) as CSS, if it is one.
fn colour(settings: &Value, path: &[&str]) -> Option<String> {
    let value = path.iter().try_fold(settings, |v, key| v.get(key))?.as_str()?;
    let hex = value.trim_start_matches('#');
    (matches!(hex.len(), 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("#{hex}"))
}

/// The rules a managed login style's colours make.
fn branding_css(style: &Branding) -> String {
    let Some(settings) = style.settings.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()) else {
        return String::new();
    };
    let mut css = String::new();
    let button = ["components", "primaryButton", "lightMode", "defaults"];
    if let Some(c) = colour(&settings, &[button[0], button[1], button[2], button[3], "backgroundColor"]) {
        css.push_str(&format!(":root {{ --accent: {c}; }}\n.submitButton-customizable {{ background: {c}; }}\n"));
    }
    if let Some(c) = colour(&settings, &[button[0], button[1], button[2], button[3], "textColor"]) {
        css.push_str(&format!(".submitButton-customizable {{ color: {c}; }}\n"));
    }
    if let Some(c) = colour(&settings, &["components", "pageBackground", "lightMode", "color"]) {
        css.push_str(&format!(".background-customizable {{ background: {c}; }}\n"));
    }
    if let Some(c) = colour(&settings, &["components", "form", "lightMode", "backgroundColor"]) {
        css.push_str(&format!(".card {{ background: {c}; }}\n"));
    }
    css
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

pub async fn stylesheet(State(state): State<AppState>, Path((pool_id, file)): Path<(String, String)>) -> Response {
    let Some(client_id) = file.strip_suffix(".css") else { return not_found() };
    let Ok((style, ui)) = state.cognate.page_branding(&pool_id, client_id).await else { return not_found() };
    let mut css = ui.and_then(|u| u.css).unwrap_or_default();
    if let Some(style) = &style {
        css.push('\n');
        css.push_str(&branding_css(style));
    }
    let mut response = css.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

pub async fn logo(State(state): State<AppState>, Path((pool_id, client_id)): Path<(String, String)>) -> Response {
    let Ok((style, ui)) = state.cognate.page_branding(&pool_id, &client_id).await else { return not_found() };
    let classic = ui.and_then(|u| u.image).and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok());
    let found = match classic {
        Some(bytes) => {
            let kind = cognate_wire::hosting::image_type(&bytes).unwrap_or("application/octet-stream");
            Some((bytes, kind))
        }
        None => style.as_ref().and_then(logo_asset),
    };
    let Some((bytes, kind)) = found else { return not_found() };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(kind) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // An SVG logo opened on its own runs nothing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'"),
    );
    response
}
