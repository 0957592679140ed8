# Sourced by tools/demo and tools/check: install the Debian packages retain
# needs when they are missing, as root or through sudo.  Prints what it does.
RETAIN_DEPS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev libpcap-dev dpdk-dev libdpdk-dev liblmdb-dev libzstd-dev libssl-dev libjansson-dev libmicrohttpd-dev libinih-dev libsystemd-dev curl openssl libxml2-utils freeradius-utils python3 tshark valgrind"

retain_sudo() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		echo "error: need root or sudo to run: $*" >&2
		return 1
	fi
}

retain_install_deps() {
	missing=""
	for p in $RETAIN_DEPS ${RETAIN_EXTRA_DEPS:-}; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
			missing="$missing $p"
		fi
	done
	if [ -z "$missing" ]; then
		echo "==> packages: all present"
		return 0
	fi
	echo "==> installing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture: no
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		retain_sudo debconf-set-selections 2>/dev/null || true
	retain_sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
	# shellcheck disable=SC2086
	retain_sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
}
