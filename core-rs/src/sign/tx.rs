//! Ethereum transactions: legacy (with or without EIP-155), EIP-2930 (type 1) and EIP-1559
//! (type 2). Builds the signing payload, encodes the signed transaction, and recovers the
//! sender of a raw one.

use ruint::aliases::U256;

use super::address::Address;
use super::ecdsa::{PrivateKey, Signature};
use super::error::{SignError, SignResult};
use super::keccak::{keccak256, keccak256_concat};
use super::rlp;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TxType {
    Legacy,
    AccessList,
    DynamicFee,
}

impl TxType {
    /// From the numeric `type` field. Blob (3) and set-code (4) transactions are named as such.
    pub fn from_number(n: &U256) -> SignResult<TxType> {
        let small = u8::try_from(*n)
            .map_err(|_| SignError::UnsupportedTransactionType(format!("{n:#x}")))?;
        match small {
            0 => Ok(TxType::Legacy),
            1 => Ok(TxType::AccessList),
            2 => Ok(TxType::DynamicFee),
            3 => Err(SignError::UnsupportedTransactionType(
                "3 (EIP-4844 blob)".into(),
            )),
            4 => Err(SignError::UnsupportedTransactionType(
                "4 (EIP-7702 set-code)".into(),
            )),
            other => Err(SignError::UnsupportedTransactionType(other.to_string())),
        }
    }

