# pragma version ==0.4.3
"""
@title OrderProcessor
@notice Self-custody orders: a customer who holds BrokerGate tokens in their own wallet
        trades by escrowing them here. A sell escrows the stock token; a buy escrows the
        payment token (USD+ or, in the sandbox, mock USDC), price and fee included. The
        gateway then executes the order at its broker and, for what was filled, retires
        the escrow it keeps (StockToken.retire) and delivers the other side with its
        minter key; whatever it does not fill it hands back when it closes the order.
@dev Roles:
     owner    the deployer; appoints the operator, hands ownership on.
     operator the gateway's key (initially the deployer): relays orders, fills and
              closes them. Only the operator can fill or close an order, so escrow
              leaves this contract only as a retirement the gateway accounts for, or as
              a refund to the order's own requester.
     The escrow is taken by an EIP-2612 permit the requester signed for this contract,
     so the customer needs no approve transaction and no ETH when the gateway relays.
     The gateway checks every order's terms against what it quoted before it executes,
     and closes (a full refund) any order it will not execute.
     Which tokens can be escrowed:
     RESTRICTED the processor must be on the token's Allowlist (deployment adds it), or
                the token refuses to move into (and out of) escrow.
     OPEN       always.
     LOCKED     never: holders cannot transferFrom, so create_order reverts; the
                gateway refuses such orders before the customer signs anything.
"""

# --- events ---------------------------------------------------------------------------

event OrderCreated:
    order_id: indexed(bytes32)
    requester: indexed(address)
    asset_token: address
    payment_token: address
    sell: bool
    amount: uint256
    fee: uint256

event OrderFilled:
    order_id: indexed(bytes32)
    requester: indexed(address)
    escrow_token: address
    retired: uint256

event OrderClosed:
    order_id: indexed(bytes32)
    requester: indexed(address)
    escrow_token: address
    refund: uint256

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event OperatorChanged:
    previous_operator: indexed(address)
    new_operator: indexed(address)

# --- the escrowed token (contracts/StockToken.vy) --------------------------------------

interface StockToken:
    def permit(owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32): nonpayable
    def transferFrom(sender: address, receiver: address, amount: uint256) -> bool: nonpayable
    def transfer(receiver: address, amount: uint256) -> bool: nonpayable
    def retire(amount: uint256): nonpayable
    def allowance(owner: address, spender: address) -> uint256: view

# --- state ----------------------------------------------------------------------------

struct Order:
    requester: address
    # asset_token for a sell, payment_token for a buy.
    escrow_token: address
    asset_token: address
    payment_token: address
    sell: bool
    # What is still held for the order: the amount escrowed, less what fills retired.
    escrow: uint256
    # The fee the order was quoted (a buy's escrow already includes it); kept for the
    # record, moved by nothing.
    fee: uint256
    open: bool

orders: public(HashMap[bytes32, Order])
# Per token, the escrow of every order: equal to this contract's balance of the token
# unless someone sent it tokens outside an order.
escrowed: public(HashMap[address, uint256])

owner: public(address)
operator: public(address)


@deploy
def __init__():
    self.owner = msg.sender
    self.operator = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)
    log OperatorChanged(previous_operator=empty(address), new_operator=msg.sender)


@internal
@view
def _only_operator():
    assert msg.sender == self.operator, "only operator"


# --- orders ---------------------------------------------------------------------------

@external
@nonreentrant
def create_order(
    order_id: bytes32,
    requester: address,
    asset_token: address,
    payment_token: address,
    sell: bool,
    amount: uint256,
    fee: uint256,
    deadline: uint256,
    v: uint8,
    r: bytes32,
    s: bytes32,
):
    # Why the requester or the operator, and nobody else: the gateway relays the orders
    # it proxies for its customers and pays their gas; a customer may also send their
    # own. The permit names only this contract, the amount and the deadline, not the
    # order's terms, so anyone else who saw the signature in the mempool could otherwise
    # spend it on an order with other terms (another token pair, sell for buy).
    # `amount` is everything escrowed: for a buy the payment and the fee already summed;
    # `fee` is carried for the record and the event.
    assert msg.sender == requester or msg.sender == self.operator, "only requester or operator"
    # An order id is used once, ever: a closed order keeps its record.
    assert self.orders[order_id].requester == empty(address), "order exists"
    assert amount > 0, "zero amount"
    assert requester != empty(address), "zero address"
    assert asset_token != empty(address) and payment_token != empty(address), "zero address"
    assert block.timestamp <= deadline, "permit expired"
    escrow_token: address = payment_token
    if sell:
        escrow_token = asset_token

    # Recorded before any call out, so a token calling back finds the order id taken.
    self.orders[order_id] = Order(
        requester=requester,
        escrow_token=escrow_token,
        asset_token=asset_token,
        payment_token=payment_token,
        sell=sell,
        escrow=amount,
        fee=fee,
        open=True,
    )
    self.escrowed[escrow_token] += amount

    # The permit may fail and the order still stand: whoever copied the signature from
    # the mempool and sent the permit first has only set the allowance it would have
    # set, and that must not block the order. The allowance decides, whoever set it,
    # so the call's own result is deliberately unused.
    permitted: bool = raw_call(
        escrow_token,
        abi_encode(
            requester, self, amount, deadline, v, r, s,
            method_id=method_id("permit(address,address,uint256,uint256,uint8,bytes32,bytes32)"),
        ),
        revert_on_failure=False,
    )
    assert staticcall StockToken(escrow_token).allowance(requester, self) >= amount, "permit invalid or expired"
    assert extcall StockToken(escrow_token).transferFrom(requester, self, amount), "escrow transfer failed"
    log OrderCreated(
        order_id=order_id,
        requester=requester,
        asset_token=asset_token,
        payment_token=payment_token,
        sell=sell,
        amount=amount,
        fee=fee,
    )


@external
@nonreentrant
def fill(order_id: bytes32, retire_amount: uint256):
    # The gateway executed (part of) the order: the escrow it keeps for that part leaves
    # the chain, since the house holds its shares and dollars as book entries at the
    # broker. May be called once per partial fill; the order stays open until close.
    self._only_operator()
    order: Order = self.orders[order_id]
    assert order.open, "order not open"
    assert retire_amount <= order.escrow, "exceeds escrow"
    self.orders[order_id].escrow = order.escrow - retire_amount
    self.escrowed[order.escrow_token] -= retire_amount
    extcall StockToken(order.escrow_token).retire(retire_amount)
    log OrderFilled(order_id=order_id, requester=order.requester, escrow_token=order.escrow_token, retired=retire_amount)


@external
@nonreentrant
def close(order_id: bytes32):
    # Ends the order and hands what is left of the escrow back to its requester (and to
    # nobody else): after the last fill, or at once for an order the gateway will not
    # execute (terms other than it quoted, rejected at the broker, cancelled).
    self._only_operator()
    order: Order = self.orders[order_id]
    assert order.open, "order not open"
    refund: uint256 = order.escrow
    self.orders[order_id].escrow = 0
    self.orders[order_id].open = False
    self.escrowed[order.escrow_token] -= refund
    if refund > 0:
        assert extcall StockToken(order.escrow_token).transfer(order.requester, refund), "refund transfer failed"
    log OrderClosed(order_id=order_id, requester=order.requester, escrow_token=order.escrow_token, refund=refund)


@external
@view
def order_open(order_id: bytes32) -> bool:
    return self.orders[order_id].open


# --- roles ----------------------------------------------------------------------------

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
