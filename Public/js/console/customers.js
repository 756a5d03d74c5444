// Customers (entities): the list with search and paging, and one customer's page with its
// KYC status, documents and accounts.

import { api } from "../api.js";
import { busy, cell, errorBox, fill, formatWhen, h, notice, pill, shortId, table } from "../dom.js";
import { refusedKeyHelp } from "../shell.js";

const PAGE_SIZE = 20;

export async function customersView(context) {
  const results = h("div", { "aria-live": "polite" });
  const errorSlot = h("div");
  const form = h(
    "form",
    { class: "row", role: "search", id: "customer-search" },
    h("label", { class: "search" }, "Reference id ", h("input", { name: "reference_id", type: "search", maxlength: 200, autocomplete: "off", placeholder: "exact match, e.g. user-42" })),
    h("button", { type: "submit", text: "Search" }),
    h("button", { type: "button", id: "clear-search", text: "Show all" }),
  );
  let cursor = {};

  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE), order: "desc" });
    const reference = form.elements.namedItem("reference_id").value.trim();
    if (reference) query.set("reference_id", reference);
    if (cursor.next) query.set("next", cursor.next);
    if (cursor.previous) query.set("previous", cursor.previous);
    try {
      const page = await api("GET", `/api/v2/entities?${query}`, { key: "partner" });
      errorSlot.replaceChildren();
      fill(results, customerTable(page.data, context), pager(page.pagination_metadata));
    } catch (error) {
      fill(errorSlot, errorBox(error, "Could not list customers"), refusedKeyHelp(error, context.signOut));
    }
  };

  const pager = (meta) => {
    const previous = h("button", { type: "button", disabled: !meta?.previous, text: "← Newer" });
    const next = h("button", { type: "button", disabled: !meta?.next, text: "Older →" });
    previous.addEventListener("click", () => { cursor = { previous: meta.previous }; load(); });
    next.addEventListener("click", () => { cursor = { next: meta.next }; load(); });
    return h("div", { class: "actions" }, previous, next);
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    cursor = {};
    load();
  });
  form.querySelector("#clear-search").addEventListener("click", () => {
    form.reset();
    cursor = {};
    load();
  });
  await load();
  return h(
    "section",
    { class: "card", "aria-labelledby": "customers-heading" },
    h("div", { class: "card-head" }, h("h1", { id: "customers-heading", text: "Customers" }),
      h("a", { class: "button primary", href: "#/onboard", "data-testid": "new-customer", text: "Onboard a customer" })),
    form, errorSlot, results,
  );
}

function customerTable(entities, context) {
  const rows = entities.map((entity) => {
    const link = h("a", { href: `#/customers/${entity.id}`, text: entity.name ?? "(no name)" });
    const row = h("tr", { class: "clickable" },
      cell(link), cell(entity.reference_id ?? "—"),
      cell(entity.is_kyc_complete ? pill("PASS") : h("span", { class: "muted", text: "not passed" })),
      h("td", { class: "hide-narrow" }, shortId(entity.id)));
    row.addEventListener("click", (event) => {
      if (event.target.tagName !== "A") context.go(`#/customers/${entity.id}`);
    });
    return row;
  });
  return table(["Name", "Reference id", "KYC", { label: "Id" }], rows, { empty: "No customers match. Onboard one with the button above." });
}

/** The customer's KYC: status, what kept it from PASS, documents. */
export function kycSummary(kyc, documents) {
  const findings = (kyc.findings ?? []).map((finding) =>
    h("li", {}, h("strong", { text: `${finding.rule.replaceAll("_", " ")}` }), finding.field ? ` (${finding.field})` : "", `: ${finding.reason}`));
  return h(
    "div",
    { "data-testid": "kyc-summary" },
    h("p", { class: "row" }, "Status ", h("span", { "data-testid": "kyc-status" }, pill(kyc.status)),
      h("span", { class: "muted", text: `checked ${formatWhen(kyc.checked_dt)} · ${kyc.jurisdiction}` })),
    findings.length ? h("div", {}, h("p", { text: "Why it is not PASS:" }), h("ul", { class: "findings" }, findings)) : null,
    kyc.status === "NEEDS_REVIEW" ? notice("warn", "An operator will review this check (operator console). Its decision appears here.") : null,
    documents?.length
      ? h("div", {}, h("h3", { text: "Documents" }), h("ul", {}, documents.map((document) =>
        h("li", {}, h("a", { href: document.url, rel: "noreferrer", text: document.filename }), ` · ${document.document_type.replaceAll("_", " ")}`))))
      : null,
  );
}

