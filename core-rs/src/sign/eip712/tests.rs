use super::*;

/// Test input as JSON, plus `h'0a0b'` for Python bytes (no escapes; test use only).
fn parse(src: &str) -> V {
    fn skip(p: &mut &str, token: &str) -> bool {
        *p = p.trim_start();
        p.strip_prefix(token).map(|rest| *p = rest).is_some()
    }
    fn until(p: &mut &str, quote: char) -> String {
        let (text, rest) = p.split_once(quote).unwrap();
        *p = rest;
        text.to_string()
    }
    fn value(p: &mut &str) -> V {
        if skip(p, "{") {
            let mut entries = vec![];
            while !skip(p, "}") {
                skip(p, ",");
                skip(p, "\"");
                let key = until(p, '"');
                skip(p, ":");
                entries.push((key, value(p)));
            }
            V::Map(entries)
        } else if skip(p, "[") {
            let mut items = vec![];
            while !skip(p, "]") {
                skip(p, ",");
                items.push(value(p));
            }
            V::List(items)
        } else if skip(p, "\"") {
            V::Str(until(p, '"'))
        } else if skip(p, "h'") {
            V::Bytes(hex::decode(until(p, '\'')).unwrap())
        } else if skip(p, "null") {
            V::Null
        } else if skip(p, "true") {
            V::Bool(true)
        } else if skip(p, "false") {
            V::Bool(false)
        } else {
            let negative = skip(p, "-");
            let end = p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len());
            let (digits, rest) = p.split_at(end);
            *p = rest;
            let magnitude = digits.parse().unwrap();
            V::Int {
                negative,
                magnitude,
            }
        }
    }
    let mut p = src;
    let v = value(&mut p);
    assert!(p.trim().is_empty(), "trailing input {p:?}");
    v
}

/// A full message from `"Struct: type name, type name; Other: ..."` and JSON domain/message.
fn full(types: &str, primary: Option<&str>, domain: &str, message: &str) -> V {
    let entry = |k: &str, v: V| (k.to_string(), v);
    let field = |f: &str| {
        let (ty, name) = f.trim().split_once(' ').unwrap();
        V::Map(vec![
            entry("name", V::Str(name.into())),
            entry("type", V::Str(ty.into())),
        ])
    };
    let mut defs = vec![];
    for def in types.split(';') {
        let (name, spec) = def.split_once(':').unwrap();
        let fields = spec.split(',').filter(|f| !f.trim().is_empty()).map(field);
        defs.push(entry(name.trim(), V::List(fields.collect())));
    }
    let mut top = vec![entry("types", V::Map(defs))];
    top.push(entry("domain", parse(domain)));
    top.push(entry("message", parse(message)));
    top.extend(primary.map(|p| entry("primaryType", V::Str(p.into()))));
    V::Map(top)
}

fn digest(m: &V) -> String {
    hex::encode(hash_typed_data(m).unwrap())
}

fn error(m: &V) -> String {
    hash_typed_data(m).unwrap_err().to_string()
}

/// Rows of `|`-separated columns, blank lines skipped.
fn rows(table: &str) -> impl Iterator<Item = Vec<&str>> {
    let lines = table.lines().filter(|l| !l.trim().is_empty());
    lines.map(|l| l.split('|').map(str::trim).collect())
}

const DOMAIN: &str = "string name, string version, uint256 chainId, address verifyingContract";

// Every expected digest below came from eth-account 0.14 (`encode_typed_data(full_message=...)`,
// then keccak(b"\x19" + version + header + body)) on the same message.

#[test]
fn eip712_mail_example() {
    let m = full(
        &format!(
            "EIP712Domain: {DOMAIN}; Person: string name, address wallet;
             Mail: Person from, Person to, string contents"
        ),
        Some("Mail"),
        r#"{"name": "Ether Mail", "version": "1", "chainId": 1,
            "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"}"#,
        r#"{"from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
            "contents": "Hello, Bob!"}"#,
    );
    let (domain, message) = typed_data_parts(&m).unwrap();
    let expected = "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f";
    assert_eq!(hex::encode(domain), expected);
    let expected = "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e";
    assert_eq!(hex::encode(message), expected);
    let expected = "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";
    assert_eq!(digest(&m), expected);
}

