package testtools

import (
	"encoding/json"
	"testing"
)

// PageReport is the output of tools/page-check.mjs: the requests, console
// messages, errors and text of one page load in headless Chromium.
type PageReport struct {
	Requests []string `json:"requests"` // every URL requested, the page included
	Failed   []struct {
		URL   string `json:"url"`
		Error string `json:"error"`
	} `json:"failed"`
	Console []struct {
		Type string `json:"type"` // error or warning
		Text string `json:"text"`
	} `json:"console"`
	PageErrors []string `json:"pageErrors"` // uncaught exceptions
	Title      string   `json:"title"`
	Found      bool     `json:"found"` // the selector matched within 15 s
	Text       string   `json:"text"`  // document.body.innerText
}

// PageCheck loads url in headless Chromium, waits for the load event and
// for an element matching selector (when not empty), and saves a full-page
// screenshot to the PNG file at screenshot. It skips the test when node,
// playwright-core or Chromium is missing.
func PageCheck(t testing.TB, url, screenshot, selector string) *PageReport {
	t.Helper()
	chromium := Chromium(t)
	ToolsDir(t, "playwright-core")
	out := RunNode(t, "page-check.mjs", []string{"CHROMIUM=" + chromium}, url, screenshot, selector)

	var report PageReport
	if err := json.Unmarshal(out, &report); err != nil {
		t.Fatalf("decode page-check output: %v\n%s", err, out)
	}
	return &report
}
