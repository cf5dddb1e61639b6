package server

// rankSpans is a rank request with its contextFeatures and actions kept as
// JSON text, for [preparedCache]. A nil contextFeatures stands for an
// absent or null array.
type rankSpans struct {
	contextFeatures []byte
	actions         []byte
	eventID         string
	deferActivation bool
}

// spans parses a rank request body into out without decoding its
// contextFeatures and actions arrays. It accepts a subset of the bodies
// that [rankParser.request] accepts: a top-level object whose
// contextFeatures is an array or null, whose actions is an array, and
// whose excludedActions, when present, is null or empty. Keys with
// escapes, repeated fields and differently cased field names end the fast
// path as in request. The arrays are only scanned for their end, so
// their text must be decoded before its content is trusted.
//
// knownActions, when not empty, is the text of an actions array decoded
// before. When the actions value starts with that text, spans takes it
// without scanning: a valid JSON array ends at its closing bracket, so
// the value is exactly that text.
func (p *rankParser) spans(out *rankSpans, knownActions string) error {
	p.skipSpace()
	err := p.object(rankRequestFields, func(field int) (err error) {
		switch field {
		case requestContextFeatures:
			if !p.literal("null") {
				out.contextFeatures, err = p.arrayText()
			}
		case requestActions:
			if rest := p.data[p.pos:]; knownActions != "" && len(rest) >= len(knownActions) && string(rest[:len(knownActions)]) == knownActions {
				out.actions = rest[:len(knownActions)]
				p.pos += len(knownActions)
			} else {
				out.actions, err = p.arrayText()
			}
		case requestExcludedActions:
			var excluded []string
			if excluded, err = p.stringList(); err == nil && len(excluded) > 0 {
				err = errSlowPath
			}
		case requestEventID:
			out.eventID, err = p.eventID()
		case requestDeferActivation:
			out.deferActivation, err = p.deferActivation()
		}
		return err
	})
	if err != nil {
		return err
	}
	return p.end()
}

// arrayText moves past the array at p.pos and returns its text. It checks
// strings and matches brackets but does not check what lies between them.
func (p *rankParser) arrayText() ([]byte, error) {
	if p.peek() != '[' {
		return nil, errSlowPath
	}
	start := p.pos
	depth := 0
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case '"':
			if _, _, err := p.stringBytes(); err != nil {
				return nil, err
			}
			continue
		case '[', '{':
			depth++
			if depth > maxFastDepth {
				return nil, errSlowPath
			}
		case ']', '}':
			depth--
			if depth == 0 {
				p.pos++
				return p.data[start:p.pos], nil
			}
		}
		p.pos++
	}
	return nil, errSlowPath
}

// parseRewardValue parses a reward body of the form {"value": NUMBER},
// white space allowed, the form every SDK sends. ok is false for any other
// body, which encoding/json then decodes or rejects.
func parseRewardValue(data []byte) (value float64, ok bool) {
	p := rankParser{data: data}
	p.skipSpace()
	if !p.consume('{') {
		return 0, false
	}
	p.skipSpace()
	if !p.literal(`"value"`) {
		return 0, false
	}
	p.skipSpace()
	if !p.consume(':') {
		return 0, false
	}
	p.skipSpace()
	value, err := p.float()
	if err != nil {
		return 0, false
	}
	p.skipSpace()
	if !p.consume('}') || p.end() != nil {
		return 0, false
	}
	return value, true
}