#[test]
fn eip2612_permit() {
    let m = full(
        &format!(
            "EIP712Domain: {DOMAIN}; Permit: address owner, address spender, uint256 value,
             uint256 nonce, uint256 deadline"
        ),
        Some("Permit"),
        r#"{"name": "USD Coin", "version": "2", "chainId": 1,
            "verifyingContract": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"}"#,
        r#"{"owner": "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf",
            "spender": "0x2B5AD5c4795c026514f8317c7a215E218DcCD6cF",
            "value": "1000000000000000000000", "nonce": 0,
            "deadline": "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"}"#,
    );
    let expected = "968cf46af03db898ecc154c803603cbb27e7940ebf3d94ad23e0452891069569";
    assert_eq!(digest(&m), expected);
}

#[test]
fn nested_arrays_and_inferred_domain() {
    let m = full(
        "Person: string name, address[] wallets;
         Group: string name, Person[] members, uint256[2][] grid, Person[][] teams,
                string[] tags, bytes32[] ids, bool[3] flags",
        None,
        r#"{"name": "Nested", "chainId": "0x89"}"#,
        r#"{"name": "Team",
            "members": [
                {"name": "Alice", "wallets": ["0x1111111111111111111111111111111111111111",
                                             "0x2222222222222222222222222222222222222222"]},
                {"name": "Bob", "wallets": []}],
            "grid": [[1, 2], [3, "4"]],
            "teams": [[{"name": "Carol",
                        "wallets": ["0x3333333333333333333333333333333333333333"]}], []],
            "tags": ["a", "", null],
            "ids": ["0xabababababababababababababababababababababababababababababababab",
                    h'0101010101010101010101010101010101010101010101010101010101010101'],
            "flags": [true, "false", 0]}"#,
    );
    let expected = "75db65a67f83a4580feea04410549bb5a33dfa5da5546a1f13755aef513c9106";
    assert_eq!(digest(&m), expected);
}

#[test]
fn lenient_value_forms_and_recursive_struct() {
    let m = full(
        "EIP712Domain: bytes32 salt, string name; Node: int8 v, Node next;
         Forms: bool b1, bool b2, bool b3, bytes4 f4, bytes4 f4b, bytes4 f4c, bytes dyn,
                bytes dyn2, bytes dynNone, string s1, string s2, string s3, int8 i1, int256 i2,
                uint u1, uint64 u2, uint256 u3, uint256 u4, address a1, address a2, address a3,
                Node node, Node none, int i3",
        Some("Forms"),
        r#"{"name": "Forms", "salt": h'646563616662656566'}"#,
        r#"{"b1": "false", "b2": "no", "b3": 7, "f4": 256, "f4b": "0x123", "f4c": "ab",
            "dyn": "0xDEADbeef", "dyn2": "hi", "dynNone": null, "s1": "héllo", "s2": 0,
            "s3": true, "i1": " -128 ", "i2": -1, "u1": "1_000", "u2": "0x1F", "u3": "+42",
            "u4": 115792089237316195423570985008687907853269984665640564039457584007913129639935,
            "a1": "0XABABABABABABABABABABABABABABABABABABABAB",
            "a2": "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
            "a3": h'efefefefefefefefefefefefefefefefefefefef',
            "node": {"v": 1, "next": {"v": -2}}, "i3": "-5"}"#,
    );
    let expected = "97e108fc07c8bee184c4ac297d42b0af0cb665bf6b7c557e73b7bdb00cb12169";
    assert_eq!(digest(&m), expected);
}

