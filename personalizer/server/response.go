package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
)

// jsonContentType is the content type of every JSON response, errors
// included: the JavaScript SDK fails to parse an error body without it.
const jsonContentType = "application/json; charset=utf-8"

// jsonContentTypeHeader is the Content-Type header value, assigned to the
// header map directly to skip the key canonicalization of Header.Set on
// every response. Nothing modifies it.
var jsonContentTypeHeader = []string{jsonContentType}

// writeJSON writes status and v encoded as JSON.
func (s *server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, personalizer.CodeInternalServerError,
			"encoding the response failed", err)
		return
	}
	writeJSONBytes(w, status, data)
}

// writeJSONBytes writes status and data, a JSON value.
func writeJSONBytes(w http.ResponseWriter, status int, data []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentTypeHeader
	h["Content-Length"] = []string{strconv.Itoa(len(data))}
	w.WriteHeader(status)
	w.Write(data)
}

// writeNoContent writes 204 with no body.
func writeNoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// fail writes an error in the API's {"error":{"code","message"}} form and
// logs one line about it: at Error for 5xx, at Warn otherwise. cause, when
// not nil, is logged but not sent.
func (s *server) fail(w http.ResponseWriter, r *http.Request, status int, code, message string, cause error) {
	level := slog.LevelWarn
	if status >= 500 {
		level = slog.LevelError
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.EscapedPath()),
		slog.Int("status", status),
		slog.String("code", code),
		slog.String("message", message),
	}
	if cause != nil {
		attrs = append(attrs, slog.String("err", cause.Error()))
	}
	s.logger.LogAttrs(r.Context(), level, "request failed", attrs...)

	body, _ := json.Marshal(personalizer.ErrorResponse{Error: personalizer.ErrorDetail{Code: code, Message: message}})
	h := w.Header()
	h.Set("Content-Type", jsonContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// codedError is an error a backend other than the embedded loop may return
// for a request it rejects, such as an invalid policy: it carries the API
// error code to respond with.
type codedError interface {
	error
	ErrorCode() string
}

// failBackend writes the response to an error returned by the backend for
// operation op. An [personalizer.APIError], from a backend that is itself
// a client, keeps its status and code. A validation error with an API code
// (the embedded loop's [local.InvalidRequestError] or a [codedError]) is
// a 400. A cancelled request is only logged, and any other error is a 500.
func (s *server) failBackend(w http.ResponseWriter, r *http.Request, op string, err error) {
	var apiErr *personalizer.APIError
	var invalid *local.InvalidRequestError
	var coded codedError
	switch {
	case errors.As(err, &apiErr) && apiErr.StatusCode >= 400:
		code := apiErr.Code
		if code == "" {
			code = personalizer.CodeInternalServerError
		}
		s.fail(w, r, apiErr.StatusCode, code, apiErr.Message, err)
	case errors.As(err, &invalid):
		s.fail(w, r, http.StatusBadRequest, invalid.Code, invalid.Message, nil)
	case errors.As(err, &coded):
		s.fail(w, r, http.StatusBadRequest, coded.ErrorCode(), err.Error(), nil)
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The caller has disconnected, so no response can be delivered.
		s.logger.LogAttrs(r.Context(), slog.LevelInfo, "request cancelled by the caller",
			slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()), slog.String("err", err.Error()))
	default:
		s.fail(w, r, http.StatusInternalServerError, personalizer.CodeInternalServerError,
			fmt.Sprintf("%s failed: %v", op, err), err)
	}
}

// bodyPool recycles request body buffers between requests.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readBody reads the whole request body, at most maxBodyBytes of it. When
// it fails it has written the response (413 PayloadSizeExceeded or 400) and returns
// false. The caller returns buf to bodyPool when done with the bytes.
func (s *server) readBody(w http.ResponseWriter, r *http.Request, code string) (*bytes.Buffer, bool) {
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.maxBodyBytes))
	if err == nil {
		return buf, true
	}
	bodyPool.Put(buf)

	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		s.fail(w, r, http.StatusRequestEntityTooLarge, personalizer.CodePayloadSizeExceeded,
			fmt.Sprintf("request body is larger than %d bytes", tooLarge.Limit), nil)
		return nil, false
	}
	s.fail(w, r, http.StatusBadRequest, code, "reading the request body failed", err)
	return nil, false
}

// releaseBody returns a buffer from readBody to the pool. Very large
// buffers are dropped so that one huge request does not pin memory.
func releaseBody(buf *bytes.Buffer) {
	if buf.Cap() <= 64<<10 {
		bodyPool.Put(buf)
	}
}

// decodeJSON decodes exactly one JSON value from data into v, rejecting
// trailing data after it. Its errors name the JSON field and types, not
// Go's.
func decodeJSON(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return errors.New("empty body, want a JSON object")
	}
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}

	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && strings.HasPrefix(typeErr.Value, "number") && jsonTypeName(typeErr.Type) == "a number":
		return fmt.Errorf("%q: %s is out of range", typeErr.Field, typeErr.Value)
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return fmt.Errorf("the body is a JSON %s, want %s", typeErr.Value, jsonTypeName(typeErr.Type))
	case errors.As(err, &typeErr):
		return fmt.Errorf("%q is a JSON %s, want %s", typeErr.Field, typeErr.Value, jsonTypeName(typeErr.Type))
	case errors.As(err, &syntaxErr) && syntaxErr.Offset >= int64(len(data)):
		return errors.New("malformed JSON: the body ends early")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("malformed JSON at byte %d: %v", syntaxErr.Offset, syntaxErr)
	}
	return err
}

// jsonTypeName names the JSON type that decodes into t.
func jsonTypeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}
