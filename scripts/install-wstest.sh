#!/bin/sh
# Install Autobahn|Testsuite's `wstest` (Python 2.7 only) into ./.wstest and link it as
# ./.wstest/bin/wstest. Needs a Python 2.7 interpreter (PYTHON2, default: python2.7 on PATH
# or pyenv's 2.7.18) and PyPI. Then: PATH="$PWD/.wstest/bin:$PATH" make conformance
set -eu
PY2=""
for candidate in ${PYTHON2:-} "$HOME/.pyenv/versions/2.7.18/bin/python" python2.7 python2; do
    if "$candidate" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
        PY2="$(command -v "$candidate")"; break
    fi
done
[ -n "$PY2" ] || { echo "install-wstest: Python 2.7 is needed (set PYTHON2)" >&2; exit 2; }
DEST="$(pwd)/.wstest"
mkdir -p "$DEST/bin"
# The suite's own pins (autobahntestsuite 25.10.1), without the C accelerators.
"$PY2" -m pip install --quiet --target "$DEST/lib" autobahntestsuite==25.10.1 \
    txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 cryptography==3.3.2 \
    Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3 markupsafe==1.1.1 \
    Werkzeug==1.0.1 klein==17.10.0 service_identity==18.1.0 unittest2==1.1.0 six==1.16.0 \
    'autobahn[twisted]==0.10.9'
cat > "$DEST/bin/wstest" <<EOS
#!/bin/sh
exec "$PY2" -c "import site, sys; site.addsitedir('$DEST/lib'); sys.argv[0] = 'wstest'; \\
from autobahntestsuite.wstest import run; run()" "\$@"
EOS
chmod +x "$DEST/bin/wstest"
echo "installed: $DEST/bin/wstest"
