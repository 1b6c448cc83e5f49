package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddr: forwarding headers count only from trusted peers, read
// from the right, skipping trusted hops; spoofed ones change nothing.
func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8, 192.168.1.1, fd00::/8")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, peer string
		header     map[string]string
		want       string
	}{
		{"no proxy", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"spoofed X-Forwarded-For from an untrusted peer", "203.0.113.7:5000", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "203.0.113.7"},
		{"spoofed Forwarded from an untrusted peer", "203.0.113.7:5000", map[string]string{"Forwarded": "for=198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "198.51.100.1"},
		{"trusted single address", "192.168.1.1:80", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "198.51.100.1"},
		{"untrusted neighbour of a trusted address", "192.168.1.2:80", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "192.168.1.2"},
		{"client's spoofed entry left of the real one", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "1.1.1.1, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"every hop trusted", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "10.0.0.5, 10.0.0.6"}, "10.0.0.5"},
		{"no header from a trusted proxy", "10.1.2.3:80", nil, "10.1.2.3"},
		{"garbage rightmost", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "198.51.100.1, nonsense"}, "10.1.2.3"},
		{"garbage behind a real hop", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "nonsense, 198.51.100.1"}, "198.51.100.1"},
		{"port in the hop", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "198.51.100.1:4711"}, "198.51.100.1"},
		{"Forwarded", "10.1.2.3:80", map[string]string{"Forwarded": `for=1.1.1.1, for="[2001:db8::7]:4711";proto=https`}, "2001:db8::7"},
		{"X-Forwarded-For wins over Forwarded", "10.1.2.3:80", map[string]string{"Forwarded": "for=1.1.1.1", "X-Forwarded-For": "198.51.100.1"}, "198.51.100.1"},
		{"IPv6 trusted proxy", "[fd00::1]:80", map[string]string{"X-Forwarded-For": "2001:db8::9"}, "2001:db8::9"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:80", map[string]string{"X-Forwarded-For": "198.51.100.1"}, "198.51.100.1"},
		{"mapped hop", "10.1.2.3:80", map[string]string{"X-Forwarded-For": "::ffff:198.51.100.1"}, "198.51.100.1"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for k, v := range c.header {
			r.Header.Set(k, v)
		}
		if got := ClientAddr(r, trusted); got != netip.MustParseAddr(c.want) {
			t.Errorf("%s: %v, want %s", c.name, got, c.want)
		}
		if got := ClientAddr(r, nil); got != peerAddr(c.peer) {
			t.Errorf("%s, no trusted proxies: %v, want the peer", c.name, got)
		}
	}
	for _, bad := range []string{"10.0.0.0/33", "nonsense", "10.0.0.1/8/8"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q): no error", bad)
		}
	}
}

// TestRateLimitBehindProxy: behind a trusted proxy each forwarded client
// has its own budget; a client cannot reset its budget by spoofing the
// header, through the proxy (which appends) or directly.
func TestRateLimitBehindProxy(t *testing.T) {
	trusted, _ := ParseTrustedProxies("127.0.0.1")
	e := newAuthEnv(t, AccessConfig{APIRate: 1, APIBurst: 2, TrustedProxies: trusted}).populate()
	get := func(xff string) int {
		status, _, _ := e.do(req{method: "GET", path: "/api/videos", header: map[string]string{"X-Forwarded-For": xff}})
		return status
	}
	for i := range 2 {
		if s := get("198.51.100.1"); s != 200 {
			t.Fatalf("request %d of client 1: %d", i, s)
		}
	}
	if s := get("198.51.100.1"); s != 429 {
		t.Errorf("client 1 past its burst: %d, want 429", s)
	}
	if s := get("6.6.6.6, 198.51.100.1"); s != 429 {
		t.Errorf("client 1 with a spoofed entry in front: %d, want 429", s)
	}
	if s := get("198.51.100.2"); s != 200 {
		t.Errorf("client 2 behind the same proxy: %d, want 200", s)
	}

	// Without trusted proxies, the header is the client's word: ignored.
	e = newAuthEnv(t, AccessConfig{APIRate: 1, APIBurst: 2}).populate()
	get("1.1.1.1")
	get("2.2.2.2")
	if s := get("3.3.3.3"); s != 429 {
		t.Errorf("spoofed X-Forwarded-For from an untrusted peer reset the limit: %d", s)
	}
}
