//! EIP-712 typed-data hashing, byte-identical to eth-account 0.14's
//! `encode_typed_data(full_message=...)` followed by its EIP-191 digest.
//!
//! eth-account quirks mirrored on purpose, so a digest never differs from the Python path:
//! - the domain is always hashed with the canonical fields and types (`name`, `version`,
//!   `chainId`, `verifyingContract`, `salt`: those present, in that order); a given
//!   `types.EIP712Domain` only has to list the same field names;
//! - the primary type is derived (the one struct no other struct references) and a given
//!   `primaryType` must equal it;
//! - its lenient value coercions (see `encode_atomic`) and zero words for a missing struct,
//!   `string` or `bytes` field.
//!
//! Deliberately stricter: fixed array lengths are enforced, array suffixes must be `[]` or `[N]`,
//! struct names may not shadow atomic types or contain brackets, decimal strings need ASCII digits.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

use ruint::aliases::U256;

use super::error::{SignError, SignResult};
use super::keccak::{keccak256, keccak256_concat};
use TypedValue as V;

/// A value as it arrives from Python (dict/list/str/int/bytes/bool/None), before the EIP-712 type is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    Null,
    Bool(bool),
    /// A Python int; negative when `negative` is true. Magnitudes >= 2**256 are rejected before this point.
    Int {
        negative: bool,
        magnitude: U256,
    },
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<TypedValue>),
    /// A dict, keys in insertion order.
    Map(Vec<(String, TypedValue)>),
}

/// Struct/array nesting allowed in values and array dimensions in types; bounds recursion.
const MAX_DEPTH: usize = 64;
/// CPython's default `int()` limit on decimal digits (`sys.get_int_max_str_digits()`).
const MAX_DECIMAL_DIGITS: usize = 4300;
/// eth-account's fixed `EIP712Domain` layout; only the keys present in `domain` are used.
const DOMAIN_FIELDS: [(&str, Atomic); 5] = [
    ("name", Atomic::String),
    ("version", Atomic::String),
    ("chainId", Atomic::Uint(256)),
    ("verifyingContract", Atomic::Address),
    ("salt", Atomic::FixedBytes(32)),
];
static NULL: TypedValue = V::Null;

type Word = [u8; 32];

/// `return Err(InvalidTypedData("{path}: {message}"))`.
macro_rules! bail {
    ($path:expr, $($msg:tt)+) => {
        return Err(err($path, format!($($msg)+)))
    };
}

/// keccak256(0x19 0x01 || domainSeparator || hashStruct(primaryType, message)) for a full EIP-712 message
/// (`{"types": ..., "primaryType": ..., "domain": ..., "message": ...}`), exactly as eth-account computes it.
pub fn hash_typed_data(full_message: &TypedValue) -> SignResult<[u8; 32]> {
    let (domain, message) = typed_data_parts(full_message)?;
    Ok(keccak256_concat(&[&[0x19, 0x01], &domain, &message]))
}

/// The two 32-byte halves too, for callers that want them (domain separator, message hash).
pub fn typed_data_parts(full_message: &TypedValue) -> SignResult<([u8; 32], [u8; 32])> {
    let root = Path::Root("full_message");
    let top = expect_map(full_message, &root)?;
    let field = |key| get(top, key).ok_or_else(|| err(&root, format!("missing key `{key}`")));
    let types = expect_map(field("types")?, &Path::Root("types"))?;
    let domain = expect_map(field("domain")?, &Path::Root("domain"))?;
    let message = field("message")?;

    if let Some(declared) = get(types, "EIP712Domain") {
        check_domain_names(declared, domain)?;
    }
    let domain_separator = hash_domain(domain)?;

    let enc = Encoder::new(types)?;
    let primary = enc.primary_type()?;
    let given_path = Path::Root("primaryType");
    match get(top, "primaryType") {
        Some(V::Str(given)) if given != primary => {
            bail!(
                &given_path,
                "`{given}` is not the derived primary type `{primary}`"
            )
        }
        Some(V::Str(_)) | None => {}
        Some(other) => bail!(&given_path, "expected a str, got {}", describe(other)),
    }
    enc.validate_reachable(primary)?;
    let message_hash = enc.hash_struct(primary, message, &Path::Root("message"), 1)?;
    Ok((domain_separator, message_hash))
}

