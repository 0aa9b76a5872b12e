//! Sealing secrets that must not be readable from the database alone (SRP verifiers), with
//! AES-256-GCM under a key kept beside the database, not in it. A stolen database without
//! the key gives no verifier to attack offline.

use std::path::Path;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use cognate_core::ports::{Cpu, Sealer};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::hmac;

const PREFIX: &str = "v1.";

pub struct KeySealer {
    aead: LessSafeKey,
    mac: hmac::Key,
}

impl KeySealer {
    pub fn new(key: &[u8; 32]) -> Self {
        let unbound = UnboundKey::new(&AES_256_GCM, key).expect("AES-256 takes a 32-byte key");
        // The fingerprint key is derived, so one secret is all an operator keeps.
        let mac_key = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), b"cognate fingerprint key");
        Self { aead: LessSafeKey::new(unbound), mac: hmac::Key::new(hmac::HMAC_SHA256, mac_key.as_ref()) }
    }

    /// Reads the key file, creating it (mode 0600) with a fresh random key the first time.
    pub fn from_file(path: &Path) -> std::io::Result<Self> {
        let key = match std::fs::read_to_string(path) {
            Ok(text) => decode_key(text.trim()).ok_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidData, "the key file must hold 32 bytes in base64")
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).map_err(std::io::Error::other)?;
                write_private(path, &format!("{}\n", STANDARD_NO_PAD.encode(key)))?;
                key
            }
            Err(e) => return Err(e),
        };
        Ok(Self::new(&key))
    }

    /// A key that lives as long as the process (in-memory databases).
    pub fn ephemeral() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system's random number generator failed");
        Self::new(&key)
    }
}

pub fn decode_key(text: &str) -> Option<[u8; 32]> {
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(text).ok().or_else(|| STANDARD_NO_PAD.decode(text).ok())?;
    bytes.try_into().ok()
}

fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

impl Sealer for KeySealer {
    fn seal(&self, plain: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).expect("the operating system's random number generator failed");
        let mut buf = plain.to_vec();
        self.aead
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .expect("sealing a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        format!("{PREFIX}{}", STANDARD_NO_PAD.encode(out))
    }

    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let raw = STANDARD_NO_PAD.decode(sealed.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < NONCE_LEN {
            return None;
        }
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = body.to_vec();
        let plain = self.aead.open_in_place(nonce, Aad::empty(), &mut buf).ok()?;
        Some(plain.to_vec())
    }

    fn fingerprint(&self, data: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.mac, data);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }
}

/// Runs big-number work on tokio's blocking pool.
pub struct BlockingCpu;

#[async_trait::async_trait]
impl Cpu for BlockingCpu {
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>) {
        // A panicking job leaves its result slot empty; the flow reports an internal error.
        let _ = tokio::task::spawn_blocking(job).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let a = KeySealer::new(&[1; 32]);
        let b = KeySealer::new(&[2; 32]);
        let sealed = a.seal(b"salt:verifier");
        assert!(sealed.starts_with("v1."));
        assert_ne!(a.seal(b"salt:verifier"), sealed, "a fresh nonce every time");
        assert_eq!(a.open(&sealed).as_deref(), Some(&b"salt:verifier"[..]));
        assert_eq!(b.open(&sealed), None);
        // One character of the ciphertext changed (to a different one, whatever it was).
        let mut chars: Vec<char> = sealed.chars().collect();
        let middle = chars.len() / 2;
        chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        assert_eq!(a.open(&tampered), None);
        assert_eq!(a.open("plain:x"), None);
        assert_eq!(a.fingerprint(b"x"), a.fingerprint(b"x"));
        assert_ne!(a.fingerprint(b"x"), b.fingerprint(b"x"));
    }

    #[test]
    fn the_key_file_is_created_once_and_reused() {
        let dir = std::env::temp_dir().join(format!("cognate-sealing-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("secrets.key");
        let _ = std::fs::remove_file(&path);
        let first = KeySealer::from_file(&path).unwrap();
        let sealed = first.seal(b"v");
        let second = KeySealer::from_file(&path).unwrap();
        assert_eq!(second.open(&sealed).as_deref(), Some(&b"v"[..]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
