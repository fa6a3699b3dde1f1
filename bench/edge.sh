#!/usr/bin/env bash
# WebSocket relay benchmark: the same echo origin reached directly, through nginx and through
# the edge, all on 127.0.0.1, measured by the same client (bench/ws-load). Then the cost of a
# failover: handshakes and plain GETs (wrk) through each proxy when the first origin of the
# group is dead, next to plain GETs with it alive. Then wss://: the same echo and handshakes
# over TLS through nginx and through the edge, both with one certificate made here (openssl).
# Prints markdown tables.
#
#   bench/edge.sh                 # about 2 to 3 minutes once built
#   SECONDS_PER_TEST=10 bench/edge.sh
#
# Needs root only to install nginx when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SECS=${SECONDS_PER_TEST:-8}
ORIGIN=127.0.0.1:19090
EDGE=127.0.0.1:19080
EDGE_ADMIN=127.0.0.1:19082
NGINX=127.0.0.1:19081
# nginx's failover upstream (a dead first server) and its plain-request proxy (bench/nginx.conf).
NGINX_FAILOVER=127.0.0.1:19083
NGINX_ALIVE=127.0.0.1:19084
# HTTPS (wss://) through nginx and through the edge.
NGINX_TLS=127.0.0.1:19085
EDGE_TLS=127.0.0.1:19086
HOST=bench.example
# The edge's resource whose origin group starts with DEAD, a closed port: every connection to it
# is refused at once (no timeout), and the echo origin, its backup, serves.
FAILOVER_HOST=failover.example
DEAD=127.0.0.1:19091

# Each idle tunnel costs a proxy two descriptors, and the limit cannot rise above the hard one;
# so the idle test shrinks (to a round number) where 10,000 tunnels would not fit.
ulimit -n "$(ulimit -Hn)"
IDLE=${IDLE_CONNECTIONS:-10000}
fit=$(( ($(ulimit -n) - 200) / 2 / 100 * 100 ))
if (( IDLE > fit )); then
    echo "note: open-file limit $(ulimit -n) allows $fit idle tunnels per proxy, not $IDLE" >&2
    IDLE=$fit
fi

if ! command -v nginx >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nginx >/dev/null
fi
cargo build --release -q -p cdn-edge -p echo-origin -p ws-load
BIN=$PWD/target/release

