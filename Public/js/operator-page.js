// The operator console: the KYC review queue (approve/reject with a note), health,
// readiness and reconciliation, the order desk (outbox depth, scheduler lease, the broker's
// book, from GET /api/v2/operator/order_desk where the gateway serves it), and the sandbox
// business clock.

import { api, savedKey } from "./api.js";
import { format, formatUSD } from "./decimal.js";
import { $, busy, errorBox, fill, formatFullET, formatWhen, h, notice, pill, shortId } from "./dom.js";
import { mountShell } from "./shell.js";

const KEY = { key: "operator" };
const NOTE_LENGTH_MAX = 2000; // requestBodies.KYCDecision.note
const STATUS_REFRESH_MS = 5000;
let timers = [];

function facts(rows) {
  return h("dl", { class: "facts" }, rows.filter(Boolean).map(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)]));
}

// --- status ------------------------------------------------------------------------------

/** "3 open (1 pending submit, 2 submitted)". */
function outboxText(depth, byStatus) {
  const parts = Object.entries(byStatus ?? {}).map(([state, count]) => `${count} ${state.toLowerCase().replaceAll("_", " ")}`);
  return `${depth} open${parts.length ? ` (${parts.join(", ")})` : ""}`;
}

/** The order desk's rows, or why there are none. */
function deskRows(desk, ready) {
  if (desk instanceof Error) {
    // A gateway without the order desk may still report the outbox depth in /ready.
    const depth = ready?.outbox?.depth;
    const why = desk.status === 404 ? "this gateway has no order desk" : `${desk.status || ""} ${desk.message}`;
    return [["Order outbox", h("span", { "data-testid": "outbox" }, depth === undefined ? h("span", { class: "muted", text: `not reported (${why})` }) : outboxText(depth))]];
  }
  const book = desk.broker_book;
  const positions = book ? Object.entries(book.positions).map(([symbol, shares]) => `${symbol} ${format(shares, { max: 6 })}`) : [];
  const unreadable = h("span", { class: "down-text", text: `broker unreachable: ${desk.broker_error || "no answer"}` });
  const attention = (desk.attention || []).map((order) =>
    h("div", { "data-testid": "attention", text: `${order.status} ${order.order_id} since ${formatFullET(order.since_dt)}: ${order.reason || ""}` }));
  return [
    ["Order outbox", h("span", { "data-testid": "outbox", text: outboxText(desk.outbox.depth, desk.outbox.by_status) })],
    ["Oldest open order", desk.outbox.oldest_created_dt ? formatFullET(desk.outbox.oldest_created_dt) : "none open"],
    ["Scheduler", `${desk.scheduler.this_replica_leads ? "this replica leads" : "another replica leads"}${desk.scheduler.holder ? ` (lease: ${desk.scheduler.holder})` : ""}`],
    ["Broker custody", book ? (positions.length ? positions.join(", ") : "no shares") : unreadable],
    ["Broker net cash", book ? formatUSD(book.net_cash) : unreadable],
    ["Needs attention", attention.length ? h("div", {}, ...attention) : "nothing"],
  ];
}

function statusCard() {
  const body = h("div", { "aria-live": "polite" });
  const errorSlot = h("div");
  const run = h("button", { type: "button", text: "Reconcile now" });
  const refresh = async () => {
    const read = (path, options) => api("GET", path, options).catch((error) => error);
    const [health, ready, reconciliation, desk] = await Promise.all([
      read("/health"), read("/ready"), read("/api/v2/operator/reconciliation", KEY), read("/api/v2/operator/order_desk", KEY),
    ]);
    const show = (answer, good) => (answer instanceof Error ? h("span", { class: "down-text", text: `${answer.status || ""} ${answer.message}` }) : good(answer));
    fill(body,
      facts([
        ["Liveness", show(health, (value) => h("span", { class: "up-text", text: value.status }))],
        ["Readiness", show(ready, (value) => h("span", { class: "up-text", text: `${value.status} · store ${value.store}` }))],
        ["Reconciliation", reconciliation.status === 404 ? h("span", { class: "muted", text: "not run yet on this replica" })
          : show(reconciliation, (value) => h("span", {}, pill(value.status), ` ${value.checks} checks, ${value.breaks.length} breaks · ledger #${value.ledger_sequence} · ${formatWhen(value.checked_dt)}`))],
        ...deskRows(desk, ready instanceof Error ? null : ready),
      ]),
      reconciliation instanceof Error || !reconciliation.breaks.length ? null
        : h("ul", { class: "findings" }, reconciliation.breaks.map((found) => h("li", {}, h("strong", { text: `${found.check} ${found.asset}: ` }), found.message))));
  };
  run.addEventListener("click", () => busy(run, async () => {
    await api("POST", "/api/v2/operator/reconciliation", KEY);
    await refresh();
  }, errorSlot, "Reconciliation failed"));
  timers.push(setInterval(refresh, STATUS_REFRESH_MS));
  refresh();
  return h("section", { class: "card", "aria-labelledby": "status-heading" },
    h("div", { class: "card-head" }, h("h2", { id: "status-heading", text: "Gateway status" }), run),
    body, errorSlot,
    h("p", { class: "hint" }, "Refreshes every 5 s. Prometheus: ", h("a", { href: "/metrics", text: "/metrics" }), "."));
}