    fn prefix(self) -> Option<u8> {
        match self {
            TxType::Legacy => None,
            TxType::AccessList => Some(1),
            TxType::DynamicFee => Some(2),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessListItem {
    pub address: Address,
    pub storage_keys: Vec<[u8; 32]>,
}

/// The fields as a caller supplied them; `None` means absent. `TxRequest::new` validates the
/// combination, so every `TxRequest` is signable.
#[derive(Clone, Debug, Default)]
pub struct TxFields {
    pub tx_type: Option<U256>,
    pub chain_id: Option<U256>,
    pub nonce: Option<U256>,
    pub gas: Option<U256>,
    pub gas_price: Option<U256>,
    pub max_fee_per_gas: Option<U256>,
    pub max_priority_fee_per_gas: Option<U256>,
    pub to: Option<Address>,
    pub value: Option<U256>,
    pub data: Option<Vec<u8>>,
    pub access_list: Option<Vec<AccessListItem>>,
    pub from: Option<Address>,
}

/// A validated unsigned transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxRequest {
    pub tx_type: TxType,
    /// `None` only for a legacy transaction signed without replay protection.
    pub chain_id: Option<u64>,
    pub nonce: U256,
    pub gas: U256,
    /// gasPrice for types 0 and 1; unused for type 2.
    pub gas_price: U256,
    pub max_fee_per_gas: U256,
    pub max_priority_fee_per_gas: U256,
    /// `None` creates a contract.
    pub to: Option<Address>,
    pub value: U256,
    pub data: Vec<u8>,
    pub access_list: Vec<AccessListItem>,
    /// The sender the caller expects; checked against the signing key.
    pub from: Option<Address>,
}

fn missing(field: &str, kind: &str) -> SignError {
    SignError::InvalidTransaction(format!("{field}: required for a {kind} transaction"))
}

fn forbidden(field: &str, kind: &str, hint: &str) -> SignError {
    SignError::InvalidTransaction(format!(
        "{field}: not allowed in a {kind} transaction{hint}"
    ))
}

impl TxRequest {
    /// Validate a field set the way eth-account does: the type is the `type` field, else type 1
    /// when both gasPrice and accessList are given, else type 2 when an EIP-1559 fee is given,
    /// else legacy. Typed transactions default chainId to 0 as eth-account does.
    pub fn new(f: TxFields) -> SignResult<TxRequest> {
        let tx_type = match &f.tx_type {
            Some(n) => TxType::from_number(n)?,
            None if f.gas_price.is_some() && f.access_list.is_some() => TxType::AccessList,
            None if f.max_fee_per_gas.is_some() || f.max_priority_fee_per_gas.is_some() => {
                TxType::DynamicFee
            }
            None => TxType::Legacy,
        };
        let kind = match tx_type {
            TxType::Legacy => "legacy",
            TxType::AccessList => "type 1 (EIP-2930)",
            TxType::DynamicFee => "type 2 (EIP-1559)",
        };
        let chain_id = match f.chain_id {
            Some(c) => Some(u64::try_from(c).map_err(|_| {
                SignError::InvalidTransaction(format!(
                    "chainId: {c} exceeds the largest chain id 2**64-1"
                ))
            })?),
            None if tx_type == TxType::Legacy => None,
            None => Some(0),
        };
        let nonce = f.nonce.ok_or_else(|| missing("nonce", kind))?;
        let gas = f.gas.ok_or_else(|| missing("gas", kind))?;
        let (gas_price, max_fee, max_priority) = match tx_type {
            TxType::Legacy | TxType::AccessList => {
                let hint =
                    " (gasPrice and EIP-1559 fees are exclusive; use type 2 for maxFeePerGas)";
                if f.max_fee_per_gas.is_some() {
                    return Err(forbidden("maxFeePerGas", kind, hint));
                }
                if f.max_priority_fee_per_gas.is_some() {
                    return Err(forbidden("maxPriorityFeePerGas", kind, hint));
                }
                (
                    f.gas_price.ok_or_else(|| missing("gasPrice", kind))?,
                    U256::ZERO,
                    U256::ZERO,
                )
            }
            TxType::DynamicFee => {
                if f.gas_price.is_some() {
                    return Err(forbidden(
                        "gasPrice",
                        kind,
                        " (it cannot be given together with maxFeePerGas/maxPriorityFeePerGas)",
                    ));
                }
                (
                    U256::ZERO,
                    f.max_fee_per_gas
                        .ok_or_else(|| missing("maxFeePerGas", kind))?,
                    f.max_priority_fee_per_gas
                        .ok_or_else(|| missing("maxPriorityFeePerGas", kind))?,
                )
            }
        };
        if tx_type == TxType::Legacy && f.access_list.is_some() {
            return Err(forbidden(
                "accessList",
                kind,
                " (give a type or gasPrice with it for type 1)",
            ));
        }
        Ok(TxRequest {
            tx_type,
            chain_id,
            nonce,
            gas,
            gas_price,
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: max_priority,
            to: f.to,
            value: f.value.unwrap_or(U256::ZERO),
            data: f.data.unwrap_or_default(),
            access_list: f.access_list.unwrap_or_default(),
            from: f.from,
        })
    }

    /// The RLP payload of the unsigned fields (list items without the list header).
    fn unsigned_items(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 128 + self.access_list.len() * 64);
        let chain_id = U256::from(self.chain_id.unwrap_or(0));
        match self.tx_type {
            TxType::Legacy => {}
            TxType::AccessList | TxType::DynamicFee => rlp::put_uint(&mut out, &chain_id),
        }
        rlp::put_uint(&mut out, &self.nonce);
        match self.tx_type {
            TxType::Legacy | TxType::AccessList => rlp::put_uint(&mut out, &self.gas_price),
            TxType::DynamicFee => {
                rlp::put_uint(&mut out, &self.max_priority_fee_per_gas);
                rlp::put_uint(&mut out, &self.max_fee_per_gas);
            }
        }
        rlp::put_uint(&mut out, &self.gas);
        match &self.to {
            Some(a) => rlp::put_bytes(&mut out, &a.0),
            None => rlp::put_bytes(&mut out, &[]),
        }
        rlp::put_uint(&mut out, &self.value);
        rlp::put_bytes(&mut out, &self.data);
        if self.tx_type != TxType::Legacy {
            put_access_list(&mut out, &self.access_list);
        }
        out
    }

    /// The digest that is signed.
    pub fn signing_hash(&self) -> [u8; 32] {
        self.signing_hash_of(&self.unsigned_items())
    }

    fn signing_hash_of(&self, items: &[u8]) -> [u8; 32] {
        let mut list = Vec::with_capacity(items.len() + 16);
        match (self.tx_type.prefix(), self.chain_id) {
            (None, None) => rlp::put_list(&mut list, items),
            (None, Some(chain_id)) => {
                // EIP-155: sign over [..., chainId, 0, 0].
                let mut with_chain = Vec::with_capacity(items.len() + 12);
                with_chain.extend_from_slice(items);
                rlp::put_u64(&mut with_chain, chain_id);
                rlp::put_bytes(&mut with_chain, &[]);
                rlp::put_bytes(&mut with_chain, &[]);
                rlp::put_list(&mut list, &with_chain);
            }
            (Some(prefix), _) => {
                rlp::put_list(&mut list, items);
                return keccak256_concat(&[&[prefix], &list]);
            }
        }
        keccak256(&list)
    }

    /// Check the `from` field, if any, against the account that will sign.
    pub fn check_from(&self, signer: &Address) -> SignResult<()> {
        match &self.from {
            Some(from) if from != signer => Err(SignError::InvalidTransaction(format!(
                "from: {} is not the signing account {}",
                from.to_checksum(),
                signer.to_checksum()
            ))),
            _ => Ok(()),
        }
    }

    /// Sign with `key`. The caller has run `check_from` against the key's address.
    pub fn sign_unchecked(&self, key: &PrivateKey) -> SignedTx {
        let items = self.unsigned_items();
        let sig = key.sign_hash(&self.signing_hash_of(&items));
        let v = match (self.tx_type, self.chain_id) {
            (TxType::Legacy, None) => U256::from(27 + sig.y_parity),
            (TxType::Legacy, Some(c)) => {
                U256::from(c) * U256::from(2) + U256::from(35 + sig.y_parity)
            }
            _ => U256::from(sig.y_parity),
        };
        let mut payload = items;
        rlp::put_uint(&mut payload, &v);
        rlp::put_uint(&mut payload, &sig.r_uint());
        rlp::put_uint(&mut payload, &sig.s_uint());
        let mut raw = Vec::with_capacity(payload.len() + 10);
        if let Some(prefix) = self.tx_type.prefix() {
            raw.push(prefix);
        }
        rlp::put_list(&mut raw, &payload);
        let hash = keccak256(&raw);
        SignedTx {
            raw,
            hash,
            r: sig.r_uint(),
            s: sig.s_uint(),
            v,
        }
    }
}

fn put_access_list(out: &mut Vec<u8>, list: &[AccessListItem]) {
    let mut entries = Vec::with_capacity(list.len() * 60);
    for item in list {
        let mut keys = Vec::with_capacity(item.storage_keys.len() * 33);
        for key in &item.storage_keys {
            rlp::put_bytes(&mut keys, key);
        }
        let mut entry = Vec::with_capacity(keys.len() + 26);
        rlp::put_bytes(&mut entry, &item.address.0);
        rlp::put_list(&mut entry, &keys);
        rlp::put_list(&mut entries, &entry);
    }
    rlp::put_list(out, &entries);
}

/// A signed transaction: the bytes to send, their hash, and the signature as eth-account reports
/// it (v is 27/28, or chainId*2+35/36 for EIP-155 legacy, or the y parity for typed ones).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    pub raw: Vec<u8>,
    pub hash: [u8; 32],
    pub r: U256,
    pub s: U256,
    pub v: U256,
}

