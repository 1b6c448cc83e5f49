package storetest

import (
	"context"
	"sync"
	"testing"
)

// RunSigningKey checks that the first signing key stored is the one every
// process reads, however many race to store theirs.
func RunSigningKey(t *testing.T, b Backend) {
	ctx := context.Background()
	dsn := b.NewDSN(t)
	first, _ := open(t, dsn, nil)
	if _, err := first.SigningKey(ctx, ""); err == nil {
		t.Error("SigningKey accepted an empty candidate")
	}
	var wg sync.WaitGroup
	got := make([]string, 4)
	for i := range got {
		s, _ := open(t, dsn, nil) // another process's pool
		wg.Go(func() {
			k, err := s.SigningKey(ctx, "candidate-"+string(rune('a'+i)))
			if err != nil {
				t.Error(err)
			}
			got[i] = k
		})
	}
	wg.Wait()
	for i, k := range got {
		if k == "" || k != got[0] {
			t.Fatalf("process %d read signing key %q, process 0 %q: want one key", i, k, got[0])
		}
	}
	if k, err := first.SigningKey(ctx, "later"); err != nil || k != got[0] {
		t.Errorf("SigningKey later = %q, %v; want the first key %q", k, err, got[0])
	}
}
