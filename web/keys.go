package web

// API keys, managed in the API by admins only: what `reel keys` does on
// the server's machine. A new key's secret is in the answer to its
// creation and nowhere else; reel keeps its SHA-256.
//
//	curl -s -H "Authorization: Bearer $KEY" http://localhost:8080/api/keys \
//	  -d '{"name": "alice", "role": "uploader"}'

import (
	"net/http"

	"reel"
	"reel/api"
)

// maxKeyBody bounds the JSON of POST /api/keys.
const maxKeyBody = 4 << 10

// keyStore returns the store of keys if the caller is an admin.
func (s *Server) keyStore(r *http.Request) (reel.KeyStore, error) {
	if p := s.principal(r); p == nil || p.Role != reel.RoleAdmin {
		return nil, reel.Errorf(reel.EFORBIDDEN, "Only admins may manage API keys.")
	}
	if s.Access.Keys == nil {
		return nil, reel.Errorf(reel.ENOTFOUND, "This server has no API keys.")
	}
	return s.Access.Keys, nil
}

func (s *Server) handleKeyList(w http.ResponseWriter, r *http.Request) {
	store, err := s.keyStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	keys, err := store.Keys(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := api.KeyList{Keys: []api.Key{}}
	for _, k := range keys {
		out.Keys = append(out.Keys, api.KeyOf(k))
	}
	s.json(w, http.StatusOK, out)
}

// handleKeyCreate makes a key and answers its secret, once. The first
// key ends open mode (within openCheckEvery).
func (s *Server) handleKeyCreate(w http.ResponseWriter, r *http.Request) {
	store, err := s.keyStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req api.KeyCreate
	if err := decodeJSON(w, r, maxKeyBody, &req); err != nil {
		s.error(w, r, err)
		return
	}
	name, err := reel.CleanKeyName(req.Name)
	if err == nil && !reel.ValidRole(req.Role) {
		err = reel.Errorf(reel.EINVALID, "The role must be admin, uploader or viewer.")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	secret := reel.NewSecret()
	k := &reel.Key{Name: name, Role: req.Role}
	if err := store.CreateKey(r.Context(), k, reel.HashSecret(secret)); err != nil {
		s.error(w, r, err)
		return
	}
	s.Logger.Info("key created", "key", k.ID, "name", k.Name, "role", k.Role, "by", s.principal(r).KeyID)
	out := api.KeyOf(k)
	out.Secret = secret
	s.json(w, http.StatusCreated, out)
}

// handleKeyRevoke revokes the key with the id (never by name, unlike
// `reel keys revoke`: the page names keys by id) and ends its sessions;
// 409 if it was revoked already. It answers the key as revoked.
func (s *Server) handleKeyRevoke(w http.ResponseWriter, r *http.Request) {
	store, err := s.keyStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	notFound := reel.Errorf(reel.ENOTFOUND, "No key has the id %q.", id)
	if !reel.ValidID(id) {
		s.error(w, r, notFound)
		return
	}
	// The store revokes by id or name: make sure the id is a key's.
	keys, err := store.Keys(ctx)
	if err != nil {
		s.error(w, r, err)
		return
	}
	found := false
	for _, k := range keys {
		found = found || k.ID == id
	}
	if !found {
		s.error(w, r, notFound)
		return
	}
	k, err := store.RevokeKey(ctx, id, s.Now())
	if err != nil {
		s.error(w, r, err)
		return
	}
	s.Logger.Info("key revoked", "key", k.ID, "name", k.Name, "by", s.principal(r).KeyID)
	s.json(w, http.StatusOK, api.KeyOf(k))
}
