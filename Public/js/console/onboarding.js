// The onboarding wizard: create the customer → KYC form (checked field by field as the
// server would) → documents → the decision, with the reasons when it is not PASS → open
// an account.

import { api } from "../api.js";
import { busy, errorBox, fill, h, notice, pill } from "../dom.js";
import { clearProblems, collect, fillCountrySelects, problemsOf, serverProblems, showProblems } from "../kyc-rules.js";
import { kycSummary } from "./customers.js";
import { subscribe } from "../events.js";

const KEY = { key: "partner" };
const STEPS = ["Customer", "KYC details", "Documents", "Decision"];
const DOCUMENT_BYTES_MAX = 10 * 1024 * 1024; // KYCDocumentFiles.sizeBytesMax
const DOCUMENT_TYPES = ["GOVERNMENT_ID", "SELFIE", "RESIDENCY"];

// [legend, [[name, label, attributes]]] of the BASELINE form, as on the hosted form.
const KYC_FIELDS = [
  ["Name", [["first_name", "First name", { autocomplete: "off", maxlength: 100 }], ["middle_name", "Middle name", { maxlength: 100 }],
    ["last_name", "Last name *", { required: true, maxlength: 100 }]]],
  ["About the customer", [["birth_date", "Date of birth *", { type: "date", required: true }], ["country_code", "Citizenship *", { select: true }],
    ["email", "Email", { type: "email", maxlength: 254 }], ["tax_id_number", "Tax ID number", { maxlength: 64 }]]],
  ["Home address", [["address_country_code", "Country of residence *", { select: true }], ["address_street_1", "Street", { maxlength: 200 }],
    ["address_street_2", "Street, line 2", { maxlength: 200 }], ["address_city", "City", { maxlength: 100 }],
    ["address_subdivision", "State or region", { maxlength: 100 }], ["address_postal_code", "Postal code", { maxlength: 20 }]]],
];

function field([name, label, { select, ...attributes }]) {
  const control = select ? h("select", { name, required: true }) : h("input", { name, ...attributes });
  return h("label", {}, label, control);
}

function stepper(current) {
  return h("ol", { class: "steps", "aria-label": "Onboarding steps" },
    STEPS.map((name, index) => h("li", { class: index < current ? "done" : null, "aria-current": index === current ? "step" : null, text: name })));
}

export async function onboardView(context, entityId) {
  const state = { entity: null, kyc: null };
  const body = h("div");
  const head = h("div");
  const root = h("section", { class: "card", "aria-labelledby": "onboard-heading" },
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: "#/customers", text: "Customers" }), " / Onboarding"),
    h("h1", { id: "onboard-heading", text: "Onboard a customer" }), head, body);

  const show = (step, content) => {
    fill(head, stepper(step));
    fill(body, content);
    body.querySelector("input, select, button")?.focus();
  };

  const steps = {
    customer: () => show(0, customerStep(state, steps, context)),
    kyc: () => show(1, kycStep(state, steps)),
    documents: () => show(2, documentsStep(state, steps)),
    decision: async () => {
      try {
        show(3, await decisionStep(state, steps, context));
      } catch (error) {
        show(3, errorBox(error, "Could not read the KYC decision"));
      }
    },
  };

  if (entityId) {
    state.entity = await api("GET", `/api/v2/entities/${entityId}`, KEY);
    state.kyc = await api("GET", `/api/v2/entities/${entityId}/kyc`, KEY).catch((error) => (error.status === 404 ? null : Promise.reject(error)));
    if (state.kyc) await steps.decision();
    else steps.kyc();
  } else {
    steps.customer();
  }
  return root;
}

function customerStep(state, steps, context) {
  const errorSlot = h("div");
  const form = h("form", { id: "customer-form", novalidate: true },
    h("label", {}, "Full name *", h("input", { name: "name", required: true, maxlength: 200, autocomplete: "off" })),
    h("label", {}, "Your reference id ", h("span", { class: "sub", text: "(optional: your own id for this customer, unique and searchable)" }),
      h("input", { name: "reference_id", maxlength: 200, autocomplete: "off" })),
    errorSlot,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Create customer" })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblems(form);
    const data = collect(form);
    if (!data.name) return showProblems(form, { name: "required" });
    return busy(form.querySelector("button"), async () => {
      state.entity = await api("POST", "/api/v2/entities", { ...KEY, json: data });
      context.replaceHash(`#/onboard/${state.entity.id}`);
      steps.kyc();
    }, errorSlot, "Could not create the customer");
  });
  return form;
}

