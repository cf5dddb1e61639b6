package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/rankloop/rankloop/personalizer"
	"github.com/rankloop/rankloop/personalizer/local"
	"github.com/rankloop/rankloop/personalizer/server"
)

// Defaults of a served loop, the values a new Personalizer resource had.
const (
	serveRewardWait      = 10 * time.Minute
	serveExportFrequency = time.Minute
)

// Timeouts of the HTTP server.
const (
	// serveShutdownTimeout is how long requests in flight get to finish
	// after SIGINT or SIGTERM.
	serveShutdownTimeout = 10 * time.Second

	// serveReadTimeout bounds reading a request, headers and body. It is
	// shorter than serveShutdownTimeout, so the request of a client that
	// stalls mid-body fails before the shutdown timeout ends, and the
	// shutdown stays graceful. Even the largest body accepted
	// (server.DefaultMaxBodyBytes, 1 MiB) arrives in time at 205 KiB/s,
	// and a rank request is a few KiB.
	serveReadTimeout = 5 * time.Second

	// serveIdleTimeout bounds how long a keep-alive connection waits for
	// its next request. Without it the server would use serveReadTimeout.
	// It is longer than the 90 s after which Go's http.DefaultTransport,
	// which personalizer.Client clones, closes idle connections, so the
	// server rarely closes a connection that a client is about to reuse.
	// Shutdown closes idle connections at once, so it does not wait for
	// this.
	serveIdleTimeout = 2 * time.Minute
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `HOST:PORT`; port 0 picks a free port")
	key := fs.String("key", "", "require this `KEY` in the Ocp-Apim-Subscription-Key header (default $RANKLOOP_KEY; none accepts every request)")
	policy := fs.String("policy", personalizer.DefaultPolicyArguments, "learning policy as Vowpal Wabbit `ARGS`")
	updateEvery := fs.Int("model-update-every", 0, "refresh the serving model every `N` Rank calls; 0 refreshes every modelExportFrequency of wall-clock time (default 1m)")
	seed := fs.Uint64("seed", 0, "`N` mixed into every exploration draw")
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: rankloop serve [flags]

Serves the embedded learning loop over the Azure AI Personalizer REST API
at /personalizer/v1.0 (and v1.1-preview.1 to .3), so the tutorial
notebook, the official SDKs and "rankloop run --endpoint" can use it.
Prints the endpoint URL on stdout, logs to stderr, and stops on SIGINT
or SIGTERM after finishing the requests in flight.

A new loop waits 10 minutes for rewards and refreshes its serving model
every minute; change both with PUT /configurations/service.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(stderr, `
Examples:
  rankloop serve --addr 127.0.0.1:8080
  # every interface, so require a key:
  RANKLOOP_KEY=secret rankloop serve --addr :8080 --model-update-every 2000
`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return &usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	if *updateEvery < 0 {
		return &usageError{fmt.Sprintf("serve: invalid --model-update-every %d: want 0 or more", *updateEvery)}
	}
	if *key == "" {
		*key = os.Getenv("RANKLOOP_KEY")
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	loop, err := local.New(local.Options{
		Policy:               *policy,
		ModelUpdateEvery:     *updateEvery,
		ModelExportFrequency: int64(serveExportFrequency),
		RewardWait:           int64(serveRewardWait),
		Seed:                 *seed,
		// The server logs every configuration change, with durations
		// as durations. The loop's own Info lines repeat those changes
		// with durations in nanoseconds, so only its warnings pass.
		// NOTE: the loop's "policy updated" line, dropped here, is the
		// only one that reports whether a new policy reset the model.
		Logger: slog.New(minLevelHandler{logger.Handler(), slog.LevelWarn}).With("component", "loop"),
	})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	handler := server.New(loop, server.WithKey(*key), server.WithLogger(logger.With("component", "server")))
	return serveUntilDone(ctx, ln, newHTTPServer(handler, logger), serveShutdownTimeout, *key != "", stdout, logger)
}

// newHTTPServer returns the HTTP server of rankloop serve, with the
// timeouts above. ReadTimeout covers the headers too, since
// ReadHeaderTimeout is not set.
func newHTTPServer(handler http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:     handler,
		ReadTimeout: serveReadTimeout,
		IdleTimeout: serveIdleTimeout,
		ErrorLog:    slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// serveUntilDone serves srv on ln until ctx is cancelled, then shuts down
// gracefully: in-flight requests get shutdownTimeout to finish. It closes
// ln.
func serveUntilDone(ctx context.Context, ln net.Listener, srv *http.Server, shutdownTimeout time.Duration, keyRequired bool, stdout io.Writer, logger *slog.Logger) error {
	endpoint := "http://" + ln.Addr().String()

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.Info("serving the Personalizer API", "endpoint", endpoint, "api", "/personalizer/v1.0", "key_required", keyRequired)
	if _, err := fmt.Fprintln(stdout, endpoint); err != nil {
		srv.Close()
		return fmt.Errorf("serve: print the endpoint: %w", err)
	}

	select {
	case err := <-served:
		logger.Error("server stopped", "err", err)
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	logger.Info("shutting down", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		logger.Error("shutdown did not finish; closing open connections", "err", err)
		srv.Close()
		return fmt.Errorf("serve: shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// minLevelHandler passes on to Handler only the records at level and
// above.
type minLevelHandler struct {
	slog.Handler
	level slog.Level
}

func (h minLevelHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= h.level && h.Handler.Enabled(ctx, level)
}

func (h minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevelHandler{h.Handler.WithAttrs(attrs), h.level}
}

func (h minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{h.Handler.WithGroup(name), h.level}
}
