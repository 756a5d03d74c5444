"""Self-custody orders (the SDK's ``order_requests.eip155``) on a real EVM (evm_node.py).

One node, one ``brokergate chain deploy`` and one gateway (``--chain evm:``, 2
confirmations) serve the module, as in test_chain_gateway.py, whose ``World`` this module
reuses; the expiry and crash tests restart that gateway with a setting of their own. Each
customer is KYC-passed and trades from their OWN wallet (linked by signature), so the
gateway never holds their key: they sign the EIP-712 permit with eth-account, and for a
self-sent order they also sign and pay for the processor transaction.

web3 is the independent reader: escrow, refunds, mints and the processor's events are read
from the chain, not from the gateway.

- Proxied market buy: permit → signature → ``submit`` (the gateway relays and pays gas) →
  the on-chain order becomes an order that fills; the wallet holds exactly the fill, paid
  exactly payment + fee (the rest of the escrow refunded), the processor holds nothing,
  the reserves stay balanced. A limit buy filled below its limit gets the difference back.
- Self-sent market sell: ``create_permit_transaction`` → the customer sends the call
  (calldata checked against the ABI) → filled; the stock escrow is retired, the proceeds
  minted. A self-sent order with other terms than quoted is REJECTED and refunded.
- Refusals (422 with a code): a permit signed by another key, a second submission, an
  expired permit, an unsupported payment token; each changes nothing, on the gateway or on
  chain.
- Saturday: a market buy that reaches the chain is cancelled and its escrow refunded; a
  limit buy becomes an order waiting for Monday with its escrow held (and a cancel
  refunds it).
- ``kill -9`` right after the on-chain event became an order: after the restart the order
  fills exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from dinari_api_sdk import UnprocessableEntityError
from dinari_api_sdk.types.v2.accounts.order_requests.eip155_submit_response import Eip155SubmitResponse
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3.contract import Contract
from web3.logs import DISCARD

from support import sdk_error
from test_chain_gateway import CAIP2, CHAIN_ID, REPO_ROOT, STOCK_UNIT, TUESDAY_REGULAR, USD_UNIT, ZERO, World, units

pytestmark = pytest.mark.skipif(not os.environ.get("BROKERGATE_BIN"), reason="needs BROKERGATE_BIN (starts the gateway)")

PROCESSOR_ABI = json.loads((REPO_ROOT / "contracts" / "build" / "OrderProcessor.json").read_text())["abi"]
SANDBOX_CLOCK = "/api/v2/sandbox/clock"
SATURDAY = "2026-11-28T15:00:00Z"  # 10:00 ET on a Saturday: no session
PERMIT_SECONDS_SHORT = 10  # the smallest lifetime the gateway takes
WAIT_S_MAX = 30.0
EIP155_REQUEST_FIELDS = set(Eip155SubmitResponse.model_fields)


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with tempfile.TemporaryDirectory(prefix="brokergate-chain-orders-") as root:
        created = World(Path(root))
        try:
            yield created
        finally:
            created.stop()


def partner_headers(world: World) -> dict[str, str]:
    return {"X-API-Key-Id": world.partner_key[0], "X-API-Secret-Key": world.partner_key[1]}


def set_clock(world: World, instant: str) -> None:
    response = httpx.put(f"{world.gateway.base}{SANDBOX_CLOCK}", json={"now": instant}, headers=world.operator, timeout=10)
    assert response.status_code == 200, response.text


def own_wallet_customer(world: World, holder: LocalAccount | None = None, grants: int = 1) -> tuple[str, LocalAccount]:
    """A KYC-passed customer whose wallet is their own key (linked by signature), with USD+
    on chain; `holder` when it needs ETH to send transactions itself."""
    holder = holder or Account.create()
    account_id = world.customer(holder, grants=grants, external=True)
    world.settle()
    return account_id, holder


def usd_address(world: World) -> str:
    return world.deployment["tokens"]["USD+"]


def quote(world: World, account_id: str, symbol: str, side: str, order_type: str = "MARKET", **quantities: Any) -> Any:
    return world.client.v2.accounts.order_requests.eip155.create_permit(
        account_id, chain_id=CAIP2, order_side=side, order_tif="DAY", order_type=order_type, payment_token=usd_address(world),
        stock_id=world.stock_id(symbol), **quantities,
    )  # fmt: skip


def sign_permit(permit: dict[str, Any], signer: LocalAccount) -> str:
    """What the customer's wallet answers to eth_signTypedData_v4 over the permit."""
    signed = Account.sign_message(encode_typed_data(full_message=permit), signer.key)
    return "0x" + bytes(signed.signature).hex()


