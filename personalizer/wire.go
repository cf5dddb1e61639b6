package personalizer

import (
	"encoding/json"
	"fmt"
	"time"
)

// zeroTimeText is the service's text for a time that has not happened
// yet, such as the model's creation time before the first model exists.
const zeroTimeText = "0001-01-01T00:00:00+00:00"

// serviceConfigurationJSON is the wire form of [ServiceConfiguration].
// Pointers tell a field that was left out from one that was sent.
type serviceConfigurationJSON struct {
	RewardWaitTime            *string  `json:"rewardWaitTime,omitempty"`
	DefaultReward             *float64 `json:"defaultReward,omitempty"`
	RewardAggregation         *string  `json:"rewardAggregation,omitempty"`
	ExplorationPercentage     *float64 `json:"explorationPercentage,omitempty"`
	ModelExportFrequency      *string  `json:"modelExportFrequency,omitempty"`
	LogMirrorEnabled          *bool    `json:"logMirrorEnabled,omitempty"`
	LogMirrorSasURI           *string  `json:"logMirrorSasUri,omitempty"`
	LogRetentionDays          *int32   `json:"logRetentionDays,omitempty"`
	LearningMode              *string  `json:"learningMode,omitempty"`
	LastConfigurationEditDate *string  `json:"lastConfigurationEditDate,omitempty"`
	ModelUpdateEveryEvents    *int     `json:"modelUpdateEveryEvents,omitempty"`
}

// MarshalJSON writes the configuration with ISO-8601 durations. The
// fields every service version requires are always written; logMirrorEnabled,
// logMirrorSasUri, learningMode and lastConfigurationEditDate only when set.
// modelUpdateEveryEvents is always written so that a PUT of 0 turns the
// event-count refresh off.
func (c ServiceConfiguration) MarshalJSON() ([]byte, error) {
	wait := FormatDuration(c.RewardWaitTime)
	export := FormatDuration(c.ModelExportFrequency)
	w := serviceConfigurationJSON{
		RewardWaitTime:         &wait,
		DefaultReward:          &c.DefaultReward,
		RewardAggregation:      &c.RewardAggregation,
		ExplorationPercentage:  &c.ExplorationPercentage,
		ModelExportFrequency:   &export,
		LogMirrorEnabled:       c.LogMirrorEnabled,
		LogRetentionDays:       &c.LogRetentionDays,
		ModelUpdateEveryEvents: &c.ModelUpdateEveryEvents,
	}
	if c.LogMirrorSasURI != "" {
		w.LogMirrorSasURI = &c.LogMirrorSasURI
	}
	if c.LearningMode != "" {
		w.LearningMode = &c.LearningMode
	}
	if !c.LastConfigurationEditDate.IsZero() {
		edit := formatTime(c.LastConfigurationEditDate)
		w.LastConfigurationEditDate = &edit
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads a configuration in the wire form. Durations may be
// ISO-8601 or hh:mm:ss (see [ParseDuration]). Fields that are absent or
// null leave the receiver's value unchanged, so decoding a PUT body into
// the stored configuration keeps what the body leaves out, as the service
// did.
func (c *ServiceConfiguration) UnmarshalJSON(data []byte) error {
	var w serviceConfigurationJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}

	// Parse everything before assigning anything, so that an error leaves
	// the receiver as it was.
	out := *c
	if w.RewardWaitTime != nil {
		d, err := ParseDuration(*w.RewardWaitTime)
		if err != nil {
			return fmt.Errorf("rewardWaitTime: %w", err)
		}
		out.RewardWaitTime = d
	}
	if w.ModelExportFrequency != nil {
		d, err := ParseDuration(*w.ModelExportFrequency)
		if err != nil {
			return fmt.Errorf("modelExportFrequency: %w", err)
		}
		out.ModelExportFrequency = d
	}
	if w.LastConfigurationEditDate != nil {
		t, err := parseTime(*w.LastConfigurationEditDate)
		if err != nil {
			return fmt.Errorf("lastConfigurationEditDate: %w", err)
		}
		out.LastConfigurationEditDate = t
	}
	if w.DefaultReward != nil {
		out.DefaultReward = *w.DefaultReward
	}
	if w.RewardAggregation != nil {
		out.RewardAggregation = *w.RewardAggregation
	}
	if w.ExplorationPercentage != nil {
		out.ExplorationPercentage = *w.ExplorationPercentage
	}
	if w.LogMirrorEnabled != nil {
		enabled := *w.LogMirrorEnabled
		out.LogMirrorEnabled = &enabled
	}
	if w.LogMirrorSasURI != nil {
		out.LogMirrorSasURI = *w.LogMirrorSasURI
	}
	if w.LogRetentionDays != nil {
		out.LogRetentionDays = *w.LogRetentionDays
	}
	if w.LearningMode != nil {
		out.LearningMode = *w.LearningMode
	}
	if w.ModelUpdateEveryEvents != nil {
		out.ModelUpdateEveryEvents = *w.ModelUpdateEveryEvents
	}

	*c = out
	return nil
}

// modelPropertiesJSON is the wire form of [ModelProperties].
type modelPropertiesJSON struct {
	CreationTime     string `json:"creationTime"`
	LastModifiedTime string `json:"lastModifiedTime"`
}

// MarshalJSON writes both times, with 0001-01-01T00:00:00+00:00 for a zero
// time as the service did before the first model existed.
func (p ModelProperties) MarshalJSON() ([]byte, error) {
	return json.Marshal(modelPropertiesJSON{
		CreationTime:     formatTime(p.CreationTime),
		LastModifiedTime: formatTime(p.LastModifiedTime),
	})
}

// UnmarshalJSON reads both times, accepting the offsets the service mixed
// (Z, +00:00, -07:00 or none, which is read as UTC).
func (p *ModelProperties) UnmarshalJSON(data []byte) error {
	var w modelPropertiesJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	created, err := parseTime(w.CreationTime)
	if err != nil {
		return fmt.Errorf("creationTime: %w", err)
	}
	modified, err := parseTime(w.LastModifiedTime)
	if err != nil {
		return fmt.Errorf("lastModifiedTime: %w", err)
	}
	p.CreationTime, p.LastModifiedTime = created, modified
	return nil
}

// formatTime writes t in RFC 3339 in UTC, or the service's zero-time text.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return zeroTimeText
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// parseTime reads an ISO-8601 date-time with or without an offset. An
// empty string is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid date-time %q: want ISO-8601 such as 2022-09-01T00:23:15+00:00", s)
	}
	return t, nil
}
