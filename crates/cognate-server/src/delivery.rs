//! Message delivery: email through SMTP (lettre), SMS through an HTTP webhook or an
//! SNS-compatible `Publish` endpoint. A medium with no channel configured is only logged
//! (every message is in the outbox either way).

use std::time::Duration;

use async_trait::async_trait;
use cognate_core::ports::{Delivery, Mailer};
use cognate_core::user::{Medium, OutboxMessage};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

pub struct Courier {
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    sms: Option<SmsChannel>,
    attempts: u32,
    /// Local development: messages without a channel are logged whole, codes included.
    log_bodies: bool,
}

/// Where SMS go: `http(s)://…` receives JSON `{to, message, pool_id, username, kind}`;
/// `sns+http(s)://…` receives an SNS `Publish` call (form-encoded), as a local SNS emulator
/// or gateway expects.
enum SmsChannel {
    Webhook { url: String, http: reqwest::Client },
    Sns { url: String, http: reqwest::Client },
}

impl SmsChannel {
    fn parse(url: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the SMS client: {e}"))?;
        if let Some(rest) = url.strip_prefix("sns+") {
            if rest.starts_with("http://") || rest.starts_with("https://") {
                return Ok(Self::Sns { url: rest.to_string(), http });
            }
        } else if url.starts_with("http://") || url.starts_with("https://") {
            return Ok(Self::Webhook { url: url.to_string(), http });
        }
        Err(format!("invalid --sms-url {url:?}: use http(s)://… for a JSON webhook or sns+http(s)://… for SNS Publish"))
    }

    async fn send_once(&self, m: &OutboxMessage) -> Result<(), String> {
        let request = match self {
            Self::Webhook { url, http } => {
                let body = serde_json::json!({
                    "to": m.recipient,
                    "message": m.body,
                    "pool_id": m.pool_id,
                    "username": m.username,
                    "kind": m.kind,
                });
                http.post(url).header("content-type", "application/json").body(body.to_string())
            }
            Self::Sns { url, http } => {
                let body = form_urlencoded::Serializer::new(String::new())
                    .append_pair("Action", "Publish")
                    .append_pair("Version", "2010-03-31")
                    .append_pair("PhoneNumber", &m.recipient)
                    .append_pair("Message", &m.body)
                    .finish();
                http.post(url).header("content-type", "application/x-www-form-urlencoded").body(body)
            }
        };
        let response = request.send().await.map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("the SMS endpoint answered {}", response.status()))
        }
    }
}

impl Courier {
    /// `smtp_url`: `smtp://[user:pass@]host:port` (plain or STARTTLS with `?tls=required`) or
    /// `smtps://…` (TLS from the first byte).
    pub fn new(smtp_url: Option<&str>, from: &str, sms_url: Option<&str>, log_bodies: bool) -> Result<Self, String> {
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
        let sms = sms_url.map(SmsChannel::parse).transpose()?;
        Ok(Self { smtp, sms, attempts: 3, log_bodies })
    }

    async fn send_sms(&self, channel: &SmsChannel, m: &OutboxMessage) -> Result<(), String> {
        let mut last = String::new();
        for attempt in 0..self.attempts {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
            match channel.send_once(m).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    tracing::warn!(attempt = attempt + 1, error = %e, "SMS delivery failed");
                    last = e;
                }
            }
        }
        Err(last)
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
            (_, Medium::Sms) if self.sms.is_some() => {
                let channel = self.sms.as_ref().expect("checked above");
                self.send_sms(channel, m).await?;
                tracing::debug!(pool = %m.pool_id, kind = %m.kind, "SMS sent");
                Ok(Delivery::Sent)
            }
            _ if self.smtp.is_some() || self.sms.is_some() || !self.log_bodies => {
                // A server with real channels does not put codes in its log; in production
                // (admin keys) the outbox does not keep them either, so the message is lost.
                let kept = if m.keep_text { "it is in the outbox" } else { "its text is not kept anywhere" };
                tracing::warn!(
                    pool = %m.pool_id,
                    username = %m.username,
                    medium = m.medium.as_str(),
                    kind = %m.kind,
                    "message not sent: no {} channel configured ({kept})",
                    m.medium.as_str()
                );
                Ok(Delivery::Logged)
            }
            _ => {
                // Local development: with no channel at all the message is logged (and kept in
                // the outbox) so the code can be read without a mail server.
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
