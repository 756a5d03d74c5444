"""Foundation conformance: identity, authentication, errors, idempotency, body limits,
request ids and the ops endpoints, through dinari-api-sdk 0.15.0 in strict validation
mode wherever the SDK has a method, and with raw HTTP where it has none."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

import httpx
import pytest
from dinari_api_sdk import (
    AuthenticationError,
    BadRequestError,
    Dinari,
    NotFoundError,
    PermissionDeniedError,
    UnprocessableEntityError,
)
from dinari_api_sdk.types.v2 import Entity

from support import OPERATOR_ORGANIZATIONS_PATH as ORGANIZATIONS
from support import (
    CreatedOrganization,
    Gateway,
    PartnerOrganization,
    assert_error_body,
    assert_error_response,
    sdk_error,
)

BODY_BYTES_MAX = 1 << 20  # 1 MiB; DESIGN.md "Wire contract": larger bodies answer 413.


def _is_canonical_uuid(text: str) -> bool:
    # Lowercase and hyphenated, as Dinari renders ids: clients compare ids as strings.
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _post_raw_organization(
    http: httpx.Client, operator_headers: dict[str, str], content: bytes, content_type: str = "application/json"
) -> httpx.Response:
    """POST /api/v2/operator/organizations with raw bytes, for the body-handling tests."""
    return http.post(ORGANIZATIONS, content=content, headers={**operator_headers, "Content-Type": content_type})


def _post_organization(client: Dinari, body: object, idempotency_key: str) -> httpx.Response:
    return client.post(
        ORGANIZATIONS,
        body=body,
        cast_to=httpx.Response,
        options={"headers": {"Idempotency-Key": idempotency_key}},
    )


# --- identity --------------------------------------------------------------------------


def test_retrieveCurrent_parsesStrictly_asOrganizationEntity(partner: Dinari) -> None:
    raw = partner.v2.entities.with_raw_response.retrieve_current()
    assert raw.status_code == 200
    assert raw.headers.get("content-type", "").startswith("application/json")
    entity = raw.parse()  # strict: raises APIResponseValidationError on a wrong shape
    assert isinstance(entity, Entity)
    assert entity.entity_type == "ORGANIZATION"
    assert isinstance(entity.is_kyc_complete, bool)
    assert _is_canonical_uuid(entity.id), f"entity id {entity.id!r} is not a lowercase UUID"


def test_retrieveCurrent_isStable_andDistinctPerOrganization(
    partner: Dinari, create_partner_organization: Callable[[str | None], PartnerOrganization]
) -> None:
    mine = partner.v2.entities.retrieve_current()
    assert partner.v2.entities.retrieve_current().id == mine.id
    name = f"Second Partner {uuid.uuid4().hex[:8]}"
    other = create_partner_organization(name)
    assert _is_canonical_uuid(other.organization.id)
    assert other.organization.name == name
    theirs = other.client.v2.entities.retrieve_current()
    assert theirs.id == other.organization.id
    assert theirs.entity_type == "ORGANIZATION"
    assert theirs.id != mine.id


def test_entityOfAnotherOrganization_answers404_notTheEntity(
    partner: Dinari, create_partner_organization: Callable[[str | None], PartnerOrganization]
) -> None:
    other = create_partner_organization(f"Foreign Partner {uuid.uuid4().hex[:8]}")
    with pytest.raises(NotFoundError) as caught:
        partner.v2.entities.retrieve_by_id(other.organization.id)
    sdk_error(caught.value)
    # Only the error: nothing of the foreign entity (echoing the requested path is fine).
    assert set(caught.value.response.json()) == {"error"}
    assert other.organization.name and other.organization.name not in caught.value.response.text


# --- authentication --------------------------------------------------------------------


def test_wrongSecret_isAuthenticationError_withRequestIdInBodyAndHeader(
    gateway: Gateway, sdk_client: Callable[[str, str], Dinari]
) -> None:
    wrong_secret = "wrong-" + uuid.uuid4().hex + uuid.uuid4().hex
    gateway.remember_secret(wrong_secret, "a wrong secret sent for the partner key id")
    client = sdk_client(gateway.partner_key_id, wrong_secret)
    with pytest.raises(AuthenticationError) as caught:
        client.v2.entities.retrieve_current()
    error = sdk_error(caught.value)  # checks X-Request-Id == error.request_id
    assert caught.value.response.headers["x-request-id"] == error["request_id"]


def test_unknownKeyId_andWrongSecret_areIndistinguishable(
    gateway: Gateway, sdk_client: Callable[[str, str], Dinari]
) -> None:
    # Same code and message, so a caller cannot probe which key ids exist.
    wrong_secret = "wrong-" + uuid.uuid4().hex + uuid.uuid4().hex
    gateway.remember_secret(wrong_secret, "a wrong secret sent for two key ids")
    errors = []
    for key_id in (gateway.partner_key_id, f"partner-{uuid.uuid4().hex[:16]}"):
        with pytest.raises(AuthenticationError) as caught:
            sdk_client(key_id, wrong_secret).v2.entities.retrieve_current()
        errors.append(sdk_error(caught.value))
    assert (errors[0]["code"], errors[0]["message"]) == (errors[1]["code"], errors[1]["message"])


@pytest.mark.parametrize(
    "which",
    ["none", "key_id_only", "secret_only", "empty_values"],
)
def test_missingCredentials_is401Json(http: httpx.Client, gateway: Gateway, which: str) -> None:
    headers = {
        "none": {},
        "key_id_only": {"X-API-Key-Id": gateway.partner_key_id},
        "secret_only": {"X-API-Secret-Key": gateway.partner_secret},
        "empty_values": {"X-API-Key-Id": "", "X-API-Secret-Key": ""},
    }[which]
    response = http.get("/api/v2/entities/me", headers=headers)
    assert_error_response(response, 401)


def test_operatorRoute_withoutCredentials_is401(http: httpx.Client) -> None:
    response = http.post(ORGANIZATIONS, json={"name": "Nobody"})
    assert_error_response(response, 401)


def test_operatorRoute_withPartnerKey_isPermissionDenied(partner: Dinari) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        partner.post(ORGANIZATIONS, body={"name": "Not Allowed"}, cast_to=object)
    assert sdk_error(caught.value)["code"] == "operator_key_required"


# --- not found -------------------------------------------------------------------------


def test_unknownEntityId_isNotFound_viaSdkAndRawHttp(
    partner: Dinari, http: httpx.Client, partner_headers: dict[str, str]
) -> None:
    unknown = str(uuid.uuid4())
    with pytest.raises(NotFoundError) as caught:
        partner.v2.entities.retrieve_by_id(unknown)
    sdk_error(caught.value)
    assert_error_response(http.get(f"/api/v2/entities/{unknown}", headers=partner_headers), 404)


def test_unknownRoute_isNotFoundJson(partner: Dinari, http: httpx.Client, partner_headers: dict[str, str]) -> None:
    with pytest.raises(NotFoundError) as caught:
        partner.get("/api/v2/nope", cast_to=object)
    sdk_error(caught.value)
    assert_error_response(http.get("/api/v2/nope", headers=partner_headers), 404)


def test_malformedEntityId_isRejectedAsJsonError_notServerError(
    http: httpx.Client, partner_headers: dict[str, str]
) -> None:
    response = http.get("/api/v2/entities/not-a-uuid", headers=partner_headers)
    assert response.status_code in (400, 404), (response.status_code, response.text[:300])
    assert_error_response(response, response.status_code)


# --- idempotency -----------------------------------------------------------------------


def test_idempotencyKey_sameBody_replaysFirstResponse(operator_client: Dinari, gateway: Gateway) -> None:
    key = f"conformance-{uuid.uuid4()}"
    body = {"name": f"Idempotent {key[-8:]}"}
    first = _post_organization(operator_client, body, key)
    assert first.status_code == 201, first.text[:500]
    created = CreatedOrganization.model_validate(first.json())
    gateway.remember_secret(created.api_key.secret, "the organization created by the idempotency test")
    assert first.headers.get("idempotent-replayed", "false") == "false"

    retry = _post_organization(operator_client, body, key)
    assert retry.status_code == 201
    assert retry.headers.get("idempotent-replayed") == "true"
    assert retry.content == first.content, "a replay must return the first response byte for byte"


def test_idempotencyKey_otherBody_isUnprocessable(operator_client: Dinari, gateway: Gateway) -> None:
    key = f"conformance-{uuid.uuid4()}"
    first = _post_organization(operator_client, {"name": f"First {key[-8:]}"}, key)
    assert first.status_code == 201, first.text[:500]
    gateway.remember_secret(first.json()["api_key"]["secret"], "the organization created by the 422 test")
    with pytest.raises(UnprocessableEntityError) as caught:
        _post_organization(operator_client, {"name": f"Second {key[-8:]}"}, key)
    error = sdk_error(caught.value)
    assert error["code"] == "idempotency_key_reused"
    assert "idempotency-key" in error["message"].lower()


def test_idempotencyKey_over255Characters_isBadRequest(operator_client: Dinari) -> None:
    with pytest.raises(BadRequestError) as caught:
        _post_organization(operator_client, {"name": "Too Long Key"}, "k" * 256)
    assert "idempotency-key" in sdk_error(caught.value)["message"].lower()


# --- request bodies --------------------------------------------------------------------


def test_malformedJson_isBadRequest_namingTheProblem(operator_client: Dinari) -> None:
    with pytest.raises(BadRequestError) as caught:
        operator_client.post(
            ORGANIZATIONS,
            content=b'{"name": ',
            cast_to=object,
            options={"headers": {"Content-Type": "application/json"}},
        )
    assert "json" in sdk_error(caught.value)["message"].lower()


@pytest.mark.parametrize("body", [{}, {"name": 5}, {"name": None}], ids=["missing", "number", "null"])
def test_invalidName_isBadRequest_namingTheField(operator_client: Dinari, body: dict[str, object]) -> None:
    with pytest.raises(BadRequestError) as caught:
        operator_client.post(ORGANIZATIONS, body=body, cast_to=object)
    assert "name" in sdk_error(caught.value)["message"].lower()


def _json_body_of_exact_size(size_bytes: int) -> bytes:
    prefix = b'{"name":"Size Probe","pad":"'
    suffix = b'"}'
    body = prefix + b"a" * (size_bytes - len(prefix) - len(suffix)) + suffix
    assert len(body) == size_bytes
    return body


def test_bodyOver1MiB_is413(http: httpx.Client, operator_headers: dict[str, str]) -> None:
    response = _post_raw_organization(http, operator_headers, _json_body_of_exact_size(BODY_BYTES_MAX + 1))
    assert_error_response(response, 413)


def test_bodyOfExactly1MiB_isNotRejectedForSize(
    http: httpx.Client, operator_headers: dict[str, str], gateway: Gateway
) -> None:
    response = _post_raw_organization(http, operator_headers, _json_body_of_exact_size(BODY_BYTES_MAX))
    assert response.status_code != 413, "the limit is 'larger than 1 MiB', not '1 MiB or more'"
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code == 201:
        gateway.remember_secret(response.json()["api_key"]["secret"], "the 1 MiB probe organization")


def test_wrongContentType_is415(http: httpx.Client, operator_headers: dict[str, str]) -> None:
    response = _post_raw_organization(http, operator_headers, b'{"name": "Plain Text"}', "text/plain")
    assert_error_response(response, 415)


def test_jsonContentTypeWithCharset_isAccepted(
    http: httpx.Client, operator_headers: dict[str, str], gateway: Gateway
) -> None:
    response = _post_raw_organization(http, operator_headers, b'{"name": "Charset Partner"}', "application/json; charset=utf-8")
    assert response.status_code == 201, (response.status_code, response.text[:300])
    gateway.remember_secret(response.json()["api_key"]["secret"], "the charset probe organization")


# --- request ids -----------------------------------------------------------------------


def test_requestId_sentByClient_isEchoed_inHeaderAndErrorBody(http: httpx.Client) -> None:
    request_id = f"conformance-{uuid.uuid4().hex}"
    ok = http.get("/health", headers={"X-Request-Id": request_id})
    assert ok.headers.get("x-request-id") == request_id
    failed = http.get("/api/v2/entities/me", headers={"X-Request-Id": request_id})
    assert assert_error_response(failed, 401)["request_id"] == request_id


def test_requestId_isGenerated_andUniquePerRequest(http: httpx.Client) -> None:
    ids = [http.get("/health").headers.get("x-request-id") for _ in range(3)]
    assert all(ids), f"missing X-Request-Id: {ids}"
    assert len(set(ids)) == 3, f"request ids repeat: {ids}"


def test_requestId_overlong_isReplaced_notEchoed(http: httpx.Client) -> None:
    # An unbounded client value would flow into every log line (STYLE.md: a limit on
    # everything).
    sent = "r" * 1024
    answered = http.get("/health", headers={"X-Request-Id": sent}).headers.get("x-request-id")
    assert answered and answered != sent and len(answered) <= 256, answered


def test_successfulSdkCall_carriesRequestId(partner: Dinari) -> None:
    raw = partner.v2.entities.with_raw_response.retrieve_current()
    assert raw.headers.get("x-request-id")


# --- ops endpoints ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/ready"])
def test_opsProbe_is200_withoutCredentials(http: httpx.Client, path: str) -> None:
    response = http.get(path)
    assert response.status_code == 200, (response.status_code, response.text[:300])


def _metrics_text(http: httpx.Client, gateway: Gateway) -> str:
    response = http.get("/metrics")
    if response.status_code in (401, 403) and gateway.has_operator_key:
        assert gateway.operator_key_id and gateway.operator_secret
        response = http.get(
            "/metrics",
            headers={"X-API-Key-Id": gateway.operator_key_id, "X-API-Secret-Key": gateway.operator_secret},
        )
    assert response.status_code == 200, (response.status_code, response.text[:300])
    assert response.headers.get("content-type", "").startswith("text/plain")
    return response.text


def test_metrics_arePrometheusText_labelledByRouteTemplate(
    http: httpx.Client, partner: Dinari, partner_headers: dict[str, str], gateway: Gateway
) -> None:
    partner.v2.entities.retrieve_current()
    unknown = str(uuid.uuid4())
    http.get(f"/api/v2/entities/{unknown}", headers=partner_headers)
    text = _metrics_text(http, gateway)
    assert re.search(r"^# TYPE \S+ (counter|gauge|histogram|summary)$", text, re.MULTILINE), text[:500]
    samples = [line for line in text.splitlines() if line and not line.startswith("#")]
    labelled = [line for line in samples if "/api/v2/entities" in line]
    assert labelled, "no sample is labelled with the /api/v2/entities route"
    assert any(float(line.rsplit(" ", 1)[-1]) > 0 for line in labelled), labelled[:5]
    # Labels carry the route template, never raw ids: one series per id would grow
    # without bound.
    assert unknown not in text


def test_errorBodies_areJsonObjects_evenForUnknownMethods(
    http: httpx.Client, partner_headers: dict[str, str]
) -> None:
    response = http.request("DELETE", "/api/v2/entities/me", headers=partner_headers)
    assert response.status_code in (404, 405), (response.status_code, response.text[:300])
    assert_error_body(json.loads(response.text))
