"""KYC through the real dinari-api-sdk 0.15.0 in strict mode, with the operator review
(a BrokerGate extension the SDK has no methods for) over raw HTTP with the operator key.

Journeys: BASELINE → PASS; an Iranian resident → FAIL; a screened name → NEEDS_REVIEW →
operator approves → PASS; a US check INCOMPLETE until its GOVERNMENT_ID is uploaded; bad
data → 422 naming each field with nothing stored; every KYC route 404 to another
organization; uploads checked by content and size; managed-check links single use.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from dinari_api_sdk import APIStatusError, Dinari, NotFoundError, UnprocessableEntityError
from dinari_api_sdk.types.v2.entities import KYCCreateManagedCheckResponse
from dinari_api_sdk.types.v2.entities.kyc import KYCDocument
from dinari_api_sdk.types.v2.entities.kyc_info import BaselineKYC, UsKYC

from support import Gateway, PartnerOrganization, assert_error_response, baseline_kyc, sdk_error

REVIEWS = "/api/v2/operator/kyc_reviews"
SESSION = "/api/v2/kyc_session"
DOCUMENT_BYTES_MAX = 10 << 20  # the SDK: "less than 10MB"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def baseline(**overrides: Any) -> dict[str, Any]:
    """A German adult's BASELINE data; a None override removes the key."""
    return baseline_kyc(**overrides)


def us_data() -> dict[str, Any]:
    """A New York citizen's US data, agreements signed in the past."""
    signed = "2024-01-10T14:03:00Z"
    return {
        "alpaca_customer_agreement": {"ip_address": "203.0.113.7", "signed_at": signed},
        "aml_check": {
            "check_created_at": signed,
            "is_adverse_media_match": False,
            "is_monitored_lists_match": False,
            "is_politically_exposed_person_match": False,
            "is_sanctions_match": False,
            "records": [],
            "ref_id": "aml-123",
        },
        "data_citation": {"address_sources": ["utility bill"], "date_of_birth_sources": ["passport"], "tax_id_sources": ["W-9"]},
        "employment": {"employment_status": "EMPLOYED", "employer_name": "Acme Corp", "employment_position": "Engineer"},
        "financial_profile": {"funding_sources": ["SAVINGS"], "liquid_net_worth_max": 100000, "liquid_net_worth_min": 50000},
        "identity": {
            "city": "New York",
            "country_of_citizenship": "US",
            "country_of_tax_residence": "US",
            "date_of_birth": "1985-06-30",
            "email_address": "jane.doe@example.com",
            "family_name": "Doe",
            "given_name": "Jane",
            "phone_number": "+12125550123",
            "postal_code": "10001",
            "street_address": "350 Fifth Avenue",
            "tax_id": "123-45-6789",
            "state": "NY",
        },
        "kyc_metadata": {
            "check_completed_at": "2024-01-10T14:05:00Z",
            "check_initiated_at": "2024-01-10T14:00:00Z",
            "ip_address": "203.0.113.7",
            "ref_id": "kyc-789",
        },
        "non_professional_trader_attestation": {"attestation_dt": signed, "is_non_professional_trader": True},
        "risk_disclosure": {
            "immediate_family_exposed": False,
            "is_affiliated_exchange_or_finra": False,
            "is_control_person": False,
            "is_politically_exposed": False,
        },
        "trusted_contact": {"family_name": "Doe", "given_name": "John", "email_address": "john.doe@example.com"},
    }


def new_entity(client: Dinari, name: str = "Anna Müller") -> str:
    return client.v2.entities.create(name=name).id


def findings(info: BaselineKYC | UsKYC) -> list[str]:
    # `findings` is BrokerGate's extension field; the SDK keeps unknown keys as extras.
    return [finding["rule"] for finding in (info.model_extra or {}).get("findings", [])]


# --- decisions -------------------------------------------------------------------------


