#!/usr/bin/env bash
# Prepares what the test suite needs beyond the repository:
#  - .venv-test/ (git-ignored): a Python venv with nibabel, Pillow and numpy (reference implementations), and
#    nbformat, nbconvert, ipykernel, pandas and matplotlib (notebook export tests), tensorboard (event-file tests)
#    and safetensors (export-weights tests);
#  - Tests/Fixtures/nibabel/ (git-ignored): nibabel's own test images, files of every datatype
#    written by nibabel, and expected.json with nibabel's reading of each (scripts/reference/nifti_reference.py).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-test
if ! "$VENV/bin/python" -c "import nibabel, PIL, numpy" 2>/dev/null; then
    echo "test-fixtures: creating $VENV (nibabel, pillow, numpy)"
    python3 -m venv "$VENV" || { echo "test-fixtures: 'python3 -m venv' failed (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
    "$VENV/bin/pip" install -q nibabel pillow numpy || { echo "test-fixtures: pip install nibabel pillow numpy failed (network?)" >&2; exit 1; }
fi
# Notebook export tests: nbformat validation and `jupyter nbconvert --execute` with pandas + matplotlib.
if ! "$VENV/bin/python" -c "import nbformat, nbconvert, ipykernel, pandas, matplotlib" 2>/dev/null; then
    echo "test-fixtures: installing nbformat nbconvert ipykernel pandas matplotlib into $VENV"
    "$VENV/bin/pip" install -q nbformat nbconvert ipykernel pandas matplotlib \
        || { echo "test-fixtures: pip install nbformat nbconvert ipykernel pandas matplotlib failed (network?)" >&2; exit 1; }
fi
# TensorBoard's own reader (EventAccumulator) for the event-file tests; safetensors for export-weights.
if ! "$VENV/bin/python" -c "import tensorboard, safetensors" 2>/dev/null; then
    echo "test-fixtures: installing tensorboard safetensors into $VENV"
    "$VENV/bin/pip" install -q tensorboard safetensors \
        || { echo "test-fixtures: pip install tensorboard safetensors failed (network?)" >&2; exit 1; }
fi
OUT=Tests/Fixtures/nibabel
if [ ! -f "$OUT/expected.json" ] || [ scripts/reference/nifti_reference.py -nt "$OUT/expected.json" ]; then
    "$VENV/bin/python" scripts/reference/nifti_reference.py fixtures "$OUT"
    echo "test-fixtures: wrote $OUT"
fi
