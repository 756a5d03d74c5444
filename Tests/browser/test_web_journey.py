"""The web app in a real browser (headless Chromium): what a partner, a customer's operator
and the public see, driven through the pages only (keys typed into the sign-in form).

1. Public pages: the market clock, the stock list with charts, the proof of reserves.
2. The partner journey: sign in → onboard (customer, KYC with inline checks, a document,
   PASS) → account → wallet → faucet → market buy in the regular session (Tuesday
   2026-12-01 10:00 ET) → filled in the portfolio → the reserves page shows 0 differences.
   An alloy (ALLOY.TECH) chosen in the ticket: one market buy becomes six legs, all filled,
   the six constituents in the portfolio, the reserves still fully backed.
   The accumulating wrapper: bought AAPL wrapped in part into wbAAPL from the account page's
   "Wrapped tokens" card, unwrapped again, and a wrap of more than held refused.
3. Saturday: the ticket refuses market orders and names the next open; a limit order waits.
4. The operator console: a NEEDS_REVIEW check approved with a note.
5. The hosted KYC form opened from a managed link.
6. The money arithmetic (js/decimal.js, js/fees.js), run by the browser itself.
7. The console's API keys page: a key created with its secret shown once, revoked through a
   confirm step, the last key that can write kept (last_active_key), and the console's own
   key revoked elsewhere (the 401 explained) or from the page (signed out).

Each step is screenshotted at 390 and 1280 px (Tests/browser/screenshots/) and must leave
no error in the browser console.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import httpx
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import TUESDAY_REGULAR, BrowserLog, Gateway, Screenshots

SATURDAY = "2026-11-28T15:00:00Z"  # 10:00 ET
WAIT_S = 15.0
# The smallest thing the server recognizes as a PNG by its content (magic bytes + filler).
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + b"B" * 64


def wait_for(driver: WebDriver, condition: Callable[[WebDriver], object], what: str, timeout: float = WAIT_S) -> object:
    # Live tables are re-rendered every second: an element read mid-render is just read again.
    try:
        return WebDriverWait(driver, timeout, poll_frequency=0.1, ignored_exceptions=[StaleElementReferenceException]).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}") from None


def element(driver: WebDriver, css: str, what: str | None = None) -> WebElement:
    found = wait_for(driver, lambda d: next(iter(e for e in d.find_elements(By.CSS_SELECTOR, css) if e.is_displayed()), None), what or css)
    assert isinstance(found, WebElement)
    return found


def text_of(driver: WebDriver, css: str, pattern: str, what: str) -> str:
    """Waits until the element's text matches ``pattern``; returns the text."""

    def matching(d: WebDriver) -> str | None:
        for candidate in d.find_elements(By.CSS_SELECTOR, css):
            text = candidate.text
            if re.search(pattern, text):
                return text
        return None

    found = wait_for(driver, matching, f"{what} ({css} matching {pattern!r})")
    assert isinstance(found, str)
    return found


def type_into(form: WebElement, name: str, value: str) -> None:
    field = form.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def set_date(driver: WebDriver, form: WebElement, name: str, iso: str) -> None:
    # A date input's typing order follows the browser locale; set the ISO value and announce it.
    field = form.find_element(By.NAME, name)
    driver.execute_script(
        "arguments[0].value = arguments[1];"
        "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
        "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        field, iso,
    )  # fmt: skip


def set_clock(api: httpx.Client, gateway: Gateway, instant: str) -> None:
    response = api.put("/api/v2/sandbox/clock", json={"now": instant}, headers=gateway.headers("operator"))
    assert response.status_code == 200, response.text


def sign_in(driver: WebDriver, gateway: Gateway, page: str, role: str) -> None:
    driver.get(f"{gateway.base_url}/{page}")
    key_id, secret = gateway.partner if role == "partner" else gateway.operator
    if driver.find_elements(By.CSS_SELECTOR, "#who:not([hidden])"):
        return
    form = element(driver, "#sign-in-form", "the sign-in form")
    type_into(form, "key_id", key_id)
    type_into(form, "secret", secret)
    form.find_element(By.NAME, "secret").send_keys(Keys.ENTER)  # keyboard submit
    element(driver, "#who:not([hidden])", "the signed-in bar")
    assert secret not in driver.current_url and key_id not in driver.current_url


# --- 1. public pages ----------------------------------------------------------------------------



def funded_customer(api: httpx.Client, gateway: Gateway, first: str, last: str, birth: str, country: str) -> dict:
    """A BASELINE customer of `country` with KYC passed, an account, a wallet and the faucet's USD+."""
    partner = gateway.headers("partner")
    entity = api.post("/api/v2/entities", json={"name": f"{first} {last}"}, headers=partner).json()
    kyc = api.post(f"/api/v2/entities/{entity['id']}/kyc", headers=partner, json={
        "provider_name": "Acme KYC", "jurisdiction": "BASELINE",
        "data": {"last_name": last, "first_name": first, "birth_date": birth, "country_code": country, "address_country_code": country},
    })  # fmt: skip
    assert kyc.json()["status"] == "PASS", kyc.text
    account = api.post(f"/api/v2/entities/{entity['id']}/accounts", json={"jurisdiction": "BASELINE"}, headers=partner).json()
    wallet = {"chain_id": "eip155:1", "wallet_address": "0x" + secrets.token_hex(20)}
    assert api.post(f"/api/v2/accounts/{account['id']}/wallet/internal", json=wallet, headers=partner).status_code == 200
    assert api.post(f"/api/v2/accounts/{account['id']}/faucet", headers=partner).status_code == 200
    return account

