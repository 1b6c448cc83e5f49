package web

import (
	"context"
	"net/http"

	"reel"
	"reel/api"
	"reel/webhook"
)

// Webhooks are managed by admins only (their secrets sign what reel says
// about every video); each video's event log is read like the video.

// admin returns an error unless the caller is an admin.
func (s *Server) admin(r *http.Request) error {
	if p := s.principal(r); p == nil || p.Role != reel.RoleAdmin {
		return reel.Errorf(reel.EFORBIDDEN, "Only admins may manage webhooks.")
	}
	return nil
}

// webhookStore returns the store, or an error when webhooks are off.
func (s *Server) webhookStore(r *http.Request) (reel.WebhookStore, error) {
	if err := s.admin(r); err != nil {
		return nil, err
	}
	if s.Webhooks.Store == nil {
		return nil, reel.Errorf(reel.ENOTFOUND, "This server has no webhooks.")
	}
	return s.Webhooks.Store, nil
}

func webhookJSON(w *reel.Webhook, withSecret bool) api.Webhook {
	j := api.Webhook{ID: w.ID, URL: w.URL, Events: w.Events, CreatedAt: w.CreatedAt}
	if withSecret {
		j.Secret = w.Secret
	}
	return j
}

func (s *Server) handleWebhookCreate(w http.ResponseWriter, r *http.Request) {
	store, err := s.webhookStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	var req api.WebhookCreate
	if err := decodeJSON(w, r, 16<<10, &req); err != nil {
		s.error(w, r, err)
		return
	}
	if err := webhook.CheckEvents(req.Events); err != nil {
		s.error(w, r, err)
		return
	}
	check := s.Webhooks.CheckURL
	if check == nil {
		check = func(_ context.Context, u string) error { _, err := webhook.ParseURL(u); return err }
	}
	if err := check(r.Context(), req.URL); err != nil {
		s.error(w, r, err)
		return
	}
	hook := &reel.Webhook{URL: req.URL, Events: req.Events, Secret: webhook.NewSecret()}
	if err := store.CreateWebhook(r.Context(), hook); err != nil {
		s.error(w, r, err)
		return
	}
	s.json(w, http.StatusCreated, webhookJSON(hook, true))
}

func (s *Server) handleWebhookList(w http.ResponseWriter, r *http.Request) {
	store, err := s.webhookStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	hooks, err := store.Webhooks(r.Context())
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := api.WebhookList{Webhooks: []api.Webhook{}}
	for _, h := range hooks {
		out.Webhooks = append(out.Webhooks, webhookJSON(h, false))
	}
	s.json(w, http.StatusOK, out)
}

func (s *Server) handleWebhookDelete(w http.ResponseWriter, r *http.Request) {
	store, err := s.webhookStore(r)
	if err == nil {
		err = store.DeleteWebhook(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleWebhookRotate gives the webhook a new secret, shown once. The
// messages still to be retried are signed with the new one.
func (s *Server) handleWebhookRotate(w http.ResponseWriter, r *http.Request) {
	store, err := s.webhookStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	secret := webhook.NewSecret()
	if err := store.SetWebhookSecret(r.Context(), id, secret); err != nil {
		s.error(w, r, err)
		return
	}
	hook, err := store.Webhook(r.Context(), id)
	if err != nil {
		s.error(w, r, err)
		return
	}
	hook.Secret = secret // what this request set, even if another rotation followed
	s.json(w, http.StatusOK, webhookJSON(hook, true))
}

func (s *Server) handleWebhookDeliveries(w http.ResponseWriter, r *http.Request) {
	store, err := s.webhookStore(r)
	if err != nil {
		s.error(w, r, err)
		return
	}
	id := r.PathValue("id")
	if _, err := store.Webhook(r.Context(), id); err != nil {
		s.error(w, r, err)
		return
	}
	ds, err := store.Deliveries(r.Context(), id, 100)
	if err != nil {
		s.error(w, r, err)
		return
	}
	out := api.DeliveryList{Deliveries: []api.Delivery{}}
	for _, d := range ds {
		out.Deliveries = append(out.Deliveries, api.Delivery{Time: d.Time, Event: d.Event, WebhookID: d.MessageID,
			Attempt: d.Attempt, Status: d.Status, Error: d.Error})
	}
	s.json(w, http.StatusOK, out)
}

// handleVideoEvents answers the video's event log to whoever may read the
// video; the stderr tail of failures only to admins.
func (s *Server) handleVideoEvents(w http.ResponseWriter, r *http.Request) {
	v, err := s.visibleVideo(r)
	if err == nil && s.Events == nil {
		err = reel.Errorf(reel.ENOTFOUND, "This server keeps no event log.")
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	events, err := s.Events.VideoEvents(r.Context(), v.ID)
	if err != nil {
		s.error(w, r, err)
		return
	}
	p := s.principal(r)
	admin := p != nil && p.Role == reel.RoleAdmin
	out := api.VideoEvents{Events: []api.VideoEvent{}}
	for _, e := range events {
		j := api.VideoEvent{Time: e.Time, Type: e.Type, Message: e.Message, Data: e.Data}
		if admin {
			j.Detail = e.Detail
		}
		out.Events = append(out.Events, j)
	}
	s.json(w, http.StatusOK, out)
}
