//! Operations, parsed from `X-Amz-Target: AWSCognitoIdentityProviderService.<Name>`.

pub const TARGET_PREFIX: &str = "AWSCognitoIdentityProviderService.";

macro_rules! operations {
    ($($name:ident),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Operation { $($name),* }

        impl Operation {
            pub fn name(self) -> &'static str {
                match self { $(Operation::$name => stringify!($name)),* }
            }

            fn from_name(name: &str) -> Option<Self> {
                match name { $(stringify!($name) => Some(Operation::$name),)* _ => None }
            }
        }
    };
}

operations!(
    CreateUserPool,
    DescribeUserPool,
    ListUserPools,
    UpdateUserPool,
    DeleteUserPool,
    CreateUserPoolClient,
    DescribeUserPoolClient,
    ListUserPoolClients,
    UpdateUserPoolClient,
    DeleteUserPoolClient,
    SignUp,
    ConfirmSignUp,
    ResendConfirmationCode,
    AdminConfirmSignUp,
    InitiateAuth,
    AdminInitiateAuth,
    AdminGetUser,
    GetUser,
    ListUsers,
    AdminDeleteUser,
    DeleteUser,
    RespondToAuthChallenge,
    AdminRespondToAuthChallenge,
    AdminCreateUser,
    AdminSetUserPassword,
    AdminResetUserPassword,
    AdminDisableUser,
    AdminEnableUser,
    AdminUserGlobalSignOut,
    ForgotPassword,
    ConfirmForgotPassword,
    ChangePassword,
    GlobalSignOut,
    RevokeToken,
    UpdateUserAttributes,
    AdminUpdateUserAttributes,
    DeleteUserAttributes,
    AdminDeleteUserAttributes,
    GetUserAttributeVerificationCode,
    VerifyUserAttribute,
    CreateGroup,
    GetGroup,
    ListGroups,
    UpdateGroup,
    DeleteGroup,
    AdminAddUserToGroup,
    AdminRemoveUserFromGroup,
    ListUsersInGroup,
    AdminListGroupsForUser,
    GetTokensFromRefreshToken,
    SetUserPoolMfaConfig,
    GetUserPoolMfaConfig,
    AssociateSoftwareToken,
    VerifySoftwareToken,
    SetUserMFAPreference,
    AdminSetUserMFAPreference,
    AdminDeleteSoftwareToken,
    GetUserAuthFactors,
    AdminGetUserAuthFactors,
    ConfirmDevice,
    GetDevice,
    AdminGetDevice,
    ListDevices,
    AdminListDevices,
    UpdateDeviceStatus,
    AdminUpdateDeviceStatus,
    ForgetDevice,
    AdminForgetDevice,
    StartWebAuthnRegistration,
    CompleteWebAuthnRegistration,
    ListWebAuthnCredentials,
    DeleteWebAuthnCredential,
    CreateUserPoolDomain,
    DescribeUserPoolDomain,
    UpdateUserPoolDomain,
    DeleteUserPoolDomain,
    CreateResourceServer,
    DescribeResourceServer,
    ListResourceServers,
    UpdateResourceServer,
    DeleteResourceServer,
    SetUICustomization,
    GetUICustomization,
    CreateManagedLoginBranding,
    DescribeManagedLoginBranding,
    DescribeManagedLoginBrandingByClient,
    UpdateManagedLoginBranding,
    DeleteManagedLoginBranding,
    GetClientToken,
);

/// The operations Cognito authorises by what is in the body (a client id, a token, a
/// session) rather than by a SigV4 signature; every other operation is signed.
pub const UNSIGNED: &[&str] = &[
    "AssociateSoftwareToken",
    "ChangePassword",
    "CompleteWebAuthnRegistration",
    "ConfirmDevice",
    "ConfirmForgotPassword",
    "ConfirmSignUp",
    "DeleteUser",
    "DeleteUserAttributes",
    "DeleteWebAuthnCredential",
    "ForgetDevice",
    "ForgotPassword",
    "GetDevice",
    "GetTokensFromRefreshToken",
    "GetUser",
    "GetUserAttributeVerificationCode",
    "GetUserAuthFactors",
    "GlobalSignOut",
    "InitiateAuth",
    "ListDevices",
    "ListUserSessions",
    "ListWebAuthnCredentials",
    "ResendConfirmationCode",
    "RespondToAuthChallenge",
    "RevokeToken",
    "RevokeUserSession",
    "SetUserMFAPreference",
    "SetUserSettings",
    "SignUp",
    "StartWebAuthnRegistration",
    "UpdateAuthEventFeedback",
    "UpdateDeviceStatus",
    "UpdateUserAttributes",
    "VerifySoftwareToken",
    "VerifyUserAttribute",
];

impl Operation {
    /// Whether callers must sign the request (SigV4, service `cognito-idp`).
    pub fn is_signed(self) -> bool {
        !UNSIGNED.contains(&self.name())
    }
}

/// What a target header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Known(Operation),
    /// A Cognito operation cognate does not implement yet.
    NotImplemented(String),
    Unknown(String),
}

/// Every operation in the Cognito model (from `cognito-ops.tsv`), to tell "not yet" from
/// "no such operation".
const COGNITO_OPERATIONS: &str = include_str!("cognito_operations.txt");

pub fn parse_target(header: &str) -> Target {
    let Some(name) = header.strip_prefix(TARGET_PREFIX) else {
        return Target::Unknown(header.to_string());
    };
    match Operation::from_name(name) {
        Some(op) => Target::Known(op),
        None if COGNITO_OPERATIONS.lines().any(|l| l == name) => Target::NotImplemented(name.to_string()),
        None => Target::Unknown(name.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_targets() {
        assert_eq!(parse_target("AWSCognitoIdentityProviderService.SignUp"), Target::Known(Operation::SignUp));
        assert_eq!(
            parse_target("AWSCognitoIdentityProviderService.AddCustomAttributes"),
            Target::NotImplemented("AddCustomAttributes".into())
        );
        assert_eq!(parse_target("AWSCognitoIdentityProviderService.Nope"), Target::Unknown("Nope".into()));
        assert_eq!(parse_target("Other.SignUp"), Target::Unknown("Other.SignUp".into()));
        for line in COGNITO_OPERATIONS.lines() {
            assert!(!line.is_empty());
        }
        // The model's 34 unsigned operations, every one a Cognito operation.
        assert_eq!(UNSIGNED.len(), 34);
        assert!(UNSIGNED.iter().all(|u| COGNITO_OPERATIONS.lines().any(|l| l == *u)));
        assert!(!Operation::SignUp.is_signed() && Operation::AdminGetUser.is_signed());
    }
}

#[cfg(test)]
mod compatibility {
    use super::*;

    #[test]
    fn compatibility_table_matches_the_code() {
        let table = include_str!("../../../docs/compatibility.md");
        for name in COGNITO_OPERATIONS.lines() {
            let row = table
                .lines()
                .find(|l| l.starts_with(&format!("| {name} |")))
                .unwrap_or_else(|| panic!("docs/compatibility.md has no row for {name}"));
            let implemented = Operation::from_name(name).is_some();
            let says = row.split('|').nth(2).map(str::trim).unwrap_or_default();
            let dispatched = says == "implemented" || says == "partial";
            assert_eq!(dispatched, implemented, "docs/compatibility.md is wrong about {name}: {says}");
            assert!(
                says != "partial" || row.split('|').nth(3).is_some_and(|n| !n.trim().is_empty()),
                "{name}: partial needs a note"
            );
        }
    }
}