// --- sandbox clock -----------------------------------------------------------------------

function clockCard() {
  const body = h("div");
  const errorSlot = h("div");
  const form = h("form", { id: "clock-form", class: "row", novalidate: true },
    h("label", {}, "Move business time to (ISO 8601, UTC)", h("input", { name: "now", placeholder: "2026-12-01T15:00:00Z", autocomplete: "off", spellcheck: "false" })),
    h("button", { type: "submit", text: "Set" }),
    h("button", { type: "button", id: "clock-wall", text: "Back to the wall clock" }));
  const set = async (instant) => {
    await api("PUT", "/api/v2/sandbox/clock", { ...KEY, json: { now: instant } });
    await refresh();
  };
  const refresh = async () => {
    try {
      const clock = await api("GET", "/api/v2/sandbox/clock", KEY);
      fill(body, facts([["Business time", formatFullET(clock.now)], ["UTC", h("code", { text: clock.now })]]));
      form.hidden = false;
    } catch (error) {
      form.hidden = true;
      fill(body, error.status === 404 ? h("p", { class: "muted", text: "Not in sandbox mode: the business clock follows the wall clock." }) : errorBox(error, "Could not read the clock"));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const instant = form.elements.namedItem("now").value.trim();
    if (Number.isNaN(Date.parse(instant))) {
      errorSlot.replaceChildren(errorBox(new Error("Enter an instant such as 2026-12-01T15:00:00Z.")));
      return undefined;
    }
    return busy(form.querySelector("button[type=submit]"), () => set(instant), errorSlot, "Clock refused");
  });
  const wall = form.querySelector("#clock-wall");
  wall.addEventListener("click", () => busy(wall, () => set(new Date().toISOString().replace(/\.\d+Z$/, "Z")), errorSlot, "Clock refused"));
  refresh();
  return h("section", { class: "card", "aria-labelledby": "clock-heading" },
    h("h2", { id: "clock-heading", text: "Sandbox clock" }), body, form, errorSlot,
    h("p", { class: "hint", text: "Moves business time for every rule: sessions, order routing, KYC ages. It keeps running from the instant set." }));
}

// --- KYC review queue ----------------------------------------------------------------------

function personName(data) {
  if (data.identity) return [data.identity.given_name, data.identity.middle_name, data.identity.family_name].filter(Boolean).join(" ");
  return [data.first_name, data.middle_name, data.last_name].filter(Boolean).join(" ");
}

