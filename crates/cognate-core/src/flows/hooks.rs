//! Invoking a pool's Lambda triggers from the flows.

use super::Cognate;
use crate::error::Result;
use crate::pool::UserPool;
use crate::triggers::{Invocation, TriggerKind, TriggerRequest, TriggerResponse};
use crate::user::{Attributes, User};

impl Cognate {
    /// Runs the pool's function for `kind`, if it has one. Failures come back as the
    /// exceptions Cognito uses (`UserLambdaValidationException`, …).
    pub(crate) async fn trigger(
        &self,
        pool: &UserPool,
        kind: TriggerKind,
        source: &str,
        user_name: &str,
        client_id: Option<&str>,
        request: TriggerRequest,
    ) -> Result<Option<TriggerResponse>> {
        let Some(arn) = pool.settings.lambda(kind.name()) else { return Ok(None) };
        let version = match (kind, pool.settings.pre_token_generation_version.as_deref()) {
            (TriggerKind::PreTokenGeneration, Some("V2_0")) => "2",
            (TriggerKind::PreTokenGeneration, Some("V3_0")) => "3",
            _ => "1",
        };
        let invocation = Invocation {
            arn: arn.to_string(),
            trigger: kind,
            source: source.to_string(),
            version: version.to_string(),
            region: pool.id.split('_').next().unwrap_or(&self.config.region).to_string(),
            pool_id: pool.id.clone(),
            user_name: user_name.to_string(),
            client_id: client_id.map(str::to_string),
            request,
        };
        self.triggers.invoke(&invocation).await.map(Some).map_err(|e| e.into_domain(kind))
    }
}

/// A user's attributes as events carry them: everything, plus `cognito:user_status`.
pub(crate) fn event_attributes(user: &User) -> Attributes {
    let mut attributes = user.attributes.clone();
    attributes.insert("cognito:user_status".into(), user.status.as_str().into());
    attributes
}
