# Sourced by the Python test runners (conformance.sh, browser-tests.sh).
#
#   ensure_venv VENV PYTHON REQUIREMENTS   creates VENV with PYTHON when missing, and installs
#       REQUIREMENTS only when they changed since the last install into it (a stamp per file).
#   absolute_path PATH                     PATH made absolute (servers start in the repo root,
#       so a relative BROKERGATE_BIN must keep meaning what the caller meant).

ensure_venv() {
    local venv="$1" python="$2" requirements="$3"
    if [[ ! -x "$venv/bin/python" ]]; then
        "$python" -m venv "$venv"
    fi
    local stamp
    stamp="$venv/.$(basename "$(dirname "$requirements")")-requirements.txt"
    if ! cmp -s "$requirements" "$stamp"; then
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$stamp"
    fi
}

absolute_path() {
    echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
}
