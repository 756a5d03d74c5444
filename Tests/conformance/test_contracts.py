"""contracts/StockToken.vy and contracts/OrderProcessor.vy on a real EVM, and the test
node (evm_node.py) they run on.

Each test deploys the committed build (contracts/build/*.json, the bytes the gateway
deploys) through web3's HTTPProvider to evm_node.py, signs every transaction with
eth-account, and checks a rule of the token: the three transfer policies, the minter's
and the operator's powers, pause, and EIP-2612 permits; or of the processor: orders
escrowed by permit, filled by retiring escrow, closed with a refund. A refused action is checked
twice: eth_call must name the reason, and the transaction sent anyway must be mined as
failed (status 0), so a rule that only the node's simulation enforced would not pass.

The node tests check what the gateway relies on: geth's rejection messages, injected
HTTP 503s that stop, and a reorg that drops a mined transaction until it is sent again.

No BrokerGate server is needed: the module overrides the suite's autouse `gateway`
fixture with one that starts nothing.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from processes import EvmNode

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPILE_SCRIPT = REPO_ROOT / "scripts" / "compile-contracts"
BUILD_PATH = REPO_ROOT / "contracts" / "build" / "StockToken.json"
ALLOWLIST_BUILD_PATH = REPO_ROOT / "contracts" / "build" / "Allowlist.json"
PROCESSOR_BUILD_PATH = REPO_ROOT / "contracts" / "build" / "OrderProcessor.json"
ZERO_ADDRESS = "0x" + "00" * 20

CHAIN_ID = 11155111
REQUEST_TIMEOUT_S = 10.0
# Gas for a transaction that is expected to fail: sent without estimation (which would
# refuse it), enough for any StockToken or OrderProcessor call (create_order writes
# eight storage slots for the order alone).
FAILING_TX_GAS = 600_000

POLICY_RESTRICTED, POLICY_OPEN, POLICY_LOCKED = 0, 1, 2


@pytest.fixture(scope="module")
def gateway() -> None:
    """Overrides the suite's autouse gateway: these tests start no BrokerGate server."""
    return None


@dataclass
class Chain:
    url: str
    w3: Web3
    deployer: LocalAccount  # owner, minter and operator of every token it deploys
    alice: LocalAccount
    bob: LocalAccount
    carol: LocalAccount

    def rpc(self, method: str, *params: Any) -> dict[str, Any]:
        """A raw JSON-RPC exchange: the whole answer, error included, as the gateway sees it."""
        response = httpx.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=REQUEST_TIMEOUT_S)
        assert response.status_code == 200, response.text
        return response.json()

    def control(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = httpx.post(f"{self.url}/evm/{path}", json=body, timeout=REQUEST_TIMEOUT_S)
        assert response.status_code == 200, response.text
        return response.json()

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/evm/stats", timeout=REQUEST_TIMEOUT_S).json()


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    accounts = [Account.create() for _ in range(4)]
    node = EvmNode(CHAIN_ID, [a.address for a in accounts])
    try:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": REQUEST_TIMEOUT_S}))
        yield Chain(node.url, w3, *accounts)
    finally:
        node.stop()


# --- helpers ------------------------------------------------------------------------------


def sign(chain: Chain, account: LocalAccount, fn: Any, gas: int | None = None) -> bytes:
    """The raw signed EIP-1559 transaction calling `fn` from `account` (gas estimated unless given)."""
    fields: dict[str, Any] = {"from": account.address, "nonce": chain.w3.eth.get_transaction_count(account.address), "chainId": CHAIN_ID}
    if gas is not None:
        fields["gas"] = gas
    return bytes(account.sign_transaction(fn.build_transaction(fields)).raw_transaction)


def send_raw(chain: Chain, raw: bytes) -> Any:
    tx_hash = chain.w3.eth.send_raw_transaction(raw)
    return chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=REQUEST_TIMEOUT_S, poll_latency=0.05)


def transact(chain: Chain, account: LocalAccount, fn: Any) -> Any:
    receipt = send_raw(chain, sign(chain, account, fn))
    assert receipt.status == 1, f"{fn.fn_name} from {account.address} failed on chain"
    return receipt


def refused(chain: Chain, account: LocalAccount, fn: Any, reason: str) -> None:
    """`fn` from `account` reverts with `reason` in eth_call and fails when mined anyway."""
    with pytest.raises(ContractLogicError, match=f"execution reverted: {reason}"):
        fn.call({"from": account.address})
    receipt = send_raw(chain, sign(chain, account, fn, gas=FAILING_TX_GAS))
    assert receipt.status == 0, f"{fn.fn_name} from {account.address} was mined as a success; expected '{reason}'"


