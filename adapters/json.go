package adapters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed marks a webhook body that cannot be decoded.
var ErrMalformed = errors.New("malformed webhook body")

// DecodeObject decodes a webhook body that must be one JSON object.
func DecodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object: %v", ErrMalformed, err)
	}
	if obj == nil {
		return nil, fmt.Errorf("%w: not a JSON object: null", ErrMalformed)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: more data follows the JSON object", ErrMalformed)
	}
	return obj, nil
}

// String returns a string field of a decoded object, or "".
func String(obj map[string]any, key string) string {
	s, _ := obj[key].(string)
	return s
}

// ContentID returns obj[key], a content event's content id, which must be
// a string with more than blanks; field names it in the body and what says
// what it is (the content's id, its slug), for the error, an ErrMalformed.
// A number is refused rather than converted: the platforms send ids as
// strings, and a number read as a float may be rounded or spelled another
// way.
func ContentID(obj map[string]any, key, field, typ, what string) (string, error) {
	v, present := obj[key]
	s, isString := v.(string)
	switch {
	case !present || v == nil:
		return "", fmt.Errorf("%w: a %s event needs %q, %s", ErrMalformed, typ, field, what)
	case !isString:
		return "", fmt.Errorf("%w: %q of a %s event must be a string, not %s", ErrMalformed, field, typ, jsonKind(v))
	case strings.TrimSpace(s) == "":
		return "", fmt.Errorf("%w: %q of a %s event is empty", ErrMalformed, field, typ)
	}
	return s, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case float64:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return "another JSON value"
}