def test_public_marketsPage_showsTheClock_pricesAndCharts(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                          console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    set_clock(api, gateway, TUESDAY_REGULAR)
    driver.get(gateway.base_url + "/")
    assert text_of(driver, "[data-testid=market-state]", r"Market open", "the market clock") == "Market open"
    text_of(driver, "[data-testid=market-session]", r"Regular session", "the session")
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=stock-table] tbody tr")) >= 40, "the stock list")
    text_of(driver, "[data-testid=price]", r"^\$\d[\d,]*\.\d{2}", "a price")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "svg.chart polyline"), "a price chart")
    text_of(driver, "#ready", r"ready", "readiness")
    screenshots.take("markets")

    search = element(driver, "#stock-filter")
    search.send_keys("apple")
    visible = [row for row in driver.find_elements(By.CSS_SELECTOR, "[data-testid=stock-table] tbody tr") if row.is_displayed()]
    assert [row.find_element(By.CSS_SELECTOR, "th span").text for row in visible] == ["AAPL"]
    console_log.assert_clean("the markets page")


# --- 2. the partner journey ------------------------------------------------------------------------


def test_journey_signIn_onboard_fund_buy_andSeeItBacked(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                        console_log: BrowserLog, screenshots: Screenshots,
                                                        tmp_path: Path) -> None:  # fmt: skip
    set_clock(api, gateway, TUESDAY_REGULAR)

    # A wrong secret shows the server's own error message.
    driver.get(f"{gateway.base_url}/console.html")
    form = element(driver, "#sign-in-form")
    type_into(form, "key_id", gateway.partner[0])
    type_into(form, "secret", "not-the-secret-000")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "#sign-in-error", r"send a valid API key in X-API-Key-Id and X-API-Secret-Key", "the 401 message")
    screenshots.take("sign-in refused")
    console_log.assert_clean("a refused sign-in", expected=(("/api/v2/entities/me", 401),))

    sign_in(driver, gateway, "console.html", "partner")
    element(driver, "[data-testid=new-customer]").click()

    form = element(driver, "#customer-form")
    type_into(form, "name", "Anna Müller")
    reference = f"web-{secrets.token_hex(4)}"
    type_into(form, "reference_id", reference)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    # KYC: the inline check flags a bad email when the field is left, before any request.
    form = element(driver, "#kyc-form", "the KYC form")
    type_into(form, "first_name", "Anna")
    type_into(form, "last_name", "Müller")
    set_date(driver, form, "birth_date", "1990-04-17")
    Select(form.find_element(By.NAME, "country_code")).select_by_value("DE")
    Select(form.find_element(By.NAME, "address_country_code")).select_by_value("DE")
    type_into(form, "email", "anna.mueller")
    form.find_element(By.NAME, "email").send_keys(Keys.TAB)
    text_of(driver, "#kyc-form .field-error", r"email address such as", "the inline email check")
    assert form.find_element(By.NAME, "email").get_attribute("aria-invalid") == "true"
    screenshots.take("kyc inline check")
    type_into(form, "email", "anna.mueller@example.de")
    type_into(form, "address_city", "Berlin")
    type_into(form, "address_postal_code", "10115")
    form.find_element(By.NAME, "address_postal_code").send_keys(Keys.TAB)
    assert not driver.find_elements(By.CSS_SELECTOR, "#kyc-form .field-error")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    # A document, then the decision.
    document = tmp_path / "passport.png"
    document.write_bytes(PNG)
    form = element(driver, "#document-form", "the document step")
    form.find_element(By.NAME, "file").send_keys(str(document))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "#document-form ul", r"passport\.png .*uploaded", "the uploaded document")
    screenshots.take("kyc document")
    element(driver, "#documents-done").click()
    text_of(driver, "[data-testid=kyc-status]", r"^PASS$", "KYC PASS")
    screenshots.take("kyc pass")
    element(driver, "[data-testid=open-account]").click()

    # The account: no wallet yet (its 404 is the API's "none linked" answer).
    form = element(driver, "#wallet-form", "the wallet form")
    type_into(form, "wallet_address", "0x" + secrets.token_hex(20))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    element(driver, "[data-testid=wallet]", "the linked wallet")
    element(driver, "[data-testid=faucet]").click()
    text_of(driver, "[data-testid=cash-balance]", r"^1,000\.00 USD\+$", "the faucet's 1,000 USD+")
    text_of(driver, "[data-testid=dividends]", r"^No dividends yet\.$", "the empty dividends section")
    screenshots.take("account funded")

    # The ticket knows the session and quotes the fee before submit.
    ticket = element(driver, "#order-ticket")
    text_of(driver, "[data-testid=session-note]", r"Regular session", "the session note")
    assert ticket.find_element(By.CSS_SELECTOR, "input[name=type][value=MARKET]").is_enabled()
    type_into(ticket, "payment_amount", "100")
    text_of(driver, "[data-testid=quote-fee]", r"^\$0\.25$", "the 25 bps fee quote")
    text_of(driver, "[data-testid=quote-total]", r"^100\.25 USD\+$", "the total held")
    screenshots.take("ticket quote")
    element(driver, "[data-testid=place-order]").click()

    text_of(driver, "[data-testid=order-status]", r"^FILLED$", "the order filled")
    text_of(driver, "[data-testid=position][data-symbol=AAPL] [data-testid=market-value]", r"^\$\d", "the AAPL position")
    text_of(driver, "[data-testid=cash-balance]", r"^899\.75 USD\+$", "cash after 100 + 0.25 fee")
    wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=fulfillment]"), "the fill")
    screenshots.take("order filled")

    # Withdraw 50 USD+ to the account's own wallet.
    form = element(driver, "#withdraw-form")
    type_into(form, "payment_token_quantity", "50")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "#withdraw-form .alert", r"Withdrawal submitted: 50\.00 USD\+", "the withdrawal")
    text_of(driver, "[data-testid=cash-balance]", r"^849\.75 USD\+$", "cash after the withdrawal")
    console_log.assert_clean("the journey", expected=(("/wallet", 404), ("/api/v2/entities/me", 401)))

    # The customer list finds her by reference id; her page shows KYC and the account.
    driver.get(f"{gateway.base_url}/console.html#/customers")
    search = element(driver, "#customer-search")
    type_into(search, "reference_id", reference)
    search.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "tbody tr.clickable")) == 1, "exactly one match")
    screenshots.take("customer search")
    element(driver, "tbody tr.clickable a").click()
    text_of(driver, "[data-testid=kyc-status]", r"^PASS$", "KYC on the customer page")
    element(driver, "[data-testid=account-link]", "the account on the customer page")
    screenshots.take("customer page")
    console_log.assert_clean("the customer pages")

    driver.get(f"{gateway.base_url}/reserves.html")
    text_of(driver, "[data-testid=fully-backed]", r"^Fully backed$", "the reserves verdict")
    text_of(driver, "[data-testid=usd-difference]", r"^0\.000000 ✓$", "USD+ difference")
    differences = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "[data-testid=difference]")]
    assert differences and all(text == "0.000000 ✓" for text in differences), differences
    assert "AAPL" in driver.find_element(By.ID, "stocks-heading").find_element(By.XPATH, "..").text
    text_of(driver, "#verdict-heading + p + dl", r"valid \(checked in this browser\)", "the browser's signature check")
    screenshots.take("reserves")
    console_log.assert_clean("the reserves page")


