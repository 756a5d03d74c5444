// BASELINE KYC form checks shared by the hosted form (kyc.js) and the partner console's
// onboarding wizard. They mirror the server's cheap rules (Sources/BrokerGateCore/KYC:
// KYCValidation, KYCFieldChecks, KYCFieldFormats, KYCRules.minimumAgeYears) so most mistakes
// show at the field before sending; the server stays the authority and its 422 is mapped
// back onto the fields by `serverProblems`.

import { COUNTRIES } from "./countries.js";

export const MINIMUM_AGE_YEARS = 18; // KYCRules.minimumAgeYears
export const NAME_LENGTH_MAX = 100; // KYCFieldChecks.nameMaxLength
export const TEXT_LENGTH_MAX = 200; // KYCFieldChecks.textMaxLength
export const TAX_ID_LENGTH_MAX = 64;
export const EARLIEST_BIRTH_YEAR = 1900; // KYCFieldChecks.earliestBirthDate
const NAME_PATTERN = /^[\p{L}\p{M} '’.-]+$/u; // KYCFieldFormats.isPersonName
const EMAIL_PATTERN = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/;
// Control characters and bidirectional overrides (KYCFieldFormats.hasForbiddenCharacters).
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const COUNTRY_CODES = new Set(COUNTRIES.map(([code]) => code));
// US residents and citizens must use the US jurisdiction (KYCRules.usPersonRequiresUSJurisdiction).
export const US_AND_TERRITORIES = new Set(["US", "PR", "GU", "VI", "AS", "MP", "UM"]);

const TEXT_FIELDS = {
  first_name: NAME_LENGTH_MAX, middle_name: NAME_LENGTH_MAX, last_name: NAME_LENGTH_MAX,
  address_street_1: TEXT_LENGTH_MAX, address_street_2: TEXT_LENGTH_MAX, address_city: NAME_LENGTH_MAX,
  address_subdivision: NAME_LENGTH_MAX, tax_id_number: TAX_ID_LENGTH_MAX,
};
const NAME_FIELDS = new Set(["first_name", "middle_name", "last_name"]);

/** Years between `birth` and `today`, birthdays counted on the calendar. */
export function ageOn(today, birth) {
  const age = today.getFullYear() - birth.getFullYear();
  const beforeBirthday = today.getMonth() < birth.getMonth() || (today.getMonth() === birth.getMonth() && today.getDate() < birth.getDate());
  return beforeBirthday ? age - 1 : age;
}

/** The non-blank, trimmed values of a form. */
export function collect(form) {
  const data = {};
  for (const [name, value] of new FormData(form)) {
    if (value instanceof File) continue;
    const trimmed = String(value).trim();
    if (trimmed !== "") data[name] = trimmed;
  }
  return data;
}

/** Field → message for everything the browser can tell is wrong with BASELINE data. */
export function problemsOf(data, today = new Date()) {
  const problems = {};
  for (const [field, lengthMax] of Object.entries(TEXT_FIELDS)) {
    const value = data[field];
    if (value === undefined) continue;
    if (value.length > lengthMax) problems[field] = `at most ${lengthMax} characters`;
    else if (FORBIDDEN.test(value)) problems[field] = "remove control characters";
    else if (NAME_FIELDS.has(field) && !NAME_PATTERN.test(value)) problems[field] = "use letters, spaces, apostrophes, hyphens and periods only";
  }
  if (data.last_name === undefined) problems.last_name = "required";
  for (const [field, missing] of [["country_code", "choose the citizenship"], ["address_country_code", "choose the country of residence"]]) {
    if (data[field] === undefined) problems[field] = missing;
    else if (!COUNTRY_CODES.has(data[field])) problems[field] = "choose a country from the list";
  }
  if (data.birth_date === undefined) {
    problems.birth_date = "required";
  } else {
    const birth = new Date(`${data.birth_date}T00:00:00`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(data.birth_date) || Number.isNaN(birth.getTime()) || birth.getFullYear() < EARLIEST_BIRTH_YEAR) {
      problems.birth_date = "enter a real date of birth";
    } else if (ageOn(today, birth) < MINIMUM_AGE_YEARS) {
      problems.birth_date = `must be at least ${MINIMUM_AGE_YEARS}`;
    }
  }
  if (data.email !== undefined && !EMAIL_PATTERN.test(data.email)) problems.email = "enter an email address such as name@example.com";
  return problems;
}

/** The server's 422 reads "KYC data is invalid: data.email: invalid_email (reason); data.…". */
export function serverProblems(message) {
  const problems = {};
  const list = message.replace(/^KYC data is invalid: /, "");
  for (const piece of list.split(/; (?=data\.)/)) {
    const match = /^data\.([a-z0-9_]+): [a-z_]+ \((.*)\)$/s.exec(piece);
    if (match) problems[match[1]] = match[2];
  }
  return problems;
}

/** Fills every <select> in `form` whose name ends in country_code with the country list. */
export function fillCountrySelects(form, countries = COUNTRIES.map(([code, name]) => ({ code, name }))) {
  for (const select of form.querySelectorAll("select[name$='country_code']")) {
    select.replaceChildren(new Option("Choose a country…", ""));
    for (const country of countries) select.append(new Option(country.name, country.code));
  }
}

/** Removes the messages `showProblems` added. */
export function clearProblems(form) {
  for (const element of form.querySelectorAll(".field-error")) element.remove();
  for (const element of form.querySelectorAll("[aria-invalid]")) {
    element.removeAttribute("aria-invalid");
    element.removeAttribute("aria-describedby");
  }
}

/** Puts each message under its field, marks the field invalid and focuses the first one.
 *  Returns the problems that have no field in this form. */
export function showProblems(form, problems, { focus = true } = {}) {
  const orphans = {};
  let first = null;
  for (const [field, message] of Object.entries(problems)) {
    const input = form.elements.namedItem(field);
    if (!input) {
      orphans[field] = message;
      continue;
    }
    input.setAttribute("aria-invalid", "true");
    const note = document.createElement("p");
    note.className = "field-error";
    note.id = `${form.id}-${field}-error`;
    note.textContent = message;
    input.setAttribute("aria-describedby", note.id);
    input.closest("label").append(note);
    first ??= input;
  }
  if (focus) first?.focus();
  return orphans;
}