def test_baselineSubmission_passes_andRetrieveParsesStrictly(partner: Dinari) -> None:
    entity_id = new_entity(partner)
    info = partner.v2.entities.kyc.submit(entity_id, data=baseline(), provider_name="Acme KYC", jurisdiction="BASELINE")
    assert isinstance(info, BaselineKYC)
    assert info.status == "PASS"
    assert info.data is not None and info.data.last_name == "Müller"
    assert info.checked_dt is not None
    retrieved = partner.v2.entities.kyc.retrieve(entity_id)
    assert isinstance(retrieved, BaselineKYC) and retrieved.id == info.id
    entity = partner.v2.entities.retrieve_by_id(entity_id)
    assert entity.is_kyc_complete is True
    assert entity.nationality == "DE"


def test_iranResident_fails(partner: Dinari) -> None:
    entity_id = new_entity(partner)
    data = baseline(address_country_code="IR", address_city="Tehran", address_postal_code=None)
    info = partner.v2.entities.kyc.submit(entity_id, data=data, provider_name="Acme KYC", jurisdiction="BASELINE")
    assert info.status == "FAIL"
    assert "sanctioned_jurisdiction" in findings(info)
    assert partner.v2.entities.retrieve_by_id(entity_id).is_kyc_complete is False


def test_screenedName_needsReview_operatorApproves_thenPass(
    partner: Dinari, http: httpx.Client, operator_headers: dict[str, str], partner_headers: dict[str, str]
) -> None:
    entity_id = new_entity(partner, "Vladimir Putin")
    data = baseline(first_name="Vladimir", last_name="Putin")
    info = partner.v2.entities.kyc.submit(entity_id, data=data, provider_name="Acme KYC")  # jurisdiction omitted
    assert info.status == "NEEDS_REVIEW"
    assert "name_screening" in findings(info)
    assert partner.v2.entities.retrieve_by_id(entity_id).is_kyc_complete is False

    queue = http.get(REVIEWS, params={"limit": 100}, headers=operator_headers)
    assert queue.status_code == 200, queue.text
    item = next(check for check in queue.json()["data"] if check["kyc_id"] == info.id)
    assert any(f["rule"] == "name_screening" and f["reason"] for f in item["findings"])
    assert item["operator_may_approve"] is True
    assert http.get(REVIEWS, headers=partner_headers).status_code == 403

    note = "Different person: born 1990 in Berlin; the listed person was born in 1952."
    approved = http.post(f"{REVIEWS}/{info.id}/approve", json={"note": note}, headers=operator_headers)
    assert approved.status_code == 200, approved.text
    review = approved.json()["review"]
    assert review["outcome"] == "APPROVED" and review["note"] == note and review["decided_dt"]
    assert partner.v2.entities.kyc.retrieve(entity_id).status == "PASS"
    assert partner.v2.entities.retrieve_by_id(entity_id).is_kyc_complete is True

    # Decisions are final: a second one is refused and the record is unchanged.
    again = http.post(f"{REVIEWS}/{info.id}/reject", json={"note": "second thoughts"}, headers=operator_headers)
    assert assert_error_response(again, 422)["code"] == "kyc_already_decided"
    record = http.get(f"{REVIEWS}/{info.id}", headers=operator_headers).json()
    assert record["status"] == "PASS" and record["review"]["note"] == note


def test_invalidData_is422NamingEachField_andNothingIsStored(partner: Dinari) -> None:
    entity_id = new_entity(partner)
    bad = baseline(email="not-an-email", birth_date="1990-02-30", address_country_code="XX")
    with pytest.raises(UnprocessableEntityError) as caught:
        partner.v2.entities.kyc.submit(entity_id, data=bad, provider_name="Acme KYC", jurisdiction="BASELINE")
    error = sdk_error(caught.value)
    assert error["code"] == "invalid_kyc_data"
    for named in ("data.email: invalid_email", "data.birth_date: invalid_date", "data.address_country_code: invalid_country_code"):
        assert named in error["message"], error["message"]
    with pytest.raises(NotFoundError):
        partner.v2.entities.kyc.retrieve(entity_id)
    assert partner.v2.entities.retrieve_by_id(entity_id).nationality is None


