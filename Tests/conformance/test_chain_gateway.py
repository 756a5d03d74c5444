"""The gateway on ``--chain evm:`` against a local EVM (evm_node.py): tokens on a real chain.

One node and one deployment (``brokergate chain deploy``) serve the module; the gateway
runs on them with 2 confirmations and a finality depth of 40 blocks (a block every
0.25 s), and some tests restart it with a crash point. web3 is the independent reader:
every balance, supply and event below is read from the chain, not from the gateway.

- Journey (SDK, strict): KYC → wallet → faucet → buy → balanceOf(wallet) equals the
  portfolio, totalSupply the reserves' tokens outstanding, the fulfillment's hash is the
  mint → sell → burned on chain; the signed reserves name the chain, block and contracts.
- Allowlist: linking a KYC-passed customer's wallet allowlists it; a newer failing KYC
  removes it.
- Policies through the gateway's tokens: a RESTRICTED transfer to a stranger reverts, an
  OPEN one succeeds, a LOCKED one reverts; only the minter mints.
- Crashes: ``kill -9`` before the signature and after the broadcast → exactly one mint.
- A dropped node (503s) delays the outbox and never duplicates; a reorg that drops a mined
  mint is caught and the same transaction mined again.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from dinari_api_sdk import Dinari, UnprocessableEntityError
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError, TransactionNotFound

from processes import EvmNode, Replica, fresh_postgres_store, isolated_env, random_key
from eth_sign import sign_personal
from support import baseline_kyc

pytestmark = pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (starts the gateway)")

CHAIN_ID = 11155111
CAIP2 = f"eip155:{CHAIN_ID}"
TUESDAY_REGULAR = "2026-12-01T15:00:00Z"  # 10:00 ET: market orders fill at once
BLOCK_TIME_S = 0.25
CONFIRMATIONS, FINALITY = 2, 40
SETTLE_S_MAX = 40.0
REPO_ROOT = Path(__file__).resolve().parents[2]
TOKEN_ABI = json.loads((REPO_ROOT / "contracts" / "build" / "StockToken.json").read_text())["abi"]
ALLOWLIST_ABI = json.loads((REPO_ROOT / "contracts" / "build" / "Allowlist.json").read_text())["abi"]
STOCK_UNIT = 10**18  # stock tokens carry 18 decimals
USD_UNIT = 10**6  # USD+ carries 6
ZERO = "0x0000000000000000000000000000000000000000"


class World:
    """A node, the contracts deployed by the gateway's CLI, and a gateway on both."""

    def __init__(self, root: Path) -> None:
        self.minter = Account.create()
        self.holders = [Account.create() for _ in range(4)]  # customers' wallets, with ETH for gas
        self.node = EvmNode(CHAIN_ID, [self.minter.address] + [h.address for h in self.holders], block_time=BLOCK_TIME_S)
        self.partner_key, self.operator_key = random_key("partner"), random_key("operator")
        # The conformance run's store kind: its own PostgreSQL database on that run, SQLite otherwise.
        on_postgres = os.environ.get("BROKERGATE_CONFORMANCE_STORE", "").startswith("postgres")
        self.store = fresh_postgres_store("chain") if on_postgres else f"sqlite:{root / 'gateway.sqlite'}"
        self.env = isolated_env(
            self.partner_key, self.operator_key, BROKERGATE_CLOCK=TUESDAY_REGULAR, BROKERGATE_CHAIN=f"evm:{self.node.url}",
            BROKERGATE_CHAIN_KEY=bytes(self.minter.key).hex(), BROKERGATE_CHAIN_CONFIRMATIONS=str(CONFIRMATIONS),
            BROKERGATE_CHAIN_FINALITY_DEPTH=str(FINALITY),
        )  # fmt: skip
        self.deployment = self.deploy()
        self.w3 = Web3(Web3.HTTPProvider(self.node.url, request_kwargs={"timeout": 10}))
        self.gateway = Replica(self.store, self.env)
        self.operator = {"X-API-Key-Id": self.operator_key[0], "X-API-Secret-Key": self.operator_key[1]}
        self.client = Dinari(
            api_key_id=self.partner_key[0], api_secret_key=self.partner_key[1], base_url=self.gateway.base,
            _strict_response_validation=True, max_retries=0,
        )  # fmt: skip

    def deploy(self) -> dict[str, Any]:
        command = [os.environ["BROKERGATE_BIN"], "chain", "deploy", "--store", self.store]
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        self.deploy_output = result.stdout + result.stderr
        return json.loads(result.stdout)

    def restart(self, **settings: str) -> None:
        """The gateway again on the same store and node, with `settings` added to its environment."""
        if self.gateway.process.poll() is None:
            self.gateway.stop()
        self.gateway = Replica(self.store, {**self.env, **settings})
        self.client = self.client.with_options(base_url=self.gateway.base)

    def token(self, key: str) -> Contract:
        return self.w3.eth.contract(address=self.deployment["tokens"][key], abi=TOKEN_ABI)

    @property
    def allowlist(self) -> Contract:
        return self.w3.eth.contract(address=self.deployment["allowlist"], abi=ALLOWLIST_ABI)

    def outbox(self) -> dict[str, Any]:
        response = httpx.get(f"{self.gateway.base}/api/v2/operator/chain", headers=self.operator, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()

    def settle(self) -> dict[str, Any]:
        """The outbox once nothing waits to be signed, mined or confirmed, and nothing failed."""
        deadline = time.monotonic() + SETTLE_S_MAX
        while True:
            outbox = self.outbox()
            counts = outbox["by_status"]
            # Intents commit with their ledger moves, so an order seen FILLED has its own here.
            if counts["PENDING"] == counts["SIGNED"] == 0:
                assert counts["FAILED"] == 0, outbox["open"]
                return outbox
            assert time.monotonic() < deadline, f"the chain outbox did not settle: {outbox}\n{self.gateway.log_tail()}"
            time.sleep(0.2)

    def customer(self, holder: LocalAccount, grants: int = 1, external: bool = False) -> str:
        """A KYC-passed customer's account whose wallet is `holder` (partner-managed, or the
        customer's own proven by a signature), with USD+ from the faucet."""
        entity = self.client.v2.entities.create(name="Ada Lovelace", reference_id=f"chain-{uuid.uuid4().hex[:8]}")
        assert self.client.v2.entities.kyc.submit(entity.id, provider_name="Acme KYC", jurisdiction="BASELINE", data=baseline_kyc()).status == "PASS"
        account = self.client.v2.entities.accounts.create(entity.id, jurisdiction="BASELINE")
        wallet = self.client.v2.accounts.wallet
        if external:
            challenge = wallet.external.get_nonce(account.id, chain_id=CAIP2, wallet_address=holder.address)
            signature = sign_personal("0x" + bytes(holder.key).hex(), challenge.message)
            wallet.external.connect(account.id, chain_id=CAIP2, nonce=challenge.nonce, wallet_address=holder.address, signature=signature)
        else:
            wallet.connect_internal(account.id, chain_id=CAIP2, wallet_address=holder.address)
        for _ in range(grants):
            self.client.v2.accounts.mint_sandbox_tokens(account.id)
        return account.id

    def stock_id(self, symbol: str) -> str:
        return self.client.v2.market_data.stocks.list(symbols=[symbol]).data[0].id

    def buy(self, account_id: str, symbol: str, dollars: int) -> Any:
        request = self.client.v2.accounts.order_requests.create_market_buy(
            account_id, stock_id=self.stock_id(symbol), payment_amount=dollars, client_order_id=f"b-{uuid.uuid4().hex[:8]}"
        )
        return self.filled(account_id, request.order_id)

    def sell(self, account_id: str, symbol: str, quantity: Decimal) -> Any:
        request = self.client.v2.accounts.order_requests.create_market_sell(
            account_id, stock_id=self.stock_id(symbol), asset_quantity=float(quantity), client_order_id=f"s-{uuid.uuid4().hex[:8]}"
        )
        return self.filled(account_id, request.order_id)

    def filled(self, account_id: str, order_id: str) -> Any:
        deadline = time.monotonic() + 20
        while True:
            order = self.client.v2.accounts.orders.retrieve(order_id, account_id=account_id)
            if order.status == "FILLED":
                return order
            assert time.monotonic() < deadline, f"order {order_id} is {order.status}"
            time.sleep(0.2)

    def holding(self, account_id: str, symbol: str) -> Decimal:
        assets = self.client.v2.accounts.get_portfolio(account_id).assets
        return sum((Decimal(str(a.amount)) for a in assets if a.symbol == symbol), Decimal(0))

    def usd_plus(self, account_id: str) -> Decimal:
        balances = self.client.v2.accounts.get_cash_balances(account_id)
        return sum((Decimal(str(b.amount)) for b in balances if b.symbol == "USD+"), Decimal(0))

    def send(self, holder: LocalAccount, fn: Any) -> Any:
        """`fn` sent by the customer's own wallet (it pays the gas), once mined."""
        fields = {"from": holder.address, "nonce": self.w3.eth.get_transaction_count(holder.address), "chainId": CHAIN_ID, "gas": 200_000}
        raw = holder.sign_transaction(fn.build_transaction(fields)).raw_transaction
        return self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_raw_transaction(raw), timeout=10, poll_latency=0.05)

    def mints_to(self, key: str, holder: str) -> list[Any]:
        """Every Transfer from the zero address to `holder` on `key`'s contract since genesis."""
        return self.token(key).events.Transfer().get_logs(from_block=0, argument_filters={"sender": ZERO, "receiver": holder})

    def stop(self) -> None:
        if self.gateway.process.poll() is None:
            self.gateway.stop()
        self.node.stop()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory(prefix="brokergate-chain-") as root:
        created = World(Path(root))
        try:
            yield created
        finally:
            created.stop()


