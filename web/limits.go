package web

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
)

// Bounds on what one client can hold: a request body may go at most
// Access.BodyTimeout without a byte, and one address may hold at most
// Access.MaxConnsPerIP connections at once.

// bodyDeadline makes every read of a request body wait at most timeout
// for a byte: each Read pushes the connection's read deadline timeout
// ahead, so a slow but steady upload of hours is fine and a stalled one
// fails its read (the handler then removes what it stored, as for a cut
// connection) and the connection is closed. Time the handler spends
// between reads does not count. The deadline also bounds net/http's own
// draining of a body the handler left unread, before and after the
// handler; once the body is read to its end it is lifted, so that work
// after the last byte (finishing an S3 upload) is not cut short by the
// server's watch for a closed connection.
func bodyDeadline(timeout time.Duration, next http.Handler) http.Handler {
	if timeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(timeout))
		// A copy of the request: net/http decides whether the connection
		// can be reused from its own request's Body, which must stay its.
		r2 := r.WithContext(r.Context())
		r2.Body = &deadlineBody{ReadCloser: r.Body, rc: rc, timeout: timeout}
		next.ServeHTTP(w, r2)
		rc.SetReadDeadline(time.Now().Add(timeout))
	})
}

// deadlineBody renews the read deadline before each read.
type deadlineBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	timeout time.Duration
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	// ErrNotSupported (a recorder in tests) leaves reads unbounded.
	b.rc.SetReadDeadline(time.Now().Add(b.timeout))
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// LimitListener caps the connections each client address holds on ln at
// perIP (IPv6 counted by /64); 0 means no cap. Connections from trusted
// proxies are not capped, since they carry many clients. A connection
// over the cap is answered "503 Service Unavailable" with Retry-After and
// closed, without reaching the server.
func LimitListener(ln net.Listener, perIP int, trusted []netip.Prefix) net.Listener {
	if perIP <= 0 {
		return ln
	}
	return &limitListener{Listener: ln, perIP: perIP, trusted: trusted, open: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	perIP   int
	trusted []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int
}

// tooManyConns is the whole answer to a connection over the cap.
func tooManyConns() string {
	const body = "Too many connections from your address at once; retry later.\n"
	return "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\nContent-Type: text/plain; charset=utf-8\r\n" +
		"Connection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a := peerAddr(c.RemoteAddr().String())
		if !a.IsValid() || isTrusted(a, l.trusted) {
			return c, nil
		}
		if a.Is6() {
			a = netip.PrefixFrom(a, 64).Masked().Addr()
		}
		l.mu.Lock()
		n := l.open[a]
		if n < l.perIP {
			l.open[a] = n + 1
		}
		l.mu.Unlock()
		if n >= l.perIP {
			go refuse(c)
			continue
		}
		return &countedConn{Conn: c, release: func() { l.release(a) }}, nil
	}
}

func (l *limitListener) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[a]--; l.open[a] <= 0 {
		delete(l.open, a)
	}
}

// refuse answers 503 and closes, reading what the client sent meanwhile
// (for at most two seconds) so that closing does not reset the
// connection before the client has read the answer.
func refuse(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, tooManyConns()); err != nil {
		return
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		tcp.CloseWrite()
	}
	io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// countedConn gives its slot back once closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// ReadFrom passes to the connection's own ReadFrom: net/http sends a
// response body with it when the connection has one, and *net.TCPConn's
// sends a file with sendfile(2), from the page cache to the socket.
// Without it every segment was read into a 32 KiB buffer and written out
// again, two copies through user space per byte: reel served 1 MiB
// segments below nginx's rate (docs/benchmarks-play.md).
func (c *countedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
