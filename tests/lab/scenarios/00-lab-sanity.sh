# shellcheck shell=bash
# Lab sanity, no charon: hand-made VTIs (ip_vti over IPv4, ip6_vti over
# IPv6) with hand-made ESP states and marked policies carry pings both
# ways. Proves the kernel, the modules and the crypto of the lab itself.

lab_topo_pair

# Fixed test keys (AES-GCM-128: 16 key bytes + 4 salt bytes).
key_ab=0x0102030405060708090a0b0c0d0e0f1011121314
key_ba=0x2122232425262728292a2b2c2d2e2f3031323334

# tunnel HOST NAME TYPE KEY LOCAL REMOTE SPI_OUT SPI_IN KEY_OUT KEY_IN ADDR...
# One side of a hand-made route-based tunnel: the VTI, its addresses, the
# ESP states and the policies marked with the VTI's key.
tunnel() {
	local h=$1 dev=$2 type=$3 key=$4 local=$5 remote=$6
	local spi_out=$7 spi_in=$8 k_out=$9 k_in=${10} a sel
	shift 10
	# One ip process for everything (processes are slow under UML).
	{
		echo "link add $dev type $type key $key local $local remote $remote"
		for a in "$@"; do
			echo "addr add $a dev $dev"
		done
		echo "link set $dev up"
		echo "xfrm state add src $local dst $remote proto esp spi $spi_out" \
			"mode tunnel flag af-unspec mark $key" \
			"aead rfc4106(gcm(aes)) $k_out 128"
		echo "xfrm state add src $remote dst $local proto esp spi $spi_in" \
			"mode tunnel flag af-unspec aead rfc4106(gcm(aes)) $k_in 128"
		for sel in 0.0.0.0/0 ::/0; do
			echo "xfrm policy add src $sel dst $sel dir out mark $key" \
				"tmpl src $local dst $remote proto esp mode tunnel"
			echo "xfrm policy add src $sel dst $sel dir in mark $key" \
				"tmpl src $remote dst $local proto esp mode tunnel"
		done
	} | lab_ip "$h"
	if [[ $type == vti ]]; then
		lab_sysctl "$h" "net/ipv4/conf/$dev/disable_policy" 1
	fi
}

lab_log "ip_vti: vti15 over 10.9.0.1 <-> 10.9.0.2"
tunnel a vti15 vti 15 10.9.0.1 10.9.0.2 0x1501 0x1502 "$key_ab" "$key_ba" \
	192.168.15.1/30 fd00:15::1/64
tunnel b vti15 vti 15 10.9.0.2 10.9.0.1 0x1502 0x1501 "$key_ba" "$key_ab" \
	192.168.15.2/30 fd00:15::2/64

lab_log "ip6_vti: vti16 over fd00:9::1 <-> fd00:9::2"
tunnel a vti16 vti6 16 fd00:9::1 fd00:9::2 0x1601 0x1602 "$key_ab" "$key_ba" \
	fd00:16::1/64
tunnel b vti16 vti6 16 fd00:9::2 fd00:9::1 0x1602 0x1601 "$key_ba" "$key_ab" \
	fd00:16::2/64

lab_log "pings through the VTIs"
lab_assert "a -> b over vti15 (IPv4 inner) failed" lab_ping a 192.168.15.2
lab_assert "b -> a over vti15 (IPv4 inner) failed" lab_ping b 192.168.15.1
lab_assert "a -> b over vti15 (IPv6 inner) failed" lab_ping a fd00:15::2
lab_assert "b -> a over vti16 (IPv6 outer) failed" lab_ping b fd00:16::1

lab_log "ESP counters"
n15=$(lab_esp_packets a 10.9.0.1 10.9.0.2)
n16=$(lab_esp_packets a fd00:9::1 fd00:9::2)
lab_log "a's outbound SAs: vti15 $n15 packets, vti16 $n16 packets"
(( n15 >= 9 )) || lab_fail "a's vti15 SA carried $n15 packets, expected >= 9"
(( n16 >= 3 )) || lab_fail "a's vti16 SA carried $n16 packets, expected >= 3"

lab_log "plain traffic between the outer addresses still flows"
lab_assert "plain ping a -> b failed" lab_ping a 10.9.0.2 1
