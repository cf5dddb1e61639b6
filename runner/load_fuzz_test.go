package runner

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary files to the loader: it must return an
// experiment or positioned errors, never panic.
func FuzzLoad(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("reward: |\n  a\n   ? b\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("---\n---\n"))
	f.Add([]byte("name: x\nevents: 99999999999999999999\nseed: 1e30\nactions: [{id: a, features: {t: 1}}]\nreward: action.features.t.x\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		l := newLoader(filepath.Join("testdata", "fuzz.yaml"))
		exp := l.decode(data)
		err := l.err()
		if err == nil && (exp.Name == "" || len(exp.Arms) == 0) {
			t.Fatalf("no error, but experiment %+v is incomplete", exp)
		}
		if list, ok := err.(ErrorList); ok {
			for _, e := range list {
				if e.Message == "" {
					t.Errorf("error without a message: %+v", e)
				}
			}
		}
	})
}
