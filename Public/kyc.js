// The hosted KYC form opened by a managed-check link (POST /api/v2/entities/{id}/kyc/url).
//
// The link's token arrives in the URL fragment (#token=…), which browsers never send to a
// server, and is sent only as `Authorization: Bearer` to /api/v2/kyc_session. It is moved
// from the address bar to sessionStorage so it does not linger in screenshots or history,
// while a reload still works. The field checks (js/kyc-rules.js, shared with the partner
// console) mirror the server's cheap rules so most mistakes show before sending; the server
// stays the authority and its 422 is shown per field.

import { clearProblems, collect, fillCountrySelects, problemsOf, serverProblems, showProblems } from "/js/kyc-rules.js";

const SESSION_PATH = "/api/v2/kyc_session";
const TOKEN_KEY = "brokergate.kyc.token";

const form = document.getElementById("kyc-form");
const banner = document.getElementById("banner");

function readToken() {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, "", window.location.pathname);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function clearErrors() {
  banner.hidden = true;
  clearProblems(form);
}

function showErrors(problems) {
  for (const [field, message] of Object.entries(showProblems(form, problems))) showBanner(`${field}: ${message}`);
}

function showBanner(message) {
  banner.textContent = message;
  banner.hidden = false;
}

async function call(method, token, body) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(SESSION_PATH, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, json };
}

// --- flow --------------------------------------------------------------------------------

const OUTCOMES = {
  PASS: ["You are verified", "Thank you. You can close this page and return to the app."],
  NEEDS_REVIEW: ["Thank you, we are reviewing your details", "A person will check your details; the app will tell you when it is done."],
  INCOMPLETE: ["More information is needed", "The app will ask you for what is missing."],
  FAIL: ["We could not verify you", "We are unable to open an account with these details. Contact the app's support for help."],
};

function showResult(status) {
  const [title, text] = OUTCOMES[status] ?? ["Submitted", ""];
  form.hidden = true;
  document.getElementById("result-title").textContent = title;
  document.getElementById("result-text").textContent = text;
  document.getElementById("result").hidden = false;
}

async function submit(event, token) {
  event.preventDefault();
  clearErrors();
  const data = collect(form);
  const problems = problemsOf(data);
  if (Object.keys(problems).length > 0) return showErrors(problems);
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const answer = await call("POST", token, { jurisdiction: "BASELINE", data });
    if (answer.ok) {
      sessionStorage.removeItem(TOKEN_KEY);
      return showResult(answer.json.status);
    }
    const error = answer.json.error ?? { message: `the server answered ${answer.status}` };
    const fields = error.code === "invalid_kyc_data" ? serverProblems(error.message) : {};
    if (Object.keys(fields).length > 0) showErrors(fields);
    else showBanner(error.message);
  } catch (failure) {
    showBanner(`Could not reach the server (${failure.message}); check your connection and try again.`);
  } finally {
    button.disabled = false;
  }
}

async function start() {
  const intro = document.getElementById("intro");
  const token = readToken();
  if (!token) {
    intro.textContent = "This page needs the verification link you were given.";
    return;
  }
  try {
    const session = await call("GET", token);
    if (!session.ok) {
      intro.textContent = "This verification link cannot be used.";
      return showBanner(session.json.error?.message ?? `the server answered ${session.status}`);
    }
    const who = session.json.organization_name || "the service that sent you here";
    const until = new Date(session.json.expiration_dt).toLocaleString();
    intro.textContent = `${who} asks you to confirm your identity. This link works once, until ${until}.`;
    fillCountrySelects(form, session.json.countries);
    form.hidden = false;
    form.addEventListener("submit", (event) => submit(event, token));
  } catch (failure) {
    showBanner(`Could not reach the server (${failure.message}); reload the page to try again.`);
  }
}

start();
