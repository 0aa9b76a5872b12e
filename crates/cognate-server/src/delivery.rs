//! Message delivery: SMTP through lettre when configured, otherwise the message is only
//! logged (it is always in the outbox either way).

use std::time::Duration;

use async_trait::async_trait;
use cognate_core::ports::{Delivery, Mailer};
use cognate_core::user::{Medium, OutboxMessage};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct Courier {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    attempts: u32,
}

impl Courier {
    /// `smtp_url`: `smtp://[user:pass@]host:port` (plain or STARTTLS with `?tls=required`) or
    /// `smtps://…` (TLS from the first byte).
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Self, String> {
        let smtp = match smtp_url {
            None => None,
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("invalid --smtp-url: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build();
                let from: Mailbox = from.parse().map_err(|e| format!("invalid --email-from {from:?}: {e}"))?;
                Some((transport, from))
            }
        };
        Ok(Self { smtp, attempts: 3 })
    }

    async fn send_email(
        &self,
        transport: &AsyncSmtpTransport<Tokio1Executor>,
        from: &Mailbox,
        m: &OutboxMessage,
    ) -> Result<(), String> {
        let to: Mailbox = m.recipient.parse().map_err(|e| format!("invalid recipient: {e}"))?;
        let email = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(m.subject.clone().unwrap_or_default())
            .body(m.body.clone())
            .map_err(|e| e.to_string())?;
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            match transport.send(email.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) => {
                    tracing::warn!(attempt = attempt + 1, error = %e, "SMTP delivery failed");
                    last = e.to_string();
                }
            }
        }
        Err(last)
    }
}

#[async_trait]
impl Mailer for Courier {
    async fn deliver(&self, m: &OutboxMessage) -> Result<Delivery, String> {
        match (&self.smtp, m.medium) {
            (Some((transport, from)), Medium::Email) => {
                self.send_email(transport, from, m).await?;
                tracing::debug!(pool = %m.pool_id, kind = %m.kind, "message sent");
                Ok(Delivery::Sent)
            }
            _ => {
                // Local development: with no channel for the medium the message is logged
                // (and kept in the outbox) so the code can be read without a mail server.
                tracing::info!(
                    pool = %m.pool_id,
                    username = %m.username,
                    to = %m.recipient,
                    medium = m.medium.as_str(),
                    kind = %m.kind,
                    "message not sent (no {} channel configured): {}",
                    m.medium.as_str(),
                    m.body
                );
                Ok(Delivery::Logged)
            }
        }
    }
}
