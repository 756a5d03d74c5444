# pragma version ==0.4.3
"""
@title StockToken
@notice One token contract for every BrokerGate asset on chain: each tokenized US
        equity, USD+, and (sandbox only) a mock USDC. A stock token is a 1:1 claim on
        a share the gateway custodies at its broker, so the gateway (the minter) must
        be able to create, destroy and move tokens the way its ledger does; holders
        keep the ordinary ERC-20 and EIP-2612 interface for whatever the token's
        transfer policy allows.
@dev Roles:
     owner    the deployer; appoints the minter and the operator, hands ownership on.
     minter   the gateway's custody key: mint, burn, controller_transfer.
     operator the emergency key: pause and unpause every movement of tokens.
     processor the OrderProcessor contract (immutable, optional): retires the escrow
               of the self-custody orders the gateway fills (see retire).
     Transfer policy (immutable, chosen at deployment):
     0 RESTRICTED only addresses on the shared Allowlist contract (KYC passed) send
                  or receive; the minter's mint and controller_transfer need an
                  allowlisted receiver.
     1 OPEN       a free ERC-20 (USD+, mock USDC).
     2 LOCKED     holders cannot move tokens at all; only the minter's mint, burn and
                  controller_transfer do.
"""

# --- events ---------------------------------------------------------------------------

event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256

event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256

event Paused:
    account: address

event Unpaused:
    account: address

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event MinterChanged:
    previous_minter: indexed(address)
    new_minter: indexed(address)

event OperatorChanged:
    previous_operator: indexed(address)
    new_operator: indexed(address)

# --- the shared KYC allowlist (contracts/Allowlist.vy) ---------------------------------

interface Allowlist:
    def allowed(account: address) -> bool: view

# --- constants ------------------------------------------------------------------------

POLICY_RESTRICTED: constant(uint8) = 0
POLICY_OPEN: constant(uint8) = 1
POLICY_LOCKED: constant(uint8) = 2

# Bounds on the constructor strings: a token name such as "Apple Inc. Tokenized Stock"
# fits with room to spare, and a bound keeps every getter's return size fixed.
NAME_LENGTH_MAX: constant(uint256) = 64
SYMBOL_LENGTH_MAX: constant(uint256) = 32

EIP712_DOMAIN_TYPEHASH: constant(bytes32) = keccak256(
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
PERMIT_TYPEHASH: constant(bytes32) = keccak256(
    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
)
EIP712_VERSION_HASH: constant(bytes32) = keccak256("1")
# secp256k1n / 2: a signature with a larger s has a twin (s' = n - s) that recovers the
# same signer, so only the lower half is accepted (as in EIP-2 for transactions).
SECP256K1N_HALF: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

# --- state ----------------------------------------------------------------------------

name: public(immutable(String[NAME_LENGTH_MAX]))
symbol: public(immutable(String[SYMBOL_LENGTH_MAX]))
decimals: public(immutable(uint8))
transfer_policy: public(immutable(uint8))
# The list RESTRICTED transfers consult; unused (and may be empty) for OPEN and LOCKED.
allowlist: public(immutable(address))
# The OrderProcessor (contracts/OrderProcessor.vy) whose escrow `retire` burns; empty
# when the token has no self-custody orders.
processor: public(immutable(address))
# keccak256(name), kept so the domain separator costs one hash per permit.
NAME_HASH: immutable(bytes32)

totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
nonces: public(HashMap[address, uint256])

owner: public(address)
minter: public(address)
operator: public(address)
paused: public(bool)


@deploy
def __init__(
    name_: String[NAME_LENGTH_MAX],
    symbol_: String[SYMBOL_LENGTH_MAX],
    decimals_: uint8,
    transfer_policy_: uint8,
    allowlist_: address,
    processor_: address,
):
    assert transfer_policy_ <= POLICY_LOCKED, "unknown transfer policy"
    assert transfer_policy_ != POLICY_RESTRICTED or allowlist_ != empty(address), "restricted token needs an allowlist"
    allowlist = allowlist_
    processor = processor_
    name = name_
    symbol = symbol_
    decimals = decimals_
    transfer_policy = transfer_policy_
    NAME_HASH = keccak256(name_)
    self.owner = msg.sender
    self.minter = msg.sender
    self.operator = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)
    log MinterChanged(previous_minter=empty(address), new_minter=msg.sender)
    log OperatorChanged(previous_operator=empty(address), new_operator=msg.sender)


