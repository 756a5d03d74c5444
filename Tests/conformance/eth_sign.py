"""Wallet signatures made the way a customer's wallet makes them, for the wallet tests.

eth-account is an independent implementation of secp256k1, Keccak-256 and EIP-191, so a
signature from here that the gateway accepts (or an address it derives the same way) checks
our Swift cryptography end to end. No tests live in this module.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.messages import encode_defunct


def sign_personal(private_key_hex: str, message: str) -> str:
    """personal_sign (EIP-191 version 0x45) over the UTF-8 bytes of `message`.

    Returns "0x" followed by the 65-byte signature r || s || v in hex, with v 27 or 28,
    exactly what a wallet's `personal_sign` returns.
    """
    signed = Account.sign_message(encode_defunct(text=message), private_key=private_key_hex)
    return "0x" + bytes(signed.signature).hex()


def new_account() -> tuple[str, str]:
    """A fresh random key: (private key as "0x" + 64 hex digits, EIP-55 checksummed address)."""
    account = Account.create()
    return "0x" + bytes(account.key).hex(), account.address