# --- documents -------------------------------------------------------------------------


def test_usCheck_isIncomplete_untilGovernmentIdUploaded(partner: Dinari, http: httpx.Client) -> None:
    entity_id = new_entity(partner, "Jane Doe")
    info = partner.v2.entities.kyc.submit(entity_id, data=us_data(), provider_name="Acme KYC", jurisdiction="US")
    assert isinstance(info, UsKYC)
    assert info.status == "INCOMPLETE"
    assert findings(info) == ["us_required_documents"]

    document = partner.v2.entities.kyc.document.upload(
        info.id, entity_id=entity_id, document_type="GOVERNMENT_ID", file=("license.pdf", PDF, "application/pdf")
    )
    assert isinstance(document, KYCDocument)
    assert document.document_type == "GOVERNMENT_ID" and document.filename == "license.pdf"
    assert partner.v2.entities.kyc.retrieve(entity_id).status == "PASS"
    assert partner.v2.entities.retrieve_by_id(entity_id).is_kyc_complete is True

    listed = partner.v2.entities.kyc.document.retrieve(info.id, entity_id=entity_id)
    assert [d.id for d in listed] == [document.id]
    content = http.get(listed[0].url)  # no API key: the signed URL is the credential
    assert content.status_code == 200 and content.content == PDF
    assert content.headers["content-type"] == "application/pdf"


