//! Recursive Length Prefix encoding (Ethereum yellow paper, appendix B), and the decoding
//! `recover_transaction` needs.

use ruint::aliases::U256;

/// Append the header for a string (`offset` 0x80) or list (`offset` 0xc0) of `len` payload bytes.
fn put_header(out: &mut Vec<u8>, offset: u8, len: usize) {
    if len <= 55 {
        out.push(offset + len as u8);
    } else {
        let be = (len as u64).to_be_bytes();
        let skip = be.iter().take_while(|b| **b == 0).count();
        out.push(offset + 55 + (8 - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
}

/// Encode a byte string.
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() == 1 && bytes[0] < 0x80 {
        out.push(bytes[0]);
    } else {
        put_header(out, 0x80, bytes.len());
        out.extend_from_slice(bytes);
    }
}

/// Encode an unsigned integer as its minimal big-endian byte string (zero is the empty string).
pub fn put_uint(out: &mut Vec<u8>, value: &U256) {
    let be: [u8; 32] = value.to_be_bytes();
    let skip = be.iter().take_while(|b| **b == 0).count();
    put_bytes(out, &be[skip..]);
}

pub fn put_u64(out: &mut Vec<u8>, value: u64) {
    put_uint(out, &U256::from(value));
}

/// Wrap an already-encoded sequence of items as a list.
pub fn put_list(out: &mut Vec<u8>, payload: &[u8]) {
    put_header(out, 0xc0, payload.len());
    out.extend_from_slice(payload);
}

/// A decoded RLP item borrowing from the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    Bytes(&'a [u8]),
    List(Vec<Item<'a>>),
}

impl<'a> Item<'a> {
    pub fn as_bytes(&self) -> Result<&'a [u8], String> {
        match self {
            Item::Bytes(b) => Ok(b),
            Item::List(_) => Err("expected a string, found a list".into()),
        }
    }

    pub fn as_list(&self) -> Result<&[Item<'a>], String> {
        match self {
            Item::List(items) => Ok(items),
            Item::Bytes(_) => Err("expected a list, found a string".into()),
        }
    }

    /// An integer field: canonical (no leading zero byte) and at most 32 bytes.
    pub fn as_uint(&self) -> Result<U256, String> {
        let b = self.as_bytes()?;
        if b.len() > 32 {
            return Err(format!("integer of {} bytes exceeds 256 bits", b.len()));
        }
        if b.first() == Some(&0) {
            return Err("integer with a leading zero byte".into());
        }
        Ok(U256::from_be_slice(b))
    }
}

const MAX_DEPTH: usize = 16;

/// Decode exactly one item spanning the whole input.
pub fn decode(input: &[u8]) -> Result<Item<'_>, String> {
    let (item, rest) = decode_one(input, 0)?;
    if !rest.is_empty() {
        return Err(format!("{} trailing bytes after the RLP item", rest.len()));
    }
    Ok(item)
}

fn split(input: &[u8], at: usize) -> Result<(&[u8], &[u8]), String> {
    if input.len() < at {
        return Err(format!(
            "truncated: needs {} bytes, has {}",
            at,
            input.len()
        ));
    }
    Ok(input.split_at(at))
}

fn long_len(input: &[u8], len_of_len: usize) -> Result<(usize, &[u8]), String> {
    let (len_bytes, rest) = split(input, len_of_len)?;
    if len_bytes.first() == Some(&0) {
        return Err("non-canonical length with a leading zero".into());
    }
    if len_of_len > 8 {
        return Err("length does not fit in 64 bits".into());
    }
    let len = len_bytes
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
    if len <= 55 {
        return Err("non-canonical long form for a short payload".into());
    }
    let len = usize::try_from(len).map_err(|_| "length does not fit in memory".to_string())?;
    Ok((len, rest))
}

