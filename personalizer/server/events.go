package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/rankloop/rankloop/personalizer"
)

// rank serves POST /rank: 201 and the ranking.
func (s *server) rank(w http.ResponseWriter, r *http.Request) {
	buf, ok := s.readBody(w, r, personalizer.CodeInvalidRankRequest)
	if !ok {
		return
	}
	if s.prepared != nil && s.rankPrepared(w, r, buf.Bytes()) {
		releaseBody(buf)
		return
	}

	var req personalizer.RankRequest
	err := s.decodeRankRequest(buf.Bytes(), &req)
	releaseBody(buf)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidRankRequest,
			fmt.Sprintf("invalid rank request: %v", err), nil)
		return
	}
	if err := checkRankRequest(&req); err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidRankRequest, err.Error(), nil)
		return
	}

	if req.EventID == "" {
		req.EventID = newEventID()
	}
	resp, err := s.loop.Rank(r.Context(), &req)
	if err != nil {
		s.failBackend(w, r, "rank", err)
		return
	}
	s.events.record(s.now())
	s.writeJSON(w, r, http.StatusCreated, resp)
}

// reward serves POST /events/{eventID}/reward: 204. Any finite value is
// accepted, and so is an event id the loop does not know, as the service
// queued rewards without checking them.
func (s *server) reward(w http.ResponseWriter, r *http.Request, eventID string) {
	if err := checkEventID(eventID); err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidRewardRequest, err.Error(), nil)
		return
	}
	buf, ok := s.readBody(w, r, personalizer.CodeInvalidRewardRequest)
	if !ok {
		return
	}
	var req personalizer.RewardRequest
	var err error
	if value, ok := parseRewardValue(buf.Bytes()); ok {
		req.Value = &value
	} else {
		err = decodeJSON(buf.Bytes(), &req)
	}
	releaseBody(buf)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidRewardRequest,
			fmt.Sprintf("invalid reward request: %v; send {\"value\": NUMBER}", err), nil)
		return
	}
	if req.Value == nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidRewardRequest,
			`invalid reward request: missing "value"; send {"value": NUMBER}`, nil)
		return
	}

	if err := s.loop.Reward(r.Context(), eventID, *req.Value); err != nil {
		s.failBackend(w, r, "reward", err)
		return
	}
	writeNoContent(w)
}

// activate serves POST /events/{eventID}/activate: 204. The body, which
// the JavaScript SDK sends empty with a JSON content type, is ignored.
func (s *server) activate(w http.ResponseWriter, r *http.Request, eventID string) {
	if err := checkEventID(eventID); err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidEventIDToActivate, err.Error(), nil)
		return
	}
	buf, ok := s.readBody(w, r, personalizer.CodeInvalidEventIDToActivate)
	if !ok {
		return
	}
	releaseBody(buf)

	if err := s.loop.Activate(r.Context(), eventID); err != nil {
		s.failBackend(w, r, "activate", err)
		return
	}
	writeNoContent(w)
}

// newEventID returns 32 random lower-case hex digits, the form the
// service's own event ids began with.
func newEventID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// checkEventID checks an event id taken from a path.
func checkEventID(id string) error {
	if n := utf8.RuneCountInString(id); n > personalizer.MaxIDLength {
		return fmt.Errorf("event id has %d characters, more than %d", n, personalizer.MaxIDLength)
	}
	return nil
}
