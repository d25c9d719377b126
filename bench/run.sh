#!/usr/bin/env bash
# The shopfront benchmark: builds the release binary, seeds 10 k and 1 M products on each
# engine, serves them, drives every route with wrk and writes BENCHMARKS.md.
#
#   bench/run.sh                 # SQLite and PostgreSQL, 10 k and 1 M products
#   bench/run.sh sqlite          # one engine
#
# Settings (environment): SIZES ("10000 1000000"), DURATION (10s), WARMUP (3s),
# ROUNDS (3: how many times the ceiling and the cached catalogue routes are measured, in turn),
# CONNECTIONS (64), FLOOD_CONNECTIONS (64, wrong-password logins), PG_ADMIN_URL (postgres://postgres@127.0.0.1:5432/postgres; its server
# gets a scratch database per size, dropped afterwards), PORT (18080), OUT (BENCHMARKS.md).
#
# On two or more cores the server runs on core 0 and wrk on core 1, so they do not share a
# core; PostgreSQL's own processes are not pinned.
#
# Every wrk run's own output is kept in bench/results/<commit>[-dirty]/ (RESULTS), so each
# figure in the report can be traced to the run that produced it, with the time it started,
# the server's log and the machine's `vmstat` for every second of the run.
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINES=("$@")
[ ${#ENGINES[@]} -eq 0 ] && ENGINES=(sqlite postgres)
SIZES=${SIZES:-"10000 1000000"}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
FLOOD_CONNECTIONS=${FLOOD_CONNECTIONS:-64}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PORT=${PORT:-18080}
# PostgreSQL's log (Debian's pg_ctlcluster writes it here), read to count the statements a
# request runs; without it the count is left out.
PG_LOG=${PG_LOG:-$(ls /var/log/postgresql/postgresql-*-main.log 2>/dev/null | head -1)}
STATEMENT_SAMPLES=${STATEMENT_SAMPLES:-20}
OUT=${OUT:-BENCHMARKS.md}
COMMIT=$(git rev-parse --short HEAD)
DIRTY=""; [ -n "$(git status --porcelain --untracked-files=no)" ] && DIRTY="-dirty"
RESULTS=${RESULTS:-bench/results/$COMMIT$DIRTY}
BASE="http://127.0.0.1:$PORT"
BIN=target/release/shopfront

if ! command -v wrk >/dev/null; then
    echo "installing wrk from Debian's packages"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get install -y wrk >/dev/null
fi
for tool in curl python3 taskset; do
    command -v "$tool" >/dev/null || { echo "bench/run.sh needs $tool" >&2; exit 1; }
done

cargo build --release --quiet

SERVER_CPU=(); WRK_CPU=(); WRK_THREADS=2
if [ "$(nproc)" -ge 2 ]; then
    SERVER_CPU=(taskset -c 0); WRK_CPU=(taskset -c 1)
fi

WORK=$(mktemp -d)
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
SERVER_PID=""; SECOND_PID=""; VMSTAT_PID=""
# The machine's CPU, run queue, I/O and steal every second of the run, so that a row with a
# long tail can be laid against what else the machine was doing at the time.
if command -v vmstat >/dev/null; then
    vmstat -t -w 1 >"$RESULTS/vmstat.txt" &
    VMSTAT_PID=$!
fi
cleanup() {
    [ -n "$VMSTAT_PID" ] && kill "$VMSTAT_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    [ -n "$SECOND_PID" ] && kill "$SECOND_PID" 2>/dev/null && wait "$SECOND_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- wrk scripts -----------------------------------------------------------------------
# Add to cart as many shoppers: each request is one shopper's (a session cookie and its CSRF
# token, from BENCH_SESSIONS) adding one of BENCH_PRODUCTS, in turn.
cat >"$WORK/add.lua" <<'LUA'
local sessions = {}
for line in io.lines(os.getenv("BENCH_SESSIONS")) do
    local cookie, token = line:match("^(.*)\t(.*)$")
    sessions[#sessions + 1] = {cookie = cookie, token = token}
end
local products = {}
for line in io.lines(os.getenv("BENCH_PRODUCTS")) do products[#products + 1] = line end
local n = 0
function setup(thread) thread:set("offset", math.random(#sessions)) end
request = function()
    n = n + 1
    local shopper = sessions[(n + (offset or 0)) % #sessions + 1]
    local product = products[math.floor(n / #sessions) % #products + 1]
    local headers = {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Cookie"] = shopper.cookie,
    }
    return wrk.format("POST", nil, headers,
        "product_id=" .. product .. "&quantity=1&csrf_token=" .. shopper.token)
end
LUA
# GET the same page at ever-new addresses (a query parameter every page ignores), so no
# request is answered from the page cache: what rendering costs.
cat >"$WORK/render.lua" <<'LUA'
local n = 0
function setup(thread) thread:set("id", math.random(1000000)) end
request = function()
    n = n + 1
    local separator = wrk.path:find("?", 1, true) and "&" or "?"
    return wrk.format(nil, wrk.path .. separator .. "bench_render=" .. id .. "-" .. n)
end
LUA
# GET with a fixed session cookie.
cat >"$WORK/cookie.lua" <<'LUA'
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
LUA
# Wrong passwords for ever-new addresses: every attempt is a bcrypt check, none throttled
# by address.
cat >"$WORK/login_flood.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
local token = os.getenv("BENCH_CSRF")
local n = 0
local threads = {}
function setup(thread)
    thread:set("id", math.random(1000000))
    thread:set("counts", {shed = 0, client = 0, account = 0, other429 = 0, checked = 0, other = 0})
    table.insert(threads, thread)
end
-- Each answer counted by what it says: shed before any bcrypt work (the line of password
-- checks is full), refused by a throttle, or checked and refused (400).
local kinds = {"shed", "client", "account", "other429", "checked", "other"}
response = function(status, headers, body)
    local kind = "other"
    if status == 429 then
        if body:find("Too many people are logging in", 1, true) then kind = "shed"
        elseif body:find("Too many failed attempts", 1, true) then kind = "client"
        elseif body:find("paused for everyone", 1, true) then kind = "account"
        else kind = "other429" end
    elseif status == 400 then
        kind = "checked"
    end
    counts[kind] = counts[kind] + 1
end
done = function()
    for _, kind in ipairs(kinds) do
        local total = 0
        for _, thread in ipairs(threads) do total = total + thread:get("counts")[kind] end
        io.write("Answers " .. kind .. ": " .. total .. "\n")
    end
end
request = function()
    n = n + 1
    local body = "email=flood" .. id .. "x" .. n .. "%40example.com&password=wrong-password&csrf_token=" .. token
    -- Every attempt from another address, as a botnet's would be: the server trusts
    -- 127.0.0.1 as its proxy, so no one client reaches the per-client failure limit and
    -- every attempt costs a password check (the worst case, not one sprayer soon refused).
    local headers = {}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    headers["X-Forwarded-For"] = "10." .. (n % 250) .. "." .. (id % 250) .. "." .. (math.floor(n / 250) % 250)
    return wrk.format(nil, nil, headers, body)
end
LUA

# --- helpers ---------------------------------------------------------------------------
# socket_errors WRK_OUTPUT: "errors timeouts" (connect + read + write errors, and timeouts),
# summed over every run the output holds.
socket_errors() {
    awk '/Socket errors:/ {gsub(",", ""); errors += $4 + $6 + $8; timeouts += $10}
         END {print errors + 0, timeouts + 0}' <<<"$1"
}

# keep_raw NAME ADDRESS STARTED: keeps standard input (a measured run's wrk output) in
# RESULTS, headed by what was measured and when; prints the file's path.
keep_raw() {
    local raw="$RESULTS/$ENGINE-$SIZE-$(tr -c 'a-z0-9' '-' <<<"${1,,}" | tr -s '-' | sed 's/-$//').txt"
    { echo "# $ENGINE, $SIZE products: $1"; echo "# $2"; echo "# measured from $3 UTC"; cat; } >"$raw"
    echo "$raw"
}

# requests_a_second: the requests a second of the wrk output on standard input.
requests_a_second() {
    awk '/^Requests\/sec:/ {print $2}'
}

# run_wrk URL [wrk args...]: one warm-up and one measured wrk run of URL; prints the time
# the measured run started (UTC), then its output.
run_wrk() {
    local url=$1; shift
    "${WRK_CPU[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$@" "$url" >/dev/null
    date -u '+%F %T'
    "${WRK_CPU[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$@" "$url"
}

# record NAME RAW OUTPUT: appends the row of a measured wrk run (OUTPUT), whose raw file is
# RAW, and stops the run if any answer was neither 2xx nor 3xx.
record() {
    local name=$1 raw=$2 out=$3
    local rps p50 p99 non2xx errors timeouts
    rps=$(requests_a_second <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
    read -r errors timeouts <<<"$(socket_errors "$out")"
    echo "$ENGINE|$SIZE|$name|$rps|$p50|$p99|${non2xx:-0}|$errors|$timeouts|$(basename "$raw")" >>"$WORK/results"
    printf '  %-34s %10s rps  p50 %-9s p99 %-9s non-2xx/3xx %s  errors %s  timeouts %s\n' \
        "$name" "$rps" "$p50" "$p99" "${non2xx:-0}" "$errors" "$timeouts"
    # Every route measured should succeed: anything else measures a refusal, not the route.
    if [ "${non2xx:-0}" != 0 ]; then
        echo "$name answered ${non2xx} times with neither 2xx nor 3xx (see $raw); stopping" >&2
        exit 1
    fi
}

# measure NAME URL [wrk args...]: one warm-up and one measured wrk run; appends a row and
# keeps the measured run's output in RESULTS.
measure() {
    local name=$1 url=$2; shift 2
    local run out
    run=$(run_wrk "$url" "$@")
    out=$(tail -n +2 <<<"$run")
    record "$name" "$(keep_raw "$name" "$url" "$(head -1 <<<"$run")" <<<"$out")" "$out"
}

# measure_rounds NAME URL [NAME URL ...]: the routes measured ROUNDS times, taking turns
# (warm-up and measured run each time), so that a spell when the machine runs slow lands on
# one round of every route rather than on all of one route. Each row is the route's median
# round; its raw file holds every round.
measure_rounds() {
    local names=() urls=() round i
    while [ $# -gt 0 ]; do names+=("$1"); urls+=("$2"); shift 2; done
    for round in $(seq 1 "$ROUNDS"); do
        echo "  round $round of $ROUNDS"
        for i in "${!names[@]}"; do
            run_wrk "${urls[$i]}" >"$WORK/round-$i-$round.out"
            printf '    %-32s %10s rps\n' "${names[$i]}" \
                "$(requests_a_second <"$WORK/round-$i-$round.out")"
        done
    done
    for i in "${!names[@]}"; do
        local median raw
        # The rounds by requests a second; the middle one (the lower middle of an even count).
        median=$(for round in $(seq 1 "$ROUNDS"); do
            echo "$(requests_a_second <"$WORK/round-$i-$round.out") $round"
        done | sort -g | sed -n "$(( (ROUNDS + 1) / 2 ))p" | cut -d' ' -f2)
        raw=$(for round in $(seq 1 "$ROUNDS"); do
            echo "## round $round of $ROUNDS, measured from $(head -1 "$WORK/round-$i-$round.out") UTC$(
                [ "$round" = "$median" ] && echo " (the median: the row's figures)")"
            tail -n +2 "$WORK/round-$i-$round.out"
        done | keep_raw "${names[$i]}" "${urls[$i]}" "$(head -1 "$WORK/round-$i-1.out")")
        record "${names[$i]}" "$raw" "$(tail -n +2 "$WORK/round-$i-$median.out")"
    done
}

# cookie_header JAR: the cookies of a curl jar as one Cookie header value.
cookie_header() {
    awk 'BEGIN {FS="\t"; sep=""} !/^#/ || /^#HttpOnly_/ { if (NF >= 7) { printf "%s%s=%s", sep, $6, $7; sep="; " } }' "$1"
}

# csrf_of URL JAR: the CSRF token of the first form on URL, with the jar's session.
csrf_of() {
    curl -s -b "$2" -c "$2" "$BASE$1" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'
}

# sql QUERY: the first column of QUERY's rows, one a line, from the database being measured.
sql() {
    if [ "$ENGINE" = sqlite ]; then
        python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('\n'.join(str(r[0]) for r in c.execute(sys.argv[2])))" \
            "$DATA/shopfront.db" "$1"
    else
        psql -Atq "$DATABASE_URL" -c "$1"
    fi
}

# in_stock_ids N: ids of N products on sale with plenty of stock (for the add-to-cart run).
in_stock_ids() {
    sql "SELECT id FROM products WHERE status = 'active' AND stock >= 150 ORDER BY id LIMIT $1"
}

# serve PORT LOG PID_VAR: an instance of the shop on the database being measured, on PORT,
# logging to LOG, its pid in the variable PID_VAR (set at once, for the clean-up); returns
# once it answers.
serve() {
    local port=$1 log=$2
    DATA_DIR="$DATA" DATABASE_URL="$DATABASE_URL" BIND="127.0.0.1:$port" DEMO_DATA=off RUST_LOG=warn \
        TRUSTED_PROXIES=127.0.0.1 \
        MAIL_DIR="$DATA/mail" "${SERVER_CPU[@]}" "$BIN" serve >>"$log" 2>&1 &
    printf -v "$3" '%s' "$!"
    for _ in $(seq 1 100); do
        curl -sf "http://127.0.0.1:$port/robots.txt" >/dev/null && return 0
        sleep 0.1
    done
    echo "the server on $port did not start; its log:" >&2; cat "$log" >&2; exit 1
}

start_server() {
    serve "$PORT" "$WORK/server.log" SERVER_PID
}

# start_second_server: another instance on the same database, on PORT + 1.
start_second_server() {
    serve "$((PORT + 1))" "$WORK/server2.log" SECOND_PID
}

stop_second_server() {
    kill "$SECOND_PID"; wait "$SECOND_PID" 2>/dev/null || true
    SECOND_PID=""
}

# measure_pair NAME PATH [wrk args...]: PATH on both instances at once, half the connections
# each; a row with their summed requests a second, the mean p50 and the worse p99.
measure_pair() {
    local name=$1 path=$2; shift 2
    local half=$((CONNECTIONS / 2)) second="http://127.0.0.1:$((PORT + 1))"
    local first
    "${WRK_CPU[@]}" wrk -t1 -c"$half" -d"$WARMUP" "$@" "$BASE$path" >/dev/null &
    first=$!
    "${WRK_CPU[@]}" wrk -t1 -c"$half" -d"$WARMUP" "$@" "$second$path" >/dev/null
    wait "$first"
    local started
    started=$(date -u '+%F %T')
    "${WRK_CPU[@]}" wrk -t1 -c"$half" -d"$DURATION" --latency "$@" "$BASE$path" >"$WORK/pair-1.out" &
    first=$!
    "${WRK_CPU[@]}" wrk -t1 -c"$half" -d"$DURATION" --latency "$@" "$second$path" >"$WORK/pair-2.out"
    wait "$first"
    local raw
    raw=$(cat "$WORK/pair-1.out" "$WORK/pair-2.out" \
        | keep_raw "$name" "$BASE$path and $second$path" "$started")
    local row
    row=$(python3 - "$WORK/pair-1.out" "$WORK/pair-2.out" <<'PY2'
import re, sys
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
runs = []
for path in sys.argv[1:]:
    out = open(path).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    runs.append((rps, p50, p99, int(non2xx.group(1)) if non2xx else 0))
print(f"{sum(r[0] for r in runs):.2f}|{sum(r[1] for r in runs) / len(runs):.2f}ms|"
      f"{max(r[2] for r in runs):.2f}ms|{sum(r[3] for r in runs)}")
PY2
)
    local rps p50 p99 non2xx
    IFS='|' read -r rps p50 p99 non2xx <<<"$row"
    read -r errors timeouts <<<"$(socket_errors "$(cat "$WORK/pair-1.out" "$WORK/pair-2.out")")"
    echo "$ENGINE|$SIZE|$name|$rps|$p50|$p99|$non2xx|$errors|$timeouts|$(basename "$raw")" >>"$WORK/results"
    printf '  %-34s %10s rps  p50 %-9s p99 %-9s non-2xx/3xx %s\n' "$name" "$rps" "$p50" "$p99" "$non2xx"
    if [ "$non2xx" != 0 ]; then
        echo "$name answered $non2xx times with neither 2xx nor 3xx (see $raw); stopping" >&2
        exit 1
    fi
}

stop_server() {
    grep VmHWM "/proc/$SERVER_PID/status" | awk '{print $2}' >"$WORK/hwm"
    kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# log_lines: the lines PostgreSQL's log holds, once it has stopped growing (another process
# writes it).
log_lines() {
    local lines
    for _ in $(seq 1 20); do
        lines=$(wc -l <"$PG_LOG"); sleep 0.1
        [ "$(wc -l <"$PG_LOG")" = "$lines" ] && break
    done
    wc -l <"$PG_LOG"
}

# statements_since LINE: the statements of the measured database the log holds after LINE.
statements_since() {
    tail -n +"$(($1 + 1))" "$PG_LOG" | grep -c "@$DB LOG:  \(statement\|execute\)" || true
}

# statements NAME URL [curl args...]: the statements PostgreSQL ran per request of URL: in
# the steady state (after two warm-up requests), and per render (each request with a query
# parameter of its own, which no cache holds and every page ignores), from its log (PG_LOG).
statements() {
    local name=$1 url=$2; shift 2
    curl -s -o /dev/null "$@" "$url"; curl -s -o /dev/null "$@" "$url"
    local start steady rendered separator="?"
    start=$(log_lines)
    for _ in $(seq 1 "$STATEMENT_SAMPLES"); do curl -s -o /dev/null "$@" "$url"; done
    steady=$(statements_since "$start")
    case "$url" in *'?'*) separator="&" ;; esac
    start=$(log_lines)
    for n in $(seq 1 "$STATEMENT_SAMPLES"); do curl -s -o /dev/null "$@" "$url${separator}bench_render=$n"; done
    rendered=$(statements_since "$start")
    local counts
    counts=$(python3 -c "print(f'{$steady / $STATEMENT_SAMPLES:.1f} / {$rendered / $STATEMENT_SAMPLES:.1f}')")
    echo "$ENGINE|$SIZE|$name|$counts" >>"$WORK/statements"
    printf '  %-34s %s statements a request (steady / rendered)\n' "$name" "$counts"
}

# --- the runs --------------------------------------------------------------------------
: >"$WORK/results"; : >"$WORK/seeding"; : >"$WORK/rss"
for ENGINE in "${ENGINES[@]}"; do
    for SIZE in $SIZES; do
        DATA="$WORK/$ENGINE-$SIZE"; mkdir -p "$DATA"
        if [ "$ENGINE" = sqlite ]; then
            DATABASE_URL="sqlite://$DATA/shopfront.db"
        else
            DB="shopfront_bench_$SIZE"
            psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
            DATABASE_URL="${PG_ADMIN_URL%/*}/$DB"
        fi
        echo "== $ENGINE, $SIZE products: seeding"
        start=$(date +%s.%N)
        DATA_DIR="$DATA" DATABASE_URL="$DATABASE_URL" DEMO_DATA=off RUST_LOG=warn \
            "$BIN" seed-bench --products "$SIZE" >/dev/null
        echo "$ENGINE|$SIZE|$(python3 -c "print(f'{$(date +%s.%N) - $start:.0f}')")" >>"$WORK/seeding"
        start_server

        # A category in the middle of the menu, and a deep page of it reached by a typed
        # page number once, then by the keyset link a visitor follows from there.
        CATEGORY=$(curl -s "$BASE/" | grep -o 'href="/products?category=[a-z0-9-]*"' | sed -n 10p | sed 's/.*category=//; s/"$//')
        TOTAL_PAGES=$(curl -s "$BASE/products?category=$CATEGORY" | grep -o 'Page [0-9,]* of [0-9,]*' | head -1 | sed 's/.* of //' | tr -dc 0-9)
        DEEP_PAGE=$(( ${TOTAL_PAGES:-2} * 2 / 5 ))
        [ "$DEEP_PAGE" -lt 2 ] && DEEP_PAGE=2
        DEEP_TYPED="/products?category=$CATEGORY&page=$DEEP_PAGE"
        DEEP_LINK=$(curl -s "$BASE$DEEP_TYPED" | grep -o 'href="/products?[^"]*after=[0-9]*"' | head -1 | sed 's/^href="//; s/"$//; s/&amp;/\&/g; s/&#38;/\&/g')
        # An entity left in the link would make curl and wrk fetch page 1 instead.
        case "$DEEP_LINK" in
            '' | *'#'*) echo "no usable next link on $DEEP_TYPED: '$DEEP_LINK'" >&2; exit 1 ;;
        esac
        # The newest product without reviews or photos, as most are, and the best-rated
        # product: a page with reviews to read and show (every size has both).
        PRODUCT=$(sql "SELECT id FROM products WHERE status = 'active' AND rating_count = 0 AND image IS NULL ORDER BY id DESC LIMIT 1")
        REVIEWED=$(curl -s "$BASE/products?sort=rating" | grep -o 'href="/products/[0-9]*"' | sed -n 1p | tr -dc 0-9)

        # A session with three lines in its cart.
        JAR="$WORK/cart.jar"; rm -f "$JAR"
        TOKEN=$(csrf_of "/products/$PRODUCT" "$JAR")
        for id in $(in_stock_ids 3); do
            curl -s -o /dev/null -b "$JAR" -c "$JAR" -d "product_id=$id&quantity=2&csrf_token=$TOKEN" "$BASE/cart/items"
        done
        CART_COOKIE=$(cookie_header "$JAR")
        # Each line has one "remove" form: the page measured must hold exactly three.
        CART_LINES=$(curl -s -H "Cookie: $CART_COOKIE" "$BASE/cart" | grep -c 'class="remove"' || true)
        if [ "$CART_LINES" != 3 ]; then
            echo "the cart set-up left $CART_LINES lines, not 3; the server's log:" >&2
            cat "$WORK/server.log" >&2; exit 1
        fi
        # One shopper per connection, each with a session and a cart, adding 50 products in
        # turn: every line stays under the 99 a line may hold, every cart under CART_MAX_LINES.
        in_stock_ids 50 >"$WORK/add-products"
        : >"$WORK/add-sessions"
        for n in $(seq 1 "$CONNECTIONS"); do
            jar="$WORK/add-$n.jar"; rm -f "$jar"
            token=$(csrf_of "/products/$PRODUCT" "$jar")
            # The first add starts the guest cart and the session wrk then reuses.
            curl -s -o /dev/null -b "$jar" -c "$jar" \
                -d "product_id=$(in_stock_ids 1)&quantity=1&csrf_token=$token" "$BASE/cart/items"
            printf '%s\t%s\n' "$(cookie_header "$jar")" "$token" >>"$WORK/add-sessions"
        done

        # A visitor's copy of the product page, which it offers again (If-None-Match): the
        # tag covers the browser's form token, so the copy is fetched with its cookie.
        COPY_JAR="$WORK/copy.jar"; rm -f "$COPY_JAR"
        curl -s -o /dev/null -b "$COPY_JAR" -c "$COPY_JAR" "$BASE/products/$PRODUCT"
        COPY_COOKIE=$(cookie_header "$COPY_JAR")
        COPY_TAG=$(curl -s -D - -o /dev/null -H "Cookie: $COPY_COOKIE" "$BASE/products/$PRODUCT" \
            | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}')
        COPY_STATUS=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COPY_COOKIE" \
            -H "If-None-Match: $COPY_TAG" "$BASE/products/$PRODUCT")
        if [ -z "$COPY_TAG" ] || [ "$COPY_STATUS" != 304 ]; then
            echo "the product page offered with its tag '$COPY_TAG' answered $COPY_STATUS, not 304" >&2
            exit 1
        fi

        if [ "$ENGINE" = postgres ] && [ -r "${PG_LOG:-}" ]; then
            echo "== $ENGINE, $SIZE products: counting statements (log: $PG_LOG)"
            stop_server
            psql -q "$PG_ADMIN_URL" -c "ALTER DATABASE $DB SET log_statement = 'all'"
            start_server
            statements "GET /" "$BASE/"
            statements "GET /products" "$BASE/products"
            statements "GET category with 3 levels of children" "$BASE/products?category=outdoor"
            statements "GET deep category page (link)" "$BASE$DEEP_LINK"
            statements "GET deep category page (typed)" "$BASE$DEEP_TYPED"
            statements "GET /products/{id}" "$BASE/products/$PRODUCT"
            statements "GET /products/{id} with reviews" "$BASE/products/$REVIEWED"
            statements "GET /products/{id} unchanged (304)" "$BASE/products/$PRODUCT" \
                -H "Cookie: $COPY_COOKIE" -H "If-None-Match: $COPY_TAG"
            statements "GET /products?q= rare word" "$BASE/products?q=quokka"
            statements "GET /products?q= common word" "$BASE/products?q=durable"
            statements "GET /cart (3 lines)" "$BASE/cart" -H "Cookie: $CART_COOKIE"
            IFS=$'\t' read -r ADD_COOKIE ADD_TOKEN <"$WORK/add-sessions"
            statements "POST /cart/items (add)" "$BASE/cart/items" -H "Cookie: $ADD_COOKIE" \
                -d "product_id=$(head -1 "$WORK/add-products")&quantity=1&csrf_token=$ADD_TOKEN"
            stop_server
            psql -q "$PG_ADMIN_URL" -c "ALTER DATABASE $DB RESET log_statement"
            start_server
        fi

        echo "== $ENGINE, $SIZE products: measuring ($CONNECTIONS connections, $DURATION per route)"
        "${WRK_CPU[@]}" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"$WARMUP" "$BASE/products" >/dev/null
        # The ceiling and the catalogue routes whose figures are compared across sizes and
        # engines, in rounds; the rest once each.
        measure_rounds "GET /robots.txt (ceiling)" "$BASE/robots.txt" \
            "GET /" "$BASE/" \
            "GET /products" "$BASE/products" \
            "GET category with 3 levels of children" "$BASE/products?category=outdoor" \
            "GET deep category page (link)" "$BASE$DEEP_LINK" \
            "GET deep category page (typed)" "$BASE$DEEP_TYPED" \
            "GET /products/{id}" "$BASE/products/$PRODUCT" \
            "GET /products/{id} with reviews" "$BASE/products/$REVIEWED" \
            "GET /products?q= rare word" "$BASE/products?q=quokka" \
            "GET /products?q= common word" "$BASE/products?q=durable"
        measure "GET /products rendered (no cached page)" "$BASE/products" -s "$WORK/render.lua"
        measure "GET /products/{id} rendered (no cached page)" "$BASE/products/$PRODUCT" -s "$WORK/render.lua"
        measure "GET deep category page (typed) rendered (no cached page)" "$BASE$DEEP_TYPED" -s "$WORK/render.lua"
        # Search as a visitor meets it without a cached page: the ranking is kept, the page
        # is not (issue 21, target 5).
        measure "GET /products?q= rare word rendered (no cached page)" "$BASE/products?q=quokka" -s "$WORK/render.lua"
        measure "GET /products?q= common word rendered (no cached page)" "$BASE/products?q=durable" -s "$WORK/render.lua"
        measure "GET /products?q= common word, page 10 rendered (no cached page)" "$BASE/products?q=durable&page=10" -s "$WORK/render.lua"
        measure "GET /products?q= two words rendered (no cached page)" "$BASE/products?q=durable+compact" -s "$WORK/render.lua"
        measure "GET /products?q= two words, page 10 rendered (no cached page)" "$BASE/products?q=durable+compact&page=10" -s "$WORK/render.lua"
        measure "GET /products/{id} unchanged (304)" "$BASE/products/$PRODUCT" \
            -H "Cookie: $COPY_COOKIE" -H "If-None-Match: $COPY_TAG"
        BENCH_COOKIE="$CART_COOKIE" measure "GET /cart (3 lines)" "$BASE/cart" -s "$WORK/cookie.lua"
        BENCH_SESSIONS="$WORK/add-sessions" BENCH_PRODUCTS="$WORK/add-products" \
            measure "POST /cart/items (add)" "$BASE/cart/items" -s "$WORK/add.lua"

        # A second instance on the same PostgreSQL, on the same core as the first: both are
        # driven at once, half the connections each, and their requests a second summed.
        if [ "$ENGINE" = postgres ]; then
            start_second_server
            measure_pair "GET /products, two instances (summed)" "/products"
            measure_pair "GET /products/{id}, two instances (summed)" "/products/$PRODUCT"
            measure_pair "GET /products rendered, two instances (summed)" "/products" -s "$WORK/render.lua"
            stop_second_server
        fi

        # /products again while wrong-password logins flood in on more connections than the
        # password checks may queue, so some are shed. The flood's baseline is measured right
        # before it, after the cart's writes, so the two differ only by the flood (the first
        # /products row ran on a fresh server minutes earlier).
        measure "GET /products just before the login flood" "$BASE/products"
        FLOOD_JAR="$WORK/flood.jar"; rm -f "$FLOOD_JAR"
        FLOOD_CSRF=$(csrf_of "/login" "$FLOOD_JAR")
        BENCH_COOKIE=$(cookie_header "$FLOOD_JAR") BENCH_CSRF="$FLOOD_CSRF" \
            "${WRK_CPU[@]}" wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$(( ${DURATION%s} + ${WARMUP%s} + 2 ))s" --latency \
            -s "$WORK/login_flood.lua" "$BASE/login" >"$WORK/flood.out" &
        FLOOD_PID=$!
        measure "GET /products during a login flood" "$BASE/products"
        wait "$FLOOD_PID"
        cp "$WORK/flood.out" "$RESULTS/$ENGINE-$SIZE-login-flood.txt"
        flood_rps=$(requests_a_second <"$WORK/flood.out")
        answers() { awk -v k="$1" '$1 == "Answers" && $2 == k ":" {print $3}' "$WORK/flood.out"; }
        read -r flood_errors flood_timeouts <<<"$(socket_errors "$(cat "$WORK/flood.out")")"
        echo "  login flood: $flood_rps attempts/s; shed $(answers shed), per-client $(answers client)," \
            "per-account $(answers account), other 429 $(answers other429), checked $(answers checked)," \
            "other $(answers other), socket errors $flood_errors, timeouts $flood_timeouts"
        echo "$ENGINE|$SIZE|$flood_rps|$(answers shed)|$(answers client)|$(answers account)|$(answers other429)|$(answers checked)|$(answers other)|$flood_errors|$flood_timeouts" >>"$WORK/flood"

        stop_server
        # What the server logged (warnings and errors), kept with the runs it served.
        mv "$WORK/server.log" "$RESULTS/$ENGINE-$SIZE-server.log"
        echo "$ENGINE|$SIZE|$(cat "$WORK/hwm")" >>"$WORK/rss"
        [ "$ENGINE" = postgres ] && psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB"
    done
done

# --- the report ------------------------------------------------------------------------
python3 - "$WORK" "$OUT" "$DURATION" "$CONNECTIONS" "${#SERVER_CPU[@]}" "$FLOOD_CONNECTIONS" "$RESULTS" "$COMMIT" "$DIRTY" "$ROUNDS" <<'PY'
import os, platform, subprocess, sys
from collections import defaultdict

work, out, duration, connections, pinned, flood_connections, raw_dir, commit, dirty, rounds = sys.argv[1:11]

def rows(name):
    path = os.path.join(work, name)
    if not os.path.exists(path):
        return []
    return [line.rstrip("\n").split("|") for line in open(path) if line.strip()]

def ms(text):
    units = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for unit in ("us", "ms", "s"):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * units[unit]
    return float("nan")

results = defaultdict(dict)
order = []
for engine, size, route, rps, p50, p99, non2xx, errors, timeouts, raw in rows("results"):
    results[(engine, int(size))][route] = (float(rps), ms(p50), ms(p99), int(non2xx), int(errors), int(timeouts), raw)
    if route not in order:
        order.append(route)
seeding = {(e, int(s)): t for e, s, t in rows("seeding")}
rss = {(e, int(s)): int(kb) for e, s, kb in rows("rss")}
flood = {(e, int(s)): [r] + [int(x or 0) for x in rest] for e, s, r, *rest in rows("flood")}
statements = {(e, int(s), route): n for e, s, route, n in rows("statements")}

cpu = "unknown"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
mem_kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
sqlite_version = "bundled SQLite"
pg_version = subprocess.run(["psql", "-Atq", os.environ.get("PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
                             "-c", "SHOW server_version"], capture_output=True, text=True).stdout.strip()

lines = []
w = lines.append
w("# Benchmarks")
w("")
w("Written by `bench/run.sh` (see README.md, \"Speed\"). Do not edit by hand.")
w("")
w(f"- machine: {cpu}, {os.cpu_count()} cores, {mem_kb // 1024} MiB RAM, {platform.system()} {platform.release()}")
w(f"- commit: {commit}" + (" with uncommitted changes (dirty tree)" if dirty else ", clean tree") + "; release build")
w(f"- raw output of every wrk run: `{raw_dir}/` (the file named in each row)")
w(f"- load: wrk, {connections} keep-alive connections, {duration} per route after a warm-up; "
  + f"the ceiling and the cached catalogue routes (the first rows) {rounds} times each, taking turns, "
  + "each row the median round (all rounds in its raw file); "
  + ("server pinned to core 0, wrk to core 1" if pinned != "0" else "server and wrk not pinned (one core)"))
w(f"- engines: SQLite ({sqlite_version}, WAL, file under a temporary DATA_DIR); PostgreSQL {pg_version or '(not run)'} on the same machine, not pinned")
w("- statements a request (PostgreSQL): what the server's log shows it ran per request of the route (each a round trip), with a server started for the count: steady, after two warm-up requests of the same address; rendered, each request with a query parameter of its own, which no cache holds; vs SQLite: the route's requests per second over the same route's on SQLite at the same size")
w("- ratio: the route's requests per second over the ceiling's (`GET /robots.txt`, served from memory by the same binary) in the same run; vs 10 k: its requests per second at this size over the same route's at 10 k products")
w("")
for (engine, size) in sorted(results, key=lambda k: (k[0] != "sqlite", k[1])):
    table = results[(engine, size)]
    ceiling = table.get("GET /robots.txt (ceiling)", (float("nan"),))[0]
    small = results.get((engine, min(s for e, s in results if e == engine)), {})
    w(f"## {engine}, {size:,} products")
    w("")
    w(f"Seeded in {seeding.get((engine, size), '?')} s. Peak RSS of the server (VmHWM) after all runs: "
      f"{rss.get((engine, size), 0) / 1024:.1f} MiB.")
    w("")
    w("| route | req/s | p50 ms | p99 ms | ratio to ceiling | vs 10 k | vs SQLite | statements a request (steady / rendered) | non-2xx/3xx | socket errors | timeouts | raw |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for route in order:
        if route not in table:
            continue
        rps, p50, p99, non2xx, errors, timeouts, raw = table[route]
        base = small.get(route)
        versus = f"{rps / base[0]:.0%}" if base and size != min(s for e, s in results if e == engine) else ""
        lite = results.get(("sqlite", size), {}).get(route)
        vs_sqlite = f"{rps / lite[0]:.0%}" if engine != "sqlite" and lite else ""
        count = statements.get((engine, size, route), "")
        w(f"| {route} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {rps / ceiling:.2f} | {versus} | {vs_sqlite} | {count} | {non2xx} | {errors} | {timeouts} | {raw} |")
    if (engine, size) in flood:
        r, shed, client, account, other429, checked, other, errors, timeouts = flood[(engine, size)]
        total = shed + client + account + other429 + checked + other
        quiet = table.get("GET /products just before the login flood", (0, 0, float("nan")))[2]
        loud = table.get("GET /products during a login flood", (0, 0, float("nan")))[2]
        w("")
        w(f"Login flood (`{engine}-{size}-login-flood.txt`): {float(r):,.0f} wrong-password attempts/s from "
          f"{flood_connections} more connections, each from a new forwarded address. Of {total:,} answers: "
          f"{shed:,} shed with 429 before any bcrypt work (the line of password checks full), "
          f"{client:,} refused with 429 by the per-client throttle, {account:,} by the per-account one, "
          f"{other429:,} other 429, {checked:,} checked and refused (400), {other:,} other; "
          f"{errors:,} socket errors, {timeouts:,} timeouts. "
          f"`/products` p99 {loud:.2f} ms during the flood against "
          f"{quiet:.2f} ms without the flood just before it ({loud / quiet:.2f}x).")
    w("")
text = "\n".join(lines)
open(out, "w").write(text)
print(text)
PY
python3 bench/targets.py "$OUT"