def units(amount: Decimal, scale: int) -> int:
    exact = amount * scale
    assert exact == exact.to_integral_value(), f"{amount} is not a whole number of base units"
    return int(exact)


def test_deploy_isIdempotent_andTheStockListNamesTheDeployedContracts(world: World) -> None:
    assert world.deployment["chain_id"] == CAIP2 and world.deployment["deployer"] == world.minter.address
    # The allowlist and the order processor too.
    assert world.deployment["deployed"] == len(world.deployment["tokens"]) + 2
    assert world.deployment["processor"].startswith("0x")
    again = world.deploy()
    assert again["deployed"] == 0 and again["tokens"] == world.deployment["tokens"]
    aapl = world.client.v2.market_data.stocks.list(symbols=["AAPL"]).data[0]
    assert f"{CAIP2}:{world.deployment['tokens']['AAPL']}" in aapl.tokens
    token = world.token("AAPL")
    assert (token.functions.decimals().call(), token.functions.transfer_policy().call()) == (18, 0)
    assert world.token("SPY").functions.transfer_policy().call() == 1
    assert world.token("BRK.B").functions.transfer_policy().call() == 2
    assert world.token("USD+").functions.decimals().call() == 6


def test_journey_buyMintsToTheWallet_sellBurns_andReservesMatchTheChain(world: World) -> None:
    holder = world.holders[0]
    account_id = world.customer(holder)
    world.settle()
    assert world.allowlist.functions.allowed(holder.address).call() is True
    usd = world.token("USD+")
    assert usd.functions.balanceOf(holder.address).call() == units(world.usd_plus(account_id), USD_UNIT)

    order = world.buy(account_id, "AAPL", 100)
    world.settle()
    aapl = world.token("AAPL")
    held = world.holding(account_id, "AAPL")
    assert held > 0 and aapl.functions.balanceOf(holder.address).call() == units(held, STOCK_UNIT)
    assert usd.functions.balanceOf(holder.address).call() == units(world.usd_plus(account_id), USD_UNIT)
    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    receipt = world.w3.eth.get_transaction_receipt(fill.transaction_hash)
    assert receipt.status == 1 and receipt.to == aapl.address
    (minted,) = aapl.events.Transfer().process_receipt(receipt)
    assert (minted.args.sender, minted.args.receiver, minted.args.value) == (ZERO, holder.address, units(held, STOCK_UNIT))

    reserves = httpx.get(f"{world.gateway.base}/api/v2/reserves", timeout=10).json()["report"]
    assert reserves["fully_backed"] is True and reserves["reconciliation"]["status"] == "OK"
    chain = reserves["chain"]
    assert chain["chain_id"] == CAIP2 and chain["allowlist"] == world.deployment["allowlist"]
    assert chain["block_number"] <= world.w3.eth.block_number
    lines = {line["token"]: line for line in chain["tokens"]}
    assert {key: line["contract"] for key, line in lines.items()} == world.deployment["tokens"]
    assert all(line["balanced"] for line in lines.values())
    (stock_line,) = [line for line in reserves["stocks"] if line["symbol"] == "AAPL"]
    supply = aapl.functions.totalSupply().call(block_identifier=chain["block_number"])
    assert int(lines["AAPL"]["total_supply"]) == supply == units(Decimal(stock_line["tokens_outstanding"]), STOCK_UNIT)

    sold = world.sell(account_id, "AAPL", held)
    world.settle()
    assert aapl.functions.balanceOf(holder.address).call() == 0 and aapl.functions.totalSupply().call() == 0
    (sale,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[sold.id]).data
    (burned,) = aapl.events.Transfer().process_receipt(world.w3.eth.get_transaction_receipt(sale.transaction_hash))
    assert (burned.args.sender, burned.args.receiver) == (holder.address, ZERO)
    assert usd.functions.balanceOf(holder.address).call() == units(world.usd_plus(account_id), USD_UNIT)