def deploy(
    chain: Chain, policy: int, symbol: str = "AAPL", name: str = "Apple Inc. Tokenized Stock", decimals: int = 18, processor: str = ZERO_ADDRESS
) -> Contract:
    """A token with an Allowlist of its own (the gateway shares one among all its tokens)
    and `processor` as the OrderProcessor allowed to retire its escrow (none by default)."""
    allowlist_build = json.loads(ALLOWLIST_BUILD_PATH.read_text())
    factory = chain.w3.eth.contract(abi=allowlist_build["abi"], bytecode=allowlist_build["bytecode"])
    allowlist_address = transact(chain, chain.deployer, factory.constructor()).contractAddress
    build = json.loads(BUILD_PATH.read_text())
    factory = chain.w3.eth.contract(abi=build["abi"], bytecode=build["bytecode"])
    receipt = transact(chain, chain.deployer, factory.constructor(name, symbol, decimals, policy, allowlist_address, processor))
    token = chain.w3.eth.contract(address=receipt.contractAddress, abi=build["abi"])
    assert token.functions.transfer_policy().call() == policy
    assert token.functions.allowlist().call() == allowlist_address
    assert token.functions.processor().call() == processor
    return token


def allowlist_of(chain: Chain, token: Contract) -> Contract:
    build = json.loads(ALLOWLIST_BUILD_PATH.read_text())
    return chain.w3.eth.contract(address=token.functions.allowlist().call(), abi=build["abi"])


def balances(token: Contract, *accounts: LocalAccount) -> list[int]:
    return [token.functions.balanceOf(account.address).call() for account in accounts]


# --- the build ----------------------------------------------------------------------------


