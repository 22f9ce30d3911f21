//! libsecp256k1 (the `secp256k1` crate, what the kernel uses) against pure-Rust k256 for one
//! recoverable signature over a 32-byte digest: the measurement behind the kernel's choice.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use k256::ecdsa::SigningKey;

fn bench_sign(c: &mut Criterion) {
    let key_bytes = [0x42u8; 32];
    let digest = [0x17u8; 32];
    let mut group = c.benchmark_group("sign_recoverable");

    let ours = zippifi_core::sign::PrivateKey::from_bytes(&key_bytes).expect("valid key");
    group.bench_function("libsecp256k1", |b| {
        b.iter(|| ours.sign_hash(black_box(&digest)))
    });

    let k256_key = SigningKey::from_bytes(&key_bytes.into()).expect("valid key");
    group.bench_function("k256", |b| {
        b.iter(|| {
            k256_key
                .sign_prehash_recoverable(black_box(&digest))
                .expect("signs")
        })
    });

    // Both must agree before their speeds mean anything (RFC 6979 makes them deterministic).
    let (sig, recid) = k256_key.sign_prehash_recoverable(&digest).expect("signs");
    let ours_sig = ours.sign_hash(&digest);
    assert_eq!(&sig.to_bytes()[..32], &ours_sig.r);
    assert_eq!(&sig.to_bytes()[32..], &ours_sig.s);
    assert_eq!(recid.to_byte(), ours_sig.y_parity);
    group.finish();
}

criterion_group!(benches, bench_sign);
criterion_main!(benches);
