package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"reel"
)

// Timeout bounds one delivery attempt, from dialling to the response.
const Timeout = 10 * time.Second

// maxResponse is how much of a receiver's answer is read: enough to keep
// the connection reusable for small answers, never an unbounded read.
const maxResponse = 64 << 10

// Sender delivers signed messages over HTTP.
type Sender struct {
	// AllowPrivate lets receivers on loopback, private, link-local,
	// unique-local, CGNAT and metadata addresses through.
	AllowPrivate bool
	client       *http.Client
}

// NewSender returns a Sender whose dialler refuses disallowed addresses.
func NewSender(allowPrivate bool) *Sender {
	s := &Sender{AllowPrivate: allowPrivate}
	dialer := &net.Dialer{Timeout: Timeout, Control: s.control}
	transport := &http.Transport{
		// No proxy: the address dialled must be the receiver's.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       time.Minute,
	}
	s.client = &http.Client{
		Transport: transport,
		Timeout:   Timeout,
		// A redirect is an answer, never followed: it could lead anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// control runs after the name is resolved and before each connection: the
// address checked is the one dialled.
func (s *Sender) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhook: dial %s: %w", address, err)
	}
	if !s.AllowPrivate && Private(ap.Addr()) {
		return &refusedError{ap.Addr()}
	}
	return nil
}

// refusedError is a dial to a disallowed address.
type refusedError struct{ addr netip.Addr }

func (e *refusedError) Error() string {
	return fmt.Sprintf("the receiver's address %s is loopback, private, link-local or metadata; refused (see --webhook-allow-private)", e.addr)
}

// Refused reports whether err is a refusal of the receiver's address.
func Refused(err error) bool {
	var r *refusedError
	return errors.As(err, &r)
}

// private lists the ranges refused by default beside what netip's methods
// name: CGNAT (RFC 6598), the IETF protocol assignments, benchmarking, the
// "this network" block, NAT64 and 6to4 (which can embed any IPv4 address).
var private = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("fec0::/10"),
}

// Private reports whether a is an address a webhook must not reach by
// default: loopback, private (RFC 1918, unique-local fc00::/7),
// link-local (where cloud metadata services answer, 169.254.169.254 and
// fe80::/10), multicast, unspecified, CGNAT and the other special ranges.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return true
	}
	for _, p := range private {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// CheckURL checks a receiver's URL when a webhook is created: its form,
// and, unless private addresses are allowed, that every address its host
// resolves to now is public. Delivery checks again at each dial.
func (s *Sender) CheckURL(ctx context.Context, u string) error {
	p, err := ParseURL(u)
	if err != nil {
		return err
	}
	if s.AllowPrivate {
		return nil
	}
	host := p.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ctx, cancel := context.WithTimeout(ctx, Timeout)
		defer cancel()
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return reel.Errorf(reel.EINVALID, "The webhook URL's host %q does not resolve.", host)
		}
		addrs = ips
	}
	for _, a := range addrs {
		if Private(a) {
			return reel.Errorf(reel.EINVALID, "The webhook URL's host %q resolves to %s, a loopback, private, link-local or metadata address; reel refuses those unless started with --webhook-allow-private.", host, a.Unmap())
		}
	}
	return nil
}

// Result is the outcome of one attempt.
type Result struct {
	Status int // the receiver's HTTP status, 0 if none came
}

// Send POSTs body to url once, signed with secret under the message id
// and the current time. A 2xx answer is success; anything else, a network
// error, a timeout or a refused address is an error.
func (s *Sender) Send(ctx context.Context, url, secret, id string, body []byte) (Result, error) {
	now := time.Now()
	sig, err := Sign(secret, id, now, body)
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "reel-webhooks")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("webhook delivery: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
	res := Result{Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, fmt.Errorf("webhook receiver answered %s", resp.Status)
	}
	return res, nil
}