# --- checks ---------------------------------------------------------------------------

@internal
@view
def _only_minter():
    assert msg.sender == self.minter, "only minter"


@internal
@view
def _check_holder_transfer(sender: address, receiver: address):
    # The rules a holder's own transfer or transferFrom obeys; the minter's paths check
    # their own (see mint, controller_transfer).
    assert not self.paused, "paused"
    assert transfer_policy != POLICY_LOCKED, "token is locked"
    if transfer_policy == POLICY_RESTRICTED:
        assert self._allowed(sender), "sender not allowlisted"
        assert self._allowed(receiver), "receiver not allowlisted"


@internal
@view
def _check_minter_receiver(receiver: address):
    # Even the custodian cannot put a RESTRICTED token in a wallet that has not passed
    # KYC: the allowlist is the single place that says who may hold it.
    if transfer_policy == POLICY_RESTRICTED:
        assert self._allowed(receiver), "receiver not allowlisted"


@internal
@view
def _allowed(account: address) -> bool:
    return staticcall Allowlist(allowlist).allowed(account)


@external
@view
def allowed(account: address) -> bool:
    # Whether `account` may hold this token: always for OPEN and LOCKED tokens.
    if transfer_policy != POLICY_RESTRICTED:
        return True
    return self._allowed(account)


@internal
def _move(sender: address, receiver: address, amount: uint256):
    assert receiver != empty(address), "transfer to the zero address"
    balance: uint256 = self.balanceOf[sender]
    assert balance >= amount, "insufficient balance"
    self.balanceOf[sender] = balance - amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=sender, receiver=receiver, value=amount)


# --- ERC-20 ---------------------------------------------------------------------------

@external
def transfer(receiver: address, amount: uint256) -> bool:
    self._check_holder_transfer(msg.sender, receiver)
    self._move(msg.sender, receiver, amount)
    return True


