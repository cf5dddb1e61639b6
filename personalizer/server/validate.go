package server

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/rankloop/rankloop/personalizer"
)

// checkRankRequest rejects the rank requests the service rejected or could
// not featurize. These are requests with no actions, an action without an
// id or features, an id longer than 256 characters, duplicate action ids,
// every action excluded or a null feature object. Arrays inside features
// may hold only numbers, objects and nulls, because Vowpal Wabbit's JSON
// input has no string arrays.
func checkRankRequest(req *personalizer.RankRequest) error {
	if len(req.Actions) == 0 {
		return errors.New(`invalid rank request: no actions; "actions" needs at least one action`)
	}
	if n := utf8.RuneCountInString(req.EventID); n > personalizer.MaxIDLength {
		return fmt.Errorf("invalid rank request: eventId has %d characters, more than %d", n, personalizer.MaxIDLength)
	}
	if err := checkContextFeatures(req.ContextFeatures); err != nil {
		return err
	}
	if err := checkActions(req.Actions); err != nil {
		return err
	}

	excluded := 0
	for _, a := range req.Actions {
		for _, x := range req.ExcludedActions {
			if a.ID == x {
				excluded++
				break
			}
		}
	}
	if excluded == len(req.Actions) {
		return errors.New("invalid rank request: every action is excluded; leave at least one action out of excludedActions")
	}
	return nil
}

// checkContextFeatures checks the contextFeatures of a rank request.
func checkContextFeatures(list []map[string]any) error {
	for i, features := range list {
		if err := checkFeatureObject(features); err != nil {
			return fmt.Errorf("invalid rank request: contextFeatures[%d]: %w", i, err)
		}
	}
	return nil
}

// checkActions checks the ids and features of the actions of a rank
// request, but not whether there are any.
func checkActions(actions []personalizer.RankableAction) error {
	for i, a := range actions {
		if a.ID == "" {
			return fmt.Errorf("invalid rank request: actions[%d] has no id", i)
		}
		if n := utf8.RuneCountInString(a.ID); n > personalizer.MaxIDLength {
			return fmt.Errorf("invalid rank request: actions[%d] id has %d characters, more than %d", i, n, personalizer.MaxIDLength)
		}
		if a.Features == nil {
			return fmt.Errorf("invalid rank request: action %q has no features; send [] for an action without features", a.ID)
		}
		for j, features := range a.Features {
			if err := checkFeatureObject(features); err != nil {
				return fmt.Errorf("invalid rank request: action %q features[%d]: %w", a.ID, j, err)
			}
		}
	}
	if id, ok := duplicateID(actions); ok {
		return fmt.Errorf("invalid rank request: action id %q appears more than once", id)
	}
	return nil
}

// duplicateID returns the first action id that appears twice.
func duplicateID(actions []personalizer.RankableAction) (string, bool) {
	// A quadratic scan allocates nothing and wins for the usual handful
	// of actions.
	if len(actions) <= 16 {
		for i := 1; i < len(actions); i++ {
			for j := 0; j < i; j++ {
				if actions[i].ID == actions[j].ID {
					return actions[i].ID, true
				}
			}
		}
		return "", false
	}
	seen := make(map[string]struct{}, len(actions))
	for _, a := range actions {
		if _, ok := seen[a.ID]; ok {
			return a.ID, true
		}
		seen[a.ID] = struct{}{}
	}
	return "", false
}

// checkFeatureObject checks one object of a features list.
func checkFeatureObject(features map[string]any) error {
	if features == nil {
		return errors.New("null, want a JSON object of features")
	}
	for key, value := range features {
		if err := checkFeatureValue(key, value); err != nil {
			return err
		}
	}
	return nil
}

// checkFeatureValue checks one feature value, descending into namespaces
// and arrays.
func checkFeatureValue(key string, value any) error {
	switch v := value.(type) {
	case map[string]any:
		for inner, innerValue := range v {
			if err := checkFeatureValue(inner, innerValue); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	case []any:
		for i, elem := range v {
			switch e := elem.(type) {
			case float64, nil:
			case map[string]any:
				if err := checkFeatureValue(key, e); err != nil {
					return err
				}
			default:
				return fmt.Errorf("feature %q: element %d of the array is %s; arrays may hold only numbers or objects", key, i, jsonKind(elem))
			}
		}
	}
	return nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}
