package adapters_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/organizer-dev/organizer/adapters"
)

// The shared redaction of both API clients: no error that ever held the
// token shows it, however it is printed or unwrapped, and errors.Is and
// errors.As still see what they saw before.
func TestRedactLeavesNoTokenInErrors(t *testing.T) {
	const token = "tok_0123456789abcdef"
	transport := fmt.Errorf("Get \"http://127.0.0.1:1/?key=%s\": %w", token, context.DeadlineExceeded)
	cases := map[string]struct {
		err  error
		is   error // errors.Is still finds it, when set
		call bool  // errors.As still finds the *CallError
	}{
		"echoed in an answer": {
			err:  &adapters.CallError{Kind: adapters.Transient, Status: http.StatusInternalServerError, Message: "echo: Authorization: Bearer " + token},
			call: true,
		},
		"quoted by a transport error": {
			err:  &adapters.CallError{Kind: adapters.Transient, Message: transport.Error(), Err: transport},
			is:   context.DeadlineExceeded,
			call: true,
		},
		"twice, in a wrapped call error": {
			err:  fmt.Errorf("PUT /bundles/%s: %w", token, &adapters.CallError{Kind: adapters.Permanent, Message: token + token}),
			call: true,
		},
		"in a plain error": {
			err: fmt.Errorf("building the request for %s: %w", token, context.Canceled),
			is:  context.Canceled,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			require.Contains(t, c.err.Error(), token, "the case must start with the token in it")
			err := adapters.Redact(c.err, token)
			require.Error(t, err)
			for _, shown := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%s", err)} {
				require.NotContains(t, shown, token)
			}
			require.Contains(t, err.Error(), adapters.Redacted)
			var ce *adapters.CallError
			if errors.As(err, &ce) {
				require.NotContains(t, ce.Message, token)
				if ce.Err != nil {
					require.NotContains(t, ce.Err.Error(), token)
				}
			}
			require.Equal(t, c.call, ce != nil)
			if c.is != nil {
				require.ErrorIs(t, err, c.is)
			}
		})
	}

	// Nothing to redact: the same error, untouched.
	plain := errors.New("HTTP 404: no such item")
	require.Same(t, plain, adapters.Redact(plain, token))
	require.Equal(t, plain, adapters.Redact(plain, ""))
	require.NoError(t, adapters.Redact(nil, token))
	withToken := errors.New("key " + token)
	require.Equal(t, withToken, adapters.Redact(withToken, ""), "an empty token redacts nothing")
	require.Equal(t, "a [redacted] b [redacted]", adapters.RedactString("a "+token+" b "+token, token))
}
