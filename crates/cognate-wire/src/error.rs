//! Errors on the wire: `{"__type": ..., "message": ...}` with an HTTP status.

use cognate_core::DomainError;

/// Failures of the protocol itself, before an operation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The body is not JSON, or a member has the wrong JSON type.
    Serialization(String),
    UnknownOperation(String),
    /// The body is larger than the server accepts.
    RequestTooLarge(String),
    /// The operation exists in Cognito but cognate does not implement it yet.
    NotImplemented(String),
    /// A signed operation without an `Authorization` header.
    MissingAuthenticationToken(String),
    /// An `Authorization` header cognate cannot read.
    IncompleteSignature(String),
    /// An access key cognate does not know.
    UnrecognizedClient(String),
    /// A signature that does not match, or is outside the time window.
    InvalidSignature(String),
    /// A known key that may not act on this pool.
    AccessDenied(String),
    /// Over a request-rate limit.
    TooManyRequests(String),
    /// The body did not arrive in time (a slow or stalled client). The SDKs retry this name.
    RequestTimeout(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    Domain(DomainError),
    Protocol(ProtocolError),
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Domain(e)
    }
}

impl From<ProtocolError> for ApiError {
    fn from(e: ProtocolError) -> Self {
        ApiError::Protocol(e)
    }
}

/// The Cognito exception name for a domain error. Exhaustive on purpose: a new variant
/// does not compile until it is mapped here.
#[deny(clippy::wildcard_enum_match_arm)]
pub fn aws_type(e: &DomainError) -> &'static str {
    match e {
        DomainError::InvalidParameter(_) => "InvalidParameterException",
        DomainError::InvalidPassword(_) => "InvalidPasswordException",
        DomainError::ResourceNotFound(_) => "ResourceNotFoundException",
        DomainError::UserNotFound(_) => "UserNotFoundException",
        DomainError::UsernameExists(_) => "UsernameExistsException",
        DomainError::GroupExists(_) => "GroupExistsException",
        DomainError::AliasExists(_) => "AliasExistsException",
        DomainError::NotAuthorized(_) => "NotAuthorizedException",
        DomainError::UserNotConfirmed(_) => "UserNotConfirmedException",
        DomainError::PasswordResetRequired(_) => "PasswordResetRequiredException",
        DomainError::CodeMismatch(_) => "CodeMismatchException",
        DomainError::ExpiredCode(_) => "ExpiredCodeException",
        DomainError::LimitExceeded(_) => "LimitExceededException",
        DomainError::TooManyFailedAttempts(_) => "TooManyFailedAttemptsException",
        DomainError::CodeDeliveryFailure(_) => "CodeDeliveryFailureException",
        DomainError::UnsupportedOperation(_) => "UnsupportedOperationException",
        DomainError::UnsupportedUserState(_) => "UnsupportedUserStateException",
        DomainError::UnsupportedTokenType(_) => "UnsupportedTokenTypeException",
        DomainError::RefreshTokenReuse(_) => "RefreshTokenReuseException",
        DomainError::UserLambdaValidation(_) => "UserLambdaValidationException",
        DomainError::UnexpectedLambda(_) => "UnexpectedLambdaException",
        DomainError::InvalidLambdaResponse(_) => "InvalidLambdaResponseException",
        DomainError::SoftwareTokenMfaNotFound(_) => "SoftwareTokenMFANotFoundException",
        DomainError::EnableSoftwareTokenMfa(_) => "EnableSoftwareTokenMFAException",
        DomainError::WebAuthnNotEnabled(_) => "WebAuthnNotEnabledException",
        DomainError::WebAuthnConfigurationMissing(_) => "WebAuthnConfigurationMissingException",
        DomainError::WebAuthnChallengeNotFound(_) => "WebAuthnChallengeNotFoundException",
        DomainError::WebAuthnRelyingPartyMismatch(_) => "WebAuthnRelyingPartyMismatchException",
        DomainError::WebAuthnClientMismatch(_) => "WebAuthnClientMismatchException",
        DomainError::WebAuthnOriginNotAllowed(_) => "WebAuthnOriginNotAllowedException",
        DomainError::WebAuthnCredentialNotSupported(_) => "WebAuthnCredentialNotSupportedException",
        DomainError::InvalidOAuthFlow(_) => "InvalidOAuthFlowException",
        DomainError::ScopeDoesNotExist(_) => "ScopeDoesNotExistException",
        DomainError::ManagedLoginBrandingExists(_) => "ManagedLoginBrandingExistsException",
        DomainError::OperationNotEnabled(_) => "OperationNotEnabledException",
        DomainError::Internal(_) => "InternalErrorException",
    }
}

