//! A flat encoding for the small records cognate seals (outbox text, sign-in state): each
//! field is `-` (absent) or `<byte length>:<bytes>`, one after another. Whatever a field holds
//! (newlines, colons, text a Lambda function returned) cannot break the record.

#[derive(Default)]
pub struct Writer(Vec<u8>);

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn opt(&mut self, field: Option<&str>) -> &mut Self {
        match field {
            None => self.0.push(b'-'),
            Some(text) => {
                self.0.extend_from_slice(format!("{}:", text.len()).as_bytes());
                self.0.extend_from_slice(text.as_bytes());
            }
        }
        self
    }

    pub fn str(&mut self, field: &str) -> &mut Self {
        self.opt(Some(field))
    }

    pub fn num(&mut self, n: u64) -> &mut Self {
        self.str(&n.to_string())
    }

    pub fn flag(&mut self, b: bool) -> &mut Self {
        self.str(if b { "1" } else { "0" })
    }

    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0)
    }
}

pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    /// The next field; `None` when the record is cut short or malformed.
    pub fn opt(&mut self) -> Option<Option<String>> {
        if let Some(rest) = self.0.strip_prefix(b"-") {
            self.0 = rest;
            return Some(None);
        }
        let colon = self.0.iter().position(|b| *b == b':')?;
        let len: usize = std::str::from_utf8(&self.0[..colon]).ok()?.parse().ok()?;
        let text = self.0.get(colon + 1..colon.checked_add(1 + len)?)?;
        let text = String::from_utf8(text.to_vec()).ok()?;
        self.0 = &self.0[colon + 1 + len..];
        Some(Some(text))
    }

    pub fn str(&mut self) -> Option<String> {
        self.opt()?
    }

    pub fn num(&mut self) -> Option<u64> {
        self.str()?.parse().ok()
    }

    pub fn flag(&mut self) -> Option<bool> {
        match self.str()?.as_str() {
            "1" => Some(true),
            "0" => Some(false),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_survive_whatever_they_hold() {
        let bytes = Writer::new().str("a:b\n-").opt(None).num(42).flag(true).str("").finish();
        let mut r = Reader::new(&bytes);
        assert_eq!(r.str().as_deref(), Some("a:b\n-"));
        assert_eq!(r.opt(), Some(None));
        assert_eq!(r.num(), Some(42));
        assert_eq!(r.flag(), Some(true));
        assert_eq!(r.str().as_deref(), Some(""));
        assert!(r.is_empty());
        assert_eq!(Reader::new(b"5:abc").str(), None, "cut short");
        assert_eq!(Reader::new(b"99999999999999999999999:x").str(), None, "absurd length");
    }
}