/// Where an error is, e.g. `message.wallets[1].name`; built on the stack, formatted only on error.
enum Path<'p> {
    Root(&'p str),
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Collect the chain iteratively (no recursion on deep paths), then print from the root.
        let mut chain = vec![self];
        while let Some(Path::Key(parent, _) | Path::Index(parent, _)) = chain.last() {
            chain.push(parent);
        }
        for segment in chain.iter().rev() {
            match segment {
                Path::Root(name) => f.write_str(name)?,
                Path::Key(_, key) => write!(f, ".{key}")?,
                Path::Index(_, i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cold]
fn err(path: &Path, msg: impl fmt::Display) -> SignError {
    SignError::InvalidTypedData(format!("{path}: {msg}"))
}

/// A short, bounded rendering of a value for error messages.
fn describe(v: &TypedValue) -> String {
    match v {
        V::Null => "None".into(),
        V::Bool(b) => if *b { "True" } else { "False" }.into(),
        V::Int {
            negative,
            magnitude,
        } => format!("int {}{magnitude}", sign(*negative)),
        V::Str(s) => {
            let head: String = s.chars().take(42).collect();
            let more = if head.len() < s.len() { "..." } else { "" };
            format!("str {head:?}{more}")
        }
        V::Bytes(b) => format!("{} bytes", b.len()),
        V::List(items) => format!("a list of {} items", items.len()),
        V::Map(_) => "a dict".into(),
    }
}

type Entries = [(String, TypedValue)];

fn expect_map<'v>(v: &'v TypedValue, path: &Path) -> SignResult<&'v Entries> {
    match v {
        V::Map(entries) => Ok(entries),
        other => bail!(path, "expected a dict, got {}", describe(other)),
    }
}

/// Dict lookup; the last duplicate wins, as when Python builds a dict.
fn get<'v>(entries: &'v Entries, key: &str) -> Option<&'v TypedValue> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn str_entry<'v>(entries: &'v Entries, key: &str, path: &Path) -> SignResult<&'v str> {
    match get(entries, key) {
        Some(V::Str(s)) => Ok(s),
        Some(other) => bail!(path, "`{key}` must be a str, got {}", describe(other)),
        None => bail!(path, "missing key `{key}`"),
    }
}

/// The entries of a `[{"name": ..., "type": ...}, ...]` field list, each with its `name`.
fn field_list<'v>(def: &'v TypedValue, path: &Path) -> SignResult<Vec<(&'v str, &'v Entries)>> {
    let V::List(items) = def else {
        bail!(path, "expected a list of fields, got {}", describe(def));
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_path = Path::Index(path, i);
        let entries = expect_map(item, &item_path)?;
        out.push((str_entry(entries, "name", &item_path)?, entries));
    }
    Ok(out)
}

/// eth-account ignores the declared domain field types; it only requires the same set of names.
fn check_domain_names(declared: &TypedValue, domain: &Entries) -> SignResult<()> {
    let path = Path::Key(&Path::Root("types"), "EIP712Domain");
    let names: BTreeSet<&str> = field_list(declared, &path)?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let keys: BTreeSet<&str> = domain.iter().map(|(k, _)| k.as_str()).collect();
    if names != keys {
        bail!(&path, "fields {names:?} do not match domain keys {keys:?}");
    }
    Ok(())
}

fn hash_domain(domain: &Entries) -> SignResult<Word> {
    let path = Path::Root("domain");
    if let Some((key, _)) = domain
        .iter()
        .find(|(k, _)| DOMAIN_FIELDS.iter().all(|(n, _)| n != k))
    {
        let msg = "invalid domain key (expected name, version, chainId, verifyingContract or salt)";
        return Err(err(&Path::Key(&path, key), msg));
    }
    let present: Vec<(&str, Atomic, &TypedValue)> = DOMAIN_FIELDS
        .iter()
        .filter_map(|&(name, kind)| get(domain, name).map(|v| (name, kind, v)))
        .collect();
    let members: Vec<String> = present.iter().map(|(n, k, _)| format!("{k} {n}")).collect();
    let mut words = keccak256(format!("EIP712Domain({})", members.join(",")).as_bytes()).to_vec();
    for (name, kind, value) in present {
        words.extend_from_slice(&encode_atomic(kind, value, &Path::Key(&path, name))?);
    }
    Ok(keccak256(&words))
}

