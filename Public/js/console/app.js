// The partner console: sign in with an API key, then customers, onboarding, accounts and
// the organization's API keys.
// Views are chosen by the URL fragment (#/customers, #/onboard, #/accounts/{id}…), which
// holds ids only, never a key. Each view may register cleanups (polling timers) that run
// when the person navigates away.

import { api, savedKey } from "../api.js";
import { $, errorBox, fill, h } from "../dom.js";
import { mountShell, refusedKeyHelp } from "../shell.js";
import { accountView } from "./account.js";
import { apiKeysView } from "./api-keys.js";
import { customersView, customerView } from "./customers.js";
import { onboardView } from "./onboarding.js";

const UUID = "([0-9a-fA-F-]{36})";
const ROUTES = [
  [new RegExp(`^#/customers/${UUID}$`), customerView],
  [new RegExp(`^#/accounts/${UUID}$`), accountView],
  [new RegExp(`^#/onboard(?:/${UUID})?$`), onboardView],
  [/^#\/api-keys$/, apiKeysView],
  [/^(#\/?(customers)?)?$/, customersView],
];

let cleanups = [];
let shell;

/** What every view receives: navigation and a place to register cleanups. */
const context = {
  go(hash) {
    if (window.location.hash === hash) render();
    else window.location.hash = hash;
  },
  onLeave(cleanup) {
    cleanups.push(cleanup);
  },
  /** Replaces the fragment without re-rendering (a wizard moving to a new id). */
  replaceHash(hash) {
    history.replaceState(null, "", hash);
  },
  /** Forgets the key and shows the sign-in form (with `message` above it, if given). */
  signOut(message) {
    shell.signOut(message);
  },
};

async function render() {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  const view = $("view");
  if (!savedKey("partner")) return;
  const hash = window.location.hash;
  const route = ROUTES.find(([pattern]) => pattern.test(hash));
  if (!route) {
    fill(view, h("div", { class: "card" }, h("h1", { text: "Not found" }), h("p", {}, "Nothing lives at this address. ", h("a", { href: "#/customers", text: "Back to customers" }))));
    return;
  }
  const [pattern, build] = route;
  const params = pattern.exec(hash).slice(1).filter((part) => part && part.length === 36);
  fill(view, h("p", { class: "muted", text: "Loading…" }));
  try {
    const content = await build(context, ...params);
    if (window.location.hash === hash) fill(view, content);
  } catch (error) {
    fill(view, h("div", { class: "card" }, errorBox(error, "This page could not be loaded"), refusedKeyHelp(error, context.signOut),
      h("a", { href: "#/customers", text: "Back to customers" })));
  }
  view.querySelector("h1")?.setAttribute("tabindex", "-1");
}

shell = mountShell({
  role: "partner",
  verify: async (key) => {
    const organization = await api("GET", "/api/v2/entities/me", { key });
    return organization.name ?? key.id;
  },
  onSignedIn: () => {
    window.removeEventListener("hashchange", render);
    window.addEventListener("hashchange", render);
    render();
  },
});
