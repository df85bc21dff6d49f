# Sourced by the scripts: puts a working `uv` in $UV, installing it with pip on a fresh machine.
if command -v uv >/dev/null 2>&1; then
    UV=(uv)
else
    if ! python3 -m uv --version >/dev/null 2>&1; then
        echo "Installing uv with pip (one time)..." >&2
        python3 -m pip install --quiet uv 2>/dev/null \
            || python3 -m pip install --quiet --user uv 2>/dev/null \
            || python3 -m pip install --quiet --user --break-system-packages uv
    fi
    UV=(python3 -m uv)
fi
# Compiled once here: without .pyc files every start of the connector recompiles the CDK.
"${UV[@]}" sync --frozen --quiet --compile-bytecode
