//! Atomic EIP-712 types and the lenient value coercions eth-account applies to them.

use ruint::aliases::U256;

use super::*;

/// The atomic types of eth-account's table (`uint`/`int` mean 256 bits, as eth-abi normalises them).
#[derive(Clone, Copy)]
pub(super) enum Atomic {
    Bool,
    Address,
    String,
    Bytes,
    FixedBytes(usize),
    Uint(usize),
    Int(usize),
}

impl fmt::Display for Atomic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Atomic::Bool => f.write_str("bool"),
            Atomic::Address => f.write_str("address"),
            Atomic::String => f.write_str("string"),
            Atomic::Bytes => f.write_str("bytes"),
            Atomic::FixedBytes(n) => write!(f, "bytes{n}"),
            Atomic::Uint(bits) => write!(f, "uint{bits}"),
            Atomic::Int(bits) => write!(f, "int{bits}"),
        }
    }
}

pub(super) fn parse_atomic(ty: &str) -> Option<Atomic> {
    // Sizes are spelled canonically in eth-account's table: no sign, no leading zero.
    let size = |prefix: &str| {
        let digits = ty.strip_prefix(prefix)?;
        let canonical = (1..=3).contains(&digits.len()) && !digits.starts_with('0');
        let n: usize = digits.parse().ok()?;
        (canonical && digits.bytes().all(|b| b.is_ascii_digit())).then_some(n)
    };
    let int_bits = |n: &usize| n % 8 == 0 && *n <= 256;
    match ty {
        "bool" => Some(Atomic::Bool),
        "address" => Some(Atomic::Address),
        "string" => Some(Atomic::String),
        "bytes" => Some(Atomic::Bytes),
        "uint" => Some(Atomic::Uint(256)),
        "int" => Some(Atomic::Int(256)),
        _ if ty.starts_with("uint") => size("uint").filter(int_bits).map(Atomic::Uint),
        _ if ty.starts_with("int") => size("int").filter(int_bits).map(Atomic::Int),
        _ => size("bytes")
            .filter(|n| (1..=32).contains(n))
            .map(Atomic::FixedBytes),
    }
}

/// The word eth-account (via eth-abi) produces for an atomic value, with its coercions:
/// bool takes Python truthiness (plus "False"/"false"/"0" as false); string takes str, int >= 0
/// or bool; bytes/bytesN take bytes, a 0x-hex or a text str, an int (negatives become 0) or bool;
/// intN/uintN take an int or a decimal/0x-hex str; address takes 40 hex digits (optional 0x/0X,
/// checksum not checked) or 20 raw bytes.
#[inline(never)] // keeps its locals out of the recursive frames
pub(super) fn encode_atomic(kind: Atomic, value: &TypedValue, path: &Path) -> SignResult<Word> {
    let mismatch = || err(path, format!("expected {kind}, got {}", describe(value)));
    let mut word = [0u8; 32];
    match (kind, value) {
        // A missing `string`/`bytes` is an all-zero word in eth-account, not keccak("").
        (Atomic::String | Atomic::Bytes, V::Null) => {}
        (_, V::Null) => bail!(path, "missing value for {kind}"),
        (Atomic::Bool, v) => word[31] = u8::from(truthy(v).ok_or_else(mismatch)?),
        (Atomic::Address, v) => copy_into(&mut word[12..], &address(v).ok_or_else(mismatch)?),
        (Atomic::String, V::Str(s)) => word = keccak256(s.as_bytes()),
        (Atomic::String, V::Bytes(_) | V::List(_) | V::Map(_)) => return Err(mismatch()),
        (Atomic::String, v) if is_negative(v) => return Err(mismatch()),
        (Atomic::String | Atomic::Bytes, v) => {
            word = keccak256(&coerce_bytes(v).ok_or_else(mismatch)?);
        }
        (Atomic::FixedBytes(n), v) => {
            let bytes = coerce_bytes(v).ok_or_else(mismatch)?;
            if bytes.len() > n {
                bail!(path, "{} bytes do not fit in {kind}", bytes.len());
            }
            copy_into(&mut word, &bytes);
        }
        (Atomic::Uint(bits) | Atomic::Int(bits), v) => {
            let (negative, magnitude) = match v {
                V::Int { magnitude, .. } => (is_negative(v), *magnitude),
                V::Str(s) => {
                    parse_int_str(s).map_err(|m| err(path, format!("{m}: {}", describe(v))))?
                }
                _ => return Err(mismatch()),
            };
            let signed = matches!(kind, Atomic::Int(_));
            // uintN holds [0, 2^N); intN holds [-2^(N-1), 2^(N-1)).
            let width = bits - usize::from(signed);
            let in_range = if negative {
                signed && magnitude.wrapping_sub(U256::from(1u8)).bit_len() <= width
            } else {
                magnitude.bit_len() <= width
            };
            if !in_range {
                bail!(
                    path,
                    "{}{magnitude} is out of range for {kind}",
                    sign(negative)
                );
            }
            // Two's complement over 256 bits is eth-abi's sign-extended encoding.
            let value = if negative {
                magnitude.wrapping_neg()
            } else {
                magnitude
            };
            word = value.to_be_bytes::<32>();
        }
    }
    Ok(word)
}

