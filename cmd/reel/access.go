package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"time"

	"reel"
	"reel/sqlstore"
	"reel/web"
)

// accessFlags are reel serve's flags of access control and limits.
type accessFlags struct {
	APIAllowOrigin string
	MaxPlaybackTTL time.Duration
	SessionTTL     time.Duration
	APIRate        float64
	APIBurst       int
	UploadRate     float64
	UploadBurst    int
	TrustedProxies string
	trusted        []netip.Prefix // parsed by validate
	BodyTimeout    time.Duration
	MaxConnsPerIP  int
}

func (a *accessFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.APIAllowOrigin, "api-allow-origin", "", "`origin` allowed to call the API cross-origin with a bearer key, or *; empty sends no CORS headers on /api/")
	fs.DurationVar(&a.MaxPlaybackTTL, "max-playback-ttl", 24*time.Hour, "longest life of playback URLs a client may ask for with ?ttl=")
	fs.DurationVar(&a.SessionTTL, "session-ttl", 7*24*time.Hour, "how long a sign-in to the web page lasts")
	fs.Float64Var(&a.APIRate, "api-rate", 20, "API requests per second allowed to each key or IP address (0: no limit)")
	fs.IntVar(&a.APIBurst, "api-burst", 40, "API requests each key or IP address may make at once")
	fs.Float64Var(&a.UploadRate, "upload-rate", 10, "uploads per minute each key or IP address may start (0: no limit)")
	fs.IntVar(&a.UploadBurst, "upload-burst", 10, "uploads each key or IP address may start at once")
	fs.DurationVar(&a.BodyTimeout, "body-timeout", 60*time.Second, "longest a request body may go without a byte before the connection is closed (uploads, tus, JSON)")
	fs.IntVar(&a.MaxConnsPerIP, "max-conns-per-ip", 64, "connections one client address may hold at once, 503 over it (0: no cap; trusted proxies are not capped)")
	fs.StringVar(&a.TrustedProxies, "trusted-proxies", "", "`CIDR,...` of proxies whose X-Forwarded-For / Forwarded names the client (rate limits, connection cap, logs); empty trusts none")
}

func (a *accessFlags) validate(playbackTTL time.Duration) error {
	switch {
	case a.MaxPlaybackTTL < playbackTTL:
		return errors.New("--max-playback-ttl must be at least --playback-ttl")
	case a.SessionTTL < time.Minute:
		return errors.New("--session-ttl must be at least 1m")
	case a.BodyTimeout < time.Second:
		return errors.New("--body-timeout must be at least 1s")
	case a.MaxConnsPerIP < 0:
		return errors.New("--max-conns-per-ip must not be negative")
	case a.APIRate < 0 || a.UploadRate < 0 || a.APIBurst < 1 || a.UploadBurst < 1:
		return errors.New("--api-rate and --upload-rate must not be negative, --api-burst and --upload-burst at least 1")
	}
	trusted, err := web.ParseTrustedProxies(a.TrustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	a.trusted = trusted
	if o := a.APIAllowOrigin; o != "" && o != "*" {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return fmt.Errorf("--api-allow-origin must be * or an origin such as https://app.example.com, got %q", o)
		}
	}
	return nil
}

// config returns the web server's access configuration on the store.
func (a *accessFlags) config(store *sqlstore.Store) web.AccessConfig {
	return web.AccessConfig{
		Keys: store, Sessions: store,
		SessionTTL: a.SessionTTL, MaxPlaybackTTL: a.MaxPlaybackTTL, APIAllowOrigin: a.APIAllowOrigin,
		APIRate: a.APIRate, APIBurst: a.APIBurst, UploadRate: a.UploadRate, UploadBurst: a.UploadBurst,
		TrustedProxies: a.trusted, BodyTimeout: a.BodyTimeout, MaxConnsPerIP: a.MaxConnsPerIP,
	}
}

// secureByDefault refuses to serve on a non-loopback address while no
// valid API key exists, and otherwise lets reel run open on loopback
// until the first key is created, saying so in the log. It returns
// whether the server may run open.
// where is the database flag `reel keys` needs to reach the same database.
func secureByDefault(ctx context.Context, keys reel.KeyStore, addr net.Addr, where string, log *slog.Logger) (open bool, err error) {
	has, err := keys.HasValidKeys(ctx)
	if err != nil {
		return false, err
	}
	loopback := isLoopback(addr)
	if !has && !loopback {
		return false, fmt.Errorf("no API key exists, so reel will not listen on %s: create one with `reel keys create %s --name admin --role admin`, or listen on 127.0.0.1", addr, where)
	}
	if !has {
		log.Warn("no API key exists: running open on loopback, every request acts as admin; create a key with `reel keys create " + where + " --name NAME --role admin` to require one")
	}
	return loopback, nil
}

// isLoopback reports whether a listener's address is a loopback one
// (127.0.0.0/8, ::1); the unspecified address (":8080") is not.
func isLoopback(addr net.Addr) bool {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.IsLoopback()
	}
	host, _, err := net.SplitHostPort(addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keysFlag is the flag that points `reel keys` at serve's database: --db
// when one was named (a PostgreSQL URL, its password hidden, or a file
// elsewhere), else --data.
func keysFlag(data, db string) string {
	if u, err := url.Parse(db); err == nil && u.User != nil {
		db = u.Redacted()
	}
	if db != "" {
		return "--db '" + db + "'"
	}
	return "--data " + data
}