def test_upload_isCheckedByContent_andSize(partner: Dinari, http: httpx.Client, partner_headers: dict[str, str]) -> None:
    entity_id = new_entity(partner)
    kyc_id = partner.v2.entities.kyc.submit(entity_id, data=baseline(), provider_name="Acme KYC").id
    png = partner.v2.entities.kyc.document.upload(
        kyc_id, entity_id=entity_id, document_type="SELFIE", file=("../me\u202egnp.exe", PNG, "image/png")
    )
    assert png.filename == "megnp.exe.png"
    with pytest.raises(UnprocessableEntityError) as caught:
        partner.v2.entities.kyc.document.upload(
            kyc_id, entity_id=entity_id, document_type="GOVERNMENT_ID", file=("passport.png", b"plain text\n", "image/png")
        )
    assert sdk_error(caught.value)["code"] == "unsupported_document_type"
    too_big = http.post(
        f"/api/v2/entities/{entity_id}/kyc/{kyc_id}/document",
        params={"document_type": "GOVERNMENT_ID"},
        files={"file": ("big.png", PNG + bytes(DOCUMENT_BYTES_MAX + (128 << 10)), "image/png")},
        headers=partner_headers,
    )
    assert_error_response(too_big, 413)

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit must hold while reading
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n\r\n' + PNG
        for _ in range(11):
            yield bytes(1 << 20)
        yield b"\r\n--b--\r\n"

    streamed = http.post(
        f"/api/v2/entities/{entity_id}/kyc/{kyc_id}/document",
        params={"document_type": "GOVERNMENT_ID"},
        content=chunked(),
        headers={**partner_headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert_error_response(streamed, 413)
    assert [d.id for d in partner.v2.entities.kyc.document.retrieve(kyc_id, entity_id=entity_id)] == [png.id]


def test_documentSizeLimit_isExactly10MiB(partner: Dinari, http: httpx.Client, partner_headers: dict[str, str]) -> None:
    """The boundary, in the release build (a debug build's API test timed out parsing 10 MiB
    on a loaded machine): a file of exactly 10 MiB is stored, one byte more is 413."""
    entity_id = new_entity(partner)
    kyc_id = partner.v2.entities.kyc.submit(entity_id, data=baseline(), provider_name="Acme KYC").id

    def upload(size: int, name: str) -> httpx.Response:
        return http.post(
            f"/api/v2/entities/{entity_id}/kyc/{kyc_id}/document",
            params={"document_type": "GOVERNMENT_ID"},
            files={"file": (name, PNG + bytes(size - len(PNG)), "image/png")},
            headers=partner_headers,
        )

    assert_error_response(upload(DOCUMENT_BYTES_MAX + 1, "over.png"), 413)
    exactly = upload(DOCUMENT_BYTES_MAX, "max.png")
    assert exactly.status_code == 201, exactly.text[:300]
    assert exactly.json()["filename"] == "max.png"


# --- isolation -------------------------------------------------------------------------


def test_everyKYCRoute_is404_toAnotherOrganization(
    partner: Dinari, create_partner_organization: Callable[[str | None], PartnerOrganization]
) -> None:
    entity_id = new_entity(partner)
    kyc_id = partner.v2.entities.kyc.submit(entity_id, data=baseline(), provider_name="Acme KYC").id
    partner.v2.entities.kyc.document.upload(kyc_id, entity_id=entity_id, document_type="SELFIE", file=("me.png", PNG, "image/png"))
    other = create_partner_organization(f"Foreign Partner {uuid.uuid4().hex[:8]}").client
    calls: list[Callable[[], object]] = [
        lambda: other.v2.entities.kyc.submit(entity_id, data=baseline(), provider_name="Acme KYC"),
        lambda: other.v2.entities.kyc.retrieve(entity_id),
        lambda: other.v2.entities.kyc.create_managed_check(entity_id),
        lambda: other.v2.entities.kyc.document.retrieve(kyc_id, entity_id=entity_id),
        lambda: other.v2.entities.kyc.document.upload(
            kyc_id, entity_id=entity_id, document_type="SELFIE", file=("x.png", PNG, "image/png")
        ),
    ]
    for call in calls:
        with pytest.raises(NotFoundError) as caught:
            call()
        assert sdk_error(caught.value)["code"] == "not_found"
    assert len(partner.v2.entities.kyc.document.retrieve(kyc_id, entity_id=entity_id)) == 1


# --- managed checks --------------------------------------------------------------------


def test_managedCheck_linkOpensTheHostedForm_once(partner: Dinari, http: httpx.Client, gateway: Gateway) -> None:
    entity_id = new_entity(partner)
    link = partner.v2.entities.kyc.create_managed_check(entity_id, jurisdiction="BASELINE")
    assert isinstance(link, KYCCreateManagedCheckResponse)
    assert "/kyc.html#token=" in link.embed_url
    token = link.embed_url.split("#token=", 1)[1]
    gateway.remember_secret(token, "a managed KYC link token")  # never logged, stored hashed
    bearer = {"Authorization": f"Bearer {token}"}

    page = http.get(link.embed_url.split("#", 1)[0])
    assert page.status_code == 200 and "kyc.js" in page.text
    session = http.get(SESSION, headers=bearer)
    assert session.status_code == 200 and session.json()["jurisdiction"] == "BASELINE"

    refused = http.post(SESSION, json={"data": baseline(email="nope")}, headers=bearer)
    assert "data.email" in assert_error_response(refused, 422)["message"]
    accepted = http.post(SESSION, json={"data": baseline()}, headers=bearer)
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["status"] == "PASS"
    assert partner.v2.entities.kyc.retrieve(entity_id).id == accepted.json()["kyc_id"]

    reused = http.post(SESSION, json={"data": baseline()}, headers=bearer)
    assert assert_error_response(reused, 422)["code"] == "kyc_link_used"


def test_managedCheck_forUS_isRefusedWithTheAlternative(partner: Dinari) -> None:
    entity_id = new_entity(partner)
    with pytest.raises(APIStatusError) as caught:
        partner.v2.entities.kyc.create_managed_check(entity_id, jurisdiction="US")
    assert caught.value.status_code == 422
    assert sdk_error(caught.value)["code"] == "managed_kyc_unsupported_jurisdiction"