/// Cognito answers every client fault with 400 (the SDKs pick the exception by `__type`),
/// and server faults with 500.
#[deny(clippy::wildcard_enum_match_arm)]
pub fn http_status(e: &DomainError) -> u16 {
    match e {
        DomainError::Internal(_) => 500,
        DomainError::InvalidParameter(_)
        | DomainError::InvalidPassword(_)
        | DomainError::ResourceNotFound(_)
        | DomainError::UserNotFound(_)
        | DomainError::UsernameExists(_)
        | DomainError::GroupExists(_)
        | DomainError::AliasExists(_)
        | DomainError::NotAuthorized(_)
        | DomainError::UserNotConfirmed(_)
        | DomainError::PasswordResetRequired(_)
        | DomainError::CodeMismatch(_)
        | DomainError::ExpiredCode(_)
        | DomainError::LimitExceeded(_)
        | DomainError::TooManyFailedAttempts(_)
        | DomainError::CodeDeliveryFailure(_)
        | DomainError::UnsupportedOperation(_)
        | DomainError::UnsupportedUserState(_)
        | DomainError::UnsupportedTokenType(_)
        | DomainError::RefreshTokenReuse(_)
        | DomainError::UserLambdaValidation(_)
        | DomainError::UnexpectedLambda(_)
        | DomainError::InvalidLambdaResponse(_)
        | DomainError::SoftwareTokenMfaNotFound(_)
        | DomainError::EnableSoftwareTokenMfa(_)
        | DomainError::WebAuthnNotEnabled(_)
        | DomainError::WebAuthnConfigurationMissing(_)
        | DomainError::WebAuthnChallengeNotFound(_)
        | DomainError::WebAuthnRelyingPartyMismatch(_)
        | DomainError::WebAuthnClientMismatch(_)
        | DomainError::WebAuthnOriginNotAllowed(_)
        | DomainError::WebAuthnCredentialNotSupported(_)
        | DomainError::InvalidOAuthFlow(_)
        | DomainError::ScopeDoesNotExist(_)
        | DomainError::ManagedLoginBrandingExists(_)
        | DomainError::OperationNotEnabled(_) => 400,
    }
}

