# Sourced by scripts/test.sh and scripts/demo.sh (after ensure-tools.sh): a Python virtualenv
# in target/pyenv with the pinned clients of scripts/requirements-test.txt (the aws CLI and
# boto3), so the tests drive Brink with the real tools. Re-installed when the requirements
# change. Its bin/ is what the integration tests run (BRINK_TEST_PYENV overrides the place).

pyenv_dir="${BRINK_TEST_PYENV:-$PWD/target/pyenv}"
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3 python3-venv python3-pip
fi
stamp="$pyenv_dir/.requirements"
if [[ ! -x $pyenv_dir/bin/aws ]] || ! cmp -s scripts/requirements-test.txt "$stamp"; then
  echo "${0##*/}: installing the Python test clients into $pyenv_dir" >&2
  rm -rf "$pyenv_dir"
  python3 -m venv "$pyenv_dir"
  "$pyenv_dir/bin/pip" install -q --disable-pip-version-check -r scripts/requirements-test.txt
  cp scripts/requirements-test.txt "$stamp"
fi
export BRINK_TEST_PYENV="$pyenv_dir"
