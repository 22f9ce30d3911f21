"""Shared set-up: an account with its nonce manager and submitter on a test chain."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from zippifi.chain import NonceManager, Submitter, TxRequest
from zippifi.sign import Signer
from zippifi.store import LockManager, Store

from .conftest import DevChain


@dataclass
class Account:
    signer: Signer
    nonces: NonceManager
    submitter: Submitter

    @property
    def address(self) -> str:
        return self.signer.address


@asynccontextmanager
async def account(
    chain: DevChain, store: Store, locks: LockManager, *, wei: int = 10**21
) -> AsyncIterator[Account]:
    signer = await chain.new_signer(wei)
    nonces = NonceManager(chain.adapter, store.nonces, locks, signer.address)
    await nonces.start()
    try:
        yield Account(signer, nonces, Submitter(chain.adapter, signer, nonces))
    finally:
        await nonces.stop()


async def deploy(acct: Account, init_code: bytes) -> str:
    sent = await acct.submitter.submit(TxRequest(to=None, data=init_code))
    receipt = await acct.submitter.adapter.get_receipt(sent.tx_hash)
    assert receipt is not None
    assert receipt.status == 1
    assert receipt.contract_address is not None
    return receipt.contract_address
