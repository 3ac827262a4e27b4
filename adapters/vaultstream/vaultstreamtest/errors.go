package vaultstreamtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// apiError is an error the API answers with its status and
// {"error": {"code", "message"}} body.
type apiError struct {
	status  int
	code    string
	message string
	details map[string]any // {"id": ...} for a conflict
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.message) }

func invalid(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "invalid_request", message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: "not_found", message: fmt.Sprintf(format, args...)}
}

// codeFor is the error code of API.md's table for a status.
func codeFor(status int) string {
	switch {
	case status == http.StatusBadRequest:
		return "invalid_request"
	case status == http.StatusUnauthorized:
		return "unauthorized"
	case status == http.StatusNotFound:
		return "not_found"
	case status == http.StatusConflict:
		return "conflict"
	case status == http.StatusTooManyRequests:
		return "rate_limited"
	case status >= 500:
		return "unavailable"
	}
	return "error"
}

type errorBody struct {
	Error struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	var b errorBody
	b.Error.Code, b.Error.Message, b.Error.Details = e.code, e.message, e.details
	writeJSON(w, e.status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only the simulator's own types are written: a bug
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"unavailable","message":"the simulator could not encode its answer"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

// object is a request body decoded one level deep.
type object map[string]json.RawMessage

// decodeObject decodes a body that must be one JSON object with no fields
// but the allowed ones, or with any fields when none are given.
func decodeObject(body []byte, allowed ...string) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var obj object
	if err := dec.Decode(&obj); err != nil {
		return nil, invalid("the body must be a JSON object: %v", err)
	}
	if obj == nil {
		return nil, invalid("the body must be a JSON object, not null")
	}
	if dec.More() {
		return nil, invalid("the body must be one JSON object: more data follows it")
	}
	for _, k := range sortedKeys(obj) {
		if allowed != nil && !slices.Contains(allowed, k) {
			return nil, invalid("unknown field %q (want %s)", k, strings.Join(allowed, ", "))
		}
	}
	return obj, nil
}

// has reports whether the field is present, even as null.
func (o object) has(name string) bool { _, ok := o[name]; return ok }

// isNull reports whether the field is present and null.
func (o object) isNull(name string) bool {
	raw, ok := o[name]
	return ok && bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// str returns a string field; absent or null is "".
func (o object) str(name string) (string, error) {
	raw, ok := o[name]
	if !ok || o.isNull(name) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", invalid("%s must be a string", name)
	}
	return s, nil
}

// required returns a string field that must be present and not empty.
func (o object) required(name string) (string, error) {
	s, err := o.str(name)
	if err == nil && s == "" {
		err = invalid("%s is required", name)
	}
	return s, err
}

// oneOf returns a required string field that must be one of values.
func (o object) oneOf(name string, values []string) (string, error) {
	s, err := o.required(name)
	if err == nil && !slices.Contains(values, s) {
		err = invalid("%s must be one of %s, not %q", name, strings.Join(values, ", "), s)
	}
	return s, err
}

// number checks an optional field that must be a number of at least 0.
func (o object) number(name string) error {
	raw, ok := o[name]
	if !ok {
		return nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || o.isNull(name) || f < 0 {
		return invalid("%s must be a number of at least 0", name)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