fn reencode(out: &mut Vec<u8>, item: &rlp::Item<'_>) {
    match item {
        rlp::Item::Bytes(b) => rlp::put_bytes(out, b),
        rlp::Item::List(items) => {
            let mut payload = Vec::new();
            for it in items {
                reencode(&mut payload, it);
            }
            rlp::put_list(out, &payload);
        }
    }
}

fn bad_raw(why: impl Into<String>) -> SignError {
    SignError::InvalidRawTransaction(why.into())
}

fn word(item: &rlp::Item<'_>, name: &str) -> SignResult<[u8; 32]> {
    Ok(item
        .as_uint()
        .map_err(|e| bad_raw(format!("{name}: {e}")))?
        .to_be_bytes())
}

/// The sender of a signed raw transaction (legacy, type 1 or type 2).
pub fn recover_sender(raw: &[u8]) -> SignResult<Address> {
    let (&first, _) = raw.split_first().ok_or_else(|| bad_raw("empty input"))?;
    let (prefix, body) = match first {
        0xc0..=0xff => (None, raw),
        1 | 2 => (Some(first), &raw[1..]),
        3 | 4 => {
            return Err(TxType::from_number(&U256::from(first))
                .err()
                .unwrap_or_else(|| bad_raw("type")))
        }
        other => return Err(bad_raw(format!("unknown leading byte {other:#04x}"))),
    };
    let decoded = rlp::decode(body).map_err(bad_raw)?;
    let items = decoded.as_list().map_err(bad_raw)?;
    let expected = match prefix {
        None => 9,
        Some(1) => 11,
        _ => 12,
    };
    if items.len() != expected {
        return Err(bad_raw(format!(
            "expected {expected} fields, found {}",
            items.len()
        )));
    }
    let (fields, sig) = items.split_at(expected - 3);
    let v = sig[0].as_uint().map_err(|e| bad_raw(format!("v: {e}")))?;
    let r = word(&sig[1], "r")?;
    let s = word(&sig[2], "s")?;
    let mut payload = Vec::new();
    for f in fields {
        reencode(&mut payload, f);
    }
    let (parity, digest) = match prefix {
        Some(p) => {
            if v > U256::from(1) {
                return Err(bad_raw(format!("y parity {v} is not 0 or 1")));
            }
            let mut list = Vec::new();
            rlp::put_list(&mut list, &payload);
            (v.to::<u8>(), keccak256_concat(&[&[p], &list]))
        }
        None if v == U256::from(27) || v == U256::from(28) => {
            let mut list = Vec::new();
            rlp::put_list(&mut list, &payload);
            (v.to::<u8>() - 27, keccak256(&list))
        }
        None if v >= U256::from(35) => {
            let offset = v - U256::from(35);
            let chain_id = offset / U256::from(2);
            rlp::put_uint(&mut payload, &chain_id);
            rlp::put_bytes(&mut payload, &[]);
            rlp::put_bytes(&mut payload, &[]);
            let mut list = Vec::new();
            rlp::put_list(&mut list, &payload);
            ((offset % U256::from(2)).to::<u8>(), keccak256(&list))
        }
        None => {
            return Err(bad_raw(format!(
                "legacy v {v} is neither 27/28 nor EIP-155"
            )))
        }
    };
    Signature {
        r,
        s,
        y_parity: parity,
    }
    .recover(&digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> PrivateKey {
        PrivateKey::from_bytes(&[0x46; 32]).unwrap()
    }

    fn addr(byte: u8) -> Address {
        Address([byte; 20])
    }

    fn u(v: u128) -> Option<U256> {
        Some(U256::from(v))
    }

    fn check(fields: TxFields, expected_raw: &str, expected_v: U256) {
        let tx = TxRequest::new(fields).unwrap();
        let signed = tx.sign_unchecked(&key());
        assert_eq!(hex::encode(&signed.raw), expected_raw);
        assert_eq!(signed.v, expected_v);
        assert_eq!(signed.hash, keccak256(&signed.raw));
        assert_eq!(recover_sender(&signed.raw).unwrap(), key().address());
    }

    /// The example in EIP-155 itself.
    #[test]
    fn eip155_vector() {
        let fields = TxFields {
            nonce: u(9),
            gas_price: u(20_000_000_000),
            gas: u(21000),
            to: Some(addr(0x35)),
            value: u(1_000_000_000_000_000_000),
            chain_id: u(1),
            ..TxFields::default()
        };
        let tx = TxRequest::new(fields.clone()).unwrap();
        assert_eq!(
            hex::encode(tx.signing_hash()),
            "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53"
        );
        check(
            fields,
            "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a0\
             28ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703\
             304b3800ccf555c9f3dc64214b297fb1966a3b6d83",
            U256::from(37),
        );
    }

    // The vectors below were produced by eth-account 0.14 (Account.sign_transaction) with the
    // key 0x4646...46; the Python differential tests cover the space at random.

    #[test]
    fn eip2930_vector() {
        let fields = TxFields {
            tx_type: u(1),
            chain_id: u(5),
            nonce: u(3),
            gas_price: u(1_000_000_000),
            gas: u(50000),
            to: Some(addr(0x35)),
            value: u(7),
            data: Some(vec![0xde, 0xad, 0xbe, 0xef]),
            access_list: Some(vec![AccessListItem {
                address: Address::parse("a", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").unwrap(),
                storage_keys: vec![[0; 32], U256::from(1).to_be_bytes()],
            }]),
            ..TxFields::default()
        };
        check(
            fields,
            "01f8c50503843b9aca0082c3509435353535353535353535353535353535353535350784deadbeeff85bf859945a\
             aeb6053f3e94c9b9a09f33669435e7ef1beaedf842a00000000000000000000000000000000000000000000000\
             000000000000000000a000000000000000000000000000000000000000000000000000000000000000010\
             1a096267828a52577e6f80b316776be3b896cec5ea74cec3936bd1756a872d511f6a038330e7c70a14db4a42\
             6b15e2585189f93a481d9097d388d649b8843f8edffdc",
            U256::from(1),
        );
    }

    #[test]
    fn eip1559_creation_with_extreme_values() {
        let fields = TxFields {
            tx_type: u(2),
            chain_id: u(u64::MAX as u128),
            nonce: u(0),
            max_fee_per_gas: Some(U256::MAX),
            max_priority_fee_per_gas: u(1),
            gas: u(100000),
            value: Some(U256::MAX),
            data: Some(vec![0xab; 60]),
            access_list: Some(vec![]),
            ..TxFields::default()
        };
        check(
            fields,
            "02f8d488ffffffffffffffff8001a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\
             ff830186a080a0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffb83cabababab\
             abababababababababababababababababababababababababababababababababababababababababababab\
             ababababababababababababc001a05f01244b0c7d49a72ca73d29dd7876dec601f8d4b949dc14c9ea510fe29\
             24d0ba004d6bcc5d8b81c12734cbd53eb3e23bafeb9c6c77c43eae8846dda819702a5b9",
            U256::from(1),
        );
    }

    #[test]
    fn legacy_without_chain_id_and_huge_chain_id() {
        let base = TxFields {
            gas_price: u(1),
            gas: u(21000),
            to: Some(addr(0x35)),
            value: u(0),
            ..TxFields::default()
        };
        check(
            TxFields { nonce: u(0), ..base.clone() },
            "f85f800182520894353535353535353535353535353535353535353580801ca081191cc4600d063004fbd43197\
             cabbbe0c505bd86ae75a4f56e68765a1d6ab49a05dc0da8cf05a65efea722a53d2e0c3a4eea4f5b010eb7cf2a\
             4d657c50d470d10",
            U256::from(28),
        );
        // v = chainId * 2 + 35 + parity exceeds 64 bits.
        check(
            TxFields { nonce: u(1), chain_id: u(u64::MAX as u128), ..base },
            "f8680101825208943535353535353535353535353535353535353535808089020000000000000022a058862d2e\
             bdd0548ab3687807eb49cccedd3e0ad359e1d2fb3a8bde0e70eb667aa022c061b9494a844351a077e19f95c24\
             1817f0a609d63d999691fdd3b6eaba381",
            U256::from(36893488147419103266u128),
        );
    }

    #[test]
    fn combination_rules() {
        let ok = TxFields {
            nonce: u(0),
            gas: u(1),
            ..TxFields::default()
        };
        let err = |f: TxFields| TxRequest::new(f).unwrap_err().to_string();
        // both fee kinds: the EIP-1559 fee makes it type 2, where gasPrice is the stray field
        assert!(err(TxFields {
            gas_price: u(1),
            max_fee_per_gas: u(1),
            ..ok.clone()
        })
        .starts_with("gasPrice:"));
        assert!(err(TxFields {
            tx_type: u(1),
            gas_price: u(1),
            max_fee_per_gas: u(1),
            ..ok.clone()
        })
        .starts_with("maxFeePerGas:"));
        assert!(err(TxFields {
            tx_type: u(2),
            gas_price: u(1),
            ..ok.clone()
        })
        .starts_with("gasPrice:"));
        assert!(err(TxFields {
            tx_type: u(3),
            ..ok.clone()
        })
        .contains("unsupported transaction type 3"));
        assert!(err(TxFields {
            chain_id: Some(U256::from(u64::MAX) + U256::from(1)),
            ..ok.clone()
        })
        .starts_with("chainId:"));
        assert!(err(TxFields {
            gas: None,
            gas_price: u(1),
            ..ok.clone()
        })
        .starts_with("gas:"));
        let inferred = TxRequest::new(TxFields {
            max_fee_per_gas: u(1),
            max_priority_fee_per_gas: u(1),
            ..ok.clone()
        });
        assert_eq!(inferred.unwrap().tx_type, TxType::DynamicFee);
        let inferred = TxRequest::new(TxFields {
            gas_price: u(1),
            access_list: Some(vec![]),
            ..ok
        });
        assert_eq!(inferred.unwrap().tx_type, TxType::AccessList);
    }

    proptest::proptest! {
        #[test]
        fn recover_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = recover_sender(&data);
        }

        #[test]
        fn sign_recover_roundtrip(nonce in 0u64.., value in proptest::array::uniform32(0u8..), data in proptest::collection::vec(0u8.., 0..100), kind in 0u8..3) {
            let fields = TxFields {
                tx_type: Some(U256::from(kind)),
                chain_id: u(1),
                nonce: Some(U256::from(nonce)),
                gas: u(21000),
                gas_price: if kind < 2 { u(7) } else { None },
                max_fee_per_gas: if kind == 2 { u(7) } else { None },
                max_priority_fee_per_gas: if kind == 2 { u(1) } else { None },
                value: Some(U256::from_be_bytes(value)),
                data: Some(data),
                ..TxFields::default()
            };
            let signed = TxRequest::new(fields).unwrap().sign_unchecked(&key());
            proptest::prop_assert_eq!(recover_sender(&signed.raw).unwrap(), key().address());
        }
    }
}
