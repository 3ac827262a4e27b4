package shift72test_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters/shift72/shift72test"
)

func TestSignIn(t *testing.T) {
	s := newServer(t,
		shift72test.WithSignIn("admin@example.com", "s3cret", shift72test.AdminToken))

	r := call(t, s, "POST", "/services/users/auth/sign_in", "", `{"user":{"email":"admin@example.com","password":"s3cret","remember_me":false}}`)
	require.Equal(t, http.StatusOK, r.status)
	got := decode[map[string]any](t, r.body)
	require.Equal(t, shift72test.AdminToken, got["auth_token"])
	require.Equal(t, "admin@example.com", got["account"].(map[string]any)["email"])
	token := got["auth_token"].(string)
	require.Equal(t, http.StatusOK, call(t, s, "GET", "/services/users/auth/bouncer", token, "").status, "the token works")

	r = call(t, s, "POST", "/services/users/auth/sign_in", "", `{"user":{"email":"viewer@example.com","password":"pw"}}`)
	token = decode[map[string]any](t, r.body)["auth_token"].(string)
	require.Equal(t, http.StatusUnauthorized, call(t, s, "GET", "/services/users/auth/bouncer", token, "").status, "a plain user is no admin")

	for _, body := range []string{
		`{"user":{"email":"admin@example.com","password":"wrong"}}`,
		`{"user":{"email":"nobody@example.com","password":"s3cret"}}`,
		`{"user":{}}`,
	} {
		r := call(t, s, "POST", "/services/users/auth/sign_in", "", body)
		require.Equal(t, http.StatusUnauthorized, r.status, body)
		require.NotEmpty(t, decode[map[string]string](t, r.body)["error"])
	}
	require.Equal(t, http.StatusBadRequest, call(t, s, "POST", "/services/users/auth/sign_in", "", `{`).status)
	require.Equal(t, http.StatusNotFound, call(t, s, "GET", "/services/users/auth/sign_in", "", "").status)
}
