// Sign-in for the consoles, shared by the partner and operator pages. The key is checked
// with one call before it is kept (in sessionStorage, for this tab only); the secret input
// is cleared at once, and the key is never put in a URL or written to the console.

import { forgetKey, saveKey, savedKey } from "./api.js";
import { $, errorBox, h, notice } from "./dom.js";

/**
 * After a 401 on a signed-in page (the key was revoked, or replaced with another secret):
 * says so and offers to sign in again. Null for any other error.
 */
export function refusedKeyHelp(error, signOut) {
  if (error?.status !== 401) return null;
  const again = h("button", { type: "button", class: "small", "data-testid": "sign-in-again", text: "Sign in again" });
  again.addEventListener("click", () => signOut());
  return notice("warn", "The gateway no longer accepts the key this console is signed in with (it may have been revoked). ", again);
}

/**
 * `verify(key)` calls the API with the candidate key and resolves to a display name, or
 * rejects with the server's error. `onSignedIn(name)` renders the console. Returns
 * `{ signOut(message) }`: forgets the key and shows the sign-in form, with `message` above it.
 */
export function mountShell({ role, verify, onSignedIn }) {
  const form = $("sign-in-form");
  const panel = $("sign-in");
  const who = $("who");

  const showSignedIn = (name) => {
    panel.hidden = true;
    who.hidden = false;
    $("who-name").textContent = name;
    onSignedIn(name);
  };

  const showSignIn = () => {
    who.hidden = true;
    panel.hidden = false;
    $("view").replaceChildren();
    form.elements.namedItem("key_id").focus();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const id = form.elements.namedItem("key_id").value.trim();
    const secretInput = form.elements.namedItem("secret");
    const secret = secretInput.value;
    const errorSlot = $("sign-in-error");
    errorSlot.replaceChildren();
    if (!id || !secret) {
      errorSlot.replaceChildren(errorBox(new Error("Enter both the API key id and its secret.")));
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const name = await verify({ id, secret });
      secretInput.value = "";
      saveKey(role, { id, secret, name });
      showSignedIn(name);
    } catch (error) {
      errorSlot.replaceChildren(errorBox(error, "Sign-in failed"));
      secretInput.focus();
    } finally {
      button.disabled = false;
    }
  });

  const signOut = (message) => {
    forgetKey(role);
    window.location.hash = "";
    showSignIn();
    if (message) $("sign-in-error").replaceChildren(notice("info", message));
  };
  $("sign-out").addEventListener("click", () => signOut());

  const existing = savedKey(role);
  if (existing) showSignedIn(existing.name || existing.id);
  else showSignIn();
  return { signOut };
}