def test_committed_build_equals_a_fresh_compile() -> None:
    result = subprocess.run([sys.executable, str(COMPILE_SCRIPT), "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{result.stdout}{result.stderr}"
    build = json.loads(BUILD_PATH.read_text())
    assert sorted(build) == ["abi", "bytecode", "contract", "vyper_version"]
    assert build["contract"] == "StockToken" and build["bytecode"].startswith("0x")
    processor_build = json.loads(PROCESSOR_BUILD_PATH.read_text())
    assert processor_build["contract"] == "OrderProcessor" and processor_build["bytecode"].startswith("0x")


def test_check_mode_catches_a_stale_build(tmp_path: Path) -> None:
    # A copy of the layout the script expects (scripts/ beside contracts/), with one
    # byte of the build changed: --check must fail and say which file.
    (tmp_path / "scripts").mkdir()
    shutil.copy(COMPILE_SCRIPT, tmp_path / "scripts" / "compile-contracts")
    shutil.copytree(REPO_ROOT / "contracts", tmp_path / "contracts")
    swift = Path("Sources") / "BrokerGateChain" / "ContractArtifacts.swift"
    (tmp_path / swift).parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / swift, tmp_path / swift)
    stale = tmp_path / "contracts" / "build" / "StockToken.json"
    stale.write_text(stale.read_text().replace('"contract": "StockToken"', '"contract": "StockTokenX"'))
    result = subprocess.run([sys.executable, str(tmp_path / "scripts" / "compile-contracts"), "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "contracts/build/StockToken.json differs from a fresh compile" in result.stderr


# --- transfer policies ----------------------------------------------------------------------


def test_restricted_token_moves_only_between_allowlisted_addresses(chain: Chain) -> None:
    token = deploy(chain, POLICY_RESTRICTED)
    minter, alice, bob = chain.deployer, chain.alice, chain.bob

    refused(chain, minter, token.functions.mint(alice.address, 100), "receiver not allowlisted")
    receipt = transact(chain, minter, allowlist_of(chain, token).functions.set_allowed(alice.address, True))
    (event,) = allowlist_of(chain, token).events.AllowlistChanged().process_receipt(receipt)
    assert event.args.account == alice.address and event.args.allowed is True
    assert token.functions.allowed(alice.address).call() is True
    transact(chain, minter, token.functions.mint(alice.address, 100))

    refused(chain, alice, token.functions.transfer(bob.address, 40), "receiver not allowlisted")
    transact(chain, alice, token.functions.approve(chain.carol.address, 40))
    refused(chain, chain.carol, token.functions.transferFrom(alice.address, bob.address, 40), "receiver not allowlisted")
    refused(chain, minter, token.functions.controller_transfer(alice.address, bob.address, 40), "receiver not allowlisted")

    transact(chain, minter, allowlist_of(chain, token).functions.set_allowed(bob.address, True))
    transact(chain, alice, token.functions.transfer(bob.address, 40))
    assert balances(token, alice, bob) == [60, 40]

    transact(chain, minter, allowlist_of(chain, token).functions.set_allowed(alice.address, False))
    refused(chain, alice, token.functions.transfer(bob.address, 1), "sender not allowlisted")
    refused(chain, chain.carol, token.functions.transferFrom(alice.address, bob.address, 1), "sender not allowlisted")
    assert balances(token, alice, bob) == [60, 40]


def test_open_token_is_a_free_erc20(chain: Chain) -> None:
    token = deploy(chain, POLICY_OPEN, symbol="USD+", name="USD+", decimals=6)
    alice, bob, carol = chain.alice, chain.bob, chain.carol
    assert (token.functions.name().call(), token.functions.symbol().call(), token.functions.decimals().call()) == ("USD+", "USD+", 6)

    transact(chain, chain.deployer, token.functions.mint(alice.address, 1_000))
    receipt = transact(chain, alice, token.functions.transfer(bob.address, 300))
    (event,) = token.events.Transfer().process_receipt(receipt)
    assert (event.args.sender, event.args.receiver, event.args.value) == (alice.address, bob.address, 300)

    transact(chain, bob, token.functions.approve(carol.address, 100))
    transact(chain, carol, token.functions.transferFrom(bob.address, carol.address, 60))
    assert token.functions.allowance(bob.address, carol.address).call() == 40
    refused(chain, carol, token.functions.transferFrom(bob.address, carol.address, 41), "insufficient allowance")
    refused(chain, alice, token.functions.transfer(bob.address, 701), "insufficient balance")
    assert balances(token, alice, bob, carol) == [700, 240, 60]
    assert token.functions.totalSupply().call() == 1_000


def test_locked_token_moves_only_by_the_minter(chain: Chain) -> None:
    token = deploy(chain, POLICY_LOCKED)
    minter, alice, bob = chain.deployer, chain.alice, chain.bob
    transact(chain, minter, token.functions.mint(alice.address, 50))

    refused(chain, alice, token.functions.transfer(bob.address, 10), "token is locked")
    transact(chain, alice, token.functions.approve(bob.address, 10))
    refused(chain, bob, token.functions.transferFrom(alice.address, bob.address, 10), "token is locked")
    # Allowlisting does not unlock a LOCKED token (whose allowlist any holder passes).
    assert token.functions.allowed(chain.carol.address).call() is True
    transact(chain, minter, allowlist_of(chain, token).functions.set_allowed(alice.address, True))
    transact(chain, minter, allowlist_of(chain, token).functions.set_allowed(bob.address, True))
    refused(chain, alice, token.functions.transfer(bob.address, 10), "token is locked")

    transact(chain, minter, token.functions.controller_transfer(alice.address, bob.address, 10))
    refused(chain, minter, token.functions.controller_transfer(alice.address, bob.address, 41), "insufficient balance")
    transact(chain, minter, token.functions.burn(alice.address, 15))
    assert balances(token, alice, bob) == [25, 10]
    assert token.functions.totalSupply().call() == 35


def test_only_the_minter_mints_burns_moves_and_allowlists(chain: Chain) -> None:
    token = deploy(chain, POLICY_OPEN)
    owner, alice, carol = chain.deployer, chain.alice, chain.carol
    transact(chain, owner, token.functions.mint(alice.address, 10))

    for fn in (
        token.functions.mint(alice.address, 1),
        token.functions.burn(alice.address, 1),
        token.functions.controller_transfer(alice.address, carol.address, 1),
        allowlist_of(chain, token).functions.set_allowed(alice.address, True),
    ):
        refused(chain, alice, fn, "only minter")
    refused(chain, alice, token.functions.set_minter(alice.address), "only owner")
    refused(chain, alice, token.functions.set_operator(alice.address), "only owner")
    refused(chain, alice, token.functions.transfer_ownership(alice.address), "only owner")
    refused(chain, alice, token.functions.pause(), "only operator")

    # The owner hands the minter role to carol: the old minter loses it at once.
    transact(chain, owner, token.functions.set_minter(carol.address))
    assert token.functions.minter().call() == carol.address
    refused(chain, owner, token.functions.mint(alice.address, 1), "only minter")
    transact(chain, carol, token.functions.burn(alice.address, 4))
    assert balances(token, alice) == [6]

    transact(chain, owner, token.functions.transfer_ownership(carol.address))
    assert token.functions.owner().call() == carol.address
    refused(chain, owner, token.functions.set_operator(owner.address), "only owner")


def test_pause_stops_every_movement_until_unpaused(chain: Chain) -> None:
    token = deploy(chain, POLICY_OPEN)
    operator, alice, bob = chain.deployer, chain.alice, chain.bob
    transact(chain, operator, token.functions.mint(alice.address, 100))
    transact(chain, alice, token.functions.approve(bob.address, 100))

    receipt = transact(chain, operator, token.functions.pause())
    assert len(token.events.Paused().process_receipt(receipt)) == 1
    assert token.functions.paused().call() is True
    refused(chain, alice, token.functions.transfer(bob.address, 1), "paused")
    refused(chain, bob, token.functions.transferFrom(alice.address, bob.address, 1), "paused")
    refused(chain, operator, token.functions.mint(alice.address, 1), "paused")
    refused(chain, operator, token.functions.burn(alice.address, 1), "paused")
    refused(chain, operator, token.functions.controller_transfer(alice.address, bob.address, 1), "paused")
    assert balances(token, alice, bob) == [100, 0]

    receipt = transact(chain, operator, token.functions.unpause())
    assert len(token.events.Unpaused().process_receipt(receipt)) == 1
    transact(chain, alice, token.functions.transfer(bob.address, 1))
    assert balances(token, alice, bob) == [99, 1]


# --- EIP-2612 -----------------------------------------------------------------------------


def permit_signature(token: Contract, owner: LocalAccount, spender: str, value: int, deadline: int, chain_id: int = CHAIN_ID) -> tuple[Any, bytes]:
    """eth-account's EIP-712 signature over a Permit, and the domain hash it used."""
    domain = {"name": token.functions.name().call(), "version": "1", "chainId": chain_id, "verifyingContract": token.address}
    types = {
        "Permit": [
            {"name": "owner", "type": "address"},
            {"name": "spender", "type": "address"},
            {"name": "value", "type": "uint256"},
            {"name": "nonce", "type": "uint256"},
            {"name": "deadline", "type": "uint256"},
        ]
    }
    message = {"owner": owner.address, "spender": spender, "value": value, "nonce": token.functions.nonces(owner.address).call(), "deadline": deadline}
    signed = Account.sign_typed_data(owner.key, domain, types, message)
    return signed, encode_typed_data(domain, types, message).header


def test_permit_sets_the_allowance_once(chain: Chain) -> None:
    token = deploy(chain, POLICY_OPEN)
    alice, bob = chain.alice, chain.bob
    transact(chain, chain.deployer, token.functions.mint(alice.address, 500))
    now = chain.w3.eth.get_block("latest").timestamp

    signed, domain_hash = permit_signature(token, alice, bob.address, 200, now + 3600)
    assert token.functions.DOMAIN_SEPARATOR().call() == domain_hash
    permit = token.functions.permit(alice.address, bob.address, 200, now + 3600, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))
    # Bob relays Alice's signature: Alice spends no gas.
    receipt = transact(chain, bob, permit)
    (event,) = token.events.Approval().process_receipt(receipt)
    assert (event.args.owner, event.args.spender, event.args.value) == (alice.address, bob.address, 200)
    assert token.functions.allowance(alice.address, bob.address).call() == 200
    assert token.functions.nonces(alice.address).call() == 1

    refused(chain, bob, permit, "invalid signature")  # the same signature again

    expired, _ = permit_signature(token, alice, bob.address, 300, now - 1)
    refused(chain, bob, token.functions.permit(alice.address, bob.address, 300, now - 1, expired.v, expired.r.to_bytes(32, "big"), expired.s.to_bytes(32, "big")), "permit expired")

    other_chain, _ = permit_signature(token, alice, bob.address, 300, now + 3600, chain_id=1)
    refused(chain, bob, token.functions.permit(alice.address, bob.address, 300, now + 3600, other_chain.v, other_chain.r.to_bytes(32, "big"), other_chain.s.to_bytes(32, "big")), "invalid signature")

    assert token.functions.allowance(alice.address, bob.address).call() == 200
    transact(chain, bob, token.functions.transferFrom(alice.address, bob.address, 200))
    assert balances(token, alice, bob) == [300, 200]


# --- OrderProcessor -------------------------------------------------------------------------


def deploy_processor(chain: Chain) -> Contract:
    """An OrderProcessor whose owner and operator is the deployer (the gateway's key)."""
    build = json.loads(PROCESSOR_BUILD_PATH.read_text())
    factory = chain.w3.eth.contract(abi=build["abi"], bytecode=build["bytecode"])
    receipt = transact(chain, chain.deployer, factory.constructor())
    processor = chain.w3.eth.contract(address=receipt.contractAddress, abi=build["abi"])
    assert processor.functions.owner().call() == processor.functions.operator().call() == chain.deployer.address
    return processor


def order_id(label: str) -> bytes:
    return Web3.keccak(text=label)


def create_order(
    processor: Contract, requester: LocalAccount, asset: Contract, payment: Contract, sell: bool, amount: int, fee: int, oid: bytes, deadline: int | None = None, signed: Any = None
) -> Any:
    """`create_order` carrying `requester`'s permit (for `amount` of the escrowed token, to
    the processor), signed now unless `signed` is given."""
    escrow_token = asset if sell else payment
    if deadline is None:
        deadline = escrow_token.w3.eth.get_block("latest").timestamp + 3600
    if signed is None:
        signed, _ = permit_signature(escrow_token, requester, processor.address, amount, deadline)
    return processor.functions.create_order(
        oid, requester.address, asset.address, payment.address, sell, amount, fee, deadline, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")
    )


def order_fields(processor: Contract, oid: bytes) -> dict[str, Any]:
    names = ["requester", "escrow_token", "asset_token", "payment_token", "sell", "escrow", "fee", "open"]
    return dict(zip(names, processor.functions.orders(oid).call(), strict=True))


def processor_tokens(chain: Chain, processor: Contract, stock_policy: int = POLICY_RESTRICTED) -> tuple[Contract, Contract]:
    """A stock token (`stock_policy`) and USD+ (OPEN), both retirable by `processor`."""
    stock = deploy(chain, stock_policy, processor=processor.address)
    usd = deploy(chain, POLICY_OPEN, symbol="USD+", name="USD+", decimals=6, processor=processor.address)
    return stock, usd


def test_buy_order_escrows_payment_retires_fills_and_refunds_the_rest(chain: Chain) -> None:
    processor = deploy_processor(chain)
    stock, usd = processor_tokens(chain, processor)
    gateway, alice = chain.deployer, chain.alice
    transact(chain, gateway, usd.functions.mint(alice.address, 1_000))
    oid = order_id("buy-1")

    # The gateway relays Alice's signed order (payment 500 plus fee 10) and pays the gas.
    receipt = transact(chain, gateway, create_order(processor, alice, stock, usd, False, 510, 10, oid))
    # The gas a refused create_order is sent with covers a whole successful one, so its
    # failure on chain is the reason's, not out of gas.
    assert receipt.gasUsed < FAILING_TX_GAS
    (event,) = processor.events.OrderCreated().process_receipt(receipt, errors=DISCARD)
    assert (event.args.order_id, event.args.requester, event.args.asset_token, event.args.payment_token) == (oid, alice.address, stock.address, usd.address)
    assert (event.args.sell, event.args.amount, event.args.fee) == (False, 510, 10)
    assert order_fields(processor, oid) == {
        "requester": alice.address, "escrow_token": usd.address, "asset_token": stock.address, "payment_token": usd.address,
        "sell": False, "escrow": 510, "fee": 10, "open": True,
    }
    assert processor.functions.order_open(oid).call() is True
    assert balances(usd, alice) == [490] and usd.functions.balanceOf(processor.address).call() == 510
    assert processor.functions.escrowed(usd.address).call() == 510
    assert usd.functions.allowance(alice.address, processor.address).call() == 0  # the permit is spent

    # Two partial fills: the escrow the gateway keeps leaves the chain.
    receipt = transact(chain, gateway, processor.functions.fill(oid, 300))
    (event,) = processor.events.OrderFilled().process_receipt(receipt, errors=DISCARD)
    assert (event.args.order_id, event.args.requester, event.args.escrow_token, event.args.retired) == (oid, alice.address, usd.address, 300)
    (burned,) = usd.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert (burned.args.sender, burned.args.receiver, burned.args.value) == (processor.address, ZERO_ADDRESS, 300)
    assert usd.functions.totalSupply().call() == 700
    transact(chain, gateway, processor.functions.fill(oid, 200))
    refused(chain, gateway, processor.functions.fill(oid, 11), "exceeds escrow")
    assert order_fields(processor, oid)["escrow"] == 10 and processor.functions.escrowed(usd.address).call() == 10

    # Closing hands what is left back to Alice and ends the order.
    receipt = transact(chain, gateway, processor.functions.close(oid))
    (event,) = processor.events.OrderClosed().process_receipt(receipt, errors=DISCARD)
    assert (event.args.order_id, event.args.requester, event.args.escrow_token, event.args.refund) == (oid, alice.address, usd.address, 10)
    assert balances(usd, alice) == [500] and usd.functions.totalSupply().call() == 500
    assert usd.functions.balanceOf(processor.address).call() == 0 and processor.functions.escrowed(usd.address).call() == 0
    assert order_fields(processor, oid)["open"] is False and order_fields(processor, oid)["escrow"] == 0
    refused(chain, gateway, processor.functions.fill(oid, 0), "order not open")
    refused(chain, gateway, processor.functions.close(oid), "order not open")
    assert stock.functions.totalSupply().call() == 0  # the bought shares are the minter's to deliver


def test_sell_of_a_restricted_stock_needs_the_processor_allowlisted(chain: Chain) -> None:
    processor = deploy_processor(chain)
    stock, usd = processor_tokens(chain, processor)
    gateway, alice = chain.deployer, chain.alice
    allowlist = allowlist_of(chain, stock)
    transact(chain, gateway, allowlist.functions.set_allowed(alice.address, True))
    transact(chain, gateway, stock.functions.mint(alice.address, 10))
    oid = order_id("sell-1")
    deadline = chain.w3.eth.get_block("latest").timestamp + 3600
    signed, _ = permit_signature(stock, alice, processor.address, 4, deadline)

    # Alice sends her own order: refused until deployment has allowlisted the processor.
    sell = create_order(processor, alice, stock, usd, True, 4, 0, oid, deadline, signed)
    refused(chain, alice, sell, "receiver not allowlisted")
    transact(chain, gateway, allowlist.functions.set_allowed(processor.address, True))
    transact(chain, alice, sell)
    assert order_fields(processor, oid)["escrow_token"] == stock.address
    assert balances(stock, alice) == [6] and processor.functions.escrowed(stock.address).call() == 4

    transact(chain, gateway, processor.functions.fill(oid, 3))
    assert stock.functions.totalSupply().call() == 7
    transact(chain, gateway, processor.functions.close(oid))
    assert balances(stock, alice) == [7] and stock.functions.balanceOf(processor.address).call() == 0
    assert processor.functions.escrowed(stock.address).call() == 0


def test_only_the_operator_fills_and_closes_and_only_the_requester_or_operator_creates(chain: Chain) -> None:
    processor = deploy_processor(chain)
    stock, usd = processor_tokens(chain, processor)
    gateway, alice, bob, carol = chain.deployer, chain.alice, chain.bob, chain.carol
    transact(chain, gateway, usd.functions.mint(alice.address, 100))
    oid = order_id("roles-1")

    # Carol saw Alice's signature: she cannot spend it on an order of her own making.
    order = create_order(processor, alice, stock, usd, False, 50, 1, oid)
    refused(chain, carol, order, "only requester or operator")
    transact(chain, gateway, order)

    refused(chain, alice, processor.functions.fill(oid, 1), "only operator")
    refused(chain, carol, processor.functions.close(oid), "only operator")
    refused(chain, alice, processor.functions.set_operator(alice.address), "only owner")
    refused(chain, alice, processor.functions.transfer_ownership(alice.address), "only owner")

    # The owner hands the operator role to bob: the old operator loses it at once.
    receipt = transact(chain, gateway, processor.functions.set_operator(bob.address))
    (event,) = processor.events.OperatorChanged().process_receipt(receipt)
    assert (event.args.previous_operator, event.args.new_operator) == (gateway.address, bob.address)
    refused(chain, gateway, processor.functions.fill(oid, 1), "only operator")
    transact(chain, bob, processor.functions.fill(oid, 20))
    transact(chain, bob, processor.functions.close(oid))
    assert balances(usd, alice) == [80]

    transact(chain, gateway, processor.functions.transfer_ownership(carol.address))
    assert processor.functions.owner().call() == carol.address
    refused(chain, gateway, processor.functions.set_operator(gateway.address), "only owner")


def test_replayed_expired_and_front_run_permits(chain: Chain) -> None:
    processor = deploy_processor(chain)
    stock, usd = processor_tokens(chain, processor)
    gateway, alice, carol = chain.deployer, chain.alice, chain.carol
    transact(chain, gateway, usd.functions.mint(alice.address, 100))
    now = chain.w3.eth.get_block("latest").timestamp
    signed, _ = permit_signature(usd, alice, processor.address, 30, now + 3600)

    first = create_order(processor, alice, stock, usd, False, 30, 0, order_id("replay-1"), now + 3600, signed)
    transact(chain, gateway, first)
    # The same order again, and the same (spent) permit under a new order id.
    refused(chain, gateway, first, "order exists")
    refused(chain, gateway, create_order(processor, alice, stock, usd, False, 30, 0, order_id("replay-2"), now + 3600, signed), "permit invalid or expired")
    # A closed order's id stays used.
    transact(chain, gateway, processor.functions.close(order_id("replay-1")))
    refused(chain, gateway, create_order(processor, alice, stock, usd, False, 30, 0, order_id("replay-1")), "order exists")

    expired = create_order(processor, alice, stock, usd, False, 30, 0, order_id("expired"), deadline=now - 1)
    refused(chain, gateway, expired, "permit expired")
    # A signature over other terms than the order's (here 31, not 30) sets no allowance.
    wrong, _ = permit_signature(usd, alice, processor.address, 31, now + 3600)
    refused(chain, gateway, create_order(processor, alice, stock, usd, False, 30, 0, order_id("wrong"), now + 3600, wrong), "permit invalid or expired")

    # Carol copies the permit from the mempool and sends it first: the order still stands.
    signed, _ = permit_signature(usd, alice, processor.address, 40, now + 3600)
    transact(chain, carol, usd.functions.permit(alice.address, processor.address, 40, now + 3600, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")))
    assert usd.functions.allowance(alice.address, processor.address).call() == 40
    transact(chain, gateway, create_order(processor, alice, stock, usd, False, 40, 0, order_id("front-run"), now + 3600, signed))
    assert balances(usd, alice) == [60] and processor.functions.escrowed(usd.address).call() == 40
    assert processor.functions.order_open(order_id("expired")).call() is False


def test_retire_only_by_the_processor_and_not_while_paused(chain: Chain) -> None:
    processor = deploy_processor(chain)
    _, usd = processor_tokens(chain, processor)
    gateway, alice = chain.deployer, chain.alice
    transact(chain, gateway, usd.functions.mint(alice.address, 100))
    refused(chain, alice, usd.functions.retire(1), "only processor")
    refused(chain, gateway, usd.functions.retire(0), "only processor")
    # A token without a processor: nobody retires.
    plain = deploy(chain, POLICY_OPEN, symbol="USD+", name="USD+", decimals=6)
    refused(chain, gateway, plain.functions.retire(0), "only processor")

    oid = order_id("paused")
    transact(chain, gateway, create_order(processor, alice, deploy(chain, POLICY_OPEN), usd, False, 10, 0, oid))
    transact(chain, gateway, usd.functions.pause())
    refused(chain, gateway, processor.functions.fill(oid, 5), "paused")
    refused(chain, gateway, processor.functions.close(oid), "paused")
    transact(chain, gateway, usd.functions.unpause())
    transact(chain, gateway, processor.functions.fill(oid, 5))
    assert usd.functions.totalSupply().call() == 95


def test_a_locked_token_cannot_be_escrowed(chain: Chain) -> None:
    processor = deploy_processor(chain)
    stock, usd = processor_tokens(chain, processor, stock_policy=POLICY_LOCKED)
    gateway, alice = chain.deployer, chain.alice
    transact(chain, gateway, stock.functions.mint(alice.address, 10))
    refused(chain, alice, create_order(processor, alice, stock, usd, True, 5, 0, order_id("locked")), "token is locked")
    refused(chain, gateway, create_order(processor, alice, stock, usd, True, 0, 0, order_id("zero")), "zero amount")
    assert balances(stock, alice) == [10] and processor.functions.escrowed(stock.address).call() == 0


# --- the node -----------------------------------------------------------------------------


def test_node_answers_like_geth(chain: Chain) -> None:
    assert chain.rpc("eth_chainId")["result"] == hex(CHAIN_ID)
    assert chain.rpc("net_version")["result"] == str(CHAIN_ID)
    assert chain.rpc("eth_noSuchMethod")["error"]["code"] == -32601

    token = deploy(chain, POLICY_OPEN)
    call = {"from": chain.alice.address, "to": token.address, "data": token.encode_abi("mint", args=[chain.alice.address, 1])}
    error = chain.rpc("eth_call", call, "latest")["error"]
    assert error["code"] == 3 and error["message"] == "execution reverted: only minter"
    assert error["data"].startswith("0x08c379a0")
    assert chain.rpc("eth_estimateGas", call)["error"]["message"] == "execution reverted: only minter"

    # A transaction signed for another chain is refused; a legacy EIP-155 one for ours is mined.
    nonce = chain.w3.eth.get_transaction_count(chain.carol.address)
    transfer = {"to": chain.bob.address, "value": 1, "gas": 21_000, "nonce": nonce}
    foreign = chain.carol.sign_transaction({**transfer, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "chainId": 1})
    assert "invalid chain id for signer" in chain.rpc("eth_sendRawTransaction", "0x" + bytes(foreign.raw_transaction).hex())["error"]["message"]
    legacy = chain.carol.sign_transaction({**transfer, "gasPrice": 10**10, "chainId": CHAIN_ID})
    assert send_raw(chain, legacy.raw_transaction).status == 1

    # A nonce ahead of the account's waits until the gap is filled, then both are mined.
    nonce = chain.w3.eth.get_transaction_count(chain.carol.address)
    fees = {"maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9, "chainId": CHAIN_ID}
    later = chain.carol.sign_transaction({**transfer, **fees, "nonce": nonce + 1})
    sooner = chain.carol.sign_transaction({**transfer, **fees, "nonce": nonce})
    later_hash = chain.w3.eth.send_raw_transaction(later.raw_transaction)
    assert chain.w3.eth.get_transaction(later_hash).blockNumber is None
    send_raw(chain, sooner.raw_transaction)
    assert chain.w3.eth.get_transaction_receipt(later_hash).status == 1
    assert chain.w3.eth.get_transaction_count(chain.carol.address) == nonce + 2

    stats = chain.stats()
    assert stats["block_number"] == chain.w3.eth.block_number
    assert stats["transactions_by_sender"][chain.carol.address] >= 3
    assert stats["rejected_raw_transactions"] >= 1


def test_node_faults_answer_503_then_recover(chain: Chain) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}

    def status() -> int:
        return httpx.post(chain.url, json=body, timeout=REQUEST_TIMEOUT_S).status_code

    try:
        chain.control("faults", {"mode": "error", "count": 2})
        assert [status(), status(), status()] == [503, 503, 200]

        chain.control("faults", {"mode": "error", "seconds": 0.5})
        assert status() == 503
        deadline = time.monotonic() + 5
        while status() != 200:
            assert time.monotonic() < deadline, "the node still answers 503 after its fault window"
            time.sleep(0.1)

        chain.control("faults", {"mode": "error", "seconds": 60})
        assert status() == 503
        chain.control("faults", {"mode": "none"})
        assert status() == 200
    finally:
        chain.control("faults", {"mode": "none"})  # never leave the node down for the next test
    assert chain.stats()["faulted_requests"] >= 5


def test_reorg_drops_a_mined_transaction_until_it_is_sent_again(chain: Chain) -> None:
    token = deploy(chain, POLICY_OPEN)
    minter, alice = chain.deployer, chain.alice
    raw = sign(chain, minter, token.functions.mint(alice.address, 7))
    first = send_raw(chain, raw)
    head = chain.w3.eth.block_number
    assert first.blockNumber == head and balances(token, alice) == [7]

    # Identical bytes again: "already known". Another transaction on a used nonce: "nonce too low".
    assert chain.rpc("eth_sendRawTransaction", "0x" + raw.hex())["error"] == {"code": -32000, "message": "already known"}
    used_nonce = chain.w3.eth.get_transaction(first.transactionHash).nonce
    stale = minter.sign_transaction(token.functions.mint(alice.address, 8).build_transaction({"from": minter.address, "nonce": used_nonce, "chainId": CHAIN_ID}))
    message = chain.rpc("eth_sendRawTransaction", "0x" + bytes(stale.raw_transaction).hex())["error"]["message"]
    assert message == f"nonce too low: address {minter.address}, tx: {used_nonce} state: {used_nonce + 1}"

    dropped = chain.control("reorg", {"depth": 1})
    assert dropped["block_number"] == head + 1
    assert dropped["dropped_transactions"] == ["0x" + bytes(first.transactionHash).hex()]
    assert chain.rpc("eth_getTransactionReceipt", "0x" + bytes(first.transactionHash).hex())["result"] is None
    assert chain.w3.eth.get_block(head).hash != first.blockHash
    assert balances(token, alice) == [0]

    again = send_raw(chain, raw)
    assert again.transactionHash == first.transactionHash and again.status == 1
    assert again.blockNumber == head + 2 and again.blockHash != first.blockHash
    assert balances(token, alice) == [7]

