#!/usr/bin/env bash
# Follows the README's "Production deployment" steps literally, on a scratch database, with
# throwaway values for its variables; checks that `check --deploy` is silent; serves gunicorn
# with DEBUG off on a free port (and starts the worker and beat as written) and opens a
# dashboard in Chromium as a manager, asserting that chart.js drew the chart from the app's own
# static files. Run by .ci/run after `make test`.
#
# The steps are read from the README's code block, not copied here: a step added there is run
# here (and an environment variable added to its `export` line that this script has no
# throwaway value for stops it, in one line).
#
#   SMOKE_DATABASE_URL  scratch database, dropped and created (postgres://postgres@127.0.0.1:5432/cartera_smoke)
#   SMOKE_REDIS_URL     broker for the run (redis://127.0.0.1:6379/14)
#   SMOKE_VENV          where `pip`, `python`, `gunicorn` and `celery` come from (.venv)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${SMOKE_VENV:-$ROOT/.venv}
export PATH="$VENV/bin:$PATH"
SMOKE_DATABASE_URL=${SMOKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/cartera_smoke}
SMOKE_REDIS_URL=${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/14}
CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}

say() { echo "smoke: $*"; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# The README's steps, one command a line (continuations joined, comments dropped).
python - "$ROOT/README.md" >"$work/steps" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
section = text.split("\n## Production deployment\n", 1)[1].split("\n## ", 1)[0]
block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
for line in block.replace("\\\n", " ").splitlines():
    line = re.sub(r"\s+#.*$", "", line).strip()
    if line:
        print(re.sub(r"\s+", " ", line))
EOF
[ -s "$work/steps" ] || { say "no steps found in the README's production section"; exit 1; }

# Throwaway values for every variable the README exports.
declare -A throwaway=(
  [DEBUG]=false
  [SECRET_KEY]="smoke-$(python -c 'import secrets; print(secrets.token_urlsafe(40))')"
  [ALLOWED_HOSTS]=127.0.0.1
  [CSRF_TRUSTED_ORIGINS]="http://127.0.0.1:$port"
  [DATABASE_URL]="$SMOKE_DATABASE_URL"
  [REDIS_URL]="$SMOKE_REDIS_URL"
  [EMAIL_URL]="consolemail://"
  [TIME_ZONE]=America/Mexico_City
)
# Static files land in the scratch folder, not in the working tree's staticfiles/.
export STATIC_ROOT="$work/static" MEDIA_ROOT="$work/media"

python - "$SMOKE_DATABASE_URL" <<'EOF'
import sys
from urllib.parse import urlsplit
import psycopg
url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.execute(f'CREATE DATABASE "{name}"')
EOF
say "scratch database ${SMOKE_DATABASE_URL##*/}, port $port"

start() {  # a long-running step, in the background, its output in the scratch folder
  local name=$1; shift
  say "\$ $*  (background)"
  "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}

while IFS= read -r step; do
  read -r -a words <<<"$step"
  case "${words[0]}" in
    export)
      for assignment in "${words[@]:1}"; do
        name=${assignment%%=*}
        [ -n "${throwaway[$name]+set}" ] || { say "README exports $name: give it a throwaway value here"; exit 1; }
        export "$name=${throwaway[$name]}"
      done
      say "exported ${!throwaway[*]} (throwaway values)"
      ;;
    gunicorn)
      start gunicorn bash -c "${step//127.0.0.1:8000/127.0.0.1:$port}"
      ;;
    celery)
      # beat keeps its schedule file in the scratch folder, not in the working tree
      extra=""; [ "${words[3]}" = beat ] && extra=" --schedule=$work/celerybeat-schedule"
      start "celery-${words[3]}" bash -c "$step$extra"
      ;;
    *)
      say "\$ $step"
      bash -c "$step" >"$work/step.log" 2>&1 || { cat "$work/step.log"; say "step failed: $step"; exit 1; }
      ;;
  esac
  if [[ "$step" == *"collectstatic"* ]]; then
    # The README's promise under its configuration table, before anything is served.
    out=$(python manage.py check --deploy 2>&1) || { echo "$out"; exit 1; }
    [ "$out" = "System check identified no issues (0 silenced)." ] \
      || { echo "$out"; say "check --deploy is not silent"; exit 1; }
    say "check --deploy: silent"
    # Smoke-only data: the demo users (manager / cartera-demo) and a book for the charts.
    python manage.py seed_demo --clients 40 >/dev/null
  fi
done <"$work/steps"

grep -q '^gunicorn' "$work/steps" || { say "the README starts no gunicorn"; exit 1; }
python - "$port" <<'EOF'
import socket, sys, time
for _ in range(120):
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        break
    except OSError:
        time.sleep(0.5)
EOF

status=0
python - "http://127.0.0.1:$port" "$CHROMIUM" <<'EOF' || status=$?
"""As the demo manager, behind a TLS proxy (X-Forwarded-Proto), open the renewal dashboard."""
import sys
from playwright.sync_api import sync_playwright

base, chromium = sys.argv[1], sys.argv[2]
with sync_playwright() as pw:
    browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                 args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
    context = browser.new_context(base_url=base, locale="en-US",
                                  extra_http_headers={"X-Forwarded-Proto": "https"})
    context.set_default_timeout(15_000)
    page = context.new_page()
    foreign, errors, failed = [], [], []
    page.on("request", lambda r: r.url.startswith((base, "data:", "blob:")) or foreign.append(r.url))
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    health = page.request.get("/healthz")
    assert health.status == 200, f"/healthz answered {health.status}: {health.text()}"
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("manager")
    page.get_by_label("Password").fill("cartera-demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto("/reports/renewals/")
    canvas = page.locator("canvas[id^=chart-]").first
    canvas.wait_for()
    canvas_id = canvas.get_attribute("id")
    page.wait_for_function(
        "id => typeof Chart !== 'undefined' && Chart.getChart(document.getElementById(id))",
        arg=canvas_id)
    drawn = page.evaluate(
        """id => { const c = document.getElementById(id);
                   const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < px.length; i += 4) if (px[i]) n++;
                   return {width: c.width, height: c.height, painted: n}; }""", canvas_id)
    script = page.locator("script[src*='vendor/chartjs/']").get_attribute("src")
    browser.close()
assert drawn["width"] > 0 and drawn["painted"] > 100, f"the chart is blank: {drawn}"
assert ".min." in script and script.count(".") >= 3, f"chart.js not from the manifest: {script}"
assert not foreign, f"the page asked other hosts: {foreign}"
assert not errors, f"browser errors: {errors}"
assert not failed, f"failed responses: {failed}"
print(f"smoke: the dashboard drew #{canvas_id} ({drawn['painted']} pixels) with {script}")
EOF
for pid in "${pids[@]}"; do
  kill -0 "$pid" 2>/dev/null || { status=1; say "a background process (pid $pid) has died"; }
done
if [ "$status" -ne 0 ]; then
  for log in "$work"/*.log; do echo "--- $log"; tail -n 40 "$log"; done
  exit "$status"
fi
python - "$SMOKE_DATABASE_URL" <<'EOF'
import sys
from urllib.parse import urlsplit
import psycopg
url = urlsplit(sys.argv[1])
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
    conn.execute(f'DROP DATABASE IF EXISTS "{url.path.lstrip("/")}" WITH (FORCE)')
EOF
say "the README's production steps work"
