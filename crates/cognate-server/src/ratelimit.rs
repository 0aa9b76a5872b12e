//! Request-rate limits by Cognito's quota categories (UserAuthentication, UserCreation, …),
//! per user pool (or app client), plus a per-source-address limit on the unsigned operations.
//! Over the limit, `TooManyRequestsException` "Rate exceeded".
//!
//! The counter is behind [`RateCounter`]: this process's token buckets today; a shared
//! counter (a PostgreSQL row per key and second) can replace it so that limits hold across
//! instances.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use cognate_wire::operation::Operation;

/// Cognito's quota categories, with the default requests per second of each.
pub const CATEGORIES: &[(&str, u32)] = &[
    ("UserAuthentication", 120),
    ("UserAuthenticationChallenge", 360),
    ("UserCreation", 50),
    ("UserAccountRecovery", 30),
    ("UserRead", 120),
    ("UserUpdate", 25),
    ("UserToken", 120),
    ("ClientAuthentication", 150),
    ("UserResourceRead", 50),
    ("UserResourceUpdate", 25),
    ("UserList", 30),
    ("UserPoolRead", 15),
    ("UserPoolUpdate", 15),
    ("UserPoolResourceRead", 20),
    ("UserPoolResourceUpdate", 15),
    ("UserPoolClientRead", 15),
    ("UserPoolClientUpdate", 15),
];

/// The quota category of an operation (Cognito's developer guide, "Quotas").
pub fn category(op: Operation) -> &'static str {
    use Operation::*;
    match op {
        InitiateAuth | AdminInitiateAuth => "UserAuthentication",
        // Cognito gives the answers to challenges a separate, three times larger allowance.
        RespondToAuthChallenge | AdminRespondToAuthChallenge => "UserAuthenticationChallenge",
        SignUp | ConfirmSignUp | AdminCreateUser | AdminConfirmSignUp => "UserCreation",
        ForgotPassword | ConfirmForgotPassword | ChangePassword | AdminResetUserPassword | AdminSetUserPassword => {
            "UserAccountRecovery"
        }
        GetUser | AdminGetUser | GetUserAuthFactors | AdminGetUserAuthFactors => "UserRead",
        UpdateUserAttributes
        | AdminUpdateUserAttributes
        | DeleteUserAttributes
        | AdminDeleteUserAttributes
        | VerifyUserAttribute
        | GetUserAttributeVerificationCode
        | ResendConfirmationCode
        | AdminDisableUser
        | AdminEnableUser
        | AdminDeleteUser
        | DeleteUser
        | AssociateSoftwareToken
        | VerifySoftwareToken
        | SetUserMFAPreference
        | AdminSetUserMFAPreference
        | AdminDeleteSoftwareToken => "UserUpdate",
        GlobalSignOut | AdminUserGlobalSignOut | RevokeToken | GetTokensFromRefreshToken => "UserToken",
        GetClientToken => "ClientAuthentication",
        AdminListGroupsForUser
        | GetDevice
        | AdminGetDevice
        | ListDevices
        | AdminListDevices
        | ListWebAuthnCredentials => "UserResourceRead",
        AdminAddUserToGroup
        | AdminRemoveUserFromGroup
        | ConfirmDevice
        | UpdateDeviceStatus
        | AdminUpdateDeviceStatus
        | ForgetDevice
        | AdminForgetDevice
        | StartWebAuthnRegistration
        | CompleteWebAuthnRegistration
        | DeleteWebAuthnCredential => "UserResourceUpdate",
        ListUsers | ListUsersInGroup => "UserList",
        DescribeUserPool | ListUserPools | GetUserPoolMfaConfig | DescribeUserPoolDomain => "UserPoolRead",
        CreateUserPool | UpdateUserPool | DeleteUserPool | SetUserPoolMfaConfig | CreateUserPoolDomain
        | UpdateUserPoolDomain | DeleteUserPoolDomain => "UserPoolUpdate",
        GetGroup
        | ListGroups
        | DescribeResourceServer
        | ListResourceServers
        | GetUICustomization
        | DescribeManagedLoginBranding
        | DescribeManagedLoginBrandingByClient => "UserPoolResourceRead",
        CreateGroup
        | UpdateGroup
        | DeleteGroup
        | CreateResourceServer
        | UpdateResourceServer
        | DeleteResourceServer
        | SetUICustomization
        | CreateManagedLoginBranding
        | UpdateManagedLoginBranding
        | DeleteManagedLoginBranding => "UserPoolResourceUpdate",
        DescribeUserPoolClient | ListUserPoolClients => "UserPoolClientRead",
        CreateUserPoolClient | UpdateUserPoolClient | DeleteUserPoolClient => "UserPoolClientUpdate",
    }
}

