package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"reel"
)

func testKeys(t *testing.T, b Backend) {
	ctx := context.Background()
	s, _ := open(t, b.NewDSN(t), nil)

	if ok, err := s.HasValidKeys(ctx); ok || err != nil {
		t.Fatalf("HasValidKeys on a new database = %v, %v", ok, err)
	}
	secret := reel.NewSecret()
	k := &reel.Key{Name: "ci", Role: reel.RoleUploader}
	if err := s.CreateKey(ctx, k, reel.HashSecret(secret)); err != nil {
		t.Fatal(err)
	}
	if !reel.ValidID(k.ID) || k.CreatedAt.IsZero() {
		t.Errorf("created key = %+v", k)
	}
	if err := s.CreateKey(ctx, &reel.Key{Name: "ci", Role: reel.RoleViewer}, reel.HashSecret(reel.NewSecret())); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("second valid key with the same name: %v, want conflict", err)
	}
	if err := s.CreateKey(ctx, &reel.Key{Name: "x", Role: "root"}, reel.HashSecret(reel.NewSecret())); reel.ErrorCode(err) != reel.EINVALID {
		t.Errorf("unknown role: %v, want invalid", err)
	}
	if ok, err := s.HasValidKeys(ctx); !ok || err != nil {
		t.Fatalf("HasValidKeys = %v, %v", ok, err)
	}

	got, err := s.KeyByHash(ctx, reel.HashSecret(secret))
	if err != nil || got.ID != k.ID || got.Role != reel.RoleUploader || !got.LastUsedAt.IsZero() || got.Revoked() {
		t.Fatalf("KeyByHash = %+v, %v", got, err)
	}
	if _, err := s.KeyByHash(ctx, reel.HashSecret(secret+"x")); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("KeyByHash of another secret: %v, want not found", err)
	}
	used := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := s.TouchKey(ctx, k.ID, used); err != nil {
		t.Fatal(err)
	}

	// A session lives until it expires or its key is revoked.
	now := time.Now()
	sess := reel.HashSecret(reel.NewSecret())
	if err := s.CreateSession(ctx, sess, k.ID, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if sk, err := s.SessionKey(ctx, sess, now); err != nil || sk.ID != k.ID {
		t.Errorf("SessionKey = %+v, %v", sk, err)
	}
	if _, err := s.SessionKey(ctx, sess, now.Add(2*time.Hour)); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("SessionKey after expiry: %v, want not found", err)
	}
	if _, err := s.SessionKey(ctx, bytes.Repeat([]byte{1}, 32), now); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("SessionKey of an unknown session: %v, want not found", err)
	}
	ended := reel.HashSecret(reel.NewSecret())
	s.CreateSession(ctx, ended, k.ID, now.Add(time.Minute))
	if err := s.DeleteSession(ctx, ended); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionKey(ctx, ended, now); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("SessionKey after sign-out: %v, want not found", err)
	}
	old := reel.HashSecret(reel.NewSecret())
	s.CreateSession(ctx, old, k.ID, now.Add(-time.Minute))
	if err := s.DeleteExpiredSessions(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionKey(ctx, old, now.Add(-time.Hour)); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("expired session still stored after DeleteExpiredSessions: %v", err)
	}

	// Revoke by name; then the name is free again and the id still names it.
	revoked, err := s.RevokeKey(ctx, "ci", now)
	if err != nil || revoked.ID != k.ID || !revoked.Revoked() {
		t.Fatalf("RevokeKey = %+v, %v", revoked, err)
	}
	if _, err := s.SessionKey(ctx, sess, now); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("session of a revoked key: %v, want not found", err)
	}
	if _, err := s.RevokeKey(ctx, k.ID, now); reel.ErrorCode(err) != reel.ECONFLICT {
		t.Errorf("revoking twice: %v, want conflict", err)
	}
	if _, err := s.RevokeKey(ctx, "nobody", now); reel.ErrorCode(err) != reel.ENOTFOUND {
		t.Errorf("revoking an unknown key: %v, want not found", err)
	}
	if ok, _ := s.HasValidKeys(ctx); ok {
		t.Error("HasValidKeys after revoking the only key = true")
	}
	again := &reel.Key{Name: "ci", Role: reel.RoleAdmin}
	if err := s.CreateKey(ctx, again, reel.HashSecret(reel.NewSecret())); err != nil {
		t.Fatalf("reusing a revoked key's name: %v", err)
	}
	if got, err := s.KeyByHash(ctx, reel.HashSecret(secret)); err != nil || !got.Revoked() || !got.LastUsedAt.Equal(used) {
		t.Errorf("revoked key = %+v, %v", got, err)
	}
	keys, err := s.Keys(ctx)
	if err != nil || len(keys) != 2 || keys[0].ID != k.ID || keys[1].ID != again.ID {
		t.Errorf("Keys = %v, %v", keys, err)
	}
}
