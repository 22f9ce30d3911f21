//! 20-byte account addresses: derivation from a public key, EIP-55 checksums, parsing.

use super::error::{SignError, SignResult};
use super::keccak::keccak256;

#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Address(pub [u8; 20]);

impl Address {
    /// The address of an uncompressed public key `0x04 || x || y`: the last 20 bytes of keccak(x || y).
    pub fn from_uncompressed_pubkey(pubkey: &[u8; 65]) -> Address {
        let hash = keccak256(&pubkey[1..]);
        let mut out = [0u8; 20];
        out.copy_from_slice(&hash[12..]);
        Address(out)
    }

    /// EIP-55 mixed-case checksum form, `0x`-prefixed.
    pub fn to_checksum(&self) -> String {
        let lower = hex::encode(self.0);
        let hash = keccak256(lower.as_bytes());
        let mut out = String::with_capacity(42);
        out.push_str("0x");
        for (i, c) in lower.chars().enumerate() {
            let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
            out.push(if nibble >= 8 {
                c.to_ascii_uppercase()
            } else {
                c
            });
        }
        out
    }

    /// Parse a `0x`-prefixed hex address. All-lowercase and all-uppercase forms carry no checksum and
    /// are accepted; a mixed-case form must be a valid EIP-55 checksum (a typo must not send funds).
    pub fn parse(field: &str, text: &str) -> SignResult<Address> {
        let bad =
            |why: &str| SignError::InvalidTransaction(format!("{field}: {why}, got {text:?}"));
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .ok_or_else(|| bad("address must be 0x-prefixed hex"))?;
        if digits.len() != 40 {
            return Err(bad("address must be 20 bytes (40 hex digits)"));
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(digits, &mut out).map_err(|_| bad("address is not valid hex"))?;
        let addr = Address(out);
        let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
        let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
        if has_lower && has_upper && addr.to_checksum()[2..] != *digits {
            return Err(bad("address has an invalid EIP-55 checksum"));
        }
        Ok(addr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // EIP-55's own examples.
    const EIP55: [&str; 4] = [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ];

    #[test]
    fn checksum_roundtrip() {
        for s in EIP55 {
            let a = Address::parse("to", s).unwrap();
            assert_eq!(a.to_checksum(), s);
            assert_eq!(Address::parse("to", &s.to_lowercase()).unwrap(), a);
        }
    }

    #[test]
    fn rejects_bad_checksum_and_shapes() {
        let wrong = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD";
        let err = Address::parse("to", wrong).unwrap_err().to_string();
        assert!(err.contains("to:") && err.contains("checksum"), "{err}");
        assert!(Address::parse("to", "5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").is_err());
        assert!(Address::parse("to", "0x1234").is_err());
        assert!(Address::parse("to", "0xzzaeb6053F3E94C9b9A09f33669435E7Ef1BeAed").is_err());
    }
}