def test_allowlist_followsKYC_aNewerFailingCheckRemovesTheWallet(world: World) -> None:
    holder = world.holders[1]
    account_id = world.customer(holder, grants=0)
    world.settle()
    assert world.allowlist.functions.allowed(holder.address).call() is True
    entity_id = world.client.v2.accounts.retrieve(account_id).entity_id
    failed = world.client.v2.entities.kyc.submit(
        entity_id, provider_name="Acme KYC", jurisdiction="BASELINE", data=baseline_kyc(country_code="KP", address_country_code="KP")
    )
    assert failed.status == "FAIL"
    deadline = time.monotonic() + SETTLE_S_MAX
    while world.allowlist.functions.allowed(holder.address).call():
        assert time.monotonic() < deadline, f"the wallet is still allowlisted: {world.outbox()}"
        time.sleep(0.25)


def test_policies_restrictedRevertsToAStranger_openMoves_lockedNever_onlyTheMinterMints(world: World) -> None:
    holder, stranger = world.holders[2], Account.create()
    account_id = world.customer(holder, grants=3)
    for symbol in ("AAPL", "SPY", "BRK.B"):
        world.buy(account_id, symbol, 50)
    world.settle()

    def send(fn: Any) -> Any:
        return world.send(holder, fn)

    aapl, spy, brk = world.token("AAPL"), world.token("SPY"), world.token("BRK.B")
    for token, reason in ((aapl, "receiver not allowlisted"), (brk, "token is locked")):
        with pytest.raises(ContractLogicError, match=reason):
            token.functions.transfer(stranger.address, 1).call({"from": holder.address})
        assert send(token.functions.transfer(stranger.address, 1)).status == 0
    with pytest.raises(ContractLogicError, match="only minter"):
        aapl.functions.mint(holder.address, 1).call({"from": holder.address})
    assert send(aapl.functions.mint(holder.address, 1)).status == 0
    assert send(spy.functions.transfer(stranger.address, 1)).status == 1
    assert spy.functions.balanceOf(stranger.address).call() == 1
    assert aapl.functions.balanceOf(stranger.address).call() == brk.functions.balanceOf(stranger.address).call() == 0