fn copy_into(dst: &mut [u8], src: &[u8]) {
    dst.iter_mut().zip(src).for_each(|(d, s)| *d = *s);
}

/// Python truthiness as eth-account applies it; `None` where Python raises (non-empty list/dict).
fn truthy(v: &TypedValue) -> Option<bool> {
    match v {
        V::Null => Some(false),
        V::Bool(b) => Some(*b),
        V::Int { magnitude, .. } => Some(!magnitude.is_zero()),
        V::Str(s) => Some(!matches!(s.as_str(), "" | "False" | "false" | "0")),
        V::Bytes(b) => Some(!b.is_empty()),
        V::List(items) => items.is_empty().then_some(false),
        V::Map(entries) => entries.is_empty().then_some(false),
    }
}

fn address(v: &TypedValue) -> Option<Vec<u8>> {
    match v {
        V::Str(s) => {
            let digits = s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .unwrap_or(s);
            (digits.len() == 40)
                .then(|| hex::decode(digits).ok())
                .flatten()
        }
        V::Bytes(b) if b.len() == 20 => Some(b.clone()),
        _ => None,
    }
}

fn is_negative(v: &TypedValue) -> bool {
    matches!(v, V::Int { negative: true, magnitude } if !magnitude.is_zero())
}

pub(super) fn sign(negative: bool) -> &'static str {
    if negative {
        "-"
    } else {
        ""
    }
}

/// Big-endian without leading zeros, at least one byte (eth-utils' int-to-bytes).
pub(super) fn minimal_be(n: &U256) -> Vec<u8> {
    let bytes = n.to_be_bytes::<32>();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(31);
    bytes.get(start..).unwrap_or_default().to_vec()
}

/// eth-utils' `is_hexstr` + `startswith("0x")`: the digits after a lowercase `0x`.
fn hex_digits(s: &str) -> Option<&str> {
    s.strip_prefix("0x")
        .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn coerce_bytes(v: &TypedValue) -> Option<Vec<u8>> {
    match v {
        V::Bytes(b) => Some(b.clone()),
        V::Str(s) => match hex_digits(s) {
            // Odd-length hex gets a leading zero nibble, as in eth-utils.
            Some(d) if d.len() % 2 == 1 => hex::decode(format!("0{d}")).ok(),
            Some(d) => hex::decode(d).ok(),
            None => Some(s.as_bytes().to_vec()),
        },
        V::Int { negative: true, .. } => Some(vec![0]),
        V::Int { magnitude, .. } => Some(minimal_be(magnitude)),
        V::Bool(b) => Some(vec![u8::from(*b)]),
        V::Null | V::List(_) | V::Map(_) => None,
    }
}

/// A 0x-hex str, or Python's `int(text)` syntax restricted to ASCII digits: surrounding
/// whitespace, an optional sign, single `_` between digits.
fn parse_int_str(s: &str) -> Result<(bool, U256), &'static str> {
    let (negative, digits, radix) = match hex_digits(s) {
        Some(d) => (false, d, 16),
        None => {
            let t = s.trim();
            let (negative, d) = match t.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, t.strip_prefix('+').unwrap_or(t)),
            };
            let well_formed = !d.starts_with('_')
                && !d.ends_with('_')
                && !d.contains("__")
                && d.bytes().all(|b| b.is_ascii_digit() || b == b'_')
                && d.bytes().filter(u8::is_ascii_digit).count() <= MAX_DECIMAL_DIGITS;
            (negative, if well_formed { d } else { "" }, 10)
        }
    };
    if digits.is_empty() {
        return Err("invalid integer literal");
    }
    let mut n = U256::ZERO;
    for d in digits.chars().filter_map(|c| c.to_digit(radix)) {
        n = n
            .checked_mul(U256::from(radix))
            .and_then(|n| n.checked_add(U256::from(d)))
            .ok_or("integer does not fit in 256 bits")?;
    }
    Ok((negative && !n.is_zero(), n))
}