# --- 2b. an alloy bought through the ticket ---------------------------------------------------------

ALLOY_TECH = ("AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA")


def test_alloy_ticketBuysABasket_everyLegFills_andTheReservesStayBacked(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                                        console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    """ALLOY.TECH chosen in the ticket's asset selector: market orders only, the split into legs
    named before submit; one click places six orders that all fill, the portfolio holds the six
    constituents' tokens, and the API agrees (legs add up to the amount, reserves fully backed)."""
    set_clock(api, gateway, TUESDAY_REGULAR)
    partner = gateway.headers("partner")
    account = funded_customer(api, gateway, "Alma", "Basket", "1988-03-04", "NL")
    alloy = next(item for item in api.get("/api/v2/market_data/alloys/?limit=100").json()["data"] if item["symbol"] == "ALLOY.TECH")

    sign_in(driver, gateway, "console.html", "partner")
    driver.get(f"{gateway.base_url}/console.html#/accounts/{account['id']}")
    ticket = element(driver, "#order-ticket")
    text_of(driver, "[data-testid=session-note]", r"Regular session", "the session note")
    option = element(driver, f"[data-testid=ticket-asset] optgroup[label^=Alloys] option[value='alloy:{alloy['id']}']", "the ALLOY.TECH option")
    assert option.text.startswith("ALLOY.TECH — ") and option.text.endswith("(6 stocks)"), option.text
    # Chosen from the keyboard (type-ahead), as a person would: chromedriver's Select fires only
    # `change` on the <select>, a browser fires `input` too, which is what the ticket follows.
    ticket.find_element(By.NAME, "stock_id").send_keys("ALLOY.TECH")
    assert Select(ticket.find_element(By.NAME, "stock_id")).first_selected_option.get_attribute("value") == f"alloy:{alloy['id']}"

    # Market only (the server refuses an alloy limit order), priced from the basket.
    assert not ticket.find_element(By.CSS_SELECTOR, "input[name=type][value=LIMIT]").is_enabled()
    assert ticket.find_element(By.CSS_SELECTOR, "input[name=type][value=MARKET]").is_selected()
    basket_price = api.get(f"/api/v2/market_data/alloys/{alloy['id']}/current_price").json()["price"]
    shown = text_of(driver, "#order-ticket p.hint", r"^Price now \$[\d,.]+ ", "the basket's price")
    shown_price = Decimal(re.search(r"\$([\d,.]+) ", shown).group(1).replace(",", ""))
    assert abs(shown_price / Decimal(str(basket_price)) - 1) < Decimal("0.01"), (shown, basket_price)  # the basket's, not AAPL's
    type_into(ticket, "payment_amount", "600")
    text_of(driver, "[data-testid=quote-fee]", r"^\$1\.50$", "the fee quote (at most 25 bps of 600)")
    note = text_of(driver, "[data-testid=alloy-legs-note]", r"splits into 6 orders", "the legs note")
    assert all(symbol in note for symbol in ALLOY_TECH), note
    for width in (390, 1280):  # the basket's option and note fit the narrow layout too
        driver.set_window_size(width, 900)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page scrolls sideways by {overflow} px at {width} px"
        assert element(driver, "[data-testid=alloy-legs-note]").is_displayed()
    screenshots.take("alloy ticket")
    element(driver, "[data-testid=place-order]").click()

    text_of(driver, "#order-ticket .alert", r"Order accepted: market buy ALLOY\.TECH as 6 orders", "the accepted basket")
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=order][data-status=FILLED]")) == 6, "six filled legs")
    for symbol in ALLOY_TECH:
        text_of(driver, f"[data-testid=position][data-symbol='{symbol}'] [data-testid=market-value]", r"^\$\d", f"the {symbol} position")
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=fulfillment]")) == 6, "six fills")

    # The API: six legs of this basket, all FILLED, adding up to exactly 600 USD+.
    orders = api.get(f"/api/v2/accounts/{account['id']}/orders?limit=20", headers=partner).json()["data"]
    legs = [order for order in orders if order.get("alloy_id") == alloy["id"]]
    assert len(legs) == 6 == len(orders), orders
    assert {order["status"] for order in legs} == {"FILLED"}, [(order["id"], order["status"]) for order in legs]
    assert sum(Decimal(str(order["payment_token_quantity"])) for order in legs) == Decimal("600"), legs
    fees = sum(Decimal(str(order["fee"])) for order in legs)
    assert Decimal("0") < fees <= Decimal("1.50"), fees
    portfolio = api.get(f"/api/v2/accounts/{account['id']}/portfolio", headers=partner).json()
    assert sorted(asset["symbol"] for asset in portfolio["assets"]) == sorted(ALLOY_TECH), portfolio
    cash = f"{Decimal(1000) - 600 - fees:,.2f} USD+"
    text_of(driver, "[data-testid=cash-balance]", rf"^{re.escape(cash)}$", "cash after the legs and their fees")
    screenshots.take("alloy filled")
    console_log.assert_clean("the alloy buy")

    signed = api.get("/api/v2/reserves").json()
    report = json.loads(signed["canonical"], parse_float=Decimal)
    assert report["fully_backed"] is True, report
    assert Decimal(str(report["usd_plus"]["difference"])) == 0, report["usd_plus"]
    backed = {stock["symbol"]: Decimal(str(stock["difference"])) for stock in report["stocks"]}
    assert all(symbol in backed for symbol in ALLOY_TECH), sorted(backed)
    assert not any(backed.values()), backed


