//! The one domain error enum. Each variant is one Cognito exception that cognate emits;
//! `cognate-wire` maps them to `__type` names and HTTP statuses in a single exhaustive match.

use thiserror::Error;

use crate::user::AliasKind;

/// A failed operation, as the caller will see it. The `String` is the message text.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    UserNotFound(String),
    #[error("{0}")]
    UsernameExists(String),
    #[error("{0}")]
    GroupExists(String),
    #[error("{0}")]
    AliasExists(String),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    UserNotConfirmed(String),
    #[error("{0}")]
    PasswordResetRequired(String),
    #[error("{0}")]
    CodeMismatch(String),
    #[error("{0}")]
    ExpiredCode(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    TooManyFailedAttempts(String),
    #[error("{0}")]
    CodeDeliveryFailure(String),
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("{0}")]
    UnsupportedUserState(String),
    #[error("{0}")]
    UnsupportedTokenType(String),
    #[error("{0}")]
    RefreshTokenReuse(String),
    #[error("{0}")]
    UserLambdaValidation(String),
    #[error("{0}")]
    UnexpectedLambda(String),
    #[error("{0}")]
    InvalidLambdaResponse(String),
    #[error("{0}")]
    SoftwareTokenMfaNotFound(String),
    #[error("{0}")]
    EnableSoftwareTokenMfa(String),
    #[error("{0}")]
    WebAuthnNotEnabled(String),
    #[error("{0}")]
    WebAuthnConfigurationMissing(String),
    #[error("{0}")]
    WebAuthnChallengeNotFound(String),
    #[error("{0}")]
    WebAuthnRelyingPartyMismatch(String),
    #[error("{0}")]
    WebAuthnClientMismatch(String),
    #[error("{0}")]
    WebAuthnOriginNotAllowed(String),
    #[error("{0}")]
    WebAuthnCredentialNotSupported(String),
    #[error("{0}")]
    InvalidOAuthFlow(String),
    #[error("{0}")]
    ScopeDoesNotExist(String),
    #[error("{0}")]
    ManagedLoginBrandingExists(String),
    #[error("{0}")]
    OperationNotEnabled(String),
    /// Something broke inside cognate (storage unavailable, a bug). The message is for the log;
    /// callers only see a generic text.
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidParameter(msg.into())
    }

    pub fn not_authorized(msg: impl Into<String>) -> Self {
        Self::NotAuthorized(msg.into())
    }

    pub fn pool_not_found(pool_id: &str) -> Self {
        Self::ResourceNotFound(format!("User pool {pool_id} does not exist."))
    }

    pub fn client_not_found(client_id: &str) -> Self {
        Self::ResourceNotFound(format!("User pool client {client_id} does not exist."))
    }

    pub fn user_not_found() -> Self {
        Self::UserNotFound("User does not exist.".into())
    }

    pub fn incorrect_credentials() -> Self {
        Self::NotAuthorized("Incorrect username or password.".into())
    }

    pub fn attempt_limit() -> Self {
        Self::LimitExceeded("Attempt limit exceeded, please try after some time.".into())
    }
}

/// Which rule refused a write: each backend maps its own constraint names or error codes onto
/// these, so no flow reads a driver's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A pool id already taken.
    Pool,
    /// A client id already taken.
    Client,
    /// A username (after the pool's case rule) already taken.
    Username,
    /// An email, phone number or preferred username another user holds as an alias.
    Alias(AliasKind),
    /// A group name already taken in the pool.
    Group,
    /// A domain name already taken (by any pool).
    Domain,
    /// The pool already has a domain of that kind.
    PoolDomain,
    /// A resource server identifier already taken in the pool.
    ResourceServer,
    /// The app client has a managed login branding style already.
    Branding,
    /// A conditional write found the row changed (a status, a rotated token, a spent code).
    Status,
    /// The row the write refers to is gone (a foreign key).
    Missing,
    /// A rule the backend could not name; logged by the backend, a bug if it happens.
    Other,
}

/// What a storage backend can report. Backends map driver errors onto these; the flows turn
/// them into [`DomainError`]s with the right Cognito meaning.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique index or a conditional update refused the change.
    #[error("conflict on {0:?}")]
    Conflict(Conflict),
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<StoreError> for DomainError {
    fn from(err: StoreError) -> Self {
        DomainError::Internal(err.to_string())
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;
