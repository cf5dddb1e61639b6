package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
)

// requiredServiceFields are the fields a PUT of the service configuration
// must carry; the others keep their stored values when left out.
var requiredServiceFields = []string{
	"rewardWaitTime", "defaultReward", "rewardAggregation",
	"explorationPercentage", "modelExportFrequency", "logRetentionDays",
}

// Limits of the policy contract.
const (
	maxPolicyNameLength      = 256
	maxPolicyArgumentsLength = 1024
)

// writeLoaded writes what load returns with 200, or the response to its
// error for operation op.
func writeLoaded[T any](s *server, w http.ResponseWriter, r *http.Request, op string, load func(context.Context) (T, error)) {
	v, err := load(r.Context())
	if err != nil {
		s.failBackend(w, r, op, err)
		return
	}
	s.writeJSON(w, r, http.StatusOK, v)
}

func (s *server) getServiceConfiguration(w http.ResponseWriter, r *http.Request) {
	writeLoaded(s, w, r, "get service configuration", s.loop.ServiceConfiguration)
}

// putServiceConfiguration serves PUT /configurations/service: the body is
// merged into the stored configuration, lastConfigurationEditDate is set
// to now, and the policy's --epsilon follows explorationPercentage.
func (s *server) putServiceConfiguration(w http.ResponseWriter, r *http.Request) {
	const code = personalizer.CodeInvalidServiceConfiguration
	buf, ok := s.readBody(w, r, code)
	if !ok {
		return
	}
	defer releaseBody(buf)
	body := buf.Bytes()

	if err := checkRequiredFields(body); err != nil {
		s.fail(w, r, http.StatusBadRequest, code, fmt.Sprintf("invalid service configuration: %v", err), nil)
		return
	}

	s.configMu.Lock()
	defer s.configMu.Unlock()

	cfg, err := s.loop.ServiceConfiguration(r.Context())
	if err != nil {
		s.failBackend(w, r, "get service configuration", err)
		return
	}
	err = decodeJSON(body, cfg)
	if err == nil {
		err = checkServiceConfiguration(cfg)
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, code, fmt.Sprintf("invalid service configuration: %v", err), nil)
		return
	}
	cfg.LastConfigurationEditDate = s.now().UTC().Truncate(time.Second)

	stored, err := s.loop.UpdateServiceConfiguration(r.Context(), cfg)
	if err != nil {
		s.failBackend(w, r, "update service configuration", err)
		return
	}
	if err := s.syncPolicyEpsilon(r, stored.ExplorationPercentage); err != nil {
		s.failBackend(w, r, "set the policy's --epsilon to the exploration percentage", err)
		return
	}

	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "service configuration updated",
		slog.Duration("reward_wait_time", stored.RewardWaitTime),
		slog.Float64("default_reward", stored.DefaultReward),
		slog.String("reward_aggregation", stored.RewardAggregation),
		slog.Float64("exploration_percentage", stored.ExplorationPercentage),
		slog.Duration("model_export_frequency", stored.ModelExportFrequency),
		slog.Int("model_update_every_events", stored.ModelUpdateEveryEvents),
		slog.String("learning_mode", stored.LearningMode))
	s.writeJSON(w, r, http.StatusOK, stored)
}

// syncPolicyEpsilon sets the policy's --epsilon to epsilon when it
// differs. The caller holds configMu.
func (s *server) syncPolicyEpsilon(r *http.Request, epsilon float64) error {
	policy, err := s.loop.Policy(r.Context())
	if err != nil {
		return err
	}
	current, found, _ := policyEpsilon(policy.Arguments)
	if found && current == epsilon {
		return nil
	}
	_, err = s.loop.UpdatePolicy(r.Context(), &personalizer.PolicyContract{
		Name:      policy.Name,
		Arguments: local.WithEpsilon(policy.Arguments, epsilon),
	})
	return err
}

// checkRequiredFields reports the required fields missing from a PUT body.
// Names match case-insensitively, as encoding/json matches them.
func checkRequiredFields(body []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return err
	}
	var missing []string
	for _, name := range requiredServiceFields {
		present := false
		for key, value := range fields {
			if strings.EqualFold(key, name) && string(value) != "null" {
				present = true
				break
			}
		}
		if !present {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing required fields: %s", strings.Join(missing, ", "))
	}
	return nil
}

