//! Length and pattern constraints from the Cognito service model.

use std::sync::LazyLock;

use regex::Regex;

pub struct Rule {
    pub min: usize,
    pub max: usize,
    pattern: Option<&'static LazyLock<Regex>>,
    pub pattern_text: &'static str,
    /// Sensitive values are left out of error messages, as AWS does.
    pub sensitive: bool,
}

impl Rule {
    pub fn matches(&self, value: &str) -> bool {
        self.pattern.is_none_or(|re| re.is_match(value))
    }
}

macro_rules! pattern {
    ($name:ident, $re:expr) => {
        static $name: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(concat!("^(?:", $re, ")$")).expect("valid pattern"));
    };
}

pattern!(POOL_ID_RE, r"[\w-]+_[0-9a-zA-Z]+");
pattern!(POOL_NAME_RE, r"[\w\s+=,.@-]+");
pattern!(CLIENT_ID_RE, r"[\w+]+");
pattern!(USERNAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+");
pattern!(PASSWORD_RE, r"[\S]+");
pattern!(SECRET_HASH_RE, r"[\w+=/]+");
pattern!(NON_SPACE_RE, r"[\S]+");
pattern!(TOKEN_RE, r"[A-Za-z0-9-_=.]+");
pattern!(ATTRIBUTE_NAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+");
pattern!(CUSTOM_ATTRIBUTE_NAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+");
pattern!(SMS_MESSAGE_RE, r"(?s).*\{####\}.*");
pattern!(EMAIL_MESSAGE_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*");
pattern!(
    EMAIL_MESSAGE_BY_LINK_RE,
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*"
);
pattern!(EMAIL_SUBJECT_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+");
pattern!(ARN_RE, r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?");
pattern!(
    OPTIONAL_ARN_RE,
    r"(arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?)?"
);
pattern!(REDIRECT_URL_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+");
pattern!(SCOPE_RE, r"[\x21\x23-\x5B\x5D-\x7E]+");
pattern!(DEVICE_KEY_RE, r"[\w-]+_[0-9a-f-]+");
pattern!(EMAIL_ADDRESS_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+@[\p{L}\p{M}\p{S}\p{N}\p{P}]+");
pattern!(CONFIGURATION_SET_RE, r"[a-zA-Z0-9_-]+");
pattern!(TAG_KEY_RE, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*");
pattern!(TAG_VALUE_RE, r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*");
pattern!(DIGITS_RE, r"[0-9]+");
pattern!(DOMAIN_PREFIX_RE, r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?");
pattern!(RESOURCE_SERVER_NAME_RE, r"[\w\s+=,.@-]+");
pattern!(SCOPE_NAME_RE, r"[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+");
pattern!(PROVIDER_NAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}]+");

const UNBOUNDED: usize = usize::MAX;

macro_rules! rule {
    ($name:ident, $min:expr, $max:expr, $re:ident, $text:expr, $sensitive:expr) => {
        pub static $name: Rule =
            Rule { min: $min, max: $max, pattern: Some(&$re), pattern_text: $text, sensitive: $sensitive };
    };
    ($name:ident, $min:expr, $max:expr) => {
        pub static $name: Rule = Rule { min: $min, max: $max, pattern: None, pattern_text: "", sensitive: false };
    };
    ($name:ident, $min:expr, $max:expr, sensitive) => {
        pub static $name: Rule = Rule { min: $min, max: $max, pattern: None, pattern_text: "", sensitive: true };
    };
}

rule!(POOL_ID, 1, 55, POOL_ID_RE, r"[\w-]+_[0-9a-zA-Z]+", false);
rule!(POOL_NAME, 1, 128, POOL_NAME_RE, r"[\w\s+=,.@-]+", false);
rule!(CLIENT_NAME, 1, 128, POOL_NAME_RE, r"[\w\s+=,.@-]+", false);
rule!(CLIENT_ID, 1, 128, CLIENT_ID_RE, r"[\w+]+", true);
rule!(USERNAME, 1, 128, USERNAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", true);
rule!(PASSWORD, 0, 256, PASSWORD_RE, r"[\S]+", true);
rule!(SECRET_HASH, 1, 128, SECRET_HASH_RE, r"[\w+=/]+", true);
rule!(CONFIRMATION_CODE, 1, 2048, NON_SPACE_RE, r"[\S]+", false);
rule!(PAGINATION_KEY, 1, UNBOUNDED, NON_SPACE_RE, r"[\S]+", false);
rule!(SESSION, 20, 4096, sensitive);
rule!(TOKEN, 0, UNBOUNDED, TOKEN_RE, r"[A-Za-z0-9-_=.]+", true);
rule!(ATTRIBUTE_NAME, 1, 32, ATTRIBUTE_NAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\t\n\r ]+", false);
rule!(CUSTOM_ATTRIBUTE_NAME, 1, 20, CUSTOM_ATTRIBUTE_NAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", false);
rule!(ATTRIBUTE_VALUE, 0, 2048, sensitive);
rule!(USER_FILTER, 0, 256);
rule!(SMS_MESSAGE, 6, 140, SMS_MESSAGE_RE, r".*\{####\}.*", false);
rule!(
    EMAIL_MESSAGE,
    6,
    20000,
    EMAIL_MESSAGE_RE,
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{####\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*",
    false
);
rule!(
    EMAIL_MESSAGE_BY_LINK,
    6,
    20000,
    EMAIL_MESSAGE_BY_LINK_RE,
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*\{##[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*##\}[\p{L}\p{M}\p{S}\p{N}\p{P}\s*]*",
    false
);
rule!(GROUP_NAME, 1, 128, USERNAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", false);
rule!(GROUP_DESCRIPTION, 0, 2048);
rule!(EMAIL_SUBJECT, 1, 140, EMAIL_SUBJECT_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\s]+", false);
rule!(
    ARN,
    20,
    2048,
    ARN_RE,
    r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?",
    false
);
rule!(
    OPTIONAL_ARN,
    0,
    2048,
    OPTIONAL_ARN_RE,
    r"(arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?)?",
    false
);
rule!(CLIENT_PERMISSION, 1, 2048);
rule!(REDIRECT_URL, 1, 1024, REDIRECT_URL_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+", false);
rule!(SCOPE, 1, 256, SCOPE_RE, r"[\x21\x23-\x5B\x5D-\x7E]+", false);
rule!(PROVIDER_NAME, 1, 32, PROVIDER_NAME_RE, r"[\p{L}\p{M}\p{S}\p{N}\p{P}\p{Z}]+", false);
// `DomainType`'s pattern, which Cognito applies to prefix domains; custom domains are host names.
rule!(DOMAIN_PREFIX, 1, 63, DOMAIN_PREFIX_RE, r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$", false);
// Any domain string by length: prefixes get Cognito's own message, custom domains are host names.
rule!(DOMAIN_NAME, 1, 63);
rule!(RESOURCE_SERVER_ID, 1, 256, SCOPE_RE, r"[\x21\x23-\x5B\x5D-\x7E]+", false);
rule!(RESOURCE_SERVER_NAME, 1, 256, RESOURCE_SERVER_NAME_RE, r"[\w\s+=,.@-]+", false);
rule!(SCOPE_NAME, 1, 256, SCOPE_NAME_RE, r"[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+", false);
rule!(SCOPE_DESCRIPTION, 1, 256);
rule!(CSS, 0, 131_072);
pattern!(RESOURCE_ID_RE, r"[\w\- ]+");
rule!(RESOURCE_ID, 1, 40, RESOURCE_ID_RE, r"^[\w\- ]+$", false);
pattern!(BRANDING_ID_RE, r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[4][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}");
rule!(
    BRANDING_ID,
    0,
    UNBOUNDED,
    BRANDING_ID_RE,
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[4][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
    false
);
rule!(ANY, 0, UNBOUNDED);
rule!(MAP_STRING, 0, 131_072);
rule!(SECRET_STRING, 0, 131_072, sensitive);
rule!(CLIENT_SECRET, 24, 64, CLIENT_ID_RE, r"[\w+]+", true);
rule!(DEVICE_KEY, 1, 55, DEVICE_KEY_RE, r"[\w-]+_[0-9a-f-]+", false);
rule!(
    EMAIL_ADDRESS,
    0,
    UNBOUNDED,
    EMAIL_ADDRESS_RE,
    r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+@[\p{L}\p{M}\p{S}\p{N}\p{P}]+",
    false
);
rule!(CONFIGURATION_SET, 1, 64, CONFIGURATION_SET_RE, r"^[a-zA-Z0-9_-]+$", false);
rule!(TAG_KEY, 1, 128, TAG_KEY_RE, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", false);
rule!(TAG_VALUE, 0, 256, TAG_VALUE_RE, r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$", false);
rule!(USER_CODE, 6, 6, DIGITS_RE, r"[0-9]+", true);
rule!(RELYING_PARTY_ID, 1, 127);
rule!(DEVICE_NAME, 1, 1024);
rule!(SNS_REGION, 5, 32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_values() {
        assert!(POOL_ID.matches("us-east-1_AbC123xyz"));
        assert!(!POOL_ID.matches("us-east-1_AbC123xyz!"));
        assert!(!POOL_NAME.matches("bad/name"));
        assert!(USERNAME.matches("ünïcödé@example.com"));
        assert!(!USERNAME.matches("has space"));
        assert!(EMAIL_MESSAGE.matches("Your code is {####}."));
        assert!(!EMAIL_MESSAGE.matches("No placeholder"));
        assert!(ARN.matches("arn:aws:lambda:us-east-1:123456789012:function:presignup"));
    }
}
