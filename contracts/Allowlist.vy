# pragma version ==0.4.3
"""
@title Allowlist
@notice The KYC allowlist every RESTRICTED BrokerGate token consults: one list for all
        tokens, so a customer who passes (or loses) KYC costs one transaction, not one
        per stock (the transfer-restrictor model of Dinari's dShares and Project Open).
@dev Roles:
     owner  the deployer; appoints the minter and hands ownership on.
     minter the gateway's custody key: mirrors its KYC decisions with set_allowed.
"""

event AllowlistChanged:
    account: indexed(address)
    allowed: bool

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)

event MinterChanged:
    previous_minter: indexed(address)
    new_minter: indexed(address)

owner: public(address)
minter: public(address)
allowed: public(HashMap[address, bool])


@deploy
def __init__():
    self.owner = msg.sender
    self.minter = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)
    log MinterChanged(previous_minter=empty(address), new_minter=msg.sender)


@external
def set_allowed(account: address, is_allowed: bool):
    # Changes no balance, so it works while any token is paused (a frozen account can
    # still be struck off the list).
    assert msg.sender == self.minter, "only minter"
    self.allowed[account] = is_allowed
    log AllowlistChanged(account=account, allowed=is_allowed)


@external
def set_minter(new_minter: address):
    assert msg.sender == self.owner, "only owner"
    assert new_minter != empty(address), "zero address"
    log MinterChanged(previous_minter=self.minter, new_minter=new_minter)
    self.minter = new_minter


@external
def transfer_ownership(new_owner: address):
    assert msg.sender == self.owner, "only owner"
    assert new_owner != empty(address), "zero address"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner
