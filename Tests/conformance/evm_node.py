"""A small Ethereum JSON-RPC node for tests: eth-tester's py-evm chain behind HTTP.

    python evm_node.py --port 0 [--chain-id 11155111] [--fund 0xADDR ...]

prints exactly one line, ``listening on http://127.0.0.1:<port>``, once it answers, then
serves until killed. The gateway (plain HTTP POSTs of JSON-RPC 2.0 bodies) and web3's
HTTPProvider talk to it as to a real node, so a test exercises the same code path as
Sepolia, minus the network.

How it behaves like a real chain, and where it does not:

* Every accepted transaction is mined at once into its own block (automine). A
  transaction whose nonce is ahead of the sender's waits in a per-sender queue until the
  gap fills, as in geth's pool; there is no pending pool otherwise, so "pending" means
  "latest" everywhere, and "safe"/"finalized" mean "latest" too.
* Rejections answer geth's own messages (JSON-RPC code -32000), because the gateway
  recognises them by text: "nonce too low: address 0x…, tx: N state: M" and
  "already known" (also for a transaction already mined), "insufficient funds for gas *
  price + value: …", "intrinsic gas too low: …", "max fee per gas less than block base
  fee: …", "invalid sender: invalid chain id for signer", "only replay-protected
  (EIP-155) transactions allowed over RPC", "transaction type not supported" (only types
  0, 1 and 2 are taken).
* A revert in eth_call / eth_estimateGas answers code 3, "execution reverted[: reason]"
  and the revert data, as geth does.
* The chain id is whatever --chain-id says: eth-tester hard-codes its own on the py-evm
  chain class it builds, so the node derives a subclass with the configured id and
  reopens the same database through it (see `_configure_chain_id`). Every VM py-evm
  builds reads the id from that class, so CHAINID, EIP-155 and EIP-1559 signatures and
  the tokens' EIP-712 domain all see it; a transaction signed for another id is refused.

Test-control endpoints (plain JSON, not JSON-RPC; never subject to injected faults):

    POST /evm/mine   {"blocks": n}                  mine n empty blocks
    POST /evm/faults {"mode": "error", "seconds": s} every JSON-RPC request answers 503 for s seconds
    POST /evm/faults {"mode": "error", "count": n}   the next n JSON-RPC requests answer 503
    POST /evm/faults {"mode": "none"}                clear
    POST /evm/reorg  {"depth": d}                   drop the last d blocks (their transactions
                                                    are gone), then mine d + 1 empty blocks;
                                                    blocks mined at start-up (--fund) stay
    GET  /evm/stats                                 counters, see `Node.stats`
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version as package_version
from typing import Any

import rlp
from eth._utils.address import generate_contract_address
from eth.exceptions import HeaderNotFound, Revert
from eth.vm.spoof import SpoofTransaction
from eth_abi import decode as abi_decode
from eth_tester import PyEVMBackend
from eth_utils import ValidationError, to_canonical_address, to_checksum_address

DEFAULT_CHAIN_ID = 11155111  # Sepolia, the testnet the gateway's sandbox targets.
FUND_WEI = 1000 * 10**18
# The tip eth_maxPriorityFeePerGas suggests (and eth_gasPrice adds to the base fee).
PRIORITY_FEE_WEI = 10**9
FUNDING_GAS = 21_000

# Limits: a test node still must not grow without bound when a test loops by mistake.
BODY_BYTES_MAX = 4 * 1024 * 1024
BATCH_REQUESTS_MAX = 100
LOG_RANGE_BLOCKS_MAX = 10_000
FEE_HISTORY_BLOCKS_MAX = 1024
QUEUED_PER_SENDER_MAX = 64
# One snapshot per block is kept for /evm/reorg; deeper reorgs than this are refused.
SNAPSHOTS_MAX = 256
MINE_BLOCKS_MAX = 10_000
FAULT_SECONDS_MAX = 3600

SUPPORTED_TX_TYPES = (None, 1, 2)  # legacy, EIP-2930, EIP-1559
ZERO_ADDRESS = b"\x00" * 20
REVERT_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)


class RpcError(Exception):
    """A JSON-RPC error answer: code, message and optional data."""

    def __init__(self, code: int, message: str, data: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def rejected(message: str) -> RpcError:
    # geth answers every transaction-pool and state-transition refusal with -32000.
    return RpcError(-32000, message)


def invalid_params(message: str) -> RpcError:
    return RpcError(-32602, f"invalid params: {message}")


# --- wire encoding ----------------------------------------------------------------------


def quantity(value: int) -> str:
    return hex(value)


def data_hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def word_hex(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def bloom_hex(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


def address_hex(value: bytes) -> str:
    # Lower case, as geth answers; callers compare addresses case-insensitively.
    return "0x" + bytes(value).hex()


def parse_quantity(value: Any, name: str) -> int:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")) or len(value) > 66:
        raise invalid_params(f"{name} must be a 0x-prefixed hex quantity, got {value!r}")
    try:
        return int(value, 16)
    except ValueError:
        raise invalid_params(f"{name} must be a 0x-prefixed hex quantity, got {value!r}") from None


def parse_data(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise invalid_params(f"{name} must be 0x-prefixed hex data")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise invalid_params(f"{name} must be 0x-prefixed hex data") from None


def parse_address(value: Any, name: str) -> bytes:
    raw = parse_data(value, name)
    if len(raw) != 20:
        raise invalid_params(f"{name} must be a 20-byte address")
    return raw


def parse_hash(value: Any, name: str) -> bytes:
    raw = parse_data(value, name)
    if len(raw) != 32:
        raise invalid_params(f"{name} must be a 32-byte hash")
    return raw


def param(params: list[Any], index: int, name: str, default: Any = ...) -> Any:
    if index < len(params):
        return params[index]
    if default is ...:
        raise invalid_params(f"missing value for required argument {index} ({name})")
    return default


def revert_reason(data: bytes) -> str | None:
    if data[:4] != REVERT_ERROR_SELECTOR:
        return None
    try:
        return abi_decode(["string"], data[4:])[0]
    except Exception:  # Malformed Error(string) data: report the bare revert.
        return None


# --- transactions as py-evm holds them ---------------------------------------------------


def tx_type(tx: Any) -> int | None:
    return getattr(tx, "type_id", None)


def fee_cap(tx: Any) -> int:
    return tx.max_fee_per_gas if tx_type(tx) == 2 else tx.gas_price


def effective_gas_price(tx: Any, base_fee: int) -> int:
    if tx_type(tx) == 2:
        return min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    return tx.gas_price


# --- the node -----------------------------------------------------------------------------


class Node:
    """The chain and everything the node remembers about it. Every public method takes
    the lock: py-evm's chain is not thread-safe, and a request must see one block."""

    def __init__(self, chain_id: int, fund: list[bytes]) -> None:
        self.lock = threading.RLock()
        self.backend = PyEVMBackend()
        self._configure_chain_id(chain_id)
        self.chain_id = chain_id
        # Mined transactions on the canonical chain: hash -> (block number, index). A
        # reorg removes the entries of the blocks it drops.
        self.tx_index: dict[bytes, tuple[int, int]] = {}
        # Future-nonce transactions: sender -> nonce -> signed transaction.
        self.queued: dict[bytes, dict[int, Any]] = collections.defaultdict(dict)
        # snapshots[-d] is the head before the d-th newest block was mined.
        self.snapshots: collections.deque[bytes] = collections.deque(maxlen=SNAPSHOTS_MAX)
        self.sent_raw = 0
        self.rejected_raw = 0
        self.by_sender: collections.Counter[str] = collections.Counter()
        self.faulted_requests = 0
        self.fault_until = 0.0  # time.monotonic() deadline
        self.fault_count = 0
        self._fund(fund)
        # The funding blocks are this chain's genesis as far as tests go: a reorg never
        # takes back the ether every test starts from.
        self.snapshots.clear()

    def _configure_chain_id(self, chain_id: int) -> None:
        # eth-tester builds its chain class inside setup_tester_chain with a fixed
        # chain_id class attribute and offers no parameter for it. py-evm reads the id
        # from the chain (class) each time it builds a VM, so a subclass with our id,
        # opened on the same database, is the whole change. It is a class, not an
        # instance attribute, because eth-tester's revert to genesis re-creates the
        # chain from its class (`from_genesis_header`).
        old_chain = self.backend.chain
        chain_class = type(old_chain).configure(__name__="BrokerGateTestChain", chain_id=chain_id)
        self.backend.chain = chain_class(old_chain.chaindb.db)
        assert self.backend.chain.get_vm().state.execution_context.chain_id == chain_id

    @property
    def chain(self) -> Any:
        # Not cached: eth-tester replaces the chain object when it reverts to genesis.
        return self.backend.chain

    # --- blocks ---

    def head_number(self) -> int:
        return self.chain.get_canonical_head().block_number

    def _block(self, number: int) -> Any:
        return self.chain.get_canonical_block_by_number(number)

    def _resolve(self, tag: Any, *, name: str = "block") -> int:
        """A block tag or number (or an EIP-1898 object) as a canonical block number."""
        head = self.head_number()
        if tag is None or tag in ("latest", "pending", "safe", "finalized"):
            return head
        if tag == "earliest":
            return 0
        if isinstance(tag, dict):
            if "blockHash" in tag:
                try:
                    header = self.chain.get_block_header_by_hash(parse_hash(tag["blockHash"], name))
                except HeaderNotFound:
                    raise rejected("header for hash not found") from None
                return header.block_number
            tag = tag.get("blockNumber")
        number = parse_quantity(tag, name)
        if number > head:
            raise rejected("header not found")
        return number

    def _state(self, tag: Any) -> Any:
        return self.chain.get_vm(at_header=self._block(self._resolve(tag)).header).state

    def _refresh_pending_timestamp(self) -> None:
        # py-evm stamps the next block when the previous one is mined; a node idle for
        # an hour would then mine with an hour-old timestamp. Re-stamp an empty pending
        # block with the wall clock, as a real chain's next block would carry.
        chain = self.chain
        if chain.header.gas_used == 0:
            parent = chain.get_canonical_head()
            chain.header = chain.header.copy(timestamp=max(parent.timestamp + 1, int(time.time())))

    def _mine(self, transaction: Any | None = None) -> Any:
        """Mines one block holding `transaction` (or nothing) and returns it."""
        self._refresh_pending_timestamp()
        self.snapshots.append(self.backend.take_snapshot())
        if transaction is not None:
            self.chain.apply_transaction(transaction)
        (block_hash,) = self.backend.mine_blocks(1)
        block = self.chain.get_block_by_hash(block_hash)
        assert block.number == self.head_number(), "a mined block must become the head"
        for index, mined in enumerate(block.transactions):
            self.tx_index[mined.hash] = (block.number, index)
        return block

    def mine(self, blocks: int) -> int:
        with self.lock:
            for _ in range(blocks):
                self._mine()
            return self.head_number()

    def reorg(self, depth: int) -> dict[str, Any]:
        with self.lock:
            head = self.head_number()
            if not 1 <= depth <= min(head, len(self.snapshots)):
                raise ValueError(f"depth must be between 1 and {min(head, len(self.snapshots))}")
            dropped = [self._block(number) for number in range(head - depth + 1, head + 1)]
            snapshot = self.snapshots[-depth]
            for _ in range(depth):
                self.snapshots.pop()
            self.backend.revert_to_snapshot(snapshot)
            assert self.head_number() == head - depth, "the revert must land on the snapshot"
            assert self.chain.chain_id == self.chain_id, "a revert must keep the configured chain id"
            dropped_hashes = [tx.hash for block in dropped for tx in block.transactions]
            for tx_hash in dropped_hashes:
                self.tx_index.pop(tx_hash, None)
            for _ in range(depth + 1):
                self._mine()
            assert self.head_number() == head + 1, "after a reorg the chain is one block longer"
            return {
                "block_number": self.head_number(),
                "dropped_blocks": [data_hex(block.hash) for block in dropped],
                "dropped_transactions": [data_hex(tx_hash) for tx_hash in dropped_hashes],
            }

    def _fund(self, addresses: list[bytes]) -> None:
        if not addresses:
            return
        funder_key = self.backend.account_keys[0]
        funder = funder_key.public_key.to_canonical_address()
        with self.lock:
            for address in addresses:
                vm = self.chain.get_vm()
                unsigned = vm.get_transaction_builder().new_unsigned_dynamic_fee_transaction(
                    chain_id=self.chain_id, nonce=vm.state.get_nonce(funder),
                    max_priority_fee_per_gas=PRIORITY_FEE_WEI, max_fee_per_gas=2 * vm.state.base_fee + PRIORITY_FEE_WEI,
                    gas=FUNDING_GAS, to=address, value=FUND_WEI, data=b"", access_list=(),
                )  # fmt: skip
                self._mine(unsigned.as_signed_transaction(funder_key))
                assert self._state("latest").get_balance(address) >= FUND_WEI

    # --- faults and stats ---

    def set_faults(self, mode: str, seconds: float | None, count: int | None) -> None:
        with self.lock:
            self.fault_until, self.fault_count = 0.0, 0
            if mode == "error":
                if seconds is not None:
                    self.fault_until = time.monotonic() + seconds
                if count is not None:
                    self.fault_count = count

    def take_fault(self) -> bool:
        """True if this JSON-RPC request must fail (and counts it against the budget)."""
        with self.lock:
            if time.monotonic() < self.fault_until:
                self.faulted_requests += 1
                return True
            if self.fault_count > 0:
                self.fault_count -= 1
                self.faulted_requests += 1
                return True
            return False

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "block_number": self.head_number(),
                "chain_id": self.chain_id,
                "faulted_requests": self.faulted_requests,
                "queued_transactions": sum(len(queue) for queue in self.queued.values()),
                "rejected_raw_transactions": self.rejected_raw,
                "sent_raw_transactions": self.sent_raw,
                "transactions_by_sender": dict(sorted(self.by_sender.items())),
            }

    # --- JSON shapes ---

    def _block_json(self, block: Any, full_transactions: bool) -> dict[str, Any]:
        header = block.header
        base_fee = header.base_fee_per_gas
        if full_transactions:
            transactions: list[Any] = [self._tx_json(tx, block, index) for index, tx in enumerate(block.transactions)]
        else:
            transactions = [data_hex(tx.hash) for tx in block.transactions]
        result = {
            "baseFeePerGas": quantity(base_fee),
            "difficulty": quantity(header.difficulty),
            "extraData": data_hex(header.extra_data),
            "gasLimit": quantity(header.gas_limit),
            "gasUsed": quantity(header.gas_used),
            "hash": data_hex(header.hash),
            "logsBloom": bloom_hex(header.bloom),
            "miner": address_hex(header.coinbase),
            "mixHash": data_hex(header.mix_hash),
            "nonce": data_hex(header.nonce),
            "number": quantity(header.block_number),
            "parentHash": data_hex(header.parent_hash),
            "receiptsRoot": data_hex(header.receipt_root),
            "sha3Uncles": data_hex(header.uncles_hash),
            "size": quantity(len(rlp.encode(block))),
            "stateRoot": data_hex(header.state_root),
            "timestamp": quantity(header.timestamp),
            "transactions": transactions,
            "transactionsRoot": data_hex(header.transaction_root),
            "uncles": [],
            "withdrawals": [],
        }
        for key, attribute, encode in (
            ("withdrawalsRoot", "withdrawals_root", data_hex),
            ("blobGasUsed", "blob_gas_used", quantity),
            ("excessBlobGas", "excess_blob_gas", quantity),
            ("parentBeaconBlockRoot", "parent_beacon_block_root", data_hex),
            ("requestsHash", "requests_hash", data_hex),
        ):
            value = getattr(header, attribute, None)
            if value is not None:
                result[key] = encode(value)
        return result

    def _tx_json(self, tx: Any, block: Any | None, index: int | None) -> dict[str, Any]:
        kind = tx_type(tx)
        result: dict[str, Any] = {
            "blockHash": data_hex(block.hash) if block is not None else None,
            "blockNumber": quantity(block.number) if block is not None else None,
            "from": address_hex(tx.sender),
            "gas": quantity(tx.gas),
            "hash": data_hex(tx.hash),
            "input": data_hex(tx.data),
            "nonce": quantity(tx.nonce),
            "r": quantity(tx.r),
            "s": quantity(tx.s),
            "to": address_hex(tx.to) if tx.to else None,
            "transactionIndex": quantity(index) if index is not None else None,
            "type": quantity(kind or 0),
            "value": quantity(tx.value),
        }
        if kind is None:
            result["gasPrice"] = quantity(tx.gas_price)
            result["v"] = quantity(tx.v)
            if tx.chain_id is not None:
                result["chainId"] = quantity(tx.chain_id)
            return result
        result["chainId"] = quantity(tx.chain_id)
        result["v"] = result["yParity"] = quantity(tx.y_parity)
        result["accessList"] = [
            {"address": address_hex(address), "storageKeys": [word_hex(key) for key in keys]}
            for address, keys in tx.access_list
        ]
        if kind == 2:
            result["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
            result["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
            base_fee = block.header.base_fee_per_gas if block is not None else self.chain.header.base_fee_per_gas
            result["gasPrice"] = quantity(effective_gas_price(tx, base_fee))
        else:
            result["gasPrice"] = quantity(tx.gas_price)
        return result

    def _receipt_json(self, block: Any, index: int) -> dict[str, Any]:
        tx = block.transactions[index]
        receipts = block.get_receipts(self.chain.chaindb)
        receipt = receipts[index]
        previous_cumulative = receipts[index - 1].gas_used if index > 0 else 0
        first_log_index = sum(len(earlier.logs) for earlier in receipts[:index])
        contract_address = None if tx.to else address_hex(generate_contract_address(tx.sender, tx.nonce))
        return {
            "blockHash": data_hex(block.hash),
            "blockNumber": quantity(block.number),
            "contractAddress": contract_address,
            "cumulativeGasUsed": quantity(receipt.gas_used),
            "effectiveGasPrice": quantity(effective_gas_price(tx, block.header.base_fee_per_gas)),
            "from": address_hex(tx.sender),
            "gasUsed": quantity(receipt.gas_used - previous_cumulative),
            "logs": [
                self._log_json(log, block, tx, index, first_log_index + offset)
                for offset, log in enumerate(receipt.logs)
            ],
            "logsBloom": bloom_hex(receipt.bloom),
            # EIP-658: py-evm keeps the status in the receipt's state_root field.
            "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
            "to": address_hex(tx.to) if tx.to else None,
            "transactionHash": data_hex(tx.hash),
            "transactionIndex": quantity(index),
            "type": quantity(tx_type(tx) or 0),
        }

    @staticmethod
    def _log_json(log: Any, block: Any, tx: Any, tx_index: int, log_index: int) -> dict[str, Any]:
        return {
            "address": address_hex(log.address),
            "blockHash": data_hex(block.hash),
            "blockNumber": quantity(block.number),
            "data": data_hex(log.data),
            "logIndex": quantity(log_index),
            "removed": False,
            "topics": [word_hex(topic) for topic in log.topics],
            "transactionHash": data_hex(tx.hash),
            "transactionIndex": quantity(tx_index),
        }

    # --- calls ---

    def _call_transaction(self, call: Any, tag: Any) -> tuple[Any, Any]:
        """The call object as a spoofed (unsigned) transaction and the VM to run it in.

        Like geth's eth_call, the block's base fee is taken as zero, so a call without
        fee fields costs nothing and needs no balance (a view call from an empty
        address works); with fee fields the sender must afford them."""
        if not isinstance(call, dict):
            raise invalid_params("the call object must be a JSON object")
        header = self._block(self._resolve(tag)).header
        vm = self.chain.get_vm(at_header=header.copy(base_fee_per_gas=0))
        sender = parse_address(call["from"], "from") if call.get("from") else ZERO_ADDRESS
        to = parse_address(call["to"], "to") if call.get("to") else b""
        data_field = call.get("input") if call.get("input") is not None else call.get("data")
        data = parse_data(data_field, "input") if data_field else b""
        value = parse_quantity(call["value"], "value") if call.get("value") else 0
        gas = min(parse_quantity(call["gas"], "gas"), header.gas_limit) if call.get("gas") else header.gas_limit
        nonce = vm.state.get_nonce(sender)
        builder = vm.get_transaction_builder()
        if call.get("gasPrice"):
            unsigned = builder.create_unsigned_transaction(
                nonce=nonce, gas_price=parse_quantity(call["gasPrice"], "gasPrice"), gas=gas, to=to, value=value, data=data,
            )  # fmt: skip
        else:
            max_fee = parse_quantity(call["maxFeePerGas"], "maxFeePerGas") if call.get("maxFeePerGas") else 0
            tip = parse_quantity(call["maxPriorityFeePerGas"], "maxPriorityFeePerGas") if call.get("maxPriorityFeePerGas") else 0
            unsigned = builder.new_unsigned_dynamic_fee_transaction(
                chain_id=self.chain_id, nonce=nonce, max_priority_fee_per_gas=min(tip, max_fee) if max_fee else tip,
                max_fee_per_gas=max(max_fee, tip), gas=gas, to=to, value=value, data=data, access_list=(),
            )  # fmt: skip
        return SpoofTransaction(unsigned, from_=sender), vm

    @staticmethod
    def _raise_for_computation_error(error: Exception) -> None:
        if isinstance(error, Revert):
            revert_data = bytes(error.args[0]) if error.args and isinstance(error.args[0], (bytes, bytearray)) else b""
            reason = revert_reason(revert_data)
            message = f"execution reverted: {reason}" if reason is not None else "execution reverted"
            raise RpcError(3, message, data_hex(revert_data))
        raise rejected(str(error) or type(error).__name__)

    def call(self, params: list[Any]) -> str:
        with self.lock:
            if len(params) > 2 and params[2]:
                raise invalid_params("state overrides are not supported")
            transaction, vm = self._call_transaction(param(params, 0, "call"), param(params, 1, "block", "latest"))
            state = vm.state
            snapshot = state.snapshot()
            try:
                computation = state.apply_transaction(transaction)
            except ValidationError as error:
                raise rejected(str(error)) from None
            finally:
                state.revert(snapshot)
            if computation.is_error:
                self._raise_for_computation_error(computation.error)
            return data_hex(computation.output)

    def estimate_gas(self, params: list[Any]) -> str:
        with self.lock:
            transaction, vm = self._call_transaction(param(params, 0, "call"), param(params, 1, "block", "latest"))
            try:
                return quantity(self.chain.estimate_gas(transaction, vm.get_header()))
            except ValidationError as error:
                raise rejected(str(error)) from None
            except Exception as error:  # py-evm raises the VM error of the failing run.
                self._raise_for_computation_error(error)
                raise

    # --- sending ---

    def send_raw_transaction(self, params: list[Any]) -> str:
        with self.lock:
            try:
                tx_hash = self._accept(parse_data(param(params, 0, "data"), "data"))
            except RpcError:
                self.rejected_raw += 1
                raise
            self.sent_raw += 1
            return data_hex(tx_hash)

    def _accept(self, raw: bytes) -> bytes:
        vm = self.chain.get_vm()
        try:
            tx = vm.get_transaction_builder().decode(raw)
        except Exception as error:
            raise rejected(f"invalid transaction: {error}") from None
        if tx.hash in self.tx_index or any(queued.hash == tx.hash for queue in self.queued.values() for queued in queue.values()):
            raise rejected("already known")
        if tx_type(tx) not in SUPPORTED_TX_TYPES:
            raise rejected("transaction type not supported")
        if tx.chain_id is None:
            raise rejected("only replay-protected (EIP-155) transactions allowed over RPC")
        if tx.chain_id != self.chain_id:
            raise rejected("invalid sender: invalid chain id for signer")
        try:
            sender = tx.sender
        except Exception as error:
            raise rejected(f"invalid sender: {error}") from None
        address = to_checksum_address(sender)
        state = self._state("latest")
        state_nonce = state.get_nonce(sender)
        if tx.nonce < state_nonce:
            raise rejected(f"nonce too low: address {address}, tx: {tx.nonce} state: {state_nonce}")
        if tx.gas > self.chain.header.gas_limit:
            raise rejected("exceeds block gas limit")
        if tx.gas < tx.intrinsic_gas:
            raise rejected(f"intrinsic gas too low: gas {tx.gas}, minimum needed {tx.intrinsic_gas}")
        base_fee = self.chain.header.base_fee_per_gas
        if fee_cap(tx) < base_fee:
            raise rejected(f"max fee per gas less than block base fee: address {address}, maxFeePerGas: {fee_cap(tx)}, baseFee: {base_fee}")
        if tx.nonce > state_nonce:
            return self._queue(tx, sender)
        self._check_funds(tx, sender, state)
        try:
            self._mine(tx)
        except ValidationError as error:
            raise rejected(str(error)) from None
        self.by_sender[address] += 1
        self._promote(sender)
        return tx.hash

    @staticmethod
    def _check_funds(tx: Any, sender: bytes, state: Any) -> None:
        balance = state.get_balance(sender)
        cost = tx.gas * fee_cap(tx) + tx.value
        if balance < cost:
            raise rejected(f"insufficient funds for gas * price + value: address {to_checksum_address(sender)} have {balance} want {cost}")

    def _queue(self, tx: Any, sender: bytes) -> bytes:
        queue = self.queued[sender]
        if tx.nonce in queue:
            # geth would take a replacement with a 10% higher fee; the gateway never
            # replaces a queued transaction, so this node does not either.
            raise rejected("replacement transaction underpriced")
        if len(queue) >= QUEUED_PER_SENDER_MAX:
            raise rejected("txpool is full")
        queue[tx.nonce] = tx
        self.by_sender[to_checksum_address(sender)] += 1
        return tx.hash

    def _promote(self, sender: bytes) -> None:
        """Mines the sender's queued transactions that the last one made executable."""
        queue = self.queued.get(sender)
        while queue:
            state = self._state("latest")
            tx = queue.pop(state.get_nonce(sender), None)
            if tx is None:
                break
            try:
                if fee_cap(tx) < self.chain.header.base_fee_per_gas:
                    raise rejected("max fee per gas less than block base fee")
                self._check_funds(tx, sender, state)
                self._mine(tx)
            except (RpcError, ValidationError) as error:
                print(f"evm_node: dropped queued transaction {data_hex(tx.hash)}: {error}", file=sys.stderr, flush=True)
        if not queue:
            self.queued.pop(sender, None)

    # --- reads ---

    def block_by_number(self, params: list[Any]) -> dict[str, Any] | None:
        with self.lock:
            tag, full = param(params, 0, "block"), bool(param(params, 1, "full", False))
            try:
                number = self._resolve(tag)
            except RpcError as error:
                if error.message == "header not found":
                    return None  # A future block is unknown, not an error.
                raise
            return self._block_json(self._block(number), full)

    def block_by_hash(self, params: list[Any]) -> dict[str, Any] | None:
        with self.lock:
            block_hash, full = parse_hash(param(params, 0, "hash"), "hash"), bool(param(params, 1, "full", False))
            try:
                block = self.chain.get_block_by_hash(block_hash)
            except HeaderNotFound:
                return None
            return self._block_json(block, full)

    def transaction_by_hash(self, params: list[Any]) -> dict[str, Any] | None:
        with self.lock:
            tx_hash = parse_hash(param(params, 0, "hash"), "hash")
            located = self.tx_index.get(tx_hash)
            if located is not None:
                block = self._block(located[0])
                return self._tx_json(block.transactions[located[1]], block, located[1])
            for queue in self.queued.values():
                for tx in queue.values():
                    if tx.hash == tx_hash:
                        return self._tx_json(tx, None, None)
            return None

    def transaction_receipt(self, params: list[Any]) -> dict[str, Any] | None:
        with self.lock:
            located = self.tx_index.get(parse_hash(param(params, 0, "hash"), "hash"))
            if located is None:
                return None
            return self._receipt_json(self._block(located[0]), located[1])

    def get_logs(self, params: list[Any]) -> list[dict[str, Any]]:
        with self.lock:
            criteria = param(params, 0, "filter")
            if not isinstance(criteria, dict):
                raise invalid_params("the filter must be a JSON object")
            if criteria.get("blockHash"):
                if "fromBlock" in criteria or "toBlock" in criteria:
                    raise invalid_params("cannot specify both blockHash and fromBlock/toBlock")
                try:
                    header = self.chain.get_block_header_by_hash(parse_hash(criteria["blockHash"], "blockHash"))
                except HeaderNotFound:
                    raise rejected("unknown block") from None
                blocks = [self.chain.get_block_by_hash(header.hash)]
            else:
                first = self._resolve(criteria.get("fromBlock", "latest"), name="fromBlock")
                last = self._resolve(criteria.get("toBlock", "latest"), name="toBlock")
                if first > last:
                    raise rejected("invalid block range params")
                if last - first + 1 > LOG_RANGE_BLOCKS_MAX:
                    raise rejected(f"exceed maximum block range: {LOG_RANGE_BLOCKS_MAX}")
                blocks = [self._block(number) for number in range(first, last + 1)]
            addresses = self._address_filter(criteria.get("address"))
            topics = self._topic_filter(criteria.get("topics"))
            found = []
            for block in blocks:
                if not block.transactions:
                    continue
                log_index = 0
                for tx_index, (tx, receipt) in enumerate(zip(block.transactions, block.get_receipts(self.chain.chaindb))):
                    for log in receipt.logs:
                        if (addresses is None or log.address in addresses) and self._topics_match(topics, log.topics):
                            found.append(self._log_json(log, block, tx, tx_index, log_index))
                        log_index += 1
            return found

    @staticmethod
    def _address_filter(value: Any) -> set[bytes] | None:
        if value is None:
            return None
        values = value if isinstance(value, list) else [value]
        return {parse_address(item, "address") for item in values}

    @staticmethod
    def _topic_filter(value: Any) -> list[set[int] | None]:
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > 4:
            raise invalid_params("topics must be a list of at most 4 positions")
        positions: list[set[int] | None] = []
        for position in value:
            if position is None:
                positions.append(None)
                continue
            options = position if isinstance(position, list) else [position]
            if any(option is None for option in options):
                positions.append(None)  # A null among the options matches anything.
            else:
                positions.append({int.from_bytes(parse_hash(option, "topic"), "big") for option in options})
        return positions

    @staticmethod
    def _topics_match(filter_topics: list[set[int] | None], log_topics: tuple[int, ...]) -> bool:
        # As geth: a filter with more positions than the log has topics never matches,
        # even when the extra positions are null.
        if len(filter_topics) > len(log_topics):
            return False
        return all(position is None or topic in position for position, topic in zip(filter_topics, log_topics))

    def fee_history(self, params: list[Any]) -> dict[str, Any]:
        with self.lock:
            count_param = param(params, 0, "blockCount")
            count = count_param if isinstance(count_param, int) else parse_quantity(count_param, "blockCount")
            if not 1 <= count <= FEE_HISTORY_BLOCKS_MAX:
                raise invalid_params(f"blockCount must be between 1 and {FEE_HISTORY_BLOCKS_MAX}")
            newest = self._resolve(param(params, 1, "newestBlock", "latest"), name="newestBlock")
            percentiles = param(params, 2, "rewardPercentiles", None)
            oldest = max(0, newest - count + 1)
            blocks = [self._block(number) for number in range(oldest, newest + 1)]
            base_fees = [block.header.base_fee_per_gas for block in blocks]
            # The list ends with the base fee of the block after `newest`.
            next_base_fee = self.chain.header.base_fee_per_gas if newest == self.head_number() else self._block(newest + 1).header.base_fee_per_gas
            result: dict[str, Any] = {
                "baseFeePerGas": [quantity(fee) for fee in base_fees + [next_base_fee]],
                "gasUsedRatio": [block.header.gas_used / block.header.gas_limit for block in blocks],
                "oldestBlock": quantity(oldest),
            }
            if percentiles:
                # Every transaction in a block of this node pays its own tip; one block
                # holds one transaction, so each percentile is that tip (0 if empty).
                rewards = []
                for block in blocks:
                    tips = sorted(effective_gas_price(tx, block.header.base_fee_per_gas) - block.header.base_fee_per_gas for tx in block.transactions)
                    rewards.append([quantity(tips[min(len(tips) - 1, int(len(tips) * p / 100))] if tips else 0) for p in percentiles])
                result["reward"] = rewards
            return result

    def account_read(self, params: list[Any], read: str) -> str:
        with self.lock:
            address = parse_address(param(params, 0, "address"), "address")
            state = self._state(param(params, 1, "block", "latest"))
            if read == "balance":
                return quantity(state.get_balance(address))
            if read == "nonce":
                return quantity(state.get_nonce(address))
            return data_hex(state.get_code(address))

    def storage_at(self, params: list[Any]) -> str:
        with self.lock:
            address = parse_address(param(params, 0, "address"), "address")
            slot = parse_quantity(param(params, 1, "slot"), "slot")
            return word_hex(self._state(param(params, 2, "block", "latest")).get_storage(address, slot))

    def gas_price(self) -> str:
        with self.lock:
            return quantity(self.chain.header.base_fee_per_gas + PRIORITY_FEE_WEI)

    def block_number(self) -> str:
        with self.lock:
            return quantity(self.head_number())


# --- JSON-RPC dispatch -----------------------------------------------------------------------


def client_version() -> str:
    return f"brokergate-evm-node/v1/eth-tester-{package_version('eth-tester')}/py-evm-{package_version('py-evm')}"


def methods(node: Node) -> dict[str, Any]:
    return {
        "web3_clientVersion": lambda params: client_version(),
        "net_version": lambda params: str(node.chain_id),
        "net_listening": lambda params: True,
        "eth_chainId": lambda params: quantity(node.chain_id),
        "eth_syncing": lambda params: False,
        "eth_accounts": lambda params: [],
        "eth_blockNumber": lambda params: node.block_number(),
        "eth_getBlockByNumber": node.block_by_number,
        "eth_getBlockByHash": node.block_by_hash,
        "eth_getTransactionCount": lambda params: node.account_read(params, "nonce"),
        "eth_getBalance": lambda params: node.account_read(params, "balance"),
        "eth_getCode": lambda params: node.account_read(params, "code"),
        "eth_getStorageAt": node.storage_at,
        "eth_call": node.call,
        "eth_estimateGas": node.estimate_gas,
        "eth_gasPrice": lambda params: node.gas_price(),
        "eth_maxPriorityFeePerGas": lambda params: quantity(PRIORITY_FEE_WEI),
        "eth_feeHistory": node.fee_history,
        "eth_sendRawTransaction": node.send_raw_transaction,
        "eth_getTransactionByHash": node.transaction_by_hash,
        "eth_getTransactionReceipt": node.transaction_receipt,
        "eth_getLogs": node.get_logs,
    }


def answer(table: dict[str, Any], request: Any) -> dict[str, Any]:
    request_id = request.get("id") if isinstance(request, dict) else None
    try:
        if not isinstance(request, dict) or request.get("jsonrpc") != "2.0" or not isinstance(request.get("method"), str):
            raise RpcError(-32600, "invalid request")
        handler = table.get(request["method"])
        if handler is None:
            raise RpcError(-32601, f"the method {request['method']} does not exist/is not available")
        params = request.get("params", [])
        if not isinstance(params, list):
            raise invalid_params("params must be an array")
        return {"jsonrpc": "2.0", "id": request_id, "result": handler(params)}
    except RpcError as error:
        return {"jsonrpc": "2.0", "id": request_id, "error": error.as_json()}
    except Exception as error:  # A bug here must reach the caller and the log, not kill the thread.
        traceback.print_exc(file=sys.stderr)
        return {"jsonrpc": "2.0", "id": request_id, "error": {"code": -32603, "message": f"internal error: {error}"}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # Keep-alive: the gateway and web3 reuse connections.
    # Headers and body go out in two writes; with Nagle on, the second waits for the
    # client's delayed ACK (about 40 ms a request on Linux).
    disable_nagle_algorithm = True
    server_version = "brokergate-evm-node"
    node: Node
    table: dict[str, Any]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # One line per request would drown a test's output; errors go to stderr.

    def _send(self, status: int, body: Any) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _read_json(self) -> Any:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self._send(411, {"error": "Content-Length is required"})
            return ...
        length = int(length_header)
        if not 0 <= length <= BODY_BYTES_MAX:
            self.close_connection = True
            self._send(413, {"error": f"body larger than {BODY_BYTES_MAX} bytes"})
            return ...
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except ValueError:
            return ValueError

    def do_GET(self) -> None:
        if self.path == "/evm/stats":
            self._send(200, self.node.stats())
        else:
            self._send(404, {"error": f"no GET {self.path}; JSON-RPC is POST /"})

    def do_POST(self) -> None:
        body = self._read_json()
        if body is ...:
            return
        if self.path.startswith("/evm/"):
            self._control(body)
            return
        if self.node.take_fault():
            self._send(503, {"error": "node unavailable (fault injected by /evm/faults)"})
            return
        if body is ValueError:
            self._send(200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}})
        elif isinstance(body, list):
            if not 1 <= len(body) <= BATCH_REQUESTS_MAX:
                self._send(200, {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": f"a batch holds 1 to {BATCH_REQUESTS_MAX} requests"}})
            else:
                self._send(200, [answer(self.table, request) for request in body])
        else:
            self._send(200, answer(self.table, body))

    def _control(self, body: Any) -> None:
        if not isinstance(body, dict):
            self._send(400, {"error": "the body must be a JSON object"})
            return
        try:
            if self.path == "/evm/mine":
                blocks = body.get("blocks", 1)
                if not isinstance(blocks, int) or not 0 <= blocks <= MINE_BLOCKS_MAX:
                    raise ValueError(f"blocks must be an integer between 0 and {MINE_BLOCKS_MAX}")
                self._send(200, {"block_number": self.node.mine(blocks)})
            elif self.path == "/evm/faults":
                mode, seconds, count = body.get("mode"), body.get("seconds"), body.get("count")
                if mode not in ("error", "none"):
                    raise ValueError('mode must be "error" or "none"')
                if mode == "error" and seconds is None and count is None:
                    raise ValueError('mode "error" needs "seconds" or "count"')
                if seconds is not None and (not isinstance(seconds, (int, float)) or not 0 < seconds <= FAULT_SECONDS_MAX):
                    raise ValueError(f"seconds must be a number in (0, {FAULT_SECONDS_MAX}]")
                if count is not None and (not isinstance(count, int) or count < 1):
                    raise ValueError("count must be a positive integer")
                self.node.set_faults(mode, seconds, count)
                self._send(200, {"mode": mode, "seconds": seconds, "count": count})
            elif self.path == "/evm/reorg":
                depth = body.get("depth")
                if not isinstance(depth, int):
                    raise ValueError("depth must be an integer")
                self._send(200, self.node.reorg(depth))
            else:
                self._send(404, {"error": f"no control endpoint {self.path}"})
        except ValueError as error:
            self._send(400, {"error": str(error)})


def main() -> int:
    parser = argparse.ArgumentParser(description="Ethereum JSON-RPC test node over eth-tester (py-evm).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port (printed on start)")
    parser.add_argument("--chain-id", type=int, default=DEFAULT_CHAIN_ID)
    parser.add_argument("--fund", nargs="+", action="extend", default=[], metavar="0xADDR", help="give each address 1000 ETH at start")
    parser.add_argument(
        "--block-time", type=float, default=0.0, metavar="SECONDS",
        help="also mine an empty block every SECONDS (0: blocks only for transactions), so confirmations accrue as on a live chain",
    )  # fmt: skip
    arguments = parser.parse_args()
    if not 1 <= arguments.chain_id < 2**63:
        parser.error("--chain-id must be a positive 64-bit integer")
    try:
        fund = [to_canonical_address(address) for address in arguments.fund]
    except ValueError as error:
        parser.error(f"--fund: {error}")

    node = Node(arguments.chain_id, fund)
    if arguments.block_time > 0:
        def produce_blocks() -> None:
            while True:
                time.sleep(arguments.block_time)
                node.mine(1)

        threading.Thread(target=produce_blocks, name="block-producer", daemon=True).start()
    handler = type("NodeHandler", (Handler,), {"node": node, "table": methods(node)})
    server = ThreadingHTTPServer((arguments.host, arguments.port), handler)
    server.daemon_threads = True
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