def eip155_request(world: World, account_id: str, request_id: str) -> Eip155SubmitResponse:
    """Our extension, GET …/order_requests/eip155/{id}: Dinari's EIP155OrderRequest shape."""
    url = f"{world.gateway.base}/api/v2/accounts/{account_id}/order_requests/eip155/{request_id}"
    response = httpx.get(url, headers=partner_headers(world), timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == EIP155_REQUEST_FIELDS, body
    found = Eip155SubmitResponse.model_validate(body)
    assert (found.id, found.account_id) == (request_id, account_id)
    return found


def wait_request(world: World, account_id: str, request_id: str, leaving: tuple[str, ...] = ("QUOTED", "PENDING")) -> Eip155SubmitResponse:
    deadline = time.monotonic() + WAIT_S_MAX
    while True:
        found = eip155_request(world, account_id, request_id)
        if found.status not in leaving:
            return found
        assert time.monotonic() < deadline, f"order request {request_id} is still {found.status}\n{world.outbox()}\n{world.gateway.log_tail()}"
        time.sleep(0.2)


def wait_order(world: World, account_id: str, order_id: str, leaving: tuple[str, ...]) -> Any:
    deadline = time.monotonic() + WAIT_S_MAX
    while True:
        order = world.client.v2.accounts.orders.retrieve(order_id, account_id=account_id)
        if order.status not in leaving:
            return order
        assert time.monotonic() < deadline, f"order {order_id} is still {order.status}\n{world.gateway.log_tail()}"
        time.sleep(0.2)


def processor_of(world: World, permit: dict[str, Any]) -> Contract:
    """The order processor the permit names as spender: the one `chain deploy` deployed, and
    the gateway's key runs it."""
    assert permit["message"]["spender"] == world.deployment["processor"]
    processor = world.w3.eth.contract(address=permit["message"]["spender"], abi=PROCESSOR_ABI)
    assert len(world.w3.eth.get_code(processor.address)) > 0
    assert processor.functions.operator().call() == processor.functions.owner().call() == world.minter.address
    return processor


def processor_events(processor: Contract, name: str, requester: str) -> list[Any]:
    return getattr(processor.events, name)().get_logs(from_block=0, argument_filters={"requester": requester})


def check_permit(world: World, permit: dict[str, Any], owner: str, escrow_key: str) -> None:
    """The typed data is an EIP-2612 permit on the escrowed token's own domain, for the processor."""
    token = world.token(escrow_key)
    assert permit["primaryType"] == "Permit"
    assert permit["domain"] == {"name": token.functions.name().call(), "version": "1", "chainId": CHAIN_ID, "verifyingContract": token.address}
    message = permit["message"]
    assert message["owner"] == owner and int(message["nonce"]) == token.functions.nonces(owner).call()
    assert int(message["deadline"]) > time.time()
    order = permit["order"]
    assert (order["escrow_token"], order["escrow_token_address"], order["escrow_amount"]) == (escrow_key, token.address, message["value"])
    # deadline_dt is the same instant as the signed deadline.
    deadline_dt = dt.datetime.fromisoformat(order["deadline_dt"].replace("Z", "+00:00"))
    assert int(deadline_dt.timestamp()) == int(message["deadline"])


def reserves_balanced(world: World) -> dict[str, Any]:
    response = httpx.get(f"{world.gateway.base}/api/v2/reserves", timeout=10)
    assert response.status_code == 200, response.text
    report = response.json()["report"]
    assert report["fully_backed"] is True, report
    assert report["reconciliation"]["status"] == "OK" and report["reconciliation"]["breaks"] == [], report["reconciliation"]
    unbalanced = [line for line in report["chain"]["tokens"] if not line["balanced"]]
    assert unbalanced == [], unbalanced
    return report


def send_as(world: World, holder: LocalAccount, call: dict[str, Any]) -> Any:
    """`call` ({to, data, value}) signed and sent by the customer's own wallet, which pays the
    gas (estimated: the node refuses a call that would revert), once mined."""
    tx = {**call, "from": holder.address, "chainId": CHAIN_ID}
    tx.update(nonce=world.w3.eth.get_transaction_count(holder.address), gas=world.w3.eth.estimate_gas(tx) + 50_000, gasPrice=world.w3.eth.gas_price)
    raw = holder.sign_transaction(tx).raw_transaction
    return world.w3.eth.wait_for_transaction_receipt(world.w3.eth.send_raw_transaction(raw), timeout=10, poll_latency=0.05)


def intents_for(world: World, request_id: str) -> list[dict[str, Any]]:
    return [intent for intent in world.outbox()["open"] if intent["cause"] == f"eip155_order_request/{request_id}"]


def assert_refused(call: Any, code: str) -> dict[str, Any]:
    with pytest.raises(UnprocessableEntityError) as refused:
        call()
    error = sdk_error(refused.value)
    assert error["code"] == code, error
    return error


# --- proxied: the gateway relays the customer's permit -----------------------------------------


def test_proxiedMarketBuy_relayedOnChain_fillsOnce_refundsTheRest_andMintsTheFill(world: World) -> None:
    account_id, holder = own_wallet_customer(world)
    usd, aapl = world.token("USD+"), world.token("AAPL")
    usd_before = usd.functions.balanceOf(holder.address).call()
    gas_before = world.w3.eth.get_balance(holder.address)

    quoted = quote(world, account_id, "AAPL", "BUY", payment_token_quantity=100)
    permit = quoted.permit
    check_permit(world, permit, holder.address, "USD+")
    escrow = int(permit["message"]["value"])
    fee = Decimal(str(permit["order"]["fee"]))
    assert fee > 0 and escrow == units(Decimal(100) + fee, USD_UNIT)  # payment plus the quoted fee
    processor = processor_of(world, permit)
    assert eip155_request(world, account_id, quoted.order_request_id).status == "QUOTED"

    submitted = world.client.v2.accounts.order_requests.eip155.submit(
        account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(permit, holder)
    )
    assert (submitted.id, submitted.status, submitted.order_id) == (quoted.order_request_id, "PENDING", None)
    assert (submitted.order_side, submitted.order_type, submitted.order_tif) == ("BUY", "MARKET", "DAY")

    taken = wait_request(world, account_id, quoted.order_request_id)
    assert taken.status == "SUBMITTED" and taken.order_id, taken
    # The order's request is the eip155 request: the order request API reads it too.
    request = world.client.v2.accounts.order_requests.retrieve(quoted.order_request_id, account_id=account_id)
    assert (request.status, request.order_id) == ("SUBMITTED", taken.order_id)
    order = world.filled(account_id, taken.order_id)
    assert order.order_request_id == quoted.order_request_id
    assert (order.payment_token, order.asset_token) == (usd.address, aapl.address)
    assert order.order_contract_address == world.deployment["processor"]
    world.settle()

    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    bought = Decimal(str(fill.asset_token_filled))
    paid = Decimal(str(fill.payment_token_spent)) + Decimal(str(fill.payment_token_fee))
    assert bought > 0 and Decimal(str(fill.payment_token_fee)) == fee
    # The chain: the gateway sent create_order (the customer paid no gas), the processor
    # retired what was paid and refunded the rest, the fill was minted to the wallet.
    assert world.w3.eth.get_balance(holder.address) == gas_before
    (created,) = processor_events(processor, "OrderCreated", holder.address)
    assert (created.args.sell, created.args.amount, created.args.fee) == (False, escrow, units(fee, USD_UNIT))
    assert (created.args.asset_token, created.args.payment_token) == (aapl.address, usd.address)
    assert world.w3.eth.get_transaction(created.transactionHash)["from"] == world.minter.address
    retired = sum(event.args.retired for event in processor_events(processor, "OrderFilled", holder.address))
    (closed,) = processor_events(processor, "OrderClosed", holder.address)
    assert retired == units(paid, USD_UNIT) and closed.args.refund == escrow - retired
    assert processor.functions.order_open(created.args.order_id).call() is False
    assert aapl.functions.balanceOf(holder.address).call() == units(bought, STOCK_UNIT)
    (mint,) = world.mints_to("AAPL", holder.address)
    assert mint.transactionHash.to_0x_hex() == fill.transaction_hash
    assert usd.functions.balanceOf(holder.address).call() == usd_before - units(paid, USD_UNIT)
    for token in (usd, aapl):
        assert processor.functions.escrowed(token.address).call() == 0
        assert token.functions.balanceOf(processor.address).call() == 0
    # The gateway's view agrees with the chain's.
    assert world.holding(account_id, "AAPL") == bought
    assert units(world.usd_plus(account_id), USD_UNIT) == usd.functions.balanceOf(holder.address).call()
    reserves_balanced(world)


def test_proxiedLimitBuy_filledBelowItsLimit_refundsTheUnusedEscrow(world: World) -> None:
    account_id, holder = own_wallet_customer(world)
    usd, meta = world.token("USD+"), world.token("META")
    usd_before = usd.functions.balanceOf(holder.address).call()
    quoted = quote(world, account_id, "META", "BUY", "LIMIT", asset_token_quantity=0.25, limit_price=2000)
    escrow = int(quoted.permit["message"]["value"])
    assert escrow == units(Decimal(500) + Decimal(str(quoted.permit["order"]["fee"])), USD_UNIT)  # quantity x limit + fee
    processor = processor_of(world, quoted.permit)
    world.client.v2.accounts.order_requests.eip155.submit(
        account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(quoted.permit, holder)
    )
    taken = wait_request(world, account_id, quoted.order_request_id)
    assert taken.status == "SUBMITTED", taken
    order = world.filled(account_id, taken.order_id)
    world.settle()
    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    paid = units(Decimal(str(fill.payment_token_spent)) + Decimal(str(fill.payment_token_fee)), USD_UNIT)
    assert Decimal(str(fill.asset_token_filled)) == Decimal("0.25") and paid < escrow  # below the limit
    retired = sum(event.args.retired for event in processor_events(processor, "OrderFilled", holder.address))
    (closed,) = processor_events(processor, "OrderClosed", holder.address)
    assert retired == paid and closed.args.refund == escrow - paid > 0
    assert usd.functions.balanceOf(holder.address).call() == usd_before - paid
    assert meta.functions.balanceOf(holder.address).call() == units(Decimal("0.25"), STOCK_UNIT)
    assert processor.functions.escrowed(usd.address).call() == usd.functions.balanceOf(processor.address).call() == 0
    reserves_balanced(world)


# --- self-sent: the customer sends the processor call and pays its gas -------------------------


def test_selfSentMarketSell_viaPermitTransaction_retiresTheStockEscrow_andMintsTheProceeds(world: World) -> None:
    account_id, holder = own_wallet_customer(world, world.holders[0])
    world.buy(account_id, "SPY", 200)  # custodial API buy: SPY minted to the customer's wallet
    world.settle()
    usd, spy = world.token("USD+"), world.token("SPY")
    held = spy.functions.balanceOf(holder.address).call()
    usd_before = usd.functions.balanceOf(holder.address).call()
    selling = Decimal("0.1")
    assert 0 < units(selling, STOCK_UNIT) < held

    quoted = quote(world, account_id, "SPY", "SELL", asset_token_quantity=float(selling))
    permit = quoted.permit
    check_permit(world, permit, holder.address, "SPY")
    assert int(permit["message"]["value"]) == units(selling, STOCK_UNIT)
    processor = processor_of(world, permit)
    call = world.client.v2.accounts.order_requests.eip155.create_permit_transaction(
        account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(permit, holder)
    )
    assert call.contract_address == processor.address and call.value == "0"
    assert call.abi["name"] == "create_order" and call.abi in PROCESSOR_ABI
    # The calldata is exactly create_order(args) by the processor's ABI.
    args = call.args
    assert (args["requester"], args["asset_token"], args["payment_token"], args["sell"]) == (holder.address, spy.address, usd.address, True)
    assert (args["amount"], args["deadline"]) == (permit["message"]["value"], permit["message"]["deadline"])
    encoded = processor.encode_abi(
        "create_order",
        args=[
            bytes.fromhex(args["order_id"][2:]), args["requester"], args["asset_token"], args["payment_token"], args["sell"],
            int(args["amount"]), int(args["fee"]), int(args["deadline"]), args["v"], bytes.fromhex(args["r"][2:]), bytes.fromhex(args["s"][2:]),
        ],
    )  # fmt: skip
    assert encoded.lower() == call.data.lower()
    # Preparing the call changed nothing: the request waits for the chain.
    assert eip155_request(world, account_id, quoted.order_request_id).status == "QUOTED"
    assert intents_for(world, quoted.order_request_id) == []

    receipt = send_as(world, holder, {"to": call.contract_address, "data": call.data, "value": int(call.value)})
    assert receipt.status == 1
    (created,) = processor.events.OrderCreated().process_receipt(receipt, errors=DISCARD)
    assert "0x" + created.args.order_id.hex() == args["order_id"] and created.args.sell is True
    assert spy.functions.balanceOf(holder.address).call() == held - units(selling, STOCK_UNIT)
    # The permit is spent on chain: relaying it again is refused before any gas is paid.
    with pytest.raises(UnprocessableEntityError) as again:
        world.client.v2.accounts.order_requests.eip155.submit(
            account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(permit, holder)
        )
    assert sdk_error(again.value)["code"] in ("permit_nonce_used", "order_request_not_quoted")

    taken = wait_request(world, account_id, quoted.order_request_id)
    assert taken.status == "SUBMITTED" and taken.order_id, taken
    order = world.filled(account_id, taken.order_id)
    assert (order.order_side, order.order_request_id) == ("SELL", quoted.order_request_id)
    world.settle()
    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    assert Decimal(str(fill.asset_token_spent)) == selling
    proceeds = Decimal(str(fill.payment_token_filled)) - Decimal(str(fill.payment_token_fee))
    assert proceeds > 0
    # The sold tokens were retired out of escrow, nothing refunded; the proceeds minted.
    (filled,) = processor_events(processor, "OrderFilled", holder.address)
    (closed,) = processor_events(processor, "OrderClosed", holder.address)
    assert (filled.args.escrow_token, filled.args.retired, closed.args.refund) == (spy.address, units(selling, STOCK_UNIT), 0)
    assert spy.functions.balanceOf(holder.address).call() == held - units(selling, STOCK_UNIT)
    assert processor.functions.escrowed(spy.address).call() == spy.functions.balanceOf(processor.address).call() == 0
    assert usd.functions.balanceOf(holder.address).call() == usd_before + units(proceeds, USD_UNIT)
    # Only the minter moved the customer's USD+ since: the proceeds minted, the fee burned.
    transfers = usd.events.Transfer().get_logs(from_block=receipt.blockNumber)
    mine = [event.args for event in transfers if holder.address in (event.args.sender, event.args.receiver)]
    assert all(ZERO in (moved.sender, moved.receiver) for moved in mine), mine
    net = sum(moved.value if moved.sender == ZERO else -moved.value for moved in mine)
    assert net == units(proceeds, USD_UNIT), mine
    # The customer sent create_order and paid its gas; the gateway relayed nothing.
    assert world.w3.eth.get_transaction(receipt.transactionHash)["from"] == holder.address
    assert not any(intent["id"] == f"create:{args['order_id']}" for intent in world.outbox()["open"])
    reserves_balanced(world)


def test_selfSentOrderWithOtherTermsThanQuoted_isRejected_andTheEscrowRefunded(world: World) -> None:
    account_id, holder = own_wallet_customer(world, world.holders[1])
    usd = world.token("USD+")
    usd_before = usd.functions.balanceOf(holder.address).call()
    quoted = quote(world, account_id, "AAPL", "BUY", payment_token_quantity=20)
    processor = processor_of(world, quoted.permit)
    call = world.client.v2.accounts.order_requests.eip155.create_permit_transaction(
        account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(quoted.permit, holder)
    )
    # The customer escrows 1 USD+ less than quoted under the quoted order id, with a permit of their own for it.
    args = call.args
    amount = int(args["amount"]) - USD_UNIT
    permit = {**quoted.permit, "message": {**quoted.permit["message"], "value": str(amount)}}
    signed = Account.sign_message(encode_typed_data(full_message=permit), holder.key)
    data = processor.encode_abi(
        "create_order",
        args=[
            bytes.fromhex(args["order_id"][2:]), holder.address, args["asset_token"], args["payment_token"], False, amount, int(args["fee"]),
            int(args["deadline"]), signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"),
        ],
    )  # fmt: skip
    assert send_as(world, holder, {"to": processor.address, "data": data, "value": 0}).status == 1
    assert usd.functions.balanceOf(holder.address).call() == usd_before - amount
    rejected = wait_request(world, account_id, quoted.order_request_id)
    assert (rejected.status, rejected.order_id) == ("REJECTED", None), rejected
    assert rejected.reject_message and "amount" in rejected.reject_message, rejected
    world.settle()
    (closed,) = processor_events(processor, "OrderClosed", holder.address)
    assert closed.args.refund == amount and processor_events(processor, "OrderFilled", holder.address) == []
    assert usd.functions.balanceOf(holder.address).call() == usd_before
    assert world.client.v2.accounts.orders.list(account_id).data == []
    reserves_balanced(world)


# --- refusals ----------------------------------------------------------------------------------


def test_permitSignedByAnotherKey_isRefused_andChangesNothing(world: World) -> None:
    account_id, holder = own_wallet_customer(world)
    usd = world.token("USD+")
    usd_before = usd.functions.balanceOf(holder.address).call()
    quoted = quote(world, account_id, "MSFT", "BUY", payment_token_quantity=50)
    stranger = Account.create()
    wrong = sign_permit(quoted.permit, stranger)
    eip155 = world.client.v2.accounts.order_requests.eip155
    sent_before = world.outbox()["next_nonce"]
    for call in (eip155.submit, eip155.create_permit_transaction):
        error = assert_refused(lambda: call(account_id, order_request_id=quoted.order_request_id, permit_signature=wrong), "permit_signer_mismatch")
        assert stranger.address in error["message"] and holder.address in error["message"]
    # A signature over other terms (one more unit) recovers another address: refused too.
    tampered = {**quoted.permit, "message": {**quoted.permit["message"], "value": str(int(quoted.permit["message"]["value"]) + 1)}}
    assert_refused(
        lambda: eip155.submit(account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(tampered, holder)),
        "permit_signer_mismatch",
    )
    assert eip155_request(world, account_id, quoted.order_request_id).status == "QUOTED"
    assert intents_for(world, quoted.order_request_id) == [] and world.outbox()["next_nonce"] == sent_before
    assert processor_events(processor_of(world, quoted.permit), "OrderCreated", holder.address) == []
    assert usd.functions.balanceOf(holder.address).call() == usd_before
    assert usd.functions.nonces(holder.address).call() == int(quoted.permit["message"]["nonce"])

    # The request is intact: the right signature still places it.
    submitted = eip155.submit(account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(quoted.permit, holder))
    assert submitted.status == "PENDING"
    assert wait_request(world, account_id, quoted.order_request_id).status == "SUBMITTED"


def test_secondSubmission_isRefused_andTheOrderFillsOnce(world: World) -> None:
    account_id, holder = own_wallet_customer(world)
    quoted = quote(world, account_id, "NVDA", "BUY", payment_token_quantity=40)
    signature = sign_permit(quoted.permit, holder)
    eip155 = world.client.v2.accounts.order_requests.eip155
    assert eip155.submit(account_id, order_request_id=quoted.order_request_id, permit_signature=signature).status == "PENDING"
    # At once, while the first is being relayed, and again once it is an order.
    for call in (eip155.submit, eip155.create_permit_transaction):
        assert_refused(lambda: call(account_id, order_request_id=quoted.order_request_id, permit_signature=signature), "order_request_not_quoted")
    taken = wait_request(world, account_id, quoted.order_request_id)
    assert taken.status == "SUBMITTED"
    order = world.filled(account_id, taken.order_id)
    assert_refused(lambda: eip155.submit(account_id, order_request_id=quoted.order_request_id, permit_signature=signature), "order_request_not_quoted")
    world.settle()
    processor = processor_of(world, quoted.permit)
    assert len(processor_events(processor, "OrderCreated", holder.address)) == 1
    assert len(world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data) == 1
    assert len(world.mints_to("NVDA", holder.address)) == 1
    assert eip155_request(world, account_id, quoted.order_request_id).order_id == order.id


def test_expiredPermit_isRefused_andChangesNothing(world: World) -> None:
    account_id, holder = own_wallet_customer(world)
    world.restart(BROKERGATE_PERMIT_SECONDS=str(PERMIT_SECONDS_SHORT))
    try:
        quoted = quote(world, account_id, "AMZN", "BUY", payment_token_quantity=30)
        deadline = int(quoted.permit["message"]["deadline"])
        assert deadline - PERMIT_SECONDS_SHORT - 2 <= time.time() <= deadline  # the lifetime is the setting
        signature = sign_permit(quoted.permit, holder)
        time.sleep(max(0.0, deadline + 1.2 - time.time()))
        eip155 = world.client.v2.accounts.order_requests.eip155
        sent_before = world.outbox()["next_nonce"]
        for call in (eip155.submit, eip155.create_permit_transaction):
            assert_refused(lambda: call(account_id, order_request_id=quoted.order_request_id, permit_signature=signature), "permit_expired")
        # Unused past its deadline, the quote reads EXPIRED (Dinari's status); nothing was sent.
        assert eip155_request(world, account_id, quoted.order_request_id).status == "EXPIRED"
        assert intents_for(world, quoted.order_request_id) == [] and world.outbox()["next_nonce"] == sent_before
        assert processor_events(processor_of(world, quoted.permit), "OrderCreated", holder.address) == []
        assert world.token("USD+").functions.nonces(holder.address).call() == int(quoted.permit["message"]["nonce"])
    finally:
        world.restart()


def test_unsupportedPaymentToken_isRefused(world: World) -> None:
    account_id, _ = own_wallet_customer(world)
    eip155 = world.client.v2.accounts.order_requests.eip155
    aapl_id = world.stock_id("AAPL")
    for payment_token in (world.deployment["tokens"]["AAPL"], "0x" + uuid.uuid4().hex + "00000000"):
        assert_refused(
            lambda: eip155.create_permit(
                account_id, chain_id=CAIP2, order_side="BUY", order_tif="DAY", order_type="MARKET", payment_token=payment_token,
                stock_id=aapl_id, payment_token_quantity=10,
            ),
            "unsupported_payment_token",
        )  # fmt: skip


# --- outside the session -----------------------------------------------------------------------


def test_saturday_marketBuyOnChainIsCancelledAndRefunded_limitBuyWaitsWithItsEscrow(world: World) -> None:
    account_id, holder = own_wallet_customer(world)
    usd = world.token("USD+")
    usd_before = usd.functions.balanceOf(holder.address).call()
    eip155 = world.client.v2.accounts.order_requests.eip155
    set_clock(world, SATURDAY)
    try:
        market = quote(world, account_id, "AAPL", "BUY", payment_token_quantity=50)
        processor = processor_of(world, market.permit)
        eip155.submit(account_id, order_request_id=market.order_request_id, permit_signature=sign_permit(market.permit, holder))
        refused = wait_request(world, account_id, market.order_request_id)
        assert (refused.status, refused.order_id) == ("CANCELLED", None), refused
        assert refused.cancel_message, refused
        world.settle()
        (created,) = processor_events(processor, "OrderCreated", holder.address)
        (closed,) = processor_events(processor, "OrderClosed", holder.address)
        assert closed.args.order_id == created.args.order_id and closed.args.refund == created.args.amount == int(market.permit["message"]["value"])
        assert processor_events(processor, "OrderFilled", holder.address) == []
        assert usd.functions.balanceOf(holder.address).call() == usd_before
        assert processor.functions.escrowed(usd.address).call() == usd.functions.balanceOf(processor.address).call() == 0
        assert world.client.v2.accounts.orders.list(account_id).data == []  # no order was made
        assert units(world.usd_plus(account_id), USD_UNIT) == usd_before
        reserves_balanced(world)

        limit = quote(world, account_id, "AAPL", "BUY", "LIMIT", asset_token_quantity=0.5, limit_price=10)
        escrow = int(limit.permit["message"]["value"])
        assert escrow == units(Decimal(5) + Decimal(str(limit.permit["order"]["fee"])), USD_UNIT)
        eip155.submit(account_id, order_request_id=limit.order_request_id, permit_signature=sign_permit(limit.permit, holder))
        taken = wait_request(world, account_id, limit.order_request_id)
        assert taken.status == "SUBMITTED" and taken.order_id, taken
        time.sleep(1.5)  # the engine ticks every second: the order stays unrouted
        waiting = world.client.v2.accounts.orders.retrieve(taken.order_id, account_id=account_id)
        assert (waiting.status, waiting.order_type, waiting.limit_price) == ("PENDING_SUBMIT", "LIMIT", 10)
        world.settle()
        assert processor.functions.escrowed(usd.address).call() == escrow == usd.functions.balanceOf(processor.address).call()
        assert usd.functions.balanceOf(holder.address).call() == usd_before - escrow
        reserves_balanced(world)

        # Cancelled before Monday: the escrow comes back in full.
        world.client.v2.accounts.orders.cancel(taken.order_id, account_id=account_id)
        assert wait_order(world, account_id, taken.order_id, leaving=("PENDING_SUBMIT", "PENDING_CANCEL")).status == "CANCELLED"
        world.settle()
        assert processor.functions.escrowed(usd.address).call() == usd.functions.balanceOf(processor.address).call() == 0
        assert usd.functions.balanceOf(holder.address).call() == usd_before
        reserves_balanced(world)
    finally:
        set_clock(world, TUESDAY_REGULAR)


# --- crash ------------------------------------------------------------------------------------


def test_kill9_afterTheChainOrderIsRecorded_fillsExactlyOnce(world: World, tmp_path: Path) -> None:
    account_id, holder = own_wallet_customer(world)
    usd, msft = world.token("USD+"), world.token("MSFT")
    usd_before = usd.functions.balanceOf(holder.address).call()
    marker = tmp_path / "crashed"
    world.restart(BROKERGATE_CRASH_AT=f"after_chain_order_recorded:{marker}")
    quoted = quote(world, account_id, "MSFT", "BUY", payment_token_quantity=60)
    processor = processor_of(world, quoted.permit)
    world.client.v2.accounts.order_requests.eip155.submit(
        account_id, order_request_id=quoted.order_request_id, permit_signature=sign_permit(quoted.permit, holder)
    )
    deadline = time.monotonic() + WAIT_S_MAX
    while world.gateway.process.poll() is None:
        assert time.monotonic() < deadline, f"the gateway did not reach the crash point\n{world.gateway.log_tail()}"
        time.sleep(0.1)
    assert marker.read_text() == "after_chain_order_recorded" and world.gateway.process.returncode == -9

    world.restart()
    taken = wait_request(world, account_id, quoted.order_request_id)
    assert taken.status == "SUBMITTED" and taken.order_id, taken
    order = world.filled(account_id, taken.order_id)
    world.settle()
    (fill,) = world.client.v2.accounts.order_fulfillments.query(account_id, order_ids=[order.id]).data
    assert [listed.id for listed in world.client.v2.accounts.orders.list(account_id).data] == [order.id]
    (created,) = processor_events(processor, "OrderCreated", holder.address)
    (closed,) = processor_events(processor, "OrderClosed", holder.address)
    retired = sum(event.args.retired for event in processor_events(processor, "OrderFilled", holder.address))
    paid = units(Decimal(str(fill.payment_token_spent)) + Decimal(str(fill.payment_token_fee)), USD_UNIT)
    assert retired == paid and closed.args.refund == created.args.amount - paid
    (mint,) = world.mints_to("MSFT", holder.address)
    assert mint.args.value == units(Decimal(str(fill.asset_token_filled)), STOCK_UNIT) == msft.functions.balanceOf(holder.address).call()
    assert mint.args.sender == ZERO
    assert usd.functions.balanceOf(holder.address).call() == usd_before - paid
    assert processor.functions.escrowed(usd.address).call() == usd.functions.balanceOf(processor.address).call() == 0
    reserves_balanced(world)
