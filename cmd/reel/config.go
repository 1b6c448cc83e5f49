package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// envPrefix starts the name of every environment variable reel reads.
const envPrefix = "REEL_"

// envDefaults sets each flag that was not given on the command line from
// its REEL_* variable (--max-upload-size from REEL_MAX_UPLOAD_SIZE), so the
// order is: built-in default, then environment, then flag.
func envDefaults(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || err != nil {
			return
		}
		name := envName(f.Name)
		if v, ok := lookup(name); ok {
			if e := f.Value.Set(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	})
	return err
}

// envNames are the variables of flags not named REEL_<FLAG>.
var envNames = map[string]string{
	"key": "REEL_API_KEY", // reel upload's --key: the name says what it is
}

// envName is the environment variable of the flag called name:
// REEL_MAX_UPLOAD_SIZE for --max-upload-size.
func envName(name string) string {
	if v, ok := envNames[name]; ok {
		return v
	}
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// byteSize is a flag value in bytes written as 1073741824, 512MiB, 50GiB,
// 2GB, 10M...
type byteSize int64

func (b *byteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

func (b *byteSize) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*b = byteSize(n)
	return nil
}

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

func parseByteSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n < 0 || n*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("invalid size %q (examples: 500MiB, 50GiB)", s)
	}
	return int64(n * float64(mult)), nil
}