/// Counts requests against a per-second rate.
pub trait RateCounter: Send + Sync {
    /// Takes one request from `key`'s allowance of `per_second` (bursts up to one second's
    /// worth); `false` when it is used up.
    fn try_take(&self, key: &str, per_second: u32) -> bool;
}

/// Token buckets in this process.
#[derive(Default)]
pub struct LocalBuckets {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateCounter for LocalBuckets {
    fn try_take(&self, key: &str, per_second: u32) -> bool {
        let Ok(mut buckets) = self.buckets.lock() else { return true };
        let now = Instant::now();
        let rate = f64::from(per_second);
        // Keys of idle clients would pile up: forget full buckets now and then.
        if buckets.len() > 100_000 {
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < rate);
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((rate, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(rate);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The limits in force.
pub struct RateLimits {
    /// Requests per second by category, for pools without their own figure.
    pub defaults: HashMap<String, u32>,
    /// Per-pool figures (pool id → category → requests per second).
    pub pools: HashMap<String, HashMap<String, u32>>,
    /// Unsigned operations per second from one source address; 0 = no limit.
    pub per_ip: u32,
    pub counter: Box<dyn RateCounter>,
}

impl RateLimits {
    /// Cognito's default figures.
    pub fn cognito_defaults(per_ip: u32) -> Self {
        Self {
            defaults: CATEGORIES.iter().map(|(c, n)| (c.to_string(), *n)).collect(),
            pools: HashMap::new(),
            per_ip,
            counter: Box::new(LocalBuckets::default()),
        }
    }

    /// Whether one more request may pass. `scope` is the pool id, else the app client id,
    /// that the request names.
    pub fn allow(&self, op: Operation, scope: Option<&str>, source: Option<IpAddr>) -> bool {
        if let (Some(ip), false, true) = (source, op.is_signed(), self.per_ip > 0) {
            if !self.counter.try_take(&format!("ip:{ip}"), self.per_ip) {
                return false;
            }
        }
        self.allow_category(category(op), scope)
    }

    /// [`RateLimits::allow`] for requests that are not API operations (the OAuth endpoints).
    pub fn allow_category(&self, category: &str, scope: Option<&str>) -> bool {
        let scope = scope.unwrap_or("*");
        let limit = self.pools.get(scope).and_then(|p| p.get(category)).or_else(|| self.defaults.get(category));
        match limit {
            Some(0) | None => true,
            Some(n) => self.counter.try_take(&format!("{scope}:{category}"), *n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_rate_then_refuses() {
        let b = LocalBuckets::default();
        let passed = (0..10).filter(|_| b.try_take("k", 5)).count();
        assert_eq!(passed, 5);
        assert!(b.try_take("other", 5), "keys are separate");
    }

    #[test]
    fn categories_follow_cognitos_quotas_and_unsigned_calls_count_per_address() {
        assert_eq!(category(Operation::InitiateAuth), "UserAuthentication");
        assert_eq!(category(Operation::SignUp), "UserCreation");
        let mut limits = RateLimits::cognito_defaults(3);
        limits.pools.insert("p".into(), HashMap::from([("UserRead".to_string(), 2)]));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(limits.allow(Operation::AdminGetUser, Some("p"), Some(ip)));
        assert!(limits.allow(Operation::AdminGetUser, Some("p"), Some(ip)));
        assert!(!limits.allow(Operation::AdminGetUser, Some("p"), Some(ip)), "the pool's own figure");
        assert!(limits.allow(Operation::AdminGetUser, Some("q"), Some(ip)), "other pools keep the default");
        let passed = (0..5).filter(|_| limits.allow(Operation::SignUp, Some("c"), Some(ip))).count();
        assert_eq!(passed, 3, "the per-address limit on unsigned operations");
    }
}
