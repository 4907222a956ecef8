# Sourced by build/test.sh and build/pack.sh. require_debian_packages FILE:PACKAGE... installs each PACKAGE whose FILE
# is missing, quietly (apt-get, as root). Without root or apt-get, or when the install fails, it says which packages to
# install and returns 1.
require_debian_packages() {
  local missing=() entry
  for entry in "$@"; do
    [ -e "${entry%%:*}" ] || missing+=("${entry#*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "$0: needs Debian packages ${missing[*]}: run apt-get install ${missing[*]} as root" >&2
    return 1
  fi
  echo "$0: installing ${missing[*]}" >&2
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1; then
    echo "$0: could not install ${missing[*]}: run apt-get install ${missing[*]} to see why" >&2
    return 1
  fi
}