WORK=$(mktemp -d /tmp/edge-bench.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Until an address answers HTTP, or give up after 10 s.
wait_http() {
    for _ in $(seq 100); do
        curl -fs -o /dev/null -H "Host: $HOST" "http://$1/" && return 0
        sleep 0.1
    done
    echo "nothing answers on $1" >&2
    tail -n 5 "$WORK"/*.log "$WORK"/nginx/*.log >&2 || true
    exit 1
}

if (exec 3<>"/dev/tcp/${DEAD%:*}/${DEAD#*:}") 2>/dev/null; then
    echo "something listens on $DEAD, which must be a closed port" >&2
    exit 1
fi

# One certificate for both proxies, made now (never checked in): a CA of the run's own and an
# ECDSA P-256 certificate it signs for $HOST, as a customer would upload.
mkdir -p "$WORK/tls" "$WORK/nginx"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=edge bench CA" \
    -keyout "$WORK/tls/ca.key" -out "$WORK/tls/ca.crt" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$HOST" \
    -keyout "$WORK/tls/tls.key" -out "$WORK/tls/tls.csr" 2>/dev/null
openssl x509 -req -in "$WORK/tls/tls.csr" -CA "$WORK/tls/ca.crt" -CAkey "$WORK/tls/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$HOST") \
    -out "$WORK/tls/tls.crt" 2>/dev/null
cat "$WORK/tls/tls.crt" "$WORK/tls/ca.crt" >"$WORK/nginx/tls.crt"
cp "$WORK/tls/tls.key" "$WORK/nginx/tls.key"
# A PEM file as a JSON string's contents: each line break written \n.
json_pem() { awk 'BEGIN { ORS = "\\n" } { print }' "$1"; }

ECHO_ORIGIN_LISTEN=$ORIGIN "$BIN/echo-origin" 2>"$WORK/origin.log" &
ORIGIN_PID=$!; PIDS+=("$ORIGIN_PID")

# The edge starts from its saved configuration and keeps serving it while the portal (a closed
# port here) cannot be reached; the format is the edge-feed crate's ConfigUpdate (feed/src/lib.rs).
cat >"$WORK/edge-state.json" <<EOF
{"version": 1, "full": true, "resources": [
  {"id": 1, "domain": "$HOST", "origin": "$ORIGIN", "websockets": true, "tls": {"id": 1,
   "certificate_chain": "$(json_pem "$WORK/nginx/tls.crt")", "private_key": "$(json_pem "$WORK/tls/tls.key")"}},
  {"id": 2, "domain": "$FAILOVER_HOST", "origin": "$DEAD", "websockets": true, "origin_group": {"id": 2,
   "sources": [{"source": "$DEAD", "backup": false}, {"source": "$ORIGIN", "backup": true}],
   "use_next": false, "proxy_next_upstream": []}}
], "removed": []}
EOF
# EDGE_ORIGIN_FAIL_MS=0: the dead origin is never skipped, so every request to the failover
# resource pays one failover, as nginx's max_fails=0 does; the other resource has one origin,
# which never fails, so it is not concerned. RUST_LOG=error: each failover logs a warning.
EDGE_LISTEN=$EDGE EDGE_TLS_LISTEN=$EDGE_TLS EDGE_ADMIN_LISTEN=$EDGE_ADMIN EDGE_PORTAL_URL=http://127.0.0.1:19099 \
    EDGE_FEED_TOKEN=bench-token-not-a-secret EDGE_ID=bench EDGE_STATE_FILE="$WORK/edge-state.json" \
    EDGE_TUNNEL_IDLE_MS=3600000 EDGE_ORIGIN_FAIL_MS=0 RUST_LOG=error "$BIN/cdn-edge" 2>"$WORK/edge.log" &
EDGE_PID=$!; PIDS+=("$EDGE_PID")

# From a copy beside the certificate, which nginx finds relative to its configuration file.
cp bench/nginx.conf "$WORK/nginx/nginx.conf"
nginx -p "$WORK/nginx/" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!; PIDS+=("$NGINX_PID")

wait_http "$ORIGIN"; wait_http "$NGINX"; wait_http "$EDGE"; wait_http "$NGINX_FAILOVER"; wait_http "$NGINX_ALIVE"
curl -fs -H "Host: $HOST" "http://$EDGE/" | grep -q '^echo-origin: GET /' \
    || { echo "the edge does not route $HOST to the echo origin" >&2; exit 1; }
for through in "$EDGE_TLS" "$NGINX_TLS"; do
    for _ in $(seq 100); do
        curl -fs -o /dev/null --cacert "$WORK/tls/ca.crt" --resolve "$HOST:${through#*:}:127.0.0.1" \
            "https://$HOST:${through#*:}/" && break
        sleep 0.1
    done
    curl -fs --cacert "$WORK/tls/ca.crt" --resolve "$HOST:${through#*:}:127.0.0.1" "https://$HOST:${through#*:}/" \
        | grep -q '^echo-origin: GET /' || { echo "$through does not serve https://$HOST/" >&2; exit 1; }
done
for through in "$EDGE" "$NGINX_FAILOVER"; do
    curl -fs -H "Host: $FAILOVER_HOST" "http://$through/" | grep -q '^echo-origin: GET /' \
        || { echo "$through does not fail over to the echo origin" >&2; exit 1; }
done
NGINX_WORKERS=$(tr ' ' ',' <"/proc/$NGINX_PID/task/$NGINX_PID/children" | sed 's/,*$//')

declare -A R  # R[path.key] = value
# Runs ws-load, keeps its key=value line under the path's name, shows the human line.
run() {
    local path=$1; shift
    local out
    out=$("$BIN/ws-load" "$@" --host "${RUN_HOST:-$HOST}")
    grep '^#' <<<"$out" | sed "s/^#/  $path:/" >&2
    for pair in $(grep -v '^#' <<<"$out"); do R[$path.${pair%%=*}]=${pair#*=}; done
}

declare -A URL=([direct]=ws://$ORIGIN/ [nginx]=ws://$NGINX/ [edge]=ws://$EDGE/)
# The process measured for CPU and memory: the server the client talks to.
declare -A MEASURED=([direct]=$ORIGIN_PID [nginx]=$NGINX_WORKERS [edge]=$EDGE_PID)
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
# Paths take turns within each test, so that other work on the machine drifting in or out
# skews all three alike. Direct's idle test runs first, while the origin's heap is still fresh.
for test in small large hs idle; do
    for path in direct nginx edge; do
        common=(--url "${URL[$path]}" --pids "${MEASURED[$path]}")
        case $test in
            small) run "$path.$test" echo "${common[@]}" --connections 100 --size 20 --seconds "$SECS" ;;
            large) run "$path.$test" echo "${common[@]}" --connections 20 --size 16384 --seconds "$SECS" ;;
            hs) run "$path.$test" handshakes "${common[@]}" --concurrency 20 --seconds "$SECS" ;;
            idle) run "$path.$test" idle "${common[@]}" --connections "$IDLE" --hold-seconds 5 ;;
        esac
        # Let closed connections drain before the next run.
        sleep 1
    done
done

# wrk's latencies (950.12us, 1.23ms, 2.00s) in whole microseconds.
micros() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /ms$/) n *= 1000; else if (v !~ /us$/ && v ~ /s$/) n *= 1000000; printf "%.0f", n }'; }
# wrk with 20 connections for SECS on one URL and Host: requests/s, p50, p99, and failures
# (socket errors and answers other than 2xx or 3xx) under the path's name.
plain() {
    local path=$1 url=$2 host=$3 out
    out=$(wrk -t2 -c20 -d"${SECS}s" --latency -H "Host: $host" "$url")
    R[$path.per_s]=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' <<<"$out")
    R[$path.p50_us]=$(micros "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    R[$path.p99_us]=$(micros "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    R[$path.failed]=$(awk '/Socket errors/ { gsub(",", ""); n += $4 + $6 + $8 + $10 } /Non-2xx/ { n += $NF } END { print n + 0 }' <<<"$out")
    echo "  $path: ${R[$path.per_s]} req/s, p50 ${R[$path.p50_us]} us, p99 ${R[$path.p99_us]} us, ${R[$path.failed]} failed" >&2
}
declare -A FAILOVER_URL=([nginx]=$NGINX_FAILOVER [edge]=$EDGE)
declare -A ALIVE_URL=([nginx]=$NGINX_ALIVE [edge]=$EDGE)
for path in nginx edge; do
    RUN_HOST=$FAILOVER_HOST run "$path.fhs" handshakes --url "ws://${FAILOVER_URL[$path]}/" --pids "${MEASURED[$path]}" \
        --concurrency 20 --seconds "$SECS"
    sleep 1
done
for test in fget get; do
    for path in nginx edge; do
        case $test in
            fget) plain "$path.$test" "http://${FAILOVER_URL[$path]}/" "$FAILOVER_HOST" ;;
            get) plain "$path.$test" "http://${ALIVE_URL[$path]}/" "$HOST" ;;
        esac
        sleep 1
    done
done

# wss://: the same echo and handshakes over TLS, nginx and the edge taking turns.
declare -A TLS_URL=([nginx]=wss://$NGINX_TLS/ [edge]=wss://$EDGE_TLS/)
for test in small hs; do
    for path in nginx edge; do
        common=(--url "${TLS_URL[$path]}" --ca "$WORK/tls/ca.crt" --pids "${MEASURED[$path]}")
        case $test in
            small) run "$path.tls_$test" echo "${common[@]}" --connections 100 --size 20 --seconds "$SECS" ;;
            hs) run "$path.tls_$test" handshakes "${common[@]}" --concurrency 20 --seconds "$SECS" ;;
        esac
        sleep 1
    done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
row() {  # label, test, key, show ratios?
    local d=${R[direct.$2.$3]} n=${R[nginx.$2.$3]} e=${R[edge.$2.$3]}
    if [[ $4 == yes ]]; then
        echo "| $1 | $d | $n | $e | $(ratio "$e" "$n") | $(ratio "$e" "$d") |"
    else
        echo "| $1 | $d | $n | $e | | |"
    fi
}
kib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }

echo
echo "| WebSocket, 127.0.0.1, $(nproc) cores, ${SECS} s per test | direct | nginx | edge | edge/nginx | edge/direct |"
echo "|---|---:|---:|---:|---:|---:|"
row "echo 100 conn × 20 B: msg/s" small msgs_per_s yes
row "echo 100 × 20 B: RTT p50 µs" small p50_us no
row "echo 100 × 20 B: RTT p99 µs" small p99_us no
row "echo 100 × 20 B: RTT p99.9 µs" small p999_us no
row "echo 100 × 20 B: server CPU µs/msg" small cpu_us_per_op yes
row "echo 20 conn × 16 KiB: msg/s" large msgs_per_s yes
row "echo 20 × 16 KiB: RTT p50 µs" large p50_us no
row "echo 20 × 16 KiB: RTT p99 µs" large p99_us no
row "echo 20 × 16 KiB: RTT p99.9 µs" large p999_us no
row "echo 20 × 16 KiB: server CPU µs/msg" large cpu_us_per_op yes
row "handshakes (20 at a time): /s" hs per_s yes
row "handshake p50 µs" hs p50_us no
row "handshake p99 µs" hs p99_us no
row "handshake: server CPU µs each" hs cpu_us_per_op yes
for path in direct nginx edge; do R[$path.idle.kib]=$(kib "${R[$path.idle.bytes_per_conn]}"); done
row "idle $IDLE: RSS KiB per connection" idle kib no
errors=0
for key in "${!R[@]}"; do
    case $key in *.errors | *.failed) errors=$(( errors + ${R[$key]:-0} )) ;; esac
done
# An idle tunnel that no longer echoes after the hold is a failure too.
for path in direct nginx edge; do errors=$(( errors + ${R[$path.idle.open]} - ${R[$path.idle.alive]} )); done
echo
echo "| first origin dead (a closed port), 20 at a time, ${SECS} s per test | nginx | edge | edge/nginx |"
echo "|---|---:|---:|---:|"
pair() {  # label, test, key
    local n=${R[nginx.$2.$3]} e=${R[edge.$2.$3]}
    echo "| $1 | $n | $e | $(ratio "$e" "$n") |"
}
pair "handshakes via the backup: /s" fhs per_s
pair "handshake via the backup p50 µs" fhs p50_us
pair "handshake via the backup p99 µs" fhs p99_us
pair "handshake via the backup: server CPU µs each" fhs cpu_us_per_op
pair "GET via the backup (wrk): req/s" fget per_s
pair "GET via the backup p50 µs" fget p50_us
pair "GET via the backup p99 µs" fget p99_us
pair "GET, no failover (wrk): req/s" get per_s
pair "GET, no failover p50 µs" get p50_us
pair "GET, no failover p99 µs" get p99_us
echo
echo "Every request in this table but the last three tries the dead origin first and is refused a"
echo "connection (a closed port on 127.0.0.1, so no timeout), then goes to the live one: the edge"
echo "never skips it (\`EDGE_ORIGIN_FAIL_MS=0\`), nginx never marks it down (\`max_fails=0\`,"
echo "\`proxy_next_upstream error timeout\`). With their defaults (10 s) a dead origin is tried once"
echo "per 10 s and other requests go straight to a live one. \"No failover\": GETs to the live origin"
echo "alone, on connections each proxy keeps open to it; the first table's handshake rows are the"
echo "handshakes without failover."
echo
echo "| wss:// (TLS, one ECDSA P-256 certificate for both), 20 B echo and handshakes, ${SECS} s per test | nginx | edge | edge/nginx |"
echo "|---|---:|---:|---:|"
pair "wss echo 100 conn × 20 B: msg/s" tls_small msgs_per_s
pair "wss echo 100 × 20 B: RTT p50 µs" tls_small p50_us
pair "wss echo 100 × 20 B: RTT p99 µs" tls_small p99_us
pair "wss echo 100 × 20 B: server CPU µs/msg" tls_small cpu_us_per_op
pair "wss handshakes (TCP + full TLS + WebSocket, 20 at a time): /s" tls_hs per_s
pair "wss handshake p50 µs" tls_hs p50_us
pair "wss handshake p99 µs" tls_hs p99_us
pair "wss handshake: server CPU µs each" tls_hs cpu_us_per_op
echo
echo "The client (ws-load, rustls) asks for no session resumption and nginx keeps no session cache"
echo "or tickets, so every wss handshake is a full one (TLS 1.3, X25519, ECDSA P-256) on each side."
echo
echo "Server CPU and RSS are the measured process's: the echo origin's own for direct, nginx's workers summed, the edge's."
echo "Failed connections or handshakes: $errors. Load average before the run: $LOAD_BEFORE (other work on the machine shows up as noise)."