@external
def transferFrom(sender: address, receiver: address, amount: uint256) -> bool:
    self._check_holder_transfer(sender, receiver)
    allowance: uint256 = self.allowance[sender][msg.sender]
    # An allowance of 2**256 - 1 is "unlimited" and is not spent down (common practice,
    # saves the approval write on every pull).
    if allowance != max_value(uint256):
        assert allowance >= amount, "insufficient allowance"
        self.allowance[sender][msg.sender] = allowance - amount
    self._move(sender, receiver, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    # Approving moves nothing, so it is allowed under every policy and while paused.
    self.allowance[msg.sender][spender] = amount
    log Approval(owner=msg.sender, spender=spender, value=amount)
    return True


# --- EIP-2612 -------------------------------------------------------------------------

@internal
@view
def _domain_separator() -> bytes32:
    # Computed from chain.id on every use, so a signature made for one chain is never
    # valid on a fork with another chain id.
    return keccak256(abi_encode(EIP712_DOMAIN_TYPEHASH, NAME_HASH, EIP712_VERSION_HASH, chain.id, self))


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    return self._domain_separator()


@external
def permit(owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32):
    assert owner != empty(address), "invalid owner"
    assert block.timestamp <= deadline, "permit expired"
    assert convert(s, uint256) <= SECP256K1N_HALF, "invalid signature"
    nonce: uint256 = self.nonces[owner]
    struct_hash: bytes32 = keccak256(abi_encode(PERMIT_TYPEHASH, owner, spender, amount, nonce, deadline))
    digest: bytes32 = keccak256(concat(b"\x19\x01", self._domain_separator(), struct_hash))
    # A replayed permit was signed over a nonce already used, so it recovers to some
    # other address and fails here.
    assert ecrecover(digest, v, r, s) == owner, "invalid signature"
    self.nonces[owner] = nonce + 1
    self.allowance[owner][spender] = amount
    log Approval(owner=owner, spender=spender, value=amount)


# --- roles ----------------------------------------------------------------------------

@external
def set_minter(new_minter: address):
    assert msg.sender == self.owner, "only owner"
    assert new_minter != empty(address), "zero address"
    log MinterChanged(previous_minter=self.minter, new_minter=new_minter)
    self.minter = new_minter


@external
def set_operator(new_operator: address):
    assert msg.sender == self.owner, "only owner"
    assert new_operator != empty(address), "zero address"
    log OperatorChanged(previous_operator=self.operator, new_operator=new_operator)
    self.operator = new_operator


@external
def transfer_ownership(new_owner: address):
    assert msg.sender == self.owner, "only owner"
    assert new_owner != empty(address), "zero address"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner


@external
def pause():
    # Idempotent: an operator retrying a pause whose receipt it lost must not fail.
    assert msg.sender == self.operator, "only operator"
    if not self.paused:
        self.paused = True
        log Paused(account=msg.sender)


@external
def unpause():
    assert msg.sender == self.operator, "only operator"
    if self.paused:
        self.paused = False
        log Unpaused(account=msg.sender)


# --- custodian (minter) ---------------------------------------------------------------

@external
def mint(receiver: address, amount: uint256):
    # Issued when the gateway's broker account holds the share (or the dollar) behind it.
    self._only_minter()
    assert not self.paused, "paused"
    assert receiver != empty(address), "mint to the zero address"
    self._check_minter_receiver(receiver)
    self.totalSupply += amount
    self.balanceOf[receiver] += amount
    log Transfer(sender=empty(address), receiver=receiver, value=amount)


@external
def burn(holder: address, amount: uint256):
    # Why the custodian may burn a holder's tokens without the holder's signature: each
    # token is a 1:1 claim on a share the gateway custodies. When the holder sells or
    # redeems through the gateway, the share leaves custody, so the claim on it must
    # disappear in the same step, or the supply on chain would exceed the shares held.
    self._only_minter()
    assert not self.paused, "paused"
    balance: uint256 = self.balanceOf[holder]
    assert balance >= amount, "insufficient balance"
    self.balanceOf[holder] = balance - amount
    self.totalSupply -= amount
    log Transfer(sender=holder, receiver=empty(address), value=amount)


@external
def retire(amount: uint256):
    # Why the processor may burn its own balance: what it holds is the escrow of
    # self-custody orders. When the gateway fills an order, the escrow it keeps (the
    # shares a customer sold, the dollars a customer paid) goes to the house, and the
    # house's holdings are book entries at the broker, never tokens on chain; so what
    # the house keeps leaves the chain here, and the supply keeps matching custody. Only
    # the processor's own balance: it cannot touch anyone else's tokens.
    assert processor != empty(address) and msg.sender == processor, "only processor"
    assert not self.paused, "paused"
    balance: uint256 = self.balanceOf[processor]
    assert balance >= amount, "insufficient balance"
    self.balanceOf[processor] = balance - amount
    self.totalSupply -= amount
    log Transfer(sender=processor, receiver=empty(address), value=amount)


@external
def controller_transfer(sender: address, receiver: address, amount: uint256):
    # The gateway moves tokens between wallets it administers (a ledger transfer
    # between one customer's accounts, a withdrawal to the customer's own wallet),
    # including under the LOCKED policy where holders cannot.
    self._only_minter()
    assert not self.paused, "paused"
    self._check_minter_receiver(receiver)
    self._move(sender, receiver, amount)