#[test]
fn rejects_invalid_input_naming_the_path() {
    let m = full(
        "W: address name; G: W[] wallets",
        None,
        "{}",
        r#"{"wallets": [{"name": "1111111111111111111111111111111111111111"}, {"name": "nope"}]}"#,
    );
    let expected = r#"message.wallets[1].name: expected address, got str "nope""#;
    assert_eq!(error(&m), format!("invalid typed data: {expected}"));

    // type of field `v` | its JSON value | expected error (`S s` keeps `T` the primary type)
    let fields = r#"
        uint7          | 1                | types.T.v: no definition of type `uint7`
        Foo            | {}               | types.T.v: no definition of type `Foo`
        bytes33        | "0x"             | no definition of type `bytes33`
        uint8[x]       | []               | malformed array type `uint8[x]`
        uint8]         | []               | types.T.v: malformed type
        uint8          | 256              | message.v: 256 is out of range for uint8
        int8           | -129             | message.v: -129 is out of range for int8
        uint256        | -1               | -1 is out of range for uint256
        uint256        | "12a"            | message.v: invalid integer literal: str "12a"
        uint256        | "0x"             | invalid integer literal
        uint256        | true             | message.v: expected uint256, got True
        uint256        | null             | message.v: missing value for uint256
        bytes4         | "0x1234567890"   | message.v: 5 bytes do not fit in bytes4
        bytes4         | null             | missing value for bytes4
        address        | "0x1234"         | message.v: expected address, got str "0x1234"
        bool           | [1]              | message.v: expected bool, got a list of 1 items
        string         | h'01'            | message.v: expected string, got 1 bytes
        string         | -3               | message.v: expected string, got int -3
        uint8[2]       | [1]              | message.v: expected 2 items for uint8[2], got 1
        uint8[]        | "1"              | expected uint8[] (a list)
        uint8[][]      | [[1], ["x"]]     | message.v[1][0]: invalid integer literal
        S              | 5                | message.v: expected struct `S`, got int 5
        S[]            | [{"a": 300}]     | message.v[0].a: 300 is out of range for uint8
    "#;
    for row in rows(fields) {
        let types = format!("T: {} v, S s; S: uint8 a", row[0]);
        let e = error(&full(
            &types,
            None,
            "{}",
            &format!(r#"{{"v": {}}}"#, row[1]),
        ));
        assert!(e.contains(row[2]), "{e:?} should contain {:?}", row[2]);
    }

    // types | primaryType (- for none) | domain | message | expected error
    let messages = r#"
        A: B b; B: A a                | - | {}                | {}   | unable to determine primary
        A: ; B:                       | - | {}                | {}   | unreferenced structs ["A", "B"]
        A:                            | B | {}                | {}   | primaryType: `B` is not the derived primary type `A`
        A:                            | - | {"foo": 1}        | {}   | domain.foo: invalid domain key
        A:                            | - | {"chainId": null} | {}   | domain.chainId: missing value
        EIP712Domain: string name; A: | - | {}                | {}   | do not match domain keys
        uint256:                      | - | {}                | {}   | types.uint256: struct names may not
        A: uint8 a                    | - | {}                | null | message: expected struct `A`, got None
    "#;
    for row in rows(messages) {
        let primary = Some(row[1]).filter(|p| *p != "-");
        let e = error(&full(row[0], primary, row[2], row[3]));
        assert!(e.contains(row[4]), "{e:?} should contain {:?}", row[4]);
    }

    let deep = format!("T: uint8{} v", "[]".repeat(65));
    assert!(error(&full(&deep, None, "{}", "{}")).contains("more than 64 array dimensions"));
    assert!(error(&parse(r#"{"types": {}}"#)).contains("full_message: missing key `domain`"));
    assert!(error(&parse("[]")).contains("full_message: expected a dict, got a list"));
}

#[test]
fn deep_recursion_is_an_error_not_a_stack_overflow() {
    let value = format!("{}null{}", r#"{"next": "#.repeat(200), "}".repeat(200));
    let m = full("Node: Node next", None, "{}", &value);
    assert!(error(&m).contains("nested deeper than 64 levels"));
}
