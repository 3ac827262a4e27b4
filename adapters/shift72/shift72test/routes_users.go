package shift72test

import (
	"encoding/json"
	"net/http"
)

// account is a user who can sign in.
type account struct {
	userID   int
	email    string
	password string
	token    string
}

// WithSignIn lets POST /services/users/auth/sign_in accept the email and
// password, answering with token as the auth_token: the admin token
// (AdminToken, or that of WithAdminToken) for an admin, any other token for
// a plain user, whom admin routes answer 401.
func WithSignIn(email, password, token string) Option {
	return func(s *Server) {
		s.accounts[email] = account{userID: len(s.accounts) + 2, email: email, password: password, token: token}
	}
}

// bouncer is GET /services/users/auth/bouncer: 200 for an admin, else 401
// with an empty body.
func (s *Server) bouncer(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "Authorized"})
}

// signIn is POST /services/users/auth/sign_in with
// {"user":{"email":..,"password":..,"remember_me":false}}: the auth token and
// account, or 401 {"error": ...} (the body is assumed).
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	var req struct {
		User struct {
			Email    string `json:"email"`
			Password string `json:"password"`
		} `json:"user"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "the body must be {\"user\":{\"email\":...,\"password\":...}}")
		return
	}
	a, ok := s.accounts[req.User.Email]
	if !ok || a.password != req.User.Password || a.password == "" {
		writeError(w, http.StatusUnauthorized, "Invalid email or password.")
		return
	}
	user := map[string]any{"user_id": a.userID, "email": a.email, "name": a.email}
	writeJSON(w, http.StatusOK, map[string]any{
		"auth_token": a.token,
		"account": map[string]any{
			"user_id": a.userID, "email": a.email, "name": a.email,
			"users": []any{user}, "bypass_cache": a.token == s.adminToken,
		},
	})
}
