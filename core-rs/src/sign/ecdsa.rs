//! secp256k1 ECDSA through libsecp256k1: RFC 6979 deterministic nonces, low-s signatures,
//! public-key recovery. Chosen over pure-Rust k256 because it signs faster (see benches/ecdsa.rs).

use ruint::aliases::U256;
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};
use zeroize::Zeroize;

use super::address::Address;
use super::error::{SignError, SignResult};

/// A private key. Its scalar is erased when the value is dropped, and it never prints.
pub struct PrivateKey {
    secret: SecretKey,
}

impl PrivateKey {
    /// From 32 big-endian bytes; rejects 0 and values >= the curve order.
    pub fn from_bytes(bytes: &[u8]) -> SignResult<PrivateKey> {
        let mut raw: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SignError::InvalidKey("a private key is exactly 32 bytes"))?;
        let secret = SecretKey::from_byte_array(raw);
        raw.zeroize();
        let secret = secret.map_err(|_| {
            SignError::InvalidKey("a private key must be between 1 and the secp256k1 order minus 1")
        })?;
        Ok(PrivateKey { secret })
    }

    /// From hex, with or without `0x`. The intermediate buffer is erased.
    pub fn from_hex(text: &str) -> SignResult<PrivateKey> {
        let digits = text.strip_prefix("0x").unwrap_or(text);
        if digits.len() != 64 {
            return Err(SignError::InvalidKey(
                "a hex private key is 64 hex digits (32 bytes)",
            ));
        }
        let mut raw = [0u8; 32];
        let parsed = hex::decode_to_slice(digits, &mut raw);
        let key = match parsed {
            Ok(()) => PrivateKey::from_bytes(&raw),
            Err(_) => Err(SignError::InvalidKey(
                "a hex private key must contain only hex digits",
            )),
        };
        raw.zeroize();
        key
    }

    pub fn address(&self) -> Address {
        let pubkey = PublicKey::from_secret_key_global(&self.secret);
        Address::from_uncompressed_pubkey(&pubkey.serialize_uncompressed())
    }

    /// Sign a 32-byte digest.
    pub fn sign_hash(&self, digest: &[u8; 32]) -> Signature {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(*digest), &self.secret);
        let (recid, compact) = sig.serialize_compact();
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&compact[..32]);
        s.copy_from_slice(&compact[32..]);
        Signature {
            r,
            s,
            y_parity: i32::from(recid) as u8,
        }
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.secret.non_secure_erase();
    }
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A recoverable signature: r and s as 32 big-endian bytes, and the parity of R's y coordinate.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    pub r: [u8; 32],
    pub s: [u8; 32],
    pub y_parity: u8,
}

impl Signature {
    pub fn r_uint(&self) -> U256 {
        U256::from_be_bytes(self.r)
    }

    pub fn s_uint(&self) -> U256 {
        U256::from_be_bytes(self.s)
    }

    /// `r || s || v` with v = 27 + parity, the form `personal_sign` and eth-account produce.
    pub fn to_rsv65(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[..32].copy_from_slice(&self.r);
        out[32..64].copy_from_slice(&self.s);
        out[64] = 27 + self.y_parity;
        out
    }

    /// The address that produced this signature over `digest`.
    pub fn recover(&self, digest: &[u8; 32]) -> SignResult<Address> {
        let recid = RecoveryId::try_from(i32::from(self.y_parity)).map_err(|_| {
            SignError::InvalidSignature(format!("y parity {} is not 0 or 1", self.y_parity))
        })?;
        let mut compact = [0u8; 64];
        compact[..32].copy_from_slice(&self.r);
        compact[32..].copy_from_slice(&self.s);
        let sig = RecoverableSignature::from_compact(&compact, recid).map_err(|_| {
            SignError::InvalidSignature("r or s is zero or not below the curve order".into())
        })?;
        let pubkey = SECP256K1
            .recover_ecdsa(Message::from_digest(*digest), &sig)
            .map_err(|_| {
                SignError::InvalidSignature("no public key recovers from this signature".into())
            })?;
        Ok(Address::from_uncompressed_pubkey(
            &pubkey.serialize_uncompressed(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_one_has_known_address() {
        let mut one = [0u8; 32];
        one[31] = 1;
        let key = PrivateKey::from_bytes(&one).unwrap();
        assert_eq!(
            key.address().to_checksum(),
            "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
        );
    }

    #[test]
    fn rejects_out_of_range_keys() {
        assert!(PrivateKey::from_bytes(&[0u8; 32]).is_err());
        assert!(PrivateKey::from_bytes(&[0xffu8; 32]).is_err());
        assert!(PrivateKey::from_bytes(&[1u8; 31]).is_err());
        assert!(PrivateKey::from_hex("0x12").is_err());
        assert!(PrivateKey::from_hex(&"g".repeat(64)).is_err());
        let order_minus_one = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";
        assert!(PrivateKey::from_hex(order_minus_one).is_ok());
        let order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
        assert!(PrivateKey::from_hex(order).is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = PrivateKey::from_hex(&"11".repeat(32)).unwrap();
        assert_eq!(format!("{key:?}"), "PrivateKey(<redacted>)");
    }

    proptest::proptest! {
        #[test]
        fn sign_then_recover(seed in proptest::array::uniform32(1u8..), digest in proptest::array::uniform32(0u8..)) {
            let key = PrivateKey::from_bytes(&seed).unwrap();
            let sig = key.sign_hash(&digest);
            // low-s: s <= n/2
            let half_n = U256::from_str_radix("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", 16).unwrap();
            proptest::prop_assert!(sig.s_uint() <= half_n);
            proptest::prop_assert_eq!(sig.recover(&digest).unwrap(), key.address());
        }
    }
}