function reviewItem(review, reload) {
  const data = review.data;
  const errorSlot = h("div");
  const note = h("textarea", { name: "note", required: true, maxlength: NOTE_LENGTH_MAX, placeholder: "What you checked and why you decide so (kept with the decision)" });
  const approve = h("button", { type: "button", class: "primary", disabled: !review.operator_may_approve, text: "Approve" });
  const reject = h("button", { type: "button", class: "danger", text: "Reject" });
  const decide = (button, verb) => {
    const text = note.value.trim();
    if (!text) {
      note.setAttribute("aria-invalid", "true");
      errorSlot.replaceChildren(errorBox(new Error("A note is required: say what you checked.")));
      note.focus();
      return undefined;
    }
    note.removeAttribute("aria-invalid");
    return busy(button, async () => {
      const decided = await api("POST", `/api/v2/operator/kyc_reviews/${review.kyc_id}/${verb}`, { ...KEY, json: { note: text } });
      errorSlot.replaceChildren(notice("good", `${decided.review?.outcome ?? verb} — the check is now ${decided.status}.`));
      setTimeout(reload, 1200);
    }, errorSlot, `Could not ${verb}`);
  };
  approve.addEventListener("click", () => decide(approve, "approve"));
  reject.addEventListener("click", () => decide(reject, "reject"));
  const findings = review.findings.map((finding) => h("li", {}, pill(finding.outcome), " ", h("strong", { text: finding.rule.replaceAll("_", " ") }), finding.field ? ` (${finding.field})` : "", `: ${finding.reason}`));
  return h("article", { class: "review", "data-testid": "kyc-review", "aria-label": `Review of ${personName(data)}` },
    h("h3", { text: personName(data) || "(no name)" }),
    facts([
      ["Submitted", `${formatWhen(review.submitted_dt)} via ${review.channel.replaceAll("_", " ").toLowerCase()} (${review.provider_name})`],
      ["Jurisdiction", review.jurisdiction],
      ["Born", data.birth_date ?? data.identity?.date_of_birth ?? "—"],
      ["Citizenship / residence", `${data.country_code ?? data.identity?.country_of_citizenship ?? "—"} / ${data.address_country_code ?? data.identity?.country_of_tax_residence ?? "—"}`],
      ["Address", [data.address_street_1, data.address_city, data.address_postal_code, data.address_subdivision].filter(Boolean).join(", ") || "—"],
      ["Customer", h("span", {}, shortId(review.entity_id), " of organization ", shortId(review.organization_id))],
    ]),
    h("p", { text: "Why it needs a person:" }), h("ul", { class: "findings" }, findings),
    review.documents.length ? h("p", {}, "Documents: ", review.documents.map((document, index) => [index ? ", " : "", h("a", { href: document.url, rel: "noreferrer", text: `${document.filename} (${document.document_type.toLowerCase()})` })])) : h("p", { class: "muted", text: "No documents." }),
    review.operator_may_approve ? null : notice("warn", "Approval is not possible: a rule underneath failed or is incomplete. Reject it, or ask the partner to resubmit."),
    h("label", {}, "Decision note *", note),
    errorSlot,
    h("div", { class: "actions" }, approve, reject));
}

function reviewsCard() {
  const body = h("div", { "aria-live": "polite" });
  const reload = async () => {
    try {
      const page = await api("GET", "/api/v2/operator/kyc_reviews?limit=20", KEY);
      fill(body, page.data.length ? page.data.map((review) => reviewItem(review, reload)) : h("p", { class: "empty", text: "The queue is empty: no check needs a person." }),
        page.pagination_metadata?.next ? h("p", { class: "hint", text: "More checks wait after these 20 (oldest first)." }) : null);
    } catch (error) {
      fill(body, errorBox(error, "Could not read the review queue"));
    }
  };
  const refresh = h("button", { type: "button", class: "small", text: "Refresh" });
  refresh.addEventListener("click", reload);
  reload();
  return h("section", { class: "card", "aria-labelledby": "reviews-heading" },
    h("div", { class: "card-head" }, h("h1", { id: "reviews-heading", text: "KYC review queue" }), refresh),
    h("p", { class: "hint", text: "Checks of every organization that the rules sent to a person, oldest first. Decisions are final and recorded with your key." }),
    body);
}

mountShell({
  role: "operator",
  verify: async (key) => {
    await api("GET", "/api/v2/operator/kyc_reviews?limit=1", { key }); // 403 operator_key_required for partner keys
    return `Operator key ${key.id}`;
  },
  onSignedIn: () => {
    for (const timer of timers) clearInterval(timer);
    timers = [];
    if (!savedKey("operator")) return;
    fill($("view"), h("div", { class: "grid two" }, reviewsCard(), h("div", { class: "stack" }, statusCard(), clockCard())));
  },
});

$("sign-out").addEventListener("click", () => {
  for (const timer of timers) clearInterval(timer);
  timers = [];
});
