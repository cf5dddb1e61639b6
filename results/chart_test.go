package results

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rankloop/rankloop/results/testtools"
)

// testChart has two arms that learn at different speeds, with an arm name
// that needs HTML escaping.
func testChart() *Chart {
	var rows []BatchRow
	arms := []string{"tutorial-policy", "optimized <fast> & co"}
	for a, arm := range arms {
		for rep := range 5 {
			for b := range 40 {
				learned := 1 - math.Exp(-float64(b)/float64(8+a*-4+rep))
				mean := 0.25 + 0.5*learned + 0.02*float64(rep%3)
				rows = append(rows, BatchRow{Arm: arm, Repetition: int32(rep), Batch: int32(b), Events: 100,
					RewardMean: mean, CeilingMean: 0.85})
			}
		}
	}
	return &Chart{
		Experiment:  "coffee",
		Description: "Four customers and four coffees, as in the Personalizer tutorial.",
		BatchSize:   100,
		Window:      100,
		Arms:        ChartArms(rows, true),
		Summary: []SummaryRow{
			{Arm: arms[0], Repetitions: 5, FirstHalf: Range{0.512, 0.498, 0.533}, SecondHalf: Range{0.731, 0.72, 0.75},
				LastBatch: Range{0.749, 0.74, 0.77}, EventsToThreshold: Range{2350, 2100, -1}, Crossed: 4, Threshold: 0.7},
			{Arm: arms[1], Repetitions: 5, FirstHalf: Range{0.66, 0.65, 0.68}, SecondHalf: Range{0.75, 0.74, 0.77},
				LastBatch: Range{0.75, 0.74, 0.77}, EventsToThreshold: Range{900, 700, 1300}, Crossed: 5, Threshold: 0.7},
		},
	}
}

func renderChart(t *testing.T, c *Chart) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteChart(&buf, c); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestChartArms(t *testing.T) {
	rows := []BatchRow{
		{Arm: "b", Repetition: 0, Batch: 1, RewardMean: 0.5, CeilingMean: 0.9},
		{Arm: "b", Repetition: 0, Batch: 0, RewardMean: 0.2, CeilingMean: 0.8},
		{Arm: "b", Repetition: 1, Batch: 0, RewardMean: 0.4, CeilingMean: 0.6},
		{Arm: "a", Repetition: 0, Batch: 0, RewardMean: 1},
	}
	arms := ChartArms(rows, true)
	if len(arms) != 2 || arms[0].Name != "b" || arms[1].Name != "a" {
		t.Fatalf("arms = %+v, want b then a", arms)
	}
	b := arms[0]
	checks := []struct {
		name      string
		got, want []float64
	}{
		{"mean", b.Mean, []float64{0.30000000000000004, 0.5}},
		{"min", b.Min, []float64{0.2, 0.5}},
		{"max", b.Max, []float64{0.4, 0.5}},
		{"ceiling", b.Ceiling, []float64{0.7, 0.9}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if !slices.Equal(b.Batches, []int{0, 1}) {
		t.Errorf("batches = %v, want [0 1]", b.Batches)
	}
	if ChartArms(rows, false)[0].Ceiling != nil {
		t.Error("ceiling without hasCeiling is not nil")
	}
}

func TestChartRejects(t *testing.T) {
	tests := map[string]*Chart{
		"empty name":     {Arms: []ChartArm{{Name: ""}}},
		"duplicate name": {Arms: []ChartArm{{Name: "a"}, {Name: "a"}}},
		"short mean":     {Arms: []ChartArm{{Name: "a", Batches: []int{0, 1}, Mean: []float64{1}, Min: []float64{1, 1}, Max: []float64{1, 1}}}},
		"short ceiling": {Arms: []ChartArm{{Name: "a", Batches: []int{0}, Mean: []float64{1}, Min: []float64{1}, Max: []float64{1},
			Ceiling: []float64{}}}},
	}
	for name, c := range tests {
		if err := WriteChart(new(bytes.Buffer), c); err == nil {
			t.Errorf("%s: WriteChart succeeded, want an error", name)
		}
	}
}

var (
	// resourceAttr matches HTML attributes and CSS constructs that make a
	// browser fetch something.
	resourceAttr = regexp.MustCompile(`(?i)\b(?:src|href|srcset|poster|action|data)\s*=\s*["']?([^"'\s>]*)|url\(\s*["']?([^"')]*)|@import\s+["']?([^"';]*)`)

	// scriptBody matches the content of inline scripts.
	scriptBody = regexp.MustCompile(`(?s)<script>.*?</script>`)

	// scriptRequest matches the JavaScript APIs that send requests.
	scriptRequest = regexp.MustCompile(`fetch\(|XMLHttpRequest|import\(|\.src\s*=|new Image|WebSocket|sendBeacon|EventSource|\.href\s*=`)
)

func TestChartSelfContained(t *testing.T) {
	html := string(renderChart(t, testChart()))

	markup := scriptBody.ReplaceAllString(html, "<script></script>")
	for _, m := range resourceAttr.FindAllStringSubmatch(markup, -1) {
		target := m[1] + m[2] + m[3]
		if target != "" && !strings.HasPrefix(target, "data:") && !strings.HasPrefix(target, "#") {
			t.Errorf("resource reference %q points at %q, want only data: URLs", m[0], target)
		}
	}

	for _, m := range scriptRequest.FindAllString(strings.Join(scriptBody.FindAllString(html, -1), ""), -1) {
		t.Errorf("inline script calls %q, which sends a request", m)
	}

	// The embedded uPlot names its home page in its licence comment; no
	// other text may hold a URL.
	rest := strings.Replace(html, uplotJS, "", 1)
	if rest == html {
		t.Fatal("the page does not embed uPlot verbatim")
	}
	for _, scheme := range []string{"http://", "https://", "//cdn"} {
		if i := strings.Index(rest, scheme); i >= 0 {
			t.Errorf("page holds %q at %q", scheme, rest[max(0, i-40):min(len(rest), i+60)])
		}
	}

	if !strings.Contains(html, `<link rel="icon" href="data:,">`) {
		t.Error("page has no data: favicon, so browsers would request /favicon.ico")
	}
	for _, arm := range []string{"tutorial-policy", "optimized &lt;fast&gt; &amp; co"} {
		if !strings.Contains(html, "<td>"+arm+"</td>") {
			t.Errorf("summary table has no row for arm %q", arm)
		}
	}
	if !strings.Contains(html, `"name":"optimized \u003cfast\u003e \u0026 co"`) {
		t.Error("chart data does not hold the escaped arm name")
	}
}

// TestChartBrowser renders the chart in headless Chromium from a loopback
// server that logs every request.
func TestChartBrowser(t *testing.T) {
	page := renderChart(t, testChart())

	var (
		mu       sync.Mutex
		requests []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.URL.Path)
		mu.Unlock()
		if r.URL.Path != "/chart.html" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()

	shot := filepath.Join(t.TempDir(), "chart.png")
	url := srv.URL + "/chart.html"
	report := testtools.PageCheck(t, url, shot, `body[data-ready="1"] #chart canvas`)

	if !report.Found {
		t.Errorf("chart did not finish drawing; console %v, errors %v", report.Console, report.PageErrors)
	}
	if len(report.Console) > 0 || len(report.PageErrors) > 0 {
		t.Errorf("console messages %v, page errors %v; want none", report.Console, report.PageErrors)
	}
	if !slices.Equal(report.Requests, []string{url}) {
		t.Errorf("browser requested %v, want only %s", report.Requests, url)
	}
	if len(report.Failed) > 0 {
		t.Errorf("failed requests: %v", report.Failed)
	}
	mu.Lock()
	if !slices.Equal(requests, []string{"/chart.html"}) {
		t.Errorf("server saw requests %v, want only /chart.html", requests)
	}
	mu.Unlock()

	if report.Title != "coffee · rankloop" {
		t.Errorf("title = %q, want %q", report.Title, "coffee · rankloop")
	}
	for _, text := range []string{"tutorial-policy", "optimized <fast> & co", "0.512 (0.498–0.533)",
		"2350 (2100–never)", "4 of 5", "Four customers"} {
		if !strings.Contains(report.Text, text) {
			t.Errorf("page text has no %q", text)
		}
	}

	checkScreenshot(t, shot)
}

// checkScreenshot decodes the PNG and checks that the plot is drawn: many
// distinct colours, and pixels in the line colour of each arm.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode screenshot: %v", err)
	}

	colours := map[[3]uint8]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			colours[rgb(img, x, y)]++
		}
	}
	if len(colours) < 100 {
		t.Errorf("screenshot has %d distinct colours, want a drawn chart (at least 100)", len(colours))
	}
	for _, line := range []struct {
		arm    string
		colour [3]uint8
	}{{"tutorial-policy", [3]uint8{0x1f, 0x77, 0xb4}}, {"optimized", [3]uint8{0xd6, 0x27, 0x28}}} {
		if n := colours[line.colour]; n < 200 {
			t.Errorf("screenshot has %d pixels of %s's line colour #%x, want at least 200", n, line.arm, line.colour)
		}
	}
	if t.Failed() {
		t.Logf("screenshot kept at %s", keepScreenshot(t, data))
	}
}

