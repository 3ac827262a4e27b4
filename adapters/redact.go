package adapters

import (
	"errors"
	"strings"
)

// Redacted is what replaces a secret in an error's message.
const Redacted = "[redacted]"

// Redact returns err with every occurrence of secret (an API token)
// replaced by Redacted in its message, should a platform or a proxy ever
// echo the token into an answer or a transport error quote it. A
// *CallError in err's chain is redacted in place, its Message and its Err;
// if err's message still holds the secret after that (the secret is in a
// wrapper's text), err itself is wrapped. A redacted error still unwraps
// to the original one, so errors.Is and errors.As see what they saw
// before. An empty secret, a nil error or a message without the secret
// leaves err as it is.
func Redact(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	var ce *CallError
	if errors.As(err, &ce) {
		ce.Message = RedactString(ce.Message, secret)
		if ce.Err != nil && strings.Contains(ce.Err.Error(), secret) {
			ce.Err = redactedError{msg: RedactString(ce.Err.Error(), secret), err: ce.Err}
		}
	}
	if strings.Contains(err.Error(), secret) {
		return redactedError{msg: RedactString(err.Error(), secret), err: err}
	}
	return err
}

// RedactString returns s with every occurrence of secret replaced by
// Redacted; an empty secret leaves s as it is.
func RedactString(s, secret string) string {
	if secret == "" {
		return s
	}
	return strings.ReplaceAll(s, secret, Redacted)
}

// redactedError is an error whose message had the secret removed; it
// unwraps to the original, for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
