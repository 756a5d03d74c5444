"""Types and assertions shared by the conformance tests and their fixtures."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
from dinari_api_sdk import APIStatusError, BaseModel, Dinari
from dinari_api_sdk.types.v2 import Entity

OPERATOR_ORGANIZATIONS_PATH = "/api/v2/operator/organizations"
SERVER_LOG_TAIL_LINES = 60


@dataclasses.dataclass
class Gateway:
    """The server under test and the credentials the suite holds for it."""

    base_url: str
    partner_key_id: str
    partner_secret: str
    operator_key_id: str | None
    operator_secret: str | None
    # Paths of the server's captured stdout and stderr; empty for an external server.
    log_paths: list[Path] = dataclasses.field(default_factory=list)
    # Every secret the suite sent or received, with a label saying whose it is. None of
    # them may appear in the server's output.
    secret_labels: dict[str, str] = dataclasses.field(default_factory=dict)

    def remember_secret(self, secret: str, label: str) -> None:
        self.secret_labels[secret] = label

    @property
    def has_operator_key(self) -> bool:
        return bool(self.operator_key_id and self.operator_secret)

    def server_output(self) -> bytes:
        return b"".join(path.read_bytes() for path in self.log_paths if path.exists())

    def stderr_tail(self) -> str:
        stderr = [path for path in self.log_paths if path.name == "stderr.log"]
        if not stderr or not stderr[0].exists():
            return "(server output not captured: external server)"
        text = stderr[0].read_text(errors="replace")
        # A leaked secret must not be copied a second time, into the test report.
        for secret, label in self.secret_labels.items():
            text = text.replace(secret, f"[secret of {label}]")
        lines = text.splitlines()
        return "\n".join(lines[-SERVER_LOG_TAIL_LINES:]) or "(stderr empty)"


class CreatedAPIKey(BaseModel):
    id: str
    secret: str


class CreatedOrganization(BaseModel):
    """``POST /api/v2/operator/organizations`` → 201: the organization as a Dinari
    ``Entity`` (entity_type ORGANIZATION) and its first API key, secret shown once."""

    organization: Entity
    api_key: CreatedAPIKey


@dataclasses.dataclass
class PartnerOrganization:
    organization: Entity
    api_key_id: str
    api_secret: str
    client: Dinari


def assert_error_body(body: object) -> dict[str, Any]:
    """``{"error": {"code": str, "message": str, "request_id": str}}``, all non-empty.
    Returns the inner ``error`` object."""
    assert isinstance(body, dict), f"error body is not a JSON object: {body!r}"
    error = body.get("error")
    assert isinstance(error, dict), f'error body has no "error" object: {body!r}'
    for field in ("code", "message", "request_id"):
        value = error.get(field)
        assert isinstance(value, str) and value, f"error.{field} must be a non-empty string: {body!r}"
    return error


def assert_error_response(response: httpx.Response, status: int) -> dict[str, Any]:
    """The status, a JSON content type, the error shape, and ``X-Request-Id`` equal to
    ``error.request_id`` (so a partner can quote either one to support)."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text[:500]}"
    )
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith("application/json"), f"error Content-Type is {content_type!r}"
    error = assert_error_body(response.json())
    assert response.headers.get("x-request-id") == error["request_id"], (
        f"X-Request-Id {response.headers.get('x-request-id')!r} != body request_id {error['request_id']!r}"
    )
    return error


def sdk_error(exc: APIStatusError) -> dict[str, Any]:
    """The checked error object of an exception the SDK raised."""
    return assert_error_response(exc.response, exc.status_code)


def baseline_kyc(**overrides: Any) -> dict[str, Any]:
    """A German adult's BASELINE KYC data (PASS under the rules); a None override removes the key."""
    data: dict[str, Any] = {
        "address_country_code": "DE",
        "country_code": "DE",
        "last_name": "Müller",
        "first_name": "Anna",
        "birth_date": "1990-04-17",
        "email": "anna.mueller@example.de",
        "address_city": "Berlin",
        "address_postal_code": "10115",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}
