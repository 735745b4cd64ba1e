# A throwaway S3-compatible server on loopback, for the test suites (sourced by scripts/test; developers can
# source it too: `source scripts/s3.sh && start_s3`, then `stop_s3`).
#
# It is moto's server mode, installed with pip into a virtual environment when missing (Debian's python3-venv
# first, when Python cannot make one). It starts on a free port with its IAM authentication on: after the first
# three requests (which create a user, its S3 policy and its access key) every request's SigV4 signature is
# recomputed by botocore's signer and refused on a mismatch, as S3 does, so the suites check Rill's signer
# against an independent one. It creates the bucket `rill-test` and exports RILL_TEST_S3_URL,
# RILL_TEST_S3_ACCESS_KEY_ID and RILL_TEST_S3_SECRET_ACCESS_KEY. Objects live in the server's memory only.

# Pinned: the authentication checks the tests rely on are moto's behaviour, not S3's contract.
S3_MOTO_PACKAGE="moto[server]==5.2.5"
S3_MOTO_VENV="${RILL_MOTO_VENV:-/tmp/rill-moto-venv}"

as_root() {
    if [ "$(id -u)" = "0" ]; then
        "$@"
    else
        sudo "$@"
    fi
}

install_s3() {
    if [ -x "$S3_MOTO_VENV/bin/moto_server" ]; then
        return 0
    fi
    echo "installing moto's S3 server ($S3_MOTO_PACKAGE) into $S3_MOTO_VENV" >&2
    if ! python3 -m venv "$S3_MOTO_VENV" >/dev/null 2>&1; then
        rm -rf "$S3_MOTO_VENV"
        as_root apt-get update -qq >&2 &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip >&2 &&
            python3 -m venv "$S3_MOTO_VENV" >&2 || return 1
    fi
    "$S3_MOTO_VENV/bin/pip" install -q "$S3_MOTO_PACKAGE" >&2 || { rm -rf "$S3_MOTO_VENV"; return 1; }
}

# The same as postgres.sh's (defined again so that this file can be sourced alone).
s3_free_port() {
    local port
    for _ in $(seq 1 100); do
        port=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

# Waits until the server on $S3_TEST_PORT accepts connections; fails if it exits first.
s3_wait() {
    for _ in $(seq 1 120); do
        if ! kill -0 "$S3_TEST_PID" 2>/dev/null; then
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$S3_TEST_PORT") 2>/dev/null; then
            return 0
        fi
        sleep 0.25
    done
    return 1
}

start_s3() {
    install_s3 || return 1
    S3_TEST_DIR=$(mktemp -d /tmp/rill-s3.XXXXXX)
    # A port free when picked can be taken before the server binds it: try a few.
    local attempt
    for attempt in 1 2 3 4 5; do
        S3_TEST_PORT=$(s3_free_port) || return 1
        INITIAL_NO_AUTH_ACTION_COUNT=3 "$S3_MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$S3_TEST_PORT" \
            >"$S3_TEST_DIR/log" 2>&1 &
        S3_TEST_PID=$!
        if s3_wait; then
            break
        fi
        kill "$S3_TEST_PID" 2>/dev/null || true
        if [ "$attempt" = 5 ]; then
            cat "$S3_TEST_DIR/log" >&2
            return 1
        fi
        echo "the S3 server did not start on port $S3_TEST_PORT; trying another" >&2
    done
    local keys
    keys=$("$S3_MOTO_VENV/bin/python" - "http://127.0.0.1:$S3_TEST_PORT" <<'PYTHON'
import json, sys
import boto3

endpoint = sys.argv[1]
# Unauthenticated: these are the three requests INITIAL_NO_AUTH_ACTION_COUNT lets through.
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="rill")
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
iam.put_user_policy(UserName="rill", PolicyName="s3", PolicyDocument=json.dumps(policy))
key = iam.create_access_key(UserName="rill")["AccessKey"]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket="rill-test")
print(key["AccessKeyId"], key["SecretAccessKey"])
PYTHON
    ) || { cat "$S3_TEST_DIR/log" >&2; return 1; }
    export RILL_TEST_S3_ACCESS_KEY_ID="${keys%% *}"
    export RILL_TEST_S3_SECRET_ACCESS_KEY="${keys#* }"
    export RILL_TEST_S3_URL="s3://rill-test?endpoint=http://127.0.0.1:$S3_TEST_PORT&region=us-east-1"
    echo "S3 for the tests at $RILL_TEST_S3_URL" >&2
}

stop_s3() {
    if [ -n "${S3_TEST_PID:-}" ]; then
        kill "$S3_TEST_PID" 2>/dev/null || true
        wait "$S3_TEST_PID" 2>/dev/null || true
        S3_TEST_PID=
    fi
    if [ -n "${S3_TEST_DIR:-}" ]; then
        rm -rf "$S3_TEST_DIR"
    fi
}