def test_externalWallet_portfolioIsTheChainsBalance_andASellMustBeCoveredThere(world: World) -> None:
    holder, stranger = world.holders[3], Account.create()
    account_id = world.customer(holder, external=True)
    world.buy(account_id, "SPY", 100)
    world.settle()
    ledger = world.holding(account_id, "SPY")
    spy = world.token("SPY")
    assert spy.functions.balanceOf(holder.address).call() == units(ledger, STOCK_UNIT)
    # The customer's own wallet sends 0.05 SPY away (an OPEN token: nobody needs to agree).
    moved = Decimal("0.05")
    assert world.send(holder, spy.functions.transfer(stranger.address, units(moved, STOCK_UNIT))).status == 1
    assert world.holding(account_id, "SPY") == ledger - moved
    with pytest.raises(UnprocessableEntityError) as refused:
        world.sell(account_id, "SPY", ledger.quantize(Decimal("0.0001"), rounding=ROUND_DOWN))
    assert refused.value.body["error"]["code"] == "insufficient_onchain_balance"
    sellable = (ledger - moved).quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    world.sell(account_id, "SPY", sellable)
    world.settle()
    assert spy.functions.balanceOf(holder.address).call() == units(ledger - moved - sellable, STOCK_UNIT)


@pytest.mark.parametrize("point", ["before_chain_sign", "after_chain_broadcast"])
def test_kill9_beforeSigningOrAfterBroadcast_mintsExactlyOnce(world: World, point: str, tmp_path: Path) -> None:
    holder = Account.create()
    account_id = world.customer(holder)
    world.settle()
    marker = tmp_path / "crashed"
    world.restart(BROKERGATE_CRASH_AT=f"{point}:{marker}")
    order = world.buy(account_id, "MSFT", 100)
    deadline = time.monotonic() + 20
    while world.gateway.process.poll() is None:
        assert time.monotonic() < deadline, "the gateway did not reach the crash point"
        time.sleep(0.1)
    assert marker.read_text() == point and world.gateway.process.returncode == -9
    world.restart()
    outbox = world.settle()
    held = world.holding(account_id, "MSFT")
    (mint,) = world.mints_to("MSFT", holder.address)
    assert mint.args.value == units(held, STOCK_UNIT) == world.token("MSFT").functions.balanceOf(holder.address).call()
    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    assert fill.transaction_hash == mint.transactionHash.to_0x_hex()
    # One transaction per nonce: the minter sent exactly what the outbox signed.
    assert world.w3.eth.get_transaction_count(world.minter.address) == outbox["next_nonce"]


