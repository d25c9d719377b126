//! Account rules: e-mail addresses, the password policy, roles, single-use tokens, safe
//! redirect targets.

use std::fmt;
use std::sync::OnceLock;

use chrono::TimeDelta;
use sha2::{Digest, Sha256};
use validator::ValidateEmail;

/// Shortest accepted password, in bytes.
pub const PASSWORD_MIN_BYTES: usize = 12;
/// Longest accepted password, in bytes: bcrypt ignores everything after the 72nd byte, so a
/// longer one is refused rather than silently cut.
pub const PASSWORD_MAX_BYTES: usize = 72;
/// Longest accepted e-mail address (RFC 5321's path limit).
pub const EMAIL_MAX_CHARS: usize = 254;
/// The window failed logins are counted in, in minutes.
pub const LOGIN_WINDOW_MINUTES: i64 = 15;

/// Passwords people pick most: Django's list of 19,640 (from Royce Williams' breach corpus),
/// lower-cased, sorted by bytes, one a line.
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

fn common_passwords() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| COMMON_PASSWORDS.lines().collect())
}

/// Whether `password` is on the common list, ignoring case.
pub fn is_common_password(password: &str) -> bool {
    common_passwords()
        .binary_search(&password.to_lowercase().as_str())
        .is_ok()
}

/// A normalised e-mail address: trimmed, lower-cased, syntactically valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Parses what a person typed into an e-mail field.
    pub fn parse(input: &str) -> Result<Email, &'static str> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err("Enter your e-mail address.");
        }
        if email.chars().count() > EMAIL_MAX_CHARS {
            return Err("That e-mail address is too long.");
        }
        if email.chars().any(char::is_control) || !email.validate_email() {
            return Err("Enter a valid e-mail address, like name@example.com.");
        }
        Ok(Email(email))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password against the policy; the message says how to fix it.
///
/// 12 to 72 bytes, not the e-mail address, not a common password (nor one with only digits
/// or symbols added), and more than four different characters.
pub fn check_new_password(password: &str, email: Option<&Email>) -> Result<(), &'static str> {
    if password.len() < PASSWORD_MIN_BYTES {
        return Err("Use at least 12 characters.");
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err("Use at most 72 bytes (72 plain letters, fewer with accents or other scripts): longer passwords are refused, not cut short.");
    }
    if let Some(email) = email {
        let lower = password.to_lowercase();
        let local = email.as_str().split('@').next().unwrap_or("");
        if lower == email.as_str() || lower == local {
            return Err("Your password must not be your e-mail address.");
        }
    }
    let stem = password.trim_end_matches(|c: char| !c.is_alphabetic());
    if is_common_password(password) || (stem.chars().count() >= 4 && is_common_password(stem)) {
        return Err("That password is too common. Try a few unrelated words instead.");
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err("That password repeats too few characters. Try a few unrelated words instead.");
    }
    Ok(())
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Shops, orders, reviews.
    Customer,
    /// Also runs the shop.
    Admin,
}

impl Role {
    /// The value stored in `users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Admin => "admin",
        }
    }

    /// Reads a stored or submitted role.
    pub fn parse(value: &str) -> Option<Role> {
        [Role::Customer, Role::Admin]
            .into_iter()
            .find(|r| r.as_str() == value)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a mailed token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPurpose {
    /// Confirms the e-mail address; valid 24 hours.
    Verify,
    /// Sets a new password; valid 1 hour.
    Reset,
}

impl TokenPurpose {
    /// The value stored in `email_tokens.purpose`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::Verify => "verify",
            TokenPurpose::Reset => "reset",
        }
    }

    /// How long a token stays valid.
    pub fn lifetime(self) -> TimeDelta {
        match self {
            TokenPurpose::Verify => TimeDelta::hours(24),
            TokenPurpose::Reset => TimeDelta::hours(1),
        }
    }
}

/// A fresh single-use token: the text mailed to the user and the hash kept in the database.
pub struct IssuedToken {
    /// 32 random bytes as hex: goes into the link, never into the database.
    pub token: String,
    /// SHA-256 of `token`, as hex: what the database keeps.
    pub hash: String,
}

/// 32 random bytes as lower-case hex, from the OS-seeded CSPRNG.
pub fn random_token() -> String {
    use rand::Rng;
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes[..]);
    hex(&bytes)
}

/// Issues a token for a mailed link.
pub fn issue_token() -> IssuedToken {
    let token = random_token();
    let hash = hash_token(&token);
    IssuedToken { token, hash }
}

/// SHA-256 of `token`, as hex.
pub fn hash_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Lower-case hexadecimal, two digits a byte.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compares two secrets in time that depends only on their length.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `next` if it is a path on this site (`/orders?page=2`), never another site
/// (`//evil.example`, `https://…`, `/\evil.example`) or something odd.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2000
        && !next
            .chars()
            .any(|c| c.is_control() || c == '\\' || c.is_whitespace());
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        assert_eq!(email("  Ada@Example.COM ").as_str(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "a b@example.com",
            "ada@example.com\n<x>",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(Email::parse(&long).is_err());
    }

    #[test]
    fn password_policy() {
        let ada = email("ada.lovelace@example.com");
        assert!(check_new_password("correct horse battery", Some(&ada)).is_ok());
        assert!(check_new_password("short", None).is_err());
        let seventy_two = "violet tractor moonlight".repeat(3);
        assert_eq!(seventy_two.len(), 72);
        assert!(
            check_new_password(&seventy_two, None).is_ok(),
            "72 bytes is fine"
        );
        assert!(
            check_new_password(&format!("{seventy_two}z"), None).is_err(),
            "73 is not"
        );
        assert!(
            check_new_password(&"é".repeat(37), None).is_err(),
            "74 bytes in 37 characters"
        );
        assert!(check_new_password("ada.lovelace@example.com", Some(&ada)).is_err());
        assert!(check_new_password("ADA.LOVELACE@EXAMPLE.COM", Some(&ada)).is_err());
        assert!(check_new_password("qwertyuiop123", None).is_err(), "common");
        assert!(
            check_new_password("QWERTYUIOP123", None).is_err(),
            "common, any case"
        );
        assert!(
            check_new_password("Password1234", None).is_err(),
            "common stem with digits"
        );
        assert!(check_new_password("iloveyou!!!!!!", None).is_err());
        assert!(
            check_new_password("aaaaaaaaaaaaaaaa", None).is_err(),
            "too few characters"
        );
        assert!(check_new_password("abababababab", None).is_err());
    }

    #[test]
    fn the_common_list_is_long_sorted_and_searchable() {
        let list = common_passwords();
        assert!(list.len() >= 1000);
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "sorted for binary search"
        );
        assert!(is_common_password("PASSWORD"));
        assert!(is_common_password("1qaz2wsx3edc"));
        assert!(!is_common_password("violet tractor moonlight"));
    }

    #[test]
    fn tokens_are_random_and_only_their_hash_is_kept() {
        let a = issue_token();
        let b = issue_token();
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 64);
        assert_eq!(a.hash, hash_token(&a.token));
        assert_ne!(a.hash, a.token);
        assert!(constant_time_eq(&a.hash, &hash_token(&a.token)));
        assert!(!constant_time_eq(&a.hash, &b.hash));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn next_stays_on_the_site() {
        assert_eq!(safe_next("/orders"), Some("/orders"));
        assert_eq!(
            safe_next("/products?q=tea&page=2"),
            Some("/products?q=tea&page=2")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "http:/x",
            "/\\evil.example",
            "evil",
            "",
            "/a\nb",
            "/a b",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
