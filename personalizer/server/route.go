package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rankloop/rankloop/personalizer"
)

// apiVersions are the path versions served, all with the same handlers.
var apiVersions = []string{"v1.0", "v1.1-preview.1", "v1.1-preview.2", "v1.1-preview.3"}

// operation names one route of the API below /personalizer/{version}.
type operation int

const (
	opUnknown operation = iota
	opRank
	opReward
	opActivate
	opServiceConfiguration
	opPolicy
	opModel
	opModelProperties
	opLogs
	opLogsProperties
)

// route is a parsed request path.
type route struct {
	op      operation
	eventID string // for opReward and opActivate, URL-decoded
}

// parseRoute maps an escaped request path to an operation. Repeated and
// trailing slashes are dropped first, because the .NET SDK sends
// //personalizer when its endpoint ends in a slash. Each segment is then
// URL-decoded on its own, so an event id may contain an encoded slash.
// An unknown path gives opUnknown; only a malformed escape is an error.
func parseRoute(escapedPath string) (route, error) {
	// Only paths of at most maxSegments segments name an operation, but
	// every segment's escapes are checked.
	const maxSegments = 6
	var stored [maxSegments]string
	count := 0
	for rest := escapedPath; rest != ""; {
		var seg string
		seg, rest, _ = strings.Cut(rest, "/")
		if seg == "" {
			continue
		}
		if strings.IndexByte(seg, '%') >= 0 {
			decoded, err := url.PathUnescape(seg)
			if err != nil {
				return route{}, fmt.Errorf("invalid escape in path segment %q", seg)
			}
			seg = decoded
		}
		if count < maxSegments {
			stored[count] = seg
		}
		count++
	}
	if count > maxSegments {
		return route{}, nil
	}
	segments := stored[:count]

	if len(segments) < 3 || segments[0] != "personalizer" || !knownVersion(segments[1]) {
		return route{}, nil
	}
	rest := segments[2:]

	switch {
	case len(rest) == 1 && rest[0] == "rank":
		return route{op: opRank}, nil
	case len(rest) == 3 && rest[0] == "events" && rest[2] == "reward":
		return route{op: opReward, eventID: rest[1]}, nil
	case len(rest) == 3 && rest[0] == "events" && rest[2] == "activate":
		return route{op: opActivate, eventID: rest[1]}, nil
	case len(rest) == 2 && rest[0] == "configurations" && rest[1] == "service":
		return route{op: opServiceConfiguration}, nil
	case len(rest) == 2 && rest[0] == "configurations" && rest[1] == "policy":
		return route{op: opPolicy}, nil
	case len(rest) == 1 && rest[0] == "model":
		return route{op: opModel}, nil
	case len(rest) == 2 && rest[0] == "model" && rest[1] == "properties":
		return route{op: opModelProperties}, nil
	case len(rest) == 1 && rest[0] == "logs":
		return route{op: opLogs}, nil
	case len(rest) == 2 && rest[0] == "logs" && rest[1] == "properties":
		return route{op: opLogsProperties}, nil
	}
	return route{}, nil
}

func knownVersion(v string) bool {
	for _, known := range apiVersions {
		if v == known {
			return true
		}
	}
	return false
}

// handler serves one method of an operation. eventID is the event id of
// the route, empty for operations without one.
type handler func(s *server, w http.ResponseWriter, r *http.Request, eventID string)

// methodHandler is a method an operation accepts and its handler.
type methodHandler struct {
	method string
	serve  handler
}

// operations lists the methods of each operation, in the order the Allow
// header of a 405 response lists them.
var operations = [...][]methodHandler{
	opRank:     {{http.MethodPost, withoutEventID((*server).rank)}},
	opReward:   {{http.MethodPost, (*server).reward}},
	opActivate: {{http.MethodPost, (*server).activate}},
	opServiceConfiguration: {
		{http.MethodGet, withoutEventID((*server).getServiceConfiguration)},
		{http.MethodPut, withoutEventID((*server).putServiceConfiguration)},
	},
	opPolicy: {
		{http.MethodGet, withoutEventID((*server).getPolicy)},
		{http.MethodPut, withoutEventID((*server).putPolicy)},
		{http.MethodDelete, withoutEventID((*server).deletePolicy)},
	},
	// NOTE: GET /model (export) is not served: the embedded loop has
	// no Vowpal Wabbit model file to send.
	opModel:           {{http.MethodDelete, withoutEventID((*server).deleteModel)}},
	opModelProperties: {{http.MethodGet, withoutEventID((*server).getModelProperties)}},
	opLogs:            {{http.MethodDelete, withoutEventID((*server).deleteLogs)}},
	opLogsProperties:  {{http.MethodGet, withoutEventID((*server).getLogsProperties)}},
}

// withoutEventID adapts the handler of an operation without an event id.
func withoutEventID(serve func(*server, http.ResponseWriter, *http.Request)) handler {
	return func(s *server, w http.ResponseWriter, r *http.Request, _ string) { serve(s, w, r) }
}

// dispatch calls the handler of the route and method, or responds 404
// or 405. HEAD is served as GET without the body.
func (s *server) dispatch(w http.ResponseWriter, r *http.Request, rt route) {
	if rt.op == opUnknown {
		s.fail(w, r, http.StatusNotFound, personalizer.CodeResourceNotFound,
			fmt.Sprintf("no operation at %s; the API is served under /personalizer/{%s}/", r.URL.EscapedPath(), strings.Join(apiVersions, "|")), nil)
		return
	}

	// The GET handler serves HEAD too, and net/http drops the body it
	// writes, so HEAD returns the headers of GET.
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	methods := operations[rt.op]
	for _, m := range methods {
		if m.method == method {
			m.serve(s, w, r, rt.eventID)
			return
		}
	}
	allowed := make([]string, len(methods))
	for i, m := range methods {
		allowed[i] = m.method
	}
	s.methodNotAllowed(w, r, allowed...)
}

// methodNotAllowed responds 405 with the Allow header.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request, allowed ...string) {
	list := strings.Join(allowed, ", ")
	w.Header().Set("Allow", list)
	s.fail(w, r, http.StatusMethodNotAllowed, personalizer.CodeBadRequest,
		fmt.Sprintf("method %s is not allowed on %s; allowed: %s", r.Method, r.URL.EscapedPath(), list), nil)
}