def test_droppedNode_delaysTheOutbox_andNeverDuplicates(world: World) -> None:
    holder = Account.create()
    account_id = world.customer(holder)
    world.settle()
    sent_before = world.w3.eth.get_transaction_count(world.minter.address)
    world.node.control("faults", {"mode": "error", "seconds": 4})
    world.buy(account_id, "NVDA", 100)  # the ledger moves; the chain waits
    time.sleep(1)
    assert world.outbox()["by_status"]["PENDING"] > 0
    # The public report needs the chain's supplies: while the node is down it says so.
    reserves = httpx.get(f"{world.gateway.base}/api/v2/reserves", timeout=10)
    assert reserves.status_code == 503 and reserves.json()["error"]["code"] == "chain_unavailable"
    assert int(reserves.headers["retry-after"]) > 0
    outbox = world.settle()
    (mint,) = world.mints_to("NVDA", holder.address)
    assert mint.args.value == units(world.holding(account_id, "NVDA"), STOCK_UNIT)
    assert world.w3.eth.get_transaction_count(world.minter.address) == outbox["next_nonce"] > sent_before


def test_reorg_dropsAMinedMint_theSameTransactionIsMinedAgain_once(world: World) -> None:
    holder = Account.create()
    account_id = world.customer(holder)
    order = world.buy(account_id, "AAPL", 25)
    world.settle()
    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    mined = world.w3.eth.get_transaction_receipt(fill.transaction_hash)
    # A few blocks deeper than the mint's: the node keeps producing blocks meanwhile.
    dropped = world.node.control("reorg", {"depth": world.w3.eth.block_number - mined.blockNumber + 5})
    assert fill.transaction_hash in json.dumps(dropped)
    deadline = time.monotonic() + SETTLE_S_MAX
    while True:
        again = receipt_or_none(world, fill.transaction_hash)
        if again is not None and again.blockHash != mined.blockHash:
            break
        assert time.monotonic() < deadline, f"the dropped mint was not sent again: {world.outbox()}"
        time.sleep(0.2)
    world.settle()
    assert again.status == 1
    (mint,) = world.mints_to("AAPL", holder.address)
    assert mint.transactionHash.to_0x_hex() == fill.transaction_hash  # the same signed transaction, not a second one
    assert world.token("AAPL").functions.balanceOf(holder.address).call() == units(world.holding(account_id, "AAPL"), STOCK_UNIT)


def receipt_or_none(world: World, transaction_hash: str) -> Any:
    try:
        return world.w3.eth.get_transaction_receipt(transaction_hash)
    except TransactionNotFound:
        return None


def test_theMinterKey_isNeverPrinted(world: World) -> None:
    key = bytes(world.minter.key).hex()
    assert key not in world.deploy_output and key.upper() not in world.deploy_output
    log = world.gateway.log_tail(100_000)
    assert key not in log and key.upper() not in log
    assert key not in json.dumps(world.outbox())


def test_metrics_countTheChainOutboxByStatus(world: World) -> None:
    world.settle()
    text = httpx.get(f"{world.gateway.base}/metrics", timeout=10).text
    counts = {status: world.outbox()["by_status"][status] for status in ("PENDING", "SIGNED", "FAILED")}
    for status, count in counts.items():
        assert f'brokergate_chain_intents{{status="{status}"}} {count}' in text, text[-2000:]
    assert 'brokergate_chain_intents{status="FINAL"}' in text