# --- 2c. the accumulating wrapper (wbAAPL) in the account page ----------------------------------------


def exact(response: httpx.Response) -> object:
    """The JSON body with every number as an exact Decimal."""
    assert response.status_code == 200, (response.status_code, response.text)
    return response.json(parse_float=Decimal, parse_int=Decimal)


def shares_text(value: Decimal) -> str:
    """A token quantity as the console shows it (js/decimal.js formatShares: grouped, no trailing zeros)."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def test_wrapper_wrapAndUnwrapAAPL_fromTheAccountPage(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                     console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    """AAPL bought through the ticket, part of it wrapped in the "Wrapped tokens" card: the card
    shows the wbAAPL held and the shares it is worth (1:1 for the first wrap), the portfolio
    the AAPL left; unwrapped in full: the card is empty and the portfolio holds all the AAPL
    bought again; a wrap of more than held shows the server's insufficient_funds message."""
    set_clock(api, gateway, TUESDAY_REGULAR)
    partner = gateway.headers("partner")
    account = funded_customer(api, gateway, "Wim", "Wrapper", "1979-06-07", "NL")
    positions_path = f"/api/v2/accounts/{account['id']}/wrapped_positions"

    sign_in(driver, gateway, "console.html", "partner")
    driver.get(f"{gateway.base_url}/console.html#/accounts/{account['id']}")
    text_of(driver, "[data-testid=wrapped-positions]", r"^No wrapped tokens yet\.$", "the empty wrapped tokens card")
    assert not driver.find_element(By.ID, "unwrap-form").is_displayed(), "nothing to unwrap yet"

    # Buy AAPL (the ticket's default stock) for 100 USD+.
    ticket = element(driver, "#order-ticket")
    assert Select(ticket.find_element(By.NAME, "stock_id")).first_selected_option.text.startswith("AAPL — ")
    text_of(driver, "[data-testid=session-note]", r"Regular session", "the session note")
    type_into(ticket, "payment_amount", "100")
    element(driver, "[data-testid=place-order]").click()
    text_of(driver, "[data-testid=order-status]", r"^FILLED$", "the order filled")
    aapl_tokens = "[data-testid=position][data-symbol=AAPL] td[data-label=Tokens]"
    text_of(driver, aapl_tokens, r"^0\.\d+$", "the AAPL position")
    bought = next(asset for asset in exact(api.get(f"/api/v2/accounts/{account['id']}/portfolio", headers=partner))["assets"]
                  if asset["symbol"] == "AAPL")  # fmt: skip
    held = Decimal(bought["amount"])
    wrapped = Decimal("0.1")
    assert held > wrapped, held

    # Wrap 0.1 of it: the first wrap of wbAAPL is 1:1.
    form = element(driver, "#wrap-form")
    text_of(driver, "#wrap-form select[name=stock_id] option", rf"^AAPL \({re.escape(shares_text(held))}\)$", "AAPL offered to wrap")
    assert Select(form.find_element(By.NAME, "stock_id")).first_selected_option.get_attribute("value") == bought["stock_id"]
    type_into(form, "quantity", "0.1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "[data-testid=wrap-result] .alert.good", r"^Wrapped 0\.1 AAPL into 0\.1 wbAAPL\.$", "the wrap")
    row = "[data-testid=wrapped-position][data-symbol=wbAAPL]"
    text_of(driver, f"{row} [data-testid=wrapped-quantity]", r"^0\.1$", "the wrapped quantity")
    text_of(driver, f"{row} [data-testid=wrapped-shares]", r"^0\.1$", "the shares it is worth")
    text_of(driver, f"{row} td[data-label='Shares per token']", r"^1$", "1 share per token")
    text_of(driver, aapl_tokens, rf"^{re.escape(shares_text(held - wrapped))}$", "the AAPL left unwrapped")
    positions = exact(api.get(positions_path, headers=partner))
    assert [(p["wrapped_symbol"], p["wrapped_quantity"], p["shares"]) for p in positions] == [("wbAAPL", wrapped, wrapped)], positions
    screenshots.take("wrapped")

    # Unwrap all of it: the card empties, the portfolio holds every AAPL token bought.
    form = element(driver, "#unwrap-form", "the unwrap form")
    text_of(driver, "#unwrap-form select[name=stock_id] option", r"^wbAAPL \(0\.1\)$", "wbAAPL offered to unwrap")
    type_into(form, "wrapped_quantity", "0.1")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "[data-testid=wrap-result] .alert.good", r"^Unwrapped 0\.1 wbAAPL into 0\.1 AAPL\.$", "the unwrap")
    text_of(driver, "[data-testid=wrapped-positions]", r"^No wrapped tokens yet\.$", "the emptied card")
    text_of(driver, aapl_tokens, rf"^{re.escape(shares_text(held))}$", "all the AAPL back in the portfolio")
    assert not any(Decimal(p["wrapped_quantity"]) for p in exact(api.get(positions_path, headers=partner)))
    screenshots.take("unwrapped")
    console_log.assert_clean("wrapping and unwrapping")

    # More than held: the server's insufficient_funds message, nothing changed.
    form = element(driver, "#wrap-form")
    type_into(form, "quantity", "1000")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    message = text_of(driver, "#wrap-form .alert.error", r"^Wrap refused: ", "the refusal")
    assert re.search(rf"balance is {re.escape(f'{held.normalize():f}')}, this needs 1000\b", message), message
    text_of(driver, "[data-testid=wrapped-positions]", r"^No wrapped tokens yet\.$", "still no wrapped tokens")
    text_of(driver, aapl_tokens, rf"^{re.escape(shares_text(held))}$", "the AAPL untouched")
    screenshots.take("wrap refused")
    console_log.assert_clean("the refused wrap", expected=((f"/api/v2/accounts/{account['id']}/wrap", 422),))


