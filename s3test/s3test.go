// Package s3test starts a real S3 server for tests: versitygw with its
// posix backend on temp folders and a random loopback port. Unlike an
// in-process fake, versitygw checks SigV4 signatures and presigned URL
// expiry, so tests against it catch what AWS S3 would reject.
//
// Credentials: the server's root key pair is random per server and never
// placed in the process environment (tests run in parallel). Tests hand
// Server.Credentials to the SDK directly; child processes (reel under an
// end-to-end test) get Server.Env, the variables of the SDK's standard
// chain. URLs from Server.Bucket carry endpoint, region and path style,
// never secrets.
//
// If versitygw is not installed, Start skips the test with the install
// command, unless REEL_REQUIRE_VERSITYGW is set (CI sets it), in which
// case it fails, so a broken install never turns into silently skipped
// tests.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// InstallCommand installs the versitygw version the tests are written for.
const InstallCommand = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// RequireEnv names the environment variable that turns a missing
// versitygw from a skipped test into a failed one.
const RequireEnv = "REEL_REQUIRE_VERSITYGW"

// Region is the region every test server reports.
const Region = "us-east-1"

// Server is a running versitygw.
type Server struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string
	// AccessKey and SecretKey are the root user's credentials.
	AccessKey, SecretKey string
	// Dir is the posix root: one folder per bucket.
	Dir string

	client *s3.Client
	stop   func()
	pid    int
}

// Start starts a versitygw for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := Binary(); err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%v; install it with: %s", err, InstallCommand)
		}
		t.Skipf("%v; install it with: %s", err, InstallCommand)
	}
	s, err := Launch(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Launch starts a versitygw keeping its buckets and IAM data under dir,
// for callers other than tests, such as the benchmarks; Close stops it.
func Launch(dir string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, fmt.Errorf("%w; install it with: %s", err, InstallCommand)
	}
	s := &Server{
		AccessKey: "reel" + randomHex(8),
		SecretKey: randomHex(20),
		Dir:       filepath.Join(dir, "data"),
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return nil, err
	}
	// A free port found by listening may be taken again before versitygw
	// binds it; a few attempts make that race harmless.
	for range 3 {
		if err = s.start(bin, filepath.Join(dir, "iam")); err == nil {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	s.client = s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  s.Credentials(),
		// versitygw accepts checksums, but mirror what reel sends.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
	}
}

// PID returns the server's process id, for reading its CPU from /proc.
func (s *Server) PID() int { return s.pid }

// start launches versitygw on a free port and waits until it answers.
func (s *Server) start(bin, iamDir string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	if err := os.MkdirAll(iamDir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(bin, "--port", addr, "--iam-dir", iamDir, "--health", "/health", "--quiet", "posix", s.Dir)
	// Killed with the test process, even when go test kills it on a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// A minimal environment: versitygw reads many VGW_* variables, and the
	// developer's own must not change the server under test.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"ROOT_ACCESS_KEY=" + s.AccessKey,
		"ROOT_SECRET_KEY=" + s.SecretKey,
	}
	out := &tailBuffer{max: 4 << 10}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	}

	endpoint := "http://" + addr
	probe := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := probe.Get(endpoint + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("versitygw on %s exited at start: %s", addr, strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return fmt.Errorf("versitygw on %s did not answer within 15s: %s", addr, strings.TrimSpace(out.String()))
		}
	}
	s.Endpoint, s.stop, s.pid = endpoint, stop, cmd.Process.Pid
	return nil
}

// Binary returns the path of the versitygw binary: on PATH, in $GOBIN, or
// in the first folder of $GOPATH/bin, where `go install` puts it.
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("versitygw is not on PATH and `go env` failed: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var dirs []string
	if len(lines) > 0 && lines[0] != "" {
		dirs = append(dirs, lines[0])
	}
	if len(lines) > 1 && lines[1] != "" {
		dirs = append(dirs, filepath.Join(filepath.SplitList(lines[1])[0], "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("versitygw is not on PATH nor in GOBIN or GOPATH/bin")
}

// Credentials returns the root user's static credentials for the SDK.
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")
}

// Env returns the environment variables of the SDK's standard chain that
// point a child process at the server: credentials, region and endpoint.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
	}
}

// Client returns a plain SDK client with root credentials, for creating
// buckets and for checking what a test left in them.
func (s *Server) Client() *s3.Client { return s.client }

// Bucket creates the bucket name if it does not exist yet and returns the
// store URL of prefix in it (prefix may be empty):
// s3://name/prefix?endpoint=...&region=...&use_path_style=true.
func (s *Server) Bucket(t testing.TB, name string) string {
	t.Helper()
	u, err := s.CreateBucket(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// CreateBucket is Bucket for callers other than tests: it returns the
// error instead of failing a test.
func (s *Server) CreateBucket(ctx context.Context, name string) (string, error) {
	_, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)})
	var owned *types.BucketAlreadyOwnedByYou
	if err != nil && !errors.As(err, &owned) {
		return "", fmt.Errorf("create bucket %s: %w", name, err)
	}
	return s.URL(name, ""), nil
}

// URL returns the store URL of prefix in bucket, without creating it.
func (s *Server) URL(bucket, prefix string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}, "use_path_style": {"true"}}
	u := url.URL{Scheme: "s3", Host: bucket, RawQuery: q.Encode()}
	if p := strings.Trim(prefix, "/"); p != "" {
		u.Path = "/" + p
	}
	return u.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last max bytes written to it: versitygw's output,
// shown only if it fails to start.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if extra := b.buf.Len() - b.max; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