struct Field<'a> {
    name: &'a str,
    ty: &'a str,
}

/// The struct definitions of `types` (without `EIP712Domain`) and a cache of their type hashes.
struct Encoder<'a> {
    structs: HashMap<&'a str, Vec<Field<'a>>>,
    type_hashes: RefCell<HashMap<&'a str, Word>>,
}

impl<'a> Encoder<'a> {
    fn new(types: &'a Entries) -> SignResult<Self> {
        let mut structs = HashMap::new();
        for (struct_name, def) in types.iter().filter(|(n, _)| n != "EIP712Domain") {
            let path = Path::Key(&Path::Root("types"), struct_name);
            if parse_atomic(struct_name).is_some() || struct_name.contains(['[', ']']) {
                bail!(
                    &path,
                    "struct names may not be atomic types or contain brackets"
                );
            }
            let mut fields = Vec::new();
            for (i, (name, entries)) in field_list(def, &path)?.into_iter().enumerate() {
                let ty = str_entry(entries, "type", &Path::Index(&path, i))?;
                fields.push(Field { name, ty });
            }
            structs.insert(struct_name.as_str(), fields);
        }
        Ok(Self {
            structs,
            type_hashes: RefCell::default(),
        })
    }

    fn fields(&self, name: &str) -> &[Field<'a>] {
        self.structs.get(name).map_or(&[], Vec::as_slice)
    }

    /// eth-account's rule: exactly one struct is not referenced by another (self-references don't count).
    fn primary_type(&self) -> SignResult<&'a str> {
        let mut referenced = HashSet::new();
        for (&name, fields) in &self.structs {
            for f in fields {
                let path = Path::Key(&Path::Key(&Path::Root("types"), name), f.name);
                let core = core_type(f.ty).ok_or_else(|| err(&path, "malformed type"))?;
                if core != name && self.structs.contains_key(core) {
                    referenced.insert(core);
                }
            }
        }
        let mut roots: Vec<&str> = self
            .structs
            .keys()
            .copied()
            .filter(|n| !referenced.contains(n))
            .collect();
        roots.sort_unstable();
        match roots.as_slice() {
            [only] => Ok(only),
            _ => {
                let msg =
                    format!("unable to determine primary type: unreferenced structs {roots:?}");
                Err(err(&Path::Root("types"), msg))
            }
        }
    }

    /// Check every field type reachable from the primary type, as eth-account does when it
    /// collects the type's dependencies (unreachable definitions are never looked at).
    fn validate_reachable(&self, primary: &'a str) -> SignResult<()> {
        let mut seen = HashSet::from([primary]);
        let mut stack = vec![primary];
        while let Some(name) = stack.pop() {
            for f in self.fields(name) {
                let path = Path::Key(&Path::Key(&Path::Root("types"), name), f.name);
                let (core, dims) = split_dims(f.ty).map_err(|m| err(&path, m))?;
                if dims > MAX_DEPTH {
                    bail!(&path, "more than {MAX_DEPTH} array dimensions");
                }
                if self.structs.contains_key(core) {
                    if seen.insert(core) {
                        stack.push(core);
                    }
                } else if parse_atomic(core).is_none() {
                    bail!(&path, "no definition of type `{core}`");
                }
            }
        }
        Ok(())
    }

    /// `Name(type name,...)` followed by every struct it depends on, sorted by name.
    fn encode_type(&self, name: &'a str) -> String {
        let mut deps = BTreeSet::new();
        let mut stack = vec![name];
        while let Some(current) = stack.pop() {
            for f in self.fields(current) {
                let core = core_type(f.ty).unwrap_or(f.ty);
                if core != name && self.structs.contains_key(core) && deps.insert(core) {
                    stack.push(core);
                }
            }
        }
        let mut out = String::new();
        for t in std::iter::once(name).chain(deps) {
            let members: Vec<String> = self
                .fields(t)
                .iter()
                .map(|f| format!("{} {}", f.ty, f.name))
                .collect();
            out.push_str(&format!("{t}({})", members.join(",")));
        }
        out
    }

    #[inline(never)] // keeps hashing/formatting state out of the recursive frames
    fn type_hash(&self, name: &'a str) -> Word {
        let cached = self.type_hashes.borrow().get(name).copied();
        cached.unwrap_or_else(|| {
            let hash = keccak256(self.encode_type(name).as_bytes());
            self.type_hashes.borrow_mut().insert(name, hash);
            hash
        })
    }

    fn hash_struct(&self, name: &'a str, value: &V, path: &Path, depth: usize) -> SignResult<Word> {
        if depth > MAX_DEPTH {
            bail!(path, "nested deeper than {MAX_DEPTH} levels");
        }
        let fields = self.fields(name);
        // eth-account only reads the dict when it needs a field, so a field-less struct takes anything.
        let entries: &Entries = match value {
            V::Map(entries) => entries,
            _ if fields.is_empty() => &[],
            other => bail!(path, "expected struct `{name}`, got {}", describe(other)),
        };
        let mut words = Vec::with_capacity(32 * (fields.len() + 1));
        words.extend_from_slice(&self.type_hash(name));
        for f in fields {
            let v = get(entries, f.name).unwrap_or(&NULL);
            let word = self.encode_field(f.ty, v, &Path::Key(path, f.name), depth)?;
            words.extend_from_slice(&word);
        }
        Ok(hash_words(&words))
    }

    /// The 32-byte word for a value of type `ty` inside a struct or array at nesting level `depth`.
    fn encode_field(&self, ty: &'a str, value: &V, path: &Path, depth: usize) -> SignResult<Word> {
        if self.structs.contains_key(ty) {
            return match value {
                V::Null => Ok([0; 32]),
                v => self.hash_struct(ty, v, path, depth + 1),
            };
        }
        let Some((element_ty, len)) = split_last_dim(ty) else {
            let kind = parse_atomic(ty).ok_or_else(|| err(path, format!("unknown type `{ty}`")))?;
            return encode_atomic(kind, value, path);
        };
        let items = match value {
            V::List(items) => items,
            V::Null => bail!(path, "missing value for {ty}"),
            other => {
                bail!(path, "expected {ty} (a list), got {}", describe(other))
            }
        };
        if depth >= MAX_DEPTH {
            bail!(path, "nested deeper than {MAX_DEPTH} levels");
        }
        if !len.is_empty() && len.parse() != Ok(items.len()) {
            bail!(path, "expected {len} items for {ty}, got {}", items.len());
        }
        let mut words = Vec::with_capacity(32 * items.len());
        for (i, item) in items.iter().enumerate() {
            let word = self.encode_field(element_ty, item, &Path::Index(path, i), depth + 1)?;
            words.extend_from_slice(&word);
        }
        Ok(hash_words(&words)) // keccak256("") for an empty array, as in eth-account
    }
}

