//! The names of a sign-in: the flows `InitiateAuth` starts and the challenges
//! `RespondToAuthChallenge` answers, parsed once where the request arrives.

macro_rules! named {
    ($(#[$doc:meta])* $ty:ident { $($variant:ident = $name:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $ty {
            $($variant,)+
        }

        impl $ty {
            /// Every name, in the service model's order.
            pub const NAMES: &'static [&'static str] = &[$($name,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)+
                }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s {
                    $($name => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named!(
    /// `AuthFlowType`.
    AuthFlow {
        UserSrpAuth = "USER_SRP_AUTH",
        RefreshTokenAuth = "REFRESH_TOKEN_AUTH",
        RefreshToken = "REFRESH_TOKEN",
        CustomAuth = "CUSTOM_AUTH",
        AdminNoSrpAuth = "ADMIN_NO_SRP_AUTH",
        UserPasswordAuth = "USER_PASSWORD_AUTH",
        AdminUserPasswordAuth = "ADMIN_USER_PASSWORD_AUTH",
        UserAuth = "USER_AUTH",
    }
);

named!(
    /// `ChallengeNameType`.
    ChallengeName {
        SmsMfa = "SMS_MFA",
        EmailOtp = "EMAIL_OTP",
        SoftwareTokenMfa = "SOFTWARE_TOKEN_MFA",
        SelectMfaType = "SELECT_MFA_TYPE",
        MfaSetup = "MFA_SETUP",
        PasswordVerifier = "PASSWORD_VERIFIER",
        CustomChallenge = "CUSTOM_CHALLENGE",
        SelectChallenge = "SELECT_CHALLENGE",
        DeviceSrpAuth = "DEVICE_SRP_AUTH",
        DevicePasswordVerifier = "DEVICE_PASSWORD_VERIFIER",
        AdminNoSrpAuth = "ADMIN_NO_SRP_AUTH",
        NewPasswordRequired = "NEW_PASSWORD_REQUIRED",
        SmsOtp = "SMS_OTP",
        Password = "PASSWORD",
        WebAuthn = "WEB_AUTHN",
        PasswordSrp = "PASSWORD_SRP",
    }
);

impl AuthFlow {
    /// Whether the flow belongs to `AdminInitiateAuth` (`true`), `InitiateAuth` (`false`) or
    /// both (`None`).
    pub fn admin_only(self) -> Option<bool> {
        match self {
            Self::UserPasswordAuth => Some(false),
            Self::AdminUserPasswordAuth | Self::AdminNoSrpAuth => Some(true),
            Self::UserSrpAuth | Self::CustomAuth | Self::UserAuth | Self::RefreshTokenAuth | Self::RefreshToken => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in AuthFlow::NAMES {
            assert_eq!(AuthFlow::parse(name).map(AuthFlow::as_str), Some(*name));
        }
        for name in ChallengeName::NAMES {
            assert_eq!(ChallengeName::parse(name).map(ChallengeName::as_str), Some(*name));
        }
        assert_eq!(ChallengeName::NAMES.len(), 16);
        assert_eq!(AuthFlow::parse("user_srp_auth"), None);
    }
}
