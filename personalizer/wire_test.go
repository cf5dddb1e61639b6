package personalizer

import (
	"encoding/json"
	"testing"
	"time"
)

func TestServiceConfigurationMarshal(t *testing.T) {
	cfg := ServiceConfiguration{
		RewardWaitTime:            10 * time.Minute,
		DefaultReward:             0,
		RewardAggregation:         "earliest",
		ExplorationPercentage:     0.2,
		ModelExportFrequency:      15 * time.Second,
		LogRetentionDays:          90,
		LearningMode:              "Online",
		LastConfigurationEditDate: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	data, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"rewardWaitTime":"PT10M","defaultReward":0,"rewardAggregation":"earliest",` +
		`"explorationPercentage":0.2,"modelExportFrequency":"PT15S","logRetentionDays":90,` +
		`"learningMode":"Online","lastConfigurationEditDate":"2021-01-01T00:00:00Z","modelUpdateEveryEvents":0}`
	if string(data) != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", data, want)
	}

	// Through a pointer, as the client sends it, the form is the same.
	viaPointer, err := json.Marshal(&cfg)
	if err != nil || string(viaPointer) != want {
		t.Errorf("Marshal(&cfg) = %s, %v; want the same form", viaPointer, err)
	}
}

func TestServiceConfigurationUnmarshal(t *testing.T) {
	// The service's live response of 2023.
	live := `{"rewardWaitTime":"PT10M","defaultReward":0.0,"rewardAggregation":"earliest","explorationPercentage":0.2,
		"modelExportFrequency":"PT15S","logRetentionDays":90,"lastConfigurationEditDate":"2021-01-01T00:00:00","learningMode":"Online"}`
	var cfg ServiceConfiguration
	if err := json.Unmarshal([]byte(live), &cfg); err != nil {
		t.Fatalf("Unmarshal live response: %v", err)
	}
	if cfg.RewardWaitTime != 10*time.Minute || cfg.ModelExportFrequency != 15*time.Second || cfg.LogRetentionDays != 90 ||
		cfg.ExplorationPercentage != 0.2 || cfg.LearningMode != "Online" ||
		!cfg.LastConfigurationEditDate.Equal(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Unmarshal live response = %+v", cfg)
	}

	// The 2019 notebook printout, with .NET TimeSpan durations.
	var old ServiceConfiguration
	if err := json.Unmarshal([]byte(`{"rewardWaitTime":"00:00:15","modelExportFrequency":"00:00:15","logRetentionDays":-1}`), &old); err != nil {
		t.Fatalf("Unmarshal hh:mm:ss: %v", err)
	}
	if old.RewardWaitTime != 15*time.Second || old.ModelExportFrequency != 15*time.Second || old.LogRetentionDays != -1 {
		t.Errorf("Unmarshal hh:mm:ss = %+v", old)
	}
}

func TestServiceConfigurationUnmarshalKeepsAbsentFields(t *testing.T) {
	enabled := true
	cfg := ServiceConfiguration{
		RewardWaitTime:         time.Hour,
		RewardAggregation:      "sum",
		LogMirrorEnabled:       &enabled,
		LogMirrorSasURI:        "https://mirror.example/c",
		LearningMode:           "Apprentice",
		ModelUpdateEveryEvents: 200,
	}
	if err := json.Unmarshal([]byte(`{"rewardWaitTime":"PT5M","learningMode":null,"modelUpdateEveryEvents":0}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.RewardWaitTime != 5*time.Minute {
		t.Errorf("RewardWaitTime = %v, want the sent 5m", cfg.RewardWaitTime)
	}
	if cfg.ModelUpdateEveryEvents != 0 {
		t.Errorf("ModelUpdateEveryEvents = %d, want the sent 0", cfg.ModelUpdateEveryEvents)
	}
	if cfg.RewardAggregation != "sum" || cfg.LogMirrorEnabled == nil || !*cfg.LogMirrorEnabled ||
		cfg.LogMirrorSasURI != "https://mirror.example/c" || cfg.LearningMode != "Apprentice" {
		t.Errorf("absent or null fields changed: %+v", cfg)
	}
}

func TestServiceConfigurationUnmarshalErrorKeepsReceiver(t *testing.T) {
	cfg := ServiceConfiguration{RewardWaitTime: time.Hour, DefaultReward: 0.5}
	err := json.Unmarshal([]byte(`{"defaultReward":1,"rewardWaitTime":"soon"}`), &cfg)
	if err == nil {
		t.Fatal("Unmarshal of rewardWaitTime \"soon\" succeeded, want an error")
	}
	if cfg.RewardWaitTime != time.Hour || cfg.DefaultReward != 0.5 {
		t.Errorf("receiver changed after an error: %+v", cfg)
	}
}

func TestModelPropertiesJSON(t *testing.T) {
	data, err := json.Marshal(ModelProperties{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"creationTime":"0001-01-01T00:00:00+00:00","lastModifiedTime":"0001-01-01T00:00:00+00:00"}`; string(data) != want {
		t.Errorf("Marshal(zero) = %s, want %s", data, want)
	}

	var props ModelProperties
	in := `{"creationTime":"2019-08-02T16:19:58-07:00","lastModifiedTime":"2022-09-01T00:23:15"}`
	if err := json.Unmarshal([]byte(in), &props); err != nil {
		t.Fatalf("Unmarshal %s: %v", in, err)
	}
	if !props.CreationTime.Equal(time.Date(2019, 8, 2, 23, 19, 58, 0, time.UTC)) ||
		!props.LastModifiedTime.Equal(time.Date(2022, 9, 1, 0, 23, 15, 0, time.UTC)) {
		t.Errorf("Unmarshal = %+v", props)
	}

	var zero ModelProperties
	if err := json.Unmarshal(data, &zero); err != nil || !zero.CreationTime.IsZero() || !zero.LastModifiedTime.IsZero() {
		t.Errorf("Unmarshal of the zero-time text = %+v, %v; want zero times", zero, err)
	}
}