// checkServiceConfiguration checks the values of a merged configuration
// and normalizes the spelling of rewardAggregation.
func checkServiceConfiguration(cfg *personalizer.ServiceConfiguration) error {
	if cfg.RewardWaitTime < 0 {
		return fmt.Errorf("rewardWaitTime %s is negative", personalizer.FormatDuration(cfg.RewardWaitTime))
	}
	if cfg.ModelExportFrequency < 0 {
		return fmt.Errorf("modelExportFrequency %s is negative", personalizer.FormatDuration(cfg.ModelExportFrequency))
	}
	if math.IsNaN(cfg.ExplorationPercentage) || cfg.ExplorationPercentage < 0 || cfg.ExplorationPercentage > 1 {
		return fmt.Errorf("explorationPercentage %v is not between 0 and 1", cfg.ExplorationPercentage)
	}
	switch agg := strings.ToLower(cfg.RewardAggregation); agg {
	case "earliest", "sum", "average":
		cfg.RewardAggregation = agg
	default:
		return fmt.Errorf("rewardAggregation %q is not earliest, sum or average", cfg.RewardAggregation)
	}
	if cfg.LogRetentionDays < -1 {
		return fmt.Errorf("logRetentionDays %d is below -1 (keep forever)", cfg.LogRetentionDays)
	}
	switch cfg.LearningMode {
	case "", "Online", "Apprentice", "LoggingOnly":
	default:
		return fmt.Errorf("learningMode %q is not Online, Apprentice or LoggingOnly", cfg.LearningMode)
	}
	if cfg.ModelUpdateEveryEvents < 0 {
		return fmt.Errorf("modelUpdateEveryEvents %d is negative; use 0 to refresh on modelExportFrequency", cfg.ModelUpdateEveryEvents)
	}
	return nil
}

func (s *server) getPolicy(w http.ResponseWriter, r *http.Request) {
	writeLoaded(s, w, r, "get policy", s.loop.Policy)
}

// putPolicy serves PUT /configurations/policy. An --epsilon in the
// arguments becomes the exploration percentage; arguments without one get
// the current exploration percentage appended.
func (s *server) putPolicy(w http.ResponseWriter, r *http.Request) {
	const code = personalizer.CodeInvalidPolicyContract
	buf, ok := s.readBody(w, r, code)
	if !ok {
		return
	}
	var policy personalizer.PolicyContract
	err := decodeJSON(buf.Bytes(), &policy)
	releaseBody(buf)
	if err == nil {
		err = checkPolicyContract(&policy)
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, code, fmt.Sprintf("invalid policy: %v", err), nil)
		return
	}
	epsilon, found, err := policyEpsilon(policy.Arguments)
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, personalizer.CodeInvalidPolicyConfiguration,
			fmt.Sprintf("invalid policy arguments: %v", err), nil)
		return
	}

	s.configMu.Lock()
	defer s.configMu.Unlock()

	cfg, err := s.loop.ServiceConfiguration(r.Context())
	if err != nil {
		s.failBackend(w, r, "get service configuration", err)
		return
	}
	if !found {
		policy.Arguments = local.WithEpsilon(policy.Arguments, cfg.ExplorationPercentage)
	}
	if _, err := s.loop.UpdatePolicy(r.Context(), &policy); err != nil {
		s.failBackend(w, r, "update policy", err)
		return
	}
	if found && epsilon != cfg.ExplorationPercentage {
		cfg.ExplorationPercentage = epsilon
		cfg.LastConfigurationEditDate = s.now().UTC().Truncate(time.Second)
		if _, err := s.loop.UpdateServiceConfiguration(r.Context(), cfg); err != nil {
			s.failBackend(w, r, "set the exploration percentage to the policy's --epsilon", err)
			return
		}
	}

	// Read the policy back: the configuration update above may have
	// rewritten it.
	s.writeStoredPolicy(w, r, "policy updated")
}

// writeStoredPolicy reads the policy from the backend, logs message with
// its arguments and writes it with 200.
func (s *server) writeStoredPolicy(w http.ResponseWriter, r *http.Request, message string) {
	policy, err := s.loop.Policy(r.Context())
	if err != nil {
		s.failBackend(w, r, "get policy", err)
		return
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, message, slog.String("arguments", policy.Arguments))
	s.writeJSON(w, r, http.StatusOK, policy)
}

