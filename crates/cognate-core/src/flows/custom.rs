//! CUSTOM_AUTH: the pool's DefineAuthChallenge, CreateAuthChallenge and
//! VerifyAuthChallengeResponse functions run the conversation.
//!
//! ```text
//! InitiateAuth(CUSTOM_AUTH) ──► Define(session=[]) ──► Create ──► CUSTOM_CHALLENGE {public params}
//! RespondToAuthChallenge(ANSWER) ──► Verify ──► Define(session=[…, result]) ──► tokens | fail | next challenge
//! ```
//!
//! Between rounds the session row keeps the answered challenges and the current challenge's
//! private parameters, so the next step can run on any instance.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;

use super::auth::{param, AuthOutcome, Challenge};
use super::hooks::event_attributes;
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::pool::UserPool;
use crate::triggers::{ChallengeResult, Metadata, TriggerKind, TriggerRequest};
use crate::user::{Attributes, User, UserStatus};

const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// What a custom-auth session carries from one round to the next.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Conversation {
    history: Vec<ChallengeResult>,
    private: BTreeMap<String, String>,
    metadata: Option<String>,
}

fn b64(s: &str) -> String {
    STANDARD_NO_PAD.encode(s)
}

fn unb64(s: &str) -> Option<String> {
    String::from_utf8(STANDARD_NO_PAD.decode(s).ok()?).ok()
}

impl Conversation {
    /// One line per item, fields base64-encoded: nothing a function returns can break it.
    fn encode(&self) -> String {
        let mut lines = Vec::new();
        for h in &self.history {
            let meta = h.challenge_metadata.as_deref().map(b64).unwrap_or_else(|| "-".into());
            lines.push(format!("h {} {} {meta}", b64(&h.challenge_name), u8::from(h.challenge_result)));
        }
        for (k, v) in &self.private {
            lines.push(format!("p {} {}", b64(k), b64(v)));
        }
        if let Some(m) = &self.metadata {
            lines.push(format!("m {}", b64(m)));
        }
        lines.join("\n")
    }

    fn decode(s: &str) -> Option<Self> {
        let mut c = Conversation::default();
        for line in s.lines() {
            let parts: Vec<&str> = line.split(' ').collect();
            match parts.as_slice() {
                ["h", name, result, meta] => c.history.push(ChallengeResult {
                    challenge_name: unb64(name)?,
                    challenge_result: *result == "1",
                    challenge_metadata: if *meta == "-" { None } else { Some(unb64(meta)?) },
                }),
                ["p", k, v] => {
                    c.private.insert(unb64(k)?, unb64(v)?);
                }
                ["m", m] => c.metadata = Some(unb64(m)?),
                _ => return None,
            }
        }
        Some(c)
    }
}

/// Who is signing in: a real user, or a name that does not exist (hidden from the caller).
struct Subject {
    user: Option<User>,
    name: String,
}

impl Subject {
    fn attributes(&self) -> Attributes {
        self.user.as_ref().map(event_attributes).unwrap_or_default()
    }
}

impl Cognate {
    pub(crate) async fn custom_start(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        if pool.settings.lambda(TriggerKind::DefineAuthChallenge.name()).is_none() {
            return Err(DomainError::invalid("Custom auth lambda trigger is not configured for the user pool."));
        }
        let username = param(params, "USERNAME")?;
        let user = self.find_user(&pool, username).await?;
        let names: Vec<&str> = match &user {
            Some(u) => vec![username, u.username.as_str()],
            None => vec![username],
        };
        Self::check_secret_hash(&client, params.get("SECRET_HASH").map(String::as_str), &names)?;
        let subject = match user {
            Some(user) => {
                if !user.enabled {
                    return Err(DomainError::not_authorized("User is disabled."));
                }
                self.pre_authentication(&pool, &user, &client.client_id, &client_metadata).await?;
                Subject { name: user.username.clone(), user: Some(user) }
            }
            None if client.settings.prevents_user_existence_errors() => Subject { user: None, name: username.into() },
            None => return Err(DomainError::user_not_found()),
        };
        self.custom_round(client, pool, subject, Conversation::default(), client_metadata).await
    }

