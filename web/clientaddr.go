package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The client's address, decided in one place for the rate limits, the
// connection cap and the logs. Only a peer in TrustedProxies is believed
// about who it forwards for: its X-Forwarded-For (or, without one, its
// Forwarded header) is read from the right, each hop that is itself a
// trusted proxy skipped, and the first other address is the client. From
// any other peer these headers are ignored, since anyone can send them.
// A proxy in front must append to X-Forwarded-For (nginx:
// $proxy_add_x_forwarded_for) or set it; one that speaks only Forwarded
// must drop X-Forwarded-For sent by clients.

// ClientAddr returns the address of the client that made r; see above.
// It is the zero Addr if the peer's address cannot be read.
func ClientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer := peerAddr(r.RemoteAddr)
	if !isTrusted(peer, trusted) {
		return peer
	}
	hops := forwardedFor(r.Header)
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			break // garbage: the last hop that made sense is all we know
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client
}

// peerAddr parses a RemoteAddr ("ip:port"), IPv4-mapped IPv6 as IPv4.
func peerAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	a, _ := netip.ParseAddr(remote)
	return a.Unmap()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the hops of X-Forwarded-For, or else the for=
// values of Forwarded (RFC 7239), oldest first, across repeated headers.
func forwardedFor(h http.Header) []string {
	var hops []string
	if xff := h.Values("X-Forwarded-For"); len(xff) > 0 {
		for _, v := range xff {
			for hop := range strings.SplitSeq(v, ",") {
				hops = append(hops, strings.TrimSpace(hop))
			}
		}
		return hops
	}
	for _, v := range h.Values("Forwarded") {
		for elem := range strings.SplitSeq(v, ",") {
			for pair := range strings.SplitSeq(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					hops = append(hops, strings.Trim(val, `"`))
				}
			}
		}
	}
	return hops
}

// parseHop reads one hop: an IP, maybe with a port, IPv6 maybe in
// brackets ("[2001:db8::1]:4711", as Forwarded writes it).
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	return a.Unmap(), err == nil && a.Zone() == ""
}

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes or
// single addresses, as --trusted-proxies takes it.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, &net.ParseError{Type: "CIDR prefix or IP address", Text: item}
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// forwardedProto reports the scheme a trusted proxy says the client used
// (X-Forwarded-Proto, or Forwarded's proto=), "" if none or untrusted.
func forwardedProto(r *http.Request, trusted []netip.Prefix) string {
	if !isTrusted(peerAddr(r.RemoteAddr), trusted) {
		return ""
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
		return strings.ToLower(strings.TrimSpace(strings.Split(p, ",")[0]))
	}
	for _, v := range r.Header.Values("Forwarded") {
		for pair := range strings.SplitSeq(strings.Split(v, ",")[0], ";") {
			if k, val, ok := strings.Cut(strings.TrimSpace(pair), "="); ok && strings.EqualFold(k, "proto") {
				return strings.ToLower(strings.Trim(val, `"`))
			}
		}
	}
	return ""
}
