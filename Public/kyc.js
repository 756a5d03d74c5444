// The hosted KYC form opened by a managed-check link (POST /api/v2/entities/{id}/kyc/url).
//
// The link's token arrives in the URL fragment (#token=…), which browsers never send to a
// server, and is sent only as `Authorization: Bearer` to /api/v2/kyc_session. It is moved
// from the address bar to sessionStorage so it does not linger in screenshots or history,
// while a reload still works. The checks below mirror the server's cheap rules so most
// mistakes show before sending; the server stays the authority and its 422 is shown per field.

const SESSION_PATH = "/api/v2/kyc_session";
const TOKEN_KEY = "brokergate.kyc.token";
const MINIMUM_AGE_YEARS = 18; // KYCRules.minimumAgeYears
const NAME_LENGTH_MAX = 100; // KYCFieldChecks.nameMaxLength
const NAME_PATTERN = /^[\p{L}\p{M} '’.-]+$/u; // KYCFieldFormats.isPersonName
const EMAIL_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;

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

function fillCountries(countries) {
  for (const select of form.querySelectorAll("select")) {
    select.append(new Option("Choose a country…", ""));
    for (const country of countries) select.append(new Option(country.name, country.code));
  }
}

// --- inline validation -------------------------------------------------------------------

function ageOn(today, birth) {
  let age = today.getFullYear() - birth.getFullYear();
  const beforeBirthday = today.getMonth() < birth.getMonth() || (today.getMonth() === birth.getMonth() && today.getDate() < birth.getDate());
  return beforeBirthday ? age - 1 : age;
}

function problemsOf(data) {
  const problems = {};
  for (const field of ["first_name", "middle_name", "last_name"]) {
    const value = data[field];
    if (value === undefined) continue;
    if (value.length > NAME_LENGTH_MAX) problems[field] = `at most ${NAME_LENGTH_MAX} characters`;
    else if (!NAME_PATTERN.test(value)) problems[field] = "use letters, spaces, apostrophes, hyphens and periods only";
  }
  if (data.last_name === undefined) problems.last_name = "required";
  if (data.country_code === undefined) problems.country_code = "choose your citizenship";
  if (data.address_country_code === undefined) problems.address_country_code = "choose your country of residence";
  if (data.birth_date === undefined) {
    problems.birth_date = "required";
  } else {
    const birth = new Date(`${data.birth_date}T00:00:00`);
    if (Number.isNaN(birth.getTime()) || birth.getFullYear() < 1900) problems.birth_date = "enter a real date of birth";
    else if (ageOn(new Date(), birth) < MINIMUM_AGE_YEARS) problems.birth_date = `you must be at least ${MINIMUM_AGE_YEARS}`;
  }
  if (data.email !== undefined && !EMAIL_PATTERN.test(data.email)) problems.email = "enter an email address such as name@example.com";
  return problems;
}

function clearErrors() {
  banner.hidden = true;
  for (const element of form.querySelectorAll(".field-error")) element.remove();
  for (const element of form.querySelectorAll("[aria-invalid]")) element.removeAttribute("aria-invalid");
}

function showErrors(problems) {
  let first = null;
  for (const [field, message] of Object.entries(problems)) {
    const input = form.elements.namedItem(field);
    if (!input) {
      showBanner(`${field}: ${message}`);
      continue;
    }
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("p");
    note.className = "field-error";
    note.id = `${field}-error`;
    note.textContent = message;
    input.setAttribute("aria-describedby", note.id);
    input.closest("label").append(note);
    first ??= input;
  }
  first?.focus();
}

// The server's 422 reads "KYC data is invalid: data.email: invalid_email (reason); data.…".
function serverProblems(message) {
  const problems = {};
  const list = message.replace(/^KYC data is invalid: /, "");
  for (const piece of list.split(/; (?=data\.)/)) {
    const match = /^data\.([a-z0-9_]+): [a-z_]+ \((.*)\)$/s.exec(piece);
    if (match) problems[match[1]] = match[2];
  }
  return problems;
}

// --- flow --------------------------------------------------------------------------------

function collect() {
  const data = {};
  for (const [name, value] of new FormData(form)) {
    const trimmed = String(value).trim();
    if (trimmed !== "") data[name] = trimmed;
  }
  return data;
}

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
  const data = collect();
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
    fillCountries(session.json.countries);
    form.hidden = false;
    form.addEventListener("submit", (event) => submit(event, token));
  } catch (failure) {
    showBanner(`Could not reach the server (${failure.message}); reload the page to try again.`);
  }
}

start();