function kycStep(state, steps) {
  const errorSlot = h("div");
  const form = h("form", { id: "kyc-form", novalidate: true },
    h("p", { class: "hint" }, `KYC data for ${state.entity.name ?? "the customer"} (BASELINE: non-US persons). Fields marked * are required. `,
      "US persons need the US jurisdiction, submitted through the API."),
    KYC_FIELDS.map(([legend, fields]) => h("fieldset", {}, h("legend", { text: legend }), h("div", { class: "form-grid" }, fields.map(field)))),
    h("fieldset", {}, h("legend", { text: "The check" }),
      h("label", {}, "Checked by (provider name) *", h("input", { name: "provider_name", required: true, maxlength: 100, value: "Partner onboarding team" }))),
    errorSlot,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Submit KYC" })));
  fillCountrySelects(form);

  // Inline: a field's problem shows once the person has left it, and clears as it is fixed.
  const touched = new Set();
  const recheck = () => {
    const { provider_name: _, ...data } = collect(form);
    const problems = Object.fromEntries(Object.entries(problemsOf(data)).filter(([name]) => touched.has(name)));
    clearProblems(form);
    showProblems(form, problems, { focus: false });
  };
  form.addEventListener("focusout", (event) => {
    if (!event.target.name) return;
    touched.add(event.target.name);
    recheck();
  });
  form.addEventListener("input", (event) => {
    if (touched.has(event.target.name)) recheck();
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblems(form);
    errorSlot.replaceChildren();
    const { provider_name: providerName, ...data } = collect(form);
    const problems = problemsOf(data);
    if (!providerName) problems.provider_name = "required";
    if (Object.keys(problems).length > 0) {
      for (const name of Object.keys(problems)) touched.add(name);
      return showProblems(form, problems);
    }
    return busy(form.querySelector("button[type=submit]"), async () => {
      try {
        state.kyc = await api("POST", `/api/v2/entities/${state.entity.id}/kyc`, {
          ...KEY, json: { provider_name: providerName, jurisdiction: "BASELINE", data },
        });
      } catch (error) {
        const fields = error.code === "invalid_kyc_data" ? serverProblems(error.message) : {};
        if (Object.keys(fields).length === 0) throw error;
        const orphans = showProblems(form, fields);
        if (Object.keys(orphans).length) errorSlot.replaceChildren(errorBox(error, "The server refused the data"));
        return;
      }
      steps.documents();
    }, errorSlot, "Could not submit KYC");
  });
  return form;
}

function documentsStep(state, steps) {
  const errorSlot = h("div");
  const uploaded = h("ul", { "aria-live": "polite" });
  const form = h("form", { id: "document-form", novalidate: true },
    h("p", {}, "Decision so far: ", pill(state.kyc.status), ". Attach identity documents now (optional for BASELINE; kept with the check for review)."),
    h("div", { class: "form-grid" },
      h("label", {}, "Document type", h("select", { name: "document_type" }, DOCUMENT_TYPES.map((type) => h("option", { value: type, text: type.replaceAll("_", " ").toLowerCase() })))),
      h("label", {}, "File (JPEG, PNG or PDF, at most 10 MiB)", h("input", { name: "file", type: "file", accept: "image/jpeg,image/png,application/pdf" }))),
    errorSlot, uploaded,
    h("div", { class: "actions" },
      h("button", { type: "submit", text: "Upload" }),
      h("button", { type: "button", class: "primary", id: "documents-done", text: "Continue" })));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblems(form);
    const file = form.elements.namedItem("file").files[0];
    if (!file) return showProblems(form, { file: "choose a file" });
    if (file.size > DOCUMENT_BYTES_MAX) return showProblems(form, { file: "larger than 10 MiB" });
    const type = form.elements.namedItem("document_type").value;
    const multipart = new FormData();
    multipart.append("file", file, file.name);
    return busy(form.querySelector("button[type=submit]"), async () => {
      const document = await api("POST", `/api/v2/entities/${state.entity.id}/kyc/${state.kyc.id}/document?document_type=${type}`, { ...KEY, form: multipart });
      uploaded.append(h("li", { text: `${document.filename} (${document.document_type.replaceAll("_", " ").toLowerCase()}) uploaded` }));
      form.elements.namedItem("file").value = "";
    }, errorSlot, "Upload refused");
  });
  form.querySelector("#documents-done").addEventListener("click", () => steps.decision());
  return form;
}

const KYC_EVENTS = ["kyc.passed", "kyc.failed", "kyc.needs_review", "kyc.approved", "kyc.rejected"];
let decisionStream = null; // the open decision step's subscription, replaced when it redraws

async function decisionStep(state, steps, context) {
  const id = state.entity.id;
  // Documents may have changed an open check's decision: read it again.
  state.kyc = await api("GET", `/api/v2/entities/${id}/kyc`, KEY);
  const documents = await api("GET", `/api/v2/entities/${id}/kyc/${state.kyc.id}/document`, KEY);
  const errorSlot = h("div");
  const actions = h("div", { class: "actions" });
  if (state.kyc.status === "PASS") {
    const open = h("button", { type: "button", class: "primary", "data-testid": "open-account", text: "Open an account" });
    open.addEventListener("click", () => busy(open, async () => {
      const account = await api("POST", `/api/v2/entities/${id}/accounts`, { ...KEY, json: { jurisdiction: "BASELINE" } });
      context.go(`#/accounts/${account.id}`);
    }, errorSlot, "Could not open the account"));
    actions.append(open);
  } else {
    // An operator's decision (or a document that completes the check) arrives as an event:
    // the step redraws itself when this check's status changes.
    decisionStream?.stop();
    const stream = subscribe("partner", {
      types: KYC_EVENTS,
      onEvent: (event) => {
        if (event.data.id !== state.kyc.id) return;
        stream.stop();
        steps.decision();
      },
    });
    decisionStream = stream;
    context.onLeave(() => stream.stop());
    const refresh = h("button", { type: "button", text: "Check the status again" });
    refresh.addEventListener("click", () => steps.decision());
    const resubmit = h("button", { type: "button", text: "Submit corrected data" });
    resubmit.addEventListener("click", () => steps.kyc());
    actions.append(refresh, resubmit);
  }
  actions.append(h("a", { class: "button", href: `#/customers/${id}`, text: "Customer page" }));
  const headline = {
    PASS: notice("good", "Verified. The customer can open an account and trade."),
    FAIL: notice("error", "Not verified: the rules below failed. Onboarding cannot continue with these details."),
    NEEDS_REVIEW: notice("warn", "A person must review this check. An operator approves or rejects it in the operator console."),
    INCOMPLETE: notice("warn", "More information is needed: see below, then submit corrected data."),
  }[state.kyc.status];
  return h("div", {}, headline, kycSummary(state.kyc, documents), errorSlot, actions);
}