export async function customerView(context, entityId) {
  const key = { key: "partner" };
  const entity = await api("GET", `/api/v2/entities/${entityId}`, key);
  const kyc = await api("GET", `/api/v2/entities/${entityId}/kyc`, key).catch((error) => (error.status === 404 ? null : Promise.reject(error)));
  const documents = kyc ? await api("GET", `/api/v2/entities/${entityId}/kyc/${kyc.id}/document`, key) : [];
  const accounts = await api("GET", `/api/v2/entities/${entityId}/accounts?limit=100`, key);

  const errorSlot = h("div");
  const linkSlot = h("div");
  const hostedLink = h("button", { type: "button", text: "Create a hosted KYC link" });
  hostedLink.addEventListener("click", () => busy(hostedLink, async () => {
    const link = await api("POST", `/api/v2/entities/${entityId}/kyc/url`, { ...key, json: { jurisdiction: "BASELINE" } });
    fill(linkSlot, notice("info", "Send this single-use link to the customer (valid until ", formatWhen(link.expiration_dt), "): ",
      h("a", { class: "link-out", href: link.embed_url, rel: "noreferrer", text: link.embed_url })));
  }, errorSlot, "Could not create the link"));

  const openAccount = h("button", { type: "button", class: "primary", "data-testid": "open-account", text: "Open an account" });
  openAccount.addEventListener("click", () => busy(openAccount, async () => {
    const account = await api("POST", `/api/v2/entities/${entityId}/accounts`, { ...key, json: { jurisdiction: "BASELINE" } });
    context.go(`#/accounts/${account.id}`);
  }, errorSlot, "Could not open the account"));

  const accountRows = accounts.data.map((account) => h("tr", {},
    cell(h("a", { href: `#/accounts/${account.id}`, "data-testid": "account-link" }, shortId(account.id))),
    cell(account.jurisdiction), cell(account.is_active ? pill("ACTIVE") : pill("CLOSED")), cell(formatWhen(account.created_dt))));

  return h(
    "div",
    { class: "stack" },
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: "#/customers", text: "Customers" }), " / ", entity.name ?? entityId),
    h("section", { class: "card", "aria-labelledby": "customer-heading" },
      h("h1", { id: "customer-heading", text: entity.name ?? "Customer" }),
      h("dl", { class: "facts" },
        h("dt", { text: "Reference id" }), h("dd", { text: entity.reference_id ?? "—" }),
        h("dt", { text: "KYC complete" }), h("dd", { text: entity.is_kyc_complete ? "yes" : "no" }),
        h("dt", { text: "Entity id" }), h("dd", {}, h("code", { text: entity.id })))),
    h("section", { class: "card", "aria-labelledby": "kyc-heading" },
      h("h2", { id: "kyc-heading", text: "Identity verification (KYC)" }),
      kyc ? kycSummary(kyc, documents) : h("p", { class: "muted", text: "No KYC submitted yet." }),
      h("div", { class: "actions" },
        kyc?.status === "PASS" ? null : h("a", { class: "button primary", href: `#/onboard/${entityId}`, text: kyc ? "Continue onboarding" : "Start KYC" }),
        hostedLink),
      linkSlot),
    h("section", { class: "card", "aria-labelledby": "accounts-heading" },
      h("div", { class: "card-head" }, h("h2", { id: "accounts-heading", text: "Accounts" }), openAccount),
      errorSlot,
      table(["Account", "Jurisdiction", "State", "Opened"], accountRows, { empty: "No account yet." })),
  );
}