impl ApiError {
    /// `(__type, HTTP status, message)` as the client will see them.
    pub fn parts(&self) -> (&'static str, u16, String) {
        match self {
            ApiError::Domain(DomainError::Internal(_)) => {
                ("InternalErrorException", 500, "An internal error occurred.".into())
            }
            ApiError::Domain(e) => (aws_type(e), http_status(e), e.to_string()),
            ApiError::Protocol(ProtocolError::Serialization(m)) => ("SerializationException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::UnknownOperation(m)) => ("UnknownOperationException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::RequestTooLarge(m)) => ("SerializationException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::NotImplemented(m)) => ("UnsupportedOperationException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::MissingAuthenticationToken(m)) => {
                ("MissingAuthenticationTokenException", 400, m.clone())
            }
            ApiError::Protocol(ProtocolError::IncompleteSignature(m)) => {
                ("IncompleteSignatureException", 400, m.clone())
            }
            ApiError::Protocol(ProtocolError::UnrecognizedClient(m)) => ("UnrecognizedClientException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::InvalidSignature(m)) => ("InvalidSignatureException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::AccessDenied(m)) => ("AccessDeniedException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::TooManyRequests(m)) => ("TooManyRequestsException", 400, m.clone()),
            ApiError::Protocol(ProtocolError::RequestTimeout(m)) => ("RequestTimeoutException", 408, m.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_its_cognito_name_and_status() {
        let m = String::new;
        let table = [
            (DomainError::InvalidParameter(m()), "InvalidParameterException", 400),
            (DomainError::InvalidPassword(m()), "InvalidPasswordException", 400),
            (DomainError::ResourceNotFound(m()), "ResourceNotFoundException", 400),
            (DomainError::UserNotFound(m()), "UserNotFoundException", 400),
            (DomainError::UsernameExists(m()), "UsernameExistsException", 400),
            (DomainError::GroupExists(m()), "GroupExistsException", 400),
            (DomainError::AliasExists(m()), "AliasExistsException", 400),
            (DomainError::NotAuthorized(m()), "NotAuthorizedException", 400),
            (DomainError::UserNotConfirmed(m()), "UserNotConfirmedException", 400),
            (DomainError::PasswordResetRequired(m()), "PasswordResetRequiredException", 400),
            (DomainError::CodeMismatch(m()), "CodeMismatchException", 400),
            (DomainError::ExpiredCode(m()), "ExpiredCodeException", 400),
            (DomainError::LimitExceeded(m()), "LimitExceededException", 400),
            (DomainError::TooManyFailedAttempts(m()), "TooManyFailedAttemptsException", 400),
            (DomainError::CodeDeliveryFailure(m()), "CodeDeliveryFailureException", 400),
            (DomainError::UnsupportedOperation(m()), "UnsupportedOperationException", 400),
            (DomainError::UnsupportedUserState(m()), "UnsupportedUserStateException", 400),
            (DomainError::UnsupportedTokenType(m()), "UnsupportedTokenTypeException", 400),
            (DomainError::RefreshTokenReuse(m()), "RefreshTokenReuseException", 400),
            (DomainError::UserLambdaValidation(m()), "UserLambdaValidationException", 400),
            (DomainError::UnexpectedLambda(m()), "UnexpectedLambdaException", 400),
            (DomainError::InvalidLambdaResponse(m()), "InvalidLambdaResponseException", 400),
            (DomainError::SoftwareTokenMfaNotFound(m()), "SoftwareTokenMFANotFoundException", 400),
            (DomainError::EnableSoftwareTokenMfa(m()), "EnableSoftwareTokenMFAException", 400),
            (DomainError::WebAuthnNotEnabled(m()), "WebAuthnNotEnabledException", 400),
            (DomainError::WebAuthnConfigurationMissing(m()), "WebAuthnConfigurationMissingException", 400),
            (DomainError::WebAuthnChallengeNotFound(m()), "WebAuthnChallengeNotFoundException", 400),
            (DomainError::WebAuthnRelyingPartyMismatch(m()), "WebAuthnRelyingPartyMismatchException", 400),
            (DomainError::WebAuthnClientMismatch(m()), "WebAuthnClientMismatchException", 400),
            (DomainError::WebAuthnOriginNotAllowed(m()), "WebAuthnOriginNotAllowedException", 400),
            (DomainError::WebAuthnCredentialNotSupported(m()), "WebAuthnCredentialNotSupportedException", 400),
            (DomainError::InvalidOAuthFlow(m()), "InvalidOAuthFlowException", 400),
            (DomainError::ScopeDoesNotExist(m()), "ScopeDoesNotExistException", 400),
            (DomainError::ManagedLoginBrandingExists(m()), "ManagedLoginBrandingExistsException", 400),
            (DomainError::OperationNotEnabled(m()), "OperationNotEnabledException", 400),
            (DomainError::Internal(m()), "InternalErrorException", 500),
        ];
        for (e, name, status) in table {
            assert_eq!((aws_type(&e), http_status(&e)), (name, status), "{e:?}");
        }
    }

    #[test]
    fn internal_details_stay_in_the_log() {
        let (t, s, msg) = ApiError::Domain(DomainError::Internal("disk on fire".into())).parts();
        assert_eq!((t, s), ("InternalErrorException", 500));
        assert!(!msg.contains("disk"));
    }
}
