// Status page: reads /health and /ready; no keys, nothing stored.
const show = async (id, path) => {
  const element = document.getElementById(id);
  try {
    const response = await fetch(path, { headers: { Accept: "application/json" } });
    const body = await response.json();
    element.textContent = response.ok ? body.status : `${response.status} ${body.error?.message ?? ""}`;
    element.className = response.ok ? "ok" : "bad";
  } catch (error) {
    element.textContent = `unreachable (${error.message})`;
    element.className = "bad";
  }
};

document.getElementById("base-url").textContent = window.location.origin;
show("health", "/health");
show("ready", "/ready");
