// The organization's API keys (BrokerGate extension): the list (revoked ones included), a
// form that creates one and shows its secret once, in this page only (never stored, never
// in a URL), and a revoke button per active key behind a confirm step. Rotating a key:
// create one, deploy it, revoke the old one; every replica refuses a revoked key within 2 s.

import { api, savedKey } from "../api.js";
import { busy, cell, errorBox, fill, formatWhen, h, notice, pill, table } from "../dom.js";
import { refusedKeyHelp } from "../shell.js";

const KEY = { key: "partner" };

export async function apiKeysView(context) {
  const own = savedKey("partner")?.id;
  const list = h("div", { "aria-live": "polite" });
  const listStatus = h("div", { "data-testid": "api-keys-status" });
  const formError = h("div");
  const secretSlot = h("div");
  const failed = (slot, error, what) => fill(slot, errorBox(error, what), refusedKeyHelp(error, context.signOut));

  const load = async () => {
    try {
      const page = await api("GET", "/api/v2/api_keys", KEY);
      fill(list, keyTable(page.data));
    } catch (error) {
      if (error.status === 401) list.replaceChildren(); // what it showed can no longer be read
      failed(listStatus, error, "Could not list the keys");
    }
  };

  const revoke = async (key) => {
    const revoked = await api("POST", `/api/v2/api_keys/${encodeURIComponent(key.id)}/revoke`, KEY);
    if (key.id === own) {
      context.signOut("You revoked the key this console was signed in with. Sign in with another key of your organization.");
      return;
    }
    fill(listStatus, notice("good", `Key ${revoked.name ?? revoked.id} revoked: every request with it is refused within 2 seconds.`));
    await load();
  };

  /** The action cell of an active key: Revoke, then "Revoke …? Yes / Cancel". */
  const revokeCell = (key) => {
    const td = h("td", { class: "key-actions" });
    const idle = () => {
      const button = h("button", { type: "button", class: "small danger", "data-testid": "revoke", text: "Revoke" });
      button.addEventListener("click", ask);
      fill(td, button);
      return button;
    };
    const ask = () => {
      listStatus.replaceChildren();
      const yes = h("button", { type: "button", class: "small danger", "data-testid": "confirm-revoke", text: "Yes, revoke" });
      const no = h("button", { type: "button", class: "small", "data-testid": "cancel-revoke", text: "Cancel" });
      const question = key.id === own
        ? "Revoke the key this console is signed in with? You will be signed out."
        : "Revoke this key? Whatever uses it stops working.";
      fill(td, h("div", { class: "confirm", role: "group", "aria-label": "Confirm revoking" }, h("span", { text: question }), yes, no));
      no.addEventListener("click", () => idle().focus());
      yes.addEventListener("click", () => {
        busy(yes, () => revoke(key)).catch((error) => {
          failed(listStatus, error, "Could not revoke the key");
          idle();
        });
      });
      yes.focus();
    };
    idle();
    return td;
  };

  const keyTable = (keys) => {
    const rows = keys.map((key) => h("tr", { "data-testid": "api-key", "data-key-id": key.id, "data-status": key.status },
      cell(h("div", {}, key.name || h("span", { class: "muted", text: "(no name)" }), key.id === own ? h("span", { class: "sub", text: "this console's key" }) : null)),
      cell(h("code", { class: "id key-id", text: key.id })),
      cell(key.read_only ? "read-only" : "read & write"),
      cell(h("span", { "data-testid": "key-status" }, pill(key.status))),
      cell(formatWhen(key.created_dt)),
      cell(key.revoked_dt ? formatWhen(key.revoked_dt) : "—"),
      key.status === "ACTIVE" ? revokeCell(key) : cell("")));
    return table(["Name", "Key id", "Access", "Status", "Created", "Revoked", ""], rows, { empty: "No keys." });
  };

  const form = h("form", { id: "api-key-form", novalidate: true },
    h("div", { class: "form-grid" },
      h("label", {}, "Name (optional)", h("input", { name: "name", maxlength: 100, autocomplete: "off", spellcheck: "false", placeholder: "e.g. ci-deploy" }))),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "read_only" }), "Read-only: reads everything, every write is refused (403)"),
    formError,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: "Create key" })));

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const name = form.elements.namedItem("name").value.trim();
    const readOnly = form.elements.namedItem("read_only").checked;
    formError.replaceChildren();
    secretSlot.replaceChildren();
    busy(form.querySelector("button[type=submit]"), async () => {
      const created = await api("POST", "/api/v2/api_keys", { ...KEY, json: { ...(name ? { name } : {}), read_only: readOnly } });
      fill(secretSlot, secretNotice(created));
      form.reset();
      listStatus.replaceChildren();
      await load();
    }).catch((error) => failed(formError, error, "Could not create the key"));
  });

  const refresh = h("button", { type: "button", class: "small", "data-testid": "refresh-keys", text: "Refresh" });
  refresh.addEventListener("click", () => {
    listStatus.replaceChildren();
    busy(refresh, load);
  });

  await load();
  return h(
    "div",
    { class: "stack" },
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: "#/customers", text: "Customers" }), " / API keys"),
    h("section", { class: "card", "aria-labelledby": "api-keys-heading" },
      h("div", { class: "card-head" }, h("h1", { id: "api-keys-heading", text: "API keys" }), refresh),
      h("p", { class: "hint", text: "Your organization's keys. To rotate one: create a key, deploy it, then revoke the old one. A revoked key is refused everywhere within 2 seconds; at least one active key that can write must remain." }),
      listStatus, list),
    h("section", { class: "card", "aria-labelledby": "new-key-heading" },
      h("h2", { id: "new-key-heading", text: "Create a key" }),
      form, secretSlot),
  );
}

/** The new key's secret, shown once: it is in this answer only and is kept nowhere. */
function secretNotice(created) {
  const secret = h("code", { class: "secret", "data-testid": "new-key-secret", text: created.secret });
  const copied = h("span", { role: "status" });
  const copy = h("button", { type: "button", class: "small", text: "Copy secret" });
  const done = h("button", { type: "button", class: "small", "data-testid": "secret-stored", text: "I have stored it" });
  const box = notice("warn",
    h("strong", { text: "Copy the secret now: it will not be shown again." }),
    h("dl", { class: "facts" },
      h("dt", { text: "Key id" }), h("dd", {}, h("code", { "data-testid": "new-key-id", text: created.id })),
      h("dt", { text: "Secret" }), h("dd", {}, secret),
      h("dt", { text: "Access" }), h("dd", { text: created.read_only ? "read-only" : "read & write" })),
    h("p", { class: "hint", text: "Send them as the X-API-Key-Id and X-API-Secret-Key headers." }),
    h("div", { class: "actions" }, copy, done, copied));
  box.setAttribute("data-testid", "new-key");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(created.secret);
      copied.textContent = "Copied.";
    } catch {
      window.getSelection().selectAllChildren(secret);
      copied.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
    }
  });
  done.addEventListener("click", () => box.remove());
  return box;
}