func rgb(img image.Image, x, y int) [3]uint8 {
	r, g, b, _ := img.At(x, y).RGBA()
	return [3]uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8)}
}

// keepScreenshot copies a failing screenshot out of the test's temporary
// folder so that it survives the test.
func keepScreenshot(t *testing.T, data []byte) string {
	path := filepath.Join(os.TempDir(), fmt.Sprintf("rankloop-%s.png", strings.ReplaceAll(t.Name(), "/", "_")))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "(not kept: " + err.Error() + ")"
	}
	return path
}

// TestChartBrowserNoRuns opens the chart of an experiment interrupted before
// any run finished: the page states it and runs its script without errors.
func TestChartBrowserNoRuns(t *testing.T) {
	page := renderChart(t, &Chart{
		Experiment: "coffee",
		BatchSize:  100,
		Window:     100,
		Summary:    []SummaryRow{{Arm: "tutorial-policy", Threshold: 0.75}},
		Incomplete: "0 of 20 runs finished; the run was interrupted or failed",
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	defer srv.Close()

	shot := filepath.Join(t.TempDir(), "chart.png")
	report := testtools.PageCheck(t, srv.URL+"/chart.html", shot, `body[data-ready="1"]`)
	if !report.Found {
		t.Errorf("page script did not finish; console %v, errors %v", report.Console, report.PageErrors)
	}
	if len(report.Console) > 0 || len(report.PageErrors) > 0 {
		t.Errorf("console messages %v, page errors %v; want none", report.Console, report.PageErrors)
	}
	for _, text := range []string{"Incomplete results: 0 of 20 runs finished", "No run finished", "tutorial-policy"} {
		if !strings.Contains(report.Text, text) {
			t.Errorf("page text has no %q:\n%s", text, report.Text)
		}
	}
	if strings.Contains(report.Text, "0.000") {
		t.Errorf("page shows figures for an arm with no finished run:\n%s", report.Text)
	}
}
