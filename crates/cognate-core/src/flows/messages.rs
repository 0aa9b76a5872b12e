//! Code-bearing messages, shared by sign-up, invitations, password recovery and attribute
//! verification: rendering from the pool's templates or the CustomMessage trigger, handing
//! them to the mailer, and the masked destination the caller is told.

use super::hooks::event_attributes;
use super::Cognate;
use crate::error::{DomainError, Result};
use crate::mask;
use crate::pool::{UserPool, DEFAULT_AUTHENTICATION_MESSAGE, DEFAULT_AUTHENTICATION_SUBJECT};
use crate::ports::Delivery;
use crate::triggers::{Metadata, TriggerKind, TriggerRequest};
use crate::user::{AliasKind, Medium, OutboxMessage, SealedText, User};

/// The kind of the messages that carry sign-in codes (`CustomMessage_Authentication`).
pub(crate) const AUTHENTICATION: &str = "Authentication";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDelivery {
    pub destination: String,
    pub medium: Medium,
    pub attribute: String,
}

pub(crate) fn delivery_details(kind: AliasKind, medium: Medium, to: &str) -> CodeDelivery {
    CodeDelivery {
        destination: match medium {
            Medium::Email => mask::email(to),
            Medium::Sms => mask::phone(to),
        },
        medium,
        attribute: kind.attribute().into(),
    }
}

impl Cognate {
    /// Renders a code message from the pool's templates, or from the CustomMessage trigger.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn render_code_message(
        &self,
        pool: &UserPool,
        user: &User,
        medium: Medium,
        to: &str,
        kind: &str,
        code: &str,
        client_id: Option<&str>,
        client_metadata: &Metadata,
    ) -> Result<OutboxMessage> {
        let t = &pool.settings.templates;
        let invitation = kind == "AdminCreateUser";
        let (mut subject, mut template) = match (medium, kind) {
            (Medium::Email, "AdminCreateUser") => {
                (Some(t.invite_email_subject().to_string()), t.invite_email_message().to_string())
            }
            (Medium::Sms, "AdminCreateUser") => (None, t.invite_sms_message().to_string()),
            (Medium::Email, AUTHENTICATION) => {
                let email = pool.settings.mfa.email.clone().unwrap_or_default();
                (
                    Some(email.subject.unwrap_or_else(|| DEFAULT_AUTHENTICATION_SUBJECT.into())),
                    email.message.unwrap_or_else(|| DEFAULT_AUTHENTICATION_MESSAGE.into()),
                )
            }
            (Medium::Sms, AUTHENTICATION) => {
                (None, t.sms_authentication_message.clone().unwrap_or_else(|| DEFAULT_AUTHENTICATION_MESSAGE.into()))
            }
            (Medium::Email, _) => (Some(t.email_subject().to_string()), t.email_message().to_string()),
            (Medium::Sms, _) => (None, t.sms_message().to_string()),
        };
        let request = TriggerRequest {
            user_attributes: event_attributes(user),
            code_parameter: Some("{####}".into()),
            username_parameter: invitation.then(|| "{username}".into()),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = format!("CustomMessage_{kind}");
        if let Some(custom) =
            self.trigger(pool, TriggerKind::CustomMessage, &source, &user.username, client_id, request).await?
        {
            let replacement = match medium {
                Medium::Email => custom.email_message,
                Medium::Sms => custom.sms_message,
            };
            if let Some(message) = replacement {
                if !message.contains("{####}") {
                    return Err(DomainError::InvalidLambdaResponse(
                        "Invalid lambda function output : the message does not contain the code parameter {####}"
                            .into(),
                    ));
                }
                template = message;
            }
            if let (Medium::Email, Some(s)) = (medium, custom.email_subject) {
                subject = Some(s);
            }
        }
        let body = template.replace("{username}", &user.username).replace("{####}", code);
        let keep_text = self.config.keep_message_text;
        let sealed = (!keep_text)
            .then(|| SealedText { subject: subject.clone(), body: body.clone(), code: Some(code.to_string()) })
            .map(|text| self.seal_text(&text));
        Ok(OutboxMessage {
            pool_id: pool.id.clone(),
            username: user.username.clone(),
            recipient: to.into(),
            medium,
            kind: kind.into(),
            subject,
            body,
            code: Some(code.to_string()),
            created: self.clock.now(),
            keep_text,
            sealed,
        })
    }

    pub(crate) fn seal_text(&self, text: &SealedText) -> String {
        self.sealer.seal(&text.encode())
    }

    /// Delivers the messages whose instance died before it could (their lease ran out), at
    /// most `limit` of them; returns how many it tried. Every instance runs this now and then.
    pub async fn redeliver(&self, limit: usize) -> Result<usize> {
        let claimed = self.store.claim_outbox(self.clock.now(), self.config.delivery_lease, limit).await?;
        for entry in &claimed {
            let mut message = entry.message.clone();
            if let Some(sealed) = &message.sealed {
                let text = self.sealer.open(sealed).and_then(|plain| SealedText::decode(&plain));
                let Some(text) = text else {
                    // Sealed under another key: no instance with this key can deliver it.
                    let _ = self.store.set_outbox_status(entry.id, "failed").await;
                    continue;
                };
                (message.subject, message.body, message.code) = (text.subject, text.body, text.code);
            } else if message.body.is_empty() {
                let _ = self.store.set_outbox_status(entry.id, "failed").await;
                continue;
            }
            // The outcome is recorded by dispatch; a failure stays a failure, as on the request path.
            let _ = self.dispatch(Some(entry.id), &message).await;
        }
        Ok(claimed.len())
    }

    /// Hands a queued message to the mailer and records the outcome. On failure the caller
    /// decides what to undo.
    pub(crate) async fn dispatch(&self, outbox_id: Option<i64>, message: &OutboxMessage) -> Result<()> {
        let outcome = self.mailer.deliver(message).await;
        let status = match &outcome {
            Ok(Delivery::Sent) => "sent",
            Ok(Delivery::Logged) => "logged",
            Err(_) => "failed",
        };
        if let Some(id) = outbox_id {
            // The outcome is what matters: a message that went out is not undone because its
            // status could not be recorded.
            let _ = self.store.set_outbox_status(id, status).await;
        }
        outcome.map(|_| ()).map_err(|e| DomainError::CodeDeliveryFailure(format!("Unable to deliver the code: {e}")))
    }
}