    /// Asks DefineAuthChallenge what comes next and acts on it.
    async fn custom_round(
        &self,
        client: AppClient,
        pool: UserPool,
        subject: Subject,
        conversation: Conversation,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let not_found = subject.user.is_none();
        let request = TriggerRequest {
            user_attributes: subject.attributes(),
            session: Some(conversation.history.clone()),
            user_not_found: Some(not_found),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = "DefineAuthChallenge_Authentication";
        let define = self
            .trigger(&pool, TriggerKind::DefineAuthChallenge, source, &subject.name, Some(&client.client_id), request)
            .await?
            .unwrap_or_default();
        if define.fail_authentication {
            return Err(DomainError::incorrect_credentials());
        }
        if define.issue_tokens {
            let Some(user) = subject.user else { return Err(DomainError::incorrect_credentials()) };
            if user.status == UserStatus::Unconfirmed {
                return Err(DomainError::UserNotConfirmed("User is not confirmed.".into()));
            }
            return self.finish_sign_in(client, pool, user, client_metadata, super::auth::TOKEN_SOURCE).await;
        }
        match define.challenge_name.as_deref() {
            Some(CUSTOM_CHALLENGE) => {}
            Some(other) => {
                return Err(DomainError::UnsupportedOperation(format!(
                    "The {other} challenge inside CUSTOM_AUTH is not supported by cognate yet."
                )))
            }
            None => {
                return Err(DomainError::InvalidLambdaResponse(
                    "Invalid lambda function output : challengeName, issueTokens or failAuthentication is required"
                        .into(),
                ))
            }
        }
        let request = TriggerRequest {
            user_attributes: subject.attributes(),
            challenge_name: Some(CUSTOM_CHALLENGE.into()),
            session: Some(conversation.history.clone()),
            user_not_found: Some(not_found),
            client_metadata,
            ..Default::default()
        };
        let source = "CreateAuthChallenge_Authentication";
        let created = self
            .trigger(&pool, TriggerKind::CreateAuthChallenge, source, &subject.name, Some(&client.client_id), request)
            .await?
            .unwrap_or_default();
        let next = Conversation {
            history: conversation.history,
            private: created.private_challenge_parameters,
            metadata: created.challenge_metadata,
        };
        let session = self
            .open_session(&client, &pool, subject.user.as_ref(), &subject.name, CUSTOM_CHALLENGE, next.encode())
            .await?;
        let mut parameters = created.public_challenge_parameters;
        parameters.insert("USERNAME".into(), subject.name);
        Ok(AuthOutcome::Challenge(Challenge {
            name: CUSTOM_CHALLENGE.into(),
            parameters,
            session: Some(session),
            ..Default::default()
        }))
    }

    pub(crate) async fn custom_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        token: &str,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let answer = param(responses, "ANSWER")?;
        let session = self.answered_session(&client, token, CUSTOM_CHALLENGE, responses).await?;
        if !self.store.delete_auth_session(&session.id_hash).await? {
            return Err(DomainError::not_authorized("Invalid session for the user."));
        }
        let conversation = Conversation::decode(&session.state)
            .ok_or_else(|| DomainError::Internal("unreadable custom auth session".into()))?;
        let user = match &session.sub {
            Some(sub) => Some(
                self.store
                    .get_user_by_sub(&pool.id, sub)
                    .await?
                    .ok_or_else(|| DomainError::not_authorized("Invalid session for the user."))?,
            ),
            None => None,
        };
        let subject = Subject { user, name: session.username.clone() };
        let request = TriggerRequest {
            user_attributes: subject.attributes(),
            private_challenge_parameters: Some(conversation.private.clone()),
            challenge_answer: Some(answer.to_string()),
            user_not_found: Some(subject.user.is_none()),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = "VerifyAuthChallengeResponse_Authentication";
        let verified = self
            .trigger(
                &pool,
                TriggerKind::VerifyAuthChallengeResponse,
                source,
                &subject.name,
                Some(&client.client_id),
                request,
            )
            .await?
            .unwrap_or_default();
        let mut history = conversation.history;
        history.push(ChallengeResult {
            challenge_name: CUSTOM_CHALLENGE.into(),
            challenge_result: verified.answer_correct && subject.user.is_some(),
            challenge_metadata: conversation.metadata,
        });
        let next = Conversation { history, ..Default::default() };
        self.custom_round(client, pool, subject, next, client_metadata).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversations_survive_their_encoding() {
        let c = Conversation {
            history: vec![
                ChallengeResult {
                    challenge_name: "CUSTOM_CHALLENGE".into(),
                    challenge_result: false,
                    challenge_metadata: None,
                },
                ChallengeResult {
                    challenge_name: "CUSTOM_CHALLENGE".into(),
                    challenge_result: true,
                    challenge_metadata: Some("a b\nc".into()),
                },
            ],
            private: BTreeMap::from([("answer".to_string(), "5 \n x".to_string())]),
            metadata: Some("CAPTCHA-1".into()),
        };
        assert_eq!(Conversation::decode(&c.encode()), Some(c));
        assert_eq!(Conversation::decode(""), Some(Conversation::default()));
        assert_eq!(Conversation::decode("x y"), None);
    }
}