/// Out of line so the hasher state is not part of every recursive frame.
#[inline(never)]
fn hash_words(words: &[u8]) -> Word {
    keccak256(words)
}

/// `Person[2][]` -> `Person`; `None` for a type ending in `]` without any `[` (eth-account errors too).
fn core_type(ty: &str) -> Option<&str> {
    if ty.ends_with(']') {
        ty.split_once('[').map(|(core, _)| core)
    } else {
        Some(ty)
    }
}

/// `T[2][]` -> (`T`, 2 dimensions); each suffix must be `[]` or `[N]`.
fn split_dims(ty: &str) -> Result<(&str, usize), String> {
    let Some((core, mut rest)) = ty.split_once('[') else {
        return Ok((ty, 0));
    };
    if !ty.ends_with(']') {
        return Err(format!("no definition of type `{ty}`"));
    }
    let malformed = || format!("malformed array type `{ty}` (expected `[]` or `[N]` suffixes)");
    let mut dims = 0;
    loop {
        let (len, tail) = rest.split_once(']').ok_or_else(malformed)?;
        if !len.bytes().all(|b| b.is_ascii_digit()) || len.len() > 18 {
            return Err(malformed());
        }
        dims += 1;
        if tail.is_empty() {
            return Ok((core, dims));
        }
        rest = tail.strip_prefix('[').ok_or_else(malformed)?;
    }
}

/// `T[2][3]` -> (`T[2]`, `3`): the outermost dimension is the last one.
fn split_last_dim(ty: &str) -> Option<(&str, &str)> {
    ty.strip_suffix(']')?.rsplit_once('[')
}

mod atomic;
use atomic::{encode_atomic, parse_atomic, sign, Atomic};

#[cfg(test)]
mod tests;