# --- 3. Saturday ----------------------------------------------------------------------------------


def test_saturday_ticketRefusesMarketOrders_andNamesTheNextOpen(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                               console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    set_clock(api, gateway, SATURDAY)
    try:
        partner = gateway.headers("partner")
        account = funded_customer(api, gateway, "Sam", "Saturday", "1985-01-02", "FR")

        sign_in(driver, gateway, "console.html", "partner")
        driver.get(f"{gateway.base_url}/console.html#/accounts/{account['id']}")
        note = text_of(driver, "[data-testid=session-note]", r"Market closed", "the closed-market note")
        assert "Market closed — limit orders only; next open Mon 30 Nov 09:30 ET" in note, note
        ticket = element(driver, "#order-ticket")
        market = ticket.find_element(By.CSS_SELECTOR, "input[name=type][value=MARKET]")
        assert not market.is_enabled(), "the ticket must not offer market orders on Saturday"
        assert ticket.find_element(By.CSS_SELECTOR, "input[name=type][value=LIMIT]").is_selected()

        # USD+ to the customer's second account, through the transfer form.
        second = api.post(f"/api/v2/entities/{account['entity_id']}/accounts", json={"jurisdiction": "BASELINE"}, headers=partner).json()
        form = element(driver, "#transfer-form")
        Select(form.find_element(By.NAME, "token_address")).select_by_index(0)
        type_into(form, "quantity", "10")
        type_into(form, "recipient_account_id", second["id"])
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        text_of(driver, "#transfer-form .alert", r"Transfer complete: 10 USD\+", "the transfer")
        text_of(driver, "[data-testid=cash-balance]", r"^990\.00 USD\+$", "cash after the transfer")

        # A limit order is accepted and waits for the next session.
        type_into(ticket, "asset_quantity", "1")
        type_into(ticket, "limit_price", "5.00")
        text_of(driver, "[data-testid=quote-total]", r"^5\.01 USD\+$", "the limit quote (5.00 + 0.01 fee)")
        element(driver, "[data-testid=place-order]").click()
        text_of(driver, "[data-testid=order-status]", r"^PENDING SUBMIT$", "the waiting limit order")
        screenshots.take("saturday ticket")
        console_log.assert_clean("the Saturday ticket")

        # The public clock agrees: closed, counting down to Monday's open.
        driver.get(gateway.base_url + "/")
        text_of(driver, "[data-testid=market-state]", r"^Market closed$", "the closed market")
        text_of(driver, "[data-testid=market-session]", r"^Closed$", "no session")
        text_of(driver, "#market-clock", r"Next open\s+Mon 30 Nov 09:30 ET", "the next open")
        text_of(driver, "[data-testid=countdown]", r"^1 d 23 h 2\d min$", "the countdown to Monday 09:30 ET")
        screenshots.take("saturday clock")
        console_log.assert_clean("the Saturday clock")
    finally:
        set_clock(api, gateway, TUESDAY_REGULAR)


# --- 4. the operator console ------------------------------------------------------------------------


def test_operator_approvesANeedsReviewCheck_withANote(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                     console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    partner = gateway.headers("partner")
    entity = api.post("/api/v2/entities", json={"name": "Reza Tehrani"}, headers=partner).json()
    # A citizen of an embargoed country living elsewhere: the rules send it to a person.
    kyc = api.post(f"/api/v2/entities/{entity['id']}/kyc", headers=partner, json={
        "provider_name": "Acme KYC", "jurisdiction": "BASELINE",
        "data": {"last_name": "Tehrani", "first_name": "Reza", "birth_date": "1980-05-06", "country_code": "IR", "address_country_code": "DE"},
    }).json()  # fmt: skip
    assert kyc["status"] == "NEEDS_REVIEW", kyc

    sign_in(driver, gateway, "operator.html", "operator")
    review = element(driver, "[data-testid=kyc-review]", "the review queue")
    assert "sanctioned nationality" in review.text
    # The order desk (GET /api/v2/operator/order_desk) came to main beside this console; a
    # gateway without it answers 404 there, which the console reports instead of a depth.
    has_desk = api.get("/api/v2/operator/order_desk", headers=gateway.headers("operator")).status_code == 200
    text_of(driver, "[data-testid=outbox]", r"^\d+ open" if has_desk else r"not reported", "the outbox depth")
    screenshots.take("review queue")

    review.find_element(By.CSS_SELECTOR, "button.primary").click()  # approve without a note
    text_of(driver, "[data-testid=kyc-review] .alert.error", r"note is required", "the missing note")
    review.find_element(By.NAME, "note").send_keys("Passport and German residence permit checked; no ties to the government.")
    review.find_element(By.CSS_SELECTOR, "button.primary").click()
    text_of(driver, "[data-testid=kyc-review] .alert.good", r"APPROVED", "the decision")
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=kyc-review]"), "the queue to empty")
    screenshots.take("review approved")
    after = api.get(f"/api/v2/entities/{entity['id']}/kyc", headers=partner).json()
    assert after["status"] == "PASS", after
    console_log.assert_clean("the operator console", expected=() if has_desk else (("/api/v2/operator/order_desk", 404),))


def test_partnerConsole_showsTheOperatorsDecision_live(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                     console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    """The decision step waits on the event stream: the operator approves through the API and
    the page turns to PASS without a click or a reload."""
    partner = gateway.headers("partner")
    entity = api.post("/api/v2/entities", json={"name": "Leila Karimi"}, headers=partner).json()
    kyc = api.post(f"/api/v2/entities/{entity['id']}/kyc", headers=partner, json={
        "provider_name": "Acme KYC", "jurisdiction": "BASELINE",
        "data": {"last_name": "Karimi", "first_name": "Leila", "birth_date": "1985-02-03", "country_code": "IR", "address_country_code": "FR"},
    }).json()  # fmt: skip
    assert kyc["status"] == "NEEDS_REVIEW", kyc

    sign_in(driver, gateway, "console.html", "partner")
    driver.get(f"{gateway.base_url}/console.html#/onboard/{entity['id']}")
    text_of(driver, ".alert.warn", r"A person must review this check", "the waiting decision")
    time.sleep(1.5)  # the page's stream is connected (start=latest) before the decision is made
    decided = api.post(f"/api/v2/operator/kyc_reviews/{kyc['id']}/approve", headers=gateway.headers("operator"),
                       json={"note": "Residence permit checked."})  # fmt: skip
    assert decided.status_code == 200, decided.text
    text_of(driver, ".alert.good", r"Verified", "the decision arriving live")
    element(driver, "[data-testid=open-account]", "the next step")
    screenshots.take("decision live")
    console_log.assert_clean("the live decision")


# --- 5. the hosted KYC form ------------------------------------------------------------------------


def test_hosted_kycForm_fromAManagedLink_verifiesTheCustomer(driver: WebDriver, gateway: Gateway, api: httpx.Client,
                                                             console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    partner = gateway.headers("partner")
    entity = api.post("/api/v2/entities", json={"name": "Lea Hosted"}, headers=partner).json()
    link = api.post(f"/api/v2/entities/{entity['id']}/kyc/url", json={"jurisdiction": "BASELINE"}, headers=partner).json()
    driver.get(link["embed_url"])
    form = element(driver, "#kyc-form", "the hosted form")
    assert "#token=" not in driver.current_url, "the token must leave the address bar"
    type_into(form, "first_name", "Lea")
    type_into(form, "last_name", "Hosted")
    set_date(driver, form, "birth_date", "1992-08-09")
    Select(form.find_element(By.NAME, "country_code")).select_by_value("AT")
    Select(form.find_element(By.NAME, "address_country_code")).select_by_value("AT")
    type_into(form, "email", "lea@")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "#kyc-form .field-error", r"email address such as", "the email check")
    screenshots.take("hosted form check")
    type_into(form, "email", "lea@example.at")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "#result-title", r"^You are verified$", "the hosted form's result")
    screenshots.take("hosted form verified")
    assert api.get(f"/api/v2/entities/{entity['id']}/kyc", headers=partner).json()["status"] == "PASS"
    console_log.assert_clean("the hosted KYC form")



# --- 6. money arithmetic, in the browser that runs it -------------------------------------------------

MONEY_CASES = """
const d = await import('/js/decimal.js');
const fees = await import('/js/fees.js');
const { parseExactJSON } = await import('/js/api.js');
const t = d.toText;
const parsed = parseExactJSON('{"amount": 0.1, "big": 12345678901234567.891234, "n": [1e-6, -2]}');
return {
  sum: t(d.add('0.1', '0.2')),
  product: t(d.mul('0.0001', '123.45')),
  share: t(d.div('100', '0.407781', 2, 'ceil')),
  grouped: d.format('1234567.891', { min: 2, max: 2 }),
  usdPlus: d.formatUSDPlus('999.750000'),
  negative: d.formatUSD('-1234.5'),
  parsed: [parsed.amount, parsed.big, parsed.n[0], parsed.n[1]],
  feeOn100: t(fees.feeOn('100')),
  feeOn099: t(fees.feeOn('0.99')),
  feeOn12345: t(fees.feeOn('123.45')),
  limitBuy: t(fees.quoteOrder({ side: 'BUY', type: 'LIMIT', quantity: d.dec('0.0001'), limitPrice: d.dec('12345.67') }).total),
  belowMinimum: fees.quoteOrder({ side: 'BUY', type: 'MARKET', paymentAmount: d.dec('0.99') }).problem,
  tooPrecise: d.parseInput('12.345', { decimals: 2 }).problem,
};
"""


def test_money_isExactDecimalArithmetic_inTheBrowser(driver: WebDriver, gateway: Gateway, console_log: BrowserLog) -> None:
    """js/decimal.js, js/fees.js and the exact JSON reader, run by the browser itself:
    0.1 + 0.2 is 0.3, JSON numbers keep every digit, the fee is 25 bps rounded down to the
    cent as OrderPricing.feeUnits does, and the $1 minimum holds."""
    driver.get(f"{gateway.base_url}/")
    script = "const done = arguments[arguments.length - 1]; (async () => {" + MONEY_CASES + "})().then(done, (e) => done({ error: String(e) }));"
    result = driver.execute_async_script(script)
    assert result == {
        "sum": "0.3",
        "product": "0.012345",
        "share": "245.23",
        "grouped": "1,234,567.89",
        "usdPlus": "999.75 USD+",
        "negative": "−$1,234.50",
        "parsed": ["0.1", "12345678901234567.891234", "1e-6", "-2"],
        "feeOn100": "0.250000",
        "feeOn099": "0.000000",
        "feeOn12345": "0.300000",
        "limitBuy": "1.234567",  # 0.0001 × 12,345.67, ceil at 6 dp; its fee rounds to $0.00
        "belowMinimum": "orders must be worth at least $1.00",
        "tooPrecise": "amount takes at most 2 decimals",
    }, result
    console_log.assert_clean("the money checks")


# --- 7. the organization's API keys ------------------------------------------------------------------

KEY_CACHE_S_MAX = 3.0  # a revoked key is refused on every replica within 2 s (per-replica cache)


def key_headers(key_id: str, secret: str) -> dict[str, str]:
    return {"X-API-Key-Id": key_id, "X-API-Secret-Key": secret}


def refused_within(api: httpx.Client, headers: dict[str, str], seconds: float) -> float:
    """Polls GET /entities/me with `headers` until 401; returns how long that took."""
    started = time.monotonic()
    while True:
        status = api.get("/api/v2/entities/me", headers=headers).status_code
        elapsed = time.monotonic() - started
        if status == 401:
            return elapsed
        assert status == 200, status
        assert elapsed < seconds, f"the revoked key still worked {elapsed:.1f} s after the revoke"
        time.sleep(0.1)


def key_row(driver: WebDriver, key_id: str, status: str | None = None) -> WebElement:
    selector = f"[data-testid=api-key][data-key-id='{key_id}']" + (f"[data-status={status}]" if status else "")
    return element(driver, selector, f"the row of key {key_id}" + (f" ({status})" if status else ""))


def sign_in_with(driver: WebDriver, gateway: Gateway, key_id: str, secret: str) -> None:
    """Signs the partner console in with this key (signing out whoever was signed in)."""
    driver.get(f"{gateway.base_url}/console.html")
    if driver.find_elements(By.CSS_SELECTOR, "#who:not([hidden])"):
        element(driver, "#sign-out").click()
    form = element(driver, "#sign-in-form", "the sign-in form")
    type_into(form, "key_id", key_id)
    type_into(form, "secret", secret)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    element(driver, "#who:not([hidden])", "the signed-in bar")


def test_apiKeys_createShowsTheSecretOnce_revokeIsConfirmed_andTheLastWriterStays(
        driver: WebDriver, gateway: Gateway, api: httpx.Client, console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    """The console's API keys page: a read-only key created with its secret shown once (and
    working, read-only), the console's last key that can write refused with the server's
    last_active_key message while only that read-only key is beside it, then the read-only key
    revoked through the confirm step: REVOKED in the list, refused by the gateway within 2 s."""
    partner = gateway.headers("partner")
    sign_in_with(driver, gateway, *gateway.partner)
    element(driver, "#api-keys-link", "the API keys link").click()
    own = key_row(driver, gateway.partner[0], "ACTIVE")
    assert "this console's key" in own.text and "read & write" in own.text, own.text

    # Create: a read-only key, its secret shown once with the notice.
    name = f"web-reader-{secrets.token_hex(3)}"
    form = element(driver, "#api-key-form")
    type_into(form, "name", name)
    form.find_element(By.NAME, "read_only").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    text_of(driver, "[data-testid=new-key]", r"Copy the secret now: it will not be shown again", "the shown-once notice")
    key_id = element(driver, "[data-testid=new-key-id]").text
    secret = element(driver, "[data-testid=new-key-secret]").text
    assert len(secret) >= 16 and key_id not in (gateway.partner[0], ""), (key_id, len(secret))
    row = key_row(driver, key_id, "ACTIVE")
    assert name in row.text and "read-only" in row.text and "this console" not in row.text, row.text
    assert row.find_element(By.CSS_SELECTOR, "[data-testid=key-status]").text == "ACTIVE"
    screenshots.take("api key created")

    reader = key_headers(key_id, secret)
    assert api.get("/api/v2/entities/me", headers=reader).status_code == 200
    refused = api.post("/api/v2/entities", json={"name": "Never Created"}, headers=reader)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "read_only_key", refused.text
    listed = api.get("/api/v2/api_keys", headers=partner).json()["data"]
    assert [key["id"] for key in listed][:1] == [key_id], "newest first"
    assert all(key.get("secret") is None for key in listed), "the list never carries a secret"

    # Shown once: dismissed, and gone after a reload (nothing kept it).
    element(driver, "[data-testid=secret-stored]").click()
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=new-key]"), "the notice to go")
    driver.refresh()
    key_row(driver, key_id, "ACTIVE")
    assert secret not in driver.page_source
    assert secret not in driver.execute_script("return JSON.stringify(sessionStorage) + JSON.stringify(localStorage) + location.href")

    # The last key that can write: the confirm step names the sign-out, the server refuses.
    key_row(driver, gateway.partner[0]).find_element(By.CSS_SELECTOR, "[data-testid=revoke]").click()
    confirm = element(driver, f"[data-key-id='{gateway.partner[0]}'] .confirm", "the confirm step")
    assert "You will be signed out" in confirm.text, confirm.text
    confirm.find_element(By.CSS_SELECTOR, "[data-testid=confirm-revoke]").click()
    text_of(driver, "[data-testid=api-keys-status] .alert.error", r"Could not revoke the key: this is the organization's last active key that can write",
            "the last_active_key message")  # fmt: skip
    key_row(driver, gateway.partner[0], "ACTIVE").find_element(By.CSS_SELECTOR, "[data-testid=revoke]")
    element(driver, "#who:not([hidden])", "still signed in")
    screenshots.take("api key last writer")
    assert api.get("/api/v2/entities/me", headers=partner).status_code == 200

    # Revoke the read-only key: Cancel first changes nothing, then confirmed.
    key_row(driver, key_id).find_element(By.CSS_SELECTOR, "[data-testid=revoke]").click()
    element(driver, f"[data-key-id='{key_id}'] [data-testid=cancel-revoke]").click()
    key_row(driver, key_id, "ACTIVE").find_element(By.CSS_SELECTOR, "[data-testid=revoke]").click()
    confirm = element(driver, f"[data-key-id='{key_id}'] .confirm", "the confirm step")
    assert "signed out" not in confirm.text, confirm.text
    screenshots.take("api key confirm revoke")
    confirm.find_element(By.CSS_SELECTOR, "[data-testid=confirm-revoke]").click()
    text_of(driver, "[data-testid=api-keys-status] .alert.good", rf"Key {re.escape(name)} revoked", "the revoke notice")
    row = key_row(driver, key_id, "REVOKED")
    assert row.find_element(By.CSS_SELECTOR, "[data-testid=key-status]").text == "REVOKED"
    assert not row.find_elements(By.CSS_SELECTOR, "[data-testid=revoke]")
    assert re.search(r"\d{4}, \d{2}:\d{2} ET", row.find_element(By.CSS_SELECTOR, "td[data-label=Revoked]").text), row.text
    screenshots.take("api key revoked")
    elapsed = refused_within(api, reader, KEY_CACHE_S_MAX)
    print(f"api keys page: the revoked key was refused {elapsed:.2f} s after the revoke")
    assert api.get("/api/v2/entities/me", headers=partner).status_code == 200
    console_log.assert_clean("the API keys page", expected=(("/revoke", 422),))
    output = b"".join(path.read_bytes() for path in gateway.log_paths if path.exists())
    assert secret.encode() not in output, "the new key's secret appears in the server's output"


def test_apiKeysOwnKey_revokedElsewhereOrFromThePage_signsTheConsoleOutSensibly(
        driver: WebDriver, gateway: Gateway, api: httpx.Client, console_log: BrowserLog, screenshots: Screenshots) -> None:  # fmt: skip
    """Signed in with a second key: revoked by someone else, the next call's 401 says the key
    is no longer accepted and offers to sign in again; revoked from the page itself (confirmed),
    the console signs out and says why. The bootstrap key keeps working throughout."""
    partner = gateway.headers("partner")
    elsewhere = api.post("/api/v2/api_keys", json={"name": "web-console"}, headers=partner)
    assert elsewhere.status_code == 201, elsewhere.text
    first = elsewhere.json()
    try:
        sign_in_with(driver, gateway, first["id"], first["secret"])
        driver.get(f"{gateway.base_url}/console.html#/api-keys")
        assert "this console's key" in key_row(driver, first["id"], "ACTIVE").text

        revoked = api.post(f"/api/v2/api_keys/{first['id']}/revoke", headers=partner)
        assert revoked.status_code == 200 and revoked.json()["status"] == "REVOKED", revoked.text
        refused_within(api, key_headers(first["id"], first["secret"]), KEY_CACHE_S_MAX)
        element(driver, "[data-testid=refresh-keys]").click()
        text_of(driver, "[data-testid=api-keys-status] .alert.error", r"Could not list the keys: send a valid API key", "the 401")
        text_of(driver, "[data-testid=api-keys-status] .alert.warn", r"no longer accepts the key this console is signed in with", "the explanation")
        screenshots.take("console key revoked elsewhere")
        element(driver, "[data-testid=sign-in-again]").click()
        element(driver, "#sign-in-form", "the sign-in form")
        assert driver.execute_script("return sessionStorage.getItem('brokergate.key.partner')") is None
        console_log.assert_clean("the console's key revoked elsewhere", expected=(("/api/v2/api_keys", 401),))

        # Revoked from the page: the confirm step warns, then the console signs out.
        second = api.post("/api/v2/api_keys", json={"name": "web-console-2"}, headers=partner).json()
        sign_in_with(driver, gateway, second["id"], second["secret"])
        element(driver, "#api-keys-link").click()
        key_row(driver, second["id"], "ACTIVE").find_element(By.CSS_SELECTOR, "[data-testid=revoke]").click()
        confirm = element(driver, f"[data-key-id='{second['id']}'] .confirm", "the confirm step")
        assert "this console is signed in with" in confirm.text, confirm.text
        confirm.find_element(By.CSS_SELECTOR, "[data-testid=confirm-revoke]").click()
        text_of(driver, "#sign-in-error .alert.info", r"You revoked the key this console was signed in with", "the sign-out reason")
        assert driver.execute_script("return sessionStorage.getItem('brokergate.key.partner')") is None
        screenshots.take("console key revoked from the page")
        statuses = {key["id"]: key["status"] for key in api.get("/api/v2/api_keys", headers=partner).json()["data"]}
        assert statuses[first["id"]] == statuses[second["id"]] == "REVOKED" and statuses[gateway.partner[0]] == "ACTIVE", statuses
        console_log.assert_clean("the console's key revoked from the page")
    finally:
        sign_in_with(driver, gateway, *gateway.partner)  # as the other tests expect it