fn decode_one(input: &[u8], depth: usize) -> Result<(Item<'_>, &[u8]), String> {
    if depth > MAX_DEPTH {
        return Err("lists nested too deeply".into());
    }
    let (&prefix, rest) = input.split_first().ok_or("truncated: empty input")?;
    match prefix {
        0x00..=0x7f => Ok((Item::Bytes(&input[..1]), rest)),
        0x80..=0xb7 => {
            let (body, rest) = split(rest, usize::from(prefix - 0x80))?;
            if body.len() == 1 && body[0] < 0x80 {
                return Err("non-canonical single byte".into());
            }
            Ok((Item::Bytes(body), rest))
        }
        0xb8..=0xbf => {
            let (len, rest) = long_len(rest, usize::from(prefix - 0xb7))?;
            let (body, rest) = split(rest, len)?;
            Ok((Item::Bytes(body), rest))
        }
        0xc0..=0xf7 => {
            let (body, rest) = split(rest, usize::from(prefix - 0xc0))?;
            Ok((Item::List(decode_list(body, depth)?), rest))
        }
        0xf8..=0xff => {
            let (len, rest) = long_len(rest, usize::from(prefix - 0xf7))?;
            let (body, rest) = split(rest, len)?;
            Ok((Item::List(decode_list(body, depth)?), rest))
        }
    }
}

fn decode_list(mut body: &[u8], depth: usize) -> Result<Vec<Item<'_>>, String> {
    let mut items = Vec::new();
    while !body.is_empty() {
        let (item, rest) = decode_one(body, depth + 1)?;
        items.push(item);
        body = rest;
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc_bytes(b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put_bytes(&mut out, b);
        out
    }

    // Vectors from the Ethereum wiki's RLP page.
    #[test]
    fn known_vectors() {
        assert_eq!(enc_bytes(b"dog"), b"\x83dog");
        assert_eq!(enc_bytes(b""), vec![0x80]);
        assert_eq!(enc_bytes(&[0x0f]), vec![0x0f]);
        assert_eq!(enc_bytes(&[0x04, 0x00]), vec![0x82, 0x04, 0x00]);
        let mut zero = Vec::new();
        put_u64(&mut zero, 0);
        assert_eq!(zero, vec![0x80]);
        let mut n = Vec::new();
        put_u64(&mut n, 1024);
        assert_eq!(n, vec![0x82, 0x04, 0x00]);
        let lorem = b"Lorem ipsum dolor sit amet, consectetur adipisicing elit";
        let mut expect = vec![0xb8, 0x38];
        expect.extend_from_slice(lorem);
        assert_eq!(enc_bytes(lorem), expect);
        let mut payload = Vec::new();
        put_bytes(&mut payload, b"cat");
        put_bytes(&mut payload, b"dog");
        let mut list = Vec::new();
        put_list(&mut list, &payload);
        assert_eq!(list, b"\xc8\x83cat\x83dog");
        let mut empty = Vec::new();
        put_list(&mut empty, &[]);
        assert_eq!(empty, vec![0xc0]);
    }

    #[test]
    fn rejects_malformed() {
        assert!(decode(&[]).is_err());
        assert!(decode(&[0x83, b'd']).is_err());
        assert!(decode(&[0x81, 0x05]).is_err());
        assert!(decode(&[0xb8, 0x01, 0x00]).is_err());
        assert!(decode(&[0x80, 0x80]).is_err());
        assert!(decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).is_err());
        assert!(Item::Bytes(&[0, 1]).as_uint().is_err());
    }

    proptest::proptest! {
        #[test]
        fn bytes_roundtrip(data in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            let enc = enc_bytes(&data);
            proptest::prop_assert_eq!(decode(&enc).unwrap(), Item::Bytes(&data));
        }

        #[test]
        fn list_roundtrip(items in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..80), 0..10)) {
            let mut payload = Vec::new();
            for it in &items { put_bytes(&mut payload, it); }
            let mut enc = Vec::new();
            put_list(&mut enc, &payload);
            let decoded = decode(&enc).unwrap();
            let list = decoded.as_list().unwrap();
            proptest::prop_assert_eq!(list.len(), items.len());
            for (d, it) in list.iter().zip(&items) {
                proptest::prop_assert_eq!(d.as_bytes().unwrap(), it.as_slice());
            }
        }

        #[test]
        fn decode_never_panics(data in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = decode(&data);
        }
    }
}