// checkPolicyContract checks the sizes of a policy contract.
func checkPolicyContract(policy *personalizer.PolicyContract) error {
	if strings.TrimSpace(policy.Arguments) == "" {
		return errors.New(`missing "arguments"`)
	}
	if n := utf8.RuneCountInString(policy.Arguments); n > maxPolicyArgumentsLength {
		return fmt.Errorf("arguments have %d characters, more than %d", n, maxPolicyArgumentsLength)
	}
	if n := utf8.RuneCountInString(policy.Name); n > maxPolicyNameLength {
		return fmt.Errorf("name has %d characters, more than %d", n, maxPolicyNameLength)
	}
	return nil
}

// deletePolicy serves DELETE /configurations/policy: the backend's default
// policy, with --epsilon set to the exploration percentage the backend
// reports after the reset. A reset that changes the exploration
// percentage, as the embedded loop's does by taking the default's
// --epsilon, stores the service configuration again, so that
// lastConfigurationEditDate records the change.
func (s *server) deletePolicy(w http.ResponseWriter, r *http.Request) {
	s.configMu.Lock()
	defer s.configMu.Unlock()

	before, err := s.loop.ServiceConfiguration(r.Context())
	if err != nil {
		s.failBackend(w, r, "get service configuration", err)
		return
	}
	if _, err := s.loop.ResetPolicy(r.Context()); err != nil {
		s.failBackend(w, r, "reset policy", err)
		return
	}
	cfg, err := s.loop.ServiceConfiguration(r.Context())
	if err != nil {
		s.failBackend(w, r, "get service configuration", err)
		return
	}

	if cfg.ExplorationPercentage != before.ExplorationPercentage {
		cfg.LastConfigurationEditDate = s.now().UTC().Truncate(time.Second)
		if _, err := s.loop.UpdateServiceConfiguration(r.Context(), cfg); err != nil {
			s.failBackend(w, r, "update service configuration", err)
			return
		}
	}
	if err := s.syncPolicyEpsilon(r, cfg.ExplorationPercentage); err != nil {
		s.failBackend(w, r, "set the policy's --epsilon to the exploration percentage", err)
		return
	}
	s.writeStoredPolicy(w, r, "policy reset")
}

func (s *server) deleteModel(w http.ResponseWriter, r *http.Request) {
	if err := s.loop.ResetModel(r.Context()); err != nil {
		s.failBackend(w, r, "reset model", err)
		return
	}
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "model reset")
	writeNoContent(w)
}

func (s *server) getModelProperties(w http.ResponseWriter, r *http.Request) {
	writeLoaded(s, w, r, "get model properties", s.loop.ModelProperties)
}

// eventLog replaces the service's interaction logs. It keeps the time of
// the first and the last Rank call since the logs were deleted, in Unix
// nanoseconds, 0 for none.
type eventLog struct {
	first, last atomic.Int64
}

func (l *eventLog) record(t time.Time) {
	n := t.UnixNano()
	l.first.CompareAndSwap(0, n)
	l.last.Store(n)
}

func (l *eventLog) reset() {
	l.first.Store(0)
	l.last.Store(0)
}

// logsProperties is the body of GET /logs/properties.
type logsProperties struct {
	DateRange dateRange `json:"dateRange"`
}

type dateRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// getLogsProperties serves GET /logs/properties: the times of the first
// and last Rank call since the logs were deleted, or the zero time.
func (s *server) getLogsProperties(w http.ResponseWriter, r *http.Request) {
	s.writeJSON(w, r, http.StatusOK, logsProperties{DateRange: dateRange{
		From: formatLogTime(s.events.first.Load()),
		To:   formatLogTime(s.events.last.Load()),
	}})
}

// formatLogTime formats Unix nanoseconds as RFC 3339, and 0 as the
// service's zero-time text.
func formatLogTime(unixNano int64) string {
	if unixNano == 0 {
		return "0001-01-01T00:00:00+00:00"
	}
	return time.Unix(0, unixNano).UTC().Format(time.RFC3339Nano)
}

// deleteLogs serves DELETE /logs: the log date range starts over.
func (s *server) deleteLogs(w http.ResponseWriter, r *http.Request) {
	s.events.reset()
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "logs deleted")
	writeNoContent(w)
}
