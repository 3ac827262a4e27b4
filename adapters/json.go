package adapters

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
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
